// The schema's classes as the fleet and the CLI use them. Everything here is read from the
// generated class metadata, so that a class added to the schema needs no code in the console
// or the CLI: how a class is found by name, which classes a bare reference may mean, and
// which references lead to an object's details.
import { NotFoundError } from "./errors.js";
import { CLASSES, Node, SCHEMA } from "./generated/libvirt.js";
import type { ManagedClass, ManagedObject } from "./managed-object.js";
import { type ClassMeta, type FieldMeta, isNamedClass } from "./metadata.js";

/** A generated class, whatever its properties. */
export type AnyClass = ManagedClass<ManagedObject<object>>;

const ALL = Object.values(CLASSES) as unknown as AnyClass[];

/**
 * The class that stands for an agent's host: every agent publishes exactly one of its objects,
 * so a host name also names it.
 */
export const HOST_CLASS: AnyClass = Node as unknown as AnyClass;

/** The generated class a schema class name means (exact, else ignoring case), if any. */
export function findClass(name: string): AnyClass | undefined {
  return (
    ALL.find((c) => c.meta.name === name) ??
    ALL.find((c) => c.meta.name.toLowerCase() === name.toLowerCase())
  );
}

/** {@link findClass}, or NotFoundError listing the classes when the name means none. */
export function classByName(name: string): AnyClass {
  const found = findClass(name);
  if (!found) {
    const names = SCHEMA.classes.map((c) => c.name).join(", ");
    throw new NotFoundError(`no class "${name}" in the schema (classes: ${names})`, "class", name);
  }
  return found;
}

/**
 * The classes whose objects people name (a name, host name, key, path or UUID), in schema
 * order: those a reference given without a class is looked up in.
 */
export function namedClasses(): AnyClass[] {
  return ALL.filter((c) => isNamedClass(c.meta));
}

/** A reference property and the class it points at. */
export interface ClassReference {
  via: FieldMeta;
  target: AnyClass;
}

/** The reference properties of a class (one hop), with the classes they point at. */
export function referencesOf(meta: ClassMeta): ClassReference[] {
  const out: ClassReference[] = [];
  for (const via of meta.properties) {
    if (via.type !== "objId" || !via.references) continue;
    const target = ALL.find((c) => c.meta.name === via.references);
    if (target) out.push({ via, target });
  }
  return out;
}

/**
 * The references of a class to its details: objects nobody names, that exist only to carry
 * this object's state and statistics (a Domain's DomainInfo, a Node's NodeInfo).
 */
export function detailReferences(meta: ClassMeta): ClassReference[] {
  return referencesOf(meta).filter((r) => !isNamedClass(r.target.meta));
}

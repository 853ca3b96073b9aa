// Shared by the object commands: finding the object a reference means, and showing objects
// as table rows or as `key: value` blocks.
import type { ClassMeta, Fleet, ManagedClass, ManagedObject } from "../console/index.js";
import type { ConsoleModule } from "./context.js";
import { type Column, displayValue } from "./output.js";

type AnyObject = ManagedObject<object>;

/** The classes a bare reference is looked up in, in this order. */
const REF_CLASSES = ["Domain", "Pool", "Volume", "Node"];

/**
 * The one object `text` names: an object id of any class, or a name / UUID / host/name of a
 * Domain, Pool, Volume or Node (or only of `className` when given). NotFoundError or
 * AmbiguousRefError (exit 3) otherwise.
 */
export async function resolveAny(
  sdk: ConsoleModule,
  fleet: Fleet,
  text: string,
  className?: string,
): Promise<AnyObject> {
  const ref = sdk.parseRef(text);
  const agent = ref.scope ? fleet.agents().find((a) => a.name === ref.scope) : undefined;
  if (agent && !className) {
    try {
      return await fleet.get({ agentName: agent.name, objectName: ref.key });
    } catch (err) {
      if (!sdk.isNotFound(err)) throw err;
    }
  }
  const names = className ? [className] : REF_CLASSES;
  const classes = names.map((n) => classOf(sdk, n));
  const found = (await Promise.all(classes.map((c) => fleet.find(c, text)))).flat();
  if (found.length === 1) return found[0]!;
  const what = className ?? "object";
  if (found.length === 0) {
    throw new sdk.NotFoundError(`no ${what} "${text}" on any agent`, what, text);
  }
  throw new sdk.AmbiguousRefError(
    `"${text}" names ${found.length} objects; use host/name, the UUID or the object id`,
    what,
    text,
    found.map((o) => {
      const p = o.props as Record<string, unknown>;
      const c = {
        objectId: o.objectIdText,
        host: o.host,
        name: String(p.name ?? p.hostname ?? p.key ?? o.objectId.objectName),
      };
      return typeof p.uuid === "string" ? { ...c, uuid: p.uuid } : c;
    }),
  );
}

/** The generated class for a schema class name. */
export function classOf(sdk: ConsoleModule, name: string): ManagedClass<AnyObject> {
  const cls = sdk.CLASSES[name as keyof typeof sdk.CLASSES];
  if (!cls) {
    throw new sdk.NotFoundError(`no class "${name}" in the schema`, "class", name);
  }
  return cls as unknown as ManagedClass<AnyObject>;
}

/** The text of a property value for humans: references as object id text, all escaped. */
export function cell(sdk: ConsoleModule, v: unknown): string {
  const ref = v && typeof v === "object" && !Buffer.isBuffer(v) ? sdk.toObjectRef(v) : null;
  return displayValue(ref ? sdk.objectIdText(ref) : v);
}

/** `key: value` pairs of every property of an object. */
export function propertyPairs(sdk: ConsoleModule, o: AnyObject): [string, string][] {
  const meta = (o.constructor as ManagedClass<AnyObject>).meta;
  const props = o.props as Record<string, unknown>;
  const pairs: [string, string][] = [];
  for (const p of meta.properties) {
    const v = cell(sdk, props[p.name]);
    pairs.push([p.name, p.unit && v !== "" ? `${v} ${p.unit}` : v]);
  }
  return pairs;
}

/** The columns a class's table shows: HOST, then the class's scalar properties. */
export function tableColumns(meta: ClassMeta, extra: string[] = []): Column[] {
  const cols: Column[] = [{ header: "HOST" }];
  for (const name of listedProperties(meta)) cols.push({ header: name.toUpperCase() });
  for (const name of extra) cols.push({ header: name.toUpperCase() });
  return cols;
}

/** Which properties a list table shows (long texts and references stay out). */
export function listedProperties(meta: ClassMeta): string[] {
  const preferred: Record<string, string[]> = {
    Domain: ["name", "id", "uuid"],
    Pool: ["name", "state", "capacity", "allocation", "available", "uuid"],
    Volume: ["name", "capacity", "allocation", "path"],
    Node: ["hostname", "type", "version", "libvirt_version", "libvirt_state", "uri"],
  };
  const names = new Set(meta.properties.map((p) => p.name));
  const pick = preferred[meta.name]?.filter((n) => names.has(n));
  if (pick?.length) return pick;
  return meta.properties.filter((p) => p.type !== "objId" && p.type !== "lstr").map((p) => p.name);
}

/** One table row for an object (see {@link tableColumns}). */
export function tableRow(sdk: ConsoleModule, o: AnyObject, extra: string[] = []): string[] {
  const meta = (o.constructor as ManagedClass<AnyObject>).meta;
  const props = o.props as Record<string, unknown>;
  return [
    displayValue(o.host),
    ...listedProperties(meta).map((n) => cell(sdk, props[n])),
    ...extra.map((e) => displayValue(e)),
  ];
}

/** Sorts objects by host, then by name (or object name). */
export function sortObjects<T extends AnyObject>(objs: T[]): T[] {
  const key = (o: AnyObject): string => {
    const p = o.props as Record<string, unknown>;
    return String(p.name ?? p.hostname ?? o.objectId.objectName);
  };
  return objs.sort((a, b) => {
    if (a.host !== b.host) return a.host < b.host ? -1 : 1;
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

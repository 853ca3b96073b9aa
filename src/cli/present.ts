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
export function resolveAny(
  sdk: ConsoleModule,
  fleet: Fleet,
  text: string,
  className?: string,
): Promise<AnyObject> {
  if (className) return fleet.resolve(classOf(sdk, className), text);
  return fleet.resolveAny(
    REF_CLASSES.map((n) => classOf(sdk, n)),
    text,
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
  return displayValue(sdk.refText(v));
}

/** `key: value` pairs of every property of an object. */
export function propertyPairs(sdk: ConsoleModule, o: AnyObject): [string, string][] {
  const meta = (o.constructor as ManagedClass<AnyObject>).meta;
  const props = o.props as Record<string, unknown>;
  const pairs: [string, string][] = [];
  for (const p of meta.properties) {
    const raw = props[p.name];
    // An absolute time (ns since the epoch) reads better as a date; 0 means "never".
    if (p.type === "absTime" && typeof raw === "bigint" && raw > 0n) {
      pairs.push([p.name, new Date(Number(raw / 1_000_000n)).toISOString()]);
      continue;
    }
    const v = cell(sdk, raw);
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
function listedProperties(meta: ClassMeta): string[] {
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
  return objs.sort((a, b) => {
    if (a.host !== b.host) return a.host < b.host ? -1 : 1;
    const ka = a.label;
    const kb = b.label;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

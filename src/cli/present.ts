// Shared by the object commands: finding the object a reference means, and showing objects
// as table rows or as `key: value` blocks. How a class is shown is read from its schema
// metadata by the rules below, the same for every class: a class added to the schema lists,
// shows and resolves without a change here.

import { compareObjects } from "../console/for-each.js";
import type {
  ClassMeta,
  ClassReference,
  FieldMeta,
  Fleet,
  ManagedClass,
  ManagedObject,
} from "../console/index.js";
import { labelProperty } from "../console/metadata.js";
import type { ConsoleModule } from "./context.js";
import { type Column, displayValue } from "./output.js";

type AnyObject = ManagedObject<object>;

/**
 * The one object `text` names: an object id of any class, or a name / UUID / host/name of an
 * object of a class people name (or only of `className` when given). NotFoundError or
 * AmbiguousRefError (exit 3) otherwise.
 */
export function resolveAny(
  sdk: ConsoleModule,
  fleet: Fleet,
  text: string,
  className?: string,
): Promise<AnyObject> {
  if (className) return fleet.resolve(sdk.classByName(className), text);
  return fleet.resolveAny(undefined, text);
}

/** The text of a property value for humans: references as object id text, all escaped. */
export function cell(sdk: ConsoleModule, v: unknown): string {
  return displayValue(sdk.refText(v));
}

/** `key: value` pairs of every property of an object. */
export function propertyPairs(sdk: ConsoleModule, o: AnyObject): [string, string][] {
  const props = o.props as Record<string, unknown>;
  const pairs: [string, string][] = [];
  for (const p of metaOf(o).properties) {
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

/** The columns a class's table shows: HOST, then the class's listed properties. */
export function tableColumns(meta: ClassMeta, extra: string[] = []): Column[] {
  const cols: Column[] = [{ header: "HOST" }];
  for (const name of listedProperties(meta)) cols.push({ header: name.toUpperCase() });
  for (const name of extra) cols.push({ header: name.toUpperCase() });
  return cols;
}

/** Where an object is reached (a file path, a libvirt URI): the widest cells, listed last. */
const LOCATORS = ["path", "uri"];

/** Types a table cell cannot show: references, timestamps, structured values. */
const UNLISTED_TYPES = new Set(["objId", "absTime", "map", "list"]);

/**
 * Which properties a listing shows, in this order: the label (name, host name or key), the
 * short properties in schema order, the object's `uuid`, then its locators. Left out:
 * references, long texts, timestamps, maps and lists (a Domain's `graphics`: `show` has them),
 * and the UUIDs of other things (a Node's `host_uuid`: the Node is named by its host name).
 */
function listedProperties(meta: ClassMeta): string[] {
  const label = labelProperty(meta);
  const shown = meta.properties.filter(
    (p) => p.name !== label && !UNLISTED_TYPES.has(p.type) && !p.name.endsWith("_uuid"),
  );
  const names = (keep: (p: FieldMeta) => boolean) => shown.filter(keep).map((p) => p.name);
  return [
    ...(label ? [label] : []),
    ...names((p) => p.type !== "lstr" && p.name !== "uuid" && !LOCATORS.includes(p.name)),
    ...names((p) => p.name === "uuid"),
    ...names((p) => LOCATORS.includes(p.name)),
  ];
}

/** One table row for an object (see {@link tableColumns}). */
export function tableRow(sdk: ConsoleModule, o: AnyObject, extra: string[] = []): string[] {
  const props = o.props as Record<string, unknown>;
  return [
    displayValue(o.host),
    ...listedProperties(metaOf(o)).map((n) => cell(sdk, props[n])),
    ...extra.map((e) => displayValue(e)),
  ];
}

/**
 * The details that carry the state of a class without a `state` of its own (a Domain's
 * DomainInfo): its human listing shows that state too.
 */
export function stateDetails(sdk: ConsoleModule, meta: ClassMeta): ClassReference[] {
  const hasState = (m: ClassMeta) => m.properties.some((p) => p.name === "state");
  if (hasState(meta)) return [];
  return sdk.detailReferences(meta).filter((r) => hasState(r.target.meta));
}

/** The schema metadata of an object's class. */
export function metaOf(o: AnyObject): ClassMeta {
  return (o.constructor as ManagedClass<AnyObject>).meta;
}

/** Sorts objects by host, then by name (or object name), then object id. */
export function sortObjects<T extends AnyObject>(objs: T[]): T[] {
  return objs.sort(compareObjects);
}

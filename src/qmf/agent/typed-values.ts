// Application values of an agent's objects, events and method outputs, typed for the wire by
// their schema fields, and compared deeply (only a real change of an object is published).
import { type Encoded, encodeValue, type QmfMap, type QmfValue } from "../codec/index.js";
import type { QmfType } from "../schema/model.js";
import { checkValue, toWire } from "../schema/wire-values.js";
import { ObjectId, objectIdToWire } from "../transport/envelope.js";

/**
 * Each defined value put on the wire with its field's exact type (properties, event
 * arguments, output arguments); `refuse` makes the error for a key with no field, or (with the
 * problem) for a value that does not fit it.
 */
export function typedValues(
  values: Record<string, unknown>,
  fields: ReadonlyMap<string, { type: QmfType }>,
  refuse: (key: string, problem?: Error) => Error,
): QmfMap {
  const wire: QmfMap = {};
  visitValues(values, fields, refuse, wire);
  return wire;
}

/**
 * Checks values as {@link typedValues} would type them, without building anything: `refuse`
 * makes the error for a key with no field, or (with the problem) for a value that does not fit.
 */
export function checkValues(
  values: Record<string, unknown>,
  fields: ReadonlyMap<string, { type: QmfType }>,
  refuse: (key: string, problem?: Error) => Error,
): void {
  visitValues(values, fields, refuse, null);
}

/**
 * The walk of {@link typedValues} and {@link checkValues}: every defined value against its
 * field, typed into `wire`, or only checked when `wire` is null.
 */
function visitValues(
  values: Record<string, unknown>,
  fields: ReadonlyMap<string, { type: QmfType }>,
  refuse: (key: string, problem?: Error) => Error,
  wire: QmfMap | null,
): void {
  // for-in, not Object.entries: this runs for every object an agent publishes, and the
  // entries would be an array per property.
  for (const k in values) {
    if (!Object.hasOwn(values, k)) continue;
    const v = values[k];
    if (v === undefined) continue;
    const field = fields.get(k);
    if (!field) throw refuse(k);
    if (wire === null) {
      const problem = checkValue(field.type, v);
      if (problem !== null) throw refuse(k, new TypeError(problem));
      continue;
    }
    try {
      wire[k] = typedValue(field.type, v);
    } catch (e) {
      throw refuse(k, e as Error);
    }
  }
}

/**
 * The wire form of each object id, encoded once: an agent's objects refer to few ids many
 * times (10,000 Domains all name the one Node), and each object's own id goes out with every
 * publication and query answer. An ObjectId never changes, so its bytes do not either.
 */
const encodedIds = new WeakMap<ObjectId, Encoded>();

/** The encoded `_object_id` map of `id` (kept for as long as `id` is). */
export function encodedObjectId(id: ObjectId): Encoded {
  let e = encodedIds.get(id);
  if (e === undefined) {
    e = encodeValue(objectIdToWire(id));
    encodedIds.set(id, e);
  }
  return e;
}

/** toWire, after turning ObjectIds nested in map/list values into `_object_id` maps. */
function typedValue(type: QmfType, v: unknown): QmfValue {
  if (type === "objId" && v instanceof ObjectId) return encodedObjectId(v);
  return toWire(type, type === "map" || type === "list" ? nestedIds(v) : v);
}

function nestedIds(v: unknown): unknown {
  if (v instanceof ObjectId) return objectIdToWire(v);
  if (Array.isArray(v)) return v.map(nestedIds);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = nestedIds((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Deep equality of application values (bigint, Buffer, Uuid-like `equals`, arrays, maps). */
export function sameValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
    return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValues(a[i], b[i])) return false;
    return true;
  }
  const eq = (a as { equals?: unknown }).equals;
  if (typeof eq === "function") return (eq as (o: unknown) => boolean).call(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a as object).filter(
    (k) => (a as Record<string, unknown>)[k] !== undefined,
  );
  const kb = Object.keys(b as object).filter(
    (k) => (b as Record<string, unknown>)[k] !== undefined,
  );
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!sameValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}

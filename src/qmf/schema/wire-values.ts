// Each schema type's JS value and its exactly-typed wire value, both ways (toWire, fromWire),
// and the check of a method argument against its declared type (checkArgument).
import {
  INT_RANGE,
  isPlainObject,
  type QmfMap,
  type QmfValue,
  Typed,
  Uuid,
  BIG_RANGE as WIRE_BIG_RANGE,
} from "../codec/index.js";
import type { QmfType, SchemaArg } from "./model.js";

/** Longest `sstr`, in UTF-8 bytes. */
export const SSTR_MAX_BYTES = 255;
/**
 * Longest `lstr`, in UTF-8 bytes: libvirt's own limit for a string (a domain XML), 4 MiB.
 * Over 65535 bytes it travels as vbin32.
 */
export const LSTR_MAX_BYTES = 4 * 1024 * 1024;
const FLOAT_MAX = 3.4028234663852886e38;

type SmallInt = "uint8" | "uint16" | "uint32" | "int8" | "int16" | "int32";
type BigIntType = "uint64" | "int64" | "absTime" | "deltaTime";

const SMALL_RANGE: Record<SmallInt, readonly [number, number]> = INT_RANGE;
// absTime travels as int64, deltaTime as uint64.
const BIG_RANGE: Record<BigIntType, readonly [bigint, bigint]> = {
  int64: WIRE_BIG_RANGE.int64,
  absTime: WIRE_BIG_RANGE.int64,
  uint64: WIRE_BIG_RANGE.uint64,
  deltaTime: WIRE_BIG_RANGE.uint64,
};

/** The wire type each schema type is sent as (64-bit and float types are pinned). */
const WIRE_OF = {
  int8: "int8",
  uint8: "uint8",
  int16: "int16",
  uint16: "uint16",
  int32: "int32",
  uint32: "uint32",
  int64: "int64",
  uint64: "uint64",
  absTime: "int64",
  deltaTime: "uint64",
  float: "float",
  double: "double",
} as const;

function article(type: string): string {
  return `${/^[aeio]/.test(type) ? "an" : "a"} ${type}`;
}

/** A short, safe rendering of a value for error messages. */
function show(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "undefined":
      return "undefined";
    case "bigint":
      return `${v}n`;
    case "number":
    case "boolean":
      return String(v);
    case "string":
      return v.length > 40
        ? `${JSON.stringify(v.slice(0, 40))}... (string)`
        : `${JSON.stringify(v)} (string)`;
    case "object":
      if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
      if (Array.isArray(v)) return "an array";
      if (v instanceof Uuid) return `uuid ${v}`;
      if (isPlainObject(v)) return "an object";
      return `a ${(v as object).constructor?.name ?? "class instance"}`;
    default:
      return `a ${typeof v}`;
  }
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Text from a string or (for long text that came as vbin32) a Buffer of UTF-8. */
function textOf(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) {
    try {
      return STRICT_UTF8.decode(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Why a value does not fit its type. The checks return the accepted value itself or one of
 * these, so that accepting a value (every property of every object an agent publishes)
 * allocates nothing.
 */
class Problem {
  constructor(readonly text: string) {}
}

function problem(text: string): Problem {
  return new Problem(text);
}

function integerOf(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  return undefined;
}

/** The object-id map `{_agent_name, _object_name, _agent_epoch?}` from either spelling. */
function objectIdOf(v: unknown): unknown {
  const want = "must be an object id {_agent_name, _object_name[, _agent_epoch]}";
  if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) {
    return problem(`${want}, got ${show(v)}`);
  }
  const o = v as Record<string, unknown>;
  const wireForm = "_agent_name" in o || "_object_name" in o;
  let agent: unknown;
  let object: unknown;
  let epoch: unknown;
  if (wireForm) {
    for (const key of Object.keys(o)) {
      if (key !== "_agent_name" && key !== "_object_name" && key !== "_agent_epoch") {
        return problem(`${want}, got an unexpected key ${JSON.stringify(key)}`);
      }
    }
    agent = o._agent_name;
    object = o._object_name;
    epoch = o._agent_epoch;
  } else if ("agentName" in o || "objectName" in o) {
    // An ObjectId of the session layer: {agentName, objectName, agentEpoch?}.
    agent = o.agentName;
    object = o.objectName;
    epoch = o.agentEpoch;
  } else {
    return problem(`${want}, got ${show(v)}`);
  }
  const agentName = textOf(agent);
  const objectName = textOf(object);
  if (agentName === undefined || agentName === "") {
    return problem(`${want}: _agent_name must be a non-empty string, got ${show(agent)}`);
  }
  if (objectName === undefined || objectName === "") {
    return problem(`${want}: _object_name must be a non-empty string, got ${show(object)}`);
  }
  const id: Record<string, string | number> = { _agent_name: agentName, _object_name: objectName };
  if (epoch !== undefined && epoch !== null) {
    const e = integerOf(epoch);
    if (e === undefined || e < 0n || e > BigInt(Number.MAX_SAFE_INTEGER)) {
      return problem(`${want}: _agent_epoch must be a non-negative integer, got ${show(epoch)}`);
    }
    id._agent_epoch = Number(e);
  }
  return id;
}

/**
 * Checks `value` against `type` and returns it in its canonical JS form: number for ≤ 32-bit
 * integers, float and double; bigint for 64-bit integers, absTime and deltaTime; string for
 * sstr/lstr; {@link Uuid}; the object-id map for objId; the object or array for map/list.
 */
function coerce(type: QmfType, v: unknown): unknown {
  switch (type) {
    case "int8":
    case "uint8":
    case "int16":
    case "uint16":
    case "int32":
    case "uint32": {
      const [lo, hi] = SMALL_RANGE[type];
      const n = typeof v === "bigint" ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n)) {
        return problem(`must be an integer (${type}), got ${show(v)}`);
      }
      if (n < lo || n > hi)
        return problem(`must be ${article(type)} (${lo}..${hi}), got ${show(v)}`);
      return n;
    }
    case "int64":
    case "uint64":
    case "absTime":
    case "deltaTime": {
      const [lo, hi] = BIG_RANGE[type];
      let n = integerOf(v);
      if (
        n === undefined &&
        type === "absTime" &&
        v instanceof Date &&
        !Number.isNaN(v.getTime())
      ) {
        n = BigInt(v.getTime()) * 1_000_000n;
      }
      if (n === undefined) {
        const hint =
          typeof v === "number" && Number.isInteger(v) ? " (beyond 2^53: use a bigint)" : "";
        return problem(`must be an integer (${type}), got ${show(v)}${hint}`);
      }
      if (n < lo || n > hi)
        return problem(`must be ${article(type)} (${lo}..${hi}), got ${show(v)}`);
      return n;
    }
    case "bool":
      if (typeof v !== "boolean") return problem(`must be a boolean, got ${show(v)}`);
      return v;
    case "float":
    case "double": {
      let n = v;
      if (typeof v === "bigint" && v >= -(2n ** 53n) && v <= 2n ** 53n) n = Number(v);
      if (typeof n !== "number") return problem(`must be a number (${type}), got ${show(v)}`);
      if (type === "float" && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) {
        return problem(`must fit a float (|x| ≤ ${FLOAT_MAX}), got ${show(v)}`);
      }
      return n;
    }
    case "sstr":
    case "lstr": {
      const text = textOf(v);
      if (text === undefined) {
        return problem(
          v instanceof Uint8Array
            ? "must be UTF-8 text, got invalid UTF-8"
            : `must be a string, got ${show(v)}`,
        );
      }
      const max = type === "sstr" ? SSTR_MAX_BYTES : LSTR_MAX_BYTES;
      // Cheap bound first: a string of n UTF-16 units has at most 3n UTF-8 bytes.
      if (text.length * 3 > max) {
        const bytes = Buffer.byteLength(text, "utf8");
        if (bytes > max)
          return problem(`must be at most ${max} bytes (${type}), got ${bytes} bytes`);
      }
      return text;
    }
    case "objId":
      return objectIdOf(v);
    case "uuid":
      if (v instanceof Uuid) return v;
      if (Uuid.isUuidText(v)) return Uuid.parse(v);
      if (v instanceof Uint8Array && v.length === 16) return Uuid.fromBytes(v);
      return problem(`must be a uuid, got ${show(v)}`);
    case "map":
      if (!isPlainObject(v)) return problem(`must be a map (plain object), got ${show(v)}`);
      return v;
    case "list":
      if (!Array.isArray(v)) return problem(`must be a list (array), got ${show(v)}`);
      return v;
  }
}

/**
 * A JS value → the codec value that puts it on the wire as `type` says: exact integer widths
 * via `typed()` (uint8 → 0x02 …), absTime as int64 and deltaTime as uint64 nanoseconds (a Date
 * is accepted for absTime), float as 0x23, double as 0x33, text as str16 (vbin32 over 65535
 * bytes), objId as `{_agent_name, _object_name[, _agent_epoch]}` (an ObjectId-like
 * `{agentName, objectName, agentEpoch}` is accepted too), uuid from a {@link Uuid} or its text.
 * Throws a TypeError naming the problem, e.g. `must be a uint8 (0..255), got 300`.
 */
export function toWire(type: QmfType, value: unknown): QmfValue {
  const v = coerce(type, value);
  if (v instanceof Problem) throw new TypeError(v.text);
  const wire = WIRE_OF[type as keyof typeof WIRE_OF];
  // coerce checked the value against the same ranges typed() would check again: an agent puts
  // every property of every object through here.
  return wire === undefined ? (v as QmfValue) : new Typed(wire, v);
}

/**
 * A decoded wire value → its JS form for `type` (see `index.ts`): e.g. a Buffer that carried
 * long text → string for sstr/lstr, a number → bigint for int64/uint64/absTime/deltaTime, a
 * uuid string → {@link Uuid}. Throws a TypeError naming the problem when the value does not
 * fit the type (use {@link checkArgument} to get the reason without an exception).
 */
export function fromWire(type: QmfType, value: unknown): unknown {
  const v = coerce(type, value);
  if (v instanceof Problem) throw new TypeError(v.text);
  return v;
}

/**
 * Checks one argument value against its schema argument. Returns null when the value is
 * acceptable (then {@link fromWire} converts it), else the reason, phrased to follow the
 * argument's name: e.g. `must be a uint8 (0..255), got 300`, `must be at most 255 bytes (sstr),
 * got 300 bytes`, `must be an object id {_agent_name, _object_name[, _agent_epoch]}, got 7`.
 * Callers report it as `argument <name> <reason>`.
 */
export function checkArgument(arg: SchemaArg, value: unknown): string | null {
  return checkValue(arg.type, value);
}

/**
 * Checks a value against a schema type: null when {@link toWire} accepts it, else the reason
 * (as {@link checkArgument} phrases it). An accepted value costs no allocation.
 */
export function checkValue(type: QmfType, value: unknown): string | null {
  const v = coerce(type, value);
  return v instanceof Problem ? v.text : null;
}

/** The object-id map as it goes on the wire; exported for the sessions' convenience. */
export type ObjectIdMap = QmfMap & {
  _agent_name: string;
  _object_name: string;
  _agent_epoch?: number;
};

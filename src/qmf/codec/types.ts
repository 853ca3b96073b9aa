import {
  INT32_MAX,
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
  UINT32_MAX,
  UINT64_MAX,
} from "../../util/int-limits.js";
import { CodecError } from "./errors.js";

/**
 * The AMQP 0-10 type codes QMFv2 bodies use (qpid-cpp `CodeForType.cpp`). The high nibble
 * says how the value is sized: 0x0–0x4 fixed 1/2/4/8/16 bytes, 0x8/0x9/0xa a uint8/uint16/uint32
 * length prefix, 0xf0 no bytes at all.
 */
export const TypeCode = {
  int8: 0x01,
  uint8: 0x02,
  bool: 0x08,
  int16: 0x11,
  uint16: 0x12,
  int32: 0x21,
  uint32: 0x22,
  float: 0x23,
  int64: 0x31,
  uint64: 0x32,
  double: 0x33,
  datetime: 0x38,
  uuid: 0x48,
  vbin8: 0x80,
  str8: 0x85,
  vbin16: 0x90,
  str16: 0x95,
  vbin32: 0xa0,
  map: 0xa8,
  list: 0xa9,
  array: 0xaa,
  void: 0xf0,
} as const;

/**
 * A value the codec can encode and that decoding produces. See the JS → wire defaults in
 * `index.ts`; {@link Typed} overrides them.
 */
export type QmfValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | Uuid
  | Typed
  | Encoded
  | QmfValue[]
  | QmfMap;

/** A map body or nested map: string keys (≤ 255 UTF-8 bytes each). */
export interface QmfMap {
  [key: string]: QmfValue;
}

/** Name of an AMQP 0-10 wire type, as accepted by {@link typed}. */
export type WireType = keyof typeof TypeCode;

/** Type code → wire type name, for the decoder and for messages. */
export const WIRE_TYPE_BY_CODE: ReadonlyMap<number, WireType> = new Map(
  (Object.keys(TypeCode) as WireType[]).map((name) => [TypeCode[name], name]),
);

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A 16-byte UUID (wire type 0x48). Immutable; compare with {@link Uuid.equals}. */
export class Uuid {
  /** The 16 bytes, in wire (big-endian, RFC 4122) order. Do not modify. */
  readonly bytes: Buffer;
  #text: string | undefined;

  private constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  /** Parses the canonical `8-4-4-4-12` hex form (either case). Throws TypeError otherwise. */
  static parse(text: string): Uuid {
    if (typeof text !== "string" || !UUID_TEXT.test(text)) {
      throw new TypeError(`not a UUID (want 8-4-4-4-12 hex digits): ${JSON.stringify(text)}`);
    }
    return new Uuid(Buffer.from(text.replaceAll("-", ""), "hex"));
  }

  /** True when `text` is a UUID in canonical `8-4-4-4-12` hex form. */
  static isUuidText(text: unknown): text is string {
    return typeof text === "string" && UUID_TEXT.test(text);
  }

  /** A copy of exactly 16 bytes as a Uuid. Throws TypeError for any other length. */
  static fromBytes(bytes: Uint8Array): Uuid {
    if (bytes.length !== 16) throw new TypeError(`a UUID has 16 bytes, got ${bytes.length}`);
    return new Uuid(Buffer.from(bytes));
  }

  /** A random (version 4) UUID. */
  static random(): Uuid {
    return Uuid.parse(globalThis.crypto.randomUUID());
  }

  /** Lowercase canonical form, e.g. `0f8fad5b-d9cb-469f-a165-70867728950e`. */
  toString(): string {
    if (this.#text === undefined) {
      const h = this.bytes.toString("hex");
      this.#text = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    return this.#text;
  }

  /** JSON shows the canonical text form. */
  toJSON(): string {
    return this.toString();
  }

  /** `console.log` and `util.inspect` show `Uuid(…text…)`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Uuid(${this.toString()})`;
  }

  /** Same 16 bytes. */
  equals(other: unknown): boolean {
    return other instanceof Uuid && this.bytes.equals(other.bytes);
  }
}

/**
 * A value already encoded (type code and body), made by `encodeValue`: the encoder copies its
 * bytes wherever it appears in a map or list. An agent encodes once what it sends again and
 * again (an object's id, an unchanged object's data) instead of at every indication and query
 * answer. It was checked when it was encoded, nesting included from its own top.
 */
export class Encoded {
  /** @internal use `encodeValue`. */
  constructor(readonly bytes: Buffer) {}
}

/**
 * A value pinned to one wire type, made by {@link typed} or {@link typedArray}. The encoder
 * writes it with exactly that type code instead of the JS → wire default.
 */
export class Typed {
  /** @internal use {@link typed} / {@link typedArray}, which validate the value. */
  constructor(
    readonly type: WireType,
    readonly value: unknown,
    /** Element type, only for `array`. */
    readonly elementType?: WireType,
  ) {}
}

/** The smallest and largest value of each integer wire type up to 32 bits. */
export const INT_RANGE = {
  int8: [-0x80, 0x7f],
  uint8: [0, 0xff],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [INT32_MIN, INT32_MAX],
  uint32: [0, UINT32_MAX],
} as const satisfies Partial<Record<WireType, readonly [number, number]>>;
/** The smallest and largest value of each 64-bit integer wire type (datetime is signed). */
export const BIG_RANGE = {
  int64: [INT64_MIN, INT64_MAX],
  datetime: [INT64_MIN, INT64_MAX],
  uint64: [0n, UINT64_MAX],
} as const satisfies Partial<Record<WireType, readonly [bigint, bigint]>>;
const INT_RANGE_OF: Partial<Record<WireType, readonly [number, number]>> = INT_RANGE;
const BIG_RANGE_OF: Partial<Record<WireType, readonly [bigint, bigint]>> = BIG_RANGE;
const BIN_MAX: Partial<Record<WireType, number>> = {
  vbin8: 0xff,
  str8: 0xff,
  vbin16: 0xffff,
  str16: 0xffff,
  vbin32: 0xffffffff,
};

function bad(type: WireType, value: unknown, why: string): CodecError {
  let shown: string;
  try {
    shown = typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  return new CodecError("UNENCODABLE", `cannot encode ${shown} as ${type}: ${why}`, -1);
}

/** Is `v` a plain object (prototype `Object.prototype` or null) — what the codec encodes as a map? */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Checks `value` against `type` and returns the form the encoder writes (bigint for 64-bit). */
function normalize(type: WireType, value: unknown): unknown {
  const intRange = INT_RANGE_OF[type];
  if (intRange) {
    if (typeof value === "bigint") value = Number(value);
    if (typeof value !== "number" || !Number.isInteger(value))
      throw bad(type, value, "not an integer");
    if (value < intRange[0] || value > intRange[1]) {
      throw bad(type, value, `out of range ${intRange[0]}..${intRange[1]}`);
    }
    return value;
  }
  const bigRange = BIG_RANGE_OF[type];
  if (bigRange) {
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) throw bad(type, value, "not a safe integer (use a bigint)");
      value = BigInt(value);
    }
    if (typeof value !== "bigint") throw bad(type, value, "not an integer");
    if (value < bigRange[0] || value > bigRange[1]) {
      throw bad(type, value, `out of range ${bigRange[0]}..${bigRange[1]}`);
    }
    return value;
  }
  const binMax = BIN_MAX[type];
  if (binMax !== undefined) {
    const isText = type === "str8" || type === "str16";
    let len: number;
    if (typeof value === "string") len = Buffer.byteLength(value, "utf8");
    else if (value instanceof Uint8Array) len = value.length;
    else throw bad(type, value, isText ? "not a string" : "not a Buffer or string");
    if (len > binMax) throw bad(type, value, `${len} bytes, at most ${binMax} fit`);
    return value;
  }
  switch (type) {
    case "bool":
      if (typeof value !== "boolean") throw bad(type, value, "not a boolean");
      return value;
    case "float":
    case "double":
      if (typeof value !== "number") throw bad(type, value, "not a number");
      return value;
    case "uuid":
      if (value instanceof Uuid) return value;
      if (typeof value === "string") {
        if (!Uuid.isUuidText(value)) throw bad(type, value, "not a UUID string");
        return Uuid.parse(value);
      }
      if (value instanceof Uint8Array && value.length === 16) return Uuid.fromBytes(value);
      throw bad(type, value, "not a Uuid");
    case "map":
      if (!isPlainObject(value)) throw bad(type, value, "not a plain object");
      return value;
    case "list":
      if (!Array.isArray(value)) throw bad(type, value, "not an array");
      return value;
    case "void":
      if (value !== null && value !== undefined) throw bad(type, value, "void carries no value");
      return null;
    default:
      throw bad(type, value, "use typedArray() for arrays");
  }
}

/**
 * Pins `value` to the wire type `type`, checking that it fits (range for integers, byte
 * length for str8/str16/vbin*). 64-bit types accept a bigint or a safe-integer number.
 * Throws {@link CodecError} (`UNENCODABLE`) when it does not fit.
 *
 * @example typed("uint8", 7); typed("uint64", 2n ** 64n - 1n); typed("str8", "web1")
 */
export function typed(type: WireType, value: unknown): Typed {
  if (!(type in TypeCode))
    throw new CodecError("UNENCODABLE", `unknown wire type ${String(type)}`, -1);
  return new Typed(type, normalize(type, value));
}

/**
 * An AMQP 0-10 array (0xaa): every element has the same wire type, written once. Decodes back
 * to a plain JS array.
 */
export function typedArray(elementType: WireType, items: readonly unknown[]): Typed {
  if (!(elementType in TypeCode) || elementType === "array") {
    throw new CodecError(
      "UNENCODABLE",
      `unsupported array element type ${String(elementType)}`,
      -1,
    );
  }
  if (!Array.isArray(items)) throw bad("array", items, "not an array");
  return new Typed(
    "array",
    items.map((item) => normalize(elementType, item)),
    elementType,
  );
}

export { isPlainObject };

/**
 * The text of a decoded value: str8/str16 arrive as a `string`, text over 64 KiB (and text
 * from peers that send it as binary) as a vbin `Buffer` of UTF-8. Anything else is not text:
 * `undefined`.
 */
export function wireText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  return undefined;
}

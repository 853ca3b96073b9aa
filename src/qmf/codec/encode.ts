import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, UINT64_MAX } from "../../util/int-limits.js";
import { CodecError } from "./errors.js";
import {
  Encoded,
  isPlainObject,
  type QmfMap,
  type QmfValue,
  TypeCode,
  Typed,
  Uuid,
  type WireType,
} from "./types.js";

/** Containers (maps, lists, arrays) nested deeper than this are refused; also stops cycles. */
export const MAX_ENCODE_DEPTH = 64;

const TWO_32 = 0x100000000;
/** Strings up to this many UTF-16 units always fit str16 (≤ 3 UTF-8 bytes per unit). */
const SURELY_STR16 = Math.floor(0xffff / 3);
/** The scratch buffer is kept between calls only up to this size. */
const KEEP_SCRATCH = 1 << 20;

/**
 * Output buffer that grows by doubling. One scratch buffer is reused across calls (encoding
 * is synchronous) so a steady stream of messages allocates only the final copy.
 */
class Writer {
  buf: Buffer;
  pos = 0;
  constructor(buf: Buffer) {
    this.buf = buf;
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
  }

  /** Raw bytes, no length prefix (a uuid's 16). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A safe integer as two's-complement int64, without going through bigint. */
  int64FromNumber(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    const lo = v - hi * TWO_32;
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(lo, this.pos + 4);
    this.pos += 8;
  }
}

let scratch: Buffer | null = Buffer.allocUnsafe(64 * 1024);

function withWriter(body: (w: Writer) => void): Buffer {
  // A getter in the value could call encode again while we hold the scratch buffer.
  const own = scratch;
  scratch = null;
  const w = new Writer(own ?? Buffer.allocUnsafe(4096));
  try {
    body(w);
    const out = Buffer.allocUnsafe(w.pos);
    w.buf.copy(out, 0, 0, w.pos);
    return out;
  } finally {
    if (own) scratch = w.buf.length <= KEEP_SCRATCH ? w.buf : own;
  }
}

function fail(detail: string): never {
  throw new CodecError("UNENCODABLE", detail, -1);
}

function describe(v: unknown): string {
  if (v === null || typeof v !== "object") return typeof v;
  return (v as object).constructor?.name ?? "object";
}

/** Writes UTF-8 at `at` (capacity already ensured); a JS loop beats the native call for short ASCII. */
function writeUtf8(buf: Buffer, s: string, at: number): number {
  const n = s.length;
  if (n <= 16) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[at + i] = c;
    }
    if (i === n) return n;
  }
  return buf.write(s, at, "utf8");
}

function keyTooLong(key: string): never {
  const shown = key.length > 20 ? `${key.slice(0, 20)}...` : key;
  fail(`map key ${JSON.stringify(shown)} is ${Buffer.byteLength(key)} bytes (at most 255)`);
}

function writeKey(w: Writer, key: string): void {
  if (key.length > 255) keyTooLong(key);
  w.ensure(1 + key.length * 3);
  const n = writeUtf8(w.buf, key, w.pos + 1);
  if (n > 255) keyTooLong(key);
  w.buf[w.pos] = n;
  w.pos += 1 + n;
}

/** Text: str16 when it fits, else vbin32 (qpid refuses str16 over 65535 bytes). */
function writeString(w: Writer, s: string): void {
  if (s.length <= SURELY_STR16) {
    w.ensure(3 + s.length * 3);
    const n = writeUtf8(w.buf, s, w.pos + 3);
    const b = w.buf;
    const p = w.pos;
    b[p] = TypeCode.str16;
    b[p + 1] = n >>> 8;
    b[p + 2] = n;
    w.pos = p + 3 + n;
    return;
  }
  const n = Buffer.byteLength(s, "utf8");
  if (n <= 0xffff) {
    w.ensure(3 + n);
    w.buf[w.pos] = TypeCode.str16;
    w.buf.writeUInt16BE(n, w.pos + 1);
    w.buf.write(s, w.pos + 3, n, "utf8");
    w.pos += 3 + n;
  } else {
    if (n > 0xffffffff) fail(`string of ${n} bytes`);
    w.ensure(5 + n);
    w.buf[w.pos] = TypeCode.vbin32;
    w.buf.writeUInt32BE(n, w.pos + 1);
    w.buf.write(s, w.pos + 5, n, "utf8");
    w.pos += 5 + n;
  }
}

function writeBytes(w: Writer, bytes: Uint8Array, lengthSize: 1 | 2 | 4): void {
  const n = bytes.length;
  if (lengthSize === 1) w.u8(n);
  else if (lengthSize === 2) w.u16(n);
  else w.u32(n);
  w.raw(bytes);
}

function writeBigInt(w: Writer, v: bigint): void {
  w.ensure(9);
  if (v >= INT64_MIN && v <= INT64_MAX) {
    w.buf[w.pos] = TypeCode.int64;
    w.buf.writeBigInt64BE(v, w.pos + 1);
  } else if (v > INT64_MAX && v <= UINT64_MAX) {
    w.buf[w.pos] = TypeCode.uint64;
    w.buf.writeBigUInt64BE(v, w.pos + 1);
  } else {
    fail(`bigint ${v} is outside int64 and uint64`);
  }
  w.pos += 9;
}

/** Type code + value, choosing the wire type from the JS type. */
function writeValue(w: Writer, v: unknown, depth: number): void {
  switch (typeof v) {
    case "string":
      writeString(w, v);
      return;
    case "number":
      if (Number.isInteger(v) && !Object.is(v, -0)) {
        if (v >= INT32_MIN && v <= INT32_MAX) {
          w.ensure(5);
          w.buf[w.pos] = TypeCode.int32;
          w.buf.writeInt32BE(v, w.pos + 1);
          w.pos += 5;
          return;
        }
        if (Number.isSafeInteger(v)) {
          w.u8(TypeCode.int64);
          w.int64FromNumber(v);
          return;
        }
      }
      w.ensure(9);
      w.buf[w.pos] = TypeCode.double;
      w.buf.writeDoubleBE(v, w.pos + 1);
      w.pos += 9;
      return;
    case "boolean":
      w.ensure(2);
      w.buf[w.pos] = TypeCode.bool;
      w.buf[w.pos + 1] = v ? 1 : 0;
      w.pos += 2;
      return;
    case "bigint":
      writeBigInt(w, v);
      return;
    case "undefined":
      w.u8(TypeCode.void);
      return;
    case "object":
      if (v === null) {
        w.u8(TypeCode.void);
      } else if (Array.isArray(v)) {
        w.u8(TypeCode.list);
        writeListBody(w, v, depth + 1);
      } else if (v instanceof Encoded) {
        w.raw(v.bytes);
      } else if (v instanceof Typed) {
        w.u8(TypeCode[v.type]);
        writeTypedBody(w, v.type, v.value, depth, v.elementType);
      } else if (v instanceof Uuid) {
        w.ensure(17);
        w.buf[w.pos] = TypeCode.uuid;
        w.buf.set(v.bytes, w.pos + 1);
        w.pos += 17;
      } else if (v instanceof Uint8Array) {
        if (v.length <= 0xffff) {
          w.u8(TypeCode.vbin16);
          writeBytes(w, v, 2);
        } else {
          w.u8(TypeCode.vbin32);
          writeBytes(w, v, 4);
        }
      } else if (isPlainObject(v)) {
        w.u8(TypeCode.map);
        writeMapBody(w, v, depth + 1);
      } else {
        fail(
          `a ${describe(v)} has no wire form (use a plain object, array, Buffer, Uuid or typed())`,
        );
      }
      return;
    default:
      fail(`a ${typeof v} has no wire form`);
  }
}

/** The value of an already-validated {@link Typed} (its type code is written by the caller). */
function writeTypedBody(
  w: Writer,
  type: WireType,
  value: unknown,
  depth: number,
  elementType?: WireType,
): void {
  switch (type) {
    case "int8":
    case "uint8":
      w.u8((value as number) & 0xff);
      return;
    case "bool":
      w.u8(value ? 1 : 0);
      return;
    case "int16":
    case "uint16":
      w.u16((value as number) & 0xffff);
      return;
    case "int32":
    case "uint32":
      w.u32(value as number);
      return;
    case "float":
      w.f32(value as number);
      return;
    case "double":
      w.f64(value as number);
      return;
    case "int64":
    case "datetime":
      w.i64(value as bigint);
      return;
    case "uint64":
      w.u64(value as bigint);
      return;
    case "uuid":
      w.raw((value as Uuid).bytes);
      return;
    case "vbin8":
    case "str8":
    case "vbin16":
    case "str16":
    case "vbin32": {
      const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : (value as Uint8Array);
      writeBytes(w, bytes, type === "vbin32" ? 4 : type === "vbin16" || type === "str16" ? 2 : 1);
      return;
    }
    case "map":
      writeMapBody(w, value as Record<string, unknown>, depth + 1);
      return;
    case "list":
      writeListBody(w, value as unknown[], depth + 1);
      return;
    case "array":
      writeArrayBody(w, value as unknown[], elementType!, depth + 1);
      return;
    case "void":
      return;
  }
}

function tooDeep(): never {
  throw new CodecError(
    "TOO_DEEP",
    `containers nested deeper than ${MAX_ENCODE_DEPTH} (or a cycle)`,
    -1,
  );
}

function withPath(err: unknown, step: string): unknown {
  if (!(err instanceof CodecError) || err.offset >= 0) return err;
  const path =
    err.path === undefined ? step : step + (err.path.startsWith("[") ? "" : ".") + err.path;
  return new CodecError(err.code, err.detail, -1, { path, cause: err.cause });
}

/** size (uint32, bytes after itself), count (uint32), entries of key str8 + type code + value. */
function writeMapBody(w: Writer, m: Record<string, unknown>, depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) tooDeep();
  w.ensure(8);
  const start = w.pos;
  w.pos += 8;
  let count = 0;
  for (const key in m) {
    if (!Object.hasOwn(m, key)) continue;
    writeKey(w, key);
    try {
      writeValue(w, m[key], depth);
    } catch (err) {
      throw withPath(err, key);
    }
    count++;
  }
  w.buf.writeUInt32BE(w.pos - start - 4, start);
  w.buf.writeUInt32BE(count, start + 4);
}

/** size (uint32), count (uint32), then type code + value per item. */
function writeListBody(w: Writer, l: readonly unknown[], depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) tooDeep();
  w.ensure(8);
  const start = w.pos;
  w.pos += 8;
  const n = l.length;
  for (let i = 0; i < n; i++) {
    try {
      writeValue(w, l[i], depth);
    } catch (err) {
      throw withPath(err, `[${i}]`);
    }
  }
  w.buf.writeUInt32BE(w.pos - start - 4, start);
  w.buf.writeUInt32BE(n, start + 4);
}

/** size (uint32), element type code (uint8), count (uint32), then bare values. */
function writeArrayBody(
  w: Writer,
  items: readonly unknown[],
  elementType: WireType,
  depth: number,
): void {
  if (depth > MAX_ENCODE_DEPTH) tooDeep();
  w.ensure(9);
  const start = w.pos;
  w.buf[start + 4] = TypeCode[elementType];
  w.buf.writeUInt32BE(items.length, start + 5);
  w.pos += 9;
  for (let i = 0; i < items.length; i++) {
    try {
      writeTypedBody(w, elementType, items[i], depth);
    } catch (err) {
      throw withPath(err, `[${i}]`);
    }
  }
  w.buf.writeUInt32BE(w.pos - start - 4, start);
}

/** Encodes a map body (`amqp/map`). Throws {@link CodecError} for a value with no wire form. */
export function encodeMap(m: QmfMap): Buffer {
  if (!isPlainObject(m)) fail(`a map body must be a plain object, got ${describe(m)}`);
  return withWriter((w) => writeMapBody(w, m, 1));
}

/**
 * Encodes one value (type code and body) for reuse inside maps and lists that are encoded
 * later. Throws {@link CodecError} for a value with no wire form.
 */
export function encodeValue(v: QmfValue): Encoded {
  return new Encoded(withWriter((w) => writeValue(w, v, 1)));
}

/** Encodes a list body (`amqp/list`). Throws {@link CodecError} for a value with no wire form. */
export function encodeList(l: readonly QmfValue[]): Buffer {
  if (!Array.isArray(l)) fail(`a list body must be an array, got ${describe(l)}`);
  return withWriter((w) => writeListBody(w, l, 1));
}

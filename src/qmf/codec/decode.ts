import { CodecError } from "./errors.js";
import { type QmfMap, type QmfValue, TypeCode, Uuid, WIRE_TYPE_BY_CODE } from "./types.js";

/** Bounds for decoding an untrusted body. */
export interface DecodeLimits {
  /**
   * Deepest nesting of maps, lists and arrays accepted; the body itself is depth 1.
   * Default {@link DEFAULT_MAX_DEPTH}.
   */
  maxDepth?: number;
}

/** Default for {@link DecodeLimits.maxDepth}; the encoder refuses deeper values too. */
export const DEFAULT_MAX_DEPTH = 64;

/** {@link FIXED_WIDTH} as a 256-entry table (0 = not fixed-width), for the hot path. */
const WIDTH_BY_CODE = new Uint8Array(256);

const KEY_CACHE_SIZE = 1024;
/** Recently decoded ASCII map keys, by a hash of their bytes (see Reader.key). */
const keyCache: (string | undefined)[] = new Array(KEY_CACHE_SIZE).fill(undefined);

/** Bytes taken by a value of each fixed-width type code (everything else is variable). */
const FIXED_WIDTH = new Map<number, number>([
  [TypeCode.int8, 1],
  [TypeCode.uint8, 1],
  [TypeCode.bool, 1],
  [TypeCode.int16, 2],
  [TypeCode.uint16, 2],
  [TypeCode.int32, 4],
  [TypeCode.uint32, 4],
  [TypeCode.float, 4],
  [TypeCode.int64, 8],
  [TypeCode.uint64, 8],
  [TypeCode.double, 8],
  [TypeCode.datetime, 8],
  [TypeCode.uuid, 16],
]);

for (const [code, width] of FIXED_WIDTH) WIDTH_BY_CODE[code] = width;

/**
 * Every read is checked against `end`, the end of the innermost container, so a lying size
 * or count is caught before anything is allocated from it.
 */
class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly maxDepth: number,
  ) {}

  truncated(what: string, need: number, end: number): never {
    throw new CodecError(
      "TRUNCATED",
      `${what} needs ${need} bytes but only ${Math.max(0, end - this.pos)} remain`,
      this.pos,
    );
  }

  need(n: number, end: number, what: string): void {
    if (this.pos + n > end) this.truncated(what, n, end);
  }

  u32(end: number, what: string): number {
    this.need(4, end, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** Reads a container's size field and returns the end offset it declares. */
  containerEnd(end: number, kind: string): number {
    const size = this.u32(end, `${kind} size`);
    if (size > end - this.pos) {
      throw new CodecError(
        "TRUNCATED",
        `${kind} size ${size} exceeds the ${end - this.pos} bytes remaining`,
        this.pos - 4,
      );
    }
    return this.pos + size;
  }

  checkDepth(depth: number, at: number): void {
    if (depth > this.maxDepth) {
      throw new CodecError("TOO_DEEP", `containers nested deeper than ${this.maxDepth}`, at);
    }
  }

  checkEnd(end: number, kind: string): void {
    if (this.pos !== end) {
      throw new CodecError(
        "SIZE_MISMATCH",
        `${kind} size field says it ends at byte ${end} but its items end at byte ${this.pos}`,
        this.pos,
      );
    }
  }

  checkCount(count: number, minItemBytes: number, end: number, kind: string): void {
    if (count * minItemBytes > end - this.pos) {
      throw new CodecError(
        "BAD_COUNT",
        `${kind} count ${count} cannot fit in ${end - this.pos} bytes`,
        this.pos - 4,
      );
    }
  }

  text(start: number, n: number): string {
    const b = this.buf;
    // Short ASCII (keys, names) is decoded faster in JS than by the native call.
    if (n <= 16) {
      let s = "";
      for (let i = start; i < start + n; i++) {
        const c = b[i]!;
        if (c >= 0x80) return b.toString("utf8", start, start + n);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return b.toString("utf8", start, start + n);
  }

  /**
   * A map key. QMF bodies repeat the same few keys thousands of times; handing back the same
   * string object each time saves building it and lets V8 skip re-internalising it on the
   * property store, which dominated decoding time.
   */
  key(start: number, n: number): string {
    if (n > 32) return this.text(start, n);
    const b = this.buf;
    let h = n;
    for (let i = start; i < start + n; i++) {
      const c = b[i]!;
      if (c >= 0x80) return b.toString("utf8", start, start + n);
      h = (Math.imul(h, 31) + c) | 0;
    }
    const slot = h & (KEY_CACHE_SIZE - 1);
    const cached = keyCache[slot];
    if (cached !== undefined && cached.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (cached.charCodeAt(i) !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    const key = this.text(start, n);
    keyCache[slot] = key;
    return key;
  }

  /** A length-prefixed byte run; returns its start offset, leaves pos after it. */
  run(lengthSize: 1 | 2 | 4, end: number, kind: string): number {
    this.need(lengthSize, end, `${kind} length`);
    const b = this.buf;
    const p = this.pos;
    const n =
      lengthSize === 1 ? b[p]! : lengthSize === 2 ? (b[p]! << 8) | b[p + 1]! : this.u32(end, kind);
    if (lengthSize !== 4) this.pos = p + lengthSize;
    if (n > end - this.pos) {
      throw new CodecError(
        "TRUNCATED",
        `${kind} length ${n} exceeds the ${end - this.pos} bytes remaining`,
        p,
      );
    }
    this.runLength = n;
    const start = this.pos;
    this.pos = start + n;
    return start;
  }
  runLength = 0;

  value(code: number, end: number, depth: number): QmfValue {
    const b = this.buf;
    const p = this.pos;
    const width = WIDTH_BY_CODE[code]!;
    if (width !== 0) {
      if (p + width > end) this.truncated(WIRE_TYPE_BY_CODE.get(code)!, width, end);
      this.pos = p + width;
    }
    switch (code) {
      case TypeCode.int8:
        return (b[p]! << 24) >> 24;
      case TypeCode.uint8:
        return b[p]!;
      case TypeCode.bool:
        return b[p] !== 0;
      case TypeCode.int16:
        return (((b[p]! << 8) | b[p + 1]!) << 16) >> 16;
      case TypeCode.uint16:
        return (b[p]! << 8) | b[p + 1]!;
      case TypeCode.int32:
        return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
      case TypeCode.uint32:
        return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      case TypeCode.float:
        return b.readFloatBE(p);
      case TypeCode.int64:
      case TypeCode.datetime:
        return b.readBigInt64BE(p);
      case TypeCode.uint64:
        return b.readBigUInt64BE(p);
      case TypeCode.double:
        return b.readDoubleBE(p);
      case TypeCode.uuid:
        return Uuid.fromBytes(b.subarray(p, p + 16));
      case TypeCode.str8: {
        const start = this.run(1, end, "str8");
        return this.text(start, this.runLength);
      }
      case TypeCode.str16: {
        const start = this.run(2, end, "str16");
        return this.text(start, this.runLength);
      }
      case TypeCode.vbin8:
      case TypeCode.vbin16:
      case TypeCode.vbin32: {
        const size = code === TypeCode.vbin8 ? 1 : code === TypeCode.vbin16 ? 2 : 4;
        const start = this.run(size, end, WIRE_TYPE_BY_CODE.get(code)!);
        // A copy, so the result does not pin (or alias) the whole message buffer.
        return Buffer.from(b.subarray(start, start + this.runLength));
      }
      case TypeCode.map:
        return this.map(end, depth + 1);
      case TypeCode.list:
        return this.list(end, depth + 1);
      case TypeCode.array:
        return this.array(end, depth + 1);
      case TypeCode.void:
        return null;
      default:
        throw new CodecError(
          "BAD_TYPE_CODE",
          `unknown type code 0x${code.toString(16).padStart(2, "0")}`,
          p - 1,
        );
    }
  }

  typeCode(end: number): number {
    if (this.pos >= end) this.truncated("type code", 1, end);
    return this.buf[this.pos++]!;
  }

  map(outerEnd: number, depth: number): QmfMap {
    this.checkDepth(depth, this.pos);
    const end = this.containerEnd(outerEnd, "map");
    const m: QmfMap = {};
    // qpid writes an empty container either as size 4 + count 0 or as a bare size 0.
    if (end === this.pos) return m;
    const count = this.u32(end, "map count");
    // Smallest entry: an empty key (1 byte) and a void value (1 type code byte).
    this.checkCount(count, 2, end, "map");
    const b = this.buf;
    for (let i = 0; i < count; i++) {
      if (this.pos >= end) this.truncated("map key length", 1, end);
      const keyLength = b[this.pos++]!;
      if (keyLength > end - this.pos) {
        throw new CodecError(
          "TRUNCATED",
          `map key length ${keyLength} exceeds the ${end - this.pos} bytes remaining`,
          this.pos - 1,
        );
      }
      const key = this.key(this.pos, keyLength);
      this.pos += keyLength;
      const value = this.value(this.typeCode(end), end, depth);
      if (key === "__proto__") {
        // Plain assignment would replace the object's prototype.
        Object.defineProperty(m, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        m[key] = value;
      }
    }
    this.checkEnd(end, "map");
    return m;
  }

  list(outerEnd: number, depth: number): QmfValue[] {
    this.checkDepth(depth, this.pos);
    const end = this.containerEnd(outerEnd, "list");
    const l: QmfValue[] = [];
    if (end === this.pos) return l;
    const count = this.u32(end, "list count");
    this.checkCount(count, 1, end, "list");
    for (let i = 0; i < count; i++) l.push(this.value(this.typeCode(end), end, depth));
    this.checkEnd(end, "list");
    return l;
  }

  array(outerEnd: number, depth: number): QmfValue[] {
    this.checkDepth(depth, this.pos);
    const end = this.containerEnd(outerEnd, "array");
    const l: QmfValue[] = [];
    if (end === this.pos) return l;
    const codeAt = this.pos;
    const code = this.typeCode(end);
    if (!WIRE_TYPE_BY_CODE.has(code)) {
      throw new CodecError(
        "BAD_TYPE_CODE",
        `unknown array element type code 0x${code.toString(16).padStart(2, "0")}`,
        codeAt,
      );
    }
    if (code === TypeCode.void) {
      // Void elements take no bytes, so a 9-byte body could claim 4 billion of them.
      throw new CodecError("BAD_TYPE_CODE", "array of void elements is not accepted", codeAt);
    }
    const count = this.u32(end, "array count");
    const width = FIXED_WIDTH.get(code);
    if (width !== undefined && count * width !== end - this.pos) {
      throw new CodecError(
        "SIZE_MISMATCH",
        `array of ${count} × ${width}-byte items in ${end - this.pos} bytes`,
        this.pos - 4,
      );
    }
    this.checkCount(count, width ?? 1, end, "array");
    for (let i = 0; i < count; i++) l.push(this.value(code, end, depth));
    this.checkEnd(end, "array");
    return l;
  }
}

function reader(body: Buffer, limits: DecodeLimits | undefined): Reader {
  if (!Buffer.isBuffer(body)) {
    throw new CodecError("TRUNCATED", "body is not a Buffer", 0);
  }
  const maxDepth = limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  return new Reader(body, maxDepth);
}

function checkTrailing(r: Reader): void {
  if (r.pos !== r.buf.length) {
    throw new CodecError(
      "TRAILING_BYTES",
      `${r.buf.length - r.pos} bytes after the end of the body`,
      r.pos,
    );
  }
}

/**
 * Decodes an `amqp/map` body. An empty (0-byte) body is an empty map. Throws only
 * {@link CodecError}.
 */
export function decodeMap(body: Buffer, limits?: DecodeLimits): QmfMap {
  const r = reader(body, limits);
  if (body.length === 0) return {};
  const m = r.map(body.length, 1);
  checkTrailing(r);
  return m;
}

/**
 * Decodes an `amqp/list` body. An empty (0-byte) body is an empty list. Throws only
 * {@link CodecError}.
 */
export function decodeList(body: Buffer, limits?: DecodeLimits): QmfValue[] {
  const r = reader(body, limits);
  if (body.length === 0) return [];
  const l = r.list(body.length, 1);
  checkTrailing(r);
  return l;
}

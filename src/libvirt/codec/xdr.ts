// XDR (RFC 4506) primitives as libvirt's rpcgen uses them: big-endian, every item padded to a
// multiple of 4 bytes. Pure: no sockets, no timers.
//
// The reader checks every length against both the declared maximum and the bytes actually
// left *before* allocating, so a hostile count cannot make us allocate gigabytes.
import {
  INT32_MAX,
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
  UINT32_MAX,
  UINT64_MAX,
} from "../../util/int-limits.js";
import { InvalidArgumentError, ProtocolError } from "../errors.js";

const pad4 = (n: number): number => (4 - (n & 3)) & 3;

/** Strings up to this many chars try the ASCII fast path of {@link XdrWriter.string}. */
const SHORT_STRING = 256;

/** Appends XDR items to a growing buffer. */
export class XdrWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /**
   * Makes room for `n` bytes, moves past them and returns where they start (read `this.buf`
   * after: making room may replace it).
   */
  private advance(n: number): number {
    this.reserve(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int(value: number, what = "int"): void {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw new InvalidArgumentError(`${what} must be a 32-bit signed integer, got ${value}`);
    }
    const at = this.advance(4);
    this.buf.writeInt32BE(value, at);
  }

  uint(value: number, what = "unsigned int"): void {
    if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
      throw new InvalidArgumentError(`${what} must be a 32-bit unsigned integer, got ${value}`);
    }
    const at = this.advance(4);
    this.buf.writeUInt32BE(value, at);
  }

  hyper(value: bigint, what = "hyper"): void {
    if (typeof value !== "bigint" || value < INT64_MIN || value > INT64_MAX) {
      throw new InvalidArgumentError(
        `${what} must be a signed 64-bit bigint, got ${String(value)}`,
      );
    }
    const at = this.advance(8);
    this.buf.writeBigInt64BE(value, at);
  }

  uhyper(value: bigint, what = "unsigned hyper"): void {
    if (typeof value !== "bigint" || value < 0n || value > UINT64_MAX) {
      throw new InvalidArgumentError(
        `${what} must be an unsigned 64-bit bigint, got ${String(value)}`,
      );
    }
    const at = this.advance(8);
    this.buf.writeBigUInt64BE(value, at);
  }

  double(value: number, what = "double"): void {
    if (typeof value !== "number") {
      throw new InvalidArgumentError(`${what} must be a number, got ${typeof value}`);
    }
    const at = this.advance(8);
    this.buf.writeDoubleBE(value, at);
  }

  bool(value: boolean): void {
    this.int(value ? 1 : 0);
  }

  /** Variable-length string: u32 byte length, UTF-8 bytes, zero padding. */
  string(value: string, maxBytes: number, what = "string"): void {
    if (typeof value !== "string") {
      throw new InvalidArgumentError(`${what} must be a string, got ${typeof value}`);
    }
    // Short ASCII text (names, UUID-less handles: most arguments) is copied char by char:
    // cheaper than measuring and encoding UTF-8 through Buffer for a few bytes.
    if (value.length <= SHORT_STRING && value.length <= maxBytes && this.asciiString(value)) {
      return;
    }
    const len = Buffer.byteLength(value, "utf8");
    if (len > maxBytes) {
      throw new InvalidArgumentError(`${what} is ${len} bytes, over the limit of ${maxBytes}`);
    }
    const padding = pad4(len);
    this.reserve(4 + len + padding);
    this.buf.writeUInt32BE(len, this.pos);
    this.pos += 4;
    this.buf.write(value, this.pos, len, "utf8");
    this.pos += len;
    for (let i = 0; i < padding; i++) this.buf[this.pos++] = 0;
  }

  /** Writes `value` as a string if it is all ASCII; otherwise writes nothing, returns false. */
  private asciiString(value: string): boolean {
    const len = value.length;
    const padding = pad4(len);
    this.reserve(4 + len + padding);
    const buf = this.buf;
    const start = this.pos + 4;
    for (let i = 0; i < len; i++) {
      const c = value.charCodeAt(i);
      if (c > 0x7f) return false;
      buf[start + i] = c;
    }
    buf.writeUInt32BE(len, this.pos);
    let end = start + len;
    for (let i = 0; i < padding; i++) buf[end++] = 0;
    this.pos = end;
    return true;
  }

  /** Fixed-length opaque: exactly `size` bytes plus padding, no length word. */
  fixedOpaque(value: Uint8Array, size: number, what = "opaque"): void {
    if (value.length !== size) {
      throw new InvalidArgumentError(`${what} must be exactly ${size} bytes, got ${value.length}`);
    }
    const padding = pad4(size);
    this.reserve(size + padding);
    this.buf.set(value, this.pos);
    this.pos += size;
    for (let i = 0; i < padding; i++) this.buf[this.pos++] = 0;
  }

  /** Variable-length opaque: u32 length, bytes, padding. */
  opaque(value: Uint8Array, maxBytes: number, what = "opaque"): void {
    if (value.length > maxBytes) {
      throw new InvalidArgumentError(
        `${what} is ${value.length} bytes, over the limit of ${maxBytes}`,
      );
    }
    this.uint(value.length);
    this.fixedOpaque(value, value.length, what);
  }

  /** Overwrites a u32 written earlier (used to fill in the packet length). */
  patchUint(offset: number, value: number): void {
    this.buf.writeUInt32BE(value, offset);
  }

  /** The bytes written (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Reads XDR items from a buffer, bounds-checked. Every failure is a {@link ProtocolError}. */
export class XdrReader {
  private pos: number;
  private readonly end: number;

  /**
   * `ownsBuffer`: nothing else will write to `buf` (a packet the frame decoder assembled in
   * memory of its own), so {@link XdrReader.takeRest} may hand out a view instead of a copy.
   */
  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
    private readonly ownsBuffer = false,
  ) {
    this.pos = start;
    this.end = end;
  }

  /** Current offset inside the buffer. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw new ProtocolError(
        `truncated XDR: ${what} needs ${n} bytes at offset ${this.pos}, only ${this.end - this.pos} left`,
        { offset: this.pos },
      );
    }
  }

  /** Checks that `n` bytes are left, moves past them and returns where they start. */
  private take(n: number, what: string): number {
    this.need(n, what);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int(): number {
    return this.buf.readInt32BE(this.take(4, "int"));
  }

  uint(): number {
    return this.buf.readUInt32BE(this.take(4, "unsigned int"));
  }

  hyper(): bigint {
    return this.buf.readBigInt64BE(this.take(8, "hyper"));
  }

  uhyper(): bigint {
    return this.buf.readBigUInt64BE(this.take(8, "unsigned hyper"));
  }

  double(): number {
    return this.buf.readDoubleBE(this.take(8, "double"));
  }

  bool(): boolean {
    const at = this.pos;
    const v = this.int();
    if (v !== 0 && v !== 1) {
      throw new ProtocolError(`XDR bool at offset ${at} is ${v}, not 0 or 1`, { offset: at });
    }
    return v === 1;
  }

  /** The length prefix of a string or variable-length opaque, checked against its limit. */
  private lengthPrefix(what: "string" | "opaque", maxBytes: number): number {
    const at = this.pos;
    const len = this.uint();
    if (len > maxBytes) {
      throw new ProtocolError(
        `XDR ${what} at offset ${at} claims ${len} bytes, over the limit of ${maxBytes}`,
        { offset: at },
      );
    }
    return len;
  }

  string(maxBytes: number): string {
    const len = this.lengthPrefix("string", maxBytes);
    const start = this.take(len + pad4(len), "string body");
    return this.buf.toString("utf8", start, start + len);
  }

  fixedOpaque(size: number): Buffer {
    const start = this.take(size + pad4(size), "opaque");
    // Copy: the packet buffer may be large and we must not pin it for a 16-byte UUID.
    return Buffer.from(this.buf.subarray(start, start + size));
  }

  /**
   * Fixed-length opaque converted in place: `convert` sees the packet bytes at the item's
   * offset (only during the call) and returns the value. Saves the copy of
   * {@link XdrReader.fixedOpaque} when the bytes become something else anyway (a UUID's text).
   */
  readFixed<T>(size: number, convert: (bytes: Buffer, offset: number) => T): T {
    const total = size + pad4(size);
    this.need(total, "opaque");
    const value = convert(this.buf, this.pos);
    this.pos += total;
    return value;
  }

  opaque(maxBytes: number): Buffer {
    const len = this.lengthPrefix("opaque", maxBytes);
    return this.fixedOpaque(len);
  }

  /**
   * Reads an array count and checks it against the declared maximum and against the bytes
   * left (each element takes at least `minElementBytes`), before anything is allocated.
   */
  arrayLength(max: number, minElementBytes: number): number {
    const at = this.pos;
    const n = this.uint();
    if (n > max) {
      throw new ProtocolError(`XDR array at offset ${at} claims ${n} elements, over ${max}`, {
        offset: at,
      });
    }
    if (n * minElementBytes > this.end - this.pos) {
      throw new ProtocolError(
        `XDR array at offset ${at} claims ${n} elements but only ${this.end - this.pos} bytes follow`,
        { offset: at },
      );
    }
    return n;
  }

  /**
   * Takes every byte not read yet, for whoever decodes it later: a view if the reader owns its
   * buffer, else a copy, since the buffer may be the socket's reused read buffer.
   */
  takeRest(): Buffer {
    const view = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return this.ownsBuffer ? view : Buffer.from(view);
  }

  /** Fails if bytes are left over: a payload must be consumed exactly. */
  finish(what: string): void {
    if (this.pos !== this.end) {
      throw new ProtocolError(
        `${this.end - this.pos} unexpected trailing bytes after ${what} at offset ${this.pos}`,
        { offset: this.pos },
      );
    }
  }
}

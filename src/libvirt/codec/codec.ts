// Composable XDR codecs: each libvirt struct is declared once as data (field name → codec) and
// gets both directions from it. Field order in the declaration is wire order.
import { InvalidArgumentError } from "../errors.js";
import { XdrReader, XdrWriter } from "./xdr.js";

/** Encodes and decodes one XDR type. `minBytes` is its smallest wire size (for array checks). */
export interface Codec<T> {
  readonly minBytes: number;
  encode(w: XdrWriter, value: T): void;
  decode(r: XdrReader): T;
}

/** The JS type a codec produces. */
export type CodecType<C> = C extends Codec<infer T> ? T : never;

/** libvirt's REMOTE_STRING_MAX (4 MiB). */
export const REMOTE_STRING_MAX = 4 * 1024 * 1024;

/** `void`: no bytes at all. */
export const voidCodec: Codec<undefined> = {
  minBytes: 0,
  encode() {},
  decode() {
    return undefined;
  },
};

export const int: Codec<number> = {
  minBytes: 4,
  encode: (w, v) => w.int(v),
  decode: (r) => r.int(),
};

export const uint: Codec<number> = {
  minBytes: 4,
  encode: (w, v) => w.uint(v),
  decode: (r) => r.uint(),
};

export const hyper: Codec<bigint> = {
  minBytes: 8,
  encode: (w, v) => w.hyper(v),
  decode: (r) => r.hyper(),
};

export const uhyper: Codec<bigint> = {
  minBytes: 8,
  encode: (w, v) => w.uhyper(v),
  decode: (r) => r.uhyper(),
};

export const double: Codec<number> = {
  minBytes: 8,
  encode: (w, v) => w.double(v),
  decode: (r) => r.double(),
};

/**
 * rpcgen's `char` / `unsigned char` / `short` / `unsigned short`: each takes a full 4-byte
 * word on the wire (the value is sign- or zero-extended into it). `decode` narrows the word
 * back to the type's range.
 */
function narrowInteger(
  type: string,
  min: number,
  max: number,
  decode: (r: XdrReader) => number,
): Codec<number> {
  return {
    minBytes: 4,
    encode: (w, v) => {
      if (!Number.isInteger(v) || v < min || v > max) {
        throw new InvalidArgumentError(`${type} must be ${min}..${max}, got ${v}`);
      }
      if (min < 0) w.int(v);
      else w.uint(v);
    },
    decode,
  };
}
export const uchar = narrowInteger("unsigned char", 0, 0xff, (r) => r.uint() & 0xff);
export const char = narrowInteger("char", -128, 127, (r) => (r.int() << 24) >> 24);
export const ushort = narrowInteger("unsigned short", 0, 0xffff, (r) => r.uint() & 0xffff);

/** `string<max>` (remote_nonnull_string when max = 4 MiB). */
export function string(maxBytes = REMOTE_STRING_MAX): Codec<string> {
  return {
    minBytes: 4,
    encode: (w, v) => w.string(v, maxBytes),
    decode: (r) => r.string(maxBytes),
  };
}

/** libvirt's `remote_nonnull_string`. */
export const nonnullString = string();

/** `T *`: XDR optional data, a bool word then the value if present. `null` = absent. */
export function optional<T>(inner: Codec<T>): Codec<T | null> {
  return {
    minBytes: 4,
    encode: (w, v) => {
      if (v === null || v === undefined) {
        w.uint(0);
      } else {
        w.uint(1);
        inner.encode(w, v);
      }
    },
    decode: (r) => (r.bool() ? inner.decode(r) : null),
  };
}

/** libvirt's `remote_string` (a nullable string). */
export const remoteString = optional(nonnullString);

/** `opaque[size]`. */
export function fixedOpaque(size: number): Codec<Buffer> {
  return {
    minBytes: size + ((4 - (size & 3)) & 3),
    encode: (w, v) => w.fixedOpaque(v, size),
    decode: (r) => r.fixedOpaque(size),
  };
}

/** `opaque<max>`. */
export function opaque(maxBytes: number): Codec<Buffer> {
  return {
    minBytes: 4,
    encode: (w, v) => w.opaque(v, maxBytes),
    decode: (r) => r.opaque(maxBytes),
  };
}

/** `T name<max>`: a counted array. */
export function array<T>(element: Codec<T>, max: number): Codec<T[]> {
  return {
    minBytes: 4,
    encode: (w, v) => {
      if (!Array.isArray(v)) throw new InvalidArgumentError("expected an array");
      if (v.length > max) {
        throw new InvalidArgumentError(`array has ${v.length} elements, over the limit of ${max}`);
      }
      w.uint(v.length);
      for (let i = 0; i < v.length; i++) element.encode(w, v[i] as T);
    },
    decode: (r) => {
      const n = r.arrayLength(max, element.minBytes);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = element.decode(r);
      return out;
    },
  };
}

/** A counted array whose elements are decoded as it is iterated (see {@link lazyArray}). */
export interface LazyArray<T> extends Iterable<T> {
  readonly length: number;
}

/**
 * `T name<max>` as the LAST item of a payload, decoded one element at a time as the result is
 * iterated. For replies of thousands of records whose reader keeps little of each (bulk stats):
 * each record becomes garbage as soon as it is used, instead of all of them living until the
 * last is decoded, which made V8 promote them all and collect them with full GCs. The count
 * is checked at once; a malformed element, or bytes left after the last, throws ProtocolError
 * from the iteration. Each iteration decodes afresh. Encodes from any array.
 */
export function lazyArray<T>(element: Codec<T>, max: number): Codec<LazyArray<T>> {
  const eager = array(element, max);
  return {
    minBytes: 4,
    encode: (w, v) => eager.encode(w, Array.isArray(v) ? v : [...v]),
    decode: (r) => {
      const length = r.arrayLength(max, element.minBytes);
      const at = r.offset;
      const bytes = r.takeRest(); // a copy unless the reader's buffer is its own
      return {
        length,
        *[Symbol.iterator]() {
          const er = new XdrReader(bytes);
          for (let i = 0; i < length; i++) yield element.decode(er);
          er.finish(`the ${length} elements of an array at offset ${at}`);
        },
      };
    },
  };
}

/** `T name[size]`: a fixed-size array (no count word). */
export function fixedArray<T>(element: Codec<T>, size: number): Codec<T[]> {
  return {
    minBytes: element.minBytes * size,
    encode: (w, v) => {
      if (!Array.isArray(v) || v.length !== size) {
        throw new InvalidArgumentError(`expected an array of exactly ${size} elements`);
      }
      for (const e of v) element.encode(w, e);
    },
    decode: (r) => {
      const out = new Array<T>(size);
      for (let i = 0; i < size; i++) out[i] = element.decode(r);
      return out;
    },
  };
}

/** Maps a codec's value to another JS shape (e.g. 16 UUID bytes ⇄ canonical string). */
export function mapped<W, T>(inner: Codec<W>, to: (w: W) => T, from: (t: T) => W): Codec<T> {
  return {
    minBytes: inner.minBytes,
    encode: (w, v) => inner.encode(w, from(v)),
    decode: (r) => to(inner.decode(r)),
  };
}

type Fields = Record<string, Codec<unknown>>;
/** The JS object type of a struct declaration. */
export type StructType<F extends Fields> = { [K in keyof F]: CodecType<F[K]> };

/**
 * An XDR struct. Encoding errors are re-thrown with the field name prefixed, so a caller
 * learns *which* argument was wrong ("dom.name: string is … bytes, over the limit …").
 */
export function struct<F extends Fields>(fields: F): Codec<StructType<F>> {
  const entries = Object.entries(fields) as [string, Codec<unknown>][];
  const names = entries.map(([k]) => k);
  const codecs = entries.map(([, c]) => c);
  const minBytes = codecs.reduce((sum, c) => sum + c.minBytes, 0);
  return {
    minBytes,
    encode: (w, v) => {
      if (v === null || typeof v !== "object") {
        throw new InvalidArgumentError(`expected an object with fields ${names.join(", ")}`);
      }
      const obj = v as Record<string, unknown>;
      for (let i = 0; i < codecs.length; i++) {
        const name = names[i] as string;
        try {
          (codecs[i] as Codec<unknown>).encode(w, obj[name]);
        } catch (err) {
          if (err instanceof InvalidArgumentError) {
            throw new InvalidArgumentError(`${name}: ${err.message}`, { cause: err.cause });
          }
          throw err;
        }
      }
    },
    decode: (r) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < codecs.length; i++) {
        out[names[i] as string] = (codecs[i] as Codec<unknown>).decode(r);
      }
      return out as StructType<F>;
    },
  };
}

/** Encodes one value to a fresh buffer (tests, golden bytes). */
export function encodeToBuffer<T>(codec: Codec<T>, value: T): Buffer {
  const w = new XdrWriter(64);
  codec.encode(w, value);
  return Buffer.from(w.bytes());
}

/**
 * Decodes one whole payload: fails with ProtocolError naming `what` when bytes are left over,
 * since a payload that decodes with bytes to spare means the two sides disagree on its layout.
 */
export function decodeFromBuffer<T>(codec: Codec<T>, bytes: Buffer, what: string): T {
  const r = new XdrReader(bytes);
  const value = codec.decode(r);
  r.finish(what);
  return value;
}

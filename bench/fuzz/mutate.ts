// The byte-level mutator shared by every target: bit flips, interesting bytes and words,
// arithmetic, truncation, extension, insertion and deletion, splicing of two seeds, and
// tampering with the 4-byte length fields both formats put in front of every string, opaque,
// array and container. It knows nothing of either format beyond that; targets add the
// format-aware steps (fixing the outer length so the decoder reaches the body, retargeting a
// libvirt packet to another procedure's codec, nesting a QMF body in containers).
import type { Rng } from "./prng.js";

/** What the mutator may draw from besides the input itself. */
export interface MutationPool {
  /** The target's seeds, for splicing. */
  readonly seeds: readonly Buffer[];
  /** Extra interesting byte values of the format (QMF type codes, …). */
  readonly dictionary: readonly number[];
  /** Interesting 32-bit values of the format (its length limits, each ±1). */
  readonly limits: readonly number[];
  /** Inputs are cut to this many bytes. */
  readonly maxBytes: number;
}

const BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x20, 0x04];
const WORDS16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];
const WORDS32 = [
  0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7ffffffe, 0x7fffffff,
  0x80000000, 0xfffffffe, 0xffffffff,
];

/** Offsets whose big-endian u32 could be a length or count: non-zero and within the bytes after it. */
function lengthFields(buf: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= buf.length; i++) {
    const v = buf.readUInt32BE(i);
    if (v > 0 && v <= buf.length - i - 4) out.push(i);
  }
  return out;
}

const lengthFieldCache = new WeakMap<Buffer, number[]>();

/** {@link lengthFields} of a seed, computed once per seed. */
function seedLengthFields(seed: Buffer): number[] {
  let fields = lengthFieldCache.get(seed);
  if (!fields) {
    fields = lengthFields(seed);
    lengthFieldCache.set(seed, fields);
  }
  return fields;
}

/** A position to write `width` bytes at, or -1 when the buffer is shorter. */
function at(rng: Rng, buf: Buffer, width: number): number {
  return buf.length < width ? -1 : rng.below(buf.length - width + 1);
}

/** A new 32-bit value for the length field at `pos` (holding `old`) of `buf`. */
function tamperedLength(rng: Rng, buf: Buffer, pos: number, old: number, pool: MutationPool) {
  const remaining = buf.length - pos - 4;
  switch (rng.below(6)) {
    case 0:
      return old + rng.between(-4, 4);
    case 1:
      return remaining + rng.between(-1, 8);
    case 2:
      return pool.limits.length > 0 ? rng.pick(pool.limits) : rng.pick(WORDS32);
    case 3:
      return old * 2 + rng.below(4);
    case 4:
      return rng.u32();
    default:
      return rng.pick(WORDS32);
  }
}

type Mutation = (rng: Rng, buf: Buffer, pool: MutationPool, seed: Buffer) => Buffer;

const mutations: Mutation[] = [
  // flip one bit
  (rng, buf) => {
    if (buf.length > 0) buf[rng.below(buf.length)]! ^= 1 << rng.below(8);
    return buf;
  },
  // an interesting byte
  (rng, buf, pool) => {
    if (buf.length === 0) return buf;
    const values = pool.dictionary.length > 0 && rng.chance(0.5) ? pool.dictionary : BYTES;
    buf[rng.below(buf.length)] = rng.pick(values);
    return buf;
  },
  // a random byte
  (rng, buf) => {
    if (buf.length > 0) buf[rng.below(buf.length)] = rng.below(256);
    return buf;
  },
  // small arithmetic on a byte
  (rng, buf) => {
    if (buf.length > 0) {
      const i = rng.below(buf.length);
      buf[i] = (buf[i]! + rng.between(-8, 8)) & 0xff;
    }
    return buf;
  },
  // an interesting 16-bit word
  (rng, buf) => {
    const i = at(rng, buf, 2);
    if (i >= 0) buf.writeUInt16BE(rng.pick(WORDS16), i);
    return buf;
  },
  // an interesting 32-bit word, anywhere
  (rng, buf, pool) => {
    const i = at(rng, buf, 4);
    if (i >= 0) {
      const v =
        pool.limits.length > 0 && rng.chance(0.3) ? rng.pick(pool.limits) : rng.pick(WORDS32);
      buf.writeUInt32BE(v >>> 0, i);
    }
    return buf;
  },
  // tamper with a length field (one of the seed's, or one found in the input)
  (rng, buf, pool, seed) => {
    let fields = seedLengthFields(seed).filter((p) => p + 4 <= buf.length);
    if (fields.length === 0) fields = lengthFields(buf);
    if (fields.length === 0) return buf;
    const pos = rng.pick(fields);
    buf.writeUInt32BE(tamperedLength(rng, buf, pos, buf.readUInt32BE(pos), pool) >>> 0, pos);
    return buf;
  },
  // truncate: mostly a few bytes off the end, sometimes anywhere
  (rng, buf) => {
    if (buf.length === 0) return buf;
    const cut = rng.chance(0.5)
      ? buf.length - rng.between(1, Math.min(8, buf.length))
      : rng.below(buf.length);
    return buf.subarray(0, cut);
  },
  // extend: random bytes, interesting bytes, or a copy of a piece of itself
  (rng, buf, pool) => {
    let tail: Buffer;
    const kind = rng.below(3);
    if (kind === 0) tail = rng.bytes(rng.between(1, 64));
    else if (kind === 1) tail = Buffer.alloc(rng.between(1, 16), rng.pick(BYTES));
    else {
      const from = rng.below(buf.length + 1);
      tail = Buffer.from(buf.subarray(from, from + rng.between(1, 1024)));
    }
    return Buffer.concat([buf, tail]).subarray(0, pool.maxBytes);
  },
  // insert a few bytes in the middle
  (rng, buf, pool) => {
    const i = rng.below(buf.length + 1);
    const n = rng.chance(0.5) ? 4 : rng.between(1, 8);
    return Buffer.concat([buf.subarray(0, i), rng.bytes(n), buf.subarray(i)]).subarray(
      0,
      pool.maxBytes,
    );
  },
  // delete a few bytes from the middle
  (rng, buf) => {
    if (buf.length === 0) return buf;
    const i = rng.below(buf.length);
    const n = rng.chance(0.5) ? 4 : rng.between(1, 16);
    return Buffer.concat([buf.subarray(0, i), buf.subarray(i + n)]);
  },
  // splice: the head of this input, the tail of another seed
  (rng, buf, pool) => {
    const other = rng.pick(pool.seeds);
    const i = rng.below(buf.length + 1);
    const j = rng.below(other.length + 1);
    return Buffer.concat([buf.subarray(0, i), other.subarray(j)]).subarray(0, pool.maxBytes);
  },
];

/**
 * A mutated copy of `seed`: one to eight stacked mutations, fewer more often. The seed itself
 * is never written to.
 */
export function mutate(rng: Rng, seed: Buffer, pool: MutationPool): Buffer {
  let buf: Buffer = Buffer.from(seed);
  let n = 1;
  while (n < 8 && rng.chance(0.5)) n++;
  // Mutations write in place: into this copy, or into a buffer of their own they returned.
  for (let k = 0; k < n; k++) buf = rng.pick(mutations)(rng, buf, pool, seed);
  return buf;
}

/** A buffer of random bytes, mostly short (random input rarely gets past a length field). */
export function randomBytes(rng: Rng): Buffer {
  return rng.bytes(rng.chance(0.8) ? rng.below(64) : rng.below(1024));
}

// The QMF body decoders: `decodeMap` (amqp/map) and `decodeList` (amqp/list), fed what any
// broker user can publish. Their typed refusal is CodecError, with the offset of the problem
// inside the body; anything else thrown is a crash.
import { CodecError, decodeList, decodeMap, TypeCode } from "../../src/qmf/codec/index.js";
import { type MutationPool, mutate, randomBytes } from "./mutate.js";
import type { Rng } from "./prng.js";
import type { Seed } from "./seeds.js";
import type { FuzzTarget } from "./target.js";

const isCodecError = (err: unknown, input: Buffer): boolean =>
  err instanceof CodecError &&
  Number.isInteger(err.offset) &&
  err.offset >= 0 &&
  err.offset <= input.length;

/** Lengths at the edges of the format's 1-, 2- and 4-byte length fields. */
const LIMITS = [0xff, 0x100, 0xffff, 0x10000, 16 * 1024 * 1024].flatMap((v) => [v - 1, v, v + 1]);

const MAX_INPUT_BYTES = 256 * 1024;

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
/** Keys for the maps built around a body; `__proto__` must stay an ordinary key. */
const KEYS = ["k", "_values", "__proto__", ""];
const FIXED = [TypeCode.int8, TypeCode.int16, TypeCode.uint32, TypeCode.double, TypeCode.uuid];
const VARIABLE = [TypeCode.str8, TypeCode.str16, TypeCode.vbin32, TypeCode.map, TypeCode.list];

/** A value: its type code and bytes. */
interface Value {
  code: number;
  bytes: Buffer;
}

/** `inner` as the only item of a new list or map, or as (up to three) items of an array. */
function contain(rng: Rng, inner: Value): Value {
  const { code, bytes } = inner;
  switch (rng.below(3)) {
    case 0:
      return {
        code: TypeCode.list,
        bytes: Buffer.concat([u32(5 + bytes.length), u32(1), Buffer.of(code), bytes]),
      };
    case 1: {
      const key = Buffer.from(rng.pick(KEYS));
      const entry = Buffer.concat([Buffer.of(key.length), key, Buffer.of(code), bytes]);
      return { code: TypeCode.map, bytes: Buffer.concat([u32(4 + entry.length), u32(1), entry]) };
    }
    default: {
      const n = bytes.length > 4096 ? 1 : rng.between(1, 3); // nested copies grow fast
      const items = Buffer.concat(Array(n).fill(bytes));
      return {
        code: TypeCode.array,
        bytes: Buffer.concat([u32(5 + items.length), Buffer.of(code), u32(n), items]),
      };
    }
  }
}

/** An array of random elements: fixed-width ones (right count or not) or length-prefixed ones. */
function randomArray(rng: Rng): Value {
  const code = rng.pick(rng.chance(0.5) ? FIXED : VARIABLE);
  const n = rng.between(0, 8);
  const width = code === TypeCode.uuid ? 16 : code === TypeCode.double ? 8 : 4;
  const items = rng.bytes(Math.max(0, n * width + (rng.chance(0.7) ? 0 : rng.between(-2, 2))));
  return {
    code: TypeCode.array,
    bytes: Buffer.concat([u32(5 + items.length), Buffer.of(code), u32(n), items]),
  };
}

/**
 * A body built around a seed, for what captured messages never hold: nesting near and past
 * the depth limit, arrays (of containers and of scalars), odd keys. The outermost container
 * is `top` (a map body for decodeMap, a list body for decodeList).
 */
function nested(rng: Rng, seed: Value, top: number): Buffer {
  let v = rng.chance(0.3) ? randomArray(rng) : seed;
  const depth = rng.chance(0.8) ? rng.between(1, 3) : rng.between(60, 70);
  for (let d = 0; d < depth; d++) v = contain(rng, v);
  while (v.code !== top) v = contain(rng, v);
  return v.bytes;
}

function bodyGenerator(seeds: readonly Seed[], top: number): (rng: Rng) => Buffer {
  const pool: MutationPool = {
    seeds: seeds.map((s) => s.bytes),
    // Type codes: a byte turned into another type code sends the decoder down another branch.
    dictionary: Object.values(TypeCode),
    limits: LIMITS,
    maxBytes: MAX_INPUT_BYTES,
  };
  return (rng) => {
    if (rng.chance(0.03)) return randomBytes(rng);
    let seed = rng.pick(pool.seeds);
    if (rng.chance(0.1)) {
      seed = nested(rng, { code: top, bytes: seed }, top);
      if (rng.chance(0.5)) return seed;
    }
    const buf = mutate(rng, seed, pool);
    // Half the inputs get a top-level size that matches, so decoding reaches the entries.
    if (buf.length >= 4 && rng.chance(0.5)) buf.writeUInt32BE(buf.length - 4, 0);
    return buf;
  };
}

/** `decodeMap` on mutated amqp/map bodies. */
export function mapTarget(seeds: readonly Seed[]): FuzzTarget {
  return {
    name: "map",
    salt: 3,
    generate: bodyGenerator(seeds, TypeCode.map),
    run(input) {
      decodeMap(input);
    },
    expected: isCodecError,
  };
}

/** `decodeList` on mutated amqp/list bodies. */
export function listTarget(seeds: readonly Seed[]): FuzzTarget {
  return {
    name: "list",
    salt: 4,
    generate: bodyGenerator(seeds, TypeCode.list),
    run(input) {
      decodeList(input);
    },
    expected: isCodecError,
  };
}

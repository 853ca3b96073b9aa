// The libvirt decoders that read the daemon's bytes: the packet decoder, the frame decoder
// fed the stream in random slices, and the payload codecs a packet is decoded with (the `ret`
// of every procedure-table row, the error struct, every event row's message body). Their
// typed refusal is ProtocolError; anything else thrown is a crash.
import {
  type Codec,
  decodePacket,
  EventFamilies,
  eventKindOf,
  eventKinds,
  FrameDecoder,
  HEADER_BYTES,
  LENGTH_BYTES,
  MAX_MESSAGE_BYTES,
  type Packet,
  PacketStatus,
  PacketType,
  Program,
  REMOTE_STRING_MAX,
  RemoteProcedure,
  remoteError,
  voidCodec,
  XdrReader,
} from "../../src/libvirt/codec/index.js";
import { ProtocolError } from "../../src/libvirt/errors.js";
import { type MutationPool, mutate, randomBytes } from "./mutate.js";
import type { Rng } from "./prng.js";
import type { Seed } from "./seeds.js";
import type { FuzzTarget } from "./target.js";

type AnyCodec = Codec<unknown>;

/**
 * Touches every part of a decoded value, so lazily decoded parts (a libvirt reply's
 * `lazyArray`, decoded as it is iterated) are decoded too.
 */
function force(value: unknown, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 32) return;
  if (Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) {
    for (const v of value) force(v, depth + 1);
  } else if (Symbol.iterator in value) {
    for (const v of value as Iterable<unknown>) force(v, depth + 1);
  } else {
    for (const v of Object.values(value)) force(v, depth + 1);
  }
}

/** Every procedure row: the remote program's table and the event subscription rows. */
const rows = [
  ...Object.values(RemoteProcedure),
  ...eventKinds.flatMap((k) => [EventFamilies[k].register, EventFamilies[k].deregister]),
] as { name: string; number: number; ret: AnyCodec }[];
const retByNumber = new Map(rows.map((r) => [r.number, r.ret]));
const eventNumbers = eventKinds.map((k) => EventFamilies[k].message.number);

/** Every payload codec once, for packets whose header names none (see bodyCodec). */
const allCodecs: AnyCodec[] = [
  ...new Set<AnyCodec>([
    ...rows.map((r) => r.ret),
    remoteError as AnyCodec,
    ...eventKinds.map((k) => EventFamilies[k].message.body as AnyCodec),
  ]),
];

/**
 * The codec the client would decode this packet's payload with. A header the client would
 * refuse (unknown procedure, type or program) still gets one, chosen by its procedure number,
 * so mutated headers keep reaching payload codecs, and a saved input decodes the same way.
 */
function bodyCodec(p: Packet): AnyCodec {
  if (p.program === Program.KEEPALIVE) return voidCodec as AnyCodec;
  if (p.program === Program.REMOTE) {
    if (p.type === PacketType.REPLY && p.status === PacketStatus.OK) {
      const ret = retByNumber.get(p.procedure);
      if (ret) return ret;
    }
    if (p.type === PacketType.REPLY && p.status === PacketStatus.ERROR) {
      return remoteError as AnyCodec;
    }
    if (p.type === PacketType.MESSAGE) {
      const kind = eventKindOf(p.program, p.procedure);
      if (kind) return EventFamilies[kind].message.body as AnyCodec;
    }
  }
  return allCodecs[(p.procedure >>> 0) % allCodecs.length]!;
}

/** Decodes a payload as the transport does (a reader that may own the buffer, then finish). */
function decodeBody(p: Packet, owned: boolean): void {
  const r = new XdrReader(p.payload, 0, p.payload.length, owned);
  const value = bodyCodec(p).decode(r);
  r.finish("payload");
  force(value);
}

const isProtocolError = (err: unknown, input: Buffer): boolean =>
  err instanceof ProtocolError &&
  (err.offset === undefined ||
    (Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= input.length));

/** libvirt's limits, each with its neighbours: the values a hostile length would take. */
const LIMITS = [
  REMOTE_STRING_MAX,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_BYTES + LENGTH_BYTES,
  LENGTH_BYTES + HEADER_BYTES,
  16384,
  65536,
  4096,
  64,
  20,
  16,
].flatMap((v) => [v - 1, v, v + 1]);

const MAX_INPUT_BYTES = 256 * 1024;

/** Sets a header field to a value the decoders branch on, or the procedure to another row's. */
function tamperHeader(rng: Rng, buf: Buffer): void {
  if (buf.length < LENGTH_BYTES + HEADER_BYTES) return;
  switch (rng.below(4)) {
    case 0:
      buf.writeUInt32BE(rng.pick([Program.REMOTE, Program.QEMU, Program.KEEPALIVE]), 4);
      break;
    case 1:
      buf.writeInt32BE(rng.between(0, 7), 16);
      break;
    case 2:
      buf.writeInt32BE(rng.between(0, 3), 24);
      break;
    default: {
      // Another row's codec on this payload: a reply, an error or an event.
      const message = rng.chance(0.2);
      buf.writeInt32BE(message ? rng.pick(eventNumbers) : rng.pick(rows).number, 12);
      buf.writeInt32BE(message ? PacketType.MESSAGE : PacketType.REPLY, 16);
    }
  }
}

/** Builds packet inputs from the captured packets. */
function packetGenerator(seeds: readonly Seed[]): (rng: Rng) => Buffer {
  const pool: MutationPool = {
    seeds: seeds.map((s) => s.bytes),
    dictionary: [],
    limits: LIMITS,
    maxBytes: MAX_INPUT_BYTES,
  };
  return (rng) => {
    const roll = rng.below(100);
    if (roll < 3) return randomBytes(rng);
    const seed = rng.pick(pool.seeds);
    let buf: Buffer;
    if (roll < 6) {
      // A real header in front of random payload bytes.
      buf = Buffer.concat([seed.subarray(0, LENGTH_BYTES + HEADER_BYTES), randomBytes(rng)]);
    } else {
      buf = mutate(rng, seed, pool);
      if (rng.chance(0.1)) tamperHeader(rng, buf);
    }
    // Most inputs get a length word that matches, so decoding reaches the payload.
    if (buf.length >= LENGTH_BYTES && rng.chance(0.75)) buf.writeUInt32BE(buf.length, 0);
    return buf;
  };
}

/** `decodePacket` on one whole packet, then its payload with the codec its header names. */
export function xdrTarget(seeds: readonly Seed[]): FuzzTarget {
  return {
    name: "xdr",
    salt: 1,
    generate: packetGenerator(seeds),
    run(input) {
      decodeBody(decodePacket(input), false);
    },
    expected: isProtocolError,
  };
}

/** Checks an invariant of the frame decoder; a broken one is reported as a crash. */
function invariant(ok: boolean, what: string): void {
  if (!ok) throw new Error(`FrameDecoder invariant broken: ${what}`);
}

/**
 * `FrameDecoder` fed a stream of one to three packets in random slices (single bytes, small
 * pieces, or all at once), sometimes with a small message limit; each packet it hands out is
 * decoded as the transport would. Besides its typed refusals it must keep its accounting:
 * every byte pushed is in a packet handed out or in `bufferedBytes`, and once it has failed
 * every later push throws the same error.
 */
export function frameTarget(seeds: readonly Seed[]): FuzzTarget {
  const packet = packetGenerator(seeds);
  return {
    name: "frame",
    salt: 2,
    generate(rng) {
      const parts = [packet(rng)];
      while (parts.length < 3 && rng.chance(0.4)) parts.push(packet(rng));
      return Buffer.concat(parts).subarray(0, MAX_INPUT_BYTES);
    },
    run(input, rng) {
      const maxMessageBytes = rng.chance(0.9) ? MAX_MESSAGE_BYTES : rng.between(HEADER_BYTES, 4096);
      let framed = 0;
      const decoder = new FrameDecoder((p, owned) => {
        framed += LENGTH_BYTES + HEADER_BYTES + p.payload.length;
        try {
          decodeBody(p, owned);
        } catch (err) {
          // The payload's refusal is the transport's business; framing goes on.
          if (!isProtocolError(err, input)) throw err;
        }
      }, maxMessageBytes);
      const mode = rng.below(4); // 0: byte by byte, 1–2: pieces of 1–64 bytes, 3: whole
      let pos = 0;
      try {
        while (pos < input.length) {
          const n = mode === 0 ? 1 : mode === 3 ? input.length : rng.between(1, 64);
          decoder.push(input.subarray(pos, pos + n));
          pos = Math.min(input.length, pos + n);
        }
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        let again: unknown;
        try {
          decoder.push(Buffer.alloc(1));
        } catch (e) {
          again = e;
        }
        invariant(again === err, "a push after a failure did not throw the same error");
        throw err;
      }
      invariant(
        framed + decoder.bufferedBytes === input.length,
        `${input.length} bytes pushed, ${framed} framed, ${decoder.bufferedBytes} buffered`,
      );
    },
    expected: isProtocolError,
  };
}

/** Decodes a captured packet whole; throws if it does not decode (capture.ts, the smoke test). */
export function decodeSeed(bytes: Buffer): void {
  decodeBody(decodePacket(bytes), false);
}

// libvirt RPC packets and the byte-fed frame decoder.
//
//   +---------+------------------------------------------------+-----------------+
//   | len u32 | prog u32 | vers u32 | proc i32 | type i32 | serial u32 | status i32 | payload (XDR) |
//   +---------+------------------------------------------------+-----------------+
//   len counts itself: len = 4 + 24 + payload bytes.
//
// Pure: the decoder is fed whatever chunks the socket delivers (one byte at a time is fine)
// and hands out whole packets. It refuses a length over libvirt's limit *before* buffering
// the body, so a hostile length word costs nothing.
import { ProtocolError } from "../errors.js";
import { XdrWriter } from "./xdr.js";

/** RPC program numbers. */
export const Program = {
  REMOTE: 0x20008086,
  QEMU: 0x20008087,
  KEEPALIVE: 0x6b656570,
} as const;

/** The only protocol version of every program. */
export const PROTOCOL_VERSION = 1;

/** Keepalive procedures (program KEEPALIVE, type MESSAGE, empty payload). */
export const KeepaliveProcedure = { PING: 1, PONG: 2 } as const;

/** Packet `type` field. */
export const PacketType = {
  CALL: 0,
  REPLY: 1,
  MESSAGE: 2,
  STREAM: 3,
  CALL_WITH_FDS: 4,
  REPLY_WITH_FDS: 5,
  STREAM_HOLE: 6,
} as const;

/** Packet `status` field. */
export const PacketStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

/** Bytes of the length word. */
export const LENGTH_BYTES = 4;
/** Bytes of the header after the length word. */
export const HEADER_BYTES = 24;
/** libvirt's VIR_NET_MESSAGE_MAX: 32 MiB, not counting the length word. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** The 24-byte header. */
export interface PacketHeader {
  program: number;
  version: number;
  procedure: number;
  type: number;
  serial: number;
  status: number;
}

/** One decoded packet: the header and a view of its payload bytes. */
export interface Packet extends PacketHeader {
  payload: Buffer;
}

/**
 * Builds a whole packet (length word included). `writeBody` appends the XDR payload.
 * Throws ProtocolError if the result would exceed `maxMessageBytes`.
 */
export function encodePacket(
  header: PacketHeader,
  writeBody?: (w: XdrWriter) => void,
  maxMessageBytes = MAX_MESSAGE_BYTES,
): Buffer {
  const w = new XdrWriter(128);
  w.uint(0); // length, patched below
  w.uint(header.program);
  w.uint(header.version);
  w.int(header.procedure);
  w.int(header.type);
  w.uint(header.serial);
  w.int(header.status);
  if (writeBody) writeBody(w);
  const total = w.length;
  if (total - LENGTH_BYTES > maxMessageBytes) {
    throw new ProtocolError(
      `packet of ${total - LENGTH_BYTES} bytes is over libvirt's limit of ${maxMessageBytes}`,
    );
  }
  w.patchUint(0, total);
  return w.bytes();
}

/** Parses one whole packet (starting at its length word). */
export function decodePacket(bytes: Buffer): Packet {
  if (bytes.length < LENGTH_BYTES + HEADER_BYTES) {
    throw new ProtocolError(`packet of ${bytes.length} bytes is shorter than its header`);
  }
  const len = bytes.readUInt32BE(0);
  if (len !== bytes.length) {
    throw new ProtocolError(`packet length word says ${len} but ${bytes.length} bytes were given`);
  }
  return {
    program: bytes.readUInt32BE(4),
    version: bytes.readUInt32BE(8),
    procedure: bytes.readInt32BE(12),
    type: bytes.readInt32BE(16),
    serial: bytes.readUInt32BE(20),
    status: bytes.readInt32BE(24),
    payload: bytes.subarray(LENGTH_BYTES + HEADER_BYTES),
  };
}

/**
 * Splits a byte stream into packets. Feed it with {@link FrameDecoder.push}; each complete
 * packet goes to `onPacket`. A bad length throws ProtocolError and the decoder must then be
 * discarded (the stream cannot be resynchronised).
 *
 * A packet handed to `onPacket` may be a view into the chunk being pushed, valid until the
 * chunk's memory is reused: the decoder itself never keeps a reference to a pushed chunk
 * (it copies the start of a packet that continues in a later chunk), so the caller may read
 * the socket into one reused buffer. Packets that sit whole in one chunk, the usual case for
 * replies, are never copied; `owned` is false for them, and whoever keeps such a payload
 * beyond `onPacket` copies it. A packet assembled across chunks is in memory of its own
 * (`owned` true), which nothing else writes to: it may be kept as it is.
 */
export class FrameDecoder {
  /** A packet continuing in later chunks, allocated at its full length once that is known. */
  private partial: Buffer | null = null;
  /** Bytes of `partial` received so far. */
  private filled = 0;
  /** A length word split across chunks. */
  private readonly lengthWord = Buffer.alloc(LENGTH_BYTES);
  private lengthFilled = 0;
  private failed: ProtocolError | null = null;

  constructor(
    private readonly onPacket: (packet: Packet, owned: boolean) => void,
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
  ) {}

  /** Bytes held for an incomplete packet. */
  get bufferedBytes(): number {
    return this.partial ? this.filled : this.lengthFilled;
  }

  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      const partial = this.partial;
      if (partial) {
        const n = Math.min(partial.length - this.filled, end - pos);
        chunk.copy(partial, this.filled, pos, pos + n);
        this.filled += n;
        pos += n;
        if (this.filled < partial.length) return;
        this.partial = null;
        this.filled = 0;
        this.onPacket(decodePacket(partial), true);
      } else if (this.lengthFilled > 0 || end - pos < LENGTH_BYTES) {
        // The length word itself is split: collect its four bytes first.
        const n = Math.min(LENGTH_BYTES - this.lengthFilled, end - pos);
        chunk.copy(this.lengthWord, this.lengthFilled, pos, pos + n);
        this.lengthFilled += n;
        pos += n;
        if (this.lengthFilled < LENGTH_BYTES) return;
        this.lengthFilled = 0;
        this.startPartial(this.checkLength(this.lengthWord.readUInt32BE(0)));
        this.lengthWord.copy(this.partial as Buffer, 0);
        this.filled = LENGTH_BYTES;
      } else {
        const len = this.checkLength(chunk.readUInt32BE(pos));
        if (end - pos >= len) {
          const packet = chunk.subarray(pos, pos + len);
          pos += len;
          this.onPacket(decodePacket(packet), false);
        } else {
          this.startPartial(len);
          chunk.copy(this.partial as Buffer, 0, pos, end);
          this.filled = end - pos;
          pos = end;
        }
      }
    }
  }

  /**
   * Validates a length word; a bad one poisons the decoder (the stream cannot resync) and
   * stays counted in {@link FrameDecoder.bufferedBytes}, as the only bytes ever held for it.
   */
  private checkLength(len: number): number {
    if (len >= LENGTH_BYTES + HEADER_BYTES && len - LENGTH_BYTES <= this.maxMessageBytes) {
      return len;
    }
    this.lengthFilled = LENGTH_BYTES;
    if (len < LENGTH_BYTES + HEADER_BYTES) {
      this.failed = new ProtocolError(
        `packet length ${len} is shorter than the ${LENGTH_BYTES + HEADER_BYTES}-byte header`,
      );
    } else {
      this.failed = new ProtocolError(
        `packet length ${len} is over libvirt's limit of ${this.maxMessageBytes + LENGTH_BYTES}`,
      );
    }
    throw this.failed;
  }

  /**
   * Allocates the whole packet once its (checked) length is known: one copy per byte, no
   * concatenation. allocUnsafe does not touch the pages, so a length within the limit whose
   * body never comes costs address space, not memory.
   */
  private startPartial(len: number): void {
    this.partial = Buffer.allocUnsafe(len);
    this.filled = 0;
  }
}

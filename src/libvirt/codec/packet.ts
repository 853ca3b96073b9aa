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
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the packet being assembled, or -1 while its length word is incomplete. */
  private expected = -1;
  private failed: ProtocolError | null = null;

  constructor(
    private readonly onPacket: (packet: Packet) => void,
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
  ) {}

  /** Bytes held for an incomplete packet. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < LENGTH_BYTES) return;
        const len = this.peekLength();
        if (len < LENGTH_BYTES + HEADER_BYTES) {
          this.failed = new ProtocolError(
            `packet length ${len} is shorter than the ${LENGTH_BYTES + HEADER_BYTES}-byte header`,
          );
          throw this.failed;
        }
        if (len - LENGTH_BYTES > this.maxMessageBytes) {
          this.failed = new ProtocolError(
            `packet length ${len} is over libvirt's limit of ${this.maxMessageBytes + LENGTH_BYTES}`,
          );
          throw this.failed;
        }
        this.expected = len;
      }
      if (this.buffered < this.expected) return;
      const bytes = this.take(this.expected);
      this.expected = -1;
      this.onPacket(decodePacket(bytes));
    }
  }

  private peekLength(): number {
    const first = this.chunks[0] as Buffer;
    if (first.length >= LENGTH_BYTES) return first.readUInt32BE(0);
    const four = Buffer.allocUnsafe(LENGTH_BYTES);
    let got = 0;
    for (const c of this.chunks) {
      const n = Math.min(c.length, LENGTH_BYTES - got);
      c.copy(four, got, 0, n);
      got += n;
      if (got === LENGTH_BYTES) break;
    }
    return four.readUInt32BE(0);
  }

  /** Removes exactly `n` buffered bytes; zero-copy when they sit in one chunk. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[0] as Buffer;
      const need = n - got;
      if (c.length <= need) {
        c.copy(out, got);
        got += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, got, 0, need);
        this.chunks[0] = c.subarray(need);
        got += need;
      }
    }
    return out;
  }
}

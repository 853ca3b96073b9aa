// A scripted fake libvirtd on a real unix socket, for misbehaviour only (garbage, bad
// lengths, unknown serials, disconnects, silence). Everything libvirt *means* is tested
// against the real daemon. It frames and encodes with the client's own codec.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Codec,
  encodePacket,
  FrameDecoder,
  KeepaliveProcedure,
  type Packet,
  PacketStatus,
  PacketType,
  PROTOCOL_VERSION,
  Program,
  RemoteProcedure,
  remoteError,
  XdrReader,
  type XdrWriter,
} from "../../src/libvirt/codec/index.js";

/** One client connection as the fake sees it. */
export class FakeConnection {
  /** Every packet received, in order. */
  readonly received: Packet[] = [];
  constructor(readonly socket: Socket) {}

  /** Sends raw bytes. */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Replies OK to `call` with `body` written by `ret`. */
  reply<R>(call: Packet, ret: Codec<R>, body: R): void {
    this.sendRaw(
      encodePacket({ ...header(call), type: PacketType.REPLY, status: PacketStatus.OK }, (w) =>
        ret.encode(w, body),
      ),
    );
  }

  /** Replies OK with arbitrary payload bytes (garbage tests). */
  replyRaw(call: Packet, payload: Buffer, overrides: Partial<Packet> = {}): void {
    this.sendRaw(
      encodePacket(
        { ...header(call), type: PacketType.REPLY, status: PacketStatus.OK, ...overrides },
        (w: XdrWriter) => w.fixedOpaque(payload, payload.length),
      ),
    );
  }

  /** Replies with a libvirt error. */
  replyError(call: Packet, code: number, message: string): void {
    this.sendRaw(
      encodePacket({ ...header(call), type: PacketType.REPLY, status: PacketStatus.ERROR }, (w) =>
        remoteError.encode(w, {
          code,
          domain: 0,
          message,
          level: 2,
          dom: null,
          str1: null,
          str2: null,
          str3: null,
          int1: 0,
          int2: 0,
          net: null,
        }),
      ),
    );
  }

  /** Sends an event MESSAGE of the remote program. */
  sendMessage<T>(procedure: number, body: Codec<T>, value: T): void {
    this.sendRaw(
      encodePacket(
        {
          program: Program.REMOTE,
          version: PROTOCOL_VERSION,
          procedure,
          type: PacketType.MESSAGE,
          serial: 1,
          status: PacketStatus.OK,
        },
        (w) => body.encode(w, value),
      ),
    );
  }

  /** Sends a keepalive PING. */
  sendPing(): void {
    this.sendRaw(
      encodePacket({
        program: Program.KEEPALIVE,
        version: PROTOCOL_VERSION,
        procedure: KeepaliveProcedure.PING,
        type: PacketType.MESSAGE,
        serial: 0,
        status: PacketStatus.OK,
      }),
    );
  }

  /** Calls of the remote program received with this procedure number. */
  callsOf(procedure: number): Packet[] {
    return this.received.filter(
      (p) =>
        p.program === Program.REMOTE && p.type === PacketType.CALL && p.procedure === procedure,
    );
  }

  /** Drops the connection abruptly. */
  destroy(): void {
    this.socket.destroy();
  }
}

function header(call: Packet) {
  return {
    program: call.program,
    version: call.version,
    procedure: call.procedure,
    type: call.type,
    serial: call.serial,
    status: call.status,
  };
}

/**
 * Handles a CALL after the setup sequence. Return true if handled; unhandled calls get no
 * answer at all (a silent daemon).
 */
export type CallHandler = (call: Packet, conn: FakeConnection) => boolean | undefined;

/** Options of {@link startFakeLibvirtd}. */
export interface FakeOptions {
  /** Answer CONNECT_SUPPORTS_FEATURE(10) with 1 (default) so the client runs keepalive. */
  keepalive?: boolean;
  /** Answer the daemon side of keepalive (PONG to our PINGs). Default true. */
  answerPings?: boolean;
  /** Handles every other call. */
  onCall?: CallHandler;
}

/** A running fake daemon. */
export interface FakeLibvirtd {
  socketPath: string;
  /** Connections accepted so far, in order. */
  connections: FakeConnection[];
  /** Waits for the n-th connection (1-based) to exist. */
  connection(n: number, timeoutMs?: number): Promise<FakeConnection>;
  close(): Promise<void>;
}

/** Starts a fake daemon on a fresh socket in a private temp directory. */
export async function startFakeLibvirtd(options: FakeOptions = {}): Promise<FakeLibvirtd> {
  const dir = mkdtempSync(join(tmpdir(), "lvq-fake-libvirtd-"));
  const socketPath = join(dir, "libvirt-sock");
  const connections: FakeConnection[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const conn = new FakeConnection(socket);
    connections.push(conn);
    const decoder = new FrameDecoder((p) => {
      const packet = { ...p, payload: Buffer.from(p.payload) };
      conn.received.push(packet);
      handle(packet, conn, options);
    });
    socket.on("data", (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch {
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    connections,
    async connection(n, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (connections.length < n) {
        if (Date.now() > deadline) throw new Error(`fake libvirtd: no connection #${n}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return connections[n - 1] as FakeConnection;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function handle(p: Packet, conn: FakeConnection, options: FakeOptions): void {
  if (p.program === Program.KEEPALIVE) {
    if (p.procedure === KeepaliveProcedure.PING && options.answerPings !== false) {
      conn.sendRaw(
        encodePacket({
          program: Program.KEEPALIVE,
          version: PROTOCOL_VERSION,
          procedure: KeepaliveProcedure.PONG,
          type: PacketType.MESSAGE,
          serial: 0,
          status: PacketStatus.OK,
        }),
      );
    }
    return;
  }
  if (p.type !== PacketType.CALL) return;
  switch (p.procedure) {
    case RemoteProcedure.authList.number:
      conn.reply(p, RemoteProcedure.authList.ret, { types: [0] });
      return;
    case RemoteProcedure.connectSupportsFeature.number: {
      const { feature } = RemoteProcedure.connectSupportsFeature.args.decode(
        new XdrReader(p.payload),
      );
      const supported = feature === 10 && options.keepalive !== false ? 1 : 0;
      conn.reply(p, RemoteProcedure.connectSupportsFeature.ret, { supported });
      return;
    }
    case RemoteProcedure.connectOpen.number:
      conn.reply(p, RemoteProcedure.connectOpen.ret, undefined);
      return;
    case RemoteProcedure.connectClose.number:
      conn.reply(p, RemoteProcedure.connectClose.ret, undefined);
      conn.socket.end();
      return;
    default:
      options.onCall?.(p, conn);
  }
}

// A proxy in front of a real server that misbehaves on demand, for the link faults of
// RELIABILITY.md's fault matrix: delivery in slices of a few bytes, added latency, a pause
// (bytes held, as on a partitioned link), and a reset of every connection. TCP (RabbitMQ) or
// unix sockets (libvirtd). The peers on both sides are the real ones; only the wire between
// them is tampered with.
import { connect, createServer, type Server, type Socket } from "node:net";
import { BROKER } from "./broker.js";

export type FaultProxyOptions =
  /** A TCP server; the proxy listens on a free port of 127.0.0.1. */
  | { targetHost: string; targetPort: number }
  /** A unix socket server; the proxy listens on `listenPath`. */
  | { targetPath: string; listenPath: string };

/** Forwards bytes one way, honouring the proxy's current faults. */
class Pipe {
  private readonly held: Buffer[] = [];
  private busy = false;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly to: Socket,
  ) {}

  push(chunk: Buffer): void {
    this.held.push(chunk);
    this.pump();
  }

  /** Sends what is held, unless paused; one slice at a time when slicing. */
  pump(): void {
    if (this.busy || this.proxy.paused || this.to.destroyed) return;
    const chunk = this.held.shift();
    if (!chunk) return;
    const size = this.proxy.sliceBytes > 0 ? this.proxy.sliceBytes : chunk.length;
    const now = chunk.subarray(0, size);
    if (size < chunk.length) this.held.unshift(chunk.subarray(size));
    this.busy = true;
    const send = () => {
      this.busy = false;
      if (this.to.destroyed) return;
      this.to.write(now);
      this.proxy.forwarded += now.length;
      // A new macrotask per slice, so the receiver really reads them one by one.
      setImmediate(() => this.pump());
    };
    if (this.proxy.latencyMs > 0) setTimeout(send, this.proxy.latencyMs);
    else send();
  }
}

export class FaultProxy {
  /** Bytes per write towards either side; 0 = as received. */
  sliceBytes = 0;
  /** Added to every forwarded chunk, each way. */
  latencyMs = 0;
  /** While true, bytes are held in both directions (a link that went silent). */
  paused = false;
  /** Bytes forwarded so far, both ways. */
  forwarded = 0;
  /** Connections accepted so far. */
  accepted = 0;

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pipes = new Set<Pipe>();
  private listening: Promise<number>;

  constructor(opts: FaultProxyOptions) {
    this.server = createServer((client) => {
      this.accepted++;
      const upstream =
        "targetPath" in opts ? connect(opts.targetPath) : connect(opts.targetPort, opts.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        if (!("targetPath" in opts)) s.setNoDelay(true);
        s.on("close", () => this.sockets.delete(s));
        // An error is followed by 'close', which ends both sides (below).
        s.on("error", () => {});
      }
      const toUpstream = new Pipe(this, upstream);
      const toClient = new Pipe(this, client);
      this.pipes.add(toUpstream).add(toClient);
      client.on("data", (b: Buffer) => toUpstream.push(b));
      upstream.on("data", (b: Buffer) => toClient.push(b));
      // One side gone: the other goes too, as through a real middlebox.
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.pipes.delete(toUpstream);
        this.pipes.delete(toClient);
      };
      client.on("close", end);
      upstream.on("close", end);
    });
    this.listening = new Promise((resolve) => {
      if ("listenPath" in opts) this.server.listen(opts.listenPath, () => resolve(0));
      else
        this.server.listen(0, "127.0.0.1", () => {
          resolve((this.server.address() as { port: number }).port);
        });
    });
  }

  /** The TCP port the proxy listens on (127.0.0.1); 0 for a unix socket, once it listens. */
  port(): Promise<number> {
    return this.listening;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const p of this.pipes) p.pump();
  }

  /** Destroys every proxied connection, both sides (a reset). New connections still work. */
  resetAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A proxy in front of the broker at `broker` (default: the test broker), and its URL through it. */
export async function brokerProxy(broker = BROKER): Promise<{ proxy: FaultProxy; url: URL }> {
  const url = new URL(broker);
  const proxy = new FaultProxy({ targetHost: url.hostname, targetPort: Number(url.port || 5672) });
  url.port = String(await proxy.port());
  return { proxy, url };
}

// One RPC connection to libvirtd over any byte stream (a unix socket in production, a
// scripted fake peer in tests): framing, serials, the pending-call map, per-call timeouts, a
// bounded number of calls in flight, keepalive, and routing of event messages.
//
// Ownership rules that keep this simple: the connection dies exactly once (`fail`), and on
// that path every pending and queued call is rejected and every timer is cleared. Nothing is
// retried here; reconnecting is the caller's decision.
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import {
  encodePacket,
  FrameDecoder,
  KeepaliveProcedure,
  MAX_MESSAGE_BYTES,
  type Packet,
  PacketStatus,
  PacketType,
  PROTOCOL_VERSION,
  type Procedure,
  Program,
  remoteError,
  XdrReader,
} from "../codec/index.js";
import {
  CallTimeoutError,
  ConnectionLostError,
  LibvirtClientError,
  LibvirtError,
  ProtocolError,
} from "../errors.js";

/** Tuning of an {@link RpcConnection}. */
export interface RpcConnectionOptions {
  /** Default time a call may wait for its reply, queueing included (ms). Default 30000. */
  callTimeoutMs?: number;
  /**
   * Calls sent and not yet answered; more wait in a FIFO queue. Default 5: libvirtd serves at
   * most `max_client_requests` (5) calls per client at once and stops reading the socket
   * beyond that, so more on the wire buys nothing and makes the daemon log warnings.
   */
  maxInFlight?: number;
  /** Send a PING after this much silence from the daemon (ms). Default 5000. */
  keepaliveIntervalMs?: number;
  /** Declare the daemon dead after this many unanswered PINGs. Default 6 (like virsh). */
  keepaliveCount?: number;
  /** Largest packet accepted or sent, without the length word. Default libvirt's 32 MiB. */
  maxMessageBytes?: number;
  /**
   * After each read, keep polling the socket this long (µs) while calls are unanswered
   * before the process may sleep. Default 100; 0 = never. Trades a little CPU during bursts
   * of calls for much lower latency on virtual machines: see {@link RpcConnection}.
   */
  busyPollMicros?: number;
}

/** A routed event message: the program, procedure number and its raw XDR payload. */
export interface RpcMessage {
  program: number;
  procedure: number;
  payload: Buffer;
}

interface PendingCall {
  serial: number;
  proc: Procedure<unknown, unknown>;
  packet: Buffer;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** performance.now() value after which the call times out (Infinity = never). */
  deadline: number;
  timeoutMs: number;
  sent: boolean;
}

/** Packets written together are copied into one buffer up to this total; beyond, writev. */
const COALESCE_COPY_MAX_BYTES = 64 * 1024;

/** The longest delay setTimeout takes as given. */
const MAX_TIMER_MS = 0x7fffffff;

/** Late replies of timed-out calls are expected; remember that many serials to ignore them. */
const ABANDONED_SERIALS_KEPT = 1024;

/**
 * An RPC connection. Events: `'message'` (RpcMessage) for daemon events, `'close'`
 * (err?: Error) exactly once when the link ends (err undefined after a clean close()).
 *
 * Busy polling: each read is followed by up to `busyPollMicros` of polling (setImmediate
 * turns, each a non-blocking poll by libuv), for as long as calls are unanswered, before the
 * event loop may block. A reply that follows within the window is read without the process going to
 * sleep and being woken. On a virtual machine that wake-up is an inter-processor interrupt
 * to a halted vCPU, and its cost lands mostly on libvirtd: measured on a 2-vCPU VM
 * (bench:libvirt), libvirtd's CPU per GET_INFO fell from ~49 to ~31 µs one call at a time and
 * from ~29 to ~21 µs at 16 in flight, and calls/s doubled one at a time. It costs CPU only
 * while calls are in flight, at most the window after each read (Linux's SO_BUSY_POLL and
 * Go's scheduler make the same trade).
 */
export class RpcConnection extends EventEmitter {
  private readonly socket: Duplex;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, PendingCall>();
  private readonly queue: PendingCall[] = [];
  private readonly abandoned = new Set<number>();
  private inFlight = 0;
  private nextSerial = 1;
  private closedWith: Error | null = null;
  private closing = false;
  private readonly callTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly keepaliveIntervalMs: number;
  private readonly keepaliveCount: number;
  private readonly maxMessageBytes: number;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  /**
   * One timer for all call deadlines instead of one per call: arming and clearing a timer per
   * call costs measurable time at ~10k calls/s. It fires at the earliest known deadline and
   * sweeps; most of the time every call it was armed for has long been answered.
   */
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineArmedFor = Number.POSITIVE_INFINITY;
  private lastReceived = Date.now();
  private pingsUnanswered = 0;
  /**
   * Packets to write at the end of this tick. Calls issued together (a Promise.all, or the
   * continuations of several replies that arrived in one read) leave in one socket write
   * instead of one system call each; a lone call waits only for the current microtasks.
   */
  private readonly outbox: Buffer[] = [];
  private outboxBytes = 0;
  private readonly flushOutbox = (): void => this.flush();
  /** Busy-poll window in ms (0 = off), the time of the last read, and whether a poll runs. */
  private readonly busyPollMs: number;
  private lastReadAt = 0;
  private polling = false;
  private readonly pollAgain = (): void => {
    if (
      this.closedWith === null &&
      this.pending.size > 0 &&
      performance.now() - this.lastReadAt < this.busyPollMs
    ) {
      setImmediate(this.pollAgain);
    } else {
      this.polling = false;
    }
  };

  constructor(socket: Duplex, options: RpcConnectionOptions = {}) {
    super();
    this.socket = socket;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 5);
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? 5_000;
    this.keepaliveCount = options.keepaliveCount ?? 6;
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.busyPollMs = Math.max(0, options.busyPollMicros ?? 100) / 1000;
    this.decoder = new FrameDecoder((p, owned) => this.onPacket(p, owned), this.maxMessageBytes);
    // A socket dialled with a reused read buffer (openUnixConnection) delivers its bytes to
    // receive() directly and never emits 'data'; any other stream is read here.
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (err) =>
      this.fail(
        new ConnectionLostError(`libvirt connection error: ${err.message}`, { cause: err }),
      ),
    );
    socket.on("close", () =>
      this.fail(new ConnectionLostError("libvirt connection closed by the daemon")),
    );
    socket.on("end", () =>
      this.fail(new ConnectionLostError("libvirt connection closed by the daemon")),
    );
  }

  /**
   * Feeds bytes read from the link. The caller may reuse `chunk`'s memory as soon as this
   * returns: replies are decoded before that, and event payloads that are views into it are
   * copied.
   */
  receive(chunk: Buffer): void {
    if (this.closedWith) return;
    if (this.busyPollMs > 0) {
      this.lastReadAt = performance.now();
      if (!this.polling) {
        this.polling = true;
        setImmediate(this.pollAgain);
      }
    }
    // Any bytes count as a sign of life for keepalive; once per read, not per packet.
    this.lastReceived = Date.now();
    this.pingsUnanswered = 0;
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.fail(
        err instanceof LibvirtClientError
          ? err
          : new ProtocolError("failed to handle a packet", { cause: err }),
      );
    }
  }

  /** True once the connection has ended; every further call rejects. */
  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Calls waiting for a reply plus calls queued behind the in-flight bound. */
  get pendingCount(): number {
    return this.pending.size + this.queue.length;
  }

  /**
   * Calls a procedure of `program`. Resolves with the decoded return value; rejects with a
   * LibvirtError (the daemon's error), CallTimeoutError, ConnectionLostError, ProtocolError or
   * InvalidArgumentError (arguments that cannot be encoded; nothing is sent then).
   */
  call<A, R>(
    program: number,
    proc: Procedure<A, R>,
    args: A,
    options?: { timeoutMs?: number },
  ): Promise<R> {
    if (this.closedWith) {
      return Promise.reject(
        new ConnectionLostError(`${proc.name}: libvirt connection is closed`, {
          cause: this.closedWith,
        }),
      );
    }
    const serial = this.nextSerial;
    this.nextSerial = (this.nextSerial + 1) >>> 0 || 1;
    let packet: Buffer;
    try {
      packet = encodePacket(
        {
          program,
          version: PROTOCOL_VERSION,
          procedure: proc.number,
          type: PacketType.CALL,
          serial,
          status: PacketStatus.OK,
        },
        (w) => proc.args.encode(w, args),
        this.maxMessageBytes,
      );
    } catch (err) {
      if (err instanceof LibvirtClientError) {
        err.message = `${proc.name}: ${err.message}`;
      }
      return Promise.reject(err);
    }
    return new Promise<R>((resolve, reject) => {
      const timeoutMs = options?.timeoutMs ?? this.callTimeoutMs;
      const call: PendingCall = {
        serial,
        proc: proc as Procedure<unknown, unknown>,
        packet,
        resolve: resolve as (value: unknown) => void,
        reject,
        deadline:
          timeoutMs > 0 && Number.isFinite(timeoutMs)
            ? performance.now() + timeoutMs
            : Number.POSITIVE_INFINITY,
        timeoutMs,
        sent: false,
      };
      if (call.deadline < this.deadlineArmedFor) this.armDeadlineTimer(call.deadline);
      if (this.inFlight < this.maxInFlight) this.send(call);
      else this.queue.push(call);
    });
  }

  private armDeadlineTimer(deadline: number): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineArmedFor = deadline;
    this.deadlineTimer = setTimeout(
      () => this.sweepDeadlines(),
      // Monotonic time (a clock step must not time calls out), and within setTimeout's range
      // (beyond 2^31-1 ms it fires at once): a far deadline is re-armed when the timer fires.
      Math.min(MAX_TIMER_MS, Math.max(0, deadline - performance.now())),
    );
    // A pending call means an open socket, which keeps the process alive by itself; once the
    // calls are answered this timer must not.
    this.deadlineTimer.unref();
  }

  private sweepDeadlines(): void {
    this.deadlineTimer = null;
    this.deadlineArmedFor = Number.POSITIVE_INFINITY;
    if (this.closedWith) return;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    const expired: PendingCall[] = [];
    // Queued calls first: timing out a sent call frees a slot, and an expired queued call
    // must not be sent into it.
    for (const call of this.queue) {
      if (call.deadline <= now) expired.push(call);
      else if (call.deadline < next) next = call.deadline;
    }
    for (const call of this.pending.values()) {
      if (call.deadline <= now) expired.push(call);
      else if (call.deadline < next) next = call.deadline;
    }
    for (const call of expired) this.timeOut(call);
    if (next !== Number.POSITIVE_INFINITY && next < this.deadlineArmedFor) {
      this.armDeadlineTimer(next);
    }
  }

  private send(call: PendingCall): void {
    call.sent = true;
    this.inFlight++;
    this.pending.set(call.serial, call);
    this.enqueue(call.packet);
  }

  private enqueue(packet: Buffer): void {
    if (this.outbox.length === 0) process.nextTick(this.flushOutbox);
    this.outbox.push(packet);
    this.outboxBytes += packet.length;
  }

  /** Writes everything queued in this tick with one socket write. */
  private flush(): void {
    const packets = this.outbox;
    if (packets.length === 0 || this.closedWith) return;
    if (packets.length === 1) {
      this.socket.write(packets[0] as Buffer);
    } else if (this.outboxBytes <= COALESCE_COPY_MAX_BYTES) {
      // Small packets (the usual calls): copying them together is cheaper than a writev.
      this.socket.write(Buffer.concat(packets, this.outboxBytes));
    } else {
      // A big packet among them (a large XML): one writev via cork, no copy.
      this.socket.cork();
      for (const packet of packets) this.socket.write(packet);
      this.socket.uncork();
    }
    // The array is reused: a fresh one per flush would be garbage on every call.
    packets.length = 0;
    this.outboxBytes = 0;
  }

  private settle(call: PendingCall): void {
    if (call.sent) {
      this.pending.delete(call.serial);
      this.inFlight--;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0 && !this.closedWith) {
        this.send(this.queue.shift() as PendingCall);
      }
    }
  }

  /** `call` is pending or queued: a settled call is in neither, and only those are swept. */
  private timeOut(call: PendingCall): void {
    if (call.sent) {
      // The daemon may still answer; that late reply must not look like a protocol error.
      this.abandoned.add(call.serial);
      if (this.abandoned.size > ABANDONED_SERIALS_KEPT) {
        this.abandoned.delete(this.abandoned.values().next().value as number);
      }
    } else {
      const i = this.queue.indexOf(call);
      if (i >= 0) this.queue.splice(i, 1);
    }
    this.settle(call);
    call.reject(new CallTimeoutError(call.proc.name, call.timeoutMs));
  }

  /** `owned`: the packet is in memory of its own, not a view into a read (see FrameDecoder). */
  private onPacket(p: Packet, owned: boolean): void {
    if (p.program === Program.KEEPALIVE) {
      if (p.type === PacketType.MESSAGE && p.procedure === KeepaliveProcedure.PING) {
        this.sendKeepalive(KeepaliveProcedure.PONG);
      }
      return;
    }
    if (p.type === PacketType.MESSAGE) {
      // A view into a reused read buffer is copied: listeners may keep their payload.
      this.emit("message", {
        program: p.program,
        procedure: p.procedure,
        payload: owned ? p.payload : Buffer.from(p.payload),
      });
      return;
    }
    if (p.type !== PacketType.REPLY) {
      throw new ProtocolError(
        `unexpected packet type ${p.type} (program 0x${p.program.toString(16)}, procedure ${p.procedure})`,
      );
    }
    const call = this.pending.get(p.serial);
    if (!call) {
      if (this.abandoned.delete(p.serial)) return;
      throw new ProtocolError(`reply with unknown serial ${p.serial} (procedure ${p.procedure})`);
    }
    this.settle(call);
    const name = call.proc.name;
    if (p.status === PacketStatus.OK) {
      let value: unknown;
      try {
        // A reply's lazily decoded tail (bulk stats) is kept past this call: the reader copies
        // it unless the packet is in memory of its own.
        const r = new XdrReader(p.payload, 0, p.payload.length, owned);
        value = call.proc.ret.decode(r);
        if (r.remaining !== 0) r.finish(`${name} reply`);
      } catch (err) {
        const e =
          err instanceof ProtocolError
            ? new ProtocolError(`${name} reply: ${err.message}`, {
                cause: err,
                offset: err.offset,
              })
            : err;
        call.reject(e as Error);
        // A reply we cannot decode means we no longer agree on the protocol.
        throw e;
      }
      call.resolve(value);
    } else if (p.status === PacketStatus.ERROR) {
      let e: LibvirtError;
      try {
        const r = new XdrReader(p.payload);
        const fields = remoteError.decode(r);
        e = new LibvirtError({ ...fields, procedure: name });
      } catch (err) {
        const pe = new ProtocolError(`${name}: undecodable error reply`, { cause: err });
        call.reject(pe);
        throw pe;
      }
      call.reject(e);
    } else {
      const pe = new ProtocolError(`${name}: reply with unexpected status ${p.status}`);
      call.reject(pe);
      throw pe;
    }
  }

  private sendKeepalive(procedure: number): void {
    if (this.closedWith) return;
    this.enqueue(
      encodePacket({
        program: Program.KEEPALIVE,
        version: PROTOCOL_VERSION,
        procedure,
        type: PacketType.MESSAGE,
        serial: 0,
        status: PacketStatus.OK,
      }),
    );
  }

  /**
   * Starts our side of keepalive (call it once the daemon said it supports feature 10):
   * after `keepaliveIntervalMs` of silence we PING; after `keepaliveCount` unanswered PINGs
   * the connection fails with code KEEPALIVE_TIMEOUT. Any bytes received count as a sign of life.
   */
  startKeepalive(): void {
    if (this.keepaliveTimer || this.closedWith || this.keepaliveIntervalMs <= 0) return;
    this.lastReceived = Date.now();
    this.keepaliveTimer = setInterval(() => {
      if (Date.now() - this.lastReceived < this.keepaliveIntervalMs) return;
      if (this.pingsUnanswered >= this.keepaliveCount) {
        const silentMs = Date.now() - this.lastReceived;
        this.fail(
          new ConnectionLostError(
            `libvirt daemon did not answer ${this.pingsUnanswered} keepalive pings (silent for ${silentMs} ms)`,
            { code: "KEEPALIVE_TIMEOUT" },
          ),
        );
        return;
      }
      this.pingsUnanswered++;
      this.sendKeepalive(KeepaliveProcedure.PING);
    }, this.keepaliveIntervalMs);
    this.keepaliveTimer.unref();
  }

  /** Ends the link and rejects everything pending with ConnectionLostError (or `err`). */
  destroy(err?: Error): void {
    this.fail(err ?? null);
  }

  /**
   * Closes the socket gracefully (after the caller's CONNECT_CLOSE); waits at most
   * `graceMs` for the daemon to close its side, then destroys it.
   */
  async end(graceMs = 1000): Promise<void> {
    if (this.closedWith) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.fail(null);
        resolve();
      }, graceMs);
      timer.unref();
      this.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.flush();
      this.socket.end();
    });
  }

  private fail(err: Error | null): void {
    if (this.closedWith) return;
    const reason =
      err ??
      (this.closing
        ? new ConnectionLostError("libvirt connection closed by the client", { code: "CLOSED" })
        : new ConnectionLostError("libvirt connection destroyed", { code: "CLOSED" }));
    // A clean close requested by us is not an error for 'close' listeners.
    const clean = err === null || (this.closing && err instanceof ConnectionLostError);
    this.closedWith = reason;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    const calls = [...this.pending.values(), ...this.queue];
    this.pending.clear();
    this.queue.length = 0;
    this.outbox.length = 0;
    this.outboxBytes = 0;
    this.inFlight = 0;
    for (const call of calls) {
      call.reject(
        new ConnectionLostError(
          `${call.proc.name}: libvirt connection lost before the reply (${reason.message}); the call's outcome is unknown`,
          { cause: reason, code: "CONNECTION_LOST" },
        ),
      );
    }
    this.socket.destroy();
    this.emit("close", clean ? undefined : reason);
  }
}

import { EventEmitter } from "node:events";
import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type Options } from "amqplib";
import { wireText } from "../codec/index.js";
import {
  AuthenticationError,
  BodyTooLargeError,
  ConnectionLostError,
  NameInUseError,
  NotConnectedError,
} from "../errors.js";
import { APP_ID, DIRECT_EXCHANGE, Header, TOPIC_EXCHANGE } from "./envelope.js";

/** A queue binding: messages published to `exchange` with a matching key reach us. */
export interface Binding {
  exchange: string;
  key: string;
}

/** Minimal logger; `console` fits. */
export interface Logger {
  debug?(msg: string, ...rest: unknown[]): void;
  info?(msg: string, ...rest: unknown[]): void;
  warn(msg: string, ...rest: unknown[]): void;
  error(msg: string, ...rest: unknown[]): void;
}

/** Reconnect backoff: `initialDelayMs × factor^n`, capped at `maxDelayMs`, ±20 % jitter. */
export interface BackoffOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
}

export interface TransportOptions {
  /** `amqp://user:pass@host:port/vhost`; the user becomes every message's `user_id`. */
  url: string;
  /** Shown in the broker's connection list (`connection_name`). */
  connectionName: string;
  /** Bindings of our exclusive, auto-delete queue. */
  bindings: Binding[];
  /**
   * The queue's name; omitted = a server-chosen one. An exclusive queue has one holder at a
   * time, so a fixed name is refused to a second connection ({@link NameInUseError}).
   */
  queueName?: string;
  /** Called for every delivery, in order. Must not throw. */
  onMessage: (msg: InboundMessage) => void;
  /** Largest body we send or accept (default 16 MiB). */
  maxBodyBytes?: number;
  /**
   * Manual acknowledgement with this many unacknowledged deliveries at most (flow control for
   * an agent whose handlers are slow); 0 = no acks (consoles). Default 0.
   */
  prefetch?: number;
  /** AMQP heartbeat in seconds: how fast a hung broker is noticed (default 5). */
  heartbeatSeconds?: number;
  /**
   * How long the TCP connect and the AMQP handshake may take (default 10 s). A hung broker
   * still accepts TCP connections (the kernel does), then never answers: without a bound an
   * open, or a reconnect, would wait for ever.
   */
  connectTimeoutMs?: number;
  reconnect?: BackoffOptions;
  /**
   * Frames amqplib buffers for the channel before `publish` reports backpressure (amqplib's
   * default, 1024, when omitted). Later publishes wait for `drain`.
   */
  channelHighWaterMark?: number;
  log?: Logger;
}

/** A delivery, with the QMF envelope fields lifted out of the AMQP properties. */
export interface InboundMessage {
  readonly body: Buffer;
  readonly opcode: string | undefined;
  readonly contentType: string | undefined;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  /** Validated by the broker: it equals the sender's connection user. */
  readonly userId: string | undefined;
  readonly appId: string | undefined;
  /** `qmf.agent` header: the sending agent's name. */
  readonly agentName: string | undefined;
  /** `qmf.content` header. */
  readonly content: string | undefined;
  /** More batches of this response follow. */
  readonly partial: boolean;
  readonly routingKey: string;
  readonly redelivered: boolean;
  /** Set for manual-ack transports; pass the message to {@link Transport.ack}. */
  readonly deliveryTag: number;
  readonly generation: number;
}

/** What to put in the envelope of an outgoing message. */
export interface OutboundProps {
  opcode: string;
  contentType: string;
  correlationId?: string;
  replyTo?: string;
  /** Message TTL (heartbeats: 2 × interval; requests: their timeout). */
  expirationMs?: number;
  agentName?: string;
  content?: string;
  method?: "request" | "response" | "indication";
  partial?: boolean;
  /**
   * The header table, when the caller built it once with {@link Transport.headersFor} (hot
   * paths); otherwise derived from the fields above.
   */
  headers?: Record<string, unknown>;
}

/** Events of {@link Transport}. */
export interface TransportEvents {
  connected: [];
  disconnected: [err: ConnectionLostError];
  reconnecting: [info: { attempt: number; delayMs: number; error?: Error }];
  reconnected: [];
  blocked: [reason: string];
  unblocked: [];
  /** Unrecoverable (credentials refused): the transport is closed. */
  fatal: [err: Error];
}

const RESOLVED = Promise.resolve();
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
/** Longest an acknowledgement waits for company before it is sent alone. */
const ACK_DELAY_MS = 20;

interface Waiter {
  run: () => void;
  reject: (e: Error) => void;
}

type State = "idle" | "opening" | "open" | "reconnecting" | "closed";

/**
 * One AMQP connection and one channel carrying QMF messages: declares the two QMF exchanges
 * and an exclusive queue with our bindings, consumes it, and publishes with the QMF envelope.
 * After a broker restart or a forced close it reconnects with backoff, re-declares and
 * re-subscribes (`disconnected` → `reconnecting`… → `reconnected`); it never retries a
 * message. Publishing honours channel backpressure (`drain`) and the broker's
 * `blocked`/`unblocked` notices by holding later publishes, in order, until it may write.
 */
export class Transport extends EventEmitter<TransportEvents> {
  readonly userId: string;
  private readonly opts: TransportOptions;
  private readonly maxBody: number;
  private state: State = "idle";
  private conn: ChannelModel | null = null;
  private channel: Channel | null = null;
  private generation = 0;
  private writable = true;
  private blocked = false;
  private readonly waiters: Waiter[] = [];
  private sleepTimer: NodeJS.Timeout | null = null;
  private wakeSleep: (() => void) | null = null;
  private readonly headerCache = new Map<string, Record<string, unknown>>();
  // Manual-ack bookkeeping (delivery tags count from 1 on each new channel).
  private nextToAck = 1;
  private lastInOrder = 0;
  private ackedUpTo = 0;
  private unflushed = 0;
  private readonly doneOutOfOrder = new Set<number>();
  private ackTimer: NodeJS.Timeout | null = null;
  private readonly ackBatch: number;

  constructor(opts: TransportOptions) {
    super();
    this.opts = opts;
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.ackBatch = Math.max(1, Math.floor((opts.prefetch ?? 0) / 4));
    this.userId = userFromUrl(opts.url);
  }

  /** Is a channel up right now? */
  get isOpen(): boolean {
    return this.state === "open";
  }

  /** The largest body accepted. */
  get maxBodyBytes(): number {
    return this.maxBody;
  }

  /** Connects once; rejects with {@link AuthenticationError} or the network error. */
  async open(): Promise<void> {
    if (this.state !== "idle") throw new NotConnectedError(`transport is ${this.state}`);
    this.state = "opening";
    try {
      await this.establish();
    } catch (e) {
      this.state = "closed";
      throw e;
    }
    this.emit("connected");
  }

  /** Closes the connection; held publishes reject; no reconnect follows. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.cancelSleep();
    this.resetAcks();
    this.failWaiters(new ConnectionLostError("transport closed"));
    const conn = this.conn;
    this.conn = null;
    this.channel = null;
    if (conn) await conn.close().catch(() => {});
  }

  /**
   * Publishes one message. Resolves at once when the channel can take it; otherwise (channel
   * buffer full, broker blocked) when it has been handed over. Rejects with
   * {@link BodyTooLargeError} before sending anything over the limit, and with
   * {@link ConnectionLostError} if the connection is down or drops while the message waits.
   */
  publish(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): Promise<void> {
    try {
      if (this.tryPublish(exchange, routingKey, body, props)) return RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
    const options = this.envelope(props);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({
        run: () => {
          this.write(exchange, routingKey, body, options);
          resolve();
        },
        reject,
      });
    });
  }

  /**
   * The allocation-free fast path of {@link publish} for hot callers: writes now and returns
   * true, or returns false (nothing sent) when the message would have to wait for `drain` or
   * `unblocked` — then call {@link publish}. Throws {@link BodyTooLargeError} and
   * {@link ConnectionLostError} synchronously.
   */
  tryPublish(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): boolean {
    if (body.length > this.maxBody) throw new BodyTooLargeError(body.length, this.maxBody);
    if (this.state !== "open") {
      throw new ConnectionLostError(`cannot publish ${props.opcode}: not connected to the broker`);
    }
    if (!this.writable || this.blocked || this.waiters.length !== 0) return false;
    this.write(exchange, routingKey, body, this.envelope(props));
    return true;
  }

  /**
   * Marks a delivery of a manual-ack transport as done (no-op if its channel is gone). Every
   * delivery must be marked exactly once. Deliveries finished in order are acknowledged in
   * batches (`multiple`, never past one still being worked on); one finished while an older
   * one still runs is acknowledged alone at once, so a long call holds one prefetch slot, not
   * the whole window. The prefetch count thus bounds the work in progress, and a steady
   * request stream costs a fraction of an ack write per message.
   */
  ack(msg: InboundMessage): void {
    if (msg.generation !== this.generation || !this.channel || msg.deliveryTag === 0) return;
    const tag = msg.deliveryTag;
    if (tag !== this.nextToAck) {
      this.doneOutOfOrder.add(tag);
      this.channel.ack({ fields: { deliveryTag: tag } } as unknown as ConsumeMessage, false);
      return;
    }
    this.lastInOrder = tag;
    this.nextToAck++;
    while (this.doneOutOfOrder.delete(this.nextToAck)) this.nextToAck++;
    if (++this.unflushed >= this.ackBatch) this.flushAcks();
    else if (!this.ackTimer) this.ackTimer = setTimeout(() => this.flushAcks(), ACK_DELAY_MS);
  }

  /** Acknowledges every delivery up to the last one finished in order (all of them are done). */
  private flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.unflushed = 0;
    if (!this.channel || this.lastInOrder <= this.ackedUpTo) return;
    this.ackedUpTo = this.lastInOrder;
    this.channel.ack(
      { fields: { deliveryTag: this.lastInOrder } } as unknown as ConsumeMessage,
      true,
    );
  }

  private resetAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.nextToAck = 1;
    this.lastInOrder = 0;
    this.ackedUpTo = 0;
    this.unflushed = 0;
    this.doneOutOfOrder.clear();
  }

  private envelope(p: OutboundProps): Options.Publish {
    const o: Options.Publish = {
      appId: APP_ID,
      contentType: p.contentType,
      userId: this.userId,
      headers: p.headers ?? this.headersFor(p),
    };
    if (p.correlationId !== undefined) o.correlationId = p.correlationId;
    if (p.replyTo !== undefined) o.replyTo = p.replyTo;
    if (p.expirationMs !== undefined) o.expiration = String(Math.max(1, Math.ceil(p.expirationMs)));
    return o;
  }

  /**
   * The header table of a message: it depends only on a few constant fields, so each
   * combination is built once (amqplib reads it and never changes it).
   */
  headersFor(p: OutboundProps): Record<string, unknown> {
    const key = `${p.opcode}|${p.agentName ?? ""}|${p.content ?? ""}|${p.method ?? ""}|${p.partial ? 1 : 0}`;
    let h = this.headerCache.get(key);
    if (h) return h;
    h = { [Header.OPCODE]: p.opcode, [Header.APP_ID_0_10]: APP_ID };
    if (p.agentName !== undefined) h[Header.AGENT] = p.agentName;
    if (p.content !== undefined) h[Header.CONTENT] = p.content;
    if (p.method !== undefined) h[Header.METHOD] = p.method;
    if (p.partial) h[Header.PARTIAL] = true;
    if (this.headerCache.size > 256) this.headerCache.clear();
    this.headerCache.set(key, h);
    return h;
  }

  private write(exchange: string, key: string, body: Buffer, options: Options.Publish): void {
    const ch = this.channel;
    if (!ch) throw new ConnectionLostError("channel closed");
    if (!ch.publish(exchange, key, body, options)) this.writable = false;
  }

  private flush(): void {
    while (this.writable && !this.blocked && this.waiters.length > 0 && this.channel) {
      const w = this.waiters.shift()!;
      try {
        w.run();
      } catch (e) {
        w.reject(e as Error);
      }
    }
  }

  private failWaiters(err: Error): void {
    const ws = this.waiters.splice(0);
    for (const w of ws) w.reject(err);
  }

  /** Connection, channel, exchanges, queue, bindings, consumer — all or nothing. */
  private async establish(): Promise<void> {
    let conn: ChannelModel;
    const connectTimeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    try {
      conn = await amqp.connect(withHeartbeat(this.opts.url, this.opts.heartbeatSeconds ?? 5), {
        clientProperties: { connection_name: this.opts.connectionName },
        // amqplib writes a message as several frames; with Nagle on, a small request can sit
        // in the kernel waiting for the peer's delayed ACK (~40 ms on Linux).
        noDelay: true,
        // Socket inactivity until the connection is open: covers connect and handshake.
        timeout: connectTimeoutMs,
      });
    } catch (e) {
      throw classifyConnectError(e, this.opts.url, connectTimeoutMs);
    }
    const gen = ++this.generation;
    try {
      conn.on("error", (err: Error) => this.log("warn", `broker connection error: ${err.message}`));
      conn.on("close", (err?: Error) => this.onConnectionClosed(conn, err));
      conn.on("blocked", (reason: string) => {
        this.blocked = true;
        this.emit("blocked", reason);
      });
      conn.on("unblocked", () => {
        this.blocked = false;
        this.emit("unblocked");
        this.flush();
      });
      const ch = await conn.createChannel(
        this.opts.channelHighWaterMark === undefined
          ? undefined
          : { highWaterMark: this.opts.channelHighWaterMark },
      );
      ch.on("error", (err: Error) => this.log("warn", `broker channel error: ${err.message}`));
      ch.on("close", () => {
        // Any channel close we did not ask for is a protocol fault: start afresh on a new
        // connection rather than limp on with a half-configured one.
        if (this.channel === ch && this.state === "open") conn.close().catch(() => {});
      });
      ch.on("drain", () => {
        this.writable = true;
        this.flush();
      });
      await ch.assertExchange(DIRECT_EXCHANGE, "direct", { durable: true, autoDelete: false });
      await ch.assertExchange(TOPIC_EXCHANGE, "topic", { durable: true, autoDelete: false });
      const queueName = this.opts.queueName ?? "";
      const q = await ch
        .assertQueue(queueName, { exclusive: true, autoDelete: true, durable: false })
        .catch((e: Error) => {
          throw /RESOURCE[-_]LOCKED|\b405\b/.test(e.message)
            ? new NameInUseError(
                `queue ${JSON.stringify(queueName)} is held by another connection to the broker`,
                { cause: e },
              )
            : e;
        });
      for (const b of this.opts.bindings) await ch.bindQueue(q.queue, b.exchange, b.key);
      const prefetch = this.opts.prefetch ?? 0;
      if (prefetch > 0) await ch.prefetch(prefetch);
      const onMessage = this.opts.onMessage;
      const manualAck = prefetch > 0;
      // Deliveries can be parsed before the consume-ok continuation runs; they wait until the
      // transport is open, so that their replies can be sent.
      let early: ConsumeMessage[] | null = [];
      await ch.consume(
        q.queue,
        (m) => {
          if (!m) return;
          if (early) early.push(m);
          else onMessage(toInbound(m, gen, manualAck));
        },
        { noAck: !manualAck, exclusive: true },
      );
      if (this.state === "closed") {
        await conn.close().catch(() => {});
        throw new ConnectionLostError("transport closed while connecting");
      }
      this.resetAcks();
      this.conn = conn;
      this.channel = ch;
      this.writable = true;
      this.blocked = false;
      this.state = "open";
      const waiting = early;
      early = null;
      for (const m of waiting) onMessage(toInbound(m, gen, manualAck));
    } catch (e) {
      await conn.close().catch(() => {});
      throw e;
    }
  }

  private onConnectionClosed(conn: ChannelModel, err?: Error): void {
    if (conn !== this.conn) return; // an abandoned attempt, or after close()
    this.conn = null;
    this.channel = null;
    if (this.state === "closed") return;
    const lost = new ConnectionLostError(
      `connection to the broker lost${err ? `: ${err.message}` : ""}`,
      { cause: err },
    );
    this.state = "reconnecting";
    this.resetAcks();
    this.failWaiters(lost);
    this.emit("disconnected", lost);
    void this.reconnectLoop(err);
  }

  private async reconnectLoop(firstError?: Error): Promise<void> {
    const b = this.opts.reconnect ?? {};
    const initial = b.initialDelayMs ?? 100;
    const max = b.maxDelayMs ?? 5000;
    const factor = b.factor ?? 2;
    let delay = initial;
    let lastError: Error | undefined = firstError;
    for (let attempt = 1; this.state === "reconnecting"; attempt++) {
      const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
      this.emit("reconnecting", { attempt, delayMs: jittered, error: lastError });
      await this.sleep(jittered);
      if (this.state !== "reconnecting") return;
      try {
        await this.establish();
        this.emit("reconnected");
        this.flush();
        return;
      } catch (e) {
        if (this.state !== "reconnecting") return;
        if (e instanceof AuthenticationError) {
          this.state = "closed";
          this.emit("fatal", e);
          return;
        }
        lastError = e as Error;
        delay = Math.min(max, delay * factor);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleep = resolve;
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = null;
        this.wakeSleep = null;
        resolve();
      }, ms);
    });
  }

  private cancelSleep(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    const wake = this.wakeSleep;
    this.wakeSleep = null;
    wake?.();
  }

  private log(level: "warn" | "error", msg: string): void {
    this.opts.log?.[level](`[qmf ${this.opts.connectionName}] ${msg}`);
  }
}

function toInbound(m: ConsumeMessage, generation: number, manualAck: boolean): InboundMessage {
  const p = m.properties;
  const h = p.headers ?? {};
  return {
    body: m.content,
    opcode: wireText(h[Header.OPCODE]),
    contentType: wireText(p.contentType),
    correlationId: wireText(p.correlationId),
    replyTo: wireText(p.replyTo),
    userId: wireText(p.userId),
    appId: wireText(p.appId) ?? wireText(h[Header.APP_ID_0_10]),
    agentName: wireText(h[Header.AGENT]),
    content: wireText(h[Header.CONTENT]),
    partial: h[Header.PARTIAL] !== undefined,
    routingKey: m.fields.routingKey,
    redelivered: m.fields.redelivered,
    deliveryTag: manualAck ? m.fields.deliveryTag : 0,
    generation,
  };
}

function userFromUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.username ? decodeURIComponent(u.username) : "guest";
  } catch {
    return "guest";
  }
}

function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has("heartbeat")) u.searchParams.set("heartbeat", String(seconds));
  return u.toString();
}

/** Credentials or vhost refused (403 ACCESS_REFUSED, 530 NOT_ALLOWED) is not worth retrying. */
function classifyConnectError(e: unknown, url: string, connectTimeoutMs: number): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  if (err.message === "connect ETIMEDOUT") {
    // amqplib's words when its socket timeout fired before the connection was open.
    return Object.assign(
      new Error(
        `no AMQP handshake within ${connectTimeoutMs / 1000} s: the broker is hung or overloaded, or the host drops packets`,
        { cause: err },
      ),
      { code: "ETIMEDOUT" },
    );
  }
  if (/ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b403\b|\b530\b/.test(err.message)) {
    return new AuthenticationError(`the broker refused the connection: ${err.message}`, {
      cause: err,
    });
  }
  // amqplib reports a vhost refusal (530 NOT_ALLOWED: no such vhost, or no permission on it)
  // without the broker's reply text: the broker answered connection.open with a close.
  if (/^Expected ConnectionOpenOk; got <ConnectionClose/.test(err.message)) {
    return new AuthenticationError(
      `the broker refused the connection: access to vhost ${JSON.stringify(vhostOf(url))} refused (no such vhost, or the user has no permission on it)`,
      { cause: err },
    );
  }
  return err;
}

/** The vhost an AMQP URL names (an empty or absent path is RabbitMQ's default, "/"). */
function vhostOf(url: string): string {
  const path = new URL(url).pathname;
  return path === "" || path === "/" ? "/" : decodeURIComponent(path.slice(1));
}

import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type Options } from "amqplib";
import type { BackoffOptions } from "../../util/backoff.js";
import { BodyTooLargeError, ConnectionLostError, NameInUseError } from "../errors.js";
import { classifyConnectError } from "./amqp-errors.js";
import { parseBrokerUrls, redactUrl, userOf } from "./broker-url.js";
import { APP_ID, DIRECT_EXCHANGE, TOPIC_EXCHANGE } from "./envelope.js";
import { FailoverLink } from "./failover-link.js";
import { HeldPublishes } from "./held-publishes.js";
import {
  type BrokerLink,
  HeaderCache,
  type InboundMessage,
  inboundMessage,
  type LinkRequest,
  type Logger,
  type OutboundProps,
} from "./link.js";
import { certificateUser, tlsSocketOptions } from "./tls.js";
import { type TlsOptions, tlsOptionsProblem } from "./tls-options.js";

export interface AmqpLinkOptions extends LinkRequest {
  /**
   * The broker's nodes, `amqp://user:pass@host:port/vhost` each (or one text with the URLs
   * separated by commas). `open()` starts at a random one; after a loss the link moves on to
   * the next that answers. The user of the node connected to becomes every message's
   * `user_id`.
   */
  urls?: string | readonly string[];
  /** Try the first of `urls` first instead of a random one. */
  preferFirst?: boolean;
  /** A single broker URL: the same as `urls: [url]`. */
  url?: string;
  /** Largest body we send or accept (default 16 MiB). */
  maxBodyBytes?: number;
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
  /** TLS settings for the `amqps://` URLs (chain and name are always verified). */
  tls?: TlsOptions;
  log?: Logger;
}

const RESOLVED = Promise.resolve();
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
/** Longest an acknowledgement waits for company before it is sent alone. */
const ACK_DELAY_MS = 20;

/**
 * The broker link over amqplib: one AMQP connection and one channel at a time. Declares the
 * two QMF exchanges and an exclusive queue with the session's bindings, consumes it, and
 * publishes with the QMF envelope. Publishing honours channel backpressure (`drain`) and the
 * broker's `blocked`/`unblocked` notices by holding later publishes, in order, until it may
 * write. Failover over its list of URLs is {@link FailoverLink}'s.
 */
export class AmqpLink extends FailoverLink implements BrokerLink {
  readonly maxBodyBytes: number;
  private readonly opts: AmqpLinkOptions;
  private conn: ChannelModel | null = null;
  private channel: Channel | null = null;
  private user: string;
  private writable = true;
  private blocked = false;
  private readonly held = new HeldPublishes();
  private readonly headers = new HeaderCache();
  // Manual-ack bookkeeping (delivery tags count from 1 on each new channel).
  private nextToAck = 1;
  private lastInOrder = 0;
  private ackedUpTo = 0;
  private unflushed = 0;
  private readonly doneOutOfOrder = new Set<number>();
  private ackTimer: NodeJS.Timeout | null = null;
  private readonly ackBatch: number;

  constructor(opts: AmqpLinkOptions) {
    const urls = parseBrokerUrls(opts.urls ?? opts.url ?? []);
    super({
      urls,
      preferFirst: opts.preferFirst,
      connectionName: opts.connectionName,
      reconnect: opts.reconnect,
      log: opts.log,
    });
    const problem = opts.tls && tlsOptionsProblem(opts.tls);
    if (problem) throw new TypeError(`tls: ${problem}`);
    this.opts = opts;
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.ackBatch = Math.max(1, Math.floor((opts.prefetch ?? 0) / 4));
    this.user = this.userFor(this.currentUrl);
  }

  /**
   * The broker user a connection to `url` logs in as: the URL's, or with EXTERNAL login over
   * TLS the client certificate's common name (unless the URL names a user).
   */
  private userFor(url: string): string {
    if (this.opts.tls?.externalLogin && url.startsWith("amqps:")) {
      const named = new URL(url).username;
      if (named) return decodeURIComponent(named);
      return certificateUser(this.opts.tls) ?? "?";
    }
    return userOf(url);
  }

  /** The user of the node connected to (or to be tried first): every message's `user_id`. */
  get userId(): string {
    return this.user;
  }

  publish(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): Promise<void> {
    try {
      if (this.tryPublish(exchange, routingKey, body, props)) return RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
    const options = this.envelope(props);
    return this.held.hold(() => this.write(exchange, routingKey, body, options));
  }

  tryPublish(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): boolean {
    if (body.length > this.maxBodyBytes)
      throw new BodyTooLargeError(body.length, this.maxBodyBytes);
    if (!this.isOpen) {
      throw new ConnectionLostError(`cannot publish ${props.opcode}: not connected to the broker`);
    }
    if (!this.writable || this.blocked || this.held.size !== 0) return false;
    this.write(exchange, routingKey, body, this.envelope(props));
    return true;
  }

  /**
   * Deliveries finished in order are acknowledged in batches (`multiple`, never past one still
   * being worked on); one finished while an older one still runs is acknowledged alone at
   * once, so a long call holds one prefetch slot, not the whole window. The prefetch count
   * thus bounds the work in progress, and a steady request stream costs a fraction of an ack
   * write per message. A delivery of an older connection is ignored.
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

  headersFor(p: OutboundProps): Record<string, unknown> {
    return this.headers.get(p);
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
      userId: this.user,
      headers: p.headers ?? this.headers.get(p),
    };
    if (p.correlationId !== undefined) o.correlationId = p.correlationId;
    if (p.replyTo !== undefined) o.replyTo = p.replyTo;
    if (p.expirationMs !== undefined) o.expiration = String(Math.max(1, Math.ceil(p.expirationMs)));
    return o;
  }

  private write(exchange: string, key: string, body: Buffer, options: Options.Publish): void {
    const ch = this.channel;
    if (!ch) throw new ConnectionLostError("channel closed");
    if (!ch.publish(exchange, key, body, options)) this.writable = false;
  }

  private flush(): void {
    this.held.release(() => this.writable && !this.blocked && this.channel !== null);
  }

  protected forget(err: ConnectionLostError): void {
    this.resetAcks();
    this.held.failAll(err);
  }

  protected async disconnect(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    this.channel = null;
    if (conn) await conn.close().catch(() => {});
  }

  /** Connection, channel, exchanges, queue, bindings, consumer — all or nothing. */
  protected async connectTo(url: string, gen: number): Promise<() => void> {
    let conn: ChannelModel;
    const connectTimeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    const tls = this.opts.tls && url.startsWith("amqps:") ? this.opts.tls : undefined;
    try {
      conn = await amqp.connect(withHeartbeat(url, this.opts.heartbeatSeconds ?? 5), {
        clientProperties: { connection_name: this.opts.connectionName },
        // amqplib writes a message as several frames; with Nagle on, a small request can sit
        // in the kernel waiting for the peer's delayed ACK (~40 ms on Linux).
        noDelay: true,
        // Socket inactivity until the connection is open: covers connect and handshake.
        timeout: connectTimeoutMs,
        ...(tls ? await tlsSocketOptions(tls, redactUrl(url)) : {}),
        ...(tls?.externalLogin ? { credentials: amqp.credentials.external() } : {}),
      });
    } catch (e) {
      throw classifyConnectError(e, url, connectTimeoutMs, this.userFor(url));
    }
    try {
      conn.on("error", (err: Error) => this.warn(`broker connection error: ${err.message}`));
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
      ch.on("error", (err: Error) => this.warn(`broker channel error: ${err.message}`));
      ch.on("close", () => {
        // Any channel close we did not ask for is a protocol fault: start afresh on a new
        // connection rather than limp on with a half-configured one.
        if (this.channel === ch && this.isOpen) conn.close().catch(() => {});
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
                { cause: e, url: redactUrl(url) },
              )
            : e;
        });
      for (const b of this.opts.bindings) await ch.bindQueue(q.queue, b.exchange, b.key);
      const prefetch = this.opts.prefetch ?? 0;
      if (prefetch > 0) await ch.prefetch(prefetch);
      const onMessage = this.opts.onMessage;
      const manualAck = prefetch > 0;
      // Deliveries can be parsed before the consume-ok continuation runs; they wait until the
      // link is open, so that their replies can be sent.
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
      this.resetAcks();
      this.conn = conn;
      this.channel = ch;
      this.user = this.userFor(url);
      this.writable = true;
      this.blocked = false;
      return () => {
        const waiting = early ?? [];
        early = null;
        for (const m of waiting) onMessage(toInbound(m, gen, manualAck));
        this.flush();
      };
    } catch (e) {
      await conn.close().catch(() => {});
      throw e;
    }
  }

  private onConnectionClosed(conn: ChannelModel, err?: Error): void {
    if (conn !== this.conn) return; // an abandoned attempt, or after close()
    this.conn = null;
    this.channel = null;
    this.lost(err);
  }

  private warn(msg: string): void {
    this.opts.log?.warn(`[qmf ${this.opts.connectionName}] ${msg}`);
  }
}

function toInbound(m: ConsumeMessage, generation: number, manualAck: boolean): InboundMessage {
  return inboundMessage(m.content, m.properties, {
    routingKey: m.fields.routingKey,
    redelivered: m.fields.redelivered,
    deliveryTag: manualAck ? m.fields.deliveryTag : 0,
    generation,
  });
}

function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has("heartbeat")) u.searchParams.set("heartbeat", String(seconds));
  return u.toString();
}

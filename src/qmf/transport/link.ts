/**
 * The broker link: what a QMF session needs from a broker, and nothing of how it is reached.
 * {@link AmqpLink} speaks AMQP 0-9-1 to RabbitMQ over a list of URLs with failover;
 * {@link MemoryBroker}'s links route in-process (tests, demos). A session takes a
 * {@link BrokerLinkFactory} in its options, so either plugs in without the session knowing.
 */
import type { EventEmitter } from "node:events";
import { wireText } from "../codec/index.js";
import type { ConnectionLostError } from "../errors.js";
import { APP_ID, Header } from "./envelope.js";

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

/** A delivery, with the QMF envelope fields lifted out of the message properties. */
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
  /** Set for manual-ack links; pass the message to {@link BrokerLink.ack}. */
  readonly deliveryTag: number;
  /** Which connection of the link delivered it (an ack for an older one is ignored). */
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
   * The header table, when the caller built it once with {@link BrokerLink.headersFor} (hot
   * paths); otherwise derived from the fields above.
   */
  headers?: Record<string, unknown>;
}

/** The broker node a link is connected to. */
export interface BrokerNode {
  /** Its URL, password redacted (`amqp://guest:***@host:5672`, `memory://node`). */
  url: string;
}

/** A reconnect attempt about to be made: after `delayMs`; `error` is why the last one failed. */
export interface ReconnectInfo {
  attempt: number;
  delayMs: number;
  error?: Error;
}

/** Events of a {@link BrokerLink}. */
export interface BrokerLinkEvents {
  connected: [node: BrokerNode];
  disconnected: [err: ConnectionLostError];
  reconnecting: [info: ReconnectInfo];
  /** Back on a broker node (maybe another one than before), queue and bindings declared again. */
  reconnected: [node: BrokerNode];
  blocked: [reason: string];
  unblocked: [];
  /** Unrecoverable (credentials refused): the link is closed. */
  fatal: [err: Error];
}

/**
 * One session's way to a broker: an exclusive queue with the session's bindings, consumed,
 * and publishing with the QMF envelope. On a lost connection it reconnects by itself (to the
 * next node that answers), declares queue, bindings and consumer again, and reports
 * `disconnected` → `reconnecting`… → `reconnected`. Publishes waiting when the connection
 * drops reject with `ConnectionLostError`; nothing is ever re-sent.
 */
export interface BrokerLink extends EventEmitter<BrokerLinkEvents> {
  /** The broker user every message is sent as (`user_id`; the broker checks it). */
  readonly userId: string;
  /** Is the link connected right now? */
  readonly isOpen: boolean;
  /** The largest body sent or accepted. */
  readonly maxBodyBytes: number;
  /** The node connected to now; undefined while not connected. */
  readonly node: BrokerNode | undefined;
  /** Connects once (trying each node of the list once); rejects with a `BrokerConnectError`. */
  open(): Promise<void>;
  /** Disconnects; waiting publishes reject; no reconnect follows. */
  close(): Promise<void>;
  /**
   * Publishes one message: resolves when it has been handed to the broker connection. Rejects
   * with `BodyTooLargeError` before sending anything over the limit, and with
   * `ConnectionLostError` when not connected or when the connection drops while it waits.
   */
  publish(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): Promise<void>;
  /**
   * The allocation-free fast path of {@link publish}: sends now and returns true, or returns
   * false (nothing sent) when the message would have to wait — then call {@link publish}.
   * Throws `BodyTooLargeError` and `ConnectionLostError` synchronously.
   */
  tryPublish(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): boolean;
  /** Marks a delivery of a manual-ack link as done; every delivery exactly once. */
  ack(msg: InboundMessage): void;
  /** The header table of a message, built once per combination of its constant fields. */
  headersFor(props: OutboundProps): Record<string, unknown>;
}

/** What a session asks of its link: its name, its subscriptions, and who takes deliveries. */
export interface LinkRequest {
  /** Shown in the broker's connection list. */
  connectionName: string;
  /** Bindings of the session's exclusive, auto-delete queue. */
  bindings: Binding[];
  /**
   * The queue's name; omitted = one the broker picks. An exclusive queue has one holder at a
   * time, so a fixed name is refused to a second connection (`NameInUseError`).
   */
  queueName?: string;
  /**
   * Manual acknowledgement with this many unacknowledged deliveries at most (flow control for
   * an agent whose handlers are slow); 0 or omitted = no acks (consoles).
   */
  prefetch?: number;
  /** Called for every delivery, in order. Must not throw. */
  onMessage: (msg: InboundMessage) => void;
}

/** Makes a session's link; `SessionConnectionOptions.link` takes one. */
export type BrokerLinkFactory = (request: LinkRequest) => BrokerLink;

/**
 * Header tables by their constant fields: a message's headers depend only on a few of them,
 * so each combination is built once (links read a table and never change it).
 */
export class HeaderCache {
  private readonly tables = new Map<string, Record<string, unknown>>();

  get(p: OutboundProps): Record<string, unknown> {
    const key = `${p.opcode}|${p.agentName ?? ""}|${p.content ?? ""}|${p.method ?? ""}|${p.partial ? 1 : 0}`;
    let h = this.tables.get(key);
    if (h) return h;
    h = { [Header.OPCODE]: p.opcode, [Header.APP_ID_0_10]: APP_ID };
    if (p.agentName !== undefined) h[Header.AGENT] = p.agentName;
    if (p.content !== undefined) h[Header.CONTENT] = p.content;
    if (p.method !== undefined) h[Header.METHOD] = p.method;
    if (p.partial) h[Header.PARTIAL] = true;
    if (this.tables.size > 256) this.tables.clear();
    this.tables.set(key, h);
    return h;
  }
}

/** The message properties a delivery carries (amqplib's names; the in-memory broker's too). */
export interface DeliveredProperties {
  contentType?: unknown;
  correlationId?: unknown;
  replyTo?: unknown;
  userId?: unknown;
  appId?: unknown;
  headers?: Record<string, unknown>;
}

/** A delivery's QMF envelope, lifted out of its properties and headers. */
export function inboundMessage(
  body: Buffer,
  p: DeliveredProperties,
  delivery: { routingKey: string; redelivered: boolean; deliveryTag: number; generation: number },
): InboundMessage {
  const h = p.headers ?? {};
  return {
    body,
    opcode: wireText(h[Header.OPCODE]),
    contentType: wireText(p.contentType),
    correlationId: wireText(p.correlationId),
    replyTo: wireText(p.replyTo),
    userId: wireText(p.userId),
    appId: wireText(p.appId) ?? wireText(h[Header.APP_ID_0_10]),
    agentName: wireText(h[Header.AGENT]),
    content: wireText(h[Header.CONTENT]),
    partial: h[Header.PARTIAL] !== undefined,
    routingKey: delivery.routingKey,
    redelivered: delivery.redelivered,
    deliveryTag: delivery.deliveryTag,
    generation: delivery.generation,
  };
}

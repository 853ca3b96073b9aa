import { BrokerConnectError, NameInUseError } from "../errors.js";
import { APP_ID, DIRECT_EXCHANGE, Header, TOPIC_EXCHANGE } from "./envelope.js";
import {
  type Binding,
  type BrokerLinkFactory,
  type DeliveredProperties,
  HeaderCache,
  type InboundMessage,
  inboundMessage,
  type LinkRequest,
  type OutboundProps,
} from "./link.js";
import { MemoryLink, type MemoryLinkOptions } from "./memory-link.js";

/** A message as the in-memory broker holds it. */
interface StoredMessage {
  body: Buffer;
  properties: DeliveredProperties;
  routingKey: string;
  redelivered: boolean;
  /** `Date.now()` after which it is dropped undelivered (its `expiration`); 0 = never. */
  expiresAt: number;
}

/** One client connection to a node; the broker closes it when the node stops. */
export interface MemoryConnection {
  readonly node: string;
  readonly user: string;
  /** The queue this connection declared (exclusive: it goes with the connection). */
  readonly queue: string;
  /** Begins deliveries to the consumer. */
  startConsuming(): void;
  /** Marks a manual-ack delivery done. */
  ack(deliveryTag: number): void;
  close(): void;
}

/** What the broker tells a connection's owner. */
export interface ConnectionEvents {
  /** The broker closed the connection (its node stopped, or connections were dropped). */
  lost(reason: Error): void;
  /** Publishing must wait (a resource alarm, as RabbitMQ's `connection.blocked`). */
  blocked(reason: string): void;
  /** Publishing may go on. */
  unblocked(): void;
}

class Queue {
  readonly messages: StoredMessage[] = [];
  readonly bindings: Binding[] = [];
  consuming = false;
  unacked = 0;
  private nextTag = 1;
  private drainScheduled = false;

  constructor(
    readonly name: string,
    /** 0 = deliveries need no ack (and are not limited). */
    private readonly prefetch: number,
    private readonly consumer: (msg: StoredMessage, deliveryTag: number) => void,
  ) {}

  push(m: StoredMessage): void {
    this.messages.push(m);
    this.scheduleDrain();
  }

  ack(): void {
    if (this.unacked > 0) this.unacked--;
    this.scheduleDrain();
  }

  /** Deliveries are asynchronous, as from a real broker: never inside the publisher's call. */
  scheduleDrain(): void {
    if (this.drainScheduled || !this.consuming) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.consuming && this.messages.length > 0) {
      if (this.prefetch > 0 && this.unacked >= this.prefetch) return;
      const m = this.messages.shift()!;
      if (m.expiresAt !== 0 && Date.now() > m.expiresAt) continue;
      if (this.prefetch > 0) this.unacked++;
      this.consumer(m, this.prefetch > 0 ? this.nextTag++ : 0);
    }
  }
}

/** What {@link MemoryBroker.publish} takes besides the QMF envelope: what a peer could set. */
export interface InjectedProps extends OutboundProps {
  /** Default "guest". The broker does not check it here: this is how a forged one is tested. */
  userId?: string;
  redelivered?: boolean;
  /** Default "qmf2"; `null` leaves it off. */
  appId?: string | null;
}

/**
 * A small broker in process, for tests and demos: RabbitMQ's routing as QMF uses it — the
 * default exchange (by queue name), `qmf.default.direct` (exact key) and `qmf.default.topic`
 * (AMQP topic patterns: `*` one word, `#` zero or more) — exclusive queues that go with their
 * connection, manual acknowledgement with a prefetch window, `user_id` set to the sending
 * connection's user, and `expiration` (a message that waited longer is dropped). It has
 * nodes like a cluster (`memory://<node>` each, one routing table for all), which can be
 * stopped and started to exercise failover. Sessions reach it through
 * {@link MemoryBroker.linkFactory}.
 */
export class MemoryBroker {
  /** `memory://<node>` of each node, in order. */
  readonly urls: string[];
  private readonly up = new Set<string>();
  private readonly queues = new Map<string, Queue>();
  private readonly connections = new Map<MemoryConnection, ConnectionEvents>();
  private readonly headers = new HeaderCache();
  private nextQueue = 1;
  /** Why publishing is blocked now; null = it is not. */
  private alarm: string | null = null;

  constructor(opts: { nodes?: string[] } = {}) {
    const nodes = opts.nodes ?? ["memory"];
    this.urls = nodes.map((n) => `memory://${n}`);
    for (const n of nodes) this.up.add(n);
  }

  /**
   * Links for sessions on this broker:
   * `new AgentSession({ link: broker.linkFactory({ user: "alice" }), … })`.
   */
  linkFactory(opts: MemoryLinkOptions = {}): BrokerLinkFactory {
    return (request) => new MemoryLink(this, request, opts);
  }

  /** Names of the queues that exist now. */
  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** Connections open now, by node. */
  connectionCount(node?: string): number {
    let n = 0;
    for (const c of this.connections.keys()) if (node === undefined || c.node === node) n++;
    return n;
  }

  /** Stops a node: its connections drop (their queues with them); it refuses new ones. */
  stopNode(node: string): void {
    this.up.delete(node);
    this.dropConnections(node);
  }

  /** Starts a stopped node again. */
  startNode(node: string): void {
    if (!this.urls.includes(`memory://${node}`)) throw new TypeError(`no node ${node}`);
    this.up.add(node);
  }

  /** Closes the connections of one node, or all (as `rabbitmqctl close_all_connections`). */
  dropConnections(node?: string): void {
    for (const [c, events] of [...this.connections]) {
      if (node !== undefined && c.node !== node) continue;
      c.close();
      events.lost(new Error(`connection closed by the broker (node ${c.node})`));
    }
  }

  /**
   * Raises a resource alarm: every connection, and each one opened while it lasts, is told
   * publishing is blocked (its link holds publishes, in order) until {@link unblock}.
   */
  block(reason = "low on memory"): void {
    this.alarm = reason;
    for (const events of [...this.connections.values()]) events.blocked(reason);
  }

  /** Clears the alarm: the connections may publish again. */
  unblock(): void {
    if (this.alarm === null) return;
    this.alarm = null;
    for (const events of [...this.connections.values()]) events.unblocked();
  }

  /**
   * Opens a connection on the node `url` names and declares the session's queue with its
   * bindings; deliveries start with {@link MemoryConnection.startConsuming}. While an alarm is
   * raised the new connection is told at once that it is blocked.
   */
  connect(
    url: string,
    user: string,
    request: LinkRequest,
    generation: number,
    events: ConnectionEvents,
  ): MemoryConnection {
    const node = url.startsWith("memory://") ? url.slice("memory://".length) : "";
    if (!this.up.has(node)) {
      throw new BrokerConnectError("REFUSED", `cannot connect to the broker at ${url}: node down`, {
        url,
      });
    }
    const name = request.queueName ?? `amq.gen-${this.nextQueue++}`;
    if (this.queues.has(name)) {
      throw new NameInUseError(
        `queue ${JSON.stringify(name)} is held by another connection to the broker`,
        { url },
      );
    }
    const prefetch = request.prefetch ?? 0;
    const q = new Queue(name, prefetch, (m, tag) =>
      request.onMessage(
        inboundMessage(m.body, m.properties, {
          routingKey: m.routingKey,
          redelivered: m.redelivered,
          deliveryTag: tag,
          generation,
        }),
      ),
    );
    q.bindings.push(...request.bindings);
    this.queues.set(name, q);
    const conn: MemoryConnection = {
      node,
      user,
      queue: name,
      startConsuming: () => {
        q.consuming = true;
        q.scheduleDrain();
      },
      ack: () => q.ack(),
      close: () => {
        if (!this.connections.delete(conn)) return;
        q.consuming = false;
        this.queues.delete(name);
      },
    };
    this.connections.set(conn, events);
    if (this.alarm !== null) events.blocked(this.alarm);
    return conn;
  }

  /**
   * A plain consumer on the first node that is up, as a test's eavesdropper or hand-made
   * peer: what reaches its queue (a reply address through the default exchange) collects in
   * `messages`.
   */
  tap(bindings: Binding[] = []): { queue: string; messages: InboundMessage[]; close(): void } {
    const node = this.urls.find((u) => this.up.has(u.slice("memory://".length)));
    if (!node) throw new Error("every node of the in-memory broker is stopped");
    const messages: InboundMessage[] = [];
    const conn = this.connect(
      node,
      "guest",
      { connectionName: "tap", bindings, onMessage: (m) => messages.push(m) },
      0,
      { lost: () => {}, blocked: () => {}, unblocked: () => {} },
    );
    conn.startConsuming();
    return { queue: conn.queue, messages, close: () => conn.close() };
  }

  /** Routes a message published on `conn` (its user becomes `user_id`). */
  route(
    conn: MemoryConnection,
    exchange: string,
    routingKey: string,
    body: Buffer,
    props: OutboundProps,
  ): void {
    this.deliver(exchange, routingKey, body, props, conn.user, false, APP_ID);
  }

  /**
   * Publishes a message as a hand-made peer would (any `user_id`, a redelivery flag, a
   * missing app id): for tests of what a session does with such input.
   */
  publish(exchange: string, routingKey: string, body: Buffer, props: InjectedProps): void {
    const appId = props.appId === null ? undefined : (props.appId ?? APP_ID);
    this.deliver(
      exchange,
      routingKey,
      body,
      props,
      props.userId ?? "guest",
      props.redelivered ?? false,
      appId,
    );
  }

  private deliver(
    exchange: string,
    routingKey: string,
    body: Buffer,
    props: OutboundProps,
    userId: string,
    redelivered: boolean,
    appId: string | undefined,
  ): void {
    if (exchange !== "" && exchange !== DIRECT_EXCHANGE && exchange !== TOPIC_EXCHANGE) {
      throw new Error(`no exchange ${JSON.stringify(exchange)} on the in-memory broker`);
    }
    const headers = { ...(props.headers ?? this.headers.get(props)) };
    if (appId === undefined) delete headers[Header.APP_ID_0_10];
    const m: StoredMessage = {
      body,
      properties: {
        contentType: props.contentType,
        correlationId: props.correlationId,
        replyTo: props.replyTo,
        userId,
        appId,
        headers,
      },
      routingKey,
      redelivered,
      expiresAt:
        props.expirationMs === undefined ? 0 : Date.now() + Math.max(1, props.expirationMs),
    };
    for (const q of this.queues.values()) {
      if (routes(q, exchange, routingKey)) q.push({ ...m });
    }
  }
}

function routes(q: Queue, exchange: string, key: string): boolean {
  if (exchange === "") return q.name === key;
  for (const b of q.bindings) {
    if (b.exchange !== exchange) continue;
    if (exchange === DIRECT_EXCHANGE ? b.key === key : topicMatches(b.key, key)) return true;
  }
  return false;
}

/**
 * AMQP topic matching: words are separated by dots; in the pattern `*` stands for exactly one
 * word and `#` for zero or more.
 */
export function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split(".");
  const k = key.split(".");
  const from = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === "#") {
      for (let skip = j; skip <= k.length; skip++) if (from(i + 1, skip)) return true;
      return false;
    }
    return j < k.length && (p[i] === "*" || p[i] === k[j]) && from(i + 1, j + 1);
  };
  return from(0, 0);
}

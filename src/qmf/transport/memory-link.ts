import type { BackoffOptions } from "../../util/backoff.js";
import { BodyTooLargeError, ConnectionLostError } from "../errors.js";
import { FailoverLink } from "./failover-link.js";
import { HeldPublishes } from "./held-publishes.js";
import {
  type BrokerLink,
  HeaderCache,
  type InboundMessage,
  type LinkRequest,
  type Logger,
  type OutboundProps,
} from "./link.js";
import type { MemoryBroker, MemoryConnection } from "./memory-broker.js";

/** Options of the links {@link MemoryBroker.linkFactory} makes. */
export interface MemoryLinkOptions {
  /** The connection's user, every message's `user_id` (default "guest"). */
  user?: string;
  /** The nodes to use, in order from a random one (default: all of the broker's). */
  urls?: readonly string[];
  /** Largest body sent (default 16 MiB). */
  maxBodyBytes?: number;
  reconnect?: BackoffOptions;
  log?: Logger;
}

const RESOLVED = Promise.resolve();

/**
 * A session's link to a {@link MemoryBroker}: the same life as the AMQP link (random first
 * node, failover to the next that answers after a loss, queue and bindings declared again)
 * with in-process routing instead of a socket. Publishes are held back, in order, only while
 * the broker blocks publishing ({@link MemoryBroker.block}), as backpressure would.
 */
export class MemoryLink extends FailoverLink implements BrokerLink {
  readonly userId: string;
  readonly maxBodyBytes: number;
  private conn: MemoryConnection | null = null;
  private readonly headers = new HeaderCache();
  private blocked = false;
  private readonly held = new HeldPublishes();

  constructor(
    private readonly broker: MemoryBroker,
    private readonly request: LinkRequest,
    opts: MemoryLinkOptions = {},
  ) {
    super({
      urls: opts.urls ?? broker.urls,
      connectionName: request.connectionName,
      reconnect: opts.reconnect,
      log: opts.log,
    });
    this.userId = opts.user ?? "guest";
    this.maxBodyBytes = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  }

  publish(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): Promise<void> {
    try {
      if (this.tryPublish(exchange, routingKey, body, props)) return RESOLVED;
    } catch (e) {
      return Promise.reject(e);
    }
    return this.held.hold(() => this.route(exchange, routingKey, body, props));
  }

  tryPublish(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): boolean {
    if (body.length > this.maxBodyBytes)
      throw new BodyTooLargeError(body.length, this.maxBodyBytes);
    if (!this.isOpen || !this.conn) {
      throw new ConnectionLostError(`cannot publish ${props.opcode}: not connected to the broker`);
    }
    if (this.blocked || this.held.size !== 0) return false;
    this.route(exchange, routingKey, body, props);
    return true;
  }

  ack(msg: InboundMessage): void {
    if (msg.generation !== this.generation || !this.conn || msg.deliveryTag === 0) return;
    this.conn.ack(msg.deliveryTag);
  }

  headersFor(p: OutboundProps): Record<string, unknown> {
    return this.headers.get(p);
  }

  private route(exchange: string, routingKey: string, body: Buffer, props: OutboundProps): void {
    if (!this.conn) throw new ConnectionLostError("not connected to the broker");
    this.broker.route(this.conn, exchange, routingKey, body, props);
  }

  protected async connectTo(url: string, generation: number): Promise<() => void> {
    this.blocked = false;
    const conn = this.broker.connect(url, this.userId, this.request, generation, {
      lost: (reason) => {
        if (this.conn !== conn) return;
        this.conn = null;
        this.lost(reason);
      },
      blocked: (reason) => {
        this.blocked = true;
        this.emit("blocked", reason);
      },
      unblocked: () => {
        this.blocked = false;
        this.emit("unblocked");
        this.held.release(() => !this.blocked);
      },
    });
    this.conn = conn;
    return () => conn.startConsuming();
  }

  protected async disconnect(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    conn?.close();
  }

  protected forget(err: ConnectionLostError): void {
    this.held.failAll(err);
  }
}

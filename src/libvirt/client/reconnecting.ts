// Keeps one libvirt connection alive across daemon restarts. Like virsh, it reconnects for
// the *next* call and never retries a call that failed: a call in flight when the link drops
// rejects with ConnectionLostError and its outcome is the caller's to find out.
import { EventEmitter } from "node:events";
import { Backoff } from "../../util/backoff.js";
import { type EventKind, eventKinds } from "../codec/index.js";
import { ConnectionLostError } from "../errors.js";
import {
  type ConnectOptions,
  connect,
  type LibvirtClient,
  type LibvirtEventMap,
} from "./client.js";

/** Options of {@link ReconnectingLibvirt}: connect options plus the retry backoff. */
export interface ReconnectOptions extends ConnectOptions {
  /** First delay before reconnecting (ms; doubles per failed attempt, ±20 %). Default 200. */
  minRetryDelayMs?: number;
  /** Largest delay between attempts (ms). Default 5000. */
  maxRetryDelayMs?: number;
}

/**
 * Events emitted by {@link ReconnectingLibvirt}: the client's event kinds, forwarded from
 * whichever client is current, and:
 */
export interface ReconnectingLibvirtEvents extends LibvirtEventMap {
  /** A client is open (first time). */
  connected: [];
  /** The link dropped; calls in flight were rejected; reconnecting starts. */
  disconnected: [err: Error];
  /** A new connection is open and every event callback is registered again. */
  reconnected: [];
  /** One connection attempt failed (it will be retried after a delay). */
  connectFailed: [err: Error];
}

/**
 * A libvirt connection that re-opens itself. Use `.client` for calls (it throws
 * ConnectionLostError while disconnected); subscribe to events on this object — they are
 * forwarded from whichever client is current, and re-registered after each reconnect.
 */
export class ReconnectingLibvirt extends EventEmitter<ReconnectingLibvirtEvents> {
  readonly uri: string;
  private readonly options: ReconnectOptions;
  private current: LibvirtClient | null = null;
  /** The event kinds asked for: registered on every new client. */
  private readonly wantedEvents = new Set<EventKind>();
  private stopped = false;
  private everConnected = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private firstOpen: Promise<void> | null = null;
  private readonly backoff: Backoff;
  private connectedWaiters: (() => void)[] = [];
  private rejectFirstOpen: ((err: Error) => void) | null = null;

  constructor(uri: string, options: ReconnectOptions = {}) {
    super();
    this.uri = uri;
    this.options = options;
    this.backoff = new Backoff(
      { initialDelayMs: options.minRetryDelayMs, maxDelayMs: options.maxRetryDelayMs },
      { initialDelayMs: 200, maxDelayMs: 5000 },
    );
  }

  /** The open client; throws ConnectionLostError while disconnected. */
  get client(): LibvirtClient {
    if (!this.current || this.current.closed) {
      throw new ConnectionLostError(`not connected to libvirt at ${this.uri}`, {
        code: "NOT_CONNECTED",
      });
    }
    return this.current;
  }

  /** True while a client is open. */
  get connected(): boolean {
    return this.current !== null && !this.current.closed;
  }

  /**
   * Connects, retrying with backoff until it succeeds or close() is called. Resolves on the
   * first successful connection; rejects only if closed before that.
   */
  open(): Promise<void> {
    if (!this.firstOpen) {
      this.firstOpen = new Promise<void>((resolve, reject) => {
        this.connectedWaiters.push(resolve);
        this.rejectFirstOpen = reject;
      });
      void this.tryConnect();
    }
    return this.firstOpen;
  }

  /** Waits until connected (now or after a reconnect), at most `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connectedWaiters = this.connectedWaiters.filter((w) => w !== done);
        reject(
          new ConnectionLostError(`no libvirt connection within ${timeoutMs} ms`, {
            code: "NOT_CONNECTED",
          }),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.connectedWaiters.push(done);
    });
  }

  /**
   * Subscribes to the given event families now (if connected) and on every new connection;
   * they arrive as this object's events of the same names (see LibvirtClient.registerEvents).
   */
  async registerEvents(kinds: Iterable<EventKind>): Promise<void> {
    const list = [...kinds];
    for (const kind of list) this.wantedEvents.add(kind);
    if (this.connected) await this.client.registerEvents(list);
  }

  /** Ends the subscriptions of the given kinds, now and for later connections. */
  async deregisterEvents(kinds: Iterable<EventKind>): Promise<void> {
    const list = [...kinds];
    for (const kind of list) this.wantedEvents.delete(kind);
    if (this.connected) await this.client.deregisterEvents(list);
  }

  /** Closes the current client and stops reconnecting. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.everConnected) {
      this.rejectFirstOpen?.(
        new ConnectionLostError(`closed before connecting to ${this.uri}`, { code: "CLOSED" }),
      );
    }
    const c = this.current;
    this.current = null;
    if (c) await c.close();
  }

  private async tryConnect(): Promise<void> {
    if (this.stopped) return;
    let client: LibvirtClient | undefined;
    try {
      client = await connect(this.uri, this.options);
      await this.syncEvents(client);
    } catch (err) {
      // A client that opened but failed to re-register is dropped and retried as a whole.
      client?.destroy();
      if (this.stopped) return;
      this.emit("connectFailed", err as Error);
      this.scheduleRetry();
      return;
    }
    if (this.stopped) {
      await client.close();
      return;
    }
    this.backoff.reset();
    this.current = client;
    for (const kind of eventKinds) {
      client.on(kind, (e: LibvirtEventMap[typeof kind][0]) => (this as EventEmitter).emit(kind, e));
    }
    client.on("error", () => {
      // Undecodable events are dropped; the connection stays up.
    });
    client.once("close", (err) => {
      if (this.current !== client) return;
      this.current = null;
      if (this.stopped) return;
      this.emit(
        "disconnected",
        err ?? new ConnectionLostError("libvirt connection closed", { code: "CLOSED" }),
      );
      this.scheduleRetry();
    });
    const first = !this.everConnected;
    this.everConnected = true;
    this.emit(first ? "connected" : "reconnected");
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Registers the wanted event kinds on a new client before it is published, and follows
   * registerEvents / deregisterEvents calls made while that is under way.
   */
  private async syncEvents(client: LibvirtClient): Promise<void> {
    for (;;) {
      const have = client.registeredEvents;
      const missing = [...this.wantedEvents].filter((kind) => !have.includes(kind));
      const extra = have.filter((kind) => !this.wantedEvents.has(kind));
      if (missing.length === 0 && extra.length === 0) return;
      await client.registerEvents(missing);
      await client.deregisterEvents(extra);
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.tryConnect();
    }, this.backoff.delay());
  }
}

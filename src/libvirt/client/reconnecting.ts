// Keeps one libvirt connection alive across daemon restarts. Like virsh, it reconnects for
// the *next* call and never retries a call that failed: a call in flight when the link drops
// rejects with ConnectionLostError and its outcome is the caller's to find out.
import { EventEmitter } from "node:events";
import { ConnectionLostError } from "../errors.js";
import {
  type ConnectOptions,
  connect,
  type DomainLifecycleEvent,
  type LibvirtClient,
  type PoolLifecycleEvent,
  type PoolRefreshEvent,
} from "./client.js";

/** Options of {@link ReconnectingLibvirt}: connect options plus the retry backoff. */
export interface ReconnectOptions extends ConnectOptions {
  /** First delay before reconnecting (ms). Default 200. */
  minRetryDelayMs?: number;
  /** Largest delay between attempts (ms). Default 5000. */
  maxRetryDelayMs?: number;
}

/** Events emitted by {@link ReconnectingLibvirt}. */
export interface ReconnectingLibvirtEvents {
  /** A client is open (first time). */
  connected: [];
  /** The link dropped; calls in flight were rejected; reconnecting starts. */
  disconnected: [err: Error];
  /** A new connection is open and every event callback is registered again. */
  reconnected: [];
  /** One connection attempt failed (it will be retried after a delay). */
  connectFailed: [err: Error];
  domainLifecycle: [DomainLifecycleEvent];
  poolLifecycle: [PoolLifecycleEvent];
  poolRefresh: [PoolRefreshEvent];
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
  private wantDomainEvents = false;
  private wantPoolEvents = false;
  private stopped = false;
  private everConnected = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private firstOpen: Promise<void> | null = null;
  private attempt = 0;
  private connectedWaiters: (() => void)[] = [];
  private rejectFirstOpen: ((err: Error) => void) | null = null;

  constructor(uri: string, options: ReconnectOptions = {}) {
    super();
    this.uri = uri;
    this.options = options;
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

  /** Registers domain lifecycle events now and after every reconnect. */
  async registerDomainLifecycleEvents(): Promise<void> {
    this.wantDomainEvents = true;
    if (this.connected) await this.client.registerDomainLifecycleEvents();
  }

  /** Registers pool lifecycle/refresh events now and after every reconnect. */
  async registerPoolEvents(): Promise<void> {
    this.wantPoolEvents = true;
    if (this.connected) await this.client.registerPoolEvents();
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
    this.attempt++;
    let client: LibvirtClient | undefined;
    try {
      client = await connect(this.uri, this.options);
      if (this.wantDomainEvents) await client.registerDomainLifecycleEvents();
      if (this.wantPoolEvents) await client.registerPoolEvents();
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
    this.attempt = 0;
    this.current = client;
    client.on("domainLifecycle", (e) => this.emit("domainLifecycle", e));
    client.on("poolLifecycle", (e) => this.emit("poolLifecycle", e));
    client.on("poolRefresh", (e) => this.emit("poolRefresh", e));
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

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const min = this.options.minRetryDelayMs ?? 200;
    const max = this.options.maxRetryDelayMs ?? 5000;
    const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 10));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.tryConnect();
    }, delay);
  }
}

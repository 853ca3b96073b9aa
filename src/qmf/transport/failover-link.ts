import { EventEmitter } from "node:events";
import { Backoff, type BackoffOptions } from "../../util/backoff.js";
import {
  AuthenticationError,
  BrokerConnectError,
  ConnectionLostError,
  NameInUseError,
  NotConnectedError,
} from "../errors.js";
import { redactUrl } from "./broker-url.js";
import type {
  BrokerLink,
  BrokerLinkEvents,
  BrokerNode,
  InboundMessage,
  Logger,
  OutboundProps,
} from "./link.js";

/** What every failover link is configured with, besides what it connects through. */
export interface FailoverOptions {
  /** The nodes to try, in order from a random one (none: `open()` fails). */
  urls: readonly string[];
  /**
   * Try the first URL first instead of a random one (a preferred node; tests that need to
   * know where a session is). Failover after a loss is the same either way.
   */
  preferFirst?: boolean;
  /** Shown in log lines (and, for AMQP, in the broker's connection list). */
  connectionName: string;
  /** Delays between rounds of reconnect attempts (defaults 100 ms, growing to 5 s). */
  reconnect?: BackoffOptions;
  log?: Logger;
}

type State = "idle" | "opening" | "open" | "reconnecting" | "closed";

/**
 * The connection life of a broker link over a list of nodes, whatever the wire: `open()` tries
 * each node once, from a random one (so a fleet spreads over the nodes); after a loss it waits
 * a backoff delay, then tries the nodes again starting with the one after the node it lost,
 * and so on until one answers or the credentials are refused. A subclass says how to connect
 * to one node ({@link connectTo}) and to drop the connection ({@link disconnect}), and reports
 * a loss with {@link lost}.
 */
export abstract class FailoverLink
  extends EventEmitter<BrokerLinkEvents>
  implements Pick<BrokerLink, "isOpen" | "node" | "open" | "close">
{
  /** Bumped for every connection, so a delivery knows which one it came on. */
  protected generation = 0;
  private state: State = "idle";
  private readonly urls: readonly string[];
  private readonly label: string;
  private readonly log: Logger | undefined;
  private readonly backoff: Backoff;
  /** The node connected to, or the last one tried. */
  private position: number;
  private connected: BrokerNode | undefined;
  private sleepTimer: NodeJS.Timeout | null = null;
  private wakeSleep: (() => void) | null = null;

  protected constructor(opts: FailoverOptions) {
    super();
    this.urls = opts.urls;
    this.label = opts.connectionName;
    this.log = opts.log;
    this.backoff = new Backoff(opts.reconnect, { initialDelayMs: 100, maxDelayMs: 5000 });
    this.position = opts.preferFirst ? 0 : Math.floor(Math.random() * opts.urls.length);
  }

  /**
   * Connects to one node and sets up queue, bindings and consumer. Resolves with a function
   * that starts delivering, called once the link counts as open (deliveries before that would
   * find a link that cannot reply yet). `generation` marks this connection's deliveries.
   */
  protected abstract connectTo(url: string, generation: number): Promise<() => void>;
  /** Drops the current connection, if any (after close(), or a connect that came too late). */
  protected abstract disconnect(): Promise<void>;
  /** The connection is gone: forget its acks, fail its waiting publishes with `err`. */
  protected abstract forget(err: ConnectionLostError): void;
  public abstract publish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    props: OutboundProps,
  ): Promise<void>;
  public abstract ack(msg: InboundMessage): void;

  get isOpen(): boolean {
    return this.state === "open";
  }

  get node(): BrokerNode | undefined {
    return this.state === "open" ? this.connected : undefined;
  }

  /** The URL connected to (or about to be tried), password included: for the subclass. */
  protected get currentUrl(): string {
    return this.urls[this.position] ?? "";
  }

  /** Has close() been called (or a fatal error closed the link)? */
  protected get closed(): boolean {
    return this.state === "closed";
  }

  async open(): Promise<void> {
    if (this.state !== "idle") throw new NotConnectedError(`broker link is ${this.state}`);
    this.state = "opening";
    try {
      await this.connectRound(this.position);
    } catch (e) {
      this.state = "closed";
      throw e;
    }
    this.emit("connected", this.connected!);
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.cancelSleep();
    this.forget(new ConnectionLostError("broker link closed"));
    await this.disconnect();
  }

  /** For the subclass: the current connection dropped (not at our request). */
  protected lost(cause?: Error): void {
    if (this.state !== "open") return;
    const err = new ConnectionLostError(
      `connection to the broker lost${cause ? `: ${cause.message}` : ""}`,
      { cause },
    );
    this.state = "reconnecting";
    this.forget(err);
    this.emit("disconnected", err);
    void this.reconnectLoop(cause);
  }

  /**
   * Tries each node once, from `start`; resolves on the first that answers. Refused
   * credentials, or our queue's name held elsewhere, end the round at once: every node of a
   * cluster would say the same.
   */
  private async connectRound(start: number): Promise<void> {
    if (this.urls.length === 0) {
      throw new BrokerConnectError("CONNECT_FAILED", "no broker URL was given");
    }
    let lastError: Error | undefined;
    for (let i = 0; i < this.urls.length; i++) {
      if (this.closed) throw new ConnectionLostError("broker link closed while connecting");
      const at = (start + i) % this.urls.length;
      this.position = at;
      const url = this.urls[at]!;
      try {
        const gen = ++this.generation;
        const startDelivering = await this.connectTo(url, gen);
        if (this.closed) {
          await this.disconnect();
          throw new ConnectionLostError("broker link closed while connecting");
        }
        this.connected = { url: redactUrl(url) };
        this.state = "open";
        startDelivering();
        return;
      } catch (e) {
        const err = e as Error;
        if (err instanceof AuthenticationError || err instanceof NameInUseError) throw err;
        if (err instanceof ConnectionLostError && this.closed) throw err;
        lastError = err;
        if (i < this.urls.length - 1) {
          this.log?.warn(
            `[qmf ${this.label}] broker ${redactUrl(url)} did not answer (${err.message}); trying the next`,
          );
        }
      }
    }
    throw lastError!;
  }

  private async reconnectLoop(firstError?: Error): Promise<void> {
    let lastError = firstError;
    for (let attempt = 1; this.state === "reconnecting"; attempt++) {
      const delayMs = this.backoff.delay();
      this.emit("reconnecting", { attempt, delayMs, error: lastError });
      await this.sleep(delayMs);
      if (this.state !== "reconnecting") return;
      try {
        await this.connectRound(this.position + 1);
        this.backoff.reset();
        this.emit("reconnected", this.connected!);
        return;
      } catch (e) {
        if (this.state !== "reconnecting") return;
        if (e instanceof AuthenticationError) {
          this.state = "closed";
          this.emit("fatal", e);
          return;
        }
        lastError = e as Error;
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
}

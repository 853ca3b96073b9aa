import {
  type BackoffOptions,
  type Binding,
  type InboundMessage,
  type Logger,
  Transport,
} from "./transport.js";

/** Connection options every QMF session (agent or console) has. */
export interface SessionConnectionOptions {
  /** Broker URL, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  url: string;
  /** Largest body sent or accepted (default 16 MiB). */
  maxBodyBytes?: number;
  reconnect?: BackoffOptions;
  /** AMQP heartbeat in seconds: how soon a hung broker is noticed (default 5). */
  amqpHeartbeatSeconds?: number;
  /** How long connecting (TCP and AMQP handshake) may take, in ms (default 10 s). */
  connectTimeoutMs?: number;
  log?: Logger;
}

/** Connection events every QMF session (agent or console) emits. */
export interface SessionConnectionEvents {
  connected: [];
  disconnected: [err: Error];
  /** A reconnect attempt is scheduled (after `delayMs`); `error` is why the last one failed. */
  reconnecting: [info: { attempt: number; delayMs: number; error?: Error }];
  reconnected: [];
  blocked: [reason: string];
  unblocked: [];
  /** Fatal (credentials refused after a reconnect): the session is closed. */
  error: [err: Error];
}

/** What a session adds to its transport: its address, its subscriptions and its reactions. */
export interface SessionLink {
  /** Shown in the broker's connection list. */
  connectionName: string;
  bindings: Binding[];
  onMessage(m: InboundMessage): void;
  /** A fixed name for the session's exclusive queue (omitted: the broker picks one). */
  queueName?: string;
  /** Unacknowledged deliveries at most (manual acknowledgement); omitted = auto-ack. */
  prefetch?: number;
  /** Runs before the session emits `disconnected`. */
  onDisconnected(err: Error): void;
  /** Runs before the session emits `reconnected`. */
  onReconnected(): void;
  /** Runs before the session emits `error`: the transport has given up for good. */
  onFatal(err: Error): void;
}

/**
 * The transport of a session, with the transport's connection events passed on as the
 * session's own (after the session's reaction to each), so the agent and console behave
 * alike across a broker restart or a forced close.
 */
export function sessionTransport(
  session: { emit(event: string, ...args: unknown[]): boolean },
  opts: SessionConnectionOptions,
  link: SessionLink,
): Transport {
  const transport = new Transport({
    url: opts.url,
    connectionName: link.connectionName,
    bindings: link.bindings,
    queueName: link.queueName,
    onMessage: link.onMessage,
    maxBodyBytes: opts.maxBodyBytes,
    prefetch: link.prefetch,
    reconnect: opts.reconnect,
    heartbeatSeconds: opts.amqpHeartbeatSeconds,
    connectTimeoutMs: opts.connectTimeoutMs,
    log: opts.log,
  });
  transport.on("disconnected", (e) => {
    link.onDisconnected(e);
    session.emit("disconnected", e);
  });
  transport.on("reconnected", () => {
    link.onReconnected();
    session.emit("reconnected");
  });
  transport.on("reconnecting", (info) => session.emit("reconnecting", info));
  transport.on("blocked", (r) => session.emit("blocked", r));
  transport.on("unblocked", () => session.emit("unblocked"));
  transport.on("fatal", (e) => {
    link.onFatal(e);
    session.emit("error", e);
  });
  return transport;
}

import type { Observer } from "../../observe/observer.js";
import type { BackoffOptions } from "../../util/backoff.js";
import { AmqpLink } from "./amqp-link.js";
import type {
  BrokerLink,
  BrokerLinkEvents,
  BrokerLinkFactory,
  LinkRequest,
  Logger,
} from "./link.js";
import type { TlsOptions } from "./tls-options.js";

/** Connection options every QMF session (agent or console) has. */
export interface SessionConnectionOptions {
  /**
   * The broker: one URL (`amqp://guest:guest@127.0.0.1:5672`), or the URLs of a cluster's
   * nodes as an array or as one text separated by commas. The session connects to a random
   * one and fails over to the next that answers. Not needed when `link` is given.
   */
  url?: string | readonly string[];
  /** Connect to the first URL of the list first, not to a random one (a preferred node). */
  preferFirst?: boolean;
  /**
   * Makes the session's broker link instead of the AMQP one the URL options describe (e.g. a
   * {@link MemoryBroker}'s links, for tests). The link's own settings apply then: `url`,
   * `maxBodyBytes`, `reconnect`, `amqpHeartbeatSeconds` and `connectTimeoutMs` are not used.
   */
  link?: BrokerLinkFactory;
  /** Largest body sent or accepted (default 16 MiB). */
  maxBodyBytes?: number;
  reconnect?: BackoffOptions;
  /** AMQP heartbeat in seconds: how soon a hung broker is noticed (default 5). */
  amqpHeartbeatSeconds?: number;
  /** How long connecting (TCP and AMQP handshake) may take, in ms (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * TLS settings for `amqps://` URLs: CA, client certificate and key, the server name to
   * verify, EXTERNAL login. The broker's chain and name are always verified.
   */
  tls?: TlsOptions;
  log?: Logger;
  /** Told what the session counts (drops, methods, requests, agents, link losses). */
  observer?: Observer;
}

/**
 * Connection events every QMF session (agent or console) emits: its link's (see
 * {@link BrokerLinkEvents}), with `error` for the link's `fatal` (the session is closed then).
 * `connected` comes once the session is ready (after its first heartbeat, for an agent).
 */
export interface SessionConnectionEvents extends Omit<BrokerLinkEvents, "fatal"> {
  error: [err: Error];
}

/** How a session reacts to its link's connection events, before it re-emits them. */
export interface SessionLinkHooks {
  /** Runs before the session emits `disconnected`. */
  onDisconnected(err: Error): void;
  /** Runs before the session emits `reconnected`. */
  onReconnected(): void;
  /** Runs before the session emits `error`: the link has given up for good. */
  onFatal(err: Error): void;
}

/**
 * The broker link of a session (the one `opts.link` makes, else an {@link AmqpLink} on
 * `opts.url`), with the link's connection events passed on as the session's own (after the
 * session's reaction to each), so the agent and console behave alike across a broker restart,
 * a forced close or a failover (`connected` is the session's own, once it is ready). Link
 * losses and returns are counted on `opts.observer`.
 */
export function sessionLink(
  session: { emit(event: string, ...args: unknown[]): boolean },
  opts: SessionConnectionOptions,
  request: LinkRequest,
  hooks: SessionLinkHooks,
): BrokerLink {
  const link = opts.link ? opts.link(request) : amqpLinkFor(opts, request);
  const observer = opts.observer;
  link.on("disconnected", (e) => {
    observer?.count?.("broker_disconnects", 1);
    hooks.onDisconnected(e);
    session.emit("disconnected", e);
  });
  link.on("reconnected", (node) => {
    observer?.count?.("broker_reconnects", 1);
    hooks.onReconnected();
    session.emit("reconnected", node);
  });
  link.on("reconnecting", (info) => session.emit("reconnecting", info));
  link.on("blocked", (r) => session.emit("blocked", r));
  link.on("unblocked", () => session.emit("unblocked"));
  link.on("fatal", (e) => {
    hooks.onFatal(e);
    session.emit("error", e);
  });
  return link;
}

function amqpLinkFor(opts: SessionConnectionOptions, request: LinkRequest): AmqpLink {
  if (opts.url === undefined) throw new TypeError("a QMF session needs a broker url or a link");
  return new AmqpLink({
    ...request,
    urls: opts.url,
    preferFirst: opts.preferFirst,
    maxBodyBytes: opts.maxBodyBytes,
    reconnect: opts.reconnect,
    heartbeatSeconds: opts.amqpHeartbeatSeconds,
    connectTimeoutMs: opts.connectTimeoutMs,
    tls: opts.tls,
    log: opts.log,
  });
}

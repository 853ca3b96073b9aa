// Opening a fleet: the QMF console session on the broker, the initial discovery, and the
// plain error that says why a broker cannot be used.
import { ConsoleSession, describeConnectFailure, type TlsOptions } from "../qmf/index.js";
import { redactUrl } from "../qmf/transport/broker-url.js";
import { discover, LIBVIRT_AGENTS } from "./discovery.js";
import { BrokerUnreachableError } from "./errors.js";
import { Fleet } from "./fleet.js";

/** Options of {@link connectFleet}. */
export interface FleetOptions {
  /**
   * Broker URL, e.g. `amqp://guest:guest@127.0.0.1:5672`, or the nodes of a cluster: an array
   * or a comma-separated list. The session starts at a random one and, when it loses it, moves
   * to the next that answers.
   */
  broker: string | readonly string[];
  /**
   * TLS settings for `amqps://` brokers: `caFile`, `certFile`/`keyFile`, `servername`,
   * `externalLogin`. The broker's certificate chain and name are always verified.
   */
  tls?: TlsOptions;
  /**
   * The broker user each agent sends as, by agent name: messages of a listed agent from any
   * other user are dropped. Agents not listed are bound to the user of their first heartbeat
   * (or locate answer).
   */
  agentUsers?: Readonly<Record<string, string>>;
  /** Timeout of each query and method call, in ms (default 10000). */
  timeoutMs?: number;
  /**
   * Longest wait for agents to answer the initial locate, in ms (default 3000). Discovery ends
   * earlier once agents have answered and none has for `settleMs`.
   */
  discoveryMs?: number;
  /**
   * Least quiet time after the last new agent that ends discovery, in ms (default 150). The
   * quiet time grows with the observed answer latency: after an answer that took `t` ms it is
   * at least {@link SETTLE_LATENCY_FACTOR} × `t`, so a fleet that answers slowly (a loaded
   * broker or hosts) is waited for in proportion.
   */
  settleMs?: number;
  /**
   * How many agents the caller expects: discovery does not end on quiet before that many have
   * answered (it still ends after `discoveryMs`), then ends after `settleMs` without a new one.
   * {@link Fleet.discoveryResult} tells how many did.
   */
  expectAgents?: number;
  /**
   * Resolve as soon as the broker connection is open, with discovery going on (default true:
   * wait for it). Whole-fleet queries then start on each agent as it answers; see
   * {@link Fleet.whenDiscovered}.
   */
  awaitDiscovery?: boolean;
  /** The console's name on the broker (default: random). */
  name?: string;
  /**
   * Which agents make up the fleet: a QMF predicate over agent attributes. Default: the
   * libvirt-qmf agents ({@link LIBVIRT_AGENTS}); other QMF agents on the broker are ignored.
   */
  agentFilter?: unknown[];
}

/**
 * Connects to the broker and discovers the agents: resolves once agents have answered and
 * none new has for `settleMs`, or after `discoveryMs` (with whatever answered, possibly none).
 * Throws BrokerUnreachableError when the broker cannot be reached or refuses the login.
 */
export async function connectFleet(opts: FleetOptions): Promise<Fleet> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const session = new ConsoleSession({
    url: opts.broker,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.agentUsers ? { agentUsers: opts.agentUsers } : {}),
    defaultTimeoutMs: timeoutMs,
    // A hung broker accepts the TCP connection and then says nothing: give up as a request would.
    connectTimeoutMs: timeoutMs,
    // The fleet reads through queries and passes published updates on; it never reads a cache.
    cacheObjects: false,
    agentFilter: opts.agentFilter ?? LIBVIRT_AGENTS,
    ...(opts.name ? { name: opts.name } : {}),
  });
  try {
    await session.open();
  } catch (err) {
    throw brokerError(opts.broker, err);
  }
  const fleet = new Fleet(session, timeoutMs);
  const discovery = discover(session, {
    maxMs: opts.discoveryMs ?? 3000,
    settleMs: opts.settleMs ?? 150,
    expectAgents: opts.expectAgents ?? 0,
  });
  fleet.setDiscovery(discovery);
  if (opts.awaitDiscovery === false) {
    discovery.catch(() => {}); // reported through whenDiscovered() and the queries
    return fleet;
  }
  try {
    await discovery;
  } catch (err) {
    await session.close().catch(() => {});
    throw err;
  }
  return fleet;
}

/** A plain error for a broker that cannot be used, with the password kept out of it. */
export function brokerError(url: string | readonly string[], err: unknown): BrokerUnreachableError {
  return new BrokerUnreachableError(
    `cannot use the broker at ${redactUrl(url)}: ${describeConnectFailure(err)}`,
    { cause: err },
  );
}

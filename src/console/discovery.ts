// Finding the agents: the locate sent at connect time and when to stop waiting for answers,
// and how an agent is shown to people (its host name) and found by one.
import type { AgentInfo, ConsoleSession } from "../qmf/index.js";
import { NotFoundError } from "./errors.js";
import { looksLikeUuid } from "./refs.js";

/** The agent filter of `lvq agent`s: vendor "libvirt-qmf", product "libvirt". */
export const LIBVIRT_AGENTS: unknown[] = [
  "and",
  ["eq", "_vendor", ["quote", "libvirt-qmf"]],
  ["eq", "_product", ["quote", "libvirt"]],
];

/**
 * After an answer to the locate that took `t` ms, discovery waits at least this many times `t`
 * for further answers: answers to one broadcast arrive spread over a time of the order of the
 * latency itself, so a fixed quiet time would cut off the slower agents exactly when the
 * system is slow.
 */
export const SETTLE_LATENCY_FACTOR = 2;

/** How the initial discovery went ({@link Fleet.discoveryResult}). */
export interface DiscoveryResult {
  /** Agents known when discovery ended. */
  agents: number;
  /** Milliseconds from sending the locate to the end of discovery. */
  elapsedMs: number;
  /** Milliseconds from sending the locate to the last new agent's answer (null: none). */
  lastAnswerMs: number | null;
  /** The quiet time that ended discovery, in ms (null: it ended at the `discoveryMs` cap). */
  quietMs: number | null;
}

/** One agent as the fleet sees it. */
export interface FleetAgent {
  /** Full agent name, `vendor:product:instance`. */
  name: string;
  instance: string;
  /**
   * The host as people name it: the instance name when it was chosen by hand, else the
   * agent's `hostname` attribute, else the instance (the host UUID).
   */
  host: string;
  epoch: number;
  /** Agent attributes (heartbeat), e.g. libvirt connection state. */
  attributes: Record<string, unknown>;
  /** Milliseconds since the console last heard from the agent. */
  heartbeatAgeMs: number;
}

/** The fleet's view of an agent the QMF session knows, as of `now` (ms since the epoch). */
export function fleetAgentOf(a: AgentInfo, now = Date.now()): FleetAgent {
  const attrs = a.attributes as Record<string, unknown>;
  return {
    name: a.name,
    instance: a.instance,
    host: hostOfAgent(a.instance, attrs),
    epoch: Number(a.epoch),
    attributes: attrs,
    heartbeatAgeMs: Math.max(0, now - a.lastHeartbeatMs),
  };
}

/**
 * The host name shown for an agent. Agents are named by host UUID by default, which is no name
 * for people: then the agent's `hostname` attribute is used. An instance name chosen by hand
 * (several agents on one machine, all with the same host name) is used as it is.
 */
function hostOfAgent(instance: string, attrs: Record<string, unknown>): string {
  if (instance && !looksLikeUuid(instance)) return instance;
  const h = attrs.hostname;
  if (typeof h === "string" && h) return h;
  if (Buffer.isBuffer(h)) return h.toString("utf8");
  return instance;
}

/**
 * The agents among `all` a host name means: an agent's full name, its instance name, or its
 * host name. Throws NotFoundError (listing the known hosts) when none matches.
 */
export function agentsNamed(all: FleetAgent[], host: string): FleetAgent[] {
  const exact = all.filter((a) => a.name === host);
  if (exact.length) return exact;
  const found = all.filter((a) => a.instance === host || a.host === host);
  if (found.length === 0) {
    const known = all.map((a) => a.host).join(", ") || "none";
    throw new NotFoundError(`no agent for host "${host}" (known hosts: ${known})`, "Node", host);
  }
  return found;
}

/** When discovery ends (see {@link FleetOptions}). */
export interface DiscoveryLimits {
  maxMs: number;
  settleMs: number;
  expectAgents: number;
}

/**
 * Sends the locate and collects answers. Ends `quiet` ms after the last new agent, where
 * `quiet` is the larger of `settleMs` and SETTLE_LATENCY_FACTOR × that agent's answer time;
 * with `expectAgents`, not before that many agents are known and then after `settleMs`; in any
 * case after `maxMs`.
 */
export function discover(session: ConsoleSession, opts: DiscoveryLimits): Promise<DiscoveryResult> {
  const started = performance.now();
  const since = (): number => Math.round(performance.now() - started);
  return new Promise<DiscoveryResult>((resolve, reject) => {
    let quiet: NodeJS.Timeout | undefined;
    let lastAnswerMs: number | null = null;
    const stop = (): void => {
      clearTimeout(cap);
      clearTimeout(quiet);
      session.off("agentAdded", onAgent);
    };
    const done = (quietMs: number | null): void => {
      stop();
      resolve({ agents: session.agents().length, elapsedMs: since(), lastAnswerMs, quietMs });
    };
    const onAgent = (): void => {
      lastAnswerMs = since();
      clearTimeout(quiet);
      if (session.agents().length < opts.expectAgents) return;
      // With the number of agents given, their latency need not be guessed from: settleMs.
      const wait =
        opts.expectAgents > 0
          ? opts.settleMs
          : Math.max(opts.settleMs, Math.round(SETTLE_LATENCY_FACTOR * lastAnswerMs));
      quiet = setTimeout(() => done(wait), wait);
    };
    const cap = setTimeout(() => done(null), opts.maxMs);
    session.on("agentAdded", onAgent);
    session.locate(undefined, opts.maxMs).catch((err: unknown) => {
      stop();
      reject(err);
    });
  });
}

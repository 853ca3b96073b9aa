// Queries sent to each agent of the fleet. One agent that is lost or silent is left out of the
// result and reported, so that one dead host does not hide the rest of the fleet.
import {
  type AgentInfo,
  type ConsoleSession,
  isAgentLost,
  isTimeout,
  type QmfObject,
} from "../qmf/index.js";
import type { AgentFailure } from "./events.js";
import { PACKAGE_NAME } from "./generated/libvirt.js";

/** Where the agents missing from a result are reported. */
export interface LeftOutReport {
  /** The agent failed (lost, or no answer in time). */
  leftOut(failure: AgentFailure): void;
  /** The agent became known only after a whole-fleet query went out. */
  late(agentName: string): void;
}

/** The per-agent queries of one fleet, and the agents its results have lacked. */
export class AgentQueries {
  /** Agents left out of some result so far. */
  readonly incomplete = new Set<string>();

  constructor(
    private readonly session: ConsoleSession,
    private readonly timeoutMs: number,
    private readonly discovery: () => Promise<void>,
    private readonly report: LeftOutReport,
  ) {}

  /**
   * The objects of `className` matching `where` on `agents`, or on the whole fleet. An agent
   * that is lost or does not answer in time is left out; when no agent answers, the first
   * error is thrown. Other failures (the broker connection, a bad predicate) are thrown at
   * once. A whole-fleet query also reports each agent that became known only after it was sent.
   */
  async all(
    className: string,
    where: unknown[] | undefined,
    agents: string[] | undefined,
  ): Promise<QmfObject[]> {
    const agentNames: string[] = [];
    const queries: Promise<QmfObject[]>[] = [];
    const start = (agentName: string): void => {
      if (agentNames.includes(agentName)) return;
      agentNames.push(agentName);
      queries.push(
        this.session.query({
          agentName,
          packageName: PACKAGE_NAME,
          className,
          ...(where ? { where } : {}),
          timeoutMs: this.timeoutMs,
        }),
      );
    };
    if (agents) {
      for (const a of agents) start(a);
    } else {
      // The whole fleet: while discovery still runs, each agent is asked as soon as it
      // answers the locate, so the discovery's quiet time overlaps the queries.
      for (const a of this.session.agents()) start(a.name);
      const onAdded = (a: AgentInfo): void => start(a.name);
      this.session.on("agentAdded", onAdded);
      try {
        await this.discovery();
      } finally {
        this.session.off("agentAdded", onAdded);
      }
      for (const a of this.session.agents()) start(a.name);
    }
    const per = await Promise.allSettled(queries);
    const out: QmfObject[] = [];
    const failures: AgentFailure[] = [];
    per.forEach((r, i) => {
      if (r.status === "fulfilled") out.push(...r.value);
      else failures.push({ agentName: agentNames[i]!, error: r.reason as Error });
    });
    for (const f of failures) {
      if (!isAgentFailure(f.error)) throw f.error;
    }
    if (failures.length && failures.length === agentNames.length) throw failures[0]!.error;
    for (const f of failures) this.leaveOut(f);
    if (!agents) {
      // An agent that became known only after the queries went out (it answered the locate
      // after discovery's quiet time, or it has just started) is missing from the result too.
      for (const a of this.session.agents()) {
        if (agentNames.includes(a.name)) continue;
        this.incomplete.add(a.name);
        this.report.late(a.name);
      }
    }
    return out;
  }

  /**
   * How many objects of `className` each agent publishes (object ids only travel, not
   * values), by agent name; an agent that fails is missing, and left out.
   */
  async count(className: string, agents: string[] | undefined): Promise<Map<string, number>> {
    if (!agents) await this.discovery();
    const agentNames = agents ?? this.session.agents().map((a: AgentInfo) => a.name);
    const counts = await Promise.allSettled(
      agentNames.map((agentName) =>
        this.session.queryObjectIds({
          agentName,
          packageName: PACKAGE_NAME,
          className,
          timeoutMs: this.timeoutMs,
        }),
      ),
    );
    const out = new Map<string, number>();
    counts.forEach((r, i) => {
      const agentName = agentNames[i]!;
      if (r.status === "fulfilled") out.set(agentName, r.value.length);
      else if (isAgentFailure(r.reason)) this.leaveOut({ agentName, error: r.reason as Error });
      else throw r.reason;
    });
    return out;
  }

  /** Records that an agent is missing from a result because it failed, and says so. */
  private leaveOut(f: AgentFailure): void {
    this.incomplete.add(f.agentName);
    this.report.leftOut(f);
  }
}

/** A failure of one agent (lost, or no answer in time) rather than of the query or broker. */
function isAgentFailure(err: unknown): boolean {
  return isTimeout(err) || isAgentLost(err);
}

import type { Observer } from "../../observe/observer.js";
import { AgentLostError, TimeoutError } from "../errors.js";
import type { DropCounter } from "../transport/index.js";
import type { AgentInfo } from "./types.js";
import { toAgentInfo } from "./wire.js";

/** What the directory tells its console. */
export interface DirectoryListener {
  /** A new agent (first heartbeat or locate response). */
  added(agent: AgentInfo): void;
  /** The agent came back with a new epoch: its requests failed with `reason` meanwhile. */
  restarted(agent: AgentInfo, previousEpoch: number, reason: AgentLostError): void;
  /** The agent was silent for too long and is forgotten: its requests fail with `reason`. */
  removed(agent: AgentInfo, reason: AgentLostError): void;
  /** An agent heard again after the console's reconnect, same epoch: what it cached may be old. */
  heardAgain(agent: AgentInfo): void;
  /**
   * An agent heard again after a silence longer than {@link SILENCE_FACTOR} heartbeat
   * intervals but before it aged out (it moved to another broker node, or the broker was slow).
   */
  silent(agent: AgentInfo, silentMs: number): void;
}

/** Heartbeats this many intervals apart count as a silence worth reporting. */
export const SILENCE_FACTOR = 1.5;

interface AgentRecord {
  info: AgentInfo;
  timer: NodeJS.Timeout;
}

/**
 * The agents a console knows, from heartbeats and locate responses: added on first sight,
 * aged out after `missedHeartbeats` intervals of silence, and marked restarted when their
 * epoch changes. While the console's own link is down, silence says nothing about the agents:
 * {@link pause} stops the ageing, {@link resume} restarts it with a full window. The number
 * known is reported as the `qmf_agents_known` gauge.
 */
export class AgentDirectory {
  private readonly agents = new Map<string, AgentRecord>();
  /** Agents to re-read once they are heard again (after the console reconnected). */
  private readonly stale = new Set<string>();
  private readonly waiters = new Set<(a: AgentInfo) => boolean>();

  constructor(
    private readonly listener: DirectoryListener,
    private readonly drops: DropCounter,
    private readonly opts: {
      /** Only agents whose (converted) attributes pass this are tracked. */
      filter: ((values: Record<string, unknown>) => boolean) | null;
      missedHeartbeats: number;
      observer?: Observer;
    },
  ) {}

  list(): AgentInfo[] {
    return [...this.agents.values()].map((r) => r.info);
  }

  names(): string[] {
    return [...this.agents.keys()];
  }

  get(name: string): AgentInfo | undefined {
    return this.agents.get(name)?.info;
  }

  /**
   * Takes a heartbeat's (or locate response's) attributes; returns the agent's info, or null
   * when they are malformed or the agent does not pass the filter.
   */
  heard(attrs: Record<string, unknown>): AgentInfo | null {
    const info = toAgentInfo(attrs, Date.now());
    if (!info) {
      this.drops.note("malformed heartbeat", "no _name");
      return null;
    }
    if (this.opts.filter && !this.opts.filter(info.attributes)) return null;
    const name = info.name;
    const rec = this.agents.get(name);
    if (!rec) {
      this.agents.set(name, { info, timer: this.ageingTimer(info) });
      this.opts.observer?.gauge?.("qmf_agents_known", this.agents.size);
      this.listener.added(info);
      for (const w of this.waiters) w(info);
      return info;
    }
    const previous = rec.info.epoch;
    const silentMs = info.lastHeartbeatMs - rec.info.lastHeartbeatMs;
    rec.info = info;
    // A new timer rather than refresh(): node's mocked timers (the ageing tests) ignore it.
    clearTimeout(rec.timer);
    rec.timer = this.ageingTimer(info);
    if (this.stale.delete(name) && previous === info.epoch) this.listener.heardAgain(info);
    if (previous !== info.epoch) {
      const reason = new AgentLostError(name, `restarted (epoch ${previous} → ${info.epoch})`);
      this.listener.restarted(info, previous, reason);
    } else if (silentMs > SILENCE_FACTOR * info.heartbeatIntervalMs) {
      this.listener.silent(info, silentMs);
    }
    return info;
  }

  /** Resolves when an agent passing `test` is known; rejects with TimeoutError after `timeoutMs`. */
  waitFor(test: (a: AgentInfo) => boolean, what: string, timeoutMs: number): Promise<AgentInfo> {
    for (const r of this.agents.values()) if (test(r.info)) return Promise.resolve(r.info);
    return new Promise((resolve, reject) => {
      const waiter = (a: AgentInfo) => {
        if (!test(a)) return false;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(a);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new TimeoutError(`waiting for agent ${what}`, timeoutMs));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The console's link is down: no ageing until {@link resume}. */
  pause(): void {
    for (const r of this.agents.values()) clearTimeout(r.timer);
  }

  /**
   * The console's link is back: each agent gets a full ageing window again; with
   * `rereadCaches`, each is reported with `heardAgain` when next heard (indications sent while
   * we were away are lost).
   */
  resume(rereadCaches: boolean): void {
    for (const r of this.agents.values()) {
      clearTimeout(r.timer); // a heartbeat may have re-armed it already
      r.timer = this.ageingTimer(r.info);
      if (rereadCaches) this.stale.add(r.info.name);
    }
  }

  /** Forgets every agent (the console closed), without telling anyone. */
  clear(): void {
    this.pause();
    this.agents.clear();
    this.stale.clear();
    this.opts.observer?.gauge?.("qmf_agents_known", 0);
  }

  private ageingTimer(info: AgentInfo): NodeJS.Timeout {
    const t = setTimeout(
      () => this.ageOut(info.name),
      info.heartbeatIntervalMs * this.opts.missedHeartbeats,
    );
    t.unref?.();
    return t;
  }

  private ageOut(name: string): void {
    const rec = this.agents.get(name);
    if (!rec) return;
    this.agents.delete(name);
    this.stale.delete(name);
    this.opts.observer?.gauge?.("qmf_agents_known", this.agents.size);
    const reason = new AgentLostError(
      name,
      `no heartbeat for ${this.opts.missedHeartbeats} intervals of ${rec.info.heartbeatIntervalMs} ms`,
    );
    this.listener.removed(rec.info, reason);
  }
}

// What the web server knows of the fleet: the console's last view of every host, domain, pool
// and volume, kept up to date from the fleet's events (see sync.ts). Every page, the event
// stream and /metrics are served from here; nothing here asks an agent.
import type {
  Domain,
  DomainInfo,
  FleetAgent,
  ManagedObject,
  Node,
  NodeInfo,
  Pool,
  Volume,
} from "../console/index.js";
import { objectIdText, toObjectRef } from "../console/index.js";
import { Feed, type FeedEvent } from "./feed.js";
import { type Counters, countersOf, type Rates, ratesBetween } from "./rates.js";
import {
  type DomainRow,
  domainRow,
  type HeardAgent,
  type HostRow,
  hostObjectsPart,
  type PoolRow,
  poolRow,
  type VolumeRow,
  volumeRow,
} from "./rows.js";

type AnyObject = ManagedObject<object>;

/** A host: its agent as last heard, and its Node and NodeInfo objects. */
export interface HostEntry extends HeardAgent {
  attributes: Record<string, unknown>;
  node?: Node;
  nodeInfo?: NodeInfo;
}

/** A domain: its Domain and DomainInfo objects (either may come first) and its rates. */
export interface DomainEntry {
  id: string;
  agent: string;
  domain?: Domain;
  info?: DomainInfo;
  /** The counters the current rates were computed up to. */
  base?: Counters;
  rates?: Rates;
  seenAt: number;
  /** When its rates were last computed (this server's clock). */
  sampledAt?: number;
}

/** The ids that changed in one keyed collection since the last {@link FleetCache.takeChanges}. */
export interface KeyedChanges {
  upsert: Set<string>;
  remove: Set<string>;
}

/** Everything that changed since the last {@link FleetCache.takeChanges}. */
export interface Changes {
  hosts: boolean;
  broker: boolean;
  domains: KeyedChanges;
  pools: KeyedChanges;
  volumes: KeyedChanges;
  events: FeedEvent[];
}

/** The broker link of the console session. */
export interface BrokerState {
  up: boolean;
  /** Since when (ms since the epoch). */
  since: number;
  /** Why it went away. */
  error: string;
}

const keyed = (): KeyedChanges => ({ upsert: new Set(), remove: new Set() });
const noChanges = (): Changes => ({
  hosts: false,
  broker: false,
  domains: keyed(),
  pools: keyed(),
  volumes: keyed(),
  events: [],
});

/** Newer (or equally new) than what is held: an older copy must not undo a newer one. */
function newer(incoming: AnyObject, held: AnyObject | undefined): boolean {
  if (!held) return true;
  const a = incoming.updateTs ?? 0n;
  const b = held.updateTs ?? 0n;
  return a === 0n || b === 0n || a >= b;
}

/** The view of the fleet; `onChange` is called (once per burst) when something changed. */
export class FleetCache {
  readonly hosts = new Map<string, HostEntry>();
  readonly domains = new Map<string, DomainEntry>();
  readonly pools = new Map<string, Pool>();
  readonly volumes = new Map<string, Volume>();
  readonly feed: Feed;
  broker: BrokerState = { up: true, since: Date.now(), error: "" };
  private changes = noChanges();
  private notified = false;

  constructor(
    private readonly onChange: () => void,
    opts: { feedSize?: number } = {},
  ) {
    this.feed = new Feed(opts.feedSize);
  }

  /** What changed since the last call, and starts collecting anew. */
  takeChanges(): Changes {
    const c = this.changes;
    this.changes = noChanges();
    this.notified = false;
    return c;
  }

  private changed(): void {
    if (this.notified) return;
    this.notified = true;
    this.onChange();
  }

  /**
   * Records an id of a keyed collection as upserted or removed since the last take (the later
   * of the two wins), and says so.
   */
  private noteChange(changes: KeyedChanges, id: string, what: keyof KeyedChanges): void {
    changes[what === "upsert" ? "remove" : "upsert"].delete(id);
    changes[what].add(id);
    this.changed();
  }

  // ---- agents and the broker ------------------------------------------------------------

  /** An agent was heard (joined, restarted, or a heartbeat seen by the periodic check). */
  agentUp(a: FleetAgent, now = Date.now()): void {
    const held = this.hosts.get(a.name);
    const heartbeatAt = now - a.heartbeatAgeMs;
    if (
      held &&
      held.status === "up" &&
      held.epoch === a.epoch &&
      held.heartbeatAt === heartbeatAt &&
      held.attributes.libvirt_state === a.attributes.libvirt_state
    ) {
      return;
    }
    this.hosts.set(a.name, {
      ...held,
      agent: a.name,
      host: a.host,
      instance: a.instance,
      epoch: a.epoch,
      status: "up",
      heartbeatAt,
      attributes: a.attributes,
    });
    this.changes.hosts = true;
    this.changed();
  }

  /** An agent went silent: its objects are kept and shown as unknown, never as gone. */
  agentSilent(agentName: string): void {
    const held = this.hosts.get(agentName);
    if (!held || held.status === "silent") return;
    held.status = "silent";
    this.changes.hosts = true;
    this.changed();
  }

  setBroker(up: boolean, error = ""): void {
    if (this.broker.up === up) return;
    this.broker = { up, since: Date.now(), error };
    this.changes.broker = true;
    this.changed();
  }

  addEvent(e: Omit<FeedEvent, "seq">): void {
    this.changes.events.push(this.feed.add(e));
    this.changed();
  }

  /** The host name of an agent (its row's, else the agent's instance). */
  hostName(agent: string): string {
    return this.hosts.get(agent)?.host ?? agent.split(":").pop() ?? agent;
  }

  // ---- objects ----------------------------------------------------------------------------

  /** An object published or read: kept unless an older copy of what is held. */
  apply(o: AnyObject, now = Date.now()): void {
    switch (o.className) {
      case "Domain":
        this.applyDomain(o as Domain, now);
        break;
      case "DomainInfo":
        this.applyDomainInfo(o as DomainInfo, now);
        break;
      case "Node":
      case "NodeInfo":
        this.applyHostObject(o as Node | NodeInfo);
        break;
      case "Pool":
        this.applyStorage(this.pools, this.changes.pools, o as Pool);
        break;
      case "Volume":
        this.applyStorage(this.volumes, this.changes.volumes, o as Volume);
        break;
    }
  }

  /** An object deleted by its agent. */
  remove(o: AnyObject): void {
    switch (o.className) {
      case "Domain":
        this.removeDomain(o.objectIdText);
        break;
      case "Pool":
        this.removeStorage(this.pools, this.changes.pools, o.objectIdText);
        break;
      case "Volume":
        this.removeStorage(this.volumes, this.changes.volumes, o.objectIdText);
        break;
    }
  }

  /**
   * The whole set of an agent's objects, read after it joined or restarted or the broker came
   * back: what it no longer has goes, unless it was published after the read began (`since`).
   */
  replaceAgent(agent: string, objects: AnyObject[], since: number): void {
    const now = Date.now();
    const ids = new Set<string>();
    for (const o of objects) {
      ids.add(o.objectIdText);
      this.apply(o, now);
    }
    for (const [id, e] of this.domains) {
      if (e.agent === agent && e.domain && !ids.has(id) && e.seenAt < since) this.removeDomain(id);
    }
    for (const [map, changes] of [
      [this.pools, this.changes.pools],
      [this.volumes, this.changes.volumes],
    ] as const) {
      for (const [id, o] of map) {
        if (o.agentName === agent && !ids.has(id) && !this.seenSince(o, since)) {
          this.removeStorage(map as Map<string, AnyObject>, changes, id);
        }
      }
    }
  }

  private readonly storageSeen = new WeakMap<AnyObject, number>();

  private seenSince(o: AnyObject, since: number): boolean {
    return (this.storageSeen.get(o) ?? 0) >= since;
  }

  private domainEntry(id: string, agent: string): DomainEntry {
    let e = this.domains.get(id);
    if (!e) {
      e = { id, agent, seenAt: 0 };
      this.domains.set(id, e);
    }
    return e;
  }

  private applyDomain(d: Domain, now: number): void {
    const e = this.domainEntry(d.objectIdText, d.agentName);
    if (!newer(d, e.domain)) return;
    e.domain = d;
    e.seenAt = now;
    this.markDomain(e.id);
  }

  private applyDomainInfo(info: DomainInfo, now: number): void {
    const ref = toObjectRef(info.props.domain);
    const id = ref
      ? objectIdText(ref)
      : `${info.agentName}/${info.objectId.objectName.replace(/^DomainInfo:/, "Domain:")}`;
    const e = this.domainEntry(id, info.agentName);
    if (!newer(info, e.info)) return;
    e.info = info;
    e.seenAt = now;
    const c = countersOf(info, now);
    if (c) {
      const rates = e.base ? ratesBetween(e.base, c, info.props.num_vcpus ?? 1) : null;
      if (rates) {
        e.rates = rates;
        e.sampledAt = now;
      }
      // Samples too close together keep the older base, so the next rate spans a real interval.
      if (rates || !e.base || c.t < e.base.t) e.base = c;
    }
    if (info.props.state !== "running" && info.props.state !== "paused") e.rates = undefined;
    this.markDomain(id);
  }

  /**
   * An agent publishes a DomainInfo only when a value changed: a running domain with no
   * update for longer than the agents' statistics interval kept its counters, so it used no
   * CPU and did no I/O meanwhile. Shows that (zero rates), unless the agent or the broker
   * is away (then nothing is known) or its statistics are stale.
   */
  sampleIdle(statsIntervalMs: number, now = Date.now()): void {
    if (!this.broker.up) return;
    const quiet = statsIntervalMs * 1.5;
    for (const e of this.domains.values()) {
      const info = e.info;
      if (!info || !e.base || info.props.stats_stale === true) continue;
      const state = info.props.state;
      if (state !== "running" && state !== "paused") continue;
      if (now - Math.max(e.seenAt, e.sampledAt ?? 0) < quiet) continue;
      if (this.hosts.get(e.agent)?.status !== "up") continue;
      const was = e.rates;
      e.rates = { cpuPct: 0, rdBps: 0, wrBps: 0, rxBps: 0, txBps: 0 };
      e.base = { ...e.base, t: now };
      e.sampledAt = now;
      const same =
        was &&
        was.cpuPct === 0 &&
        was.rdBps === 0 &&
        was.wrBps === 0 &&
        was.rxBps === 0 &&
        was.txBps === 0;
      if (!same) this.markDomain(e.id);
    }
  }

  private markDomain(id: string): void {
    this.changes.hosts = true; // a host's domain counts and guest CPU come from its domains
    this.noteChange(this.changes.domains, id, "upsert");
  }

  private removeDomain(id: string): void {
    if (!this.domains.delete(id)) return;
    this.changes.hosts = true;
    this.noteChange(this.changes.domains, id, "remove");
  }

  private applyHostObject(o: Node | NodeInfo): void {
    const held = this.hosts.get(o.agentName);
    if (!held) return; // an agent the fleet does not know (yet): its join reads it again
    if (o.className === "Node") {
      if (!newer(o, held.node)) return;
      held.node = o as Node;
    } else {
      if (!newer(o, held.nodeInfo)) return;
      held.nodeInfo = o as NodeInfo;
    }
    this.changes.hosts = true;
    this.changed();
  }

  private applyStorage<T extends AnyObject>(
    map: Map<string, T>,
    changes: KeyedChanges,
    o: T,
  ): void {
    const id = o.objectIdText;
    if (!newer(o, map.get(id))) return;
    map.set(id, o);
    this.storageSeen.set(o, Date.now());
    this.noteChange(changes, id, "upsert");
  }

  private removeStorage<T extends AnyObject>(
    map: Map<string, T>,
    changes: KeyedChanges,
    id: string,
  ): void {
    if (!map.delete(id)) return;
    this.noteChange(changes, id, "remove");
  }

  // ---- rows -------------------------------------------------------------------------------

  /** The row of a domain; undefined while only its DomainInfo is known. */
  domainRow(id: string): DomainRow | undefined {
    const e = this.domains.get(id);
    if (!e?.domain) return undefined;
    return domainRow(e.domain, this.hostName(e.agent), e.info, e.rates, e.base?.t);
  }

  domainRows(): DomainRow[] {
    const rows: DomainRow[] = [];
    for (const id of this.domains.keys()) {
      const r = this.domainRow(id);
      if (r) rows.push(r);
    }
    return rows;
  }

  /** Every host row, with its domain counts and guest use summed over its domains. */
  hostRows(): HostRow[] {
    const sums = new Map<
      string,
      { domains: number; running: number; cpu: number; mem: number; vcpus: number }
    >();
    for (const e of this.domains.values()) {
      if (!e.domain) continue;
      let s = sums.get(e.agent);
      if (!s) {
        s = { domains: 0, running: 0, cpu: 0, mem: 0, vcpus: 0 };
        sums.set(e.agent, s);
      }
      s.domains++;
      const state = e.info?.props.state;
      if (state === "running" || state === "paused") {
        if (state === "running") s.running++;
        s.mem += Number(e.info?.props.memory ?? 0n) * 1024;
        s.vcpus += e.info?.props.num_vcpus ?? 0;
        const pct = e.rates?.cpuPct;
        if (pct !== null && pct !== undefined)
          s.cpu += (pct / 100) * (e.info?.props.num_vcpus ?? 1);
      }
    }
    return [...this.hosts.values()]
      .map((h): HostRow => {
        const s = sums.get(h.agent) ?? { domains: 0, running: 0, cpu: 0, mem: 0, vcpus: 0 };
        const part = hostObjectsPart(h.node, h.nodeInfo, h.attributes);
        return {
          agent: h.agent,
          host: h.host,
          instance: h.instance,
          epoch: h.epoch,
          status: h.status,
          heartbeatAt: h.heartbeatAt,
          ...part,
          domains: s.domains,
          running: s.running,
          guestCpuPct: part.cpus ? Math.round((s.cpu / part.cpus) * 1000) / 10 : null,
          guestMem: s.mem,
          guestVcpus: s.vcpus,
        };
      })
      .sort((a, b) => (a.host === b.host ? cmp(a.agent, b.agent) : cmp(a.host, b.host)));
  }

  poolRows(): PoolRow[] {
    return [...this.pools.values()].map((p) => poolRow(p, this.hostName(p.agentName)));
  }

  poolRow(id: string): PoolRow | undefined {
    const p = this.pools.get(id);
    return p && poolRow(p, this.hostName(p.agentName));
  }

  volumeRows(): VolumeRow[] {
    return [...this.volumes.values()].map(volumeRow);
  }

  volumeRow(id: string): VolumeRow | undefined {
    const v = this.volumes.get(id);
    return v && volumeRow(v);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

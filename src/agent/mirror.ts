// The mirror keeps the agent's QMF objects equal to what libvirt reports:
// - lifecycle events → that one domain / pool is read again at once and published;
// - a periodic full resync → everything listed and read; objects libvirt no longer has are
//   deleted (only after every listing succeeded: a daemon that is down never reads as "no
//   domains");
// - a stats sweep → ONE bulk CONNECT_GET_ALL_DOMAIN_STATS call for every domain (NOWAIT, so a
//   domain whose job lock is held is not waited for: it keeps its values, marked stale).
// Only changed values are handed to the session (which publishes changes only, coalesced).
import {
  type Domain,
  type DomainInfo,
  isConnectionLost,
  isNoDomain,
  isNoStoragePool,
  isNoStorageVol,
  PoolState,
  type ReconnectingLibvirt,
  StatsTypes,
  type StatValue,
  type StoragePool,
  type StoragePoolInfo,
  type StorageVol,
  type StorageVolInfo,
} from "../libvirt/index.js";
import { isConnectionLost as isBrokerLost, type ObjectId } from "../qmf/index.js";
import { KeyedLanes, mapLimit } from "./concurrency.js";
import type { AgentLogger } from "./log.js";
import { domainEventDetailText, domainEventText, objectName, poolEventText } from "./names.js";
import {
  domainInfoValues,
  domainValues,
  mergeStats,
  missesJobStats,
  type NodeFacts,
  nodeInfoValues,
  nodeValues,
  poolValues,
  sameValues,
  type Values,
  volumeValues,
} from "./values.js";

/** What the mirror needs of the QMF agent session (AgentSession satisfies it). */
export interface Publisher {
  setObject(className: string, objectName: string, values: Record<string, unknown>): void;
  deleteObject(className: string, objectName: string): void;
  objectId(objectName: string): ObjectId;
  raiseEvent(eventName: string, values: Record<string, unknown>, severity?: number): Promise<void>;
}

/** Every stats group the DomainInfo class uses. */
export const SWEEP_STATS =
  StatsTypes.STATE |
  StatsTypes.CPU_TOTAL |
  StatsTypes.BALLOON |
  StatsTypes.VCPU |
  StatsTypes.INTERFACE |
  StatsTypes.BLOCK;
/** VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT: do not wait for a domain's job lock. */
export const STATS_NOWAIT = 1 << 29;

/** Lifecycle events held at most while the broker is unreachable (then counted as lost). */
export const MAX_HELD_EVENTS = 1000;

/** The state of the agent's libvirt connection, as Node.libvirt_state shows it. */
export type LinkState = "connecting" | "connected" | "disconnected";

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** Options of {@link Mirror}. */
export interface MirrorOptions {
  libvirt: ReconnectingLibvirt;
  session: Publisher;
  hostUuid: string;
  /** Node.uri (how other hosts reach this libvirtd). */
  publicUri: string;
  log: AgentLogger;
  /** libvirt calls in flight during a resync (default 32). */
  concurrency?: number;
  /**
   * A sweep whose bulk call has not answered after this long no longer blocks the next one
   * (default 5000). NOWAIT protects a sweep from a job someone else holds, but not from the
   * job it took itself on a domain whose QEMU then stops answering.
   */
  sweepTimeoutMs?: number;
}

/** Result of one stats sweep (for logs and the benchmark). */
export interface SweepResult {
  domains: number;
  changed: number;
  stale: number;
  ms: number;
}

interface VolumeEntry {
  vol: StorageVol;
  poolUuid: string;
}

export class Mirror {
  /** Known domains by UUID (the handle last read: name, uuid, id). */
  readonly domains = new Map<string, Domain>();
  /** Known pools by UUID. */
  readonly pools = new Map<string, StoragePool>();
  /** Known volumes by key. */
  readonly volumes = new Map<string, VolumeEntry>();

  private readonly opts: MirrorOptions;
  private readonly log: AgentLogger;
  private readonly lanes = new KeyedLanes();
  private readonly info = new Map<string, Values>();
  /**
   * Whether this libvirt driver reports job-only stats at all (QEMU does; the test driver
   * does not): learnt from the first record that has them.
   */
  private driverHasJobStats = false;
  private readonly lastFresh = new Map<string, bigint>();
  /** Pool UUID by name (volume handles name their pool). */
  private readonly poolByName = new Map<string, string>();
  /**
   * Objects an event touched since the current resync began: the resync does not overwrite or
   * delete them. Cleared when a resync begins (one runs at a time), so it never outgrows what
   * changed within one resync interval.
   */
  private readonly touched = new Set<string>();
  private resyncing: Promise<void> | null = null;
  private sweeping: Promise<SweepResult | null> | null = null;
  private nodeFacts: NodeFacts | null = null;
  private link: { state: LinkState; error: string; sinceNs: bigint } = {
    state: "connecting",
    error: "",
    sinceNs: nowNs(),
  };
  private lastSyncNs = 0n;
  private stopped = false;
  /** Events that could not be sent while the broker link was down (see raise). */
  private readonly heldEvents: { eventName: string; values: Record<string, unknown> }[] = [];
  private droppedEvents = 0;

  constructor(opts: MirrorOptions) {
    this.opts = opts;
    this.log = opts.log;
  }

  private get client() {
    return this.opts.libvirt.client;
  }
  private ref(name: string): ObjectId {
    return this.opts.session.objectId(name);
  }
  private get nodeRef(): ObjectId {
    return this.ref(objectName.node(this.opts.hostUuid));
  }
  private touch(key: string): void {
    this.touched.add(key);
  }

  /** Stops publishing (the agent is shutting down). */
  stop(): void {
    this.stopped = true;
  }

  // ---- node ---------------------------------------------------------------------------

  /** The libvirt connection state changed: shown on Node at once; objects are kept. */
  setLinkState(state: LinkState, error = ""): void {
    if (this.link.state === state && this.link.error === error) return;
    this.link = { state, error, sinceNs: state === this.link.state ? this.link.sinceNs : nowNs() };
    this.publishNode();
  }

  get linkState(): LinkState {
    return this.link.state;
  }

  private publishNode(): void {
    if (!this.nodeFacts || this.stopped) return;
    const hostInfo = this.ref(objectName.nodeInfo(this.opts.hostUuid));
    this.opts.session.setObject(
      "Node",
      objectName.node(this.opts.hostUuid),
      nodeValues(this.nodeFacts, { hostInfo }, { ...this.link, lastSyncNs: this.lastSyncNs }),
    );
  }

  private async readNode(): Promise<void> {
    const c = this.client;
    const [type, hostname, hvVersion, libVersion, nodeInfo] = await Promise.all([
      c.getType(),
      c.getHostname(),
      c.getVersion(),
      c.getLibVersion(),
      c.nodeGetInfo(),
    ]);
    this.nodeFacts = {
      type,
      hostname,
      hvVersion,
      libVersion,
      uri: this.opts.publicUri,
      hostUuid: this.opts.hostUuid,
    };
    this.opts.session.setObject(
      "NodeInfo",
      objectName.nodeInfo(this.opts.hostUuid),
      nodeInfoValues(nodeInfo, this.nodeRef),
    );
  }

  // ---- domains ------------------------------------------------------------------------

  private publishDomain(
    d: Domain,
    info: DomainInfo,
    state: { state: number; reason: number },
    stats?: Record<string, StatValue>,
  ): void {
    if (this.stopped) return;
    const dn = objectName.domain(d.uuid);
    const din = objectName.domainInfo(d.uuid);
    this.domains.set(d.uuid, d);
    this.opts.session.setObject(
      "Domain",
      dn,
      domainValues(d, { node: this.nodeRef, domainInfo: this.ref(din) }),
    );
    const prev = this.info.get(d.uuid);
    let next = domainInfoValues(info, state, this.ref(dn), prev);
    if (stats) next = this.applyStats(d.uuid, next, stats, nowNs());
    if (!sameValues(prev, next)) {
      this.info.set(d.uuid, next);
      this.opts.session.setObject("DomainInfo", din, next);
    }
  }

  private removeDomain(uuid: string): void {
    if (!this.domains.has(uuid) && !this.info.has(uuid)) return;
    this.domains.delete(uuid);
    this.info.delete(uuid);
    this.lastFresh.delete(uuid);
    if (this.stopped) return;
    this.opts.session.deleteObject("Domain", objectName.domain(uuid));
    this.opts.session.deleteObject("DomainInfo", objectName.domainInfo(uuid));
  }

  /**
   * Reads one domain again (lookup by UUID for its current name and id, then GET_INFO and
   * GET_STATE) and publishes it, or deletes it if libvirt no longer has it. Requests for the
   * same domain are serialised and folded.
   */
  refreshDomain(uuid: string): Promise<void> {
    return this.reread(
      `d:${uuid}`,
      async (c) => {
        const d = await c.domainLookupByUuid(uuid);
        const [info, state] = await Promise.all([c.domainGetInfo(d), c.domainGetState(d)]);
        this.publishDomain(d, info, state);
      },
      (e) => {
        if (isNoDomain(e)) this.removeDomain(uuid);
        else if (!isConnectionLost(e)) this.log.warn("domain refresh failed", { uuid, err: e });
      },
    );
  }

  /**
   * Runs `read` in the lane of `key` (one at a time per object, folded), marking the object
   * as touched so a resync that began earlier leaves it alone; its failure goes to `failed`.
   * Skipped while libvirt is away.
   */
  private reread(
    key: string,
    read: (c: ReconnectingLibvirt["client"]) => Promise<void>,
    failed: (e: unknown) => void,
  ): Promise<void> {
    this.touch(key);
    return this.lanes.run(key, async () => {
      if (this.stopped || !this.opts.libvirt.connected) return;
      this.touch(key);
      try {
        await read(this.client);
      } catch (e) {
        failed(e);
      }
    });
  }

  /** A libvirt domain lifecycle event: raise the QMF event, then read the domain again. */
  onDomainEvent(e: { domain: Domain; event: number; detail: number }): void {
    if (this.stopped) return;
    const { domain, event, detail } = e;
    this.log.debug("domain event", {
      domain: domain.name,
      uuid: domain.uuid,
      event: domainEventText(event),
      detail: domainEventDetailText(event, detail),
    });
    this.raise("DomainLifecycle", {
      domain: this.ref(objectName.domain(domain.uuid)),
      uuid: domain.uuid,
      name: domain.name,
      event: domainEventText(event),
      detail: domainEventDetailText(event, detail),
    });
    void this.refreshDomain(domain.uuid);
  }

  /**
   * Raises a QMF event. One that cannot be sent because the broker link is down is held
   * (oldest first, at most {@link MAX_HELD_EVENTS}) and raised once the agent is back on the
   * broker ({@link raiseHeldEvents}): the objects are republished then anyway, and the events
   * say what happened meanwhile. Its `_timestamp` is then the time it was sent.
   */
  private raise(eventName: string, values: Record<string, unknown>): void {
    this.opts.session.raiseEvent(eventName, values).catch((err) => {
      if (!isBrokerLost(err)) {
        this.log.warn(`could not raise ${eventName}`, { err });
      } else if (this.heldEvents.length < MAX_HELD_EVENTS) {
        this.heldEvents.push({ eventName, values });
      } else {
        this.droppedEvents++;
      }
    });
  }

  /** Raises the events held while the broker was unreachable (the agent calls it on reconnect). */
  raiseHeldEvents(): void {
    if (this.droppedEvents > 0) {
      this.log.warn("events lost while the broker was unreachable (more than the held limit)", {
        dropped: this.droppedEvents,
        limit: MAX_HELD_EVENTS,
      });
      this.droppedEvents = 0;
    }
    const held = this.heldEvents.splice(0);
    for (const e of held) if (!this.stopped) this.raise(e.eventName, e.values);
  }

  // ---- pools and volumes --------------------------------------------------------------

  private publishPool(p: StoragePool, info: StoragePoolInfo): void {
    if (this.stopped) return;
    this.pools.set(p.uuid, p);
    this.poolByName.set(p.name, p.uuid);
    this.opts.session.setObject("Pool", objectName.pool(p.uuid), poolValues(p, info, this.nodeRef));
  }

  private removePool(uuid: string): void {
    const p = this.pools.get(uuid);
    this.pools.delete(uuid);
    if (p && this.poolByName.get(p.name) === uuid) this.poolByName.delete(p.name);
    for (const [key, v] of this.volumes) if (v.poolUuid === uuid) this.removeVolume(key);
    if (!this.stopped) this.opts.session.deleteObject("Pool", objectName.pool(uuid));
  }

  private publishVolume(v: StorageVol, poolUuid: string, path: string, info: StorageVolInfo): void {
    if (this.stopped) return;
    this.volumes.set(v.key, { vol: v, poolUuid });
    this.opts.session.setObject(
      "Volume",
      objectName.volume(v.key),
      volumeValues(v, path, info, this.ref(objectName.pool(poolUuid))),
    );
  }

  /** Forgets a volume (deleted through the agent or gone from libvirt). */
  removeVolume(key: string): void {
    if (!this.volumes.delete(key)) return;
    if (!this.stopped) this.opts.session.deleteObject("Volume", objectName.volume(key));
  }

  /** The UUID of a pool known by name (volume handles carry the pool's name). */
  poolUuidByName(name: string): string | undefined {
    return this.poolByName.get(name);
  }

  /** Reads one volume (info + path) and publishes it. */
  async refreshVolume(v: StorageVol): Promise<void> {
    const poolUuid = this.poolByName.get(v.pool);
    if (!poolUuid) {
      // A pool we have not seen yet: read it (with its volumes) first.
      const p = await this.client.storagePoolLookupByName(v.pool);
      await this.refreshPool(p.uuid);
      return;
    }
    try {
      const [info, path] = await Promise.all([
        this.client.storageVolGetInfo(v),
        this.client.storageVolGetPath(v),
      ]);
      this.publishVolume(v, poolUuid, path, info);
    } catch (e) {
      if (isNoStorageVol(e)) this.removeVolume(v.key);
      else throw e;
    }
  }

  /**
   * Reads one pool again (info, and the volumes of an active pool) and publishes it; deletes
   * it and its volumes if libvirt no longer has it.
   */
  refreshPool(uuid: string): Promise<void> {
    return this.reread(
      `p:${uuid}`,
      async (c) => {
        const p = await c.storagePoolLookupByUuid(uuid);
        const info = await c.storagePoolGetInfo(p);
        const vols = await this.readVolumes(p, info);
        this.publishPool(p, info);
        this.applyVolumes(uuid, vols);
      },
      (e) => {
        if (isNoStoragePool(e)) this.removePool(uuid);
        else if (!isConnectionLost(e)) this.log.warn("pool refresh failed", { uuid, err: e });
      },
    );
  }

  /** A libvirt pool lifecycle or refresh event. */
  onPoolEvent(e: { pool: StoragePool; event?: number }): void {
    if (this.stopped) return;
    if (e.event !== undefined) {
      this.raise("PoolLifecycle", {
        pool: this.ref(objectName.pool(e.pool.uuid)),
        uuid: e.pool.uuid,
        name: e.pool.name,
        event: poolEventText(e.event),
      });
    }
    void this.refreshPool(e.pool.uuid);
  }

  private async readVolumes(
    p: StoragePool,
    info: StoragePoolInfo,
  ): Promise<{ vol: StorageVol; path: string; info: StorageVolInfo }[]> {
    // Only an active pool can list its volumes (virsh vol-list fails on an inactive one).
    if (info.state !== PoolState.RUNNING && info.state !== PoolState.DEGRADED) return [];
    const c = this.client;
    const vols = await c.storagePoolListAllVolumes(p);
    const read = await mapLimit(vols, 8, async (v) => {
      try {
        const [vi, path] = await Promise.all([c.storageVolGetInfo(v), c.storageVolGetPath(v)]);
        return { vol: v, path, info: vi };
      } catch (e) {
        if (isNoStorageVol(e)) return null; // deleted between the listing and the read
        throw e;
      }
    });
    return read.filter((x): x is NonNullable<typeof x> => x !== null);
  }

  private applyVolumes(
    poolUuid: string,
    vols: { vol: StorageVol; path: string; info: StorageVolInfo }[],
  ): void {
    const keep = new Set<string>();
    for (const v of vols) {
      keep.add(v.vol.key);
      this.publishVolume(v.vol, poolUuid, v.path, v.info);
    }
    for (const [key, v] of this.volumes) {
      if (v.poolUuid === poolUuid && !keep.has(key)) this.removeVolume(key);
    }
  }

  // ---- full resync --------------------------------------------------------------------

  /**
   * Reads everything from libvirt and makes the objects match: node, domains (one listing,
   * GET_INFO each, one bulk stats call), pools and volumes. If any read fails nothing is
   * deleted. Concurrent calls share one run.
   */
  resync(): Promise<void> {
    if (!this.resyncing) {
      this.resyncing = this.doResync().finally(() => {
        this.resyncing = null;
      });
    }
    return this.resyncing;
  }

  private async doResync(): Promise<void> {
    if (this.stopped) return;
    const t0 = performance.now();
    this.touched.clear();
    const c = this.client;
    // Many small calls in flight hide the round trip (the daemon works on 5 per client at a
    // time and queues the rest): 10,000 GET_INFO take ~0.4 s this way, ~1.2 s at 8.
    const limit = this.opts.concurrency ?? 32;
    const [, doms, stats] = await Promise.all([
      this.readNode(),
      c.listAllDomains(0),
      c.getAllDomainStats([], SWEEP_STATS, STATS_NOWAIT),
    ]);
    const statsByUuid = new Map(stats.map((r) => [r.domain.uuid, r.params]));
    // Each object is published as soon as it is read (turning 10,000 answers into objects
    // overlaps the wait for the daemon instead of following it), except what an event
    // changed since the resync began. Deletions wait until every read has succeeded.
    const seenDomains = new Set<string>();
    const readDomains = mapLimit(doms, limit, async (d) => {
      try {
        const info = await c.domainGetInfo(d);
        const params = statsByUuid.get(d.uuid);
        const state =
          params && typeof params["state.state"] === "number"
            ? {
                state: params["state.state"] as number,
                reason: Number(params["state.reason"] ?? 0),
              }
            : await c.domainGetState(d);
        seenDomains.add(d.uuid);
        if (!this.touched.has(`d:${d.uuid}`)) this.publishDomain(d, info, state, params);
      } catch (e) {
        if (!isNoDomain(e)) throw e; // else undefined between the listing and the read
      }
    });
    // Domains and pools are read at the same time: the daemon is the limit, not us.
    const seenPools = new Set<string>();
    const readPools = c.listAllStoragePools(0).then((pools) =>
      mapLimit(pools, Math.max(1, Math.floor(limit / 8)), async (p) => {
        try {
          const info = await c.storagePoolGetInfo(p);
          const vols = await this.readVolumes(p, info);
          seenPools.add(p.uuid);
          if (this.touched.has(`p:${p.uuid}`) || this.stopped) return;
          this.publishPool(p, info);
          this.applyVolumes(p.uuid, vols);
        } catch (e) {
          if (!isNoStoragePool(e)) throw e;
        }
      }),
    );
    await Promise.all([readDomains, readPools]);
    if (this.stopped) return;

    // Every read succeeded: delete what libvirt no longer has (unless an event saw it since).
    for (const uuid of [...this.domains.keys()]) {
      if (!seenDomains.has(uuid) && !this.touched.has(`d:${uuid}`)) this.removeDomain(uuid);
    }
    for (const uuid of [...this.pools.keys()]) {
      if (!seenPools.has(uuid) && !this.touched.has(`p:${uuid}`)) this.removePool(uuid);
    }
    this.lastSyncNs = nowNs();
    this.publishNode();
    this.log.info("resync done", {
      domains: this.domains.size,
      pools: this.pools.size,
      volumes: this.volumes.size,
      ms: Math.round(performance.now() - t0),
    });
  }

  // ---- statistics ---------------------------------------------------------------------

  private applyStats(
    uuid: string,
    prev: Values,
    params: Record<string, StatValue>,
    now: bigint,
  ): Values {
    if (params["balloon.rss"] !== undefined) this.driverHasJobStats = true;
    const stale = missesJobStats(params, this.driverHasJobStats);
    // The age counts from the last fresh record; for a domain never seen fresh (its job lock
    // taken since it started), from the first stale one, so that the age still grows.
    if (!stale || !this.lastFresh.has(uuid)) this.lastFresh.set(uuid, now);
    const since = this.lastFresh.get(uuid) ?? now;
    return mergeStats(prev, params, { stale, ageNs: stale ? now - since : 0n });
  }

  /**
   * One stats sweep: a single bulk stats call for every domain. A sweep still running when
   * the next is due is not doubled. Returns null when libvirt is not connected.
   */
  sweep(): Promise<SweepResult | null> {
    if (!this.sweeping) {
      const limitMs = this.opts.sweepTimeoutMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => {
          this.log.warn(
            "stats sweep: libvirt has not answered; the next sweep will not wait for it",
            {
              afterMs: limitMs,
            },
          );
          resolve(null);
        }, limitMs);
      });
      this.sweeping = Promise.race([this.doSweep(), late]).finally(() => {
        clearTimeout(timer);
        this.sweeping = null;
      });
    }
    return this.sweeping;
  }

  private sweepsStarted = 0;
  private sweepApplied = 0;

  private async doSweep(): Promise<SweepResult | null> {
    if (this.stopped || !this.opts.libvirt.connected) return null;
    const t0 = performance.now();
    const gen = ++this.sweepsStarted;
    // Decoded one record at a time: at 10,000 domains, holding every record until the last
    // was decoded made each sweep end in a full GC.
    const recs = await this.client.getAllDomainStatsLazily([], SWEEP_STATS, STATS_NOWAIT);
    // A sweep that answered after a newer one was applied brings older values: drop it.
    if (gen < this.sweepApplied) return null;
    this.sweepApplied = gen;
    const now = nowNs();
    let changed = 0;
    let stale = 0;
    let known = 0;
    for (const r of recs) {
      const uuid = r.domain.uuid;
      const prev = this.info.get(uuid);
      if (!prev) {
        // A domain no event told us about (yet): read it whole.
        void this.refreshDomain(uuid);
        continue;
      }
      known++;
      const next = this.applyStats(uuid, prev, r.params, now);
      if (next.stats_stale === true) stale++;
      if (!sameValues(prev, next)) {
        changed++;
        this.info.set(uuid, next);
        if (!this.stopped)
          this.opts.session.setObject("DomainInfo", objectName.domainInfo(uuid), next);
      }
    }
    if (known !== this.info.size) {
      // Some domain we publish was not in the record set: gone? its refresh will tell. (Rare:
      // the records are decoded a second time to collect their UUIDs.)
      const seen = new Set(Array.from(recs, (r) => r.domain.uuid));
      for (const uuid of this.domains.keys()) if (!seen.has(uuid)) void this.refreshDomain(uuid);
    }
    const ms = performance.now() - t0;
    this.log.debug("stats sweep", { domains: recs.length, changed, stale, ms: Math.round(ms) });
    return { domains: recs.length, changed, stale, ms };
  }

  /** The current DomainInfo values of a domain (tests, migration). */
  domainInfo(uuid: string): Values | undefined {
    return this.info.get(uuid);
  }

  /** The state word of a domain as last published. */
  domainState(uuid: string): string | undefined {
    const s = this.info.get(uuid)?.state;
    return typeof s === "string" ? s : undefined;
  }

  /** Number of domains whose refresh is running or queued. */
  get busy(): number {
    return this.lanes.size;
  }
}

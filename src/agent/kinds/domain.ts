// Domains: a Domain object (identity and settings) and its DomainInfo (state and statistics)
// per libvirt domain, keyed by UUID. A full listing takes the bulk statistics of every domain
// in the same breath (so the state comes from there, not one GET_STATE per domain), and asks
// which domains are transient, autostarted, managed-saved or have snapshots with one filtered
// listing each (so a resync makes a constant number of calls for those, and only the domains
// with snapshots list theirs); a read after an event or a method asks for each setting itself.
// Where a running domain's displays listen comes from its XML, read as domain-xml.ts says. A
// sweep takes the statistics again, in one call, and publishes only what changed.
import {
  type Domain,
  type DomainInfo,
  isNoDomain,
  type LibvirtClient,
  ListDomainsFlags,
  type StatValue,
} from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import { nowNs } from "../../util/clock.js";
import { objectName } from "../names.js";
import { StatsRing } from "./domain-history.js";
import {
  type DomainMemo,
  infoFromStats,
  STATS_NOWAIT,
  SWEEP_STATS,
  sameValues,
  withStats,
} from "./domain-stats.js";
import {
  domainEventDetailText,
  domainEventText,
  domainReasonText,
  domainStateText,
} from "./domain-words.js";
import { type Displays, NO_DISPLAYS, readDisplays } from "./domain-xml.js";
import { type KindRow, lifecycleEvent, SWEPT_CHANGED, SWEPT_STALE, type Values } from "./kind.js";

/** What one read of a domain returns: GET_INFO, and its state (from the bulk record if any). */
export interface DomainRead {
  info: DomainInfo;
  state: number;
  reason: number;
  /** The domain's bulk stats record, when read in a resync. */
  params: Record<string, StatValue> | undefined;
  /** Whether it has snapshots, when a listing said so (undefined: its snapshots are listed). */
  hasSnapshots: boolean | undefined;
  settings: DomainSettings;
  /** Where its displays listen; undefined: as last read (the XML was not read again). */
  displays: Displays | undefined;
}

/** The settings of a domain the Domain object shows. */
export interface DomainSettings {
  persistent: boolean;
  autostart: boolean;
  managedSave: boolean;
}

/** What a full listing reads in bulk besides the handles. */
export interface DomainBulk {
  /** The bulk stats record of each domain, by UUID. */
  stats: Map<string, Record<string, StatValue>>;
  /** The UUIDs of the domains each filtered listing returned. */
  withSnapshots: Set<string>;
  transient: Set<string>;
  autostart: Set<string>;
  managedSave: Set<string>;
}

const uuids = (ds: Domain[]) => new Set(ds.map((d) => d.uuid));

/**
 * The Domain object. `id` is libvirt's, in decimal (-1 while inactive). `graphics` is left
 * out while the displays of a running domain are not read yet.
 */
function domainValues(
  d: Domain,
  settings: DomainSettings,
  displays: Displays | undefined,
  refs: { node: ObjectIdLike; domainInfo: ObjectIdLike },
): Values {
  return {
    uuid: d.uuid,
    name: d.name,
    id: String(d.id),
    node: refs.node,
    domain_info: refs.domainInfo,
    persistent: settings.persistent,
    autostart: settings.autostart,
    has_managed_save: settings.managedSave,
    graphics: displays?.graphics,
  };
}

/** The settings of a domain, from a listing's filtered listings. */
const listedSettings = (d: Domain, bulk: DomainBulk): DomainSettings => ({
  persistent: !bulk.transient.has(d.uuid),
  autostart: bulk.autostart.has(d.uuid),
  managedSave: bulk.managedSave.has(d.uuid),
});

/** The settings of a domain, from a listing's filtered listings or else from libvirt. */
async function settingsOf(
  c: LibvirtClient,
  d: Domain,
  bulk: DomainBulk | undefined,
): Promise<DomainSettings> {
  if (bulk) return listedSettings(d, bulk);
  const [persistent, autostart, managedSave] = await Promise.all([
    c.domainIsPersistent(d),
    c.domainGetAutostart(d),
    c.domainHasManagedSaveImage(d),
  ]);
  return { persistent, autostart, managedSave };
}

/**
 * DomainInfo from virDomainGetInfo + virDomainGetState (what a lifecycle event or a resync
 * reads), keeping the statistics of `prev` (they come from sweeps; zero until one does).
 * Without `info` (a domain published from a listing whose stats lack it), memory, vCPUs and
 * CPU time are left out until its read.
 */
export function domainInfoValues(
  info: DomainInfo | undefined,
  state: { state: number; reason: number },
  domain: ObjectIdLike,
  prev: Values | undefined,
): Values {
  // One literal with a fixed shape (no spreads, no key lists): a resync builds 10,000 of
  // these, and the spread-based version cost ~15 µs each.
  const p = prev ?? NO_VALUES;
  return {
    block_rd_bytes: p.block_rd_bytes ?? 0n,
    block_wr_bytes: p.block_wr_bytes ?? 0n,
    block_rd_reqs: p.block_rd_reqs ?? 0n,
    block_wr_reqs: p.block_wr_reqs ?? 0n,
    net_rx_bytes: p.net_rx_bytes ?? 0n,
    net_tx_bytes: p.net_tx_bytes ?? 0n,
    net_rx_pkts: p.net_rx_pkts ?? 0n,
    net_tx_pkts: p.net_tx_pkts ?? 0n,
    stats_stale: p.stats_stale ?? false,
    stats_age: p.stats_age ?? 0n,
    state: domainStateText(state.state),
    maximum_memory: info?.maxMem,
    memory: info?.memory,
    num_vcpus: info?.nrVirtCpu,
    cpu_time: info?.cpuTime,
    domain,
    state_reason: domainReasonText(state.state, state.reason),
  };
}

const NO_VALUES: Values = Object.freeze({});

/** Publishes new DomainInfo values unless they equal the last ones; true when published. */
function publishInfo(
  out: { set(className: string, objectName: string, values: Values): void },
  key: string,
  memo: DomainMemo,
  next: Values,
): boolean {
  if (sameValues(memo.info, next)) return false;
  memo.info = next;
  out.set("DomainInfo", objectName("DomainInfo", key), next);
  return true;
}

/** The domain kind. */
export const domainKind: KindRow<Domain, DomainRead, DomainBulk, DomainMemo> = {
  name: "domain",
  classes: ["Domain", "DomainInfo"],
  key: (d) => d.uuid,

  async list(c) {
    // The filters that keep few domains on most hosts (transient rather than persistent).
    const [handles, stats, withSnapshots, transient, autostart, managedSave] = await Promise.all([
      c.listAllDomains(0),
      c.getAllDomainStats([], SWEEP_STATS, STATS_NOWAIT),
      c.listAllDomains(ListDomainsFlags.HAS_SNAPSHOT),
      c.listAllDomains(ListDomainsFlags.TRANSIENT),
      c.listAllDomains(ListDomainsFlags.AUTOSTART),
      c.listAllDomains(ListDomainsFlags.MANAGEDSAVE),
    ]);
    return {
      handles,
      bulk: {
        stats: new Map(stats.map((r) => [r.domain.uuid, r.params])),
        withSnapshots: uuids(withSnapshots),
        transient: uuids(transient),
        autostart: uuids(autostart),
        managedSave: uuids(managedSave),
      },
    };
  },
  // Many small calls in flight hide the round trip (the daemon works on 5 per client at a
  // time and queues the rest): 10,000 GET_INFO take ~0.4 s this way, ~1.2 s at 8.
  concurrency: (limit) => limit,

  async read(c, d, { bulk, memo, settings: agent, log }) {
    const params = bulk?.stats.get(d.uuid);
    const hasSnapshots = bulk?.withSnapshots.has(d.uuid);
    // The XML of a running domain, unless a resync finds it as it was last read (same run).
    const displays =
      d.id === -1
        ? NO_DISPLAYS
        : bulk && memo?.displays?.of === d.id
          ? undefined
          : readDisplays(c, d, agent, log);
    const state = params?.["state.state"];
    if (typeof state === "number") {
      // A record with memory, vCPUs and CPU time (QEMU's) needs no GET_INFO: the domains'
      // facts then come from the resync's few listings, however many domains there are.
      const [info, settings, shown] = await Promise.all([
        infoFromStats(state, params as Record<string, StatValue>) ?? c.domainGetInfo(d),
        settingsOf(c, d, bulk),
        displays,
      ]);
      const reason = Number(params?.["state.reason"] ?? 0);
      return { info, state, reason, params, hasSnapshots, settings, displays: shown };
    }
    const [info, s, settings, shown] = await Promise.all([
      c.domainGetInfo(d),
      c.domainGetState(d),
      settingsOf(c, d, bulk),
      displays,
    ]);
    const { state: st, reason } = s;
    return { info, state: st, reason, params, hasSnapshots, settings, displays: shown };
  },
  // By UUID: the name and id may have changed since the handle was read.
  lookup: (c, uuid) => c.domainLookupByUuid(uuid),

  publish(out, e, r) {
    const dn = objectName("Domain", e.key);
    const din = objectName("DomainInfo", e.key);
    e.memo ??= { info: undefined, displays: undefined, freshNs: undefined, history: undefined };
    if (r.displays) e.memo.displays = r.displays;
    const refs = { node: out.node, domainInfo: out.ref(din) };
    const displays = e.memo.displays ?? NO_DISPLAYS;
    out.set("Domain", dn, domainValues(e.handle, r.settings, displays, refs));
    let next = domainInfoValues(r.info, r, out.ref(dn), e.memo.info);
    if (r.params) next = withStats(out.driver, e.memo, next, r.params, nowNs());
    publishInfo(out, e.key, e.memo, next);
  },
  // A domain first seen, from the listing's bulk record and filtered listings: its state and
  // settings; its displays when it is not running (none); memory, vCPUs and CPU time when the
  // record carries them (QEMU's). Its read adds the rest (GET_INFO, the XML's displays).
  publishListed(out, e, bulk) {
    const params = bulk?.stats.get(e.key);
    const state = params?.["state.state"];
    if (!bulk || !params || typeof state !== "number") return false;
    const d = e.handle;
    const displays = d.id === -1 ? NO_DISPLAYS : undefined;
    const memo: DomainMemo = { info: undefined, displays, freshNs: undefined, history: undefined };
    e.memo = memo;
    const dn = objectName("Domain", e.key);
    const refs = { node: out.node, domainInfo: out.ref(objectName("DomainInfo", e.key)) };
    out.set("Domain", dn, domainValues(d, listedSettings(d, bulk), displays, refs));
    const reason = Number(params["state.reason"] ?? 0);
    const info = domainInfoValues(
      infoFromStats(state, params),
      { state, reason },
      out.ref(dn),
      undefined,
    );
    publishInfo(out, e.key, memo, withStats(out.driver, memo, info, params, nowNs()));
    return true;
  },
  isGone: isNoDomain,
  // Snapshot handles name their domain by UUID.
  childRef: (d) => d.uuid,

  events: [
    lifecycleEvent("domainLifecycle", "domain", "DomainLifecycle", (e) => ({
      event: domainEventText(e.event),
      detail: domainEventDetailText(e.event, e.detail),
    })),
  ],

  sweep: {
    // NOWAIT: a domain whose job lock is held is not waited for; it keeps its values, marked
    // stale. Decoded one record at a time: at 10,000 domains, holding every record until the
    // last was decoded made each sweep end in a full GC.
    read: (c) => c.getAllDomainStatsLazily([], SWEEP_STATS, STATS_NOWAIT),
    key: (rec: { domain: Domain }) => rec.domain.uuid,
    apply(out, e, rec: { params: Record<string, StatValue> }, now, settings) {
      const memo = e.memo;
      if (!memo?.info) return 0;
      const next = withStats(out.driver, memo, memo.info, rec.params, now);
      if (settings.statsHistory > 0) {
        memo.history ??= new StatsRing(settings.statsHistory);
        memo.history.push(now, next);
      }
      const stale = next.stats_stale === true ? SWEPT_STALE : 0;
      return publishInfo(out, e.key, memo, next) ? stale | SWEPT_CHANGED : stale;
    },
  },
};

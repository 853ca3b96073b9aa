// Domains: a Domain object (identity) and its DomainInfo (state and statistics) per libvirt
// domain, keyed by UUID. A full listing takes the bulk statistics of every domain in the same
// breath (so the state comes from there, not one GET_STATE per domain); a sweep takes them
// again, in one call, and publishes only what changed.
import { type Domain, type DomainInfo, isNoDomain, type StatValue } from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import { nowNs } from "../../util/clock.js";
import { objectName } from "../names.js";
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
import { type KindRow, SWEPT_CHANGED, SWEPT_STALE, type Values } from "./kind.js";

/** What one read of a domain returns: GET_INFO, and its state (from the bulk record if any). */
export interface DomainRead {
  info: DomainInfo;
  state: number;
  reason: number;
  /** The domain's bulk stats record, when read in a resync. */
  params: Record<string, StatValue> | undefined;
}

/** The bulk records of a listing, by domain UUID. */
export type DomainBulk = Map<string, Record<string, StatValue>>;

/** The Domain object. `id` is libvirt's, in decimal (-1 while inactive). */
export function domainValues(
  d: Domain,
  refs: { node: ObjectIdLike; domainInfo: ObjectIdLike },
): Values {
  return {
    uuid: d.uuid,
    name: d.name,
    id: String(d.id),
    node: refs.node,
    domain_info: refs.domainInfo,
  };
}

/**
 * DomainInfo from virDomainGetInfo + virDomainGetState (what a lifecycle event or a resync
 * reads), keeping the statistics of `prev` (they come from sweeps; zero until one does).
 */
export function domainInfoValues(
  info: DomainInfo,
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
    maximum_memory: info.maxMem,
    memory: info.memory,
    num_vcpus: info.nrVirtCpu,
    cpu_time: info.cpuTime,
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
    const [handles, stats] = await Promise.all([
      c.listAllDomains(0),
      c.getAllDomainStats([], SWEEP_STATS, STATS_NOWAIT),
    ]);
    return { handles, bulk: new Map(stats.map((r) => [r.domain.uuid, r.params])) };
  },
  // Many small calls in flight hide the round trip (the daemon works on 5 per client at a
  // time and queues the rest): 10,000 GET_INFO take ~0.4 s this way, ~1.2 s at 8.
  concurrency: (limit) => limit,

  async read(c, d, bulk) {
    const params = bulk?.get(d.uuid);
    const state = params?.["state.state"];
    if (typeof state === "number") {
      // A record with memory, vCPUs and CPU time (QEMU's) needs no GET_INFO: a resync then
      // reads the domains in two calls, however many there are.
      const info =
        infoFromStats(state, params as Record<string, StatValue>) ?? (await c.domainGetInfo(d));
      return { info, state, reason: Number(params?.["state.reason"] ?? 0), params };
    }
    const [info, s] = await Promise.all([c.domainGetInfo(d), c.domainGetState(d)]);
    return { info, state: s.state, reason: s.reason, params };
  },
  // By UUID: the name and id may have changed since the handle was read.
  lookup: (c, uuid) => c.domainLookupByUuid(uuid),

  publish(out, e, r) {
    const dn = objectName("Domain", e.key);
    const din = objectName("DomainInfo", e.key);
    out.set("Domain", dn, domainValues(e.handle, { node: out.node, domainInfo: out.ref(din) }));
    e.memo ??= { info: undefined, freshNs: undefined };
    let next = domainInfoValues(r.info, r, out.ref(dn), e.memo.info);
    if (r.params) next = withStats(out.driver, e.memo, next, r.params, nowNs());
    publishInfo(out, e.key, e.memo, next);
  },
  isGone: isNoDomain,

  events: [
    {
      event: "domainLifecycle",
      target: (e) => e.domain,
      raise: (e, self) => ({
        name: "DomainLifecycle",
        values: {
          domain: self,
          uuid: e.domain.uuid,
          name: e.domain.name,
          event: domainEventText(e.event),
          detail: domainEventDetailText(e.event, e.detail),
        },
      }),
    },
  ],

  sweep: {
    // NOWAIT: a domain whose job lock is held is not waited for; it keeps its values, marked
    // stale. Decoded one record at a time: at 10,000 domains, holding every record until the
    // last was decoded made each sweep end in a full GC.
    read: (c) => c.getAllDomainStatsLazily([], SWEEP_STATS, STATS_NOWAIT),
    key: (rec: { domain: Domain }) => rec.domain.uuid,
    apply(out, e, rec: { params: Record<string, StatValue> }, now) {
      const memo = e.memo;
      if (!memo?.info) return 0;
      const next = withStats(out.driver, memo, memo.info, rec.params, now);
      const stale = next.stats_stale === true ? SWEPT_STALE : 0;
      return publishInfo(out, e.key, memo, next) ? stale | SWEPT_CHANGED : stale;
    },
  },
};

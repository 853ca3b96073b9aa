// Pure mapping from what libvirt reports to the property values of schema/libvirt.xml.
// No I/O: the mirror calls libvirt and hands the answers here.
import {
  type Domain,
  type DomainInfo,
  DomainState,
  type NodeInfo,
  type StatValue,
  type StoragePool,
  type StoragePoolInfo,
  type StorageVol,
  type StorageVolInfo,
} from "../libvirt/index.js";
import type { ObjectIdLike } from "../qmf/index.js";
import { domainReasonText, domainStateText, poolStateText, versionText } from "./names.js";

/** Property values of one object, as given to AgentSession.setObject. */
export type Values = Record<string, unknown>;

/** Node properties that come from libvirt (the connection state is added by the agent). */
export interface NodeFacts {
  type: string;
  hostname: string;
  hvVersion: bigint;
  libVersion: bigint;
  uri: string;
  hostUuid: string;
}

/** The Node object. */
export function nodeValues(
  f: NodeFacts,
  refs: { hostInfo: ObjectIdLike },
  link: { state: string; error: string; sinceNs: bigint; lastSyncNs: bigint },
): Values {
  return {
    type: f.type,
    hostname: f.hostname,
    version: versionText(f.hvVersion),
    uri: f.uri,
    libvirt_version: versionText(f.libVersion),
    host_info: refs.hostInfo,
    host_uuid: f.hostUuid,
    libvirt_state: link.state,
    libvirt_error: link.error,
    libvirt_state_since: link.sinceNs,
    last_sync: link.lastSyncNs,
  };
}

/** The NodeInfo object (virNodeGetInfo; memory in KiB as libvirt reports it). */
export function nodeInfoValues(n: NodeInfo, node: ObjectIdLike): Values {
  return {
    model: n.model,
    memory: n.memory,
    cpus: n.cpus,
    mhz: n.mhz,
    nodes: n.nodes,
    sockets: n.sockets,
    cores: n.cores,
    threads: n.threads,
    node,
  };
}

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

const big = (v: StatValue | undefined): bigint | undefined => {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.trunc(v));
  return undefined;
};
const num = (v: StatValue | undefined): number | undefined => {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return undefined;
};

/** Sums `<prefix>.<i>.<field>` over i < `<prefix>.count`; undefined when no entry has it. */
function sumOver(
  params: Record<string, StatValue>,
  prefix: "block" | "net",
  field: string,
): bigint | undefined {
  // The count keys are constants: this runs 8 times per domain per sweep.
  const count = num(params[prefix === "block" ? "block.count" : "net.count"]);
  if (count === undefined) return undefined;
  let total: bigint | undefined;
  for (let i = 0; i < count; i++) {
    const v = big(params[`${prefix}.${i}.${field}`]);
    if (v !== undefined) total = (total ?? 0n) + v;
  }
  return count === 0 ? 0n : total;
}

/**
 * Whether a stats record lacks what only a domain job can read. With
 * VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT, libvirt skips the monitor for a domain whose job
 * lock is held and still reports the rest; of what it then leaves out, `balloon.rss` is the
 * one every active QEMU domain otherwise has (seen on libvirt 9.0). On a driver that never
 * reports it (`driverHasJobStats` false, e.g. the test driver) nothing is called stale.
 */
export function missesJobStats(
  params: Record<string, StatValue>,
  driverHasJobStats: boolean,
): boolean {
  const state = num(params["state.state"]);
  const active =
    state === DomainState.RUNNING || state === DomainState.BLOCKED || state === DomainState.PAUSED;
  return active && driverHasJobStats && params["balloon.rss"] === undefined;
}

/**
 * Merges one bulk-stats record into DomainInfo values: what the record has replaces the old
 * value, what it lacks keeps the old one. Returns `prev` itself when nothing changed, so a
 * sweep over 10,000 idle domains keeps nothing new per domain (only a short-lived literal).
 */
export function mergeStats(
  prev: Values,
  params: Record<string, StatValue>,
  staleness: { stale: boolean; ageNs: bigint },
): Values {
  const state = num(params["state.state"]);
  // The fields a record can change, in one small literal that dies young when none changed.
  const merged: Values = {
    state: state === undefined ? prev.state : domainStateText(state),
    state_reason:
      state === undefined
        ? prev.state_reason
        : domainReasonText(state, num(params["state.reason"]) ?? 0),
    cpu_time: big(params["cpu.time"]) ?? prev.cpu_time,
    memory: big(params["balloon.current"]) ?? prev.memory,
    maximum_memory: big(params["balloon.maximum"]) ?? prev.maximum_memory,
    num_vcpus: num(params["vcpu.current"]) ?? prev.num_vcpus,
    block_rd_bytes: sumOver(params, "block", "rd.bytes") ?? prev.block_rd_bytes,
    block_wr_bytes: sumOver(params, "block", "wr.bytes") ?? prev.block_wr_bytes,
    block_rd_reqs: sumOver(params, "block", "rd.reqs") ?? prev.block_rd_reqs,
    block_wr_reqs: sumOver(params, "block", "wr.reqs") ?? prev.block_wr_reqs,
    net_rx_bytes: sumOver(params, "net", "rx.bytes") ?? prev.net_rx_bytes,
    net_tx_bytes: sumOver(params, "net", "tx.bytes") ?? prev.net_tx_bytes,
    net_rx_pkts: sumOver(params, "net", "rx.pkts") ?? prev.net_rx_pkts,
    net_tx_pkts: sumOver(params, "net", "tx.pkts") ?? prev.net_tx_pkts,
    stats_stale: staleness.stale,
    stats_age: staleness.ageNs,
  };
  for (const k in merged) if (merged[k] !== prev[k]) return { ...prev, ...merged };
  return prev;
}

/** The Pool object. */
export function poolValues(p: StoragePool, info: StoragePoolInfo, node: ObjectIdLike): Values {
  return {
    uuid: p.uuid,
    name: p.name,
    node,
    state: poolStateText(info.state),
    capacity: info.capacity,
    allocation: info.allocation,
    available: info.available,
  };
}

/** The Volume object. */
export function volumeValues(
  v: StorageVol,
  path: string,
  info: StorageVolInfo,
  pool: ObjectIdLike,
): Values {
  return {
    key: v.key,
    path,
    name: v.name,
    storage_pool: pool,
    capacity: info.capacity,
    allocation: info.allocation,
  };
}

/** Shallow equality of two value sets (bigint-aware; object ids compared by name). */
export function sameValues(a: Values | undefined, b: Values): boolean {
  if (a === b) return true;
  if (!a) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (isRef(x) && isRef(y)) {
      if (
        x.agentName === y.agentName &&
        x.objectName === y.objectName &&
        x.agentEpoch === y.agentEpoch
      )
        continue;
    }
    return false;
  }
  return true;
}

function isRef(v: unknown): v is ObjectIdLike {
  return typeof v === "object" && v !== null && "objectName" in v && "agentName" in v;
}

// Bulk statistics (CONNECT_GET_ALL_DOMAIN_STATS) → DomainInfo values. Pure: the domain row
// (domain.ts) calls libvirt and hands the records here. These run once per domain per sweep,
// so they keep to fixed-shape literals and constant keys.
import { type DomainInfo, DomainState, StatsTypes, type StatValue } from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import type { StatsRing } from "./domain-history.js";
import { domainReasonText, domainStateText } from "./domain-words.js";
import type { Displays } from "./domain-xml.js";
import type { Values } from "./kind.js";

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

/** What the domain row keeps per domain between reads. */
export interface DomainMemo {
  /** The DomainInfo values last published. */
  info: Values | undefined;
  /** Where its displays listen, as last read from its XML (domain-xml.ts). */
  displays: Displays | undefined;
  /**
   * When the last fresh stats record came; for a domain never seen fresh (its job lock taken
   * since it started), when the first stale one came, so that the age still grows.
   */
  freshNs: bigint | undefined;
  /** The samples of its recent sweeps (undefined until the first, or when none are kept). */
  history: StatsRing | undefined;
}

/** The fact, learnt from the first record that has them, that this driver reports job stats. */
const JOB_STATS = "job stats";

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
 * What virDomainGetInfo would answer, from a bulk stats record that carries it all (QEMU's:
 * balloon.maximum and balloon.current in KiB, vcpu.current and vcpu.maximum, cpu.time in ns;
 * a shut-off domain has no cpu.time, and GET_INFO answers 0 for it); undefined when the record
 * lacks any of them (the test driver's carry only the state), and GET_INFO is needed. The
 * values a resync publishes are the record's anyway: withStats merges them over GET_INFO's.
 */
export function infoFromStats(
  state: number,
  params: Record<string, StatValue>,
): DomainInfo | undefined {
  const maxMem = big(params["balloon.maximum"]);
  const memory = big(params["balloon.current"]);
  const nrVirtCpu = num(params["vcpu.current"]);
  const cpuTime = big(params["cpu.time"]) ?? (state === DomainState.SHUTOFF ? 0n : undefined);
  if (
    maxMem === undefined ||
    memory === undefined ||
    nrVirtCpu === undefined ||
    num(params["vcpu.maximum"]) === undefined ||
    cpuTime === undefined
  ) {
    return undefined;
  }
  return { state, maxMem, memory, nrVirtCpu, cpuTime };
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

/**
 * Merges a stats record into `prev`, judging its staleness: `driver` collects what the mirror
 * has learnt of the libvirt driver, `memo.freshNs` when the domain's last fresh record came.
 */
export function withStats(
  driver: Set<string>,
  memo: DomainMemo,
  prev: Values,
  params: Record<string, StatValue>,
  nowNs: bigint,
): Values {
  if (params["balloon.rss"] !== undefined) driver.add(JOB_STATS);
  const stale = missesJobStats(params, driver.has(JOB_STATS));
  if (!stale || memo.freshNs === undefined) memo.freshNs = nowNs;
  return mergeStats(prev, params, { stale, ageNs: stale ? nowNs - memo.freshNs : 0n });
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

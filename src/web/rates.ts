// CPU % and disk and network rates of a domain, from two successive samples of its DomainInfo
// counters. The agent publishes counters (cpu_time, bytes, requests); people read rates.
import type { DomainInfo } from "../console/index.js";

/** A domain's counters at one moment, as the agent published them. */
export interface Counters {
  /** When the agent read them (ms since the epoch). */
  t: number;
  cpuNs: bigint;
  rdBytes: bigint;
  wrBytes: bigint;
  rxBytes: bigint;
  txBytes: bigint;
}

/** Rates between two samples; null where a counter went back (the domain restarted). */
export interface Rates {
  /** CPU use in % of the domain's vCPUs (100 = every vCPU busy all the time). */
  cpuPct: number | null;
  rdBps: number | null;
  wrBps: number | null;
  rxBps: number | null;
  txBps: number | null;
}

/**
 * Samples closer together than this give no rate: a lifecycle change republishes the
 * DomainInfo between two statistics sweeps, and the counters it carries may be the previous
 * sweep's while its timestamp is new.
 */
export const MIN_RATE_INTERVAL_MS = 1000;

/** The counters of a DomainInfo; null when the agent marked its statistics stale. */
export function countersOf(info: DomainInfo, receivedAt: number): Counters | null {
  const p = info.props;
  if (p.stats_stale === true) return null;
  const ts = info.updateTs;
  return {
    t: ts && ts > 0n ? Number(ts / 1_000_000n) : receivedAt,
    cpuNs: p.cpu_time ?? 0n,
    rdBytes: p.block_rd_bytes ?? 0n,
    wrBytes: p.block_wr_bytes ?? 0n,
    rxBytes: p.net_rx_bytes ?? 0n,
    txBytes: p.net_tx_bytes ?? 0n,
  };
}

/** Rates from `a` to `b` (b later); null when they are too close together to tell. */
export function ratesBetween(a: Counters, b: Counters, vcpus: number): Rates | null {
  const dtMs = b.t - a.t;
  if (!(dtMs >= MIN_RATE_INTERVAL_MS)) return null;
  const perSecond = (x: bigint, y: bigint): number | null =>
    y < x ? null : (Number(y - x) * 1000) / dtMs;
  const cpuNsPerS = perSecond(a.cpuNs, b.cpuNs);
  const cpuPct =
    cpuNsPerS === null ? null : Math.min(100, Math.max(0, cpuNsPerS / 1e7 / Math.max(1, vcpus)));
  return {
    cpuPct,
    rdBps: perSecond(a.rdBytes, b.rdBytes),
    wrBps: perSecond(a.wrBytes, b.wrBytes),
    rxBps: perSecond(a.rxBytes, b.rxBytes),
    txBps: perSecond(a.txBytes, b.txBytes),
  };
}

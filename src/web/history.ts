// A domain's chart history from its agent's samples (Domain.stats_history: raw counters, one
// per stats sweep), turned into the rates the Domain page plots. The agent keeps the ring, so
// a chart opened just after this server started still shows the last hour.
import { type Counters, ratesBetween } from "./rates.js";

/** A domain's history in columns, as uPlot takes it (`t` in seconds since the epoch). */
export interface HistoryColumns {
  t: number[];
  cpu: (number | null)[];
  mem: (number | null)[];
  rd: (number | null)[];
  wr: (number | null)[];
  rx: (number | null)[];
  tx: (number | null)[];
}

const u64 = (v: unknown): bigint =>
  typeof v === "bigint" ? v : typeof v === "number" ? BigInt(Math.trunc(v)) : 0n;

/**
 * One point per sample after the first: the rates since the sample before it (null where a
 * counter went back, either sample was stale, or they are too close together) and the memory
 * (bytes) at the later one. `vcpus` scales CPU % (the domain's current count).
 */
export function historyColumns(samples: readonly unknown[], vcpus: number): HistoryColumns {
  const out: HistoryColumns = { t: [], cpu: [], mem: [], rd: [], wr: [], rx: [], tx: [] };
  let prev: { c: Counters; stale: boolean } | undefined;
  for (const raw of samples) {
    const s = raw as Record<string, unknown>;
    const c: Counters = {
      t: Number(u64(s.t) / 1_000_000n),
      cpuNs: u64(s.cpu_time),
      rdBytes: u64(s.block_rd_bytes),
      wrBytes: u64(s.block_wr_bytes),
      rxBytes: u64(s.net_rx_bytes),
      txBytes: u64(s.net_tx_bytes),
    };
    const stale = s.stale === true;
    if (prev) {
      const r = prev.stale || stale ? null : ratesBetween(prev.c, c, vcpus);
      out.t.push(c.t / 1000);
      out.cpu.push(r?.cpuPct ?? null);
      out.mem.push(Number(u64(s.memory)) * 1024);
      out.rd.push(r?.rdBps ?? null);
      out.wr.push(r?.wrBps ?? null);
      out.rx.push(r?.rxBps ?? null);
      out.tx.push(r?.txBps ?? null);
    }
    prev = { c, stale };
  }
  return out;
}

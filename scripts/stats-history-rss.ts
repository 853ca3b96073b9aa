// What the agent's stats history costs at scale: 10,000 domains × 360 samples (the default),
// every ring full, measured as RSS growth after GC. Run:
//   node --expose-gc --import tsx scripts/stats-history-rss.ts [domains] [samples]
import { StatsRing } from "../src/agent/kinds/domain-history.js";

const domains = Number(process.argv[2] ?? 10_000);
const capacity = Number(process.argv[3] ?? 360);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
gc();
const before = process.memoryUsage();
const values = {
  cpu_time: 123_456_789_012n,
  memory: 1_048_576n,
  block_rd_bytes: 1n,
  block_wr_bytes: 2n,
  net_rx_bytes: 3n,
  net_tx_bytes: 4n,
  stats_stale: false,
};
const rings = Array.from({ length: domains }, () => new StatsRing(capacity));
let t = 1_700_000_000_000_000_000n;
for (let s = 0; s < capacity + 10; s++) {
  t += 10_000_000_000n;
  for (const r of rings) r.push(t, values);
}
gc();
const after = process.memoryUsage();
const mb = (x: number) => Math.round(x / 2 ** 20);
console.log(
  JSON.stringify({
    domains,
    samples: rings.reduce((n, r) => n + r.size, 0),
    rss_mb: mb(after.rss - before.rss),
    array_buffers_mb: mb(after.arrayBuffers - before.arrayBuffers),
  }),
);

// The agent's own cost of a full resync, without the daemon: the mirror of a built agent reads
// 10,000 domains and 100 pools × 10 volumes from a fake libvirt client (every answer ready at
// once) and publishes them through a real AgentSession on the local RabbitMQ; then a console
// in the same process queries every object id. Prints, per build and run, the CPU time of the
// resync, of the indications that follow it, of the query, and the heap the 21,102 objects
// hold (after a full GC). Comparing builds:
//   npm run build; node --expose-gc --import tsx bench/agent-publish.ts [dist …]
// (default: this tree's dist; LVQ_BENCH_ROUNDS rounds, default 5, interleaved; each run in a
// fresh process, as the agent's first resync runs cold). The last line is one JSON object.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BROKER } from "../test/support/broker.js";
import { range } from "./measure.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOMAINS = 10_000;
const POOLS = 100;
const VOLS = 10;
const CLASSES = ["Node", "NodeInfo", "Domain", "DomainInfo", "Pool", "Volume"];

/** One run, in this process: the numbers as a JSON line on stdout. */
async function run(dist: string): Promise<void> {
  const qmf = await import(join(dist, "qmf", "index.js"));
  const { Mirror } = await import(join(dist, "agent", "mirror.js"));
  const { createLogger } = await import(join(dist, "agent", "log.js"));
  const schema = await qmf.loadSchemaJsonFile(join(ROOT, "schema", "libvirt.json"));
  const hex = (i: number, w: number) => i.toString(16).padStart(w, "0");
  const doms = Array.from({ length: DOMAINS }, (_, i) => ({
    name: `dom-${i}`,
    uuid: `${hex(i, 8)}-0000-4000-a000-${hex(i, 12)}`,
    id: i + 1,
  }));
  const pools = Array.from({ length: POOLS }, (_, p) => ({
    name: `pool-${p}`,
    uuid: `${hex(p, 8)}-1111-4000-a000-${hex(p, 12)}`,
  }));
  const later = <T>(v: T) => new Promise<T>((r) => setImmediate(() => r(v)));
  // What the test driver answers, each call's result a fresh object as a decoder makes it.
  const client = {
    listAllDomains: () => later(doms.map((d) => ({ ...d }))),
    getAllDomainStats: () =>
      later(
        doms.map((d) => ({ domain: { ...d }, params: { "state.state": 1, "state.reason": 1 } })),
      ),
    domainGetInfo: async () => ({
      state: 1,
      maxMem: 65536n,
      memory: 65536n,
      nrVirtCpu: 1,
      cpuTime: 1796400933428478000n,
    }),
    domainGetState: async () => ({ state: 1, reason: 1 }),
    listAllStoragePools: () => later(pools.map((p) => ({ ...p }))),
    storagePoolGetInfo: async () => ({
      state: 2,
      capacity: 107374182400n,
      allocation: 0n,
      available: 107374182400n,
    }),
    storagePoolListAllVolumes: async (p: { name: string }) =>
      Array.from({ length: VOLS }, (_, v) => ({
        pool: p.name,
        name: `vol-${p.name}-${v}`,
        key: `/lvq/${p.name}/vol-${v}`,
      })),
    storageVolGetInfo: async () => ({ type: 0, capacity: 1048576n, allocation: 0n }),
    storageVolGetPath: async (v: { key: string }) => v.key,
    getType: async () => "TEST",
    getHostname: async () => "bench-host",
    getVersion: async () => 2n,
    getLibVersion: async () => 9000000n,
    nodeGetInfo: async () => ({
      model: "cpu",
      memory: 16777216n,
      cpus: 4,
      mhz: 2400,
      nodes: 1,
      sockets: 1,
      cores: 4,
      threads: 1,
    }),
  };
  const log = createLogger({ level: "warn" });
  const session = new qmf.AgentSession({
    url: BROKER,
    vendor: "lvqtest",
    product: "bench",
    instance: `publish-${process.pid}`,
    schemas: [schema],
    onMethod: async () => ({}),
    log,
  });
  await session.open();
  const mirror = new Mirror({
    libvirt: { client, connected: true },
    session,
    hostUuid: "11111111-2222-4333-a444-555555555555",
    publicUri: "test:///bench",
    log,
  });
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const c0 = cpu();
  await mirror.resync();
  const c1 = cpu();
  // The indications go out on the session's publish timer, after the last change.
  await new Promise((r) => setTimeout(r, 400));
  const c2 = cpu();
  const con = new qmf.ConsoleSession({ url: BROKER, cacheObjects: false, log });
  await con.open();
  const c3 = cpu();
  const counts: number[] = await Promise.all(
    CLASSES.map((cls) =>
      con
        .queryObjectIds({
          agentName: session.name,
          packageName: "Libvirt",
          className: cls,
          timeoutMs: 60_000,
        })
        .then((ids: unknown[]) => ids.length),
    ),
  );
  const c4 = cpu();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const heapMb = process.memoryUsage().heapUsed / 1048576;
  await con.close();
  mirror.stop();
  await session.close();
  process.stdout.write(
    `${JSON.stringify({
      resync_cpu_ms: Math.round(c1 - c0),
      indications_cpu_ms: Math.round(c2 - c1),
      query_cpu_ms: Math.round(c4 - c3),
      heap_mb: gc ? Number(heapMb.toFixed(1)) : null,
      objects: counts.reduce((a, b) => a + b, 0),
    })}\n`,
  );
}

if (process.env.LVQ_BENCH_PUBLISH_RUN) {
  await run(process.env.LVQ_BENCH_PUBLISH_RUN);
  process.exit(0);
}
const dists = process.argv.slice(2);
if (dists.length === 0) dists.push(join(ROOT, "dist"));
const rounds = Number(process.env.LVQ_BENCH_ROUNDS ?? 5);
const runs: Record<string, Record<string, number>[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const dist of dists) {
    const out = execFileSync(
      process.execPath,
      ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url)],
      { env: { ...process.env, LVQ_BENCH_PUBLISH_RUN: dist }, encoding: "utf8", cwd: ROOT },
    );
    const line = JSON.parse(out.trim().split("\n").at(-1) as string) as Record<string, number>;
    runs[dist] = [...(runs[dist] ?? []), line];
    process.stderr.write(`${dist}: ${JSON.stringify(line)}\n`);
  }
}
const summary: Record<string, Record<string, string>> = {};
for (const [dist, rs] of Object.entries(runs)) {
  const s: Record<string, string> = {};
  for (const k of ["resync_cpu_ms", "indications_cpu_ms", "query_cpu_ms", "heap_mb"]) {
    s[k] = range(
      rs.map((x) => x[k] as number),
      String,
    );
  }
  summary[dist] = s;
  process.stderr.write(`${dist}: ${JSON.stringify(s)}\n`);
}
process.stdout.write(`${JSON.stringify(summary)}\n`);

// The inventory measurement shared by bench/agent.ts and bench/agent-inventory.ts: a built
// `lvq agent` started on a test-driver host of 10,000 domains and 100 pools × 10 volumes, timed
// from its process start until a console's queries return every one of its 21,102 objects,
// next to the daemon's own time to open the same file (a bare connection).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "../src/libvirt/index.js";
import type { ConsoleSession } from "../src/qmf/index.js";
import { agentNameOf, type SpawnedAgent, spawnAgent } from "../test/support/agent.js";
import { writeTestDriverFile } from "../test/support/testdriver.js";
import { procCpuMs, procRssMb } from "./measure.js";

export const DOMAINS = 10_000;
export const POOLS = 100;
export const VOLS = 10;
/** Objects per class the console must hold. */
export const EXPECTED: Record<string, number> = {
  Node: 1,
  NodeInfo: 1,
  Domain: DOMAINS,
  DomainInfo: DOMAINS,
  Pool: POOLS,
  Volume: POOLS * VOLS,
};
export const TOTAL = Object.values(EXPECTED).reduce((a, b) => a + b, 0);

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Writes the benchmark host into `dir`; returns its URI. */
export function writeBenchHost(dir: string, tag: string): string {
  return writeTestDriverFile(join(dir, "node.xml"), {
    domains: DOMAINS,
    pools: POOLS,
    volumesPerPool: VOLS,
    namePrefix: `${tag}-`,
  });
}

/** The object ids of each class the console's queries return, counted. */
export async function countAll(
  c: ConsoleSession,
  agentName: string,
): Promise<Record<string, number>> {
  const counts = await Promise.all(
    Object.keys(EXPECTED).map(async (cls) => {
      const ids = await c.queryObjectIds({
        agentName,
        packageName: "Libvirt",
        className: cls,
        timeoutMs: 60_000,
      });
      return [cls, ids.length] as const;
    }),
  );
  return Object.fromEntries(counts);
}

/** The daemon's time to open `uri` (it parses the file): a bare connection, opened and closed. */
export async function bareOpenMs(uri: string): Promise<number> {
  const c0 = performance.now();
  const lv = await connect(uri);
  const ms = performance.now() - c0;
  await lv.close();
  return ms;
}

/**
 * What the daemon needs to answer the reads of a full resync, the agent aside: on a bare
 * connection (its open not timed), the domain listing and bulk stats together, then one
 * GET_INFO per domain (32 at a time, as the agent asks them), and meanwhile the pools, each
 * pool's info and volume listing, and each volume's info and path. The floor under the
 * agent's resync on this daemon, in this run.
 */
export async function bareReadsMs(uri: string): Promise<number> {
  const lv = await connect(uri);
  try {
    const pool = async <T>(xs: T[], n: number, f: (x: T) => Promise<unknown>) => {
      let i = 0;
      await Promise.all(
        Array.from({ length: n }, async () => {
          while (i < xs.length) await f(xs[i++] as T);
        }),
      );
    };
    const t0 = performance.now();
    await Promise.all([
      (async () => {
        const [doms] = await Promise.all([
          lv.listAllDomains(0),
          lv.getAllDomainStats([], 63, 1 << 29),
        ]);
        await pool(doms, 32, (d) => lv.domainGetInfo(d));
      })(),
      (async () => {
        const pools = await lv.listAllStoragePools(0);
        await pool(pools, 4, async (p) => {
          await lv.storagePoolGetInfo(p);
          const vols = await lv.storagePoolListAllVolumes(p);
          await pool(vols, 8, (v) =>
            Promise.all([lv.storageVolGetInfo(v), lv.storageVolGetPath(v)]),
          );
        });
      })(),
    ]);
    return performance.now() - t0;
  } finally {
    await lv.close();
  }
}

/** What {@link measureInventory} reports. */
export interface Inventory {
  /** Agent process start → the console's queries return every object. */
  inventoryMs: number;
  /**
   * Agent process start → its "agent running" log line: its first full resync done, every
   * object complete (the time of the log line).
   */
  readyMs: number;
  /**
   * CPU time the agent used until the console held everything: its share of the work, which
   * unlike the wall time hardly depends on what else the machine runs.
   */
  cpuMs: number;
  /** The agent's resident set then, MB. */
  rssMb: number;
  /** Milliseconds after the spawn at which the agent logged each of its start-up steps. */
  steps: Record<string, number>;
  /** The agent, still running (the caller stops it). */
  agent: SpawnedAgent;
}

/**
 * Starts the agent (`main`, a built dist/cli/main.js) on `uri` with `args` added, and polls
 * the console every 50 ms from its "agent on the broker" line (the first moment a console can
 * find it) until every object is there; then waits for its "agent running" line (its first
 * full resync done: every object complete, with what its own reads add).
 * LVQ_BENCH_CPU_PROF=<dir> has the agent write a CPU profile there when it exits.
 */
export async function measureInventory(opts: {
  uri: string;
  instance: string;
  stateDir: string;
  console: ConsoleSession;
  main: string;
  args?: string[];
}): Promise<Inventory> {
  const prof = process.env.LVQ_BENCH_CPU_PROF;
  const name = agentNameOf(opts.instance);
  const t0 = performance.now();
  const wall0 = Date.now();
  const agent = spawnAgent(
    [
      "--uri",
      opts.uri,
      "--instance",
      opts.instance,
      "--state-dir",
      opts.stateDir,
      "--log-level",
      "debug",
      ...(opts.args ?? []),
    ],
    prof
      ? {
          NODE_OPTIONS: `--import=${join(ROOT, "bench", "cpu-profile.mjs")}`,
          LVQ_BENCH_CPU_PROF: prof,
        }
      : {},
    { main: opts.main },
  );
  try {
    await agent.waitForLog("agent on the broker", 120_000);
    let counts = await countAll(opts.console, name);
    while (Object.values(counts).reduce((a, b) => a + b, 0) < TOTAL) {
      await new Promise((r) => setTimeout(r, 50));
      counts = await countAll(opts.console, name);
    }
    const inventoryMs = performance.now() - t0;
    const cpuMs = procCpuMs(agent.proc.pid as number);
    const rssMb = procRssMb(agent.proc.pid as number);
    for (const [cls, n] of Object.entries(EXPECTED)) {
      if (counts[cls] !== n)
        throw new Error(`console holds ${counts[cls]} ${cls} objects, expected ${n}`);
    }
    await agent.waitForLog("agent running", 120_000);
    const steps: Record<string, number> = {};
    for (const msg of [
      "libvirt connected",
      "agent on the broker",
      "domains listed",
      "domains published from the listing",
      "pools read and published",
      "domains read and published",
      "resync done",
      "agent running",
    ]) {
      const line = agent.stderr.find((l) => l.includes(`"msg":"${msg}"`));
      if (line) steps[msg] = Date.parse((JSON.parse(line) as { ts: string }).ts) - wall0;
    }
    const readyMs = steps["agent running"] ?? Number.NaN;
    return { inventoryMs, readyMs, cpuMs, rssMb, steps, agent };
  } catch (e) {
    await agent.stop();
    throw e;
  }
}

/** One line: where the inventory time went, from the agent's log. */
export function describeSteps(inv: Inventory): string {
  const steps = Object.entries(inv.steps)
    .map(([msg, ms]) => `${msg} at ${ms} ms`)
    .join(", ");
  return `  steps after the spawn: ${steps}; console holds all at ${Math.round(inv.inventoryMs)} ms; agent CPU ${Math.round(inv.cpuMs)} ms, RSS ${inv.rssMb.toFixed(1)} MB`;
}

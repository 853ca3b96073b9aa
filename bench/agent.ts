// npm run bench:agent — the agent at scale, against the real libvirtd and RabbitMQ.
//
// A libvirt test-driver file with 10,000 domains and 100 pools × 10 volumes, served by the
// machine's libvirtd; one `lvq agent` process on it (stats every 10 s); a console session in
// this process. Measured:
//   inventory_ms       agent process start → a console holds every object (21,102 of them)
//   sweep_ms           one stats sweep of the agent (ONE bulk stats call + merge + diff), as the
//                      agent itself times it (its first timed sweep)
//   baseline_sweep_ms  the 2008 design in the same run: one GET_INFO per domain per cycle, one
//                      call after the other (the C agent's synchronous loop), on its own
//                      connection to the same file
//   rss_mb, cpu_pct    the agent process over a window at the 10 s stats interval (RSS: the
//                      largest seen; CPU: user+system time / wall time, % of one core)
//   agent100_rss_mb    an idle agent on a host of 100 domains (the fleet's host size): its
//                      largest RSS over 20 s after its first resync (bench/agent-idle.ts), next
//                      to bare_node_rss_mb, a bare `node -e 'setInterval(…)'` measured alongside
//   bare_open_ms       the daemon's own time to open the same file: a bare libvirt connection
//                      from this process, once before the agent starts and once after (mean);
//                      inventory_over_open_ms is inventory_ms minus it
// The agent runs as it is deployed: the built JavaScript (this script runs the build first).
// Environment: LVQ_BENCH_WINDOW_S (default 60) shortens the observation window (printed);
// LVQ_BENCH_MAIN runs another build's main.js (no build then), to compare two builds;
// LVQ_BENCH_CPU_PROF=<dir> has the 10,000-domain agent write a CPU profile there.
// The last line is one JSON object.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "../src/libvirt/index.js";
import type { ConsoleSession } from "../src/qmf/index.js";
import {
  agentNameOf,
  openConsole,
  spawnAgent,
  tempDir,
  uniqueName,
} from "../test/support/agent.js";
import { writeTestDriverFile } from "../test/support/testdriver.js";
import { measureIdleAgent } from "./agent-idle.js";

const DOMAINS = 10_000;
const POOLS = 100;
const VOLS = 10;
const WINDOW_S = Number(process.env.LVQ_BENCH_WINDOW_S ?? 60);
const STATS_INTERVAL_S = 10;
const EXPECTED: Record<string, number> = {
  Node: 1,
  NodeInfo: 1,
  Domain: DOMAINS,
  DomainInfo: DOMAINS,
  Pool: POOLS,
  Volume: POOLS * VOLS,
};
const TOTAL = Object.values(EXPECTED).reduce((a, b) => a + b, 0);
const say = (s: string) => process.stderr.write(`${s}\n`);
const CLK_TCK = 100; // Linux USER_HZ

function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11] = utime, fields[12] = stime (0-based after the command name)
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
function procRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function countAll(c: ConsoleSession, agentName: string): Promise<Record<string, number>> {
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
async function bareOpenMs(uri: string): Promise<number> {
  const c0 = performance.now();
  const lv = await connect(uri);
  const ms = performance.now() - c0;
  await lv.close();
  return ms;
}

async function main(): Promise<Record<string, number>> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const main = process.env.LVQ_BENCH_MAIN ?? join(root, "dist", "cli", "main.js");
  if (process.env.LVQ_BENCH_MAIN) {
    say(`running the agent from ${main} (LVQ_BENCH_MAIN; not rebuilt)`);
  } else {
    say("building (npm run build) so the agent runs as deployed: node dist/cli/main.js agent");
    try {
      execFileSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "ignore" });
    } catch {
      say("(the build reported type errors elsewhere; tsc still wrote dist/)");
    }
  }
  const dir = tempDir("bench-agent");
  const tag = uniqueName("bench");
  say(`writing a test-driver host: ${DOMAINS} domains, ${POOLS} pools × ${VOLS} volumes`);
  const uri = writeTestDriverFile(join(dir.path, "node.xml"), {
    domains: DOMAINS,
    pools: POOLS,
    volumesPerPool: VOLS,
    namePrefix: `${tag}-`,
  });
  const console = await openConsole();
  const instance = tag;
  const name = agentNameOf(instance);
  let agent: ReturnType<typeof spawnAgent> | undefined;
  try {
    const openBefore = await bareOpenMs(uri);
    say(
      `a bare libvirt connection to the file (the daemon parses it): ${Math.round(openBefore)} ms`,
    );
    // --- inventory ---------------------------------------------------------------------
    const prof = process.env.LVQ_BENCH_CPU_PROF;
    const t0 = performance.now();
    const wall0 = Date.now();
    agent = spawnAgent(
      [
        "--uri",
        uri,
        "--instance",
        instance,
        "--state-dir",
        join(dir.path, "state"),
        "--stats-interval",
        String(STATS_INTERVAL_S),
        "--log-level",
        "debug",
      ],
      prof ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${prof}` } : {},
      { main },
    );
    const pid = agent.proc.pid as number;
    await agent.waitForLog("agent running", 120_000);
    const tRunning = performance.now();
    let counts = await countAll(console, name);
    while (Object.values(counts).reduce((a, b) => a + b, 0) < TOTAL) {
      await new Promise((r) => setTimeout(r, 50));
      counts = await countAll(console, name);
    }
    const inventoryMs = performance.now() - t0;
    for (const [cls, n] of Object.entries(EXPECTED)) {
      if (counts[cls] !== n)
        throw new Error(`console holds ${counts[cls]} ${cls} objects, expected ${n}`);
    }
    const started = JSON.parse(agent.stderr.find((l) => l.includes('"resync done"')) ?? "{}") as {
      ms?: number;
    };
    say(
      `inventory: ${TOTAL} objects at the console ${Math.round(inventoryMs)} ms after the agent process started ` +
        `(agent ready at ${Math.round(tRunning - t0)} ms; its first full resync took ${started.ms} ms)`,
    );
    // Where the time went, from the agent's own log timestamps (ms after the spawn).
    const at = (msg: string) => {
      const line = agent?.stderr.find((l) => l.includes(`"msg":"${msg}"`));
      return line ? Date.parse((JSON.parse(line) as { ts: string }).ts) - wall0 : Number.NaN;
    };
    const [lvAt, brokerAt, syncAt] = [
      at("libvirt connected"),
      at("agent on the broker"),
      at("resync done"),
    ];
    say(
      `  split: process start + libvirt connect (the daemon parses the ${DOMAINS}-domain file) ${lvAt} ms, ` +
        `identity + broker ${brokerAt - lvAt} ms, full resync ${syncAt - brokerAt} ms, ` +
        `console sees all ${Math.round(inventoryMs - syncAt)} ms`,
    );

    // --- one sweep (the agent's own timing of its first timed sweep) --------------------
    const sweepLine = await agent.waitForLog("stats sweep", (STATS_INTERVAL_S + 10) * 1000);
    const sweepMs = Number(sweepLine.ms);
    say(
      `agent stats sweep: ${sweepLine.domains} domains in ${sweepMs} ms (one CONNECT_GET_ALL_DOMAIN_STATS), ${sweepLine.changed} changed`,
    );

    // --- RSS and CPU over the window ----------------------------------------------------
    say(
      `observing the agent (pid ${pid}) for ${WINDOW_S} s at a ${STATS_INTERVAL_S} s stats interval${WINDOW_S !== 60 ? " (window shortened by LVQ_BENCH_WINDOW_S)" : ""}`,
    );
    const cpu0 = procCpuSeconds(pid);
    const w0 = performance.now();
    let rssMax = procRssMb(pid);
    while (performance.now() - w0 < WINDOW_S * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      rssMax = Math.max(rssMax, procRssMb(pid));
    }
    const cpuPct = ((procCpuSeconds(pid) - cpu0) / ((performance.now() - w0) / 1000)) * 100;
    const sweeps = agent.stderr
      .filter((l) => l.includes('"stats sweep"'))
      .map((l) => JSON.parse(l).ms as number);
    say(
      `agent: RSS max ${rssMax.toFixed(1)} MB, CPU ${cpuPct.toFixed(2)} % of a core; sweeps so far (ms): ${sweeps.join(", ")}`,
    );

    // --- the daemon's own open, again; baseline: one GET_INFO per domain per cycle ------------
    const openAfter = await bareOpenMs(uri);
    const openMs = (openBefore + openAfter) / 2;
    say(
      `a bare libvirt connection to the same file again: ${Math.round(openAfter)} ms (mean ${Math.round(openMs)} ms); ` +
        `inventory - bare open = ${Math.round(inventoryMs - openMs)} ms`,
    );
    const lv = await connect(uri);
    let baselineMs: number;
    try {
      const doms = await lv.listAllDomains();
      const b0 = performance.now();
      for (const d of doms) await lv.domainGetInfo(d);
      baselineMs = performance.now() - b0;
      say(
        `baseline (2008 design): ${doms.length} GET_INFO calls one after the other in ${Math.round(baselineMs)} ms`,
      );
    } finally {
      await lv.close();
    }

    say("");
    say(`                  this agent     2008 design`);
    say(
      `one stats cycle   ${sweepMs.toFixed(0).padStart(7)} ms   ${baselineMs.toFixed(0).padStart(8)} ms`,
    );
    return {
      inventory_ms: Math.round(inventoryMs),
      bare_open_ms: Math.round(openMs),
      inventory_over_open_ms: Math.round(inventoryMs - openMs),
      sweep_ms: Math.round(sweepMs),
      baseline_sweep_ms: Math.round(baselineMs),
      rss_mb: Number(rssMax.toFixed(1)),
      cpu_pct: Number(cpuPct.toFixed(2)),
    };
  } finally {
    if (agent) await agent.stop();
    await console.close();
    dir.remove();
  }
}

const result = await main();
say("idle agent on a host of 100 domains, and a bare node, side by side for 20 s");
const idle = await measureIdleAgent({ main: process.env.LVQ_BENCH_MAIN });
say(
  `idle agent, ${idle.domains} domains: RSS max ${idle.agentMb.toFixed(1)} MB; bare node ${idle.bareMb.toFixed(1)} MB`,
);
process.stdout.write(
  `${JSON.stringify({
    ...result,
    agent100_rss_mb: Number(idle.agentMb.toFixed(1)),
    bare_node_rss_mb: Number(idle.bareMb.toFixed(1)),
  })}\n`,
);

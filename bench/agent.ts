// npm run bench:agent — the agent at scale, against the real libvirtd and RabbitMQ.
//
// A libvirt test-driver file with 10,000 domains and 100 pools × 10 volumes, served by the
// machine's libvirtd; one `lvq agent` process on it (stats every 10 s); a console session in
// this process. Measured:
//   inventory_ms       agent process start → a console holds every object (21,102 of them)
//   complete_ms        agent process start → its first full resync done: every object also
//                      has what its own reads add (per domain GET_INFO where the bulk stats
//                      lack it, and a running domain's displays from its XML); until then
//                      those properties are absent at the console, and Node.last_sync too
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
//                      inventory_over_open_ms is inventory_ms minus it, complete_over_open_ms
//                      complete_ms minus it
// The agent runs as it is deployed: the built JavaScript (this script runs the build first).
// Environment: LVQ_BENCH_WINDOW_S (default 60) shortens the observation window (printed);
// LVQ_BENCH_MAIN runs another build's main.js (no build then), to compare two builds;
// LVQ_BENCH_CPU_PROF=<dir> has the 10,000-domain agent write a CPU profile there;
// LVQ_BENCH_IDLE_S (default 20) is the idle agent's window, 0 skips that part.
// The last line is one JSON object.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "../src/libvirt/index.js";
import { openConsole, type SpawnedAgent, tempDir } from "../test/support/agent.js";
import { uniqueName } from "../test/support/names.js";
import { measureIdleAgent } from "./agent-idle.js";
import {
  bareOpenMs,
  DOMAINS,
  describeSteps,
  measureInventory,
  POOLS,
  TOTAL,
  VOLS,
  writeBenchHost,
} from "./inventory.js";
import { procCpuMs, procRssMb, say } from "./measure.js";

const WINDOW_S = Number(process.env.LVQ_BENCH_WINDOW_S ?? 60);
const STATS_INTERVAL_S = 10;
const procCpuSeconds = (pid: number) => procCpuMs(pid) / 1000;

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
  const uri = writeBenchHost(dir.path, tag);
  const console = await openConsole();
  let agent: SpawnedAgent | undefined;
  try {
    const openBefore = await bareOpenMs(uri);
    say(
      `a bare libvirt connection to the file (the daemon parses it): ${Math.round(openBefore)} ms`,
    );
    // --- inventory ---------------------------------------------------------------------
    const inv = await measureInventory({
      uri,
      instance: tag,
      stateDir: join(dir.path, "state"),
      console,
      main,
      args: ["--stats-interval", String(STATS_INTERVAL_S)],
    });
    agent = inv.agent;
    const { inventoryMs } = inv;
    const pid = agent.proc.pid as number;
    const started = JSON.parse(agent.stderr.find((l) => l.includes('"resync done"')) ?? "{}") as {
      ms?: number;
    };
    say(
      `inventory: ${TOTAL} objects at the console ${Math.round(inventoryMs)} ms after the agent process started ` +
        `(agent ready at ${Math.round(inv.readyMs)} ms; its first full resync took ${started.ms} ms)`,
    );
    say(describeSteps(inv));

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

    // --- the daemon's own open, again (the agent stopped, so that the daemon works for this
    // connection alone, as it did before the agent started); baseline: one GET_INFO per domain
    await agent.stop();
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
      complete_ms: Math.round(inv.readyMs),
      complete_over_open_ms: Math.round(inv.readyMs - openMs),
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
const idleS = Number(process.env.LVQ_BENCH_IDLE_S ?? 20);
if (idleS > 0) {
  say(`idle agent on a host of 100 domains, and a bare node, side by side for ${idleS} s`);
  const idle = await measureIdleAgent({ main: process.env.LVQ_BENCH_MAIN, windowS: idleS });
  say(
    `idle agent, ${idle.domains} domains: RSS max ${idle.agentMb.toFixed(1)} MB; bare node ${idle.bareMb.toFixed(1)} MB`,
  );
  result.agent100_rss_mb = Number(idle.agentMb.toFixed(1));
  result.bare_node_rss_mb = Number(idle.bareMb.toFixed(1));
}
process.stdout.write(`${JSON.stringify(result)}\n`);

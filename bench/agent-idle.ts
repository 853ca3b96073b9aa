// The idle agent's memory, as deployed: `node dist/cli/main.js agent` on a private test-driver
// host of 100 domains (the fleet's host size), next to a bare `node -e 'setInterval(…)'`
// measured in the same run. The agent's figure is the largest RSS over a window after its
// first resync (stats sweeps run in it); the bare node's, the largest over the same window.
// bench/agent.ts prints it as agent100_rss_mb; run alone (after `npm run build`):
//   npx tsx bench/agent-idle.ts   (LVQ_BENCH_IDLE_S changes the 20 s window; LVQ_BENCH_MAIN runs
//   another build's main.js, to compare)
// The last line is one JSON object.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnAgent, tempDir } from "../test/support/agent.js";
import { uniqueName } from "../test/support/names.js";
import { testUuid, writeTestDriverFile } from "../test/support/testdriver.js";
import { procRssMb } from "./measure.js";

/** Samples `pids` every 250 ms for `ms`; the largest RSS of each. */
async function watchRss(pids: number[], ms: number): Promise<number[]> {
  const max = pids.map(() => 0);
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    pids.forEach((pid, i) => {
      const v = procRssMb(pid);
      if (v > (max[i] as number)) max[i] = v;
    });
    await new Promise((r) => setTimeout(r, 250));
  }
  return max;
}

/** What {@link measureIdleAgent} reports. */
export interface IdleRss {
  /** Largest RSS of the idle agent over the window, MB. */
  agentMb: number;
  /** Largest RSS of a bare node over the same window, MB. */
  bareMb: number;
  /** The window, seconds. */
  windowS: number;
  domains: number;
}

/**
 * Starts the built agent on a host of `domains` domains and a bare node; after the agent's
 * first resync, watches both for `windowS` seconds (stats every 5 s, so sweeps fall in it).
 */
export async function measureIdleAgent(
  opts: { domains?: number; windowS?: number; main?: string } = {},
): Promise<IdleRss> {
  const domains = opts.domains ?? 100;
  const windowS = opts.windowS ?? 20;
  const root = fileURLToPath(new URL("..", import.meta.url));
  const main = opts.main ?? join(root, "dist", "cli", "main.js");
  const dir = tempDir("bench-idle");
  const tag = uniqueName("idle");
  const uri = writeTestDriverFile(join(dir.path, "node.xml"), {
    domains,
    pools: 1,
    volumesPerPool: 2,
    namePrefix: `${tag}-`,
  });
  const bare = spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], { stdio: "ignore" });
  const agent = spawnAgent(
    [
      "--uri",
      uri,
      "--instance",
      tag,
      // As test/support/fleet.ts starts its hosts (and a host's second start finds it recorded).
      "--host-uuid",
      testUuid(`${tag}-host`),
      "--state-dir",
      join(dir.path, "state"),
      "--stats-interval",
      "5",
      "--heartbeat-interval",
      "2",
      "--log-level",
      "info",
    ],
    {},
    { main },
  );
  try {
    await agent.waitForLog("resync done", 60_000);
    const [agentMb, bareMb] = await watchRss(
      [agent.proc.pid as number, bare.pid as number],
      windowS * 1000,
    );
    return { agentMb: agentMb as number, bareMb: bareMb as number, windowS, domains };
  } finally {
    bare.kill();
    await agent.stop();
    dir.remove();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await measureIdleAgent({
    windowS: Number(process.env.LVQ_BENCH_IDLE_S ?? 20),
    main: process.env.LVQ_BENCH_MAIN,
  });
  process.stderr.write(
    `idle agent, ${r.domains} domains: RSS max ${r.agentMb.toFixed(1)} MB over ${r.windowS} s after its first resync; bare node ${r.bareMb.toFixed(1)} MB\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ agent100_rss_mb: Number(r.agentMb.toFixed(1)), bare_node_rss_mb: Number(r.bareMb.toFixed(1)) })}\n`,
  );
}

// The inventory time alone, repeated, to compare builds on a shared machine:
//   npx tsx bench/agent-inventory.ts [path/to/dist/cli/main.js …]
// For each round (LVQ_BENCH_ROUNDS, default 3) and each build given (default: this tree's
// dist/cli/main.js; run `npm run build` first), in turn: the daemon's bare open of the
// 10,000-domain file, then a fresh agent's inventory (bench/inventory.ts). Prints every run
// and, per build, the range of inventory_ms, of inventory_ms minus the bare open just before
// it, and of the agent's CPU time until then (the least noisy of the three on a busy machine).
// After each run, the resync's reads alone on a bare connection (bench/inventory.ts
// bareReadsMs): the daemon's share, the floor under the part of the inventory after the open.
// The last line is one JSON object.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openConsole, tempDir } from "../test/support/agent.js";
import { uniqueName } from "../test/support/names.js";
import {
  bareOpenMs,
  bareReadsMs,
  describeSteps,
  measureInventory,
  writeBenchHost,
} from "./inventory.js";
import { range, say } from "./measure.js";

const ROUNDS = Number(process.env.LVQ_BENCH_ROUNDS ?? 3);
const builds = process.argv.slice(2);
if (builds.length === 0) {
  builds.push(join(fileURLToPath(new URL("..", import.meta.url)), "dist", "cli", "main.js"));
}

const dir = tempDir("bench-inventory");
const console = await openConsole();
interface Run {
  inventoryMs: number;
  overOpenMs: number;
  /** The agent's first full resync done (every object complete) minus the bare open. */
  completeOverOpenMs: number;
  cpuMs: number;
  /** The resync (broker reached → resync done) beyond the daemon's reads alone. */
  resyncOverReadsMs: number;
}
const runs: Record<string, Run[]> = {};
try {
  const tag = uniqueName("inv");
  const uri = writeBenchHost(dir.path, tag);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [b, main] of builds.entries()) {
      const openMs = await bareOpenMs(uri);
      const inv = await measureInventory({
        uri,
        instance: `${tag}-${round}-${b}`,
        stateDir: join(dir.path, `state-${round}-${b}`),
        console,
        main,
      });
      await inv.agent.stop();
      const readsMs = await bareReadsMs(uri);
      const over = inv.inventoryMs - openMs;
      const resyncMs =
        (inv.steps["resync done"] ?? NaN) - (inv.steps["agent on the broker"] ?? NaN);
      runs[main] = [
        ...(runs[main] ?? []),
        {
          inventoryMs: inv.inventoryMs,
          overOpenMs: over,
          completeOverOpenMs: inv.readyMs - openMs,
          cpuMs: inv.cpuMs,
          resyncOverReadsMs: resyncMs - readsMs,
        },
      ];
      say(
        `round ${round + 1} ${main}: inventory ${Math.round(inv.inventoryMs)} ms, bare open ${Math.round(openMs)} ms, over it ${Math.round(over)} ms; the resync's reads alone then took the daemon ${Math.round(readsMs)} ms`,
      );
      say(describeSteps(inv));
    }
  }
} finally {
  await console.close();
  dir.remove();
}
const summary: Record<
  string,
  {
    inventory_ms: string;
    inventory_over_open_ms: string;
    complete_over_open_ms: string;
    agent_cpu_ms: string;
    resync_over_reads_ms: string;
  }
> = {};
for (const [main, rs] of Object.entries(runs)) {
  summary[main] = {
    inventory_ms: range(rs.map((r) => r.inventoryMs)),
    inventory_over_open_ms: range(rs.map((r) => r.overOpenMs)),
    complete_over_open_ms: range(rs.map((r) => r.completeOverOpenMs)),
    agent_cpu_ms: range(rs.map((r) => r.cpuMs)),
    resync_over_reads_ms: range(rs.map((r) => r.resyncOverReadsMs)),
  };
  say(
    `${main}: inventory ${summary[main].inventory_ms} ms, over the bare open ${summary[main].inventory_over_open_ms} ms (complete ${summary[main].complete_over_open_ms} ms), agent CPU ${summary[main].agent_cpu_ms} ms, resync beyond the daemon's reads ${summary[main].resync_over_reads_ms} ms`,
  );
}
process.stdout.write(`${JSON.stringify(summary)}\n`);

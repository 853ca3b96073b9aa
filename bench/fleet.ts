// npm run bench:fleet — the fleet at 100 hosts on a 3-node RabbitMQ cluster.
//
// scripts/cluster.sh brings up three RabbitMQ nodes (ports 5681-5683); 100 `lvq agent`
// processes (built JavaScript, as deployed), each on its own libvirt test-driver host of 100
// running domains served by the machine's libvirtd, spread over the nodes by their random
// start. Measured, each against a baseline run here and now:
//   discovery_ms     a cold `lvq agents --expect-agents 100`
//   list10k_ms       `lvq list Domain --json` of the 10,000 domains, against
//                    virsh_list_all_hosts_ms: `virsh list --all` on each of the 100 hosts one
//                    after the other, through libvirtd as for any host (each connection to a
//                    test-driver file gets its own copy of that host)
//   batch1k_ms       `lvq suspend` of 1,000 running domains (ten per host) with one command,
//                    then `lvq resume` of them, against virsh_batch1k_ms: `virsh suspend` and
//                    `virsh resume` of the same domains through `xargs -P 16` (each call on a
//                    private copy of its host's file, in the state the call needs: the same work
//                    per call)
//   failover_ms      kill -9 of the node holding the most agents (about a third), until
//                    `lvq agents` shows all 100 again on the other nodes
//   lost, duplicates requests without exactly one answer (at the console), and requests
//                    executed more than once (at the agents, from their audit lines)
//   agent_rss_mb     the largest idle agent
// Environment: LVQ_FLEET_AGENTS (default 100), LVQ_FLEET_DOMAINS (default 100).
// The last line is one JSON object.
import { execFile, execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  CLUSTER_URLS,
  cluster,
  clusterUp,
  killNode,
  type NodeNo,
  nodeOfUrl,
  startNode,
} from "../test/support/cluster.js";
import { BUILT_MAIN, startFleet } from "../test/support/fleet.js";
import { uniqueName } from "../test/support/names.js";
import { loadAverage, procRssMb, say } from "./measure.js";

const run = promisify(execFile);
const AGENTS = Number(process.env.LVQ_FLEET_AGENTS ?? 100);
const DOMAINS = Number(process.env.LVQ_FLEET_DOMAINS ?? 100);
const BATCH_PER_HOST = 10; // domains dom-0 … dom-9 of every host
const HEARTBEAT_S = 5;
/** How long the fleet idles (two stats sweeps) before the agents' RSS is read. */
const IDLE_S = 20;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Runs lvq (the built CLI) against the cluster; its stdout, stderr, exit code and wall time. */
async function lvq(
  args: string[],
  broker = CLUSTER_URLS.join(","),
  env: Record<string, string> = {},
) {
  const t0 = performance.now();
  return new Promise<{ code: number; stdout: string; stderr: string; ms: number }>((resolve) => {
    const child = spawn(process.execPath, [BUILT_MAIN, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        LVQ_BROKER: broker,
        XDG_CONFIG_HOME: "/nonexistent-lvq-bench-config",
        NO_COLOR: "1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("exit", (code) =>
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 }),
    );
  });
}

/** Runs `virsh` on a list of (file, verb, domain) through `xargs -P 16`; wall ms. */
async function virshBatch(jobs: { file: string; verb: string; domain: string }[]): Promise<number> {
  const list = jobs.map((j) => `${j.file} ${j.verb} ${j.domain}`).join("\n");
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const x = spawn(
      "xargs",
      ["-P", "16", "-L", "1", "sh", "-c", 'virsh -q -c "test+unix://$0" "$1" "$2" >/dev/null'],
      { stdio: ["pipe", "ignore", "inherit"] },
    );
    x.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`xargs virsh: ${code}`))));
    x.stdin.end(`${list}\n`);
  });
  return performance.now() - t0;
}

async function main(): Promise<void> {
  say("building (npm run build): agents and lvq run as deployed");
  execFileSync("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: "ignore" });
  say("bringing up the 3-node cluster (scripts/cluster.sh up)");
  await clusterUp();
  const prefix = uniqueName("fleet");
  say(`starting ${AGENTS} agents × ${DOMAINS} domains on the cluster…`);
  const t0 = performance.now();
  const fleet = await startFleet({
    agents: AGENTS,
    domainsPerAgent: DOMAINS,
    pools: 1,
    volumesPerPool: 2,
    brokers: [...CLUSTER_URLS],
    prefix,
    heartbeatIntervalS: HEARTBEAT_S,
  });
  say(`  all started in ${Math.round(performance.now() - t0)} ms`);
  try {
    // --- idle RSS (before any command: the agents have done nothing but start and sweep) ---
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    let agentRss = 0;
    for (const h of fleet.hosts) agentRss = Math.max(agentRss, procRssMb(h.agent.proc.pid!));
    const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
    await new Promise((r) => setTimeout(r, 1000));
    const bareRss = procRssMb(bare.pid!);
    bare.kill();
    say(
      `agent RSS (largest of ${AGENTS}): ${agentRss.toFixed(1)} MB; a bare node: ${bareRss.toFixed(1)} MB`,
    );

    // --- discovery -------------------------------------------------------------------------
    const disc = await lvq(["--json", "--expect-agents", String(AGENTS), "agents"]);
    if (disc.code !== 0) throw new Error(`lvq agents: ${disc.stderr}`);
    const listed = (JSON.parse(disc.stdout) as { name: string; broker_node: string }[]).filter(
      (a) => a.name.includes(prefix),
    );
    if (listed.length !== AGENTS) throw new Error(`lvq agents saw ${listed.length} of ${AGENTS}`);
    const perNode = new Map<NodeNo, number>();
    for (const a of listed) {
      const n = nodeOfUrl(a.broker_node);
      perNode.set(n, (perNode.get(n) ?? 0) + 1);
    }
    say(
      `discovery: ${Math.round(disc.ms)} ms; agents per node: ${[...perNode]
        .sort()
        .map(([n, c]) => `lvq${n}=${c}`)
        .join(" ")}`,
    );

    // --- list 10k --------------------------------------------------------------------------
    const list = await lvq(["--json", "--expect-agents", String(AGENTS), "list", "Domain"]);
    if (list.code !== 0) throw new Error(`lvq list: ${list.stderr}`);
    const rows = (JSON.parse(list.stdout) as { properties: { name: string } }[]).filter((r) =>
      r.properties.name.startsWith(prefix),
    );
    if (rows.length !== AGENTS * DOMAINS) throw new Error(`lvq list gave ${rows.length} domains`);
    const v0 = performance.now();
    let virshRows = 0;
    for (const h of fleet.hosts) {
      const { stdout } = await run("virsh", ["-q", "-c", h.uri, "list", "--all"]);
      virshRows += stdout.split("\n").filter((l) => l.trim() !== "").length;
    }
    const virshListMs = performance.now() - v0;
    if (virshRows !== AGENTS * DOMAINS) throw new Error(`virsh listed ${virshRows} domains`);
    say(`list: lvq ${Math.round(list.ms)} ms, virsh on each host ${Math.round(virshListMs)} ms`);

    // --- batch of 1,000 --------------------------------------------------------------------
    const where = JSON.stringify(["re_match", "name", ["quote", `^${prefix}-h[0-9]+-dom-[0-9]$`]]);
    const batch = async (verb: string) => {
      const r = await lvq([
        "--json",
        "--expect-agents",
        String(AGENTS),
        verb,
        "--where",
        where,
        "--yes",
        "--parallel",
        "16",
      ]);
      const results = JSON.parse(r.stdout) as { uuid: string; ok: boolean }[];
      return { ...r, results };
    };
    const suspended = await batch("suspend");
    const resumed = await batch("resume");
    const batchMs = suspended.ms + resumed.ms;
    const targets = AGENTS * BATCH_PER_HOST;
    const failed = [...suspended.results, ...resumed.results].filter((r) => !r.ok).length;
    // lost: a target without exactly one result line.
    const lost =
      Math.abs(targets - new Set(suspended.results.map((r) => r.uuid)).size) +
      Math.abs(targets - new Set(resumed.results.map((r) => r.uuid)).size) +
      (suspended.results.length - new Set(suspended.results.map((r) => r.uuid)).size) +
      (resumed.results.length - new Set(resumed.results.map((r) => r.uuid)).size);
    // virsh on private copies in the state each call needs (running for suspend, paused for
    // resume): the same work per call as the agents do on theirs.
    const jobs: { file: string; verb: string; domain: string }[] = [];
    for (const h of fleet.hosts) {
      const paused = join(fleet.dir, `${h.instance}-paused.xml`);
      writeFileSync(
        paused,
        readFileSync(h.file, "utf8").replace(
          /<\/os><\/domain>/g,
          "</os><test:runstate>3</test:runstate></domain>",
        ),
      );
      for (let i = 0; i < BATCH_PER_HOST; i++) {
        jobs.push({ file: h.file, verb: "suspend", domain: `${h.instance}-dom-${i}` });
        jobs.push({ file: paused, verb: "resume", domain: `${h.instance}-dom-${i}` });
      }
    }
    const virshBatchMs = await virshBatch(jobs);
    say(
      `batch: lvq suspend ${Math.round(suspended.ms)} ms + resume ${Math.round(resumed.ms)} ms (${failed} failed), virsh ${Math.round(virshBatchMs)} ms`,
    );

    // --- duplicates, from the agents' audit lines --------------------------------------------
    const executions = new Map<string, number>();
    for (const h of fleet.hosts) {
      for (const line of h.agent.stderr) {
        // One audit line per method request (refused ones too: none is refused here).
        if (!line.includes('"msg":"method request"')) continue;
        // A correlation id is unique per console, not per fleet: the key adds the method and
        // the object (each of which one command calls once).
        const a = JSON.parse(line) as { request?: string; method?: string; object?: string };
        if (!a.request) continue;
        const key = `${h.instance}/${a.object}/${a.method}/${a.request}`;
        executions.set(key, (executions.get(key) ?? 0) + 1);
      }
    }
    const duplicates = [...executions.values()].filter((n) => n > 1).length;
    const executed = executions.size;

    // --- failover --------------------------------------------------------------------------
    const [victim] = [...perNode].sort((a, b) => b[1] - a[1])[0]!;
    const survivors = CLUSTER_URLS.filter((u) => nodeOfUrl(u) !== victim).join(",");
    const f0 = performance.now();
    await killNode(victim);
    let failoverMs = Number.NaN;
    for (let i = 0; i < 120; i++) {
      const r = await lvq(["--json", "agents"], survivors, { LVQ_DISCOVERY_MS: "3000" });
      if (r.code === 0) {
        const back = (JSON.parse(r.stdout) as { name: string; broker_node: string }[]).filter(
          (a) => a.name.includes(prefix) && nodeOfUrl(a.broker_node) !== victim,
        );
        if (back.length === AGENTS) {
          failoverMs = performance.now() - f0;
          break;
        }
      }
    }
    say(
      `failover: node lvq${victim} (${perNode.get(victim)} agents) killed; all ${AGENTS} back in ${Math.round(failoverMs)} ms (heartbeat ${HEARTBEAT_S} s)`,
    );
    await startNode(victim);

    const out = {
      agents: AGENTS,
      discovery_ms: Math.round(disc.ms),
      list10k_ms: Math.round(list.ms),
      virsh_list_all_hosts_ms: Math.round(virshListMs),
      list_ratio: Number((virshListMs / list.ms).toFixed(2)),
      batch1k_ms: Math.round(batchMs),
      virsh_batch1k_ms: Math.round(virshBatchMs),
      batch_ratio: Number((virshBatchMs / batchMs).toFixed(2)),
      failover_ms: Math.round(failoverMs),
      heartbeat_s: HEARTBEAT_S,
      lost,
      duplicates,
      executed,
      failed,
      agent_rss_mb: Number(agentRss.toFixed(1)),
      bare_node_rss_mb: Number(bareRss.toFixed(1)),
    };
    say(`load average at end: ${loadAverage()}`);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await fleet.stop();
    if (process.env.LVQ_KEEP_CLUSTER !== "1") await cluster("down");
  }
}

main().catch((e) => {
  process.stderr.write(`bench:fleet failed: ${e instanceof Error ? (e.stack ?? e.message) : e}\n`);
  process.exit(1);
});

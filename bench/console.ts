// npm run bench:console — the fleet view against virsh, in the same run.
//
// Ten agents, each on its own libvirt test-driver file of 1,000 domains (served by the real
// libvirtd), publish on the real RabbitMQ. Measured, median of RUNS:
//   cli_list_ms        `node dist/cli/main.js --json list Domain`, wall time, process start included
//   sdk_query_ms       `fleet.domains()` in an already connected SDK process (the query alone)
//   virsh_all_hosts_ms `virsh -c test+unix:///…file list --all`, for each host in turn
//                      (each connection re-parses its file, as libvirt's test driver does)
// The last line is one JSON object with the three figures.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectFleet } from "../src/console/index.js";
import { BIN } from "../test/cli/harness.js";
import { agentNameOf, type SpawnedAgent, spawnAgent } from "../test/support/agent.js";
import { BROKER } from "../test/support/broker.js";
import { writeTestDriverFile } from "../test/support/testdriver.js";
import { median } from "./measure.js";

const HOSTS = 10;
const DOMAINS = 1000;
const RUNS = 5;

function run(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${err}`));
      else resolve({ ms, stdout: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

async function main(): Promise<void> {
  const tag = randomBytes(3).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), `lvq-bench-console-${tag}-`));
  const agents: SpawnedAgent[] = [];
  // A stuck stage (an agent that never comes up, a broker restarted under us) must not keep
  // the benchmark running forever: give up loudly, and take our agents down with us.
  const watchdog = setTimeout(() => {
    process.stderr.write("bench/console.ts: no result within 8 minutes; giving up\n");
    for (const a of agents) a.proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }, 480_000);
  watchdog.unref();
  try {
    const uris = Array.from({ length: HOSTS }, (_, i) =>
      writeTestDriverFile(join(dir, `host${i}.xml`), {
        domains: DOMAINS,
        pools: 1,
        volumesPerPool: 0,
        namePrefix: `bench${tag}h${i}-`,
      }),
    );
    process.stderr.write(`starting ${HOSTS} agents of ${DOMAINS} domains each…\n`);
    // Each agent is its own process, as on ten hosts.
    const instances = uris.map((_, i) => `bench-${tag}-${i}`);
    uris.forEach((uri, i) => {
      agents.push(
        spawnAgent([
          "--broker",
          BROKER,
          "--uri",
          uri,
          "--instance",
          instances[i]!,
          "--state-dir",
          join(dir, `state${i}`),
          "--log-level",
          "info",
        ]),
      );
    });
    await Promise.all(agents.map((a) => a.waitForLog("agent running", 120_000)));
    const ours = new Set(instances.map(agentNameOf));

    // SDK: one connected process, the query alone.
    const fleet = await connectFleet({ broker: BROKER, timeoutMs: 30_000 });
    const sdkTimes: number[] = [];
    let total = 0;
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const n = fleet.agents().filter((a) => ours.has(a.name)).length;
        const doms = n === HOSTS ? await fleet.domains(undefined, { agents: [...ours] }) : [];
        if (doms.length === HOSTS * DOMAINS) break;
        if (Date.now() > deadline)
          throw new Error(`agents not ready: ${n} agents, ${doms.length} domains`);
        await new Promise((r) => setTimeout(r, 500));
      }
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const doms = await fleet.domains();
        sdkTimes.push(performance.now() - t);
        total = doms.length;
      }
    } finally {
      await fleet.close();
    }

    // CLI: the whole process, as a user runs it.
    const cliTimes: number[] = [];
    let cliCount = 0;
    const env = { ...process.env, LVQ_BROKER: BROKER, NO_COLOR: "1" };
    for (let i = 0; i < RUNS; i++) {
      const r = await run(process.execPath, [BIN, "--json", "list", "Domain"], env);
      cliTimes.push(r.ms);
      cliCount = (JSON.parse(r.stdout) as { agent: string }[]).filter((d) =>
        ours.has(d.agent),
      ).length;
    }
    if (cliCount !== HOSTS * DOMAINS)
      throw new Error(`lvq list returned ${cliCount} of our domains`);

    // Baseline: virsh on each host in turn.
    const virshTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      let lines = 0;
      for (const uri of uris) {
        const r = await run("virsh", ["-c", uri, "list", "--all"]);
        lines += r.stdout.split("\n").filter((l) => l.includes(`bench${tag}`)).length;
      }
      virshTimes.push(performance.now() - t);
      if (lines !== HOSTS * DOMAINS) throw new Error(`virsh listed ${lines} domains`);
    }

    const cli = Math.round(median(cliTimes));
    const sdk = Math.round(median(sdkTimes));
    const virsh = Math.round(median(virshTimes));
    console.log(
      `hosts ${HOSTS}, domains per host ${DOMAINS}, runs ${RUNS} (medians); fleet total ${total} domains`,
    );
    console.log("what                                      ms");
    console.log(`lvq --json list Domain (process)   ${String(cli).padStart(8)}   goal ≤ 1000`);
    console.log(`SDK fleet.domains() (query only)   ${String(sdk).padStart(8)}`);
    console.log(`virsh list --all × ${HOSTS} hosts       ${String(virsh).padStart(8)}   baseline`);
    console.log(JSON.stringify({ cli_list_ms: cli, sdk_query_ms: sdk, virsh_all_hosts_ms: virsh }));
  } finally {
    clearTimeout(watchdog);
    await Promise.allSettled(agents.map((a) => a.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

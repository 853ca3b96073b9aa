// Discovery: how lvq and the SDK decide they have heard the whole fleet. Runs in a private
// RabbitMQ vhost so that the agent counts are exact: two `lvq agent` processes, one of them
// paused (SIGSTOP) to play a host that answers late or not at all.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connectFleet, type Domain, SETTLE_LATENCY_FACTOR } from "../../src/console/index.js";
import { agentNameOf, type SpawnedAgent, spawnAgent } from "../support/agent.js";
import { rabbitmqctl, vhostUrl } from "../support/broker.js";
import { writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";
import { BIN, buildOnce, lvq, lvqOnTty } from "./harness.js";

const tag = randomBytes(3).toString("hex");
const dir = mkdtempSync(join(tmpdir(), `lvq-disc-${tag}-`));
const vhost = `lvqtest-disc-${tag}`;
const broker = vhostUrl(vhost);
const spec = { domains: 1, pools: 0, volumesPerPool: 0 };
let quick: SpawnedAgent | undefined;
let slow: SpawnedAgent | undefined;
const slowName = agentNameOf(`disc-${tag}-slow`);
const quickName = agentNameOf(`disc-${tag}-quick`);

/** Starts `lvq agent` (the built one) on a private test-driver file of one domain. */
function agentProcess(which: string): SpawnedAgent {
  return spawnAgent(
    [
      "--broker",
      broker,
      "--uri",
      writeTestDriverFile(join(dir, `${which}.xml`), {
        ...spec,
        namePrefix: `disc${tag}${which}-`,
      }),
      "--instance",
      `disc-${tag}-${which}`,
      "--state-dir",
      join(dir, `state-${which}`),
    ],
    {},
    { main: BIN },
  );
}

/** Runs `work` with the slow agent paused; it is resumed after `resumeAfterMs` (or at the end). */
async function whilePaused<T>(work: () => Promise<T>, resumeAfterMs?: number): Promise<T> {
  const pid = slow!.proc.pid!;
  process.kill(pid, "SIGSTOP");
  const timer =
    resumeAfterMs === undefined
      ? undefined
      : setTimeout(() => process.kill(pid, "SIGCONT"), resumeAfterMs);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
    process.kill(pid, "SIGCONT");
  }
}

describe("discovery", { timeout: 120_000 }, () => {
  before(async () => {
    await rabbitmqctl("add_vhost", vhost);
    await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
    await buildOnce();
    slow = agentProcess("slow");
    quick = agentProcess("quick");
    await quick.waitForLog("agent running", 60_000);
    await slow.waitForLog("agent running", 60_000);
    await waitFor("both agents answer", 20_000, async () => {
      const r = await lvq(["--json", "agents"], { LVQ_BROKER: broker });
      return r.code === 0 && (JSON.parse(r.stdout) as unknown[]).length === 2;
    });
  });
  after(async () => {
    if (slow?.proc.pid) process.kill(slow.proc.pid, "SIGCONT");
    await Promise.allSettled([quick?.stop(), slow?.stop()]);
    await rabbitmqctl("delete_vhost", vhost).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test("the SDK waits at least twice the latest answer's latency, and says how discovery went", async () => {
    const fleet = await connectFleet({ broker });
    try {
      const r = fleet.discoveryResult!;
      assert.equal(r.agents, 2);
      assert.deepEqual(
        fleet
          .agents()
          .map((a) => a.name)
          .sort(),
        [quickName, slowName].sort(),
      );
      assert.ok(r.lastAnswerMs !== null && r.lastAnswerMs >= 0, JSON.stringify(r));
      assert.equal(r.quietMs, Math.max(150, Math.round(SETTLE_LATENCY_FACTOR * r.lastAnswerMs)));
      assert.ok(r.elapsedMs >= r.lastAnswerMs + r.quietMs, JSON.stringify(r));
    } finally {
      await fleet.close();
    }
    const patient = await connectFleet({ broker, settleMs: 400 });
    try {
      assert.equal(patient.discoveryResult!.quietMs! >= 400, true);
      assert.equal(patient.discoveryResult!.agents, 2);
    } finally {
      await patient.close();
    }
  });

  test("an agent that answers after a whole-fleet query went out is reported as left out", async () => {
    const slowPid = slow!.proc.pid!;
    const quickPid = quick!.proc.pid!;
    process.kill(slowPid, "SIGSTOP");
    let fleet: Awaited<ReturnType<typeof connectFleet>> | undefined;
    try {
      fleet = await connectFleet({ broker, timeoutMs: 5000 });
      const f = fleet;
      assert.deepEqual(
        f.agents().map((a) => a.name),
        [quickName],
      );
      const errors: { agentName: string; error: Error }[] = [];
      f.on("agentError", (e: { agentName: string; error: Error }) => errors.push(e));
      const late: string[] = [];
      f.on("agentLate", (e: { agentName: string }) => late.push(e.agentName));
      // The quick agent holds the query while the slow one answers the locate, late.
      process.kill(quickPid, "SIGSTOP");
      let query: Promise<Domain[]>;
      try {
        query = f.domains();
        process.kill(slowPid, "SIGCONT");
        await waitFor("the slow agent's late answer", 5000, async () => f.agents().length === 2);
      } finally {
        process.kill(quickPid, "SIGCONT");
      }
      const doms = await query;
      assert.deepEqual(
        doms.map((d) => d.agentName),
        [quickName],
      );
      assert.deepEqual(late, [slowName]);
      assert.deepEqual(errors, []);
      assert.deepEqual(f.incompleteAgents, [slowName]);
      // The next whole-fleet query asks it too.
      assert.deepEqual(
        (await f.domains()).map((d) => d.agentName).sort(),
        [quickName, slowName].sort(),
      );
    } finally {
      process.kill(slowPid, "SIGCONT");
      process.kill(quickPid, "SIGCONT");
      await fleet?.close();
    }
  });

  test("an agent that answers late is missed by default, found with --expect-agents; fewer is exit 4", async () => {
    const env = { LVQ_BROKER: broker, LVQ_DISCOVERY_MS: "2500" };
    const names = (stdout: string) =>
      (JSON.parse(stdout) as { name: string }[]).map((a) => a.name).sort();
    // Paused throughout: the default discovery ends without it, and says it was not heard.
    const missed = await whilePaused(() => lvq(["--json", "agents"], env));
    assert.equal(missed.code, 0, missed.stderr);
    assert.deepEqual(names(missed.stdout), [quickName]);
    // Paused for 800 ms, far longer than the quick agent takes: --expect-agents waits for it.
    const found = await whilePaused(
      () => lvq(["--expect-agents", "2", "--json", "agents"], env),
      800,
    );
    assert.equal(found.code, 0, found.stderr);
    assert.deepEqual(names(found.stdout), [quickName, slowName].sort());
    const listed = await whilePaused(
      () => lvq(["--json", "list", "Node"], { ...env, LVQ_EXPECT_AGENTS: "2" }),
      800,
    );
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { agent: string }[]).map((n) => n.agent).sort(),
      [quickName, slowName].sort(),
    );
    // Paused throughout with an agent expected: the listing fails instead of lacking it.
    const short = await whilePaused(() =>
      lvq(["--expect-agents", "2", "list", "Domain"], { ...env, LVQ_DISCOVERY_MS: "700" }),
    );
    assert.equal(short.code, 4);
    assert.equal(short.stdout, "");
    assert.match(
      short.stderr,
      /^lvq: only 1 of the 2 expected agents answered discovery \(waited \d+ ms\)\n$/,
    );
    const shortAgents = await whilePaused(() =>
      lvq(["--expect-agents", "2", "--json", "agents"], { ...env, LVQ_DISCOVERY_MS: "700" }),
    );
    assert.equal(shortAgents.code, 4);
    assert.deepEqual(names(shortAgents.stdout), [quickName]);
    const bad = await lvq(["--expect-agents", "two", "agents"], env);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /'--expect-agents <n>' argument 'two' is invalid\. expected a positive integer/,
    );
    const badEnv = await lvq(["agents"], { ...env, LVQ_SETTLE_MS: "-5" });
    assert.equal(badEnv.code, 2);
    assert.equal(
      badEnv.stderr,
      'lvq: LVQ_SETTLE_MS="-5": expected a positive number of milliseconds\n',
    );
  });

  test("on a terminal, agents and list say how many agents answered discovery", async () => {
    const line =
      /\nlvq: 2 agents answered discovery in \d+ ms \(ended after \d+ ms without a new answer\)\r?\n$/;
    for (const args of [["agents"], ["list", "Domain"]]) {
      const r = await lvqOnTty(args, { LVQ_BROKER: broker });
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, line);
    }
    // Not on a pipe: scripts get the output alone.
    const piped = await lvq(["list", "Domain"], { LVQ_BROKER: broker });
    assert.equal(piped.code, 0);
    assert.equal(piped.stderr, "");
  });
});

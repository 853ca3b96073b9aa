// `lvq agent` as a real process: flags, environment variables and a config file; JSON logs;
// the epoch persisted across runs; a clean stop on SIGTERM; after kill -9 the console ages
// it out and a restart comes back with the next epoch; a bad setting refused at start.
// Also the broker: its connections closed under a running agent, the agent comes back and
// publishes again (in a private vhost, so nobody else's connections are touched).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ConsoleSession } from "../../src/qmf/index.js";
import { agentNameOf, openConsole, spawnAgent, startTestAgent, tempDir } from "../support/agent.js";
import { rabbitmqctl, vhostUrl } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const dir = tempDir("cli");
const uri = writeTestDriverFile(join(dir.path, "node.xml"), {
  domains: 2,
  pools: 1,
  volumesPerPool: 1,
  namePrefix: `${uniqueName("cli")}-`,
});
let qc: ConsoleSession;

before(async () => {
  qc = await openConsole();
});
after(async () => {
  await qc?.close();
  dir.remove();
});

describe("lvq agent (a real process)", () => {
  test("flags: publishes, logs JSON lines, epoch 1 then 2, exits 0 on SIGTERM", async () => {
    const instance = uniqueName("cli");
    const state = join(dir.path, "state-flags");
    const args = [
      "--uri",
      uri,
      "--instance",
      instance,
      "--state-dir",
      state,
      "--heartbeat-interval",
      "1",
    ];
    for (const epoch of [1, 2]) {
      const p = spawnAgent(args);
      try {
        const running = await p.waitForLog("agent running");
        assert.equal(running.agent, agentNameOf(instance));
        assert.equal(running.epoch, epoch);
        assert.equal(running.uri, uri);
        const info = await qc.waitForAgent(
          (a) => a.name === agentNameOf(instance) && a.epoch === epoch,
          10_000,
        );
        assert.equal(info.attributes.libvirt_state, "connected");
        const doms = await qc.query({
          agentName: info.name,
          packageName: "Libvirt",
          className: "Domain",
        });
        assert.equal(doms.length, 2);
      } finally {
        const t0 = performance.now();
        assert.equal(await p.stop("SIGTERM"), 0);
        assert.ok(performance.now() - t0 < 5000, "stops within 5 s");
      }
      for (const line of p.stderr) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        assert.equal(typeof parsed.ts, "string");
        assert.ok(["debug", "info", "warn", "error"].includes(parsed.level as string));
      }
      assert.ok(p.stderr.some((l) => JSON.parse(l).msg === "agent stopped"));
    }
  });

  test("kill -9: the console ages the agent out; restarted, it comes back with the next epoch and all its objects", async () => {
    const instance = uniqueName("kill");
    const name = agentNameOf(instance);
    const args = [
      "--uri",
      uri,
      "--instance",
      instance,
      "--state-dir",
      join(dir.path, "state-kill"),
    ];
    const first = spawnAgent([...args, "--heartbeat-interval", "1"]);
    let second: ReturnType<typeof spawnAgent> | undefined;
    try {
      await first.waitForLog("agent running");
      await qc.waitForAgent((a) => a.name === name && a.epoch === 1, 10_000);
      const removed = new Promise<number>((resolve) => {
        const on = (a: { name: string }) => {
          if (a.name !== name) return;
          qc.off("agentRemoved", on);
          resolve(performance.now());
        };
        qc.on("agentRemoved", on);
      });
      const killedAt = performance.now();
      assert.equal(await first.stop("SIGKILL"), null);
      const agedAfter = (await removed) - killedAt;
      // Three missed heartbeats at 1 s (never before the first is due).
      assert.ok(agedAfter > 1000 && agedAfter < 8000, `aged out after ${Math.round(agedAfter)} ms`);
      assert.equal(
        qc.agents().some((a) => a.name === name),
        false,
      );

      second = spawnAgent([...args, "--heartbeat-interval", "1"]);
      const running = await second.waitForLog("agent running");
      assert.equal(running.epoch, 2);
      const back = await qc.waitForAgent((a) => a.name === name && a.epoch === 2, 10_000);
      assert.equal(back.attributes.libvirt_state, "connected");
      const counts = await Promise.all(
        ["Node", "NodeInfo", "Domain", "DomainInfo", "Pool", "Volume"].map(
          async (className) =>
            (await qc.query({ agentName: name, packageName: "Libvirt", className })).length,
        ),
      );
      assert.deepEqual(counts, [1, 1, 2, 2, 1, 1]);
    } finally {
      await first.stop("SIGKILL");
      if (second) assert.equal(await second.stop("SIGTERM"), 0);
    }
  });

  test("environment variables and a config file; flags win over both", async () => {
    const state = join(dir.path, "state-env");
    const conf = join(dir.path, "agent.json");
    const fromFile = uniqueName("file");
    writeFileSync(
      conf,
      JSON.stringify({ uri, instance: fromFile, stateDir: state, statsInterval: 2 }),
    );
    const fromEnv = uniqueName("env");
    const p = spawnAgent(["--config", conf], {
      LVQ_INSTANCE: fromEnv,
      LVQ_HEARTBEAT_INTERVAL: "1",
    });
    try {
      const running = await p.waitForLog("agent running");
      assert.equal(running.agent, agentNameOf(fromEnv), "environment over config file");
      assert.equal(running.statsIntervalS, 2, "from the config file");
      assert.equal(running.heartbeatIntervalS, 1, "from the environment");
    } finally {
      assert.equal(await p.stop(), 0);
    }
    const fromFlag = uniqueName("flag");
    const q = spawnAgent(["--config", conf, "--instance", fromFlag], { LVQ_INSTANCE: fromEnv });
    try {
      assert.equal((await q.waitForLog("agent running")).agent, agentNameOf(fromFlag));
    } finally {
      assert.equal(await q.stop(), 0);
    }
  });

  test("a bad setting stops it at start with exit code 2 and a message naming the setting", async () => {
    const p = spawnAgent(["--uri", uri, "--stats-interval", "soon"]);
    assert.equal(await p.exited, 2);
    assert.match(p.stderr.join("\n"), /statsInterval \(flag\) must be a number of seconds/);
    const conf = join(dir.path, "bad.json");
    writeFileSync(conf, JSON.stringify({ uri, brokr: "amqp://x" }));
    const q = spawnAgent(["--config", conf]);
    assert.equal(await q.exited, 2);
    assert.match(q.stderr.join("\n"), /unknown key "brokr"/);
  });

  test("a second agent with the same name is refused at start (exit 2, naming it); the first keeps serving", async () => {
    const instance = uniqueName("twin");
    const args = (n: number) => [
      "--uri",
      uri,
      "--instance",
      instance,
      "--state-dir",
      join(dir.path, `state-twin-${n}`),
    ];
    const first = spawnAgent(args(1));
    try {
      await first.waitForLog("agent running");
      const second = spawnAgent(args(2));
      assert.equal(await second.exited, 2);
      assert.ok(
        second.stderr.includes(
          `lvq: another agent named ${agentNameOf(instance)} is already on the broker (give this one its own --instance)`,
        ),
        second.stderr.join("\n"),
      );
      const doms = await qc.query({
        agentName: agentNameOf(instance),
        packageName: "Libvirt",
        className: "Domain",
      });
      assert.equal(doms.length, 2);
    } finally {
      assert.equal(await first.stop("SIGTERM"), 0);
    }
  });

  test("broker connections closed under a running agent: it reconnects and publishes again", async () => {
    const vhost = uniqueName("vhost");
    await rabbitmqctl("add_vhost", vhost);
    await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
    const broker = vhostUrl(vhost);
    const shared = await startTestAgent({
      uri: "test:///default",
      broker,
      heartbeatIntervalMs: 1000,
    });
    const c = await openConsole(broker);
    try {
      const name = uniqueName("after");
      await c.waitForAgent(shared.name, 10_000);
      await rabbitmqctl("close_all_connections", "-p", vhost, "lvq agent test");
      // A change while (or right after) the broker link was down reaches the console.
      const xml = `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><os><type>hvm</type></os></domain>`;
      await shared.agent.libvirt.client.domainDefineXml(xml);
      const found = await waitFor(
        "the domain defined after the broker connections were closed",
        20_000,
        async () => {
          const ds = await c.query({
            agentName: shared.name,
            packageName: "Libvirt",
            className: "Domain",
            where: ["eq", "name", ["quote", name]],
            timeoutMs: 2000,
          });
          return ds[0];
        },
      );
      assert.equal(found.values.name, name);
      const d = await shared.agent.libvirt.client.domainLookupByName(name);
      await shared.agent.libvirt.client.domainUndefine(d);
    } finally {
      await c.close();
      await shared.stop();
      await rabbitmqctl("delete_vhost", vhost).catch(() => {});
    }
  });
});

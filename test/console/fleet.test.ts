// The typed SDK against the real broker and two real agents on private test-driver files.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AmbiguousRefError,
  connectFleet,
  Domain,
  DomainInfo,
  type Fleet,
  type FleetChange,
  Node,
  NodeInfo,
  NotFoundError,
  Pool,
} from "../../src/console/index.js";
import { type AgentHandle, agentNameOf, spawnAgent } from "../support/agent.js";
import { type AgentPair, startAgentPair } from "../support/agent-pair.js";
import { BROKER } from "../support/broker.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const tag = randomBytes(3).toString("hex");
const specA = { domains: 3, pools: 1, volumesPerPool: 1, namePrefix: `sdk${tag}a-` };
const specB = {
  domains: 2,
  pools: 0,
  volumesPerPool: 0,
  runningDomains: false,
  namePrefix: `sdk${tag}b-`,
};
const namesA = testDriverNames(specA);
const namesB = testDriverNames(specB);
let pair: AgentPair;
let dir: string;
let agentA: AgentHandle;
let agentB: AgentHandle;
let fleet: Fleet;
let ours: string[];

describe("console SDK", { timeout: 90_000 }, () => {
  before(async () => {
    pair = await startAgentPair(`sdk-${tag}`, specA, specB);
    ({ agentA, agentB, fleet, ours, dir } = pair);
  });
  after(() => pair?.stop());

  test("queries across agents return typed objects; equality filters join through DomainInfo", async () => {
    const all = await fleet.domains(undefined, { agents: ours });
    assert.deepEqual(
      all.map((d) => d.name).sort(),
      [...namesA.domains, ...namesB.domains].map((d) => d.name).sort(),
    );
    assert.ok(all.every((d) => d instanceof Domain));
    const running = await fleet.domains({ state: "running" }, { agents: ours });
    assert.deepEqual(running.map((d) => d.uuid).sort(), namesA.domains.map((d) => d.uuid).sort());
    const off = await fleet.domains({ state: "shutoff" }, { agents: ours });
    assert.deepEqual(off.map((d) => d.uuid).sort(), namesB.domains.map((d) => d.uuid).sort());
    const byPredicate = await fleet.domains(["eq", "name", ["quote", namesA.domains[2]!.name]]);
    assert.deepEqual(
      byPredicate.map((d) => d.objectIdText),
      [`${agentA.name}/Domain:${namesA.domains[2]!.uuid}`],
    );
    const both = await fleet.domains({ name: namesB.domains[0]!.name, state: "shutoff" });
    assert.equal(both.length, 1);
    assert.equal(both[0]!.host, agentB.instance);
  });

  test("references resolve to typed objects; 64-bit values are bigint", async () => {
    const [d] = await fleet.domains({ name: namesA.domains[0]!.name });
    const info = await d!.domain_info;
    assert.ok(info instanceof DomainInfo);
    assert.equal(info.state, "running");
    assert.equal(typeof info.memory, "bigint");
    assert.equal(typeof info.num_vcpus, "number");
    const node = await d!.node;
    assert.ok(node instanceof Node);
    assert.equal(node.agentName, agentA.name);
    assert.equal(node.libvirt_state, "connected");
    const hw = await node.host_info;
    assert.ok(hw instanceof NodeInfo);
    assert.equal(typeof hw.memory, "bigint");
    const [pool] = await fleet.pools({ name: namesA.pools[0]!.name });
    assert.ok(pool instanceof Pool);
    assert.equal(pool.capacity > 0n, true);
  });

  test("method proxies: define_domain_xml resolves to a Domain; suspend/resume; libvirt errors keep their code", async () => {
    const node = await fleet.nodeOf(agentB.name);
    const uuid = "0badcafe-0000-4000-8000-0000000005d1";
    const xml = `<domain type='test'><name>sdk${tag}-new</name><uuid>${uuid}</uuid><memory>8192</memory><os><type>hvm</type></os></domain>`;
    const d = await node.define_domain_xml({ xml_desc: xml });
    try {
      assert.ok(d instanceof Domain);
      assert.equal(d.uuid, uuid);
      assert.equal(d.objectIdText, `${agentB.name}/Domain:${uuid}`);
      await d.create();
      await waitFor("running", 5000, async () => (await d.domain_info).state === "running");
      await d.suspend();
      await waitFor("paused", 5000, async () => (await d.domain_info).state === "paused");
      await assert.rejects(d.suspend(), (err: unknown) => {
        const e = err as { name: string; code: number; text: string };
        assert.equal(e.name, "MethodError");
        // The test driver reports "not running" as VIR_ERR_INTERNAL_ERROR (1).
        assert.equal(e.code, 0x10000 + 1);
        assert.match(e.text, /not running/);
        return true;
      });
      await d.resume();
      await d.destroy();
    } finally {
      await d.undefine().catch(() => {});
    }
  });

  test("resolve: name, host/name, UUID, object id; ambiguous and missing references", async () => {
    const a0 = namesA.domains[0]!;
    const id = `${agentA.name}/Domain:${a0.uuid}`;
    assert.equal((await fleet.resolve(Domain, a0.name)).objectIdText, id);
    assert.equal((await fleet.resolve(Domain, `${agentA.instance}/${a0.name}`)).objectIdText, id);
    assert.equal((await fleet.resolve(Domain, a0.uuid.toUpperCase())).objectIdText, id);
    assert.equal((await fleet.resolve(Domain, id)).objectIdText, id);
    await assert.rejects(fleet.resolve(Domain, `none-${tag}`), NotFoundError);
    // Same name on both hosts.
    const nodes = await Promise.all(ours.map((a) => fleet.nodeOf(a)));
    const twin = `sdk${tag}-twin`;
    const made = await Promise.all(
      nodes.map((n, i) =>
        n.define_domain_xml({
          xml_desc: `<domain type='test'><name>${twin}</name><uuid>0badcafe-0000-4000-8000-00000000071${i}</uuid><memory>8192</memory><os><type>hvm</type></os></domain>`,
        }),
      ),
    );
    try {
      await assert.rejects(fleet.resolve(Domain, twin), (err: unknown) => {
        assert.ok(err instanceof AmbiguousRefError);
        assert.deepEqual(
          err.candidates.map((c) => c.objectId).sort(),
          made.map((d) => d.objectIdText).sort(),
        );
        return true;
      });
    } finally {
      await Promise.all(made.map((d) => d.undefine()));
    }
  });

  test("watch reports object changes and lifecycle events of the chosen agents", async () => {
    const seen: FleetChange[] = [];
    const onChange = (c: FleetChange) => seen.push(c);
    fleet.on("change", onChange);
    const stop = fleet.watch(["DomainInfo"], { agents: [agentA.name] });
    const d = await fleet.resolve(Domain, namesA.domains[1]!.name);
    try {
      await d.suspend();
      await waitFor(
        "change and event",
        5000,
        async () => seen.some((c) => c.kind === "event") && seen.some((c) => c.kind === "changed"),
      );
      const ev = seen.find((c) => c.kind === "event");
      assert.ok(ev && ev.kind === "event" && ev.name === "DomainLifecycle");
      assert.equal(ev.args.event, "suspended");
      assert.equal(ev.args.uuid, namesA.domains[1]!.uuid);
      const ch = seen.find((c) => c.kind === "changed");
      assert.ok(ch && ch.kind === "changed" && ch.object instanceof DomainInfo);
      assert.equal((ch.object as DomainInfo).state, "paused");
      assert.ok(
        seen.every(
          (c) =>
            c.kind !== "reconnected" &&
            (c.kind === "event" ? c.agentName : c.object.agentName) === agentA.name,
        ),
      );
    } finally {
      stop();
      fleet.off("change", onChange);
      await d.resume();
    }
  });

  test("an agent that stops answering is left out of results and reported, the rest still answers", async () => {
    const instance = `sdk-${tag}-c`;
    const uri = writeTestDriverFile(join(dir, "c.xml"), {
      domains: 1,
      pools: 0,
      volumesPerPool: 0,
      namePrefix: `sdk${tag}c-`,
    });
    const proc = spawnAgent([
      "--broker",
      BROKER,
      "--uri",
      uri,
      "--instance",
      instance,
      "--state-dir",
      join(dir, "state-c"),
    ]);
    const quick = await connectFleet({ broker: BROKER, timeoutMs: 1000 });
    try {
      await proc.waitForLog("agent running", 30_000);
      const c = agentNameOf(instance);
      await quick.session.waitForAgent(c, 10_000);
      const three = [agentA.name, agentB.name, c];
      await waitFor(
        "agent c's domain",
        10_000,
        async () => (await quick.domains(undefined, { agents: three })).length === 6,
      );
      const errors: { agentName: string; error: Error }[] = [];
      quick.on("agentError", (e: { agentName: string; error: Error }) => errors.push(e));
      process.kill(proc.proc.pid!, "SIGSTOP");
      try {
        const doms = await quick.domains(undefined, { agents: three });
        assert.deepEqual(
          doms.map((d) => d.name).sort(),
          [...namesA.domains, ...namesB.domains].map((d) => d.name).sort(),
        );
        assert.deepEqual(
          errors.map((e) => [e.agentName, e.error.name]),
          [[c, "TimeoutError"]],
        );
        assert.deepEqual(quick.incompleteAgents, [c]);
        // Only that agent asked: nothing answers, so the error itself comes back.
        await assert.rejects(quick.domains(undefined, { agents: [c] }), { name: "TimeoutError" });
      } finally {
        process.kill(proc.proc.pid!, "SIGCONT");
      }
    } finally {
      await quick.close();
      await proc.stop();
    }
  });
});

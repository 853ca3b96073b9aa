// The fleet's typed events and its async-iterator watch, against the real broker and real
// agents on private test-driver files: the exact changes seen, the end of a watch on break,
// close and fleet close, a watch that falls behind, agents joining, restarting and leaving,
// and the broker link cut under a running watch (through a fault proxy).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  connectFleet,
  Domain,
  DomainInfo,
  type Fleet,
  type FleetAgent,
  type FleetChange,
  type FleetWatch,
  type SchemaEvent,
  WatchOverflowError,
} from "../../src/console/index.js";
import { type AgentHandle, startTestAgent } from "../support/agent.js";
import { BROKER } from "../support/broker.js";
import { brokerProxy } from "../support/fault-proxy.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const tag = randomBytes(3).toString("hex");
const dir = mkdtempSync(join(tmpdir(), `lvq-watch-${tag}-`));
const spec = { domains: 2, pools: 0, volumesPerPool: 0, namePrefix: `watch${tag}-` };
const names = testDriverNames(spec);
let agent: AgentHandle;
let fleet: Fleet;

/** The next change of a watch, read without ending it; the watch is closed after `ms` without one. */
async function next(watch: FleetWatch, ms = 10_000): Promise<FleetChange> {
  const timer = setTimeout(() => watch.close(), ms);
  try {
    const r = await watch.next();
    assert.equal(r.done, false, `no change within ${ms} ms`);
    return r.value as FleetChange;
  } finally {
    clearTimeout(timer);
  }
}

/** The first `n` changes of a `for await` loop over a watch (then it breaks), or a failure after `ms`. */
async function take(watch: FleetWatch, n: number, ms = 10_000): Promise<FleetChange[]> {
  const timer = setTimeout(() => watch.close(), ms);
  const seen: FleetChange[] = [];
  try {
    for await (const c of watch) {
      seen.push(c);
      if (seen.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  assert.equal(seen.length, n, `only ${seen.length} of ${n} changes within ${ms} ms`);
  return seen;
}

/** A change in short: `changed Domain <object id>`, `event DomainLifecycle <event>`. */
function brief(c: FleetChange): string {
  if (c.kind === "event") return `event ${c.name} ${String((c.args as { event?: unknown }).event)}`;
  if (c.kind === "reconnected") return `reconnected ${c.node}`;
  return `${c.kind} ${c.object.className} ${c.object.objectIdText}`;
}

function domainXml(name: string, uuid: string): string {
  return `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid><memory>8192</memory><os><type>hvm</type></os></domain>`;
}

describe("fleet events and watch()", { timeout: 120_000 }, () => {
  before(async () => {
    agent = await startTestAgent({
      uri: writeTestDriverFile(join(dir, "a.xml"), spec),
      instance: `watch-${tag}-a`,
    });
    fleet = await connectFleet({ broker: BROKER });
    await waitFor(
      "the agent's domains",
      20_000,
      async () => (await fleet.domains(undefined, { agents: [agent.name] })).length === 2,
    );
  });
  after(async () => {
    await fleet?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a watch of one class and agent yields exactly its changes; break unsubscribes it", async () => {
    const listening = fleet.listenerCount("objectChanged");
    const watch = fleet.watch({ class: "Domain", agents: [agent.name], events: false });
    assert.equal(fleet.listenerCount("objectChanged"), listening + 1);
    const uuid = "0badcafe-0000-4000-8000-00000000a7c1";
    const id = `${agent.name}/Domain:${uuid}`;
    const node = await fleet.nodeOf(agent.name);
    const made = await node.define_domain_xml({ xml_desc: domainXml(`watch${tag}-new`, uuid) });
    const first = await next(watch);
    assert.equal(brief(first), `changed Domain ${id}`);
    assert.ok(first.kind === "changed" && first.object instanceof Domain);
    assert.equal(first.object.name, `watch${tag}-new`);
    await made.undefine();
    // Read in a loop that breaks after the first change, as a caller would.
    assert.deepEqual((await take(watch, 1)).map(brief), [`deleted Domain ${id}`]);
    // The loop broke: the watch no longer listens, and reads as ended.
    assert.equal(fleet.listenerCount("objectChanged"), listening);
    assert.deepEqual(await watch.next(), { value: undefined, done: true });
  });

  test("typed events carry typed objects and arguments; a watch sees the change and the event", async () => {
    const d = names.domains[1]!;
    const changed: DomainInfo[] = [];
    const events: SchemaEvent[] = [];
    const onChanged = (o: unknown) => {
      if (o instanceof DomainInfo && o.agentName === agent.name) changed.push(o);
    };
    const onEvent = (e: SchemaEvent) => {
      if (e.agentName === agent.name) events.push(e);
    };
    fleet.on("objectChanged", onChanged);
    fleet.on("schemaEvent", onEvent);
    const watch = fleet.watch({ class: "DomainInfo", agents: [agent.name] });
    const dom = await fleet.resolve(Domain, d.uuid);
    try {
      await dom.suspend();
      const seen = await take(watch, 2);
      assert.deepEqual(seen.map(brief).sort(), [
        `changed DomainInfo ${agent.name}/DomainInfo:${d.uuid}`,
        "event DomainLifecycle suspended",
      ]);
      const ev = seen.find((c) => c.kind === "event");
      assert.ok(ev?.kind === "event" && ev.name === "DomainLifecycle");
      assert.equal(ev.args.uuid, d.uuid);
      assert.equal(ev.host, agent.instance);
      const info = seen.find((c) => c.kind === "changed");
      assert.ok(info?.kind === "changed" && info.object instanceof DomainInfo);
      assert.equal(info.object.state, "paused");
      // The listeners got the same, typed.
      const ours = changed.filter((o) => o.objectIdText === info.object.objectIdText);
      assert.deepEqual([ours[0]?.state, ours[0] instanceof DomainInfo], ["paused", true]);
      const ev0 = events[0];
      assert.ok(ev0?.name === "DomainLifecycle");
      assert.deepEqual([ev0.args.uuid, ev0.args.event], [d.uuid, "suspended"]);
    } finally {
      fleet.off("objectChanged", onChanged);
      fleet.off("schemaEvent", onEvent);
      await dom.resume();
    }
  });

  test("close() ends a waiting loop; a watch that falls behind ends with WatchOverflowError", async () => {
    const idle = fleet.watch({ class: "Node", agents: [agent.name] });
    setTimeout(() => idle.close(), 200);
    const got: FleetChange[] = [];
    for await (const c of idle) got.push(c);
    assert.deepEqual(got, []);

    const d = names.domains[0]!;
    const slow = fleet.watch({ class: "DomainInfo", agents: [agent.name], maxBuffered: 1 });
    const all = fleet.watch({ class: "DomainInfo", agents: [agent.name] });
    const dom = await fleet.resolve(Domain, d.uuid);
    try {
      await dom.suspend(); // a DomainInfo change and a DomainLifecycle event: one too many
      // Once a watch opened later has both, the slow one has been offered both too.
      const both = (await take(all, 2)).map(brief);
      // The one change it could hold comes first, then the error, then the end.
      assert.equal(brief(await next(slow)), both[0]);
      await assert.rejects(slow.next(), (err: unknown) => {
        assert.ok(err instanceof WatchOverflowError);
        assert.equal(err.code, "WATCH_OVERFLOW");
        assert.equal(
          err.message,
          "the watch fell more than 1 changes behind and ended: later changes were not seen",
        );
        return true;
      });
      assert.deepEqual(await slow.next(), { value: undefined, done: true });
    } finally {
      await dom.resume();
    }
  });

  test("closing the fleet ends its watches after the changes they hold", async () => {
    const own = await connectFleet({ broker: BROKER });
    const d = names.domains[1]!;
    const watch = own.watch({ class: "DomainInfo", agents: [agent.name], events: false });
    const dom = await fleet.resolve(Domain, d.uuid);
    try {
      await dom.suspend();
      await waitFor("a held change", 5000, async () => watch.buffered === 1);
      await own.close();
      const seen: string[] = [];
      for await (const c of watch) seen.push(brief(c));
      assert.deepEqual(seen, [`changed DomainInfo ${agent.name}/DomainInfo:${d.uuid}`]);
      // A watch opened on a closed fleet ends at once.
      assert.deepEqual(await own.watch().next(), { value: undefined, done: true });
    } finally {
      await own.close();
      await dom.resume();
    }
  });

  test("agentJoined, agentRestarted and agentLeft, exactly once each, in that order", async () => {
    const instance = `watch-${tag}-c`;
    const stateDir = join(dir, "state-c");
    const seen: string[] = [];
    const mine = (a: FleetAgent) => a.instance === instance;
    const joined = (a: FleetAgent) => mine(a) && seen.push(`joined ${a.host} ${a.epoch}`);
    const restarted = (a: FleetAgent, previous: number) =>
      mine(a) && seen.push(`restarted ${a.host} ${previous}->${a.epoch}`);
    const left = (a: FleetAgent) => mine(a) && seen.push(`left ${a.host}`);
    fleet.on("agentJoined", joined);
    fleet.on("agentRestarted", restarted);
    fleet.on("agentLeft", left);
    const uri = writeTestDriverFile(join(dir, "c.xml"), {
      domains: 1,
      pools: 0,
      volumesPerPool: 0,
      namePrefix: `watch${tag}c-`,
    });
    let c: AgentHandle | undefined;
    try {
      c = await startTestAgent({ uri, instance, stateDir });
      await waitFor("joined", 10_000, async () => seen.length === 1);
      const epoch = c.agent.epoch;
      await c.stop();
      c = await startTestAgent({ uri, instance, stateDir });
      assert.equal(c.agent.epoch, epoch + 1);
      await waitFor("restarted", 10_000, async () => seen.length === 2);
      await c.stop();
      c = undefined;
      // Aged out after three missed heartbeats (the test agents beat every 2 s).
      await waitFor("left", 15_000, async () => seen.length === 3);
      assert.deepEqual(seen, [
        `joined ${instance} ${epoch}`,
        `restarted ${instance} ${epoch}->${epoch + 1}`,
        `left ${instance}`,
      ]);
    } finally {
      fleet.off("agentJoined", joined);
      fleet.off("agentRestarted", restarted);
      fleet.off("agentLeft", left);
      await c?.stop();
    }
  });

  test("a cut broker link: one brokerDisconnected, one brokerReconnected, and the watch goes on", async () => {
    const { proxy, url } = await brokerProxy();
    const cut = await connectFleet({ broker: url.toString() });
    const link: string[] = [];
    cut.on("brokerDisconnected", (err) => link.push(`disconnected ${err.name}`));
    cut.on("brokerReconnected", () => link.push("reconnected"));
    const watch = cut.watch({ class: "DomainInfo", agents: [agent.name], events: false });
    const d = names.domains[0]!;
    const dom = await fleet.resolve(Domain, d.uuid);
    try {
      proxy.resetAll();
      await waitFor("reconnected", 10_000, async () => link.length === 2);
      assert.deepEqual(link, ["disconnected ConnectionLostError", "reconnected"]);
      await dom.suspend();
      // First the reconnect itself (after the agents answered a locate again), then the change.
      const seen = await take(watch, 2);
      assert.deepEqual(seen.map(brief), [
        `reconnected amqp://guest:***@127.0.0.1:${url.port}`,
        `changed DomainInfo ${agent.name}/DomainInfo:${d.uuid}`,
      ]);
      const back = seen[0]!;
      assert.ok(back.kind === "reconnected" && back.agents >= 1, "the test agent answered again");
    } finally {
      await cut.close();
      await proxy.close();
      await dom.resume();
    }
  });
});

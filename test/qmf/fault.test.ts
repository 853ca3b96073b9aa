/**
 * Broker faults: a forced close of every connection and a broker restart. Agent and console
 * each see exactly one `disconnected` and one `reconnected`, the call in flight fails with
 * ConnectionLostError (never retried), and a call afterwards works. The forced close is
 * scoped to a private vhost so other test runs on the broker are not hit; the restart cannot
 * be scoped, and the test always leaves the broker running.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AgentSession,
  AuthenticationError,
  ConnectionLostError,
  ConsoleSession,
  isConnectionLost,
  type QmfEvent,
  type Schema,
} from "../../src/qmf/index.js";
import { rabbitmqctl, vhostUrl } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { waitFor } from "../support/wait.js";
import {
  closeConnectionsNamed,
  loadWidgets,
  openWidgetPair,
  RawPeer,
  recordLinkEvents,
  sleep,
  type WidgetPair,
} from "./fixtures/helpers.js";

const vhost = uniqueName("lvq-fault");
const url = vhostUrl(vhost);
const reconnect = { initialDelayMs: 100, maxDelayMs: 1000 };
let schema: Schema;
let pair: WidgetPair;
let agent: AgentSession;
let consoleS: ConsoleSession;
let agentEvents: string[];
let consoleEvents: string[];

before(async () => {
  await rabbitmqctl("add_vhost", vhost);
  await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
  schema = await loadWidgets();
  pair = await openWidgetPair(url, {
    instance: uniqueName("fault"),
    heartbeatIntervalMs: 500,
    link: { reconnect },
  });
  ({ agent, consoleS, agentEvents, consoleEvents } = pair);
  agent.setObject("Widget", "Widget:1", { name: "w1" });
});

const user = uniqueName("lvq-fault-user");

after(async () => {
  await pair?.close();
  await rabbitmqctl("delete_user", user).catch(() => {});
  await rabbitmqctl("delete_vhost", vhost).catch(() => {});
});

/** Starts a call that is still running on the agent when the fault hits. */
const callInFlight = () => pair.callInFlight(3000);

async function expectRecovery(inFlight: Promise<unknown>, name: string): Promise<void> {
  const err = await inFlight;
  assert.ok(err instanceof ConnectionLostError, String(err));
  assert.ok(isConnectionLost(err));
  await pair.expectBothBack();
  // Only the console's own resync query (issued on reconnect) may still be pending.
  await waitFor("the resync query to finish", 5000, () => consoleS.pendingCount === 0);
  // The agent was never aged out while we were away, and answers again.
  assert.equal(consoleS.agent(agent.name)?.name, agent.name);
  assert.deepEqual(await consoleS.callMethod(agent.objectId("Widget:1"), "noop"), {});
  const objs = await consoleS.query({ agentName: agent.name, className: "Widget" });
  assert.deepEqual(
    objs.map((o) => o.values.name),
    [name],
  );
  agentEvents.splice(1);
  consoleEvents.splice(1);
}

describe("broker faults", () => {
  it("rabbitmqctl close_all_connections: one disconnect, one reconnect, call in flight fails", async () => {
    const inFlight = callInFlight();
    await sleep(200);
    await rabbitmqctl("close_all_connections", "-p", vhost, "lvq fault test");
    await expectRecovery(inFlight, "w1");
  });

  it("rabbitmqctl stop_app / start_app: the same, and the broker is left running", async () => {
    const inFlight = callInFlight();
    await sleep(200);
    const cacheBefore = consoleS.cachedObjects({ agentName: agent.name });
    assert.deepEqual(
      cacheBefore.map((o) => o.values.name),
      ["w1"],
    );
    try {
      await rabbitmqctl("stop_app");
      // A change while the broker is down: its indication cannot reach the console.
      agent.setObject("Widget", "Widget:1", { name: "w1-while-down" });
      // A call made while disconnected fails at once; it is not queued for later.
      await waitFor("the console to notice", 5000, () => consoleEvents.includes("disconnected"));
      const t0 = Date.now();
      await assert.rejects(
        consoleS.callMethod(agent.objectId("Widget:1"), "noop", {}, { timeoutMs: 10_000 }),
        ConnectionLostError,
      );
      assert.ok(Date.now() - t0 < 500);
      await sleep(500);
    } finally {
      await rabbitmqctl("start_app");
    }
    // The console re-reads the agent's objects once it hears from it again.
    await waitFor(
      "the cache to catch up",
      10_000,
      () => consoleS.cachedObjects({ agentName: agent.name })[0]?.values.name === "w1-while-down",
    );
    await expectRecovery(inFlight, "w1-while-down");
  });

  it("an agent whose connection is closed heartbeats at once on reconnecting, not a period later", async () => {
    const spy = await RawPeer.open(
      [{ exchange: "qmf.default.topic", key: "agent.ind.heartbeat.example_org.widgets.#" }],
      url,
    );
    // A period far longer than the test: only the reconnect can send the second heartbeat.
    const slow = new AgentSession({
      url,
      vendor: "example.org",
      product: "widgets",
      instance: uniqueName("hb"),
      schemas: [schema],
      heartbeatIntervalMs: 60_000,
      reconnect,
      onMethod: async () => ({}),
    });
    const events: string[] = [];
    recordLinkEvents(slow, events);
    const beats = () =>
      spy.replies.filter((m) => m.properties.headers?.["qmf.agent"] === slow.name).length;
    try {
      await slow.open();
      await waitFor("the first heartbeat", 5000, () => beats() === 1);
      assert.equal(await closeConnectionsNamed(vhost, `qmf-agent ${slow.name}`), 1);
      await waitFor("the reconnect", 10_000, () => events.at(-1) === "reconnected");
      await waitFor("the heartbeat after the reconnect", 2000, () => beats() === 2);
      assert.deepEqual(events, ["connected", "disconnected", "reconnected"]);
      // The shared agent and console were not touched.
      assert.deepEqual(agentEvents, ["connected"]);
      assert.deepEqual(consoleEvents, ["connected"]);
    } finally {
      await slow.close();
      await spy.close();
    }
  });

  it("a memory alarm blocks publishers; held messages go out after it clears", async () => {
    const watermark = (
      await rabbitmqctl("eval", "vm_memory_monitor:get_vm_memory_high_watermark().")
    ).trim();
    const restore = /^[0-9.]+$/.test(watermark)
      ? [watermark]
      : ["absolute", watermark.replace(/\D+/g, "")];
    const blocked: string[] = [];
    agent.on("blocked", (reason) => blocked.push(`blocked: ${reason}`));
    agent.on("unblocked", () => blocked.push("unblocked"));
    const events: QmfEvent[] = [];
    consoleS.on("event", (e) => e.agentName === agent.name && events.push(e));
    let sent = false;
    try {
      await rabbitmqctl("set_vm_memory_high_watermark", "0.0000001");
      // Heartbeats keep publishing; the broker answers with connection.blocked.
      await waitFor("the blocked notice", 10_000, () => blocked.length === 1);
      assert.match(blocked[0]!, /^blocked: low on memory$/);
      const raised = agent
        .raiseEvent("widgetMoved", { widget: agent.objectId("Widget:1"), from: "a", to: "b" })
        .then(() => {
          sent = true;
        });
      await sleep(300);
      assert.equal(sent, false, "held while the broker is blocked");
      await rabbitmqctl("set_vm_memory_high_watermark", ...restore);
      await raised;
    } finally {
      await rabbitmqctl("set_vm_memory_high_watermark", ...restore);
    }
    await waitFor("the unblocked notice", 10_000, () => blocked.length === 2);
    assert.deepEqual(blocked, ["blocked: low on memory", "unblocked"]);
    await waitFor("the held event", 5000, () => events.length === 1);
    assert.equal(events[0]!.values.to, "b");
  });

  it("credentials refused on reconnect are a fatal error, not a retry loop", async () => {
    await rabbitmqctl("add_user", user, "first-password");
    await rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*");
    const userUrl = `amqp://${encodeURIComponent(user)}:first-password@127.0.0.1:5672/${encodeURIComponent(vhost)}`;
    const lonely = new ConsoleSession({ url: userUrl, reconnect });
    const seen: string[] = [];
    let fatal: unknown;
    lonely.on("disconnected", () => seen.push("disconnected"));
    lonely.on("reconnecting", () => seen.push("reconnecting"));
    lonely.on("reconnected", () => seen.push("reconnected"));
    lonely.on("error", (e) => {
      seen.push("error");
      fatal = e;
    });
    await lonely.open();
    try {
      assert.equal(lonely.userId, user);
      await rabbitmqctl("change_password", user, "second-password");
      await rabbitmqctl("close_all_user_connections", user, "lvq fault test");
      await waitFor("the fatal error", 10_000, () => fatal);
      await sleep(1500); // long enough for several retries, were there any
      assert.deepEqual(seen, ["disconnected", "reconnecting", "error"]);
      assert.ok(fatal instanceof AuthenticationError);
      assert.match(
        (fatal as Error).message,
        /^the broker refused the connection: .*ACCESS.REFUSED/,
      );
      await assert.rejects(
        lonely.callMethod(agent.objectId("Widget:1"), "noop"),
        /console session is closed/,
      );
    } finally {
      await lonely.close();
    }
  });
});

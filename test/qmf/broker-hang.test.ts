/**
 * Broker hang (RELIABILITY.md's fault matrix): the real RabbitMQ frozen with SIGSTOP, then
 * thawed with SIGCONT. With a 1 s AMQP heartbeat, agent and console declare the link dead
 * within a few seconds, the call in flight fails with ConnectionLostError (never retried), and
 * both sessions are back once the broker runs again. (That a connect to a broker which never
 * answers ends at the connect timeout is shown in test/cli/lvq.test.ts with a silent peer.)
 *
 * Freezing the broker cannot be scoped to a vhost: this test always thaws it (also if the
 * process exits half-way), and the broker's other clients only see a pause.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConnectionLostError } from "../../src/qmf/index.js";
import { rabbitmqctl, vhostUrl } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { waitFor } from "../support/wait.js";
import { openWidgetPair, QUICK_LINK, sleep, type WidgetPair } from "./fixtures/helpers.js";

const vhost = uniqueName("lvq-hang");
const url = vhostUrl(vhost);
const link = QUICK_LINK;
let pair: WidgetPair;
let brokerPid = 0;

/** Whatever happens to this process, a frozen broker is thawed. */
const thaw = () => {
  if (brokerPid > 0) {
    try {
      process.kill(brokerPid, "SIGCONT");
    } catch {
      // Already gone: nothing to thaw.
    }
  }
};
process.on("exit", thaw);

before(async () => {
  // The Erlang VM's own pid, as the broker reports it: what `kill -STOP` must hit.
  const out = await rabbitmqctl("eval", "list_to_integer(os:getpid()).");
  brokerPid = Number(out.trim().split("\n").pop());
  assert.ok(Number.isInteger(brokerPid) && brokerPid > 1, `broker pid from ${JSON.stringify(out)}`);
  await rabbitmqctl("add_vhost", vhost);
  await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
  pair = await openWidgetPair(url, {
    instance: uniqueName("hang"),
    // Ageing (3 missed QMF heartbeats) must not beat the AMQP heartbeat to it: this test is
    // about the link being declared dead.
    heartbeatIntervalMs: 5000,
    link,
  });
  pair.agent.setObject("Widget", "Widget:1", { name: "w1" });
});

after(async () => {
  thaw();
  await pair?.close();
  await rabbitmqctl("delete_vhost", vhost).catch(() => {});
});

describe("broker hang", () => {
  it("kill -STOP: the link is declared dead within a few heartbeats, the call in flight fails; after -CONT both sessions are back", async () => {
    const { agent, consoleS, agentEvents, consoleEvents } = pair;
    const inFlight = pair.callInFlight();
    await sleep(300);
    const frozenAt = Date.now();
    process.kill(brokerPid, "SIGSTOP");
    let lostAfterMs: number;
    try {
      const err = await inFlight;
      lostAfterMs = Date.now() - frozenAt;
      assert.ok(err instanceof ConnectionLostError, String(err));
      await waitFor(
        "both sessions to notice",
        5000,
        () => agentEvents.includes("disconnected") && consoleEvents.includes("disconnected"),
      );
      // While the broker stays frozen, the sessions keep trying (each attempt ends at the
      // connect timeout): no reconnect is reported, nor a second disconnect.
      await sleep(2 * link.connectTimeoutMs + 500);
      assert.deepEqual(agentEvents, ["connected", "disconnected"]);
      assert.deepEqual(consoleEvents, ["connected", "disconnected"]);
    } finally {
      process.kill(brokerPid, "SIGCONT");
    }
    // Dead within 2–3 heartbeats of 1 s, with a second of slack for a loaded machine.
    assert.ok(lostAfterMs <= 4000, `the call in flight failed ${lostAfterMs} ms after the freeze`);
    await pair.expectBothBack();
    assert.deepEqual(await consoleS.callMethod(agent.objectId("Widget:1"), "noop"), {});
    const objs = await consoleS.query({ agentName: agent.name, className: "Widget" });
    assert.deepEqual(
      objs.map((o) => o.values.name),
      ["w1"],
    );
  });
});

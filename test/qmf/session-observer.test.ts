/**
 * What the sessions report to their observer, counted exactly: dropped messages (by reason),
 * methods executed / deduplicated / refused, requests pending and failed, agents known,
 * objects published, and broker link losses and returns. On the in-memory broker.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CounterName, CountingObserver } from "../../src/observe/observer.js";
import { encodeMap } from "../../src/qmf/codec/index.js";
import {
  AgentSession,
  ConsoleSession,
  isMethodError,
  isTimeout,
  MemoryBroker,
  MethodError,
  ObjectId,
} from "../../src/qmf/index.js";
import { DIRECT_EXCHANGE } from "../../src/qmf/transport/index.js";
import { waitFor } from "../support/wait.js";
import { loadWidgets, settle } from "./fixtures/helpers.js";

/** A counting observer that also keeps the labels of each count. */
class LabelledObserver extends CountingObserver {
  readonly labelled: string[] = [];
  override count(name: CounterName, n: number, labels?: Readonly<Record<string, string>>): void {
    super.count(name, n);
    if (labels) this.labelled.push(`${name} ${JSON.stringify(labels)}`);
  }
  /** Every counter, as a plain object (for one deepEqual). */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.counters].sort(([a], [b]) => a.localeCompare(b)));
  }
}

describe("observer", () => {
  it("counts what each session does, exactly", async () => {
    const schema = await loadWidgets();
    const broker = new MemoryBroker();
    const agentSeen = new LabelledObserver();
    const consoleSeen = new LabelledObserver();
    const reconnect = { initialDelayMs: 5, maxDelayMs: 5 };
    const agent = new AgentSession({
      link: broker.linkFactory({ reconnect }),
      observer: agentSeen,
      vendor: "example.org",
      product: "widgets",
      instance: "observed",
      schemas: [schema],
      publishDelayMs: 5,
      authorize: (ctx) => {
        if (ctx.methodName === "fail") throw new Error("not allowed");
      },
      onMethod: async (call) => {
        if (call.methodName === "configure") throw new MethodError(7, "handler says no");
        return {};
      },
    });
    const consoleS = new ConsoleSession({
      link: broker.linkFactory({ reconnect }),
      observer: consoleSeen,
      defaultTimeoutMs: 2000,
      // No cache, so no re-read after the reconnect: a request whose timing would vary.
      cacheObjects: false,
    });
    await consoleS.open();
    await agent.open();
    await consoleS.waitForAgent(agent.name);
    assert.equal(consoleSeen.gauges.get("qmf_agents_known"), 1);

    // Objects: three set, one deleted.
    for (const i of [1, 2, 3]) agent.setObject("Shelf", `Shelf:${i}`, { name: `s${i}` });
    assert.equal(agentSeen.gauges.get("qmf_objects_published"), 3);
    agent.deleteObject("Shelf", "Shelf:3");
    assert.equal(agentSeen.gauges.get("qmf_objects_published"), 2);
    agent.setObject("Widget", "Widget:1", { name: "w1" });
    assert.equal(agentSeen.gauges.get("qmf_objects_published"), 3);

    // Methods: two executed, one handler failure (executed: it ran), one refused by the
    // schema, one refused by the authorisation hook.
    const w1 = agent.objectId("Widget:1");
    const inFlight = consoleS.callMethod(w1, "noop");
    assert.equal(consoleSeen.gauges.get("qmf_requests_pending"), 1);
    await inFlight;
    assert.equal(consoleSeen.gauges.get("qmf_requests_pending"), 0);
    await consoleS.callMethod(w1, "noop");
    await assert.rejects(consoleS.callMethod(w1, "configure", { color: "red" }), isMethodError);
    await assert.rejects(consoleS.callMethod(w1, "noop", { bogus: 1 }), isMethodError);
    await assert.rejects(consoleS.callMethod(w1, "fail", { code: 1, text: "x" }), isMethodError);
    assert.equal(agent.methodsExecuted, 3);

    // One request id sent three times: executed once, answered from the table twice.
    const tap = broker.tap();
    const resend = () =>
      broker.publish(
        DIRECT_EXCHANGE,
        agent.name,
        encodeMap({
          _object_id: { _agent_name: agent.name, _object_name: "Widget:1" },
          _method_name: "noop",
        }),
        {
          opcode: "_method_request",
          contentType: "amqp/map",
          correlationId: "same",
          replyTo: tap.queue,
        },
      );
    for (let i = 0; i < 3; i++) {
      resend();
      await settle();
    }
    assert.equal(tap.messages.length, 3);

    // Drops: a message of no known opcode at each session; a request without app id.
    broker.publish(DIRECT_EXCHANGE, agent.name, Buffer.alloc(0), {
      opcode: "_nonsense",
      contentType: "amqp/map",
    });
    broker.publish(DIRECT_EXCHANGE, consoleS.name, Buffer.alloc(0), {
      opcode: "_nonsense",
      contentType: "amqp/map",
    });
    broker.publish(DIRECT_EXCHANGE, agent.name, Buffer.alloc(0), {
      opcode: "_method_request",
      contentType: "amqp/map",
      appId: null,
    });
    await settle();

    // Requests that fail: one times out (nobody answers), one is in flight when the broker
    // drops every connection; each session's link is lost once and comes back once.
    const ghost = new ObjectId("example.org:widgets:nobody", "Widget:1");
    await assert.rejects(consoleS.callMethod(ghost, "noop", {}, { timeoutMs: 20 }), isTimeout);
    const lost = consoleS.callMethod(ghost, "noop", {}, { timeoutMs: 5000 }).catch((e) => e);
    broker.dropConnections();
    assert.equal((await lost).name, "ConnectionLostError");
    await waitFor(
      "both reconnected",
      5000,
      () =>
        agentSeen.total("broker_reconnects") === 1 && consoleSeen.total("broker_reconnects") === 1,
    );

    assert.deepEqual(agentSeen.counts(), {
      broker_disconnects: 1,
      broker_reconnects: 1,
      qmf_messages_dropped: 2,
      qmf_methods_deduplicated: 2,
      qmf_methods_executed: 4,
      qmf_methods_refused: 2,
    });
    assert.deepEqual(agentSeen.labelled, [
      'qmf_methods_executed {"method":"Widget.noop","request":"1"}',
      'qmf_methods_executed {"method":"Widget.noop","request":"2"}',
      'qmf_methods_executed {"method":"Widget.configure","request":"3"}',
      'qmf_methods_executed {"method":"Widget.noop","request":"same"}',
      'qmf_messages_dropped {"reason":"unknown opcode"}',
      'qmf_messages_dropped {"reason":"not a QMF message"}',
    ]);
    assert.deepEqual(consoleSeen.counts(), {
      broker_disconnects: 1,
      broker_reconnects: 1,
      qmf_messages_dropped: 1,
      qmf_requests_failed: 2,
    });
    assert.deepEqual(consoleSeen.labelled, ['qmf_messages_dropped {"reason":"unknown opcode"}']);
    assert.equal(consoleSeen.gauges.get("qmf_requests_pending"), 0);
    assert.equal(agent.methodsExecuted, 4);
    assert.deepEqual(agent.drops.counts, { "unknown opcode": 1, "not a QMF message": 1 });

    await consoleS.close();
    assert.equal(consoleSeen.gauges.get("qmf_agents_known"), 0);
    await agent.close();
    tap.close();
  });
});

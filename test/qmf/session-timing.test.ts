/**
 * The sessions' timing logic on the in-memory broker with mocked timers, to the millisecond:
 * a console ages an agent out exactly `missedHeartbeats` intervals after its last heartbeat,
 * an agent coalesces changes within `publishDelayMs` into one indication, and runs a method
 * request id at most once (duplicates answered from its table for `ttlMs`).
 */
import assert from "node:assert/strict";
import { before, describe, it, type TestContext } from "node:test";
import { decodeList, decodeMap, encodeMap } from "../../src/qmf/codec/index.js";
import {
  AgentLostError,
  AgentSession,
  type AgentSessionOptions,
  ConsoleSession,
  isAgentLost,
  MemoryBroker,
  type MethodCall,
  type QmfObject,
  type Schema,
} from "../../src/qmf/index.js";
import { DIRECT_EXCHANGE, TOPIC_EXCHANGE } from "../../src/qmf/transport/index.js";
import { advance, loadWidgets, settle } from "./fixtures/helpers.js";

let schema: Schema;
before(async () => {
  schema = await loadWidgets();
});

const START = 1_700_000_000_000;

/** Mocked timers and clock for the test, from START. */
function mockTime(t: TestContext): void {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: START });
}

function widget(i: number, color = "blue") {
  return { name: `w${i}`, color, size: i, weight: i + 0.5, serial: BigInt(i), active: false };
}

function newAgent(
  broker: MemoryBroker,
  onMethod: (call: MethodCall) => Promise<Record<string, unknown>>,
  extra: Partial<AgentSessionOptions> = {},
): AgentSession {
  return new AgentSession({
    link: broker.linkFactory(),
    vendor: "example.org",
    product: "widgets",
    instance: "timing",
    schemas: [schema],
    heartbeatIntervalMs: 300,
    publishDelayMs: 100,
    onMethod,
    ...extra,
  });
}

describe("ageing, on mocked time", () => {
  it("heartbeats keep an agent known; silence ages it out exactly 3 intervals after the last one, failing its calls", async (t) => {
    mockTime(t);
    const broker = new MemoryBroker();
    const started: string[] = [];
    const agent = newAgent(broker, (call) => {
      started.push(call.methodName);
      return new Promise(() => {}); // still running when the agent goes silent
    });
    const consoleS = new ConsoleSession({ link: broker.linkFactory(), defaultTimeoutMs: 60_000 });
    const removed: number[] = [];
    consoleS.on("agentRemoved", (a) => a.name === agent.name && removed.push(Date.now()));
    await consoleS.open();
    await agent.open();
    agent.setObject("Widget", "Widget:1", widget(1));
    await advance(t.mock.timers, 100);
    assert.equal(consoleS.cachedObjects({ agentName: agent.name }).length, 1);
    // Ten intervals of heartbeats: never aged out.
    await advance(t.mock.timers, 3000);
    assert.deepEqual(removed, []);
    assert.equal(consoleS.agent(agent.name)!.lastHeartbeatMs, START + 3000);
    const failed = consoleS
      .callMethod(agent.objectId("Widget:1"), "slow", { ms: 5000 }, { timeoutMs: 8000 })
      .then(
        () => null,
        (e: unknown) => e,
      );
    await settle();
    assert.deepEqual(started, ["slow"]);
    await advance(t.mock.timers, 150);
    await agent.close();
    const last = consoleS.agent(agent.name)!.lastHeartbeatMs;
    assert.equal(last, START + 3000);
    await advance(t.mock.timers, last + 899 - Date.now(), 1);
    assert.deepEqual(removed, []);
    assert.equal(consoleS.pendingCount, 1);
    await advance(t.mock.timers, 1);
    assert.deepEqual(removed, [last + 900]);
    const err = await failed;
    assert.ok(err instanceof AgentLostError, String(err));
    assert.ok(isAgentLost(err));
    assert.equal(err.agentName, agent.name);
    assert.equal(err.message, `agent ${agent.name} lost: no heartbeat for 3 intervals of 300 ms`);
    assert.equal(consoleS.agent(agent.name), undefined);
    assert.equal(consoleS.cachedObjects({ agentName: agent.name }).length, 0);
    assert.equal(consoleS.pendingCount, 0);
    await consoleS.close();
  });
});

describe("coalescing, on mocked time", () => {
  it("changes within publishDelayMs go out as one indication with the last values; an unchanged set sends nothing", async (t) => {
    mockTime(t);
    const broker = new MemoryBroker();
    const tap = broker.tap([{ exchange: TOPIC_EXCHANGE, key: "agent.ind.data.#" }]);
    const agent = newAgent(broker, async () => ({}));
    const consoleS = new ConsoleSession({ link: broker.linkFactory() });
    const seen: QmfObject[] = [];
    consoleS.on("objectChanged", (o) => seen.push(o));
    await consoleS.open();
    await agent.open();
    agent.setObject("Widget", "Widget:1", widget(1));
    await advance(t.mock.timers, 100);
    assert.equal(tap.messages.length, 1);
    assert.equal(seen.length, 1);
    await advance(t.mock.timers, 400);
    for (const color of ["green", "cyan", "black"]) {
      agent.setObject("Widget", "Widget:1", widget(1, color));
      await advance(t.mock.timers, 20);
    }
    // Same values again: not a change.
    agent.setObject("Widget", "Widget:1", widget(1, "black"));
    await advance(t.mock.timers, 39); // 99 ms since the first change
    assert.equal(tap.messages.length, 1);
    await advance(t.mock.timers, 1);
    assert.equal(tap.messages.length, 2);
    assert.equal(decodeList(tap.messages[1]!.body).length, 1);
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!.values.color, "black");
    assert.equal(seen[1]!.createTs, BigInt(START) * 1_000_000n);
    assert.equal(seen[1]!.updateTs, BigInt(START + 540) * 1_000_000n); // the last change
    agent.setObject("Widget", "Widget:1", widget(1, "black"));
    await advance(t.mock.timers, 1000);
    assert.equal(tap.messages.length, 2);
    assert.equal(seen.length, 2);
    await consoleS.close();
    await agent.close();
    tap.close();
  });
});

describe("publishing under backpressure, on mocked time", () => {
  it("one round at a time: changes made while a round waits on a blocked link go out after it, newest last", async (t) => {
    mockTime(t);
    const broker = new MemoryBroker();
    const tap = broker.tap([{ exchange: TOPIC_EXCHANGE, key: "agent.ind.data.#" }]);
    const agent = newAgent(broker, async () => ({}), { batchSize: 1 });
    const flow: string[] = [];
    agent.on("blocked", (reason) => flow.push(`blocked: ${reason}`));
    agent.on("unblocked", () => flow.push("unblocked"));
    await agent.open();
    broker.block();
    agent.setObject("Widget", "Widget:1", widget(1));
    agent.setObject("Widget", "Widget:2", widget(2));
    // The first round sends Widget:1 and waits there; Widget:2's blue is still to come.
    await advance(t.mock.timers, 100);
    agent.setObject("Widget", "Widget:2", widget(2, "red"));
    await advance(t.mock.timers, 100);
    assert.equal(tap.messages.length, 0);
    broker.unblock();
    await advance(t.mock.timers, 10);
    const sent = tap.messages.map((m) =>
      decodeList(m.body).map((d) => {
        const v = (d as { _values: { name: string; color: string } })._values;
        return `${v.name} ${v.color}`;
      }),
    );
    assert.deepEqual(sent, [["w1 blue"], ["w2 blue"], ["w2 red"]]);
    assert.deepEqual(flow, ["blocked: low on memory", "unblocked"]);
    await agent.close();
    tap.close();
  });
});

describe("at most once, on the in-memory broker", () => {
  const resizeOf = (agentName: string, size: number) =>
    encodeMap({
      _object_id: { _agent_name: agentName, _object_name: "Widget:1" },
      _method_name: "resize",
      _arguments: { size },
    });

  /** An agent whose `resize` counts its runs and waits for `gate` when one is given. */
  async function resizingAgent(t: TestContext, opts: Partial<AgentSessionOptions> = {}) {
    const broker = new MemoryBroker();
    const tap = broker.tap();
    const state = { runs: 0, size: 10, gate: null as Promise<void> | null };
    const agent = newAgent(
      broker,
      async (call) => {
        state.runs++;
        if (state.gate) await state.gate;
        const previous = state.size;
        state.size = call.args.size as number;
        return { size: state.size, previous };
      },
      opts,
    );
    await agent.open();
    agent.setObject("Widget", "Widget:1", widget(1));
    const send = (id: string, size: number, redelivered = false) =>
      broker.publish(DIRECT_EXCHANGE, agent.name, resizeOf(agent.name, size), {
        opcode: "_method_request",
        contentType: "amqp/map",
        correlationId: id,
        replyTo: tap.queue,
        userId: "guest",
        redelivered,
      });
    t.after(async () => {
      await agent.close();
      tap.close();
    });
    return { agent, tap, state, send };
  }

  it("the same request id delivered again is executed once and answered twice alike", async (t) => {
    const { tap, state, send } = await resizingAgent(t);
    send("dup-1", 20);
    await settle();
    send("dup-1", 30, true); // a redelivery, with other arguments: the first result stands
    await settle();
    assert.equal(state.runs, 1);
    assert.equal(state.size, 20);
    const bodies = tap.messages.map((m) => decodeMap(m.body));
    assert.deepEqual(bodies, [
      { _arguments: { size: 20, previous: 10 } },
      { _arguments: { size: 20, previous: 10 } },
    ]);
    assert.deepEqual(
      tap.messages.map((m) => [m.correlationId, m.opcode]),
      [
        ["dup-1", "_method_response"],
        ["dup-1", "_method_response"],
      ],
    );
    send("dup-2", 30);
    await settle();
    assert.equal(state.runs, 2);
    assert.deepEqual(decodeMap(tap.messages[2]!.body), { _arguments: { size: 30, previous: 20 } });
  });

  it("a duplicate arriving while the first still runs gets its result when it ends", async (t) => {
    const { tap, state, send } = await resizingAgent(t);
    let open!: () => void;
    state.gate = new Promise<void>((r) => {
      open = r;
    });
    send("dup-slow", 40);
    send("dup-slow", 40);
    await settle();
    assert.equal(state.runs, 1);
    assert.equal(tap.messages.length, 0);
    open();
    await settle();
    assert.equal(state.runs, 1);
    assert.deepEqual(
      tap.messages.map((m) => [m.opcode, decodeMap(m.body)]),
      [
        ["_method_response", { _arguments: { size: 40, previous: 10 } }],
        ["_method_response", { _arguments: { size: 40, previous: 10 } }],
      ],
    );
  });

  it("an id is answered from the table for ttlMs after its run ended, then runs again", async (t) => {
    mockTime(t);
    const { tap, state, send } = await resizingAgent(t, { dedupe: { ttlMs: 1000 } });
    send("ttl-1", 50);
    await settle();
    t.mock.timers.tick(1000);
    send("ttl-1", 50);
    await settle();
    assert.equal(state.runs, 1);
    t.mock.timers.tick(1);
    send("ttl-1", 60);
    await settle();
    assert.equal(state.runs, 2);
    assert.deepEqual(
      tap.messages.map((m) => decodeMap(m.body)),
      [
        { _arguments: { size: 50, previous: 10 } },
        { _arguments: { size: 50, previous: 10 } },
        { _arguments: { size: 60, previous: 50 } },
      ],
    );
  });
});

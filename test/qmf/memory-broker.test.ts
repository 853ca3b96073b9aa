/**
 * The in-memory broker and its links: AMQP topic matching, routing, exclusive queues,
 * acknowledgement window, expiration, and failover over a list of nodes (random first node,
 * then the next that answers), on mocked timers.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { BrokerConnectError, ConnectionLostError, NameInUseError } from "../../src/qmf/errors.js";
import {
  type BrokerLink,
  DIRECT_EXCHANGE,
  type InboundMessage,
  type LinkRequest,
  MemoryBroker,
  TOPIC_EXCHANGE,
  topicMatches,
} from "../../src/qmf/transport/index.js";
import { settle } from "./fixtures/helpers.js";

const props = { opcode: "_data_indication", contentType: "amqp/list" };

function request(into: InboundMessage[], extra: Partial<LinkRequest> = {}): LinkRequest {
  return { connectionName: "t", bindings: [], onMessage: (m) => into.push(m), ...extra };
}

/** Records a link's connection events as short strings. */
function record(link: BrokerLink): string[] {
  const seen: string[] = [];
  link.on("connected", (n) => seen.push(`connected ${n.url}`));
  link.on("disconnected", () => seen.push("disconnected"));
  link.on("reconnecting", (i) => seen.push(`reconnecting #${i.attempt} in ${i.delayMs} ms`));
  link.on("reconnected", (n) => seen.push(`reconnected ${n.url}`));
  return seen;
}

/** Math.random returns `value` (the first node and the backoff jitter follow from it). */
function fixRandom(t: TestContext, value: number): void {
  t.mock.method(Math, "random", () => value);
}

describe("topic matching", () => {
  it("follows AMQP: * is one word, # zero or more", () => {
    const cases: [string, string, boolean][] = [
      ["agent.ind.#", "agent.ind.heartbeat.a.b", true],
      ["agent.ind.#", "agent.ind", true],
      ["agent.ind.#", "agent.indx", false],
      ["console.#", "console.request.agent_locate", true],
      ["agent.*.data", "agent.ind.data", true],
      ["agent.*.data", "agent.data", false],
      ["agent.*.data", "agent.a.b.data", false],
      ["#", "", true],
      ["#", "a.b.c", true],
      ["a.#.z", "a.z", true],
      ["a.#.z", "a.b.c.z", true],
      ["a.#.z", "a.b.c", false],
      ["#.z", "z", true],
      ["*", "a.b", false],
      ["a.b", "a.b", true],
      ["a.b", "a.b.c", false],
    ];
    for (const [pattern, key, want] of cases) {
      assert.equal(topicMatches(pattern, key), want, `${pattern} ~ ${key}`);
    }
  });
});

describe("in-memory broker", () => {
  it("routes by exact key, by topic pattern and by queue name, with the sender's user", async () => {
    const broker = new MemoryBroker();
    const got: InboundMessage[] = [];
    const rx = broker.linkFactory()(
      request(got, {
        bindings: [
          { exchange: DIRECT_EXCHANGE, key: "me" },
          { exchange: TOPIC_EXCHANGE, key: "agent.ind.#" },
        ],
      }),
    );
    const tx = broker.linkFactory({ user: "alice" })(request([]));
    await rx.open();
    await tx.open();
    const queue = broker.queueNames()[0]!;
    tx.tryPublish(DIRECT_EXCHANGE, "me", Buffer.from([1]), { ...props, correlationId: "c" });
    tx.tryPublish(DIRECT_EXCHANGE, "someone-else", Buffer.from([2]), props);
    tx.tryPublish(TOPIC_EXCHANGE, "agent.ind.data.x.y", Buffer.from([3]), props);
    tx.tryPublish(TOPIC_EXCHANGE, "console.request.agent_locate", Buffer.from([4]), props);
    assert.equal(got.length, 0, "delivered only after the publisher's call");
    await tx.publish("", queue, Buffer.from([5]), { ...props, agentName: "a:b:c" });
    await settle();
    assert.deepEqual(
      got.map((m) => [m.body[0], m.routingKey, m.userId]),
      [
        [1, "me", "alice"],
        [3, "agent.ind.data.x.y", "alice"],
        [5, queue, "alice"],
      ],
    );
    assert.equal(got[0]!.correlationId, "c");
    assert.equal(got[0]!.appId, "qmf2");
    assert.equal(got[0]!.opcode, "_data_indication");
    assert.equal(got[2]!.agentName, "a:b:c");
    await tx.close();
    await rx.close();
    assert.deepEqual(broker.queueNames(), []);
    assert.throws(() => tx.tryPublish("", queue, Buffer.from([6]), props), ConnectionLostError);
  });

  it("a fixed queue name has one holder at a time", async () => {
    const broker = new MemoryBroker();
    const first = broker.linkFactory()(request([], { queueName: "qmf-agent.x" }));
    const second = broker.linkFactory()(request([], { queueName: "qmf-agent.x" }));
    await first.open();
    await assert.rejects(second.open(), NameInUseError);
    await first.close();
    const third = broker.linkFactory()(request([], { queueName: "qmf-agent.x" }));
    await third.open();
    await third.close();
  });

  it("holds deliveries beyond the prefetch window until acknowledged, and drops expired ones", async (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
    const broker = new MemoryBroker();
    const got: InboundMessage[] = [];
    const rx = broker.linkFactory()(
      request(got, { prefetch: 2, bindings: [{ exchange: DIRECT_EXCHANGE, key: "q" }] }),
    );
    await rx.open();
    for (let i = 1; i <= 4; i++) {
      rx.tryPublish(DIRECT_EXCHANGE, "q", Buffer.from([i]), {
        ...props,
        expirationMs: i === 3 ? 500 : undefined,
      });
    }
    await settle();
    assert.deepEqual(
      got.map((m) => [m.body[0], m.deliveryTag]),
      [
        [1, 1],
        [2, 2],
      ],
    );
    t.mock.timers.tick(501); // message 3 waited longer than its 500 ms
    rx.ack(got[0]!);
    await settle();
    assert.deepEqual(
      got.map((m) => m.body[0]),
      [1, 2, 4],
    );
    await rx.close();
  });
});

describe("in-memory backpressure", () => {
  it("while blocked a link holds publishes, then sends them in order; a dropped connection fails the held ones", async () => {
    const broker = new MemoryBroker();
    const got: InboundMessage[] = [];
    const rx = broker.linkFactory()(
      request(got, { bindings: [{ exchange: DIRECT_EXCHANGE, key: "me" }] }),
    );
    const tx = broker.linkFactory()(request([]));
    const flow: string[] = [];
    tx.on("blocked", (reason) => flow.push(`blocked: ${reason}`));
    tx.on("unblocked", () => flow.push("unblocked"));
    await rx.open();
    await tx.open();
    broker.block("disk alarm");
    assert.equal(tx.tryPublish(DIRECT_EXCHANGE, "me", Buffer.from([1]), props), false);
    const sent = [1, 2, 3].map((n) => tx.publish(DIRECT_EXCHANGE, "me", Buffer.from([n]), props));
    await settle();
    assert.equal(got.length, 0);
    broker.unblock();
    assert.equal(tx.tryPublish(DIRECT_EXCHANGE, "me", Buffer.from([4]), props), true);
    await Promise.all(sent);
    await settle();
    assert.deepEqual(
      got.map((m) => m.body[0]),
      [1, 2, 3, 4],
    );
    broker.block("disk alarm");
    const held = tx.publish(DIRECT_EXCHANGE, "me", Buffer.from([5]), props);
    broker.dropConnections();
    await assert.rejects(held, ConnectionLostError);
    assert.deepEqual(flow, ["blocked: disk alarm", "unblocked", "blocked: disk alarm"]);
    await tx.close();
    await rx.close();
  });
});

describe("in-memory failover", () => {
  it("open() starts at a random node and goes on to the next that answers", async (t) => {
    const broker = new MemoryBroker({ nodes: ["a", "b", "c"] });
    broker.stopNode("b");
    fixRandom(t, 0.4); // 3 × 0.4 → the second node, b: down
    const link = broker.linkFactory()(request([]));
    const seen = record(link);
    await link.open();
    assert.deepEqual(seen, ["connected memory://c"]);
    assert.deepEqual(link.node, { url: "memory://c" });
    assert.equal(broker.connectionCount("c"), 1);
    await link.close();
    assert.equal(link.node, undefined);
    fixRandom(t, 0);
    const first = broker.linkFactory()(request([]));
    await first.open();
    assert.deepEqual(first.node, { url: "memory://a" });
    await first.close();
  });

  it("open() fails when no node answers, with the last one's error, and does not retry", async (t) => {
    const broker = new MemoryBroker({ nodes: ["a", "b"] });
    broker.stopNode("a");
    broker.stopNode("b");
    fixRandom(t, 0);
    const link = broker.linkFactory()(request([]));
    const seen = record(link);
    await assert.rejects(link.open(), (e: unknown) => {
      assert.ok(e instanceof BrokerConnectError);
      assert.equal(e.code, "REFUSED");
      assert.equal(e.url, "memory://b");
      return true;
    });
    assert.deepEqual(seen, []);
  });

  it("after a loss it moves to the next node, skipping one that is down, and redeclares its queue", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    fixRandom(t, 0.5); // jitter ±0 (0.8 + 0.5 × 0.4 = 1): delays are exactly 100, 200, 400 ms
    const broker = new MemoryBroker({ nodes: ["a", "b", "c", "d"] });
    const got: InboundMessage[] = [];
    const link = broker.linkFactory({ reconnect: { initialDelayMs: 100, maxDelayMs: 400 } })(
      request(got, { queueName: "mine", bindings: [{ exchange: DIRECT_EXCHANGE, key: "k" }] }),
    );
    const seen = record(link);
    await link.open(); // 4 × 0.5 → c
    broker.stopNode("d");
    broker.stopNode("c");
    assert.equal(link.isOpen, false);
    assert.deepEqual(broker.queueNames(), []);
    assert.throws(
      () => link.tryPublish(DIRECT_EXCHANGE, "k", Buffer.from([0]), props),
      ConnectionLostError,
    );
    t.mock.timers.tick(99);
    await settle();
    assert.equal(link.isOpen, false);
    t.mock.timers.tick(1);
    await settle();
    // d is down: a answers.
    assert.deepEqual(seen, [
      "connected memory://c",
      "disconnected",
      "reconnecting #1 in 100 ms",
      "reconnected memory://a",
    ]);
    assert.deepEqual(broker.queueNames(), ["mine"]);
    link.tryPublish(DIRECT_EXCHANGE, "k", Buffer.from([7]), props);
    await settle();
    assert.deepEqual(
      got.map((m) => m.body[0]),
      [7],
    );
    // Every node down: a round per backoff delay, growing, until one is back.
    broker.stopNode("b");
    broker.stopNode("a");
    t.mock.timers.tick(100);
    await settle();
    t.mock.timers.tick(200);
    await settle();
    broker.startNode("c");
    t.mock.timers.tick(399);
    await settle();
    assert.equal(link.isOpen, false);
    t.mock.timers.tick(1);
    await settle();
    assert.deepEqual(seen.slice(4), [
      "disconnected",
      "reconnecting #1 in 100 ms",
      "reconnecting #2 in 200 ms",
      "reconnecting #3 in 400 ms",
      "reconnected memory://c",
    ]);
    await link.close();
  });
});

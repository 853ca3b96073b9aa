/**
 * The AMQP broker link on its own, against the real broker: the envelope, publish
 * backpressure (held publishes go out in order after `drain`), the body size limit, reply
 * addresses, connection errors, and a list of URLs (the next one tried when one does not
 * answer, at open and after a loss).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BodyTooLargeError,
  BrokerConnectError,
  ConnectionLostError,
} from "../../src/qmf/errors.js";
import {
  AmqpLink,
  DIRECT_EXCHANGE,
  type InboundMessage,
  parseReplyTo,
  TOPIC_EXCHANGE,
} from "../../src/qmf/transport/index.js";
import { BROKER, rabbitmqctl, vhostUrl } from "../support/broker.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { uniqueName } from "../support/names.js";
import { waitFor } from "../support/wait.js";
import { RawPeer } from "./fixtures/helpers.js";

const props = { opcode: "_data_indication", contentType: "amqp/list" };

describe("transport", () => {
  let peer: RawPeer;
  const key = uniqueName("transport");
  before(async () => {
    peer = await RawPeer.open([{ exchange: DIRECT_EXCHANGE, key }]);
  });
  after(async () => {
    await peer.close();
  });

  it("puts the QMF envelope on every message", async () => {
    const got: InboundMessage[] = [];
    const t = new AmqpLink({
      url: BROKER,
      connectionName: key,
      bindings: [{ exchange: DIRECT_EXCHANGE, key: `${key}-self` }],
      onMessage: (m) => got.push(m),
    });
    await t.open();
    try {
      await t.publish(DIRECT_EXCHANGE, `${key}-self`, Buffer.from([1, 2, 3]), {
        opcode: "_method_request",
        contentType: "amqp/map",
        correlationId: "c-1",
        replyTo: `${DIRECT_EXCHANGE}/${key}-self`,
        expirationMs: 1500,
        method: "request",
      });
      const m = await waitFor("the message", 5000, () => got[0]);
      assert.deepEqual(
        { ...m, body: [...m.body], generation: 0 },
        {
          body: [1, 2, 3],
          opcode: "_method_request",
          contentType: "amqp/map",
          correlationId: "c-1",
          replyTo: `${DIRECT_EXCHANGE}/${key}-self`,
          userId: "guest",
          appId: "qmf2",
          agentName: undefined,
          content: undefined,
          partial: false,
          routingKey: `${key}-self`,
          redelivered: false,
          deliveryTag: 0,
          generation: 0,
        },
      );
    } finally {
      await t.close();
    }
  });

  it("holds publishes while the channel buffer is full and sends them in order after drain", async () => {
    const t = new AmqpLink({
      url: BROKER,
      connectionName: key,
      bindings: [],
      onMessage: () => {},
      channelHighWaterMark: 2,
    });
    await t.open();
    try {
      peer.replies.length = 0;
      const body = (i: number) => Buffer.alloc(4096, i % 256);
      const sent: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) sent.push(t.publish(DIRECT_EXCHANGE, key, body(i), props));
      // Backpressure is on: the fast path refuses and nothing jumps the queue.
      assert.equal(t.tryPublish(DIRECT_EXCHANGE, key, body(999), props), false);
      await Promise.all(sent);
      assert.equal(t.tryPublish(DIRECT_EXCHANGE, key, body(300), props), true);
      await waitFor("301 messages", 10_000, () => peer.replies.length === 301);
      assert.deepEqual(
        peer.replies.map((m) => m.content[0]),
        Array.from({ length: 301 }, (_, i) => i % 256),
      );
    } finally {
      await t.close();
    }
  });

  it("refuses a body over the limit before sending anything", async () => {
    const t = new AmqpLink({
      url: BROKER,
      connectionName: key,
      bindings: [],
      onMessage: () => {},
      maxBodyBytes: 100,
    });
    await t.open();
    try {
      peer.replies.length = 0;
      await assert.rejects(
        t.publish(DIRECT_EXCHANGE, key, Buffer.alloc(101), props),
        (e: unknown) => {
          assert.ok(e instanceof BodyTooLargeError);
          assert.equal(e.size, 101);
          assert.equal(e.limit, 100);
          assert.equal(e.message, "message body of 101 bytes exceeds the limit of 100 bytes");
          return true;
        },
      );
      await t.publish(DIRECT_EXCHANGE, key, Buffer.alloc(100), props);
      await waitFor("the one that fits", 5000, () => peer.replies.length === 1);
      assert.equal(peer.replies[0]!.content.length, 100);
    } finally {
      await t.close();
    }
    await assert.rejects(
      t.publish(DIRECT_EXCHANGE, key, Buffer.alloc(1), props),
      ConnectionLostError,
    );
  });

  it("on an empty vhost declares both exchanges and its exclusive queue with its bindings", async () => {
    const vhost = uniqueName("lvq-declare");
    await rabbitmqctl("add_vhost", vhost);
    try {
      await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
      const t = new AmqpLink({
        url: vhostUrl(vhost),
        connectionName: key,
        bindings: [
          { exchange: DIRECT_EXCHANGE, key: "me" },
          { exchange: TOPIC_EXCHANGE, key: "agent.ind.#" },
        ],
        onMessage: () => {},
      });
      await t.open();
      try {
        const rows = async (...args: string[]) =>
          (await rabbitmqctl(...args, "-q", "-p", vhost))
            .trim()
            .split("\n")
            .slice(1) // the header line
            .filter((l) => l.startsWith("qmf.") || l.includes("\tqueue\t"))
            .sort();
        assert.deepEqual(await rows("list_exchanges", "name", "type", "durable", "auto_delete"), [
          "qmf.default.direct\tdirect\ttrue\tfalse",
          "qmf.default.topic\ttopic\ttrue\tfalse",
        ]);
        const queues = (
          await rabbitmqctl(
            "list_queues",
            "-q",
            "-p",
            vhost,
            "name",
            "exclusive",
            "auto_delete",
            "durable",
          )
        )
          .trim()
          .split("\n")
          .slice(1);
        assert.equal(queues.length, 1);
        const [queue, ...flags] = queues[0]!.split("\t");
        assert.deepEqual(flags, ["true", "true", "false"]);
        assert.deepEqual(
          await rows(
            "list_bindings",
            "source_name",
            "destination_name",
            "destination_kind",
            "routing_key",
          ),
          [
            // The default exchange's implicit binding, then ours.
            `\t${queue}\tqueue\t${queue}`,
            `qmf.default.direct\t${queue}\tqueue\tme`,
            `qmf.default.topic\t${queue}\tqueue\tagent.ind.#`,
          ],
        );
      } finally {
        await t.close();
      }
    } finally {
      await rabbitmqctl("delete_vhost", vhost);
    }
  });

  it("fails open() with the network error when nothing listens, without retrying", async () => {
    const t = new AmqpLink({
      url: "amqp://guest:guest@127.0.0.1:1",
      connectionName: key,
      bindings: [],
      onMessage: () => {},
    });
    let attempts = 0;
    t.on("reconnecting", () => attempts++);
    await assert.rejects(t.open(), /ECONNREFUSED/);
    assert.equal(attempts, 0);
  });

  it("a list whose first URL does not answer connects to the next, and says which", async (t) => {
    const closed = "amqp://guest:guest@127.0.0.1:1";
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    const openOn = async (random: number) => {
      t.mock.method(Math, "random", () => random);
      const link = new AmqpLink({
        urls: [closed, BROKER],
        connectionName: key,
        bindings: [],
        onMessage: () => {},
        log,
      });
      t.mock.restoreAll();
      let reconnecting = 0;
      link.on("reconnecting", () => reconnecting++);
      const connected = new Promise<string>((r) => link.once("connected", (n) => r(n.url)));
      await link.open();
      return { link, reconnecting, connected: await connected };
    };
    const real = BROKER.replace(/:[^:@/]*@/, ":***@");
    // The random start is the first URL: it is refused, the second answers.
    const first = await openOn(0);
    try {
      assert.equal(first.connected, real);
      assert.deepEqual(first.link.node, { url: real });
      assert.equal(first.link.userId, "guest");
      assert.equal(first.reconnecting, 0);
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0]!,
        /broker amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1 did not answer .*ECONNREFUSED.*; trying the next$/,
      );
    } finally {
      await first.link.close();
    }
    assert.equal(first.link.node, undefined);
    // The random start is the second URL: connected at once, the closed one never tried.
    const second = await openOn(0.99);
    try {
      assert.deepEqual(second.link.node, { url: real });
      assert.equal(warnings.length, 1);
    } finally {
      await second.link.close();
    }
  });

  it("after a loss it reconnects to the next URL of its list and declares its queue again", async (t) => {
    // Two ways to the same broker, through proxies: closing the first is a node going away.
    const first = new FaultProxy({ targetHost: "127.0.0.1", targetPort: 5672 });
    const second = new FaultProxy({ targetHost: "127.0.0.1", targetPort: 5672 });
    const urlOf = async (p: FaultProxy) => `amqp://guest:guest@127.0.0.1:${await p.port()}`;
    const got: InboundMessage[] = [];
    t.mock.method(Math, "random", () => 0);
    const link = new AmqpLink({
      urls: [await urlOf(first), await urlOf(second)],
      connectionName: key,
      bindings: [{ exchange: DIRECT_EXCHANGE, key: `${key}-failover` }],
      onMessage: (m) => got.push(m),
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    t.mock.restoreAll();
    const seen: string[] = [];
    link.on("disconnected", () => seen.push("disconnected"));
    link.on("reconnected", (n) => seen.push(`reconnected ${n.url}`));
    await link.open();
    try {
      assert.deepEqual(link.node, { url: `amqp://guest:***@127.0.0.1:${await first.port()}` });
      await first.close();
      await waitFor("the second URL", 5000, () => seen.length === 2);
      assert.deepEqual(seen, [
        "disconnected",
        `reconnected amqp://guest:***@127.0.0.1:${await second.port()}`,
      ]);
      assert.equal(second.accepted, 1);
      peer.ch.publish(DIRECT_EXCHANGE, `${key}-failover`, Buffer.from([9]), {
        appId: "qmf2",
        headers: { "qmf.opcode": "_data_indication" },
      });
      await waitFor("a message through the second URL", 5000, () => got.length === 1);
      assert.deepEqual([...got[0]!.body], [9]);
    } finally {
      await link.close();
      await second.close();
    }
  });

  it("a list of which no URL answers fails open() with the last one's error code", async () => {
    const link = new AmqpLink({
      urls: "amqp://guest:secret@127.0.0.1:1, amqp://guest:secret@127.0.0.1:2",
      connectionName: key,
      bindings: [],
      onMessage: () => {},
    });
    await assert.rejects(link.open(), (e: unknown) => {
      assert.ok(e instanceof BrokerConnectError);
      assert.equal(e.code, "REFUSED");
      assert.match(e.url!, /^amqp:\/\/guest:\*\*\*@127\.0\.0\.1:[12]$/);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
  });

  it("accepts only our exchanges (or the default one) as reply addresses", () => {
    assert.deepEqual(parseReplyTo(`${DIRECT_EXCHANGE}/console-1`), {
      exchange: DIRECT_EXCHANGE,
      routingKey: "console-1",
    });
    assert.deepEqual(parseReplyTo(`${TOPIC_EXCHANGE}/a.b/c`), {
      exchange: TOPIC_EXCHANGE,
      routingKey: "a.b/c",
    });
    assert.deepEqual(parseReplyTo("amq.gen-xyz"), { exchange: "", routingKey: "amq.gen-xyz" });
    assert.equal(parseReplyTo("amq.topic/x"), null);
    assert.equal(parseReplyTo(`${DIRECT_EXCHANGE}/`), null);
    assert.equal(parseReplyTo(""), null);
    assert.equal(parseReplyTo(undefined), null);
    assert.equal(parseReplyTo("x".repeat(256)), null);
  });
});

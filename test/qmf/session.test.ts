/**
 * Agent and console sessions together, on the real RabbitMQ: discovery, locate, every query
 * kind and predicate operator, data indications, events, methods (each argument type, each
 * kind of bad argument), the at-most-once table, malformed input and epoch change.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeList, decodeMap, encodeList, encodeMap } from "../../src/qmf/codec/index.js";
import {
  AgentSession,
  AuthenticationError,
  BodyTooLargeError,
  ConsoleSession,
  isTimeout,
  type MethodCall,
  MethodError,
  NotConnectedError,
  ObjectId,
  ProtocolError,
  type QmfEvent,
  type QmfObject,
  QmfStatus,
  type Schema,
} from "../../src/qmf/index.js";
import { BROKER, vhostUrl } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { waitFor } from "../support/wait.js";
import { echoArgsOfEveryType, loadWidgets, RawPeer, sleep } from "./fixtures/helpers.js";

/** Marks this run's agents: the broker is shared with other runs and other agents. */
const RUN = uniqueName("run");
let schema: Schema;
let agent: AgentSession;
let consoleS: ConsoleSession;
let instance: string;
const calls: MethodCall[] = [];
let resizeRuns = 0;
let widgetSize = 10;
const authorized: { userId?: string; methodName: string }[] = [];

async function onMethod(call: MethodCall): Promise<Record<string, unknown>> {
  calls.push(call);
  switch (call.methodName) {
    case "noop":
      return {};
    case "echo":
      return { ...call.args };
    case "resize": {
      resizeRuns++;
      const previous = widgetSize;
      widgetSize = call.args.size as number;
      return { size: widgetSize, previous };
    }
    case "fail":
      // Two texts ask for the other ways a handler can go wrong.
      if (call.args.text === "plain") throw new RangeError("plain failure");
      if (call.args.text === "undeclared output") return { bogus: 1 };
      throw new MethodError(call.args.code as number, call.args.text as string);
    case "slow":
      await sleep(call.args.ms as number);
      return {};
    case "configure":
      if (call.args.color === "mistyped output") return { seen: 42 };
      // Which arguments the handler was given, and their values.
      return {
        seen: Object.entries(call.args)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(","),
        label: call.args.label,
      };
    default:
      throw new Error(`unexpected method ${call.methodName}`);
  }
}

function newAgent(
  inst: string,
  extra: Partial<ConstructorParameters<typeof AgentSession>[0]> = {},
): AgentSession {
  return new AgentSession({
    url: BROKER,
    vendor: "example.org",
    product: "widgets",
    instance: inst,
    schemas: [schema],
    attributes: { role: "test", rack: 7, run: RUN },
    heartbeatIntervalMs: 500,
    publishDelayMs: 20,
    onMethod,
    authorize: (ctx) => {
      authorized.push({ userId: ctx.userId, methodName: ctx.methodName });
      if (ctx.methodName === "fail" && ctx.userId !== "guest") throw new Error("not guest");
    },
    ...extra,
  });
}

const widgetValues = (i: number) => ({
  name: `w${i}`,
  color: i % 2 === 0 ? "red" : "blue",
  size: i,
  weight: i + 0.5,
  serial: 10n ** 12n + BigInt(i),
  active: i % 3 === 0,
});

before(async () => {
  schema = await loadWidgets();
  instance = uniqueName("sess");
  agent = newAgent(instance);
  await agent.open();
  consoleS = new ConsoleSession({ url: BROKER, defaultTimeoutMs: 5000, locateTimeoutMs: 500 });
  await consoleS.open();
  await consoleS.waitForAgent(agent.name, 5000);
});

after(async () => {
  await consoleS?.close();
  await agent?.close();
});

describe("discovery", () => {
  it("learns the agent from its heartbeat with every QMF attribute", async () => {
    const info = consoleS.agent(agent.name)!;
    assert.equal(info.name, `example.org:widgets:${instance}`);
    assert.equal(info.vendor, "example.org");
    assert.equal(info.product, "widgets");
    assert.equal(info.instance, instance);
    assert.equal(info.epoch, agent.epoch);
    assert.equal(info.heartbeatIntervalMs, 500);
    assert.equal(info.attributes.role, "test");
    assert.equal(info.attributes.rack, 7);
    assert.equal(info.attributes._heartbeat_interval, 1);
    assert.equal(typeof info.attributes._timestamp, "bigint");
    assert.equal(typeof info.attributes._schema_updated, "bigint");
  });

  it("heartbeats carry the QMF envelope and a TTL of twice the interval", async () => {
    const spy = await RawPeer.open([
      { exchange: "qmf.default.topic", key: "agent.ind.heartbeat.example_org.widgets.#" },
    ]);
    try {
      const hb = await waitFor("a heartbeat", 3000, () =>
        spy.replies.find((m) => m.properties.headers?.["qmf.agent"] === agent.name),
      );
      // The agent's name ends the key, so that a broker permission can pin it to its user.
      assert.equal(hb.fields.routingKey, `agent.ind.heartbeat.example_org.widgets.${instance}`);
      assert.equal(hb.properties.appId, "qmf2");
      assert.equal(hb.properties.contentType, "amqp/map");
      assert.equal(hb.properties.userId, "guest");
      assert.equal(hb.properties.expiration, "1000");
      assert.equal(hb.properties.headers?.["qmf.opcode"], "_agent_heartbeat_indication");
      assert.equal(hb.properties.headers?.["x-amqp-0-10.app-id"], "qmf2");
      assert.equal(hb.properties.headers?.method, "indication");
      const values = decodeMap(hb.content)._values as Record<string, unknown>;
      assert.equal(values._name, agent.name);
      assert.equal(values._epoch, agent.epoch);
    } finally {
      await spy.close();
    }
  });

  it("locate without a filter finds the agent, with a filter only the matching ones", async () => {
    const all = await consoleS.locate();
    assert.ok(all.some((a) => a.name === agent.name));
    const mine = await consoleS.locate(["eq", "_instance", ["quote", instance]]);
    assert.deepEqual(
      mine.map((a) => a.name),
      [agent.name],
    );
    const none = await consoleS.locate(["eq", "_instance", ["quote", `${instance}-nobody`]]);
    assert.deepEqual(none, []);
  });

  it("an agent filter hides agents that do not match", async () => {
    const other = newAgent(uniqueName("filtered"));
    const picky = new ConsoleSession({
      url: BROKER,
      agentFilter: ["eq", "_instance", ["quote", instance]],
    });
    await picky.open();
    await other.open();
    try {
      await picky.waitForAgent(agent.name, 3000);
      await consoleS.waitForAgent(other.name, 3000);
      assert.equal(picky.agent(other.name), undefined);
      assert.deepEqual(
        picky.agents().map((a) => a.name),
        [agent.name],
      );
    } finally {
      await other.close();
      await picky.close();
    }
  });

  it("announces a new agent once with agentAdded, not on each heartbeat", async () => {
    const added: string[] = [];
    const onAdded = (a: { name: string }) => added.push(a.name);
    consoleS.on("agentAdded", onAdded);
    const fresh = newAgent(uniqueName("added"), { heartbeatIntervalMs: 100 });
    try {
      await fresh.open();
      await waitFor("agentAdded", 5000, () => added.includes(fresh.name));
      const seen = consoleS.agent(fresh.name)!.lastHeartbeatMs;
      await waitFor(
        "three more heartbeats",
        5000,
        () => consoleS.agent(fresh.name)!.lastHeartbeatMs >= seen + 300,
      );
      assert.deepEqual(
        added.filter((n) => n === fresh.name),
        [fresh.name],
      );
    } finally {
      consoleS.off("agentAdded", onAdded);
      await fresh.close();
    }
  });

  it("refuses wrong credentials at once with an AuthenticationError", async () => {
    const bad = new ConsoleSession({ url: "amqp://guest:wrong@127.0.0.1:5672" });
    await assert.rejects(bad.open(), (e: unknown) => {
      assert.ok(e instanceof AuthenticationError);
      assert.match((e as Error).message, /ACCESS.REFUSED/);
      return true;
    });
    const vhost = uniqueName("no-such-vhost");
    const noVhost = new ConsoleSession({
      url: vhostUrl(vhost),
    });
    await assert.rejects(noVhost.open(), (e: unknown) => {
      assert.ok(e instanceof AuthenticationError, String(e));
      assert.equal(
        (e as Error).message,
        `the broker refused the connection: access to vhost "${vhost}" refused (no such vhost, or the user has no permission on it)`,
      );
      return true;
    });
  });
});

describe("objects, queries and indications", () => {
  before(async () => {
    agent.setObject("Shelf", "Shelf:A", { name: "A", capacity: 40 });
    for (let i = 1; i <= 6; i++) {
      agent.setObject("Widget", `Widget:${i}`, {
        ...widgetValues(i),
        shelf: agent.objectId("Shelf:A"),
      });
    }
    await waitFor(
      "widgets in the cache",
      5000,
      () => consoleS.cachedObjects({ agentName: agent.name }).length === 7,
    );
  });

  it("a data indication carries the values, ids, schema id and timestamps", () => {
    const w = consoleS
      .cachedObjects({ agentName: agent.name, className: "Widget" })
      .find((o) => o.objectId.objectName === "Widget:2")!;
    assert.equal(w.packageName, "org.example.widgets");
    assert.equal(w.className, "Widget");
    assert.equal(w.agentName, agent.name);
    assert.equal(w.objectId.agentEpoch, agent.epoch);
    assert.equal(w.values.name, "w2");
    assert.equal(w.values.color, "red");
    assert.equal(w.values.size, 2);
    assert.equal(w.values.weight, 2.5);
    assert.equal(w.values.serial, 10n ** 12n + 2n);
    assert.equal(w.values.active, false);
    const shelf = w.values.shelf as ObjectId;
    assert.ok(shelf instanceof ObjectId);
    assert.equal(shelf.objectName, "Shelf:A");
    assert.equal(w.deleteTs, 0n);
    assert.ok(w.createTs > 0n && w.updateTs === w.createTs);
  });

  it("a deleted object is published once more with _delete_ts and leaves the cache", async () => {
    agent.setObject("Widget", "Widget:99", { ...widgetValues(99) });
    await waitFor("Widget:99 cached", 5000, () =>
      consoleS.cachedObjects().some((o) => o.objectId.objectName === "Widget:99"),
    );
    const deleted = new Promise<QmfObject>((resolve) => consoleS.once("objectDeleted", resolve));
    agent.deleteObject("Widget", "Widget:99");
    const d = await deleted;
    assert.equal(d.objectId.objectName, "Widget:99");
    assert.ok(d.deleteTs > 0n);
    assert.equal(
      consoleS.cachedObjects().some((o) => o.objectId.objectName === "Widget:99"),
      false,
    );
    const left = await consoleS.query({ agentName: agent.name, className: "Widget" });
    assert.equal(left.length, 6);
  });

  it("setObject refuses unknown classes, unknown properties and values that do not fit", () => {
    assert.throws(() => agent.setObject("Gadget", "G:1", {}), /unknown class Gadget/);
    assert.throws(
      () => agent.setObject("Shelf", "Shelf:B", { name: "B", depth: 3 }),
      /unknown property depth/,
    );
    assert.throws(
      () => agent.setObject("Shelf", "Shelf:B", { name: "B", capacity: 70000 }),
      /capacity/,
    );
  });

  const names = (objs: QmfObject[]) => objs.map((o) => o.values.name as string).sort();
  const q = (where: unknown) =>
    consoleS.query({
      agentName: agent.name,
      packageName: "org.example.widgets",
      className: "Widget",
      where,
    });

  it("query by class returns every object of it", async () => {
    assert.deepEqual(names(await q(undefined)), ["w1", "w2", "w3", "w4", "w5", "w6"]);
    assert.deepEqual(names(await consoleS.query({ agentName: agent.name, className: "Shelf" })), [
      "A",
    ]);
  });

  it("query with each predicate operator", async () => {
    assert.deepEqual(names(await q(["eq", "color", ["quote", "red"]])), ["w2", "w4", "w6"]);
    assert.deepEqual(names(await q(["ne", "color", ["quote", "red"]])), ["w1", "w3", "w5"]);
    assert.deepEqual(names(await q(["lt", "size", ["quote", 3]])), ["w1", "w2"]);
    assert.deepEqual(names(await q(["le", "size", ["quote", 3]])), ["w1", "w2", "w3"]);
    assert.deepEqual(names(await q(["gt", "size", ["quote", 4]])), ["w5", "w6"]);
    assert.deepEqual(names(await q(["ge", "size", ["quote", 4]])), ["w4", "w5", "w6"]);
    // Numbers compare as numbers (10 > 9), also for 64-bit values.
    assert.deepEqual(names(await q(["gt", "serial", ["quote", 10n ** 12n + 4n]])), ["w5", "w6"]);
    assert.deepEqual(names(await q(["re_match", "name", ["quote", "^w[13]$"]])), ["w1", "w3"]);
    assert.deepEqual(names(await q(["exists", "weight"])), ["w1", "w2", "w3", "w4", "w5", "w6"]);
    assert.deepEqual(names(await q(["exists", "notes"])), []);
    assert.deepEqual(
      names(await q(["and", ["eq", "color", ["quote", "red"]], ["gt", "size", ["quote", 2]]])),
      ["w4", "w6"],
    );
    assert.deepEqual(
      names(await q(["or", ["eq", "size", ["quote", 1]], ["eq", "size", ["quote", 6]]])),
      ["w1", "w6"],
    );
    assert.deepEqual(names(await q(["not", ["eq", "active", ["quote", false]]])), ["w3", "w6"]);
    assert.deepEqual(names(await q(["true"])), ["w1", "w2", "w3", "w4", "w5", "w6"]);
    assert.deepEqual(names(await q(["false"])), []);
  });

  it("a bad predicate is refused by the console before sending, and by the agent", async () => {
    await assert.rejects(
      consoleS.query({ agentName: agent.name, where: ["frobnicate", "x"] }),
      /frobnicate/,
    );
    const peer = await RawPeer.open();
    try {
      peer.request(
        agent.name,
        "_query_request",
        "bad-where",
        encodeMap({ _what: "OBJECT", _where: ["bogus"] }),
      );
      const r = await waitFor("the exception", 5000, () => peer.replies[0]);
      assert.equal(r.properties.headers?.["qmf.opcode"], "_exception");
      assert.equal(r.properties.correlationId, "bad-where");
      const v = decodeMap(r.content)._values as Record<string, unknown>;
      assert.equal(v.error_code, QmfStatus.PARAMETER_INVALID);
      assert.match(v.error_text as string, /^bad query predicate: /);
    } finally {
      await peer.close();
    }
  });

  it("a bad locate predicate is refused by the console before sending, and by the agent", async () => {
    await assert.rejects(consoleS.locate(["frobnicate"]), /frobnicate/);
    const peer = await RawPeer.open();
    try {
      // Sent to this agent alone (its direct binding), not broadcast to every agent.
      const locate = (correlationId: string, predicate: unknown[]) =>
        peer.request(
          agent.name,
          "_agent_locate_request",
          correlationId,
          encodeList(predicate as never),
          { contentType: "amqp/list" },
        );
      locate("no-match", ["eq", "role", ["quote", "not-this-one"]]);
      locate("bad", ["frobnicate", "x"]);
      locate("match", ["eq", "role", ["quote", "test"]]);
      await waitFor("two answers", 5000, () => peer.replies.length === 2);
      await sleep(100);
      const byId = new Map(peer.replies.map((r) => [r.properties.correlationId as string, r]));
      assert.deepEqual(
        [...byId].map(([id, r]) => [id, r.properties.headers?.["qmf.opcode"]]).sort(),
        [
          ["bad", "_exception"],
          ["match", "_agent_locate_response"],
        ],
      );
      const v = decodeMap(byId.get("bad")!.content)._values as Record<string, unknown>;
      assert.equal(v.error_code, QmfStatus.PARAMETER_INVALID);
      assert.match(v.error_text as string, /^bad locate predicate: .*frobnicate/);
      const attrs = decodeMap(byId.get("match")!.content)._values as Record<string, unknown>;
      assert.equal(attrs._name, agent.name);
    } finally {
      await peer.close();
    }
  });

  it("a query for an unknown _what is answered with an _exception", async () => {
    const peer = await RawPeer.open();
    try {
      peer.request(agent.name, "_query_request", "bad-what", encodeMap({ _what: "EVERYTHING" }));
      const r = await waitFor("the exception", 5000, () => peer.replies[0]);
      assert.equal(r.properties.headers?.["qmf.opcode"], "_exception");
      assert.equal(r.properties.correlationId, "bad-what");
      const v = decodeMap(r.content)._values as Record<string, unknown>;
      assert.equal(v.error_code, QmfStatus.PARAMETER_INVALID);
      assert.equal(v.error_text, "bad query: _what must be OBJECT, OBJECT_ID, SCHEMA or SCHEMA_ID");
    } finally {
      await peer.close();
    }
  });

  it("query by object id, OBJECT_ID, SCHEMA_ID and SCHEMA", async () => {
    const one = await consoleS.query({ objectId: agent.objectId("Widget:3") });
    assert.deepEqual(names(one), ["w3"]);
    assert.deepEqual(await consoleS.query({ objectId: agent.objectId("Widget:nope") }), []);

    const ids = await consoleS.queryObjectIds({ agentName: agent.name, className: "Widget" });
    assert.deepEqual(ids.map((i) => i.objectName).sort(), [
      "Widget:1",
      "Widget:2",
      "Widget:3",
      "Widget:4",
      "Widget:5",
      "Widget:6",
    ]);
    assert.ok(ids.every((i) => i instanceof ObjectId && i.agentName === agent.name));

    const sids = await consoleS.schemaIds(agent.name);
    assert.deepEqual(sids.map((s) => `${s.packageName}/${s.className}/${s.kind}`).sort(), [
      "org.example.widgets/Shelf/_data",
      "org.example.widgets/Widget/_data",
      "org.example.widgets/widgetMoved/_event",
    ]);
    const widgetHash = schema.getClass("Widget")!.hash.toString();
    assert.equal(sids.find((s) => s.className === "Widget")!.hash, widgetHash);

    const s = await consoleS.schema(agent.name, "org.example.widgets", "Widget");
    assert.ok(s);
    assert.equal(s.id.className, "Widget");
    assert.deepEqual(
      s.properties.map((p) => p.name),
      schema.getClass("Widget")!.properties.map((p) => p.name),
    );
    assert.deepEqual(
      s.methods.map((m) => m.name),
      ["noop", "echo", "resize", "fail", "slow", "configure"],
    );
    assert.deepEqual(s.methods.find((m) => m.name === "configure")!.arguments, [
      { name: "color", type: "TYPE_STRING", subtype: "sstr", dir: "I" },
      { name: "size", type: "TYPE_INT", subtype: "uint32", dir: "I", optional: true },
      { name: "label", type: "TYPE_STRING", subtype: "sstr", dir: "IO", optional: true },
      { name: "seen", type: "TYPE_STRING", subtype: "sstr", dir: "O" },
    ]);
    assert.equal(await consoleS.schema(agent.name, "org.example.widgets", "Nothing"), undefined);
  });

  it("a query over the whole fleet merges every agent's answer", async () => {
    const second = newAgent(uniqueName("fleet"));
    // Only this run's agents make up the fleet of this console.
    const fleet = new ConsoleSession({ url: BROKER, agentFilter: ["eq", "run", ["quote", RUN]] });
    await fleet.open();
    await second.open();
    try {
      second.setObject("Shelf", "Shelf:Z", { name: "Z", capacity: 1 });
      await fleet.waitForAgent(second.name, 3000);
      await fleet.waitForAgent(agent.name, 3000);
      const shelves = await fleet.query({
        className: "Shelf",
        where: ["re_match", "name", ["quote", "^[AZ]$"]],
      });
      assert.deepEqual(
        shelves
          .map((o) => `${o.agentName === agent.name ? "first" : "second"}:${o.values.name}`)
          .sort(),
        ["first:A", "second:Z"],
      );
    } finally {
      await second.close();
      await fleet.close();
    }
  });

  it("events reach subscribers with their values and severity", async () => {
    const got = new Promise<QmfEvent>((resolve) => {
      const on = (e: QmfEvent) => {
        if (e.agentName !== agent.name) return;
        consoleS.off("event", on);
        resolve(e);
      };
      consoleS.on("event", on);
    });
    await agent.raiseEvent("widgetMoved", {
      widget: agent.objectId("Widget:2"),
      from: "A",
      to: "B",
    });
    const e = await got;
    assert.equal(e.packageName, "org.example.widgets");
    assert.equal(e.eventName, "widgetMoved");
    assert.equal(e.severity, 5);
    assert.equal(e.values.from, "A");
    assert.equal(e.values.to, "B");
    assert.equal((e.values.widget as ObjectId).objectName, "Widget:2");
    assert.ok(e.timestamp > 0n);
  });
});

describe("a query of 10,000 objects", () => {
  it("arrives complete, in 100 batches of which all but the last are partial", async () => {
    const big = newAgent(uniqueName("bulk"), { batchSize: 100 });
    await big.open();
    const peer = await RawPeer.open();
    try {
      for (let i = 0; i < 10_000; i++)
        big.setObject("Shelf", `Shelf:${i}`, { name: `s${i}`, capacity: i % 65536 });
      peer.request(
        big.name,
        "_query_request",
        "bulk-1",
        encodeMap({ _what: "OBJECT", _schema_id: { _class_name: "Shelf" } }),
      );
      await waitFor("100 batches", 10_000, () => peer.replies.length === 100);
      await sleep(100);
      assert.equal(peer.replies.length, 100);
      const partial = peer.replies.map((m) => m.properties.headers?.partial !== undefined);
      assert.deepEqual(partial, [...Array(99).fill(true), false]);
      const names = new Set<string>();
      for (const m of peer.replies) {
        assert.equal(m.properties.headers?.["qmf.content"], "_data");
        for (const d of decodeList(m.content)) {
          names.add((d as { _values: { name: string } })._values.name);
        }
      }
      assert.equal(names.size, 10_000);

      // And the console reassembles the same 10,000.
      await consoleS.waitForAgent(big.name, 3000);
      const all = await consoleS.query({
        agentName: big.name,
        className: "Shelf",
        timeoutMs: 20_000,
      });
      assert.equal(all.length, 10_000);
      assert.equal(new Set(all.map((o) => o.objectId.objectName)).size, 10_000);
    } finally {
      await peer.close();
      await big.close();
    }
  });
});

describe("methods", () => {
  const w1 = () => agent.objectId("Widget:1");

  it("passes each argument type through, converted per the schema", async () => {
    const long = "x".repeat(70_000);
    const args = echoArgsOfEveryType(agent, long);
    const uuid = args.u;
    const out = await consoleS.callMethod(w1(), "echo", args);
    const call = calls.at(-1)!;
    assert.equal(call.methodName, "echo");
    assert.equal(call.objectName, "Widget:1");
    assert.equal(call.className, "Widget");
    assert.equal(call.userId, "guest");
    // The handler sees schema-typed JS values.
    assert.equal(call.args.u64, 2n ** 64n - 1n);
    assert.equal(call.args.i64, -(2n ** 63n));
    assert.equal(call.args.dt, 5_000_000_000n);
    assert.equal(call.args.l, long);
    assert.equal(call.args.s, "short ✓");
    const o = out;
    assert.equal(o.u8, 255);
    assert.equal(o.u16, 65535);
    assert.equal(o.u32, 4294967295);
    assert.equal(o.u64, 2n ** 64n - 1n);
    assert.equal(o.i8, -128);
    assert.equal(o.i16, -32768);
    assert.equal(o.i32, -2147483648);
    assert.equal(o.i64, -(2n ** 63n));
    assert.equal(o.b, true);
    assert.equal(o.f, 1.5);
    assert.equal(o.d, -2.25);
    assert.equal(o.s, "short ✓");
    assert.equal(o.l, long);
    assert.equal(o.t, 1_700_000_000_000_000_000n);
    assert.equal(o.dt, 5_000_000_000n);
    assert.equal((o.ref as ObjectId).objectName, "Shelf:A");
    assert.ok(uuid.equals(o.u));
    assert.deepEqual(o.m, { a: 1, nested: { b: "c" } });
    assert.deepEqual(o.li, [1, "two", [3]]);
  });

  async function refused(p: Promise<unknown>, status: number, text: RegExp): Promise<void> {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof MethodError, String(e));
      assert.equal(e.code, status);
      assert.match(e.text, text);
      return true;
    });
  }

  it("refuses each kind of bad argument before the handler runs", async () => {
    const before = calls.length;
    await refused(
      consoleS.callMethod(w1(), "resize", {}),
      QmfStatus.PARAMETER_INVALID,
      /^resize: missing argument size$/,
    );
    await refused(
      consoleS.callMethod(w1(), "resize", { size: 3, colour: "red" }),
      QmfStatus.PARAMETER_INVALID,
      /^resize: unexpected argument colour$/,
    );
    await refused(
      consoleS.callMethod(w1(), "resize", { size: 3, previous: 1 }),
      QmfStatus.PARAMETER_INVALID,
      /^resize: unexpected argument previous \(an output argument\)$/,
    );
    await refused(
      consoleS.callMethod(w1(), "resize", { size: "big" }),
      QmfStatus.PARAMETER_INVALID,
      /^resize: argument size /,
    );
    await refused(
      consoleS.callMethod(w1(), "resize", { size: -1 }),
      QmfStatus.PARAMETER_INVALID,
      /^resize: argument size /,
    );
    await refused(
      consoleS.callMethod(w1(), "echo", { ...{ u8: 256 } }),
      QmfStatus.PARAMETER_INVALID,
      /^echo: /,
    );
    await refused(
      consoleS.callMethod(w1(), "explode", {}),
      QmfStatus.UNKNOWN_METHOD,
      /^class Widget has no method explode$/,
    );
    await refused(
      consoleS.callMethod(agent.objectId("Widget:404"), "noop", {}),
      QmfStatus.UNKNOWN_OBJECT,
      /^no object Widget:404$/,
    );
    assert.equal(calls.length, before, "the handler never ran");
  });

  it("optional arguments may be left out (the handler sees them absent); required ones may not", async () => {
    const before = calls.length;
    assert.deepEqual(await consoleS.callMethod(w1(), "configure", { color: "red" }), {
      seen: "color=red",
    });
    assert.deepEqual(calls.at(-1)!.args, { color: "red" });
    assert.ok(!("size" in calls.at(-1)!.args) && !("label" in calls.at(-1)!.args));
    // undefined in JS (or void on the wire) counts as left out.
    assert.deepEqual(
      await consoleS.callMethod(w1(), "configure", { color: "blue", size: undefined, label: "x" }),
      { seen: "color=blue,label=x", label: "x" },
    );
    assert.deepEqual(calls.at(-1)!.args, { color: "blue", label: "x" });
    assert.deepEqual(
      await consoleS.callMethod(w1(), "configure", { color: "green", size: 7, label: "y" }),
      { seen: "color=green,size=7,label=y", label: "y" },
    );
    assert.equal(calls.length, before + 3);
    await refused(
      consoleS.callMethod(w1(), "configure", { size: 7, label: "y" }),
      QmfStatus.PARAMETER_INVALID,
      /^configure: missing argument color$/,
    );
    await refused(
      consoleS.callMethod(w1(), "configure", { color: "red", size: "big" }),
      QmfStatus.PARAMETER_INVALID,
      /^configure: argument size must be an integer \(uint32\), got "big" \(string\)$/,
    );
    await refused(
      consoleS.callMethod(w1(), "configure", { color: "red", seen: "no" }),
      QmfStatus.PARAMETER_INVALID,
      /^configure: unexpected argument seen \(an output argument\)$/,
    );
    assert.equal(calls.length, before + 3, "the handler never ran for the refused calls");
  });

  it("a void required argument is refused as mistyped; a void optional one is left out", async () => {
    const before = calls.length;
    await refused(
      consoleS.callMethod(w1(), "configure", { color: null, size: null }),
      QmfStatus.PARAMETER_INVALID,
      /^configure: argument color must be a string, got null$/,
    );
    assert.equal(calls.length, before);
    assert.deepEqual(await consoleS.callMethod(w1(), "configure", { color: "red", size: null }), {
      seen: "color=red",
    });
    assert.deepEqual(calls.at(-1)!.args, { color: "red" });
  });

  it("a handler's MethodError comes back with its code and text; other throws as EXCEPTION", async () => {
    await refused(
      consoleS.callMethod(w1(), "fail", { code: QmfStatus.USER + 42, text: "domain not found" }),
      QmfStatus.USER + 42,
      /^domain not found$/,
    );
    await refused(consoleS.callMethod(w1(), "fail", { code: 0, text: "" }), 0, /^$/);
    await refused(
      consoleS.callMethod(w1(), "fail", { code: 0, text: "plain" }),
      QmfStatus.EXCEPTION,
      /^plain failure$/,
    );
  });

  it("output the schema does not allow comes back as EXCEPTION, never as a response", async () => {
    await refused(
      consoleS.callMethod(w1(), "fail", { code: 0, text: "undeclared output" }),
      QmfStatus.EXCEPTION,
      /^fail returned bogus, which is not an output argument$/,
    );
    await refused(
      consoleS.callMethod(w1(), "configure", { color: "mistyped output" }),
      QmfStatus.EXCEPTION,
      /^configure returned a bad seen: /,
    );
  });

  it("the authorisation hook sees the broker-validated user and can refuse", async () => {
    authorized.length = 0;
    await consoleS.callMethod(w1(), "noop");
    assert.deepEqual(authorized, [{ userId: "guest", methodName: "noop" }]);
    const strict = newAgent(uniqueName("authz"), {
      authorize: (ctx) => {
        if (ctx.methodName === "resize") throw new Error(`${ctx.userId} is read-only`);
      },
    });
    await strict.open();
    try {
      strict.setObject("Widget", "Widget:1", widgetValues(1));
      const before = resizeRuns;
      await refused(
        consoleS.callMethod(strict.objectId("Widget:1"), "resize", { size: 1 }),
        QmfStatus.FORBIDDEN,
        /^user guest may not call Widget\.resize: guest is read-only$/,
      );
      assert.equal(resizeRuns, before);
    } finally {
      await strict.close();
    }
  });

  it("user_id cannot be forged: the broker refuses a message naming another user", async () => {
    const peer = await RawPeer.open();
    const closed = new Promise<Error>((resolve) => peer.ch.once("error", resolve));
    const before = calls.length;
    try {
      peer.request(
        agent.name,
        "_method_request",
        "forged",
        encodeMap({
          _object_id: { _agent_name: agent.name, _object_name: "Widget:1" },
          _method_name: "noop",
          _arguments: {},
        }),
        { userId: "admin" },
      );
      const err = await closed;
      assert.match(
        err.message,
        /PRECONDITION_FAILED - user_id property set to 'admin' but authenticated user was 'guest'/,
      );
      await sleep(100);
      assert.equal(calls.length, before);
      assert.equal(peer.replies.length, 0);
    } finally {
      await peer.close();
    }
  });

  /** `request` (with a 300 ms timeout) fails with a TimeoutError after it, and leaves nothing pending. */
  async function timesOut(request: Promise<unknown>, t0: number): Promise<void> {
    await assert.rejects(request, (e: unknown) => {
      assert.ok(isTimeout(e));
      assert.equal((e as { timeoutMs: number }).timeoutMs, 300);
      return true;
    });
    assert.ok(Date.now() - t0 >= 290);
    assert.equal(consoleS.pendingCount, 0);
  }

  it("times out a call nobody answers, with a TimeoutError", async () => {
    const ghost = new ObjectId(`example.org:widgets:${uniqueName("ghost")}`, "Widget:1");
    await timesOut(consoleS.callMethod(ghost, "noop", {}, { timeoutMs: 300 }), Date.now());
  });

  it("times out a query nobody answers, with a TimeoutError", async () => {
    const ghost = `example.org:widgets:${uniqueName("ghost")}`;
    await timesOut(
      consoleS.query({ agentName: ghost, className: "Widget", timeoutMs: 300 }),
      Date.now(),
    );
  });

  it("a long call holds one slot of the request window, not the whole window", async () => {
    const narrow = newAgent(uniqueName("narrow"), { maxConcurrentRequests: 4 });
    await narrow.open();
    try {
      narrow.setObject("Widget", "Widget:1", widgetValues(1));
      const id = narrow.objectId("Widget:1");
      const slow = consoleS.callMethod(id, "slow", { ms: 1500 }, { timeoutMs: 5000 });
      const t0 = Date.now();
      for (let i = 0; i < 20; i++) assert.deepEqual(await consoleS.callMethod(id, "noop"), {});
      assert.ok(Date.now() - t0 < 1400, `20 calls took ${Date.now() - t0} ms`);
      assert.deepEqual(await slow, {});
      // And in-order acknowledgements resume after it.
      for (let i = 0; i < 20; i++) assert.deepEqual(await consoleS.callMethod(id, "noop"), {});
    } finally {
      await narrow.close();
    }
  });

  it("a closed console refuses new requests with NotConnectedError", async () => {
    const c = new ConsoleSession({ url: BROKER });
    await c.open();
    await c.close();
    await assert.rejects(c.callMethod(w1(), "noop"), NotConnectedError);
    await assert.rejects(c.locate(), NotConnectedError);
    await assert.rejects(c.query({ agentName: agent.name }), NotConnectedError);
    assert.equal(c.pendingCount, 0);
  });

  it("refuses to send a body over the limit", async () => {
    const small = new ConsoleSession({ url: BROKER, maxBodyBytes: 1024 });
    await small.open();
    try {
      await assert.rejects(
        small.callMethod(w1(), "echo", { l: "y".repeat(2000) }),
        (e: unknown) => e instanceof BodyTooLargeError && e.limit === 1024,
      );
      assert.equal(small.pendingCount, 0);
    } finally {
      await small.close();
    }
  });
});

describe("at most once", () => {
  function publishResize(peer: RawPeer, id: string, size: number): void {
    peer.request(
      agent.name,
      "_method_request",
      id,
      encodeMap({
        _object_id: { _agent_name: agent.name, _object_name: "Widget:1" },
        _method_name: "resize",
        _arguments: { size },
      }),
      { userId: "guest" },
    );
  }

  it("the same request delivered twice is executed once and answered twice alike", async () => {
    const peer = await RawPeer.open();
    try {
      widgetSize = 10;
      const runs = resizeRuns;
      publishResize(peer, "dup-1", 20);
      await waitFor("the first answer", 5000, () => peer.replies.length === 1);
      publishResize(peer, "dup-1", 30); // same id: the first result, not a new run
      await waitFor("the second answer", 5000, () => peer.replies.length === 2);
      assert.equal(resizeRuns, runs + 1);
      assert.equal(widgetSize, 20);
      const [a, b] = peer.replies.map((m) => decodeMap(m.content));
      assert.deepEqual(a, { _arguments: { size: 20, previous: 10 } });
      assert.deepEqual(b, a);
      assert.equal(peer.replies[1]!.properties.correlationId, "dup-1");
      // A new id runs again.
      publishResize(peer, "dup-2", 30);
      await waitFor("the third answer", 5000, () => peer.replies.length === 3);
      assert.equal(resizeRuns, runs + 2);
      assert.deepEqual(decodeMap(peer.replies[2]!.content), {
        _arguments: { size: 30, previous: 20 },
      });
    } finally {
      await peer.close();
    }
  });

  it("a duplicate arriving while the first still runs waits for its result", async () => {
    const peer = await RawPeer.open();
    try {
      const before = calls.filter((c) => c.methodName === "slow").length;
      const slow = encodeMap({
        _object_id: { _agent_name: agent.name, _object_name: "Widget:1" },
        _method_name: "slow",
        _arguments: { ms: 200 },
      });
      peer.request(agent.name, "_method_request", "dup-slow", slow);
      peer.request(agent.name, "_method_request", "dup-slow", slow);
      await waitFor("both answers", 5000, () => peer.replies.length === 2);
      assert.equal(calls.filter((c) => c.methodName === "slow").length, before + 1);
      for (const r of peer.replies)
        assert.equal(r.properties.headers?.["qmf.opcode"], "_method_response");
    } finally {
      await peer.close();
    }
  });
});

describe("malformed input", () => {
  it("answers _exception when it can, drops otherwise, and keeps serving", async () => {
    const peer = await RawPeer.open();
    const base = {
      appId: "qmf2",
      contentType: "amqp/map",
      replyTo: peer.replyTo,
      headers: { "qmf.opcode": "_method_request" },
    };
    const send = (body: Buffer, over: Record<string, unknown>) =>
      peer.ch.publish("qmf.default.direct", agent.name, body, { ...base, ...over } as never);
    const good = encodeMap({
      _object_id: { _agent_name: agent.name, _object_name: "Widget:1" },
      _method_name: "noop",
      _arguments: {},
    });
    const drops = { ...agent.drops.counts };
    const count = (k: string) => (agent.drops.counts[k] ?? 0) - (drops[k] ?? 0);
    try {
      send(Buffer.from([0, 0, 0, 9, 0, 0, 0, 1, 5, 0x41]), { correlationId: "m-bad-body" });
      send(good, { correlationId: "m-ctype", contentType: "application/json" });
      send(good, { correlationId: "m-opcode", headers: { "qmf.opcode": "_frobnicate" } });
      send(good, { correlationId: "m-appid", appId: "not-qmf" });
      send(encodeList([1, 2]), { correlationId: "m-list", contentType: "amqp/list" });
      send(good, { correlationId: "m-noreply", replyTo: undefined });
      send(good, { correlationId: "m-badreply", replyTo: "amq.nonexistent/x" });
      send(good, { correlationId: "m-good" });
      await waitFor("six answers", 5000, () => peer.replies.length === 6);
      await sleep(100);
      const byId = new Map(peer.replies.map((m) => [m.properties.correlationId as string, m]));
      assert.deepEqual([...byId.keys()].sort(), [
        "m-appid",
        "m-bad-body",
        "m-ctype",
        "m-good",
        "m-list",
        "m-opcode",
      ]);
      const exc = (id: string) => {
        const m = byId.get(id)!;
        assert.equal(m.properties.headers?.["qmf.opcode"], "_exception");
        return decodeMap(m.content)._values as { error_code: number; error_text: string };
      };
      assert.equal(exc("m-bad-body").error_code, QmfStatus.PARAMETER_INVALID);
      assert.match(exc("m-bad-body").error_text, /^malformed body: _method_request: /);
      assert.match(
        exc("m-ctype").error_text,
        /^wrong content type: _method_request needs amqp\/map, got "application\/json"$/,
      );
      assert.equal(exc("m-opcode").error_text, 'unknown opcode: qmf.opcode "_frobnicate"');
      assert.equal(exc("m-appid").error_text, 'not a QMF message: app_id "not-qmf", want "qmf2"');
      assert.match(exc("m-list").error_text, /^wrong content type: /);
      assert.equal(byId.get("m-good")!.properties.headers?.["qmf.opcode"], "_method_response");
      assert.equal(count("malformed body"), 1);
      assert.equal(count("wrong content type"), 2);
      assert.equal(count("unknown opcode"), 1);
      assert.equal(count("not a QMF message"), 1);
      assert.equal(count("no reply address"), 2);
      // Still serving through the console.
      assert.deepEqual(await consoleS.callMethod(agent.objectId("Widget:1"), "noop"), {});
    } finally {
      await peer.close();
    }
  });
});

describe("a misbehaving agent", () => {
  it("a garbage response fails its call at once with a ProtocolError; the console carries on", async () => {
    const fakeName = `example.org:widgets:${uniqueName("garbage")}`;
    const fake = await RawPeer.open([{ exchange: "qmf.default.direct", key: fakeName }]);
    try {
      const answered = new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          const req = fake.replies.shift();
          if (!req) return;
          clearInterval(poll);
          const [exchange, key] = (req.properties.replyTo as string).split("/") as [string, string];
          fake.ch.publish(exchange, key, Buffer.from([0, 0, 0, 50, 1]), {
            appId: "qmf2",
            contentType: "amqp/map",
            correlationId: req.properties.correlationId,
            headers: { "qmf.opcode": "_method_response", "qmf.agent": fakeName },
          });
          resolve();
        }, 5);
      });
      const t0 = Date.now();
      await assert.rejects(
        consoleS.callMethod(new ObjectId(fakeName, "Widget:1"), "noop", {}, { timeoutMs: 5000 }),
        (e: unknown) => {
          assert.ok(e instanceof ProtocolError, String(e));
          assert.match(e.message, new RegExp(`^malformed _method_response from ${fakeName}: `));
          return true;
        },
      );
      await answered;
      assert.ok(Date.now() - t0 < 2000);
      assert.equal(consoleS.pendingCount, 0);
      assert.deepEqual(await consoleS.callMethod(agent.objectId("Widget:1"), "noop"), {});
    } finally {
      await fake.close();
    }
  });
});

describe("body size limit", () => {
  it("an agent refuses a request body over its limit with an _exception naming the sizes", async () => {
    const small = newAgent(uniqueName("small"), { maxBodyBytes: 2048 });
    await small.open();
    const peer = await RawPeer.open();
    try {
      small.setObject("Widget", "Widget:1", widgetValues(1));
      const body = encodeMap({
        _object_id: { _agent_name: small.name, _object_name: "Widget:1" },
        _method_name: "echo",
        _arguments: { l: "z".repeat(3000) },
      });
      const before = calls.length;
      peer.request(small.name, "_method_request", "too-big", body);
      const r = await waitFor("the exception", 5000, () => peer.replies[0]);
      assert.equal(r.properties.headers?.["qmf.opcode"], "_exception");
      const v = decodeMap(r.content)._values as Record<string, unknown>;
      assert.equal(v.error_code, QmfStatus.PARAMETER_INVALID);
      assert.equal(v.error_text, `body too large: ${body.length} bytes, limit 2048`);
      assert.equal(calls.length, before);
      assert.equal(small.drops.counts["body too large"], 1);
    } finally {
      await peer.close();
      await small.close();
    }
  });
});

// Ageing after missed heartbeats, and coalescing of changes, are timed to the millisecond on
// mocked timers in session-timing.test.ts.
describe("restarts", () => {
  it("a new epoch means restart: cached objects are dropped and re-queried", async () => {
    const inst = uniqueName("epoch");
    const first = newAgent(inst, { epoch: 1 });
    await first.open();
    first.setObject("Widget", "Widget:old", widgetValues(1));
    await waitFor(
      "the old object",
      5000,
      () => consoleS.cachedObjects({ agentName: first.name }).length === 1,
    );
    await first.close();
    const restarted = new Promise<[number, number]>((resolve) =>
      consoleS.on("agentRestarted", (a, prev) => a.name === first.name && resolve([prev, a.epoch])),
    );
    const second = newAgent(inst, { epoch: 2, publishDelayMs: 60_000 });
    second.setObject("Widget", "Widget:new", widgetValues(2));
    await second.open();
    try {
      assert.deepEqual(await restarted, [1, 2]);
      assert.equal(consoleS.agent(second.name)!.epoch, 2);
      // Not from an indication (held for a minute): from the re-query.
      await waitFor("the re-queried object", 5000, () => {
        const objs = consoleS.cachedObjects({ agentName: second.name });
        return objs.length === 1 && objs[0]!.objectId.objectName === "Widget:new";
      });
      assert.equal(consoleS.cachedObjects({ agentName: second.name })[0]!.objectId.agentEpoch, 2);
    } finally {
      await second.close();
    }
  });
});

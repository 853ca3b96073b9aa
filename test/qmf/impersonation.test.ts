/**
 * Agents cannot be impersonated, on the real RabbitMQ with the least-privilege users of
 * scripts/broker-users.sh (in a private vhost; users and vhost deleted afterwards): the users
 * suffice to run a fleet; a console user's forged heartbeat and data indication are refused by
 * the broker on the topic exchange and dropped by the console on the direct one, and no console
 * shows them; RabbitMQ refuses a user_id that is not the sender's; one agent user can neither
 * publish under another agent's name nor answer for it; an allow-list pins an agent's user
 * before any heartbeat.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import amqp, { type Channel, type ChannelModel, type Options } from "amqplib";
import { encodeList, encodeMap } from "../../src/qmf/codec/index.js";
import { AgentSession, ConsoleSession, type MethodCall, type Schema } from "../../src/qmf/index.js";
import { rabbitmqctl } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { waitFor } from "../support/wait.js";
import { loadWidgets, sleep } from "./fixtures/helpers.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/broker-users.sh", import.meta.url));
const vhost = uniqueName("imp");
const dir = mkdtempSync(join(tmpdir(), "lvq-imp-"));
const instA = uniqueName("a");
const instB = uniqueName("b");
const nameA = `example.org:widgets:${instA}`;
const nameB = `example.org:widgets:${instB}`;
const users = { a: uniqueName("agent-a"), b: uniqueName("agent-b"), c: uniqueName("console") };
const PASSWORD = "imp-s3cret";
const urlOf = (user: string) =>
  `amqp://${user}:${PASSWORD}@127.0.0.1:5672/${encodeURIComponent(vhost)}`;
const WIDGET_KEY = (agentWords: string) =>
  `agent.ind.data.org_example_widgets.Widget.${agentWords}`;
const WORDS_A = `example_org.widgets.${instA}`;
const WORDS_B = `example_org.widgets.${instB}`;

let schema: Schema;
let agentA: AgentSession;
let agentB: AgentSession;
let consoleS: ConsoleSession;
const callsOnA: MethodCall[] = [];

/** Runs scripts/broker-users.sh with the test vhost. */
async function brokerUsers(...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [SCRIPT, "-p", vhost, ...args], { timeout: 60_000 });
  return stdout;
}

function widgetAgent(instance: string, user: string): AgentSession {
  return new AgentSession({
    url: urlOf(user),
    vendor: "example.org",
    product: "widgets",
    instance,
    schemas: [schema],
    heartbeatIntervalMs: 300,
    publishDelayMs: 10,
    onMethod: async (call) => {
      if (instance === instA) callsOnA.push(call);
      if (call.methodName === "slow") await sleep(call.args.ms as number);
      if (call.methodName === "resize") return { size: call.args.size, previous: 1 };
      return {};
    },
  });
}

/** A bare amqplib connection as `user`, for hand-made (forged) messages. */
async function rawAs(user: string): Promise<{ conn: ChannelModel; ch: Channel }> {
  const conn = await amqp.connect(urlOf(user));
  conn.on("error", () => {});
  const ch = await conn.createChannel();
  ch.on("error", () => {});
  return { conn, ch };
}

/**
 * Publishes on a fresh channel of `conn` and resolves with how the broker closed the channel
 * (its reply text), or "accepted" when it did not within 1 s.
 */
async function publishVerdict(
  conn: ChannelModel,
  exchange: string,
  key: string,
  body: Buffer,
  props: Options.Publish,
): Promise<string> {
  const ch = await conn.createChannel();
  const closed = new Promise<string>((resolve) => {
    ch.on("error", (e: Error) => resolve(e.message));
    setTimeout(() => resolve("accepted"), 1000).unref();
  });
  ch.publish(exchange, key, body, props);
  const verdict = await closed;
  if (verdict === "accepted") await ch.close().catch(() => {});
  return verdict;
}

/** The QMF envelope of an indication from `agentName`, sent as `user`. */
function indication(agentName: string, user: string, opcode: string, content?: string) {
  return {
    appId: "qmf2",
    contentType: opcode === "_agent_heartbeat_indication" ? "amqp/map" : "amqp/list",
    userId: user,
    headers: {
      "qmf.opcode": opcode,
      "qmf.agent": agentName,
      method: "indication",
      ...(content ? { "qmf.content": content } : {}),
    },
  };
}

const heartbeatBody = (agentName: string, instance: string) =>
  encodeMap({
    _values: {
      _name: agentName,
      _vendor: "example.org",
      _product: "widgets",
      _instance: instance,
      _epoch: 1,
      _heartbeat_interval: 1,
      forged: true,
    },
  });

const forgedWidget = (agentName: string) =>
  encodeList([
    {
      _object_id: { _agent_name: agentName, _object_name: "Widget:forged" },
      _schema_id: { _package_name: "org.example.widgets", _class_name: "Widget", _type: "_data" },
      _values: { name: "forged" },
      _create_ts: 1n,
      _update_ts: 1n,
      _delete_ts: 0n,
    },
  ]);

/** What the console knows of forged things: agents and objects it must never show. */
function forgedSeen(): string[] {
  const seen: string[] = [];
  for (const a of consoleS.agents()) if (a.attributes.forged) seen.push(`agent ${a.name}`);
  for (const o of consoleS.cachedObjects()) {
    if (o.objectId.objectName === "Widget:forged") seen.push(`object ${o.objectId}`);
  }
  return seen;
}

before(async () => {
  schema = await loadWidgets();
  await rabbitmqctl("add_vhost", vhost);
  const password = join(dir, "password");
  writeFileSync(password, `${PASSWORD}\n`, { mode: 0o600 });
  assert.equal(
    await brokerUsers("agent", users.a, nameA, "--password-file", password),
    `agent user ${users.a}: may speak only as ${nameA} (vhost ${vhost})\n`,
  );
  await brokerUsers("agent", users.b, nameB, "--password-file", password);
  await brokerUsers("console", users.c, "--password-file", password);
  agentA = widgetAgent(instA, users.a);
  agentB = widgetAgent(instB, users.b);
  consoleS = new ConsoleSession({ url: urlOf(users.c), defaultTimeoutMs: 5000 });
  await consoleS.open();
  await agentA.open();
  await agentB.open();
  agentA.setObject("Widget", "Widget:1", { name: "a1" });
  agentB.setObject("Widget", "Widget:1", { name: "b1" });
  await consoleS.waitForAgent(nameA, 5000);
  await consoleS.waitForAgent(nameB, 5000);
});

after(async () => {
  await consoleS?.close();
  await agentA?.close();
  await agentB?.close();
  for (const u of Object.values(users)) await brokerUsers("delete", u).catch(() => {});
  await rabbitmqctl("delete_vhost", vhost).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe("agents cannot be impersonated", () => {
  it("least-privilege users run the fleet: heartbeats, data, events, queries and calls", async () => {
    assert.equal(consoleS.agentUser(nameA), users.a);
    assert.equal(consoleS.agentUser(nameB), users.b);
    await waitFor("A's data indication", 5000, () =>
      consoleS.cachedObjects({ agentName: nameA }).find((o) => o.values.name === "a1"),
    );
    const events: string[] = [];
    consoleS.on("event", (e) => events.push(`${e.agentName} ${e.eventName}`));
    await agentA.raiseEvent("widgetMoved", { from: "x", to: "y" });
    await waitFor("A's event", 5000, () => events.length === 1);
    assert.deepEqual(events, [`${nameA} widgetMoved`]);
    const objs = await consoleS.query({ agentName: nameB, className: "Widget" });
    assert.deepEqual(
      objs.map((o) => o.values.name),
      ["b1"],
    );
    assert.deepEqual(
      await consoleS.callMethod(agentA.objectId("Widget:1"), "resize", { size: 3 }),
      {
        size: 3,
        previous: 1,
      },
    );
    assert.equal(callsOnA.at(-1)?.userId, users.c);
    // An agent user may run a console of its own (the agent's, for migrations).
    const own = new ConsoleSession({ url: urlOf(users.a), locateTimeoutMs: 500 });
    try {
      await own.open();
      const found = (await own.locate()).map((a) => a.name).sort();
      assert.deepEqual(found, [nameA, nameB].sort());
    } finally {
      await own.close();
    }
    assert.deepEqual(consoleS.drops.counts, {});
  });

  it("a console user's forged heartbeat and data indication: refused by the broker on the topic exchange, dropped by the console on the direct one; no console shows them", async () => {
    const { conn } = await rawAs(users.c);
    try {
      const forgedName = `example.org:widgets:${uniqueName("forged")}`;
      const refused = (key: string) =>
        `Channel closed by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to topic '${key}' in exchange 'qmf.default.topic' in vhost '${vhost}' refused for user '${users.c}'"`;
      for (const [name, words] of [
        [nameA, WORDS_A],
        [forgedName, forgedName.replace("example.org", "example_org").replaceAll(":", ".")],
      ] as const) {
        const hbKey = `agent.ind.heartbeat.${words}`;
        assert.equal(
          await publishVerdict(
            conn,
            "qmf.default.topic",
            hbKey,
            heartbeatBody(name, name.split(":")[2]!),
            indication(name, users.c, "_agent_heartbeat_indication"),
          ),
          refused(hbKey),
        );
        assert.equal(
          await publishVerdict(
            conn,
            "qmf.default.topic",
            WIDGET_KEY(words),
            forgedWidget(name),
            indication(name, users.c, "_data_indication", "_data"),
          ),
          refused(WIDGET_KEY(words)),
        );
      }
      // The direct exchange has no routing-key permissions: straight to the console's queue.
      // The console drops both, for their key names no agent.
      const before = { ...consoleS.drops.counts };
      assert.equal(
        await publishVerdict(
          conn,
          "qmf.default.direct",
          consoleS.name,
          heartbeatBody(forgedName, forgedName.split(":")[2]!),
          indication(forgedName, users.c, "_agent_heartbeat_indication"),
        ),
        "accepted",
      );
      assert.equal(
        await publishVerdict(
          conn,
          "qmf.default.direct",
          consoleS.name,
          forgedWidget(nameA),
          indication(nameA, users.c, "_data_indication", "_data"),
        ),
        "accepted",
      );
      await waitFor(
        "the console's drops",
        5000,
        () => consoleS.drops.counts["routing key of another agent"] === 2,
      );
      assert.deepEqual(
        { ...consoleS.drops.counts },
        { ...before, "routing key of another agent": 2 },
      );
      await sleep(700); // two more heartbeats of the real agents
      assert.deepEqual(forgedSeen(), []);
      assert.equal(consoleS.agent(forgedName), undefined);
      assert.equal(consoleS.agent(nameA)?.attributes.forged, undefined);
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it("RabbitMQ refuses a message whose user_id is not the sender's", async () => {
    const { conn } = await rawAs(users.c);
    try {
      assert.equal(
        await publishVerdict(conn, "qmf.default.direct", consoleS.name, forgedWidget(nameA), {
          ...indication(nameA, users.a, "_data_indication", "_data"),
        }),
        `Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - user_id property set to '${users.a}' but authenticated user was '${users.c}'"`,
      );
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it("one agent user can neither publish as another agent nor answer for it", async () => {
    const { conn, ch } = await rawAs(users.b);
    try {
      // Under A's routing keys: the broker refuses.
      const hbKey = `agent.ind.heartbeat.${WORDS_A}`;
      assert.match(
        await publishVerdict(
          conn,
          "qmf.default.topic",
          hbKey,
          heartbeatBody(nameA, instA),
          indication(nameA, users.b, "_agent_heartbeat_indication"),
        ),
        /^Channel closed by server: 403 \(ACCESS-REFUSED\)/,
      );
      // Under its own keys, claiming to be A: the console drops both.
      const before = { ...consoleS.drops.counts };
      for (const [key, body, props] of [
        [
          `agent.ind.heartbeat.${WORDS_B}`,
          heartbeatBody(nameA, instA),
          indication(nameA, users.b, "_agent_heartbeat_indication"),
        ],
        [
          WIDGET_KEY(WORDS_B),
          forgedWidget(nameA),
          indication(nameA, users.b, "_data_indication", "_data"),
        ],
      ] as const) {
        assert.equal(await publishVerdict(conn, "qmf.default.topic", key, body, props), "accepted");
      }
      await waitFor(
        "the console's drops",
        5000,
        () =>
          (consoleS.drops.counts["routing key of another agent"] ?? 0) ===
          (before["routing key of another agent"] ?? 0) + 2,
      );

      // Answering a call made to A: B listens on A's direct key (RabbitMQ cannot stop a
      // binding there) and answers first, as user B. The console drops B's answer and takes A's.
      const q = await ch.assertQueue("", { exclusive: true, autoDelete: true });
      await ch.bindQueue(q.queue, "qmf.default.direct", nameA);
      let forged = 0;
      await ch.consume(
        q.queue,
        (m) => {
          if (m?.properties.headers?.["qmf.opcode"] !== "_method_request") return;
          const [exchange, key] = (m.properties.replyTo as string).split("/") as [string, string];
          ch.publish(exchange, key, encodeMap({ _arguments: { size: 666, previous: 666 } }), {
            appId: "qmf2",
            contentType: "amqp/map",
            correlationId: m.properties.correlationId,
            userId: users.b,
            headers: { "qmf.opcode": "_method_response", "qmf.agent": nameA, method: "response" },
          });
          forged++;
        },
        { noAck: true },
      );
      const wrongUser = consoleS.drops.counts["wrong broker user"] ?? 0;
      const out = await consoleS.callMethod(agentA.objectId("Widget:1"), "slow", { ms: 300 });
      assert.deepEqual(out, {});
      assert.equal(forged, 1);
      assert.equal(consoleS.drops.counts["wrong broker user"], wrongUser + 1);
      assert.deepEqual(forgedSeen(), []);
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it("given agentUsers, a console refuses another user's locate answer for an agent it has not heard yet", async () => {
    const { conn, ch } = await rawAs(users.b);
    const strict = new ConsoleSession({
      url: urlOf(users.c),
      agentUsers: { [nameA]: users.a },
      locateTimeoutMs: 800,
    });
    try {
      // B answers every locate request as if it were A (it may bind console.#: it is an agent).
      const q = await ch.assertQueue("", { exclusive: true, autoDelete: true });
      await ch.bindQueue(q.queue, "qmf.default.topic", "console.request.agent_locate");
      await ch.consume(
        q.queue,
        (m) => {
          if (!m) return;
          const [exchange, key] = (m.properties.replyTo as string).split("/") as [string, string];
          ch.publish(exchange, key, heartbeatBody(nameA, instA), {
            appId: "qmf2",
            contentType: "amqp/map",
            correlationId: m.properties.correlationId,
            userId: users.b,
            headers: { "qmf.opcode": "_agent_locate_response", "qmf.agent": nameA },
          });
        },
        { noAck: true },
      );
      await strict.open();
      const found = await strict.locate(["eq", "_instance", ["quote", instA]]);
      assert.equal(found.length, 1);
      assert.equal(found[0]!.attributes.forged, undefined);
      assert.equal(strict.drops.counts["wrong broker user"], 1);
      assert.equal(strict.agentUser(nameA), users.a);
    } finally {
      await strict.close();
      await conn.close().catch(() => {});
    }
  });
});

/**
 * A query broadcast to every agent at once (ConsoleSession.broadcastQuery), on the real
 * RabbitMQ in a private vhost: each agent's answer whole (over several batches), which agents
 * it covers (known when it went out, or answering a locate sent before it), and each agent's
 * failures on its own: a refusal, and silence until the timeout.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AgentSession,
  ConsoleSession,
  isTimeout,
  MethodError,
  QmfStatus,
  type Schema,
} from "../../src/qmf/index.js";
import { type PrivateVhost, privateVhost } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { loadWidgets } from "./fixtures/helpers.js";

let vhost: PrivateVhost;
let schema: Schema;
const agents: AgentSession[] = [];
const consoles: ConsoleSession[] = [];

/** An agent of `shelves` Shelf objects, answering in batches of 2; heartbeats only at open. */
async function startAgent(
  shelves: number,
  extra: Partial<ConstructorParameters<typeof AgentSession>[0]> = {},
): Promise<AgentSession> {
  const a = new AgentSession({
    url: vhost.url,
    vendor: "example.org",
    product: "widgets",
    instance: uniqueName("bq"),
    schemas: [schema],
    heartbeatIntervalMs: 60_000,
    batchSize: 2,
    onMethod: async () => ({}),
    ...extra,
  });
  agents.push(a);
  await a.open();
  for (let i = 0; i < shelves; i++) {
    a.setObject("Shelf", `Shelf:${i}`, { name: `${a.name}-s${i}`, capacity: i });
  }
  return a;
}

async function startConsole(): Promise<ConsoleSession> {
  const c = new ConsoleSession({ url: vhost.url, defaultTimeoutMs: 5000 });
  consoles.push(c);
  await c.open();
  return c;
}

const names = (objs: { values: Record<string, unknown> }[]) =>
  objs.map((o) => String(o.values.name)).sort();

before(async () => {
  vhost = await privateVhost("bquery");
  schema = await loadWidgets();
});

after(async () => {
  for (const c of consoles) await c.close();
  for (const a of agents) await a.close().catch(() => {});
  await vhost.remove();
});

describe("broadcastQuery", () => {
  it("gives each agent's objects whole, over several batches, and covers the agents known", async () => {
    const a = await startAgent(5);
    const b = await startAgent(1);
    const c = await startConsole();
    await c.locate(undefined, 500);
    const q = c.broadcastQuery({ className: "Shelf" });
    try {
      assert.equal(q.covers(a.name), true);
      assert.equal(q.covers(b.name), true);
      assert.equal(q.covers("example.org:widgets:nobody"), false);
      assert.deepEqual(
        names(await q.objectsOf(a.name)),
        [0, 1, 2, 3, 4].map((i) => `${a.name}-s${i}`),
      );
      assert.deepEqual(names(await q.objectsOf(b.name)), [`${b.name}-s0`]);
      for (const o of await q.objectsOf(a.name)) assert.equal(o.agentName, a.name);
    } finally {
      q.end();
    }
    await assert.rejects(q.objectsOf("example.org:widgets:nobody"), /no longer waits/);
    await a.close();
    await b.close();
  });

  it("covers an agent that answers a locate sent before it, not one heard only after", async () => {
    const a = await startAgent(2);
    // Heard before: the locate went out first, so the agent's queue got both, in order.
    const c1 = await startConsole();
    const located = c1.locate(undefined, 500);
    const q1 = c1.broadcastQuery({ className: "Shelf" });
    await located;
    assert.equal(q1.covers(a.name), true);
    assert.deepEqual(names(await q1.objectsOf(a.name)), [`${a.name}-s0`, `${a.name}-s1`]);
    q1.end();
    // Heard only through a locate sent after it: the query may have missed the agent.
    const c2 = await startConsole();
    const q2 = c2.broadcastQuery({ className: "Shelf" });
    await c2.locate(undefined, 500);
    assert.ok(c2.agent(a.name));
    assert.equal(q2.covers(a.name), false);
    q2.end();
    await a.close();
  });

  it("an agent's refusal and an agent's silence fail that agent alone", async () => {
    const refusing = await startAgent(1, {
      authorizeQuery: () => {
        throw new Error("no reading here");
      },
    });
    const silent = await startAgent(1);
    const fine = await startAgent(3);
    const c = await startConsole();
    await c.locate(undefined, 500);
    // Known to the console, but its queue is gone: it never sees the query.
    await silent.close();
    const q = c.broadcastQuery({ className: "Shelf", timeoutMs: 700 });
    try {
      await assert.rejects(
        q.objectsOf(refusing.name),
        (e: unknown) =>
          e instanceof MethodError &&
          e.code === QmfStatus.FORBIDDEN &&
          /no reading here/.test(e.text),
      );
      const started = performance.now();
      await assert.rejects(q.objectsOf(silent.name), (e: unknown) => isTimeout(e));
      assert.ok(performance.now() - started < 2000);
      assert.deepEqual(
        names(await q.objectsOf(fine.name)),
        [0, 1, 2].map((i) => `${fine.name}-s${i}`),
      );
    } finally {
      q.end();
    }
    await refusing.close();
    await fine.close();
  });
});

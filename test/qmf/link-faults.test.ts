/**
 * Link faults between the sessions and the real RabbitMQ (RELIABILITY.md's "partition / slow
 * link" row), through a fault proxy of our own: bytes in 1-byte slices, added latency, a
 * pause caught by the AMQP heartbeat, and a reset. Agent and console both go through the
 * proxy; broker, sessions and codec are the real ones.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { ConnectionLostError } from "../../src/qmf/index.js";
import { rabbitmqctl } from "../support/broker.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { uniqueName } from "../support/names.js";
import { waitFor } from "../support/wait.js";
import {
  echoArgsOfEveryType,
  openWidgetPair,
  QUICK_LINK,
  sleep,
  type WidgetPair,
} from "./fixtures/helpers.js";

const vhost = uniqueName("lvq-link");
const link = QUICK_LINK;
const WIDGETS = 40;
let proxy: FaultProxy;
let pair: WidgetPair;

before(async () => {
  await rabbitmqctl("add_vhost", vhost);
  await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
  proxy = new FaultProxy({ targetHost: "127.0.0.1", targetPort: 5672 });
  const url = `amqp://guest:guest@127.0.0.1:${await proxy.port()}/${encodeURIComponent(vhost)}`;
  pair = await openWidgetPair(url, {
    instance: uniqueName("link"),
    // Ageing (3 missed heartbeats) must not come before the AMQP heartbeat's verdict.
    heartbeatIntervalMs: 5000,
    link,
  });
  for (let i = 0; i < WIDGETS; i++) {
    pair.agent.setObject("Widget", `Widget:${i}`, { name: `w${i}`, notes: "ü<\"'>".repeat(i) });
  }
});

beforeEach(() => {
  proxy.sliceBytes = 0;
  proxy.latencyMs = 0;
  proxy.resume();
  pair.agentEvents.splice(1);
  pair.consoleEvents.splice(1);
});

after(async () => {
  await pair?.close();
  await proxy?.close();
  await rabbitmqctl("delete_vhost", vhost).catch(() => {});
});

/** The echo call, its answer checked argument by argument. */
async function echo(): Promise<void> {
  const args = echoArgsOfEveryType(pair.agent, "ü".repeat(3000));
  const out = await pair.consoleS.callMethod(pair.agent.objectId("Widget:1"), "echo", args);
  const { ref, u, ...plain } = args;
  const { ref: outRef, u: outU, ...outPlain } = out as typeof args;
  assert.deepEqual(outPlain, plain);
  assert.equal(String(outU), String(u));
  assert.deepEqual([outRef.agentName, outRef.objectName], [ref.agentName, ref.objectName]);
}

/** A query of every widget and an echo call, both checked value by value. */
async function roundTrip(): Promise<void> {
  const objs = await pair.consoleS.query({ agentName: pair.agent.name, className: "Widget" });
  assert.deepEqual(
    objs.map((o) => o.values.name).sort(),
    Array.from({ length: WIDGETS }, (_, i) => `w${i}`).sort(),
  );
  const w7 = objs.find((o) => o.values.name === "w7");
  assert.equal(w7?.values.notes, "ü<\"'>".repeat(7));
  await echo();
}

/** Both sessions back after the fault, and the round trip right again. */
async function expectBack(): Promise<void> {
  await pair.expectBothBack();
  await roundTrip();
}

describe("link faults through a proxy", () => {
  it("1-byte slices both ways: every frame still decodes, at both sessions", async () => {
    proxy.sliceBytes = 1;
    const before = proxy.forwarded;
    await roundTrip();
    assert.ok(proxy.forwarded - before > 2000, "the round trip went through the proxy");
    assert.deepEqual(pair.agentEvents, ["connected"]);
    assert.deepEqual(pair.consoleEvents, ["connected"]);
  });

  it("25 ms of latency per hop: correct answers, and the call pays four hops", async () => {
    proxy.latencyMs = 25;
    const t0 = performance.now();
    await echo();
    // console → broker → agent and back: the proxy sits on all four hops.
    assert.ok(performance.now() - t0 >= 100, `took ${performance.now() - t0} ms`);
    await roundTrip();
    assert.deepEqual(pair.consoleEvents, ["connected"]);
  });

  it("a pause (bytes held both ways) is caught by the AMQP heartbeat; the sessions are back after it", async () => {
    const inFlight = pair.callInFlight();
    await sleep(300);
    const pausedAt = Date.now();
    proxy.pause();
    let lostAfterMs: number;
    try {
      const err = await inFlight;
      lostAfterMs = Date.now() - pausedAt;
      assert.ok(err instanceof ConnectionLostError, String(err));
      await waitFor(
        "both sessions to notice",
        5000,
        () =>
          pair.agentEvents.includes("disconnected") && pair.consoleEvents.includes("disconnected"),
      );
      // Reconnects through the still-paused link stall in the handshake, end at the
      // connect timeout, and are tried again: none succeeds, none is reported.
      const accepted = proxy.accepted;
      await sleep(2 * link.connectTimeoutMs + 500);
      assert.ok(proxy.accepted >= accepted + 2, "reconnect attempts kept coming");
      assert.deepEqual(pair.agentEvents, ["connected", "disconnected"]);
    } finally {
      proxy.resume();
    }
    assert.ok(lostAfterMs <= 4000, `the call in flight failed ${lostAfterMs} ms after the pause`);
    await expectBack();
  });

  it("a reset of every connection: the call in flight fails at once, the sessions reconnect", async () => {
    const inFlight = pair.callInFlight();
    await sleep(300);
    const resetAt = Date.now();
    proxy.resetAll();
    const err = await inFlight;
    assert.ok(err instanceof ConnectionLostError, String(err));
    assert.ok(Date.now() - resetAt < 1000, "a reset is noticed at once, not by the heartbeat");
    await expectBack();
  });
});

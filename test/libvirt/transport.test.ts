// Misbehaving daemons, played by a scripted fake on a real unix socket: bad lengths, unknown
// serials, garbage, disconnects, silence. Plus timeouts, the in-flight bound, event routing
// and reconnection, which need a peer we can make misbehave on cue.
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  EventFamilies,
  type Packet,
  Program,
  RemoteProcedure,
  XdrReader,
} from "../../src/libvirt/codec/index.js";
import {
  CallTimeoutError,
  ConnectionLostError,
  connect,
  type Domain,
  type DomainLifecycleEvent,
  type EventKind,
  InvalidArgumentError,
  LibvirtError,
  ProtocolError,
  ReconnectingLibvirt,
} from "../../src/libvirt/index.js";
import {
  type FakeConnection,
  type FakeLibvirtd,
  type FakeOptions,
  startFakeLibvirtd,
} from "../support/fake-libvirtd.js";
import { waitFor } from "../support/wait.js";

const DOM: Domain = { name: "d1", uuid: "11111111-2222-3333-4444-555555555555", id: 3 };
const GET_INFO = RemoteProcedure.domainGetInfo.number;

const fakes: FakeLibvirtd[] = [];
async function fake(options: FakeOptions = {}): Promise<FakeLibvirtd> {
  const f = await startFakeLibvirtd(options);
  fakes.push(f);
  return f;
}
after(async () => {
  for (const f of fakes) await f.close();
});

/** Connects and records every 'close' event. */
async function open(f: FakeLibvirtd, opts: Parameters<typeof connect>[1] = {}) {
  const client = await connect("test:///default", { socketPath: f.socketPath, ...opts });
  const closes: (Error | undefined)[] = [];
  client.on("close", (err) => closes.push(err));
  return { client, closes };
}

describe("connection setup", () => {
  it("sends AUTH_LIST, SUPPORTS_FEATURE(10), OPEN in that order, with the URI's open name", async () => {
    const f = await fake();
    const { client } = await open(f);
    const conn = await f.connection(1);
    assert.deepEqual(
      conn.received.map((p) => p.procedure),
      [66, 60, 1],
    );
    const openArgs = RemoteProcedure.connectOpen.args.decode(
      new XdrReader(conn.received[2]?.payload as Buffer),
    );
    assert.deepEqual(openArgs, { name: "test:///default", flags: 0 });
    assert.deepEqual(
      conn.received.map((p) => p.serial),
      [1, 2, 3],
    );
    await client.close();
    assert.equal(conn.callsOf(RemoteProcedure.connectClose.number).length, 1);
  });
});

describe("protocol violations close the connection and reject calls in flight", () => {
  async function violation(misbehave: (conn: FakeConnection, call: Packet) => void) {
    const f = await fake({
      onCall: (call, conn) => {
        misbehave(conn, call);
        return true;
      },
    });
    const { client, closes } = await open(f);
    const err = await client.domainGetInfo(DOM).then(
      () => assert.fail("call should fail"),
      (e: unknown) => e,
    );
    await waitFor("the close event", 3000, () => closes.length === 1);
    assert.equal(client.closed, true);
    assert.equal(client.pendingCalls, 0);
    return { err, closes };
  }

  it("short packet: a length word smaller than the header", async () => {
    const { err, closes } = await violation((conn) =>
      conn.sendRaw(Buffer.from("0000001400000000", "hex")),
    );
    assert.ok(err instanceof ConnectionLostError);
    assert.equal(err.code, "CONNECTION_LOST");
    assert.ok(err.cause instanceof ProtocolError);
    assert.equal(err.cause.message, "packet length 20 is shorter than the 28-byte header");
    assert.equal(closes[0], err.cause);
  });

  it("oversize length: refused from the length word alone, no body awaited", async () => {
    const { err } = await violation((conn) => conn.sendRaw(Buffer.from("7fffffff", "hex")));
    assert.ok(err instanceof ConnectionLostError);
    assert.ok(err.cause instanceof ProtocolError);
    assert.equal(err.cause.message, "packet length 2147483647 is over libvirt's limit of 33554436");
  });

  it("unknown serial", async () => {
    const { err } = await violation((conn, call) =>
      conn.replyRaw(call, Buffer.alloc(32), { serial: 999 }),
    );
    assert.ok(err instanceof ConnectionLostError);
    assert.ok(err.cause instanceof ProtocolError);
    assert.equal(err.cause.message, "reply with unknown serial 999 (procedure 16)");
  });

  it("garbage payload: a reply that does not decode", async () => {
    const { err, closes } = await violation((conn, call) =>
      conn.replyRaw(call, Buffer.alloc(12, 0xab)),
    );
    assert.ok(err instanceof ProtocolError);
    assert.equal(
      err.message,
      "DOMAIN_GET_INFO reply: truncated XDR: unsigned hyper needs 8 bytes at offset 12, only 0 left",
    );
    assert.equal(closes[0], err);
  });

  it("garbage bytes instead of a packet", async () => {
    const { err } = await violation((conn) =>
      conn.sendRaw(Buffer.from("this is not XDR at all", "latin1")),
    );
    assert.ok(err instanceof ConnectionLostError);
    assert.ok(err.cause instanceof ProtocolError);
    assert.equal(err.cause.message, "packet length 1952999795 is over libvirt's limit of 33554436");
  });

  it("disconnect mid-call rejects every call in flight and emits close once", async () => {
    let seen = 0;
    const f = await fake({
      onCall: (_call, conn) => {
        if (++seen === 3) conn.destroy();
        return true;
      },
    });
    const { client, closes } = await open(f);
    const results = await Promise.allSettled([
      client.domainGetInfo(DOM),
      client.domainGetInfo(DOM),
      client.domainGetInfo(DOM),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["rejected", "rejected", "rejected"],
    );
    for (const r of results) {
      const e = (r as PromiseRejectedResult).reason;
      assert.ok(e instanceof ConnectionLostError);
      assert.equal(
        e.message,
        "DOMAIN_GET_INFO: libvirt connection lost before the reply (libvirt connection closed by the daemon); the call's outcome is unknown",
      );
    }
    await waitFor("the close event", 3000, () => closes.length === 1);
    assert.equal(client.pendingCalls, 0);
    const late = await client.getType().catch((e: unknown) => e);
    assert.ok(late instanceof ConnectionLostError);
    assert.equal(late.message, "CONNECT_GET_TYPE: libvirt connection is closed");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(closes.length, 1);
  });
});

describe("keepalive", () => {
  it("a silent daemon is declared dead after keepaliveCount unanswered PINGs", async () => {
    const f = await fake({ answerPings: false, onCall: () => true /* never replies */ });
    const started = Date.now();
    const { client, closes } = await open(f, { keepaliveIntervalMs: 100, keepaliveCount: 3 });
    const err = await client.domainGetInfo(DOM).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    assert.ok(err instanceof ConnectionLostError);
    assert.ok(err.cause instanceof ConnectionLostError);
    assert.equal(err.cause.code, "KEEPALIVE_TIMEOUT");
    assert.match(
      err.cause.message,
      /^libvirt daemon did not answer 3 keepalive pings \(silent for \d+ ms\)$/,
    );
    const conn = await f.connection(1);
    const pings = conn.received.filter((p) => p.program === Program.KEEPALIVE && p.procedure === 1);
    assert.equal(pings.length, 3);
    // 3 PINGs then the verdict at the 4th interval, with timer slack.
    assert.ok(elapsed >= 350 && elapsed < 2000, `declared dead after ${elapsed} ms`);
    await waitFor("the close event", 3000, () => closes.length === 1);
    assert.equal(closes[0], err.cause);
  });

  it("a daemon that answers PONG keeps the connection open", async () => {
    const f = await fake();
    const { client, closes } = await open(f, { keepaliveIntervalMs: 50, keepaliveCount: 2 });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(client.closed, false);
    assert.equal(closes.length, 0);
    const conn = await f.connection(1);
    const pings = conn.received.filter((p) => p.program === Program.KEEPALIVE).length;
    assert.ok(pings >= 3, `expected regular PINGs, got ${pings}`);
    await client.close();
  });

  it("answers the daemon's PING with a PONG", async () => {
    const f = await fake();
    const { client } = await open(f, { keepaliveIntervalMs: 60_000 });
    const conn = await f.connection(1);
    conn.sendPing();
    await waitFor("the PONG", 3000, () =>
      conn.received.some((p) => p.program === Program.KEEPALIVE),
    );
    const pong = conn.received.find((p) => p.program === Program.KEEPALIVE);
    assert.deepEqual([pong?.procedure, pong?.type, pong?.payload.length], [2, 2, 0]);
    await client.close();
  });

  it("without feature 10 the client sends no PINGs", async () => {
    const f = await fake({ keepalive: false });
    const { client } = await open(f, { keepaliveIntervalMs: 30 });
    await new Promise((r) => setTimeout(r, 200));
    const conn = await f.connection(1);
    assert.equal(conn.received.filter((p) => p.program === Program.KEEPALIVE).length, 0);
    await client.close();
  });
});

describe("timeouts and the in-flight bound", () => {
  it("a call without reply times out; its late reply is ignored; the connection survives", async () => {
    const held: Packet[] = [];
    const f = await fake({
      onCall: (call, conn) => {
        if (call.procedure === GET_INFO) held.push(call);
        else conn.reply(call, RemoteProcedure.connectGetType.ret, { type: "Fake" });
        return true;
      },
    });
    const { client } = await open(f, { callTimeoutMs: 100 });
    const err = await client.domainGetInfo(DOM).catch((e: unknown) => e);
    assert.ok(err instanceof CallTimeoutError);
    assert.equal(err.message, "libvirt call DOMAIN_GET_INFO got no reply within 100 ms");
    const conn = await f.connection(1);
    conn.reply(held[0] as never, RemoteProcedure.domainGetInfo.ret, {
      state: 1,
      maxMem: 1n,
      memory: 1n,
      nrVirtCpu: 1,
      cpuTime: 1n,
    });
    assert.equal(await client.getType(), "Fake");
    assert.equal(client.closed, false);
    await client.close();
  });

  it("a queued call times out in the queue and is never sent", async () => {
    const f = await fake({ onCall: () => true /* never replies */ });
    const { client } = await open(f, { maxInFlight: 1, callTimeoutMs: 150 });
    const results = await Promise.allSettled([
      client.domainGetInfo(DOM),
      client.call(RemoteProcedure.domainGetState, { dom: DOM, flags: 0 }, { timeoutMs: 50 }),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "fulfilled")),
      [
        "libvirt call DOMAIN_GET_INFO got no reply within 150 ms",
        "libvirt call DOMAIN_GET_STATE got no reply within 50 ms",
      ],
    );
    const conn = await f.connection(1);
    assert.equal(conn.callsOf(GET_INFO).length, 1);
    assert.equal(conn.callsOf(RemoteProcedure.domainGetState.number).length, 0);
    assert.equal(client.pendingCalls, 0);
    client.destroy();
  });

  it("never has more than maxInFlight calls on the wire; the rest queue in order", async () => {
    let outstanding = 0;
    let maxSeen = 0;
    const order: number[] = [];
    const f = await fake({
      onCall: (call, conn) => {
        outstanding++;
        maxSeen = Math.max(maxSeen, outstanding);
        order.push(call.serial);
        setTimeout(() => {
          outstanding--;
          conn.reply(call, RemoteProcedure.domainGetState.ret, { state: call.serial, reason: 0 });
        }, 10);
        return true;
      },
    });
    const { client } = await open(f, { maxInFlight: 2 });
    const states = await Promise.all(Array.from({ length: 7 }, () => client.domainGetState(DOM)));
    assert.equal(maxSeen, 2);
    assert.deepEqual(order, [4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(
      states.map((s) => s.state),
      [4, 5, 6, 7, 8, 9, 10],
    );
    await client.close();
  });

  it("a libvirt error reply rejects only that call, with libvirt's code and text", async () => {
    const f = await fake({
      onCall: (call, conn) => {
        conn.replyError(call, 42, "Domain not found: no domain with matching name 'x'");
        return true;
      },
    });
    const { client } = await open(f);
    const err = await client.domainLookupByName("x").catch((e: unknown) => e);
    assert.ok(err instanceof LibvirtError);
    assert.deepEqual(
      [err.code, err.libvirtCode, err.message, err.procedure],
      [
        "NO_DOMAIN",
        42,
        "Domain not found: no domain with matching name 'x'",
        "DOMAIN_LOOKUP_BY_NAME",
      ],
    );
    assert.equal(client.closed, false);
    await client.close();
  });
});

const { domainLifecycle, poolLifecycle, poolRefresh } = EventFamilies;
const POOL = { name: "p1", uuid: "66666666-7777-8888-9999-aaaaaaaaaaaa" };

/**
 * Answers every register-any call of the event table with a callback id (`ids` by event id,
 * per register procedure) and every deregister-any call with OK; records what it saw.
 */
function eventPeer(ids: Record<number, Record<number, number>>) {
  const seen: string[] = [];
  const onCall = (call: Packet, conn: FakeConnection) => {
    for (const row of Object.values(EventFamilies)) {
      if (call.procedure === row.register.number) {
        const { eventID } = row.register.args.decode(new XdrReader(call.payload));
        seen.push(`register ${call.procedure}/${eventID}`);
        conn.reply(call, row.register.ret, { callbackID: ids[call.procedure]?.[eventID] ?? -1 });
        return true;
      }
      if (call.procedure === row.deregister.number) {
        const { callbackID } = row.deregister.args.decode(new XdrReader(call.payload));
        seen.push(`deregister ${call.procedure}/${callbackID}`);
        conn.reply(call, row.deregister.ret, undefined);
        return true;
      }
    }
    return undefined;
  };
  return { seen, onCall };
}

/** Sends a domain lifecycle MESSAGE with detail 0, as the daemon would. */
const sendDomainEvent = (conn: FakeConnection, callbackID: number, event: number) =>
  conn.sendMessage(318, domainLifecycle.message.body, { callbackID, dom: DOM, event, detail: 0 });
/** Sends a pool lifecycle MESSAGE with detail 0. */
const sendPoolEvent = (conn: FakeConnection, callbackID: number, event: number) =>
  conn.sendMessage(370, poolLifecycle.message.body, { callbackID, pool: POOL, event, detail: 0 });

describe("event routing", () => {
  it("routes by program and procedure, then by the registered callback id", async () => {
    const f = await fake({
      onCall: (call, conn) => {
        conn.reply(call, domainLifecycle.register.ret, { callbackID: 7 });
        return true;
      },
    });
    const { client } = await open(f);
    const events: DomainLifecycleEvent[] = [];
    client.on("domainLifecycle", (e) => events.push(e));
    await client.registerEvents(["domainLifecycle"]);
    const conn = await f.connection(1);
    const body = domainLifecycle.message.body;
    conn.sendMessage(318, body, { callbackID: 8, dom: DOM, event: 2, detail: 0 }); // not ours
    conn.sendMessage(370, body, { callbackID: 7, dom: DOM, event: 2, detail: 0 }); // pool proc: wrong shape, not registered
    conn.sendMessage(318, body, { callbackID: 7, dom: DOM, event: 5, detail: 1 });
    await waitFor("the event", 3000, () => events.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(events, [{ domain: DOM, event: 5, detail: 1 }]);
    assert.equal(client.closed, false);
    await client.close();
  });

  it("registerEvents registers each kind once, with its own event id; each kind gets its own events", async () => {
    // The daemon counts callback ids per object type: domain and pool ids may be equal.
    const peer = eventPeer({ 316: { 0: 1 }, 368: { 0: 1, 1: 2 } });
    const f = await fake({ onCall: peer.onCall });
    const { client } = await open(f);
    const got: string[] = [];
    client.on("domainLifecycle", (e) => got.push(`domain ${e.domain.name} ${e.event}`));
    client.on("poolLifecycle", (e) => got.push(`pool ${e.pool.name} ${e.event}`));
    client.on("poolRefresh", (e) => got.push(`refresh ${e.pool.name}`));
    await client.registerEvents(["domainLifecycle", "poolLifecycle", "poolRefresh"]);
    await client.registerEvents(["poolRefresh", "domainLifecycle"]); // already registered
    assert.deepEqual(peer.seen, ["register 316/0", "register 368/0", "register 368/1"]);
    assert.deepEqual(client.registeredEvents, ["domainLifecycle", "poolLifecycle", "poolRefresh"]);
    const conn = await f.connection(1);
    conn.sendMessage(373, poolRefresh.message.body, { callbackID: 1, pool: POOL }); // lifecycle's id
    conn.sendMessage(373, poolRefresh.message.body, { callbackID: 2, pool: POOL });
    sendPoolEvent(conn, 1, 2);
    sendDomainEvent(conn, 1, 4);
    await waitFor("three events", 3000, () => got.length === 3);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(got, ["refresh p1", "pool p1 2", "domain d1 4"]);
    await client.close();
  });

  it("deregisterEvents sends the kind's callback id and its events stop; unknown kinds are refused", async () => {
    const peer = eventPeer({ 316: { 0: 4 }, 368: { 1: 9 } });
    const f = await fake({ onCall: peer.onCall });
    const { client } = await open(f);
    const got: string[] = [];
    client.on("domainLifecycle", (e) => got.push(`domain ${e.event}`));
    client.on("poolRefresh", (e) => got.push(`refresh ${e.pool.name}`));
    await client.registerEvents(["domainLifecycle", "poolRefresh"]);
    await client.deregisterEvents(["poolRefresh", "poolLifecycle"]); // poolLifecycle: never registered
    assert.deepEqual(peer.seen, ["register 316/0", "register 368/1", "deregister 369/9"]);
    assert.deepEqual(client.registeredEvents, ["domainLifecycle"]);
    const conn = await f.connection(1);
    conn.sendMessage(373, poolRefresh.message.body, { callbackID: 9, pool: POOL });
    sendDomainEvent(conn, 4, 1);
    await waitFor("the event", 3000, () => got.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(got, ["domain 1"]);
    await assert.rejects(
      client.registerEvents(["secretLifecycle" as EventKind]),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message === "unknown event kind: secretLifecycle",
    );
    await client.close();
  });
});

describe("reconnecting wrapper", () => {
  it("re-opens after a drop, re-registers event callbacks, and says so", async () => {
    const f = await fake({
      onCall: (call, conn) => {
        if (call.procedure === domainLifecycle.register.number) {
          conn.reply(call, domainLifecycle.register.ret, { callbackID: 1 });
        }
        return true;
      },
    });
    const rl = new ReconnectingLibvirt("test:///default", {
      socketPath: f.socketPath,
      minRetryDelayMs: 20,
    });
    const log: string[] = [];
    rl.on("connected", () => log.push("connected"));
    rl.on("disconnected", (e) => log.push(`disconnected: ${e.message}`));
    rl.on("reconnected", () => log.push("reconnected"));
    const events: DomainLifecycleEvent[] = [];
    rl.on("domainLifecycle", (e) => events.push(e));
    await rl.open();
    await rl.registerEvents(["domainLifecycle"]);
    const first = await f.connection(1);
    const inFlight = rl.client.domainGetInfo(DOM).catch((e: unknown) => e);
    await waitFor(
      "the call on the first connection",
      3000,
      () => first.callsOf(GET_INFO).length === 1,
    );
    first.destroy();
    assert.ok((await inFlight) instanceof ConnectionLostError);
    const second = await f.connection(2);
    await waitFor("the reconnect", 3000, () => log.length === 3);
    assert.deepEqual(log, [
      "connected",
      "disconnected: libvirt connection closed by the daemon",
      "reconnected",
    ]);
    assert.equal(second.callsOf(domainLifecycle.register.number).length, 1);
    // The call that failed was not retried on the new connection.
    assert.equal(second.callsOf(GET_INFO).length, 0);
    sendDomainEvent(second, 1, 3);
    await waitFor("the event", 3000, () => events.length === 1);
    assert.deepEqual(events, [{ domain: DOM, event: 3, detail: 0 }]);
    await rl.close();
    assert.equal(rl.connected, false);
  });

  it("registers the set asked for before the first connection, and again after each drop, less what was deregistered", async () => {
    const peer = eventPeer({ 316: { 0: 5 }, 368: { 0: 6, 1: 7 } });
    const f = await fake({ onCall: peer.onCall });
    const rl = new ReconnectingLibvirt("test:///default", {
      socketPath: f.socketPath,
      minRetryDelayMs: 20,
    });
    const got: string[] = [];
    rl.on("poolLifecycle", (e) => got.push(`pool ${e.pool.name} ${e.event}`));
    rl.on("poolRefresh", (e) => got.push(`refresh ${e.pool.name}`));
    let reconnects = 0;
    rl.on("reconnected", () => reconnects++);
    // Asked for while not connected yet: registered when the first connection opens.
    await rl.registerEvents(["domainLifecycle", "poolLifecycle", "poolRefresh"]);
    await rl.open();
    assert.deepEqual(peer.seen.splice(0).sort(), [
      "register 316/0",
      "register 368/0",
      "register 368/1",
    ]);
    await rl.deregisterEvents(["domainLifecycle"]);
    assert.deepEqual(peer.seen.splice(0), ["deregister 317/5"]);
    (await f.connection(1)).destroy();
    await waitFor("the reconnect", 3000, () => reconnects === 1);
    assert.deepEqual(peer.seen.splice(0).sort(), ["register 368/0", "register 368/1"]);
    const second = await f.connection(2);
    sendPoolEvent(second, 6, 3);
    second.sendMessage(373, poolRefresh.message.body, { callbackID: 7, pool: POOL });
    await waitFor("both events", 3000, () => got.length === 2);
    assert.deepEqual(got, ["pool p1 3", "refresh p1"]);
    await rl.close();
  });
});

describe("reconnect backoff", () => {
  it("waits minRetryDelayMs (±20 %) first, doubles per failure, and never more than maxRetryDelayMs", async () => {
    const rl = new ReconnectingLibvirt("test:///default", {
      socketPath: join(tmpdir(), `lvq-no-daemon-${process.pid}.sock`),
      minRetryDelayMs: 50,
      maxRetryDelayMs: 100,
    });
    const failedAt: number[] = [];
    rl.on("connectFailed", (e) => {
      assert.ok(e instanceof ConnectionLostError);
      failedAt.push(performance.now());
    });
    const opened = rl.open().catch((e: unknown) => e);
    await waitFor("six failed connects", 5000, () => failedAt.length === 6);
    await rl.close();
    assert.ok((await opened) instanceof ConnectionLostError, "closed before connecting");
    const gaps = failedAt.slice(1).map((t, i) => t - (failedAt[i] as number));
    // Delays 50, 100, 100, 100, 100 (jittered); uncapped they would be 50 … 800 (1550 in all).
    const lowest = [40, 80, 80, 80, 80];
    gaps.forEach((gap, i) => {
      assert.ok(gap >= (lowest[i] as number) - 1, `gap ${i}: ${gap.toFixed(0)} ms`);
    });
    const total = gaps.reduce((a, b) => a + b, 0);
    assert.ok(total < 1000, `5 gaps took ${total.toFixed(0)} ms: the cap held`);
  });
});

describe("busy polling", () => {
  /**
   * CPU time this process spends over `ms` after the first GET_INFO is answered and a second
   * one, never answered, is pending: busy polling runs only within its window after the read.
   */
  async function cpuWhileWaiting(busyPollMicros: number, ms: number): Promise<number> {
    let answered = false;
    const f = await fake({
      onCall: (call, conn) => {
        if (call.procedure !== GET_INFO) return undefined;
        if (!answered) {
          answered = true;
          conn.reply(call, RemoteProcedure.domainGetInfo.ret, {
            state: 1,
            maxMem: 1n,
            memory: 1n,
            nrVirtCpu: 1,
            cpuTime: 1n,
          });
        }
        return true; // the second one: never answered
      },
    });
    const { client } = await open(f, { busyPollMicros, callTimeoutMs: ms + 5000 });
    try {
      const cpu0 = process.cpuUsage();
      const first = client.domainGetInfo(DOM);
      const second = client.domainGetInfo(DOM).catch((e: unknown) => e);
      assert.equal((await first).state, 1);
      await new Promise((r) => setTimeout(r, ms));
      const used = process.cpuUsage(cpu0);
      client.destroy();
      assert.ok((await second) instanceof ConnectionLostError);
      return (used.user + used.system) / 1000;
    } finally {
      client.destroy();
    }
  }

  it("polls only within its window after a read, and not at all when set to 0", async () => {
    // A 300 ms window with a call pending: about 300 ms of polling, then the process sleeps.
    // Unbounded polling would cost the whole 1.2 s.
    const windowed = await cpuWhileWaiting(300_000, 1200);
    assert.ok(windowed > 100 && windowed < 800, `CPU ${windowed.toFixed(0)} ms`);
    const off = await cpuWhileWaiting(0, 1200);
    assert.ok(off < 60, `CPU ${off.toFixed(0)} ms with busy polling off`);
  });
});

describe("call deadlines", () => {
  it("a timeout beyond setTimeout's range is kept, without a timer that fires at once", async () => {
    const f = await fake({ onCall: (call) => call.procedure === GET_INFO || undefined });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    const { client } = await open(f, { busyPollMicros: 0, callTimeoutMs: 3_000_000_000 });
    try {
      const pending = client.domainGetInfo(DOM).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(warnings, [], "no TimeoutOverflowWarning: the delay was capped");
      client.destroy();
      assert.ok((await pending) instanceof ConnectionLostError, "still pending until the drop");
    } finally {
      process.off("warning", onWarning);
      client.destroy();
    }
  });
});

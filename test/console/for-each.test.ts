// fleet.forEach against the real broker and two real agents on private test-driver files:
// one result per target, in order, exact; a failing target is its result, never a rejection;
// the concurrency bound holds; a failed query rejects before any call; a connection lost
// under the calls is each in-flight target's error.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { connectFleet, Domain, type Fleet, type ForEachResult } from "../../src/console/index.js";
import type { AgentHandle } from "../support/agent.js";
import { type AgentPair, startAgentPair } from "../support/agent-pair.js";
import { statesBecome as becomes } from "../support/domain-states.js";
import { brokerProxy } from "../support/fault-proxy.js";
import { testDriverNames } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const tag = randomBytes(3).toString("hex");
const specA = { domains: 3, pools: 0, volumesPerPool: 0, namePrefix: `each${tag}a-` };
const specB = {
  domains: 2,
  pools: 0,
  volumesPerPool: 0,
  runningDomains: false,
  namePrefix: `each${tag}b-`,
};
const namesA = testDriverNames(specA);
const namesB = testDriverNames(specB);
let pair: AgentPair;
let agentA: AgentHandle;
let agentB: AgentHandle;
let fleet: Fleet;
let ours: string[];

/** A result as plain data: which target, and its value or its error's name, code and text. */
function brief(r: ForEachResult<Domain, unknown>): unknown {
  const target = `${r.object.host}/${r.object.name}`;
  if (r.ok) return { target, ok: true, value: r.value };
  const e = r.error as Error & { code?: unknown; text?: string };
  return { target, ok: false, error: [e.name, e.code, e.text ?? e.message] };
}

const statesBecome = (want: Record<string, string>) => becomes(fleet, ours, want);

const initial = (): Record<string, string> =>
  Object.fromEntries([
    ...namesA.domains.map((d) => [d.name, "running"]),
    ...namesB.domains.map((d) => [d.name, "shutoff"]),
  ]);

describe("fleet.forEach", { timeout: 90_000 }, () => {
  before(async () => {
    pair = await startAgentPair(`each-${tag}`, specA, specB);
    ({ agentA, agentB, fleet, ours } = pair);
  });
  after(() => pair?.stop());
  beforeEach(async () => {
    // Every test starts from the files' states: A's domains running, B's shut off.
    const paused = await fleet.domains({ state: "paused" }, { agents: ours });
    await Promise.all(paused.map((d) => d.resume()));
    await statesBecome(initial());
  });

  test("a query's targets: one call each, results in host/name order, exact; the others untouched", async () => {
    const progress: string[] = [];
    const results = await fleet.forEach(
      { class: Domain, filter: { state: "running" }, agents: ours },
      (d) => d.suspend(),
      {
        concurrency: 2,
        onResult: (r, settled, total) => progress.push(`${settled}/${total} ${r.ok}`),
      },
    );
    assert.deepEqual(
      results.map(brief),
      namesA.domains.map((d) => ({
        target: `${agentA.instance}/${d.name}`,
        ok: true,
        value: undefined,
      })),
    );
    assert.ok(results.every((r) => r.object instanceof Domain));
    assert.deepEqual(progress, ["1/3 true", "2/3 true", "3/3 true"]);
    await statesBecome({
      ...initial(),
      ...Object.fromEntries(namesA.domains.map((d) => [d.name, "paused"])),
    });
  });

  test("a failing target is its own result (libvirt's code and text); forEach resolves, the others succeed", async () => {
    const targets = await fleet.domains(undefined, { agents: ours });
    targets.sort((a, b) => (a.host + a.name < b.host + b.name ? -1 : 1));
    // A's are running and suspend; B's are shut off: libvirt refuses them.
    const results = await fleet.forEach(targets, (d) => d.suspend());
    assert.deepEqual(results.map(brief), [
      ...namesA.domains.map((d) => ({
        target: `${agentA.instance}/${d.name}`,
        ok: true,
        value: undefined,
      })),
      ...namesB.domains.map((d) => ({
        target: `${agentB.instance}/${d.name}`,
        ok: false,
        // The test driver reports "not running" as VIR_ERR_INTERNAL_ERROR (1).
        error: [
          "MethodError",
          0x10000 + 1,
          `virDomainSuspend: internal error: domain '${d.name}' not running`,
        ],
      })),
    ]);
    // A thrown value that is not an Error, and a synchronous throw, are results too.
    const odd = await fleet.forEach(targets.slice(0, 2), (d) => {
      if (d.name === namesA.domains[0]!.name) throw "plain string";
      return Promise.reject(new RangeError("no"));
    });
    assert.deepEqual(
      odd.map((r) => (r.ok ? "ok" : `${r.error.name}: ${r.error.message}`)),
      ["Error: plain string", "RangeError: no"],
    );
    assert.equal((odd[0] as { error: Error }).error.cause, "plain string");
  });

  test("at most `concurrency` calls at once; a bad concurrency rejects before any call", async () => {
    const targets = await fleet.domains(undefined, { agents: ours });
    let inFlight = 0;
    let most = 0;
    const results = await fleet.forEach(
      targets,
      async (d) => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          return (await d.xml_desc()).includes(`<name>${d.name}</name>`);
        } finally {
          inFlight--;
        }
      },
      { concurrency: 2 },
    );
    assert.equal(most, 2);
    assert.deepEqual(
      results.map((r) => r.ok && r.value),
      [true, true, true, true, true],
    );
    let called = 0;
    for (const concurrency of [0, 1.5, -1, Number.NaN]) {
      await assert.rejects(
        fleet.forEach(targets, () => called++, { concurrency }),
        (e: Error) =>
          e.name === "ArgumentError" && /concurrency must be a positive integer/.test(e.message),
      );
    }
    assert.equal(called, 0);
  });

  test("a query that fails rejects and calls nothing; an empty selection resolves to []", async () => {
    let called = 0;
    await assert.rejects(
      fleet.forEach({ class: Domain, where: ["frob"], agents: ours }, () => called++),
      { name: "PredicateError" },
    );
    await assert.rejects(
      fleet.forEach({ class: Domain, filter: { colour: "blue" }, agents: ours }, () => called++),
      { name: "ArgumentError" },
    );
    assert.equal(called, 0);
    assert.deepEqual(
      await fleet.forEach(
        { class: Domain, filter: { state: "paused" }, agents: ours },
        () => called++,
      ),
      [],
    );
    assert.equal(called, 0);
  });

  test("an onResult that throws stops the batch: no further call starts, forEach rejects with it", async () => {
    const targets = await fleet.domains(undefined, { agents: ours });
    const called: string[] = [];
    await assert.rejects(
      fleet.forEach(
        targets,
        async (d) => {
          called.push(d.name);
          return d.name;
        },
        {
          concurrency: 1,
          onResult: () => {
            throw new Error("progress broke");
          },
        },
      ),
      { message: "progress broke" },
    );
    assert.equal(called.length, 1);
  });

  test("the broker connection lost under the calls: each in-flight target fails with ConnectionLostError, once; the next batch succeeds", async () => {
    const { proxy, url } = await brokerProxy();
    const cut = await connectFleet({ broker: url.toString() });
    try {
      const running = await cut.domains({ state: "running" }, { agents: [agentA.name] });
      assert.equal(running.length, 3);
      // Requests are held on the wire, then the link is reset under them.
      proxy.latencyMs = 1500;
      const batch = cut.forEach(running, (d) => d.suspend(), { concurrency: 3 });
      setTimeout(() => proxy.resetAll(), 300);
      const results = await batch;
      assert.deepEqual(
        results.map((r) => (r.ok ? "ok" : r.error.name)),
        ["ConnectionLostError", "ConnectionLostError", "ConnectionLostError"],
      );
      // Held, never delivered: nothing was executed.
      await statesBecome(initial());
      proxy.latencyMs = 0;
      await waitFor(
        "reconnected",
        10_000,
        async () =>
          (await cut.domains(undefined, { agents: [agentA.name] }).catch(() => [])).length === 3,
      );
      const again = await cut.forEach(running, (d) => d.suspend());
      assert.deepEqual(
        again.map((r) => r.ok),
        [true, true, true],
      );
    } finally {
      await cut.close();
      await proxy.close();
    }
  });
});

// Domain.stats_history on the test driver, through a real console on the real broker: one
// sample per sweep with the values the DomainInfo showed then, `since` filters, the ring keeps
// the newest `statsHistory` samples, 0 keeps none, and a deleted domain's samples go with it.
// Sweeps are driven one at a time (the timer's interval is an hour) so that each sample can be
// matched with the sweep that took it.
import assert from "node:assert/strict";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ConsoleSession } from "../../src/qmf/index.js";
import { nowNs } from "../../src/util/clock.js";
import { type AgentHandle, openConsole, startTestAgent, tempDir } from "../support/agent.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";

const dir = tempDir("hist");
const spec = { domains: 2, pools: 0, volumesPerPool: 0, namePrefix: `${uniqueName("hist")}-` };
const names = testDriverNames(spec);
const uri = writeTestDriverFile(join(dir.path, "node.xml"), spec);
const HOUR = 3_600_000;
const FIELDS = [
  "cpu_time",
  "memory",
  "block_rd_bytes",
  "block_wr_bytes",
  "net_rx_bytes",
  "net_tx_bytes",
];

let qc: ConsoleSession;
const agents: AgentHandle[] = [];

async function agent(statsHistory: number): Promise<AgentHandle> {
  const h = await startTestAgent({ uri, statsIntervalMs: HOUR, statsHistory });
  agents.push(h);
  await qc.waitForAgent(h.name, 10_000);
  return h;
}

/** Runs one sweep; returns the interval its samples' time must lie in. */
async function sweep(h: AgentHandle): Promise<{ from: bigint; to: bigint }> {
  const from = nowNs();
  const done = once(h.agent, "swept");
  h.agent.sweepNow();
  await done;
  return { from, to: nowNs() };
}

function call(
  h: AgentHandle,
  objectName: string,
  method: string,
  args: Record<string, unknown> = {},
) {
  return qc.callMethod({ agentName: h.name, objectName }, method, args, { timeoutMs: 15_000 });
}

async function history(h: AgentHandle, uuid: string, since?: bigint) {
  const out = await call(
    h,
    `Domain:${uuid}`,
    "stats_history",
    since === undefined ? {} : { since },
  );
  return out.samples as Record<string, unknown>[];
}

/** The DomainInfo values the agent publishes now, as a sample shows them. */
async function shown(h: AgentHandle, uuid: string): Promise<Record<string, unknown>> {
  const [o] = await qc.query({
    agentName: h.name,
    packageName: "Libvirt",
    className: "DomainInfo",
    objectId: { agentName: h.name, objectName: `DomainInfo:${uuid}` },
  });
  assert.ok(o, `DomainInfo:${uuid} is published`);
  return {
    ...Object.fromEntries(FIELDS.map((k) => [k, o.values[k]])),
    stale: o.values.stats_stale,
  };
}

const withoutT = (s: Record<string, unknown>) => {
  const { t: _t, ...rest } = s;
  return rest;
};

before(async () => {
  qc = await openConsole();
});

after(async () => {
  await qc?.close();
  for (const h of agents) await h.stop();
  dir.remove();
});

describe("Domain.stats_history", () => {
  test("one sample per sweep, as DomainInfo showed it; since filters; the oldest goes beyond statsHistory", async () => {
    const h = await agent(3);
    const uuid = names.domains[0]!.uuid;
    assert.deepEqual(await history(h, uuid), [], "no sweep yet: no sample");
    const windows: { from: bigint; to: bigint }[] = [];
    const values: Record<string, unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      // A different memory size at each sweep, so that each sample is told from the others.
      await call(h, `Domain:${uuid}`, "set_memory", {
        memory: BigInt(60_000 + i * 1024),
        flags: "live",
      });
      windows.push(await sweep(h));
      values.push(await shown(h, uuid));
    }
    const three = await history(h, uuid);
    assert.equal(three.length, 3);
    three.forEach((s, i) => {
      const t = s.t as bigint;
      assert.ok(
        t >= windows[i]!.from && t <= windows[i]!.to,
        `sample ${i} taken during sweep ${i}`,
      );
      if (i > 0) assert.ok(t > (three[i - 1]!.t as bigint), "times increase");
      assert.deepEqual(withoutT(s), values[i]);
    });
    assert.deepEqual(
      values.map((v) => v.memory),
      [60_000n, 61_024n, 62_048n],
    );

    assert.deepEqual(await history(h, uuid, three[1]!.t as bigint), three.slice(1));
    assert.deepEqual(await history(h, uuid, (three[2]!.t as bigint) + 1n), []);
    assert.deepEqual(await history(h, uuid, 0n), three);

    windows.push(await sweep(h));
    windows.push(await sweep(h));
    const last = await history(h, uuid);
    assert.deepEqual(
      last.map((s) => s.t),
      [three[2]!.t, ...last.slice(1).map((s) => s.t)],
      "the two oldest were dropped",
    );
    assert.equal(last.length, 3);
    for (const [i, s] of last.slice(1).entries()) {
      const w = windows[3 + i]!;
      assert.ok((s.t as bigint) >= w.from && (s.t as bigint) <= w.to);
    }
    // The other domain was swept as often.
    assert.equal((await history(h, names.domains[1]!.uuid)).length, 3);
  });

  test("a deleted domain's samples go with it: defined again, it starts with none", async () => {
    const h = await agent(10);
    const { uuid } = names.domains[1]!;
    await sweep(h);
    await sweep(h);
    assert.equal((await history(h, uuid)).length, 2);
    const xml = (await call(h, `Domain:${uuid}`, "xml_desc")).description as string;
    await call(h, `Domain:${uuid}`, "destroy");
    await call(h, `Domain:${uuid}`, "undefine");
    await assert.rejects(history(h, uuid), "no object, no history");
    const [node] = await qc.query({ agentName: h.name, packageName: "Libvirt", className: "Node" });
    await call(h, node!.objectId.objectName, "define_domain_xml", { xml_desc: xml });
    assert.deepEqual(await history(h, uuid), []);
    await sweep(h);
    assert.equal((await history(h, uuid)).length, 1);
  });

  test("statsHistory 0 keeps nothing", async () => {
    const h = await agent(0);
    await sweep(h);
    await sweep(h);
    assert.deepEqual(await history(h, names.domains[0]!.uuid), []);
  });
});

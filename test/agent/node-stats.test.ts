// The host's CPU and memory statistics on the Node, through the agent on libvirt's test driver
// and a real console session: what libvirt reports is published, what it refuses (the test
// driver has no NODE_GET_MEMORY_STATS) is absent, and every stats sweep reads them again
// without failing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  isNoSupport,
  type LibvirtClient,
  NodeCpuStats,
  NodeMemoryStats,
} from "../../src/libvirt/index.js";
import type { AgentHandle } from "../support/agent.js";
import { type AgentView, type ViewedAgent, viewedTestAgent } from "../support/agent-view.js";
import { uniqueName } from "../support/names.js";

const spec = { domains: 2, pools: 0, volumesPerPool: 0, namePrefix: `${uniqueName("ns")}-` };

let h: AgentHandle;
let lv: LibvirtClient;
let view: AgentView;

let t: ViewedAgent | undefined;

before(async () => {
  t = await viewedTestAgent("nodestats", spec);
  ({ h, lv, view } = t);
});

after(() => t?.stop());

const STATS = [
  "cpu_kernel",
  "cpu_user",
  "cpu_idle",
  "cpu_iowait",
  "memory_total",
  "memory_free",
  "memory_buffers",
  "memory_cached",
];

describe("the host's statistics on the Node", () => {
  test("CPU times as libvirt reports them; the memory statistics it refuses are absent", async () => {
    const node = `Node:${h.agent.hostUuid}`;
    const cpu = await lv.nodeGetCpuStats(NodeCpuStats.ALL_CPUS);
    const refusal = await lv.nodeGetMemoryStats(NodeMemoryStats.ALL_CELLS).catch((e: unknown) => e);
    assert.ok(isNoSupport(refusal), "the test driver has no memory statistics");
    const expected = {
      cpu_kernel: cpu.kernel,
      cpu_user: cpu.user,
      cpu_idle: cpu.idle,
      cpu_iowait: cpu.iowait,
    };
    const shown = async () => {
      const v = (await view.one("Node", node))?.values ?? {};
      return Object.fromEntries(STATS.filter((k) => k in v).map((k) => [k, v[k]]));
    };
    assert.deepEqual(await shown(), expected);
    assert.deepEqual(expected, {
      cpu_kernel: 34678723400000n,
      cpu_user: 9797400000n,
      cpu_idle: 87264900000n,
      cpu_iowait: 763600000n,
    });

    // Each sweep reads them again; the report counts the domains only.
    for (let i = 0; i < 2; i++) {
      const r = await h.agent.mirror.sweep();
      assert.deepEqual([r?.domains, r?.changed, r?.stale], [2, 0, 0]);
    }
    assert.deepEqual(await shown(), expected);
    assert.equal((await view.one("Node", node))?.values.libvirt_state, "connected");
  });
});

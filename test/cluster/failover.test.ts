// The fleet on a real 3-node RabbitMQ cluster (scripts/cluster.sh: ports 5681-5683, never the
// default node): a node killed under an agent, under a console and under `lvq watch`; a
// rolling restart under a loop of method calls on 10 agents; a node cut off from the others.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { LibvirtClient } from "../../src/libvirt/index.js";
import { DEFAULT_SOCKET_PATH } from "../../src/libvirt/transport/index.js";
import { type CounterName, CountingObserver } from "../../src/observe/observer.js";
import {
  ConsoleSession,
  isAgentLost,
  isConnectionLost,
  isTimeout,
  MethodError,
  type ObjectId,
  QmfStatus,
} from "../../src/qmf/index.js";
import { BIN, buildOnce } from "../cli/harness.js";
import { type AgentHandle, startTestAgent, tempDir } from "../support/agent.js";
import {
  CLUSTER_URLS,
  cluster,
  clusterUp,
  healNode,
  killNode,
  NODES,
  type NodeNo,
  nodeOfUrl,
  nodeUrl,
  partitionNode,
  serving,
  startNode,
  stopNode,
} from "../support/cluster.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const HEARTBEAT_MS = 2000;
const dir = tempDir("cluster");
const consoles: ConsoleSession[] = [];
const agents: AgentHandle[] = [];

/** Executions seen by an agent's observer, by request id. */
class ExecutionLog extends CountingObserver {
  readonly byRequest = new Map<string, number>();
  override count(name: CounterName, n: number, labels?: Readonly<Record<string, string>>): void {
    super.count(name, n);
    if (name === "qmf_methods_executed" && labels?.request) {
      this.byRequest.set(labels.request, (this.byRequest.get(labels.request) ?? 0) + n);
    }
  }
  /** Request ids executed more than once. */
  get twice(): string[] {
    return [...this.byRequest].filter(([, n]) => n > 1).map(([id]) => id);
  }
}

async function openConsole(urls: readonly string[], preferFirst = false): Promise<ConsoleSession> {
  const c = new ConsoleSession({
    url: urls,
    preferFirst,
    name: uniqueName("console"),
    defaultTimeoutMs: 15_000,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
  });
  consoles.push(c);
  await c.open();
  return c;
}

async function startAgent(
  tag: string,
  domains: number,
  opts: { socketPath?: string; observer?: CountingObserver } = {},
): Promise<{ agent: AgentHandle; uri: string; names: ReturnType<typeof testDriverNames> }> {
  const spec = { domains, pools: 0, volumesPerPool: 0, namePrefix: `${tag}-` };
  let uri = writeTestDriverFile(join(dir.path, `${tag}.xml`), spec);
  if (opts.socketPath) uri += `?socket=${opts.socketPath}`;
  const agent = await startTestAgent({
    uri,
    broker: CLUSTER_URLS.join(","),
    heartbeatIntervalMs: HEARTBEAT_MS,
    reconnectMaxDelayMs: 1000,
    ...(opts.observer ? { observer: opts.observer } : {}),
  });
  agents.push(agent);
  return { agent, uri, names: testDriverNames(spec) };
}

/** The node an in-process agent is on now. */
const agentNode = (a: AgentHandle): NodeNo =>
  nodeOfUrl(String(a.agent.session.getAttributes().broker_node));

const others = (n: NodeNo): NodeNo[] => NODES.filter((m) => m !== n);

/** Every node serves again (a test that killed or stopped one starts it before it ends). */
async function allServing(): Promise<void> {
  for (const n of NODES) if (!(await serving(n))) await startNode(n);
}

before(async () => {
  await clusterUp();
});

after(async () => {
  await Promise.all(consoles.map((c) => c.close().catch(() => {})));
  await Promise.all(agents.map((a) => a.stop()));
  dir.remove();
  // Three extra brokers are not left running behind a test run (LVQ_KEEP_CLUSTER=1 keeps them
  // for the next run or bench:fleet).
  if (process.env.LVQ_KEEP_CLUSTER !== "1") await cluster("down");
});

describe("the fleet on a 3-node RabbitMQ cluster", () => {
  test("kill -9 the node an agent is on: it is back on another node within heartbeat + 5 s; the call in flight fails with connection-lost; the next succeeds; each request ran once", async () => {
    // The agent's libvirt link goes through a proxy, so that a method can be held in flight.
    const proxy = new FaultProxy({
      targetPath: DEFAULT_SOCKET_PATH,
      listenPath: join(dir.path, "libvirt-proxy.sock"),
    });
    await proxy.port();
    const executions = new ExecutionLog();
    try {
      const { agent, names } = await startAgent("kill-agent", 3, {
        socketPath: join(dir.path, "libvirt-proxy.sock"),
        observer: executions,
      });
      const dead = agentNode(agent);
      // The caller is on the agent's node; the watcher on the two others.
      const caller = await openConsole([nodeUrl(dead), ...others(dead).map(nodeUrl)], true);
      assert.equal(nodeOfUrl(caller.brokerNode!), dead);
      const watcher = await openConsole(others(dead).map(nodeUrl));
      await caller.waitForAgent(agent.name, 10_000);
      await watcher.waitForAgent(agent.name, 10_000);
      const cachedBefore = (await watcher.query({ agentName: agent.name, className: "Domain" }))
        .length;
      assert.equal(cachedBefore, 3);
      const silences: number[] = [];
      const removed: string[] = [];
      watcher.on("agentSilent", (a, ms) => a.name === agent.name && silences.push(ms));
      watcher.on("agentRemoved", (a) => removed.push(a.name));

      const dom = agent.agent.session.objectId(`Domain:${names.domains[0]!.uuid}`) as ObjectId;
      proxy.pause(); // the agent's libvirt call for the next request waits in the proxy
      const inflight = caller.callMethod(dom, "suspend", {}, { timeoutMs: 30_000 });
      await waitFor(
        "the request to reach the agent",
        5000,
        () => executions.total("qmf_methods_executed") === 1,
      );
      // Its failure is awaited after the kill; the check is attached now, before it rejects.
      const failed = assert.rejects(inflight, (e: unknown) => {
        assert.ok(isConnectionLost(e), `connection-lost, not ${String(e)}`);
        assert.match((e as Error).message, /connection to the broker lost/);
        return true;
      });
      const t0 = Date.now();
      await killNode(dead);
      await failed;
      proxy.resume(); // the held suspend completes at the agent; its answer has nowhere to go

      // Back on a surviving node, and heard there by the watcher, within heartbeat + 5 s.
      const lastBefore = watcher.agent(agent.name)!.lastHeartbeatMs;
      const heardOn = (): NodeNo | undefined => {
        const url = watcher.agent(agent.name)?.attributes.broker_node;
        return typeof url === "string" && url !== "" ? nodeOfUrl(url) : undefined;
      };
      await waitFor(
        "the watcher to hear the agent on another node",
        HEARTBEAT_MS + 5000,
        () => heardOn() !== undefined && heardOn() !== dead,
      );
      const backMs = Date.now() - t0;
      assert.ok(backMs <= HEARTBEAT_MS + 5000, `back after ${backMs} ms`);
      assert.notEqual(agentNode(agent), dead);
      // The watcher kept the agent and its objects. The gap between the heartbeats it heard
      // spans the move; one longer than 1.5 intervals is also reported as a silence.
      const gapMs = watcher.agent(agent.name)!.lastHeartbeatMs - lastBefore;
      assert.ok(gapMs > 0 && gapMs <= HEARTBEAT_MS + 5000, `heartbeat gap ${gapMs} ms`);
      assert.deepEqual(removed, []);
      assert.ok(silences.length <= 1, `silences reported: ${silences.join(", ")}`);
      if (silences.length === 1) assert.equal(silences[0], gapMs);
      assert.equal(watcher.cachedObjects({ agentName: agent.name, className: "Domain" }).length, 3);

      // The caller moved too; its next call succeeds (the suspend ran once, so resume works).
      await waitFor("the caller to reconnect", 10_000, () => caller.brokerNode);
      assert.notEqual(nodeOfUrl(caller.brokerNode!), dead);
      await caller.waitForAgent(agent.name, 10_000);
      assert.deepEqual(await caller.callMethod(dom, "resume", {}), {});
      assert.equal(executions.total("qmf_methods_executed"), 2);
      assert.deepEqual(executions.twice, []);
    } finally {
      proxy.resume();
      await proxy.close();
      await allServing();
    }
  });

  test("kill the node `lvq watch` is on: it moves to another node, prints one line saying it reconnected and resynced, and goes on", async () => {
    await buildOnce();
    const { agent, names } = await startAgent("kill-console", 2);
    const control = await openConsole(CLUSTER_URLS);
    await control.waitForAgent(agent.name, 10_000);
    const out: string[] = [];
    const err: string[] = [];
    const watch: ChildProcess = spawn(
      process.execPath,
      [BIN, "watch", "DomainInfo", "--agent", agent.name, "--no-events", "--timeout", "5"],
      {
        env: {
          ...process.env,
          LVQ_BROKER: CLUSTER_URLS.join(","),
          XDG_CONFIG_HOME: "/nonexistent-lvq-test-config",
          NO_COLOR: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    watch.stdout!.setEncoding("utf8").on("data", (d: string) => out.push(...d.split("\n")));
    watch.stderr!.setEncoding("utf8").on("data", (d: string) => err.push(...d.split("\n")));
    try {
      const started = await waitFor("lvq watch to start", 20_000, () =>
        err.find((l) => l.startsWith("watching DomainInfo")),
      );
      const node = nodeOfUrl(/broker at (\S+)/.exec(started)![1]!);
      await killNode(node);
      const line = await waitFor("the reconnect line", 15_000, () =>
        out.find((l) => l.includes("reconnected to the broker at")),
      );
      assert.match(
        line,
        /reconnected to the broker at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:568[123]; resynced: \d+ agent\(s\) answering/,
      );
      assert.notEqual(nodeOfUrl(/at (amqp:\S+);/.exec(line)![1]!), node);
      // It goes on: a change made now is printed.
      const d = agent.agent.session.objectId(`Domain:${names.domains[1]!.uuid}`) as ObjectId;
      await control.callMethod(d, "suspend", {});
      await waitFor("the change after the reconnect", 10_000, () =>
        out.find((l) => l.includes("changed") && l.includes("paused")),
      );
      assert.equal(out.filter((l) => l.includes("reconnected")).length, 1);
    } finally {
      watch.kill("SIGTERM");
      await allServing();
    }
  });

  test("a rolling restart of all three nodes under a suspend/resume loop on 10 agents: every call answered once or failed clearly, nothing ran twice, the view equals libvirt", async () => {
    const fleet = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        startAgent(`roll-${i}`, 2, { observer: new ExecutionLog() }),
      ),
    );
    const logs = fleet.map((f) => f.agent.agent.observer as ExecutionLog);
    const c = await openConsole(CLUSTER_URLS);
    for (const f of fleet) await c.waitForAgent(f.agent.name, 10_000);

    const outcomes = { ok: 0, failedClearly: 0, libvirt: 0, limited: 0, other: [] as string[] };
    let sent = 0;
    let stop = false;
    const loops = fleet.map(async (f) => {
      const d = f.agent.agent.session.objectId(`Domain:${f.names.domains[0]!.uuid}`) as ObjectId;
      for (let round = 0; !stop; round++) {
        const method = round % 2 === 0 ? "suspend" : "resume";
        sent++;
        try {
          await c.callMethod(d, method, {}, { timeoutMs: 8000 });
          outcomes.ok++;
        } catch (e) {
          if (isConnectionLost(e) || isTimeout(e) || isAgentLost(e)) outcomes.failedClearly++;
          // libvirt's refusal, e.g. resume of a running domain after a suspend that was lost.
          else if (e instanceof MethodError && e.code >= QmfStatus.USER) outcomes.libvirt++;
          // The agent's limit on requests a second per user: refused before it runs.
          else if (e instanceof MethodError && /too many requests/.test(e.message))
            outcomes.limited++;
          else outcomes.other.push(String(e));
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    });
    try {
      for (const n of NODES) {
        await stopNode(n);
        await new Promise((r) => setTimeout(r, 1500));
        await startNode(n);
        await new Promise((r) => setTimeout(r, 1500));
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    assert.deepEqual(outcomes.other, []);
    assert.equal(outcomes.ok + outcomes.failedClearly + outcomes.libvirt + outcomes.limited, sent);
    assert.ok(outcomes.ok > 20, `${outcomes.ok} calls succeeded`);
    for (const log of logs) assert.deepEqual(log.twice, []);
    const executed = logs.reduce((s, l) => s + l.total("qmf_methods_executed"), 0);
    assert.ok(
      executed <= sent && executed >= outcomes.ok + outcomes.libvirt,
      `${executed} of ${sent}`,
    );

    // Afterwards the console's view of every host equals libvirt's own (through the agent's
    // connection: each connection to a test-driver file has its own copy of the host).
    for (const f of fleet) await c.waitForAgent(f.agent.name, 10_000);
    await waitFor("the console's view to equal libvirt's", 15_000, async () => {
      for (const f of fleet) {
        const lv: LibvirtClient = f.agent.agent.libvirt.client;
        const truth = new Map<string, string>();
        for (const d of await lv.listAllDomains()) {
          const s = await lv.domainGetState(d);
          truth.set(d.uuid, s.state === 3 ? "paused" : s.state === 1 ? "running" : String(s.state));
        }
        const seen = await c.query({ agentName: f.agent.name, className: "DomainInfo" });
        for (const o of seen) {
          const uuid = o.objectId.objectName.split(":")[1]!;
          if (truth.get(uuid) !== o.values.state) return undefined;
        }
        if (seen.length !== truth.size) return undefined;
      }
      return true;
    });
  });

  test("a node cut off from the other two pauses (pause_minority): agents and consoles on it move to the majority", async () => {
    const { agent } = await startAgent("partition", 1);
    const cut = agentNode(agent);
    const c = await openConsole([nodeUrl(cut), ...others(cut).map(nodeUrl)], true);
    assert.equal(nodeOfUrl(c.brokerNode!), cut);
    try {
      await partitionNode(cut);
      await waitFor(
        "the agent to move to the majority",
        20_000,
        () =>
          !!agent.agent.session.getAttributes().broker_node &&
          nodeOfUrl(String(agent.agent.session.getAttributes().broker_node)) !== cut,
      );
      await waitFor(
        "the console to move to the majority",
        20_000,
        () => !!c.brokerNode && nodeOfUrl(c.brokerNode) !== cut,
      );
      assert.equal(await serving(cut), false, "the cut-off node stopped serving clients");
      await c.waitForAgent(agent.name, 10_000);
      const nodes = await c.query({ agentName: agent.name, className: "Node" });
      assert.equal(nodes.length, 1);
    } finally {
      await healNode(cut);
      await waitFor("the node to serve again", 30_000, async () => await serving(cut));
    }
  });
});

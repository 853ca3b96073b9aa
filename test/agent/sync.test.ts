// How the agent keeps its objects equal to libvirt, seen through a real console session:
// - a stats sweep is ONE bulk stats call (no per-domain GET_INFO) and publishes only what
//   changed (a domain whose values did not change sends no data indication);
// - the periodic full resync catches what no libvirt event announces (volumes created or
//   deleted behind the agent's back: libvirt has no volume events);
// - lifecycle events that happen while the broker is unreachable reach consoles after the
//   agent reconnects (its link goes through a small TCP relay of ours that the test cuts).
import assert from "node:assert/strict";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { SweepResult } from "../../src/agent/index.js";
import type { LibvirtClient, StoragePool } from "../../src/libvirt/index.js";
import type { ConsoleSession, QmfEvent, QmfObject } from "../../src/qmf/index.js";
import {
  type AgentHandle,
  objectsByName,
  openConsole,
  startTestAgent,
  tempDir,
} from "../support/agent.js";
import { BROKER } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const dir = tempDir("sync");
let qc: ConsoleSession;

before(async () => {
  qc = await openConsole();
});

after(async () => {
  await qc?.close();
  dir.remove();
});

/** Counts the RPCs of one procedure a (real) libvirt client makes; restore() undoes it. */
function countCalls(
  client: LibvirtClient,
  procedure: "CONNECT_GET_ALL_DOMAIN_STATS" | "DOMAIN_GET_INFO",
) {
  const orig = client.call;
  const counter = {
    n: 0,
    restore: () => {
      client.call = orig;
    },
  };
  client.call = ((proc, args, options) => {
    if (proc.name === procedure) counter.n++;
    return orig.call(client, proc, args, options);
  }) as typeof client.call;
  return counter;
}

/** Resolves with the next `n` sweeps the agent finishes. */
function nextSweeps(h: AgentHandle, n: number): Promise<SweepResult[]> {
  return new Promise((resolve) => {
    const seen: SweepResult[] = [];
    const on = (r: SweepResult) => {
      seen.push(r);
      if (seen.length === n) {
        h.agent.off("swept", on);
        resolve(seen);
      }
    };
    h.agent.on("swept", on);
  });
}

/**
 * A TCP relay to the broker that the test can cut (every connection reset, new ones refused
 * at once) and restore: the broker "goes away" for this agent only.
 */
async function brokerRelay() {
  const target = new URL(BROKER);
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port || 5672), target.hostname);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(BROKER);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("the agent follows libvirt", () => {
  test("a stats sweep is one bulk call, and values that did not change are not published again", async () => {
    const spec = {
      domains: 4,
      pools: 0,
      volumesPerPool: 0,
      runningDomains: false,
      namePrefix: `${uniqueName("sw")}-`,
    };
    const h = await startTestAgent({
      uri: writeTestDriverFile(join(dir.path, "sweep.xml"), spec),
      statsIntervalMs: 250,
    });
    const changed: QmfObject[] = [];
    const onChanged = (o: QmfObject) => {
      if (o.agentName === h.name && o.className === "DomainInfo") changed.push(o);
    };
    qc.on("objectChanged", onChanged);
    const client = h.agent.libvirt.client;
    try {
      await nextSweeps(h, 1); // settle: the first sweep after the start-up resync
      const bulk = countCalls(client, "CONNECT_GET_ALL_DOMAIN_STATS");
      const getInfo = countCalls(client, "DOMAIN_GET_INFO");
      changed.length = 0;
      // Four shut-off domains: nothing changes between sweeps, so nothing is published.
      const idle = await nextSweeps(h, 3);
      bulk.restore();
      getInfo.restore();
      assert.deepEqual(
        idle.map((r) => [r.domains, r.changed, r.stale]),
        [
          [4, 0, 0],
          [4, 0, 0],
          [4, 0, 0],
        ],
      );
      assert.equal(bulk.n, 3, "one CONNECT_GET_ALL_DOMAIN_STATS per sweep");
      assert.equal(getInfo.n, 0, "no per-domain GET_INFO in a sweep");
      // Give any stray indication time to arrive before counting.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(changed.length, 0, "unchanged domains send no data indication");
    } finally {
      qc.off("objectChanged", onChanged);
      await h.stop();
    }
  });

  test("the periodic resync publishes volumes created and deleted behind the agent's back", async () => {
    const spec = {
      domains: 0,
      pools: 1,
      volumesPerPool: 2,
      namePrefix: `${uniqueName("rs")}-`,
    };
    const names = testDriverNames(spec);
    const h = await startTestAgent({
      uri: writeTestDriverFile(join(dir.path, "resync.xml"), spec),
      resyncIntervalMs: 1000,
    });
    try {
      // The agent's own libvirt connection, used directly: the mirror is not told, and
      // libvirt raises no event for volumes (the test driver gives every connection to a
      // file its own private host, so virsh could not reach this one).
      const client = h.agent.libvirt.client;
      const pool: StoragePool = await client.storagePoolLookupByName(names.pools[0]!.name);
      const gone = names.pools[0]!.volumes[0]!;
      const vname = `${spec.namePrefix}behind`;
      const before = await objectsByName(qc, h.name, "Volume");
      assert.equal(before.size, 2);
      const t0 = BigInt(Date.now()) * 1_000_000n;
      const v = await client.storageVolCreateXml(
        pool,
        `<volume><name>${vname}</name><capacity unit='bytes'>1048576</capacity></volume>`,
      );
      await client.storageVolDelete(await client.storageVolLookupByName(pool, gone.name));

      const after = await waitFor(
        "the new volume published and the deleted one gone",
        5000,
        async () => {
          const vols = await objectsByName(qc, h.name, "Volume");
          return vols.has(`Volume:${v.key}`) && vols.size === 2 ? vols : undefined;
        },
      );
      const vo = after.get(`Volume:${v.key}`);
      assert.equal(vo?.values.name, vname);
      assert.equal(vo?.values.capacity, 1048576n);
      assert.equal(vo?.values.path, await client.storageVolGetPath(v));
      assert.deepEqual(
        [...after.values()].map((o) => o.values.name).sort(),
        [names.pools[0]!.volumes[1]!.name, vname].sort(),
      );
      // It was the resync that found them: Node.last_sync is after the change.
      const [node] = await qc.query({
        agentName: h.name,
        packageName: "Libvirt",
        className: "Node",
      });
      assert.ok((node?.values.last_sync as bigint) > t0, "a resync ran after the change");
    } finally {
      await h.stop();
    }
  });

  test("lifecycle events raised while the broker is unreachable reach the console after the reconnect", async () => {
    const relay = await brokerRelay();
    const spec = { domains: 1, pools: 0, volumesPerPool: 0, namePrefix: `${uniqueName("ev")}-` };
    const h = await startTestAgent({
      uri: writeTestDriverFile(join(dir.path, "events.xml"), spec),
      broker: relay.url,
      heartbeatIntervalMs: 1000,
    });
    const seen: QmfEvent[] = [];
    const onEvent = (e: QmfEvent) => {
      if (e.agentName === h.name) seen.push(e);
    };
    qc.on("event", onEvent);
    try {
      await qc.waitForAgent(h.name, 10_000);
      const lost = new Promise<void>((resolve) =>
        h.agent.session.once("disconnected", () => resolve()),
      );
      relay.cut();
      await lost;
      // While the agent cannot reach the broker: define and start a domain.
      const name = `${spec.namePrefix}offline`;
      const client = h.agent.libvirt.client;
      const d = await client.domainDefineXml(
        `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><os><type>hvm</type></os></domain>`,
      );
      await client.domainCreate(d);
      await waitFor(
        "the agent saw the domain start",
        5000,
        () => h.agent.session.getObject(`DomainInfo:${d.uuid}`)?.state === "running",
      );
      assert.equal(seen.length, 0, "nothing reached the console while the link was cut");
      relay.restore();
      const events = await waitFor("the two held events after the reconnect", 15_000, () => {
        const mine = seen.filter((e) => e.values.uuid === d.uuid);
        return mine.length >= 2 ? mine : undefined;
      });
      await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive by now
      assert.deepEqual(
        seen
          .filter((e) => e.values.uuid === d.uuid)
          .map((e) => `${e.values.event}/${e.values.detail}`),
        ["defined/added", "started/booted"],
      );
      assert.equal(events[0]?.values.name, name);
      // And the objects made meanwhile are published too.
      const [info] = await qc.query({
        agentName: h.name,
        packageName: "Libvirt",
        className: "DomainInfo",
        objectId: { agentName: h.name, objectName: `DomainInfo:${d.uuid}` },
      });
      assert.equal(info?.values.state, "running");
    } finally {
      qc.off("event", onEvent);
      await h.stop();
      await relay.close();
    }
  });
});

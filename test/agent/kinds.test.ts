// The table of kinds and the mirror that runs it, against a scripted libvirt host in memory
// (the real daemon's behaviour is covered by testdriver.test.ts and sync.test.ts): names,
// the number of libvirt calls per resync and sweep, deletions only after every listing
// succeeded, children deleted with their parent, and an event's read winning over a resync
// that began before it. Also: the table covers every class of schema/libvirt.xml.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLogger, defaultSchemaPath, KINDS } from "../../src/agent/index.js";
import { domainKind } from "../../src/agent/kinds/domain.js";
import { networkKind } from "../../src/agent/kinds/network.js";
import { poolKind } from "../../src/agent/kinds/pool.js";
import { snapshotKind } from "../../src/agent/kinds/snapshot.js";
import { MAX_HELD_EVENTS, Mirror, type Publisher } from "../../src/agent/mirror.js";
import {
  type Domain,
  type DomainSnapshot,
  ErrorCode,
  LibvirtError,
  ListDomainsFlags,
  ListNetworksFlags,
  type Network,
  type ReconnectingLibvirt,
  type StoragePool,
  type StorageVol,
} from "../../src/libvirt/index.js";
import { CountingObserver, type Observer } from "../../src/observe/observer.js";
import { ConnectionLostError, loadSchemaFile, ObjectId } from "../../src/qmf/index.js";

const notFound = (code: number, what: string) =>
  new LibvirtError({
    code,
    domain: 0,
    message: `${what} not found`,
    level: 2,
    str1: null,
    str2: null,
    str3: null,
    int1: 0,
    int2: 0,
  });

/** A libvirt host in memory, counting the calls made to it. */
function fakeHost() {
  /** A domain, with its snapshots as [name, parent name] and the current one's name. */
  type DomState = {
    d: Domain;
    state: number;
    snapshots: [string, string?][];
    current?: string;
    transient?: boolean;
    autostart?: boolean;
    managedSave?: boolean;
    /** The port of its VNC display. */
    vnc?: number;
  };
  const domains = new Map<string, DomState>();
  const pools = new Map<string, { p: StoragePool; vols: StorageVol[] }>();
  type NetState = { n: Network; active: boolean; transient: boolean; autostart: boolean };
  const networks = new Map<string, NetState>();
  const calls = new Map<string, number>();
  const world = {
    domains,
    pools,
    networks,
    calls,
    failPoolListing: false,
    /** The host's CPU counters (NODE_GET_CPU_STATS); it has no memory statistics. */
    cpu: { kernel: 10n, user: 20n, idle: 30n, iowait: 40n } as Record<string, bigint>,
    /** Held once: the next GET_INFO of this domain waits for `release`. */
    hold: undefined as { uuid: string; until: Promise<void> } | undefined,
    /** A domain; running ones (state 1) get an id and may have a VNC display. */
    addDomain(uuid: string, state = 5, more: Partial<DomState> = {}) {
      const id = state === 1 ? domains.size + 1 : -1;
      domains.set(uuid, { d: { name: `dom-${uuid}`, uuid, id }, state, snapshots: [], ...more });
    },
    addPool(uuid: string, volumes: string[]) {
      const p = { name: `pool-${uuid}`, uuid };
      pools.set(uuid, { p, vols: volumes.map((v) => ({ pool: p.name, name: v, key: `/${v}` })) });
    },
    addNetwork(uuid: string, facts: Omit<NetState, "n">) {
      networks.set(uuid, { n: { name: `net-${uuid}`, uuid }, ...facts });
    },
  };
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const counted =
    <A extends unknown[], T>(name: string, fn: (...a: A) => T) =>
    (...a: A): T => {
      count(name);
      return fn(...a);
    };
  const dom = (uuid: string) => {
    const x = domains.get(uuid);
    if (!x) throw notFound(ErrorCode.NO_DOMAIN, "domain");
    return x;
  };
  const net = (n: Network) => {
    const x = networks.get(n.uuid);
    if (!x) throw notFound(ErrorCode.NO_NETWORK, "network");
    return x;
  };
  /** The filters of virConnectListAllNetworks that the network row uses. */
  const netFilters: [number, (x: NetState) => boolean][] = [
    [ListNetworksFlags.ACTIVE, (x) => x.active],
    [ListNetworksFlags.TRANSIENT, (x) => x.transient],
    [ListNetworksFlags.AUTOSTART, (x) => x.autostart],
  ];
  /** The filters of virConnectListAllDomains that the domain row uses. */
  const domFilters: [number, (x: DomState) => boolean][] = [
    [ListDomainsFlags.HAS_SNAPSHOT, (x) => x.snapshots.length > 0],
    [ListDomainsFlags.TRANSIENT, (x) => x.transient === true],
    [ListDomainsFlags.AUTOSTART, (x) => x.autostart === true],
    [ListDomainsFlags.MANAGEDSAVE, (x) => x.managedSave === true],
  ];
  const snapshot = (s: DomainSnapshot) => {
    const x = dom(s.dom.uuid).snapshots.find(([name]) => name === s.name);
    if (!x) throw notFound(ErrorCode.NO_DOMAIN_SNAPSHOT, "snapshot");
    return x;
  };
  const records = () =>
    [...domains.values()].map((x) => ({
      domain: x.d,
      params: { "state.state": x.state, "state.reason": 1 },
    }));
  const client = {
    getType: async () => "TEST",
    getHostname: async () => "fake",
    getVersion: async () => 2n,
    getLibVersion: async () => 9_000_000n,
    nodeGetInfo: async () => ({
      model: "i686",
      memory: 1024n,
      cpus: 2,
      mhz: 1000,
      nodes: 1,
      sockets: 1,
      cores: 2,
      threads: 1,
    }),
    nodeGetCpuStats: counted("nodeGetCpuStats", async () => ({ ...world.cpu })),
    nodeGetMemoryStats: counted("nodeGetMemoryStats", async () => {
      throw notFound(ErrorCode.NO_SUPPORT, "virNodeGetMemoryStats"); // as the test driver says
    }),
    listAllDomains: counted("listAllDomains", async (flags: number) =>
      [...domains.values()]
        .filter((x) => domFilters.every(([bit, has]) => !(flags & bit) || has(x)))
        .map((x) => x.d),
    ),
    domainIsPersistent: counted("domainIsPersistent", async (d: Domain) => !dom(d.uuid).transient),
    domainGetAutostart: counted("domainGetAutostart", async (d: Domain) => !!dom(d.uuid).autostart),
    domainHasManagedSaveImage: counted(
      "domainHasManagedSaveImage",
      async (d: Domain) => !!dom(d.uuid).managedSave,
    ),
    domainGetXmlDesc: counted("domainGetXmlDesc", async (d: Domain) => {
      const port = dom(d.uuid).vnc;
      const g = port ? `<graphics type='vnc' port='${port}' listen='127.0.0.1'/>` : "";
      return `<domain type='test'><name>${d.name}</name><devices>${g}</devices></domain>`;
    }),
    domainListAllSnapshots: counted("domainListAllSnapshots", async (d: Domain) =>
      dom(d.uuid).snapshots.map(([name]) => ({ name, dom: d })),
    ),
    domainSnapshotGetXmlDesc: counted("domainSnapshotGetXmlDesc", async (s: DomainSnapshot) => {
      const [name, parent] = snapshot(s);
      const p = parent ? `<parent><name>${parent}</name></parent>` : "";
      return `<domainsnapshot><name>${name}</name><state>running</state>${p}<creationTime>100</creationTime><domain><name>not this</name></domain></domainsnapshot>`;
    }),
    domainSnapshotIsCurrent: counted(
      "domainSnapshotIsCurrent",
      async (s: DomainSnapshot) => snapshot(s)[0] === dom(s.dom.uuid).current,
    ),
    getAllDomainStats: counted("getAllDomainStats", async () => records()),
    getAllDomainStatsLazily: counted("getAllDomainStatsLazily", async () => records()),
    domainLookupByUuid: async (uuid: string) => dom(uuid).d,
    async domainGetInfo(d: Domain) {
      count("domainGetInfo");
      const state = dom(d.uuid).state; // what libvirt says when the call is made
      const hold = world.hold;
      if (hold?.uuid === d.uuid) {
        world.hold = undefined;
        await hold.until;
      }
      return { state, maxMem: 65536n, memory: 65536n, nrVirtCpu: 1, cpuTime: 0n };
    },
    domainGetState: counted("domainGetState", async (d: Domain) => ({
      state: dom(d.uuid).state,
      reason: 1,
    })),
    async listAllStoragePools() {
      if (world.failPoolListing) throw new Error("pool listing failed");
      return [...pools.values()].map((x) => x.p);
    },
    storagePoolLookupByUuid: async (uuid: string) => {
      const x = pools.get(uuid);
      if (!x) throw notFound(ErrorCode.NO_STORAGE_POOL, "pool");
      return x.p;
    },
    storagePoolGetInfo: async (p: StoragePool) => {
      if (!pools.has(p.uuid)) throw notFound(ErrorCode.NO_STORAGE_POOL, "pool");
      return { state: 2, capacity: 100n, allocation: 10n, available: 90n };
    },
    storagePoolListAllVolumes: async (p: StoragePool) => pools.get(p.uuid)?.vols ?? [],
    storageVolGetInfo: async () => ({ type: 0, capacity: 5n, allocation: 1n }),
    storageVolGetPath: async (v: StorageVol) => v.key,
    listAllNetworks: counted("listAllNetworks", async (flags: number) =>
      [...networks.values()]
        .filter((x) => netFilters.every(([bit, has]) => !(flags & bit) || has(x)))
        .map((x) => x.n),
    ),
    networkLookupByUuid: async (uuid: string) => net({ name: "", uuid }).n,
    networkIsActive: counted("networkIsActive", async (n: Network) => net(n).active),
    networkIsPersistent: counted("networkIsPersistent", async (n: Network) => !net(n).transient),
    networkGetAutostart: counted("networkGetAutostart", async (n: Network) => net(n).autostart),
    networkGetBridgeName: counted("networkGetBridgeName", async (n: Network) => {
      net(n);
      return `br-${n.uuid}`;
    }),
  };
  const libvirt = { connected: true, client } as unknown as ReconnectingLibvirt;
  return { world, libvirt };
}

/** A session that keeps the objects set on it, in order. */
function fakeSession() {
  const objects = new Map<string, Record<string, unknown>>();
  const order: string[] = [];
  const session: Publisher = {
    setObject(_cls, name, values) {
      objects.set(name, values);
      order.push(name);
    },
    deleteObject(_cls, name) {
      objects.delete(name);
    },
    objectId: (name) => new ObjectId("agent", name, 1),
    raiseEvent: async () => {},
  };
  return { session, objects, order };
}

function setup(overrides: Partial<Publisher> = {}, observer?: Observer) {
  const { world, libvirt } = fakeHost();
  const { session, objects, order } = fakeSession();
  const mirror = new Mirror({
    libvirt,
    session: { ...session, ...overrides },
    observer,
    hostUuid: "h1",
    publicUri: "test:///fake",
    log: createLogger({ level: "error" }),
  });
  return { world, mirror, objects, order };
}

const names = (objects: Map<string, unknown>) => [...objects.keys()].sort();

async function idle(mirror: Mirror): Promise<void> {
  while (mirror.busy > 0) await new Promise((r) => setImmediate(r));
}

describe("the kind table", () => {
  test("covers every class of the schema exactly once; rows that follow events can look up", async () => {
    const schema = await loadSchemaFile(await defaultSchemaPath());
    const published = KINDS.flatMap((k) => [...k.classes]).sort();
    assert.deepEqual(published, schema.classes.map((c) => c.name).sort());
    for (const k of KINDS) {
      if (k.events?.length) assert.ok(k.lookup, `${k.name} follows events but cannot look up`);
      if (k.parent) assert.ok(k.parent.row.childRef, `${k.name}'s parent has no childRef`);
    }
  });

  test("a resync publishes every kind as <class>:<key>, the state from the bulk record, the Node last", async () => {
    const { world, mirror, objects, order } = setup();
    world.addDomain("u1", 1);
    world.addDomain("u2");
    world.addPool("p1", ["a", "b"]);
    await mirror.resync();
    assert.deepEqual(names(objects), [
      "Domain:u1",
      "Domain:u2",
      "DomainInfo:u1",
      "DomainInfo:u2",
      "Node:h1",
      "NodeInfo:h1",
      "Pool:p1",
      "Volume:/a",
      "Volume:/b",
    ]);
    assert.equal(order.at(-1), "Node:h1", "the Node (with last_sync) is published at the end");
    assert.deepEqual(
      [...world.calls].sort(),
      [
        ["domainGetInfo", 2],
        ["domainGetXmlDesc", 1],
        ["getAllDomainStats", 1],
        ["listAllDomains", 5],
        ["listAllNetworks", 4],
        ["nodeGetCpuStats", 1],
        ["nodeGetMemoryStats", 1],
      ],
      "five domain listings (all, with snapshots, transient, autostart, managed save), one bulk stats call, one GET_INFO per domain, no GET_STATE, the XML of the running one; four network listings",
    );
    assert.equal(objects.get("DomainInfo:u1")?.state, "running");
    assert.equal(objects.get("Volume:/a")?.storage_pool?.toString(), "agent/Pool:p1");
    assert.equal((objects.get("Node:h1")?.last_sync as bigint) > 0n, true);
  });

  test("networks: a resync reads their state from four listings, an event reads one network whole", async () => {
    const { world, mirror, objects } = setup();
    world.addNetwork("n1", { active: true, transient: false, autostart: true });
    world.addNetwork("n2", { active: true, transient: true, autostart: false });
    world.addNetwork("n3", { active: false, transient: false, autostart: false });
    await mirror.resync();
    const facts = (uuid: string) => {
      const v = objects.get(`Network:${uuid}`);
      return [v?.name, v?.active, v?.persistent, v?.autostart, v?.bridge, String(v?.node)];
    };
    assert.deepEqual(["n1", "n2", "n3"].map(facts), [
      ["net-n1", true, true, true, "br-n1", "agent/Node:h1"],
      ["net-n2", true, false, false, "br-n2", "agent/Node:h1"],
      ["net-n3", false, true, false, "br-n3", "agent/Node:h1"],
    ]);
    const networkCalls = () =>
      [...world.calls].filter(([k]) => k.startsWith("network") || k === "listAllNetworks").sort();
    assert.deepEqual(networkCalls(), [
      ["listAllNetworks", 4],
      ["networkGetBridgeName", 3],
    ]);

    world.calls.clear();
    world.networks.get("n3")!.active = true; // started: libvirt says so, and an event comes
    const started = networkKind.events?.[0];
    assert.ok(started);
    mirror.onEvent(networkKind, started, {
      network: world.networks.get("n3")!.n,
      event: 2,
      detail: 0,
    });
    await idle(mirror);
    assert.deepEqual(facts("n3"), ["net-n3", true, true, false, "br-n3", "agent/Node:h1"]);
    assert.deepEqual(networkCalls(), [
      ["networkGetAutostart", 1],
      ["networkGetBridgeName", 1],
      ["networkIsActive", 1],
      ["networkIsPersistent", 1],
    ]);
    world.networks.delete("n2"); // destroyed, and transient: gone
    mirror.onEvent(networkKind, started, {
      network: { name: "net-n2", uuid: "n2" },
      event: 3,
      detail: 0,
    });
    await idle(mirror);
    assert.equal(objects.has("Network:n2"), false);
    assert.equal(mirror.count(networkKind), 2);
  });

  test("domain settings: a resync takes them from filtered listings; the XML is read for running domains first seen or after an event", async () => {
    const { world, mirror, objects } = setup();
    world.addDomain("u1", 1, { autostart: true, vnc: 5901 });
    world.addDomain("u2", 1, { transient: true });
    world.addDomain("u3", 5, { managedSave: true, vnc: 5903 });
    await mirror.resync();
    const shown = (uuid: string) => {
      const v = objects.get(`Domain:${uuid}`);
      return [v?.persistent, v?.autostart, v?.has_managed_save, v?.graphics];
    };
    assert.deepEqual(["u1", "u2", "u3"].map(shown), [
      [true, true, false, [{ type: "vnc", address: "127.0.0.1", port: 5901 }]],
      [false, false, false, []],
      [true, false, true, []],
    ]);
    const perDomain = ["domainIsPersistent", "domainGetAutostart", "domainHasManagedSaveImage"];
    assert.deepEqual(
      [...perDomain, "domainGetXmlDesc"].map((k) => world.calls.get(k) ?? 0),
      [0, 0, 0, 2],
      "no per-domain setting call; the XML of the two running domains only",
    );
    world.calls.clear();
    await mirror.resync();
    assert.equal(world.calls.get("domainGetXmlDesc"), undefined, "known domains: no XML again");
    assert.deepEqual(shown("u1"), [
      true,
      true,
      false,
      [{ type: "vnc", address: "127.0.0.1", port: 5901 }],
    ]);

    // u1's display moved and its autostart was turned off: its event reads both.
    world.domains.get("u1")!.vnc = 5911;
    world.domains.get("u1")!.autostart = false;
    const event = domainKind.events?.[0];
    assert.ok(event);
    mirror.onEvent(domainKind, event, { domain: world.domains.get("u1")!.d, event: 4, detail: 0 });
    await idle(mirror);
    assert.deepEqual(shown("u1"), [
      true,
      false,
      false,
      [{ type: "vnc", address: "127.0.0.1", port: 5911 }],
    ]);
    assert.deepEqual(
      [...perDomain, "domainGetXmlDesc"].map((k) => world.calls.get(k) ?? 0),
      [1, 1, 1, 1],
    );
  });

  test("snapshots: listed only for the domains a listing says have some; read again with their domain; gone with it", async () => {
    const { world, mirror, objects } = setup();
    world.addDomain("u1", 1);
    world.addDomain("u2", 1);
    world.addDomain("u3", 1);
    world.domains.get("u1")!.snapshots = [["s1"], ["s2", "s1"]];
    world.domains.get("u1")!.current = "s2";
    world.domains.get("u2")!.snapshots = [["s1"]];
    await mirror.resync();
    assert.deepEqual(
      names(objects).filter((n) => n.startsWith("Snapshot")),
      ["Snapshot:u1/s1", "Snapshot:u1/s2", "Snapshot:u2/s1"],
    );
    assert.deepEqual(
      [world.calls.get("domainListAllSnapshots"), world.calls.get("domainSnapshotGetXmlDesc")],
      [2, 3],
      "one listing per domain with snapshots, none for u3",
    );
    const s2 = objects.get("Snapshot:u1/s2")!;
    assert.deepEqual(
      [s2.name, String(s2.domain), String(s2.parent), s2.creation_time, s2.state, s2.is_current],
      ["s2", "agent/Domain:u1", "agent/Snapshot:u1/s1", 100_000_000_000n, "running", true],
    );
    assert.equal(objects.get("Snapshot:u1/s1")?.parent, undefined, "a root has no parent");
    assert.equal(objects.get("Snapshot:u1/s1")?.is_current, false);

    // s1 deleted behind the agent's back, s2 now a root; a domain event reads them again.
    world.domains.get("u1")!.snapshots = [["s2"]];
    const event = domainKind.events?.[0];
    assert.ok(event);
    mirror.onEvent(domainKind, event, { domain: world.domains.get("u1")!.d, event: 4, detail: 0 });
    await idle(mirror);
    assert.deepEqual(
      names(objects).filter((n) => n.startsWith("Snapshot:u1")),
      ["Snapshot:u1/s2"],
    );
    assert.equal(objects.get("Snapshot:u1/s2")?.parent, undefined);

    world.domains.delete("u2"); // undefined: its snapshots go with it
    mirror.onEvent(domainKind, event, {
      domain: { name: "dom-u2", uuid: "u2", id: -1 },
      event: 1,
      detail: 0,
    });
    await idle(mirror);
    assert.deepEqual(
      names(objects).filter((n) => n.startsWith("Snapshot")),
      ["Snapshot:u1/s2"],
    );
    assert.equal(mirror.count(snapshotKind), 1);
  });

  test("nothing is deleted while a listing fails; then a gone pool takes its volumes along", async () => {
    const { world, mirror, objects } = setup();
    world.addDomain("u1");
    world.addDomain("u2");
    world.addPool("p1", ["a"]);
    world.addPool("p2", ["b"]);
    await mirror.resync();
    world.domains.delete("u2");
    world.pools.delete("p2");
    world.failPoolListing = true;
    await assert.rejects(mirror.resync(), /pool listing failed/);
    assert.ok(objects.has("Domain:u2") && objects.has("Pool:p2") && objects.has("Volume:/b"));
    world.failPoolListing = false;
    await mirror.resync();
    assert.deepEqual(
      names(objects).filter((n) => !n.startsWith("Node")),
      ["Domain:u1", "DomainInfo:u1", "Pool:p1", "Volume:/a"],
    );
    assert.equal(mirror.count(poolKind), 1);
  });

  test("an event's read wins over the read of a resync that began before it", async () => {
    const { world, mirror, objects } = setup();
    world.addDomain("u1", 5);
    let release = () => {};
    world.hold = { uuid: "u1", until: new Promise<void>((r) => (release = r)) };
    const resync = mirror.resync();
    while (world.hold) await new Promise((r) => setImmediate(r)); // the resync's GET_INFO waits
    world.domains.get("u1")!.state = 1; // started meanwhile: libvirt says so, and an event comes
    const event = domainKind.events?.[0];
    assert.ok(event);
    mirror.onEvent(domainKind, event, { domain: world.domains.get("u1")!.d, event: 2, detail: 0 });
    await idle(mirror);
    assert.equal(objects.get("DomainInfo:u1")?.state, "running");
    release(); // the resync's answer (read before the start) arrives late
    await resync;
    assert.equal(objects.get("DomainInfo:u1")?.state, "running", "the older read was not used");
  });

  test("the host's statistics: read with the host and at each sweep, the ones libvirt refuses absent, not counted as domains", async () => {
    const { world, mirror, objects } = setup();
    world.addDomain("u1", 1);
    await mirror.resync();
    const stats = () => {
      const v = objects.get("Node:h1") ?? {};
      return [
        v.cpu_kernel,
        v.cpu_user,
        v.cpu_idle,
        v.cpu_iowait,
        v.memory_total,
        v.memory_free,
        v.memory_buffers,
        v.memory_cached,
      ];
    };
    assert.deepEqual(stats(), [10n, 20n, 30n, 40n, undefined, undefined, undefined, undefined]);
    world.cpu = { kernel: 11n, user: 21n, idle: 31n, iowait: 41n };
    world.calls.clear();
    const r = await mirror.sweep();
    assert.deepEqual(stats(), [11n, 21n, 31n, 41n, undefined, undefined, undefined, undefined]);
    assert.deepEqual([r?.domains, r?.changed, r?.stale], [1, 0, 0], "the host is not a domain");
    assert.deepEqual([...world.calls].sort(), [
      ["getAllDomainStatsLazily", 1],
      ["nodeGetCpuStats", 1],
      ["nodeGetMemoryStats", 1],
    ]);
  });

  test("a sweep is one bulk call; it reads unknown objects whole and re-reads missing ones", async () => {
    const { world, mirror, objects } = setup();
    world.addDomain("u1", 1);
    await mirror.resync();
    world.addDomain("u3", 1); // no event told the mirror
    world.domains.delete("u1"); // nor this
    world.calls.clear();
    const r = await mirror.sweep();
    await idle(mirror);
    assert.deepEqual([r?.domains, r?.changed, r?.stale], [1, 0, 0]);
    assert.equal(world.calls.get("getAllDomainStatsLazily"), 1);
    assert.deepEqual(
      names(objects).filter((n) => n.startsWith("Domain")),
      ["Domain:u3", "DomainInfo:u3"],
    );
  });

  test("the observer hears every sweep, and every event lost beyond those held while the broker is away", async () => {
    const observer = new CountingObserver();
    const { world, mirror } = setup(
      { raiseEvent: () => Promise.reject(new ConnectionLostError("broker away")) },
      observer,
    );
    world.addDomain("u1", 1);
    world.addDomain("u2", 5);
    await mirror.resync();
    await mirror.sweep();
    await mirror.sweep();
    assert.equal(observer.sweeps, 2);
    assert.deepEqual({ ...observer.lastSweep, ms: 0 }, { domains: 2, changed: 0, stale: 0, ms: 0 });
    const event = domainKind.events?.[0];
    assert.ok(event);
    const d = world.domains.get("u1")!.d;
    for (let i = 0; i < MAX_HELD_EVENTS + 3; i++)
      mirror.onEvent(domainKind, event, { domain: d, event: 2, detail: 0 });
    await idle(mirror);
    await new Promise((r) => setImmediate(r));
    assert.equal(observer.total("qmf_events_lost"), 3);
  });
});

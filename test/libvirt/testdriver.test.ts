// The client against the real libvirtd, test driver, each test on a private node file (a
// private in-memory hypervisor per connection): lifecycles with their events, storage, errors.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { voidCodec } from "../../src/libvirt/codec/index.js";
import {
  ConnectionLostError,
  connect,
  DomainCreateFlags,
  DomainEventStartedDetail,
  DomainEventStoppedDetail,
  DomainEventType,
  DomainState,
  DomainUndefineFlags,
  ErrorCode,
  Feature,
  InvalidArgumentError,
  isNoDomain,
  isNoStoragePool,
  isNoStorageVol,
  isNoSupport,
  isOperationInvalid,
  isXmlError,
  type LibvirtClient,
  LibvirtError,
  MigrateFlags,
  PoolEventType,
  PoolState,
  ReconnectingLibvirt,
  StatsTypes,
  TypedParamType,
} from "../../src/libvirt/index.js";
import { DEFAULT_SOCKET_PATH } from "../../src/libvirt/transport/index.js";
import { expectEvents } from "../support/events.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

let dir: string;
const clients: LibvirtClient[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), "lvq-testdriver-"));
});
after(async () => {
  for (const c of clients) await c.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(
  spec: Parameters<typeof writeTestDriverFile>[1],
  file = `node-${clients.length}.xml`,
): Promise<LibvirtClient> {
  const c = await connect(writeTestDriverFile(join(dir, file), spec));
  clients.push(c);
  return c;
}

const TEST_DOMAIN = (name: string) =>
  `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>`;

describe("connection and node", () => {
  it("reads the generated host exactly", async () => {
    const spec = { domains: 3, pools: 2, volumesPerPool: 2, hostName: "host-a", namePrefix: "cn-" };
    const c = await open(spec);
    const names = testDriverNames(spec);
    assert.equal(await c.getType(), "TEST");
    assert.equal(await c.getUri(), `test://${join(dir, `node-0.xml`)}`);
    assert.equal(await c.getVersion(), 2n);
    assert.ok((await c.getLibVersion()) >= 9_000_000n);
    assert.deepEqual(await c.nodeGetInfo(), {
      model: "host-a",
      memory: 16777216n,
      cpus: 4,
      mhz: 2400,
      nodes: 1,
      sockets: 1,
      cores: 4,
      threads: 1,
    });
    assert.deepEqual(Object.keys(await c.nodeGetCpuStats()).sort(), [
      "idle",
      "iowait",
      "kernel",
      "user",
    ]);
    const doms = await c.listAllDomains();
    assert.deepEqual(
      doms.map((d) => [d.name, d.uuid]).sort(),
      names.domains.map((d) => [d.name, d.uuid]).sort(),
    );
    for (const d of doms) assert.equal((await c.domainGetState(d)).state, DomainState.RUNNING);
    const stats = await c.getAllDomainStats([], StatsTypes.STATE);
    assert.equal(stats.length, 3);
    for (const s of stats) assert.deepEqual(s.params, { "state.state": 1, "state.reason": 0 });
    const pools = await c.listAllStoragePools();
    assert.deepEqual(
      pools.map((p) => [p.name, p.uuid]).sort(),
      names.pools.map((p) => [p.name, p.uuid]).sort(),
    );
    for (const p of pools) {
      const expected = names.pools.find((x) => x.name === p.name);
      const vols = await c.storagePoolListAllVolumes(p);
      assert.deepEqual(
        vols.map((v) => [v.pool, v.name, v.key]).sort(),
        expected?.volumes.map((v) => [p.name, v.name, v.path]).sort(),
      );
      assert.deepEqual(await c.storageVolGetInfo(vols[0]!), {
        type: 0,
        capacity: 1048576n,
        allocation: 0n,
      });
    }
  });

  it("shut-off domains in the file are shut off; lookups by name and uuid agree", async () => {
    const c = await open({ domains: 2, pools: 0, volumesPerPool: 0, runningDomains: false });
    const [a] = await c.listAllDomains();
    assert.ok(a);
    assert.equal(a.id, -1);
    assert.deepEqual(await c.domainGetState(a), { state: DomainState.SHUTOFF, reason: 0 });
    assert.deepEqual(await c.domainLookupByName(a.name), a);
    assert.deepEqual(await c.domainLookupByUuid(a.uuid.toUpperCase()), a);
  });
});

describe("domain lifecycle with events", () => {
  it("define, start, suspend, resume, save, restore, shutdown, reboot, destroy, undefine", async () => {
    const c = await open({ domains: 0, pools: 0, volumesPerPool: 0 });
    await c.registerEvents(["domainLifecycle"]);
    const events: [string, number, number][] = [];
    c.on("domainLifecycle", (e) => events.push([e.domain.name, e.event, e.detail]));
    const expectLife = (step: string, ...want: [number, number][]) =>
      expectEvents(
        events,
        step,
        want.map(([e, d]): [string, number, number] => ["life-1", e, d]),
      );
    const info = async () => (await c.domainGetInfo(await c.domainLookupByName("life-1"))).state;

    let d = await c.domainDefineXml(TEST_DOMAIN("life-1"));
    assert.equal(d.id, -1);
    await expectLife("define", [DomainEventType.DEFINED, 0]);

    d = await c.domainCreate(d);
    assert.ok(d.id > 0);
    await expectLife("start", [DomainEventType.STARTED, DomainEventStartedDetail.BOOTED]);
    assert.equal(await info(), DomainState.RUNNING);

    await c.domainSuspend(d);
    await expectLife("suspend", [DomainEventType.SUSPENDED, 0]);
    assert.equal(await info(), DomainState.PAUSED);

    await c.domainResume(d);
    await expectLife("resume", [DomainEventType.RESUMED, 0]);

    const saved = join(dir, "life-1.save");
    await c.domainSave(d, saved);
    await expectLife("save", [DomainEventType.STOPPED, DomainEventStoppedDetail.SAVED]);
    assert.equal(await info(), DomainState.SHUTOFF);

    await c.domainRestore(saved);
    await expectLife("restore", [DomainEventType.STARTED, DomainEventStartedDetail.RESTORED]);
    assert.equal(await info(), DomainState.RUNNING);

    d = await c.domainLookupByName("life-1");
    await c.domainShutdown(d);
    await expectLife("shutdown", [DomainEventType.STOPPED, DomainEventStoppedDetail.SHUTDOWN]);
    assert.equal(await info(), DomainState.SHUTOFF);

    d = await c.domainCreate(d);
    await expectLife("start again", [DomainEventType.STARTED, DomainEventStartedDetail.BOOTED]);

    await c.domainReboot(d);
    await expectLife("reboot (the test driver emits no event)");
    assert.equal(await info(), DomainState.RUNNING);

    await c.domainDestroy(d);
    await expectLife("destroy", [DomainEventType.STOPPED, DomainEventStoppedDetail.DESTROYED]);

    await c.domainUndefine(d);
    await expectLife("undefine", [DomainEventType.UNDEFINED, 0]);
    assert.deepEqual(await c.listAllDomains(), []);
  });

  it("managed save, flags the driver refuses, and operations invalid in the current state", async () => {
    const c = await open({ domains: 0, pools: 0, volumesPerPool: 0 });
    let d = await c.domainDefineXml(TEST_DOMAIN("ms-1"));
    const paused = await c.domainCreate(d, DomainCreateFlags.PAUSED).catch((e: unknown) => e);
    assert.ok(paused instanceof LibvirtError);
    assert.deepEqual(
      [paused.libvirtCode, paused.message],
      [ErrorCode.INVALID_ARG, "unsupported flags (0x1) in function testDomainCreateWithFlags"],
    );
    assert.equal((await c.domainGetState(d)).state, DomainState.SHUTOFF);
    d = await c.domainCreate(d);
    const twice = await c.domainCreate(d).catch((e: unknown) => e);
    assert.ok(twice instanceof LibvirtError);
    assert.deepEqual(
      [twice.libvirtCode, twice.message],
      [ErrorCode.INTERNAL_ERROR, "internal error: Domain 'ms-1' is already running"],
    );
    await c.domainManagedSave(d);
    assert.equal((await c.domainGetState(d)).state, DomainState.SHUTOFF);
    assert.ok((await c.domainGetXmlDesc(d)).includes("<name>ms-1</name>"));
    const refused = await c.domainUndefine(d).catch((e: unknown) => e);
    assert.ok(isOperationInvalid(refused));
    assert.equal(
      refused.message,
      "Requested operation is not valid: Refusing to undefine while domain managed save image exists",
    );
    await c.domainUndefine(d, DomainUndefineFlags.MANAGED_SAVE);
    assert.deepEqual(await c.listAllDomains(), []);
  });
});

describe("storage pools and volumes with pool events", () => {
  it("define, build, start, refresh, volumes, destroy, delete, undefine", async () => {
    const c = await open({ domains: 0, pools: 0, volumesPerPool: 0 });
    await c.registerEvents(["poolLifecycle", "poolRefresh"]);
    const events: string[] = [];
    c.on("poolLifecycle", (e) => events.push(`${e.pool.name}:${e.event}:${e.detail}`));
    c.on("poolRefresh", (e) => events.push(`${e.pool.name}:refresh`));
    const expectPool = (step: string, ...want: string[]) => expectEvents(events, step, want);

    const p = await c.storagePoolDefineXml(
      "<pool type='dir'><name>sp-1</name><target><path>/lvq-test-driver/sp-1</path></target></pool>",
    );
    await expectPool("define", `sp-1:${PoolEventType.DEFINED}:0`);
    assert.equal((await c.storagePoolGetInfo(p)).state, PoolState.INACTIVE);
    await c.storagePoolBuild(p);
    await expectPool("build", `sp-1:${PoolEventType.CREATED}:0`);
    await c.storagePoolCreate(p);
    await expectPool("start", `sp-1:${PoolEventType.STARTED}:0`);
    assert.deepEqual(await c.storagePoolGetInfo(p), {
      state: PoolState.RUNNING,
      capacity: 107374182400n,
      allocation: 0n,
      available: 107374182400n,
    });
    await c.storagePoolRefresh(p);
    await expectPool("refresh", "sp-1:refresh");

    const v = await c.storageVolCreateXml(
      p,
      "<volume><name>vol-a</name><capacity unit='MiB'>2</capacity></volume>",
    );
    assert.deepEqual(v, { pool: "sp-1", name: "vol-a", key: "/lvq-test-driver/sp-1/vol-a" });
    assert.deepEqual(await c.storagePoolListAllVolumes(p), [v]);
    assert.deepEqual(await c.storageVolLookupByName(p, "vol-a"), v);
    assert.deepEqual(await c.storageVolLookupByKey(v.key), v);
    assert.deepEqual(await c.storageVolLookupByPath("/lvq-test-driver/sp-1/vol-a"), v);
    assert.equal(await c.storageVolGetPath(v), "/lvq-test-driver/sp-1/vol-a");
    assert.deepEqual(await c.storagePoolLookupByVolume(v), p);
    assert.deepEqual(await c.storagePoolLookupByName("sp-1"), p);
    assert.deepEqual(await c.storagePoolLookupByUuid(p.uuid), p);
    assert.deepEqual(await c.storageVolGetInfo(v), {
      type: 0,
      capacity: 2097152n,
      allocation: 2097152n,
    });
    const xml = await c.storageVolGetXmlDesc(v);
    assert.ok(xml.includes("<name>vol-a</name>"), xml);
    assert.ok(xml.includes("<capacity unit='bytes'>2097152</capacity>"), xml);
    assert.ok((await c.storagePoolGetXmlDesc(p)).includes("<path>/lvq-test-driver/sp-1</path>"));
    await c.storageVolDelete(v);
    assert.deepEqual(await c.storagePoolListAllVolumes(p), []);
    const gone = await c.storageVolLookupByKey(v.key).catch((e: unknown) => e);
    assert.ok(isNoStorageVol(gone));
    assert.equal(
      gone.message,
      "Storage volume not found: no storage vol with matching key '/lvq-test-driver/sp-1/vol-a'",
    );

    await c.storagePoolDestroy(p);
    await expectPool("destroy", `sp-1:${PoolEventType.STOPPED}:0`);
    await c.storagePoolDelete(p);
    await expectPool("delete", `sp-1:${PoolEventType.DELETED}:0`);
    await c.storagePoolUndefine(p);
    await expectPool("undefine", `sp-1:${PoolEventType.UNDEFINED}:0`);
    const noPool = await c.storagePoolLookupByName("sp-1").catch((e: unknown) => e);
    assert.ok(isNoStoragePool(noPool));
    assert.equal(noPool.libvirtCode, ErrorCode.NO_STORAGE_POOL);
  });

  it("a transient pool from XML is running at once", async () => {
    const c = await open({ domains: 0, pools: 0, volumesPerPool: 0 });
    const p = await c.storagePoolCreateXml(
      "<pool type='dir'><name>tp-1</name><target><path>/lvq-test-driver/tp-1</path></target></pool>",
    );
    assert.equal((await c.storagePoolGetInfo(p)).state, PoolState.RUNNING);
    await c.storagePoolDestroy(p);
    assert.deepEqual(await c.listAllStoragePools(), []);
  });
});

describe("event subscriptions", () => {
  it("kinds deregistered stop arriving, the others go on; registering again resumes them", async () => {
    const c = await open({ domains: 0, pools: 0, volumesPerPool: 0 });
    await c.registerEvents(["domainLifecycle", "poolLifecycle", "poolRefresh"]);
    const events: string[] = [];
    c.on("domainLifecycle", (e) => events.push(`${e.domain.name}:${e.event}`));
    c.on("poolLifecycle", (e) => events.push(`${e.pool.name}:${e.event}`));
    const pool = (name: string) =>
      `<pool type='dir'><name>${name}</name><target><path>/lvq-test-driver/${name}</path></target></pool>`;
    await c.domainDefineXml(TEST_DOMAIN("sub-1"));
    await c.storagePoolDefineXml(pool("sub-p1"));
    await waitFor("both families", 3000, () => events.length === 2);
    await c.deregisterEvents(["domainLifecycle"]);
    assert.deepEqual(c.registeredEvents, ["poolLifecycle", "poolRefresh"]);
    await c.domainDefineXml(TEST_DOMAIN("sub-2"));
    await c.storagePoolDefineXml(pool("sub-p2"));
    await waitFor("the pool event", 3000, () => events.length === 3);
    await new Promise((r) => setTimeout(r, 50)); // no domain event may follow
    await c.registerEvents(["domainLifecycle"]);
    await c.domainDefineXml(TEST_DOMAIN("sub-3"));
    await waitFor("the domain event again", 3000, () => events.length === 4);
    assert.deepEqual(events, [
      `sub-1:${DomainEventType.DEFINED}`,
      `sub-p1:${PoolEventType.DEFINED}`,
      `sub-p2:${PoolEventType.DEFINED}`,
      `sub-3:${DomainEventType.DEFINED}`,
    ]);
  });
});

describe("errors carry libvirt's code and text; the connection survives", () => {
  it("unknown domain, invalid XML, unsupported call, unknown procedure, bad arguments", async () => {
    const c = await open({ domains: 1, pools: 0, volumesPerPool: 0 });

    const noDom = await c.domainLookupByName("no-such-domain").catch((e: unknown) => e);
    assert.ok(noDom instanceof LibvirtError && isNoDomain(noDom));
    assert.deepEqual(
      [noDom.code, noDom.libvirtCode, noDom.domain, noDom.message],
      ["NO_DOMAIN", 42, 12, "Domain not found"],
    );

    const badXml = await c.domainDefineXml("<domain").catch((e: unknown) => e);
    assert.ok(isXmlError(badXml));
    assert.equal(badXml.libvirtCode, ErrorCode.XML_DETAIL);
    assert.equal(
      badXml.message,
      "(domain_definition):1: Couldn't find end of Start Tag domain line 1\n<domain\n-------^",
    );
    const noOs = await c
      .domainDefineXml("<domain type='test'><name>x</name></domain>")
      .catch((e: unknown) => e);
    assert.ok(isXmlError(noOs));
    assert.deepEqual(
      [noOs.libvirtCode, noOs.message],
      [27, "XML error: an os <type> must be specified"],
    );

    const unsupported = await c.nodeGetMemoryStats().catch((e: unknown) => e);
    assert.ok(isNoSupport(unsupported));
    assert.equal(
      unsupported.message,
      "this function is not supported by the connection driver: virNodeGetMemoryStats",
    );

    const unknownProc = await c
      .call({ name: "MADE_UP", number: 9999, args: voidCodec, ret: voidCodec }, undefined)
      .catch((e: unknown) => e);
    assert.ok(unknownProc instanceof LibvirtError);
    assert.deepEqual(
      [unknownProc.libvirtCode, unknownProc.message, unknownProc.procedure],
      [ErrorCode.RPC, "unknown procedure: 9999", "MADE_UP"],
    );

    const badUuid = await c.domainLookupByUuid("1234").catch((e: unknown) => e);
    assert.ok(badUuid instanceof InvalidArgumentError);
    assert.equal(badUuid.message, 'DOMAIN_LOOKUP_BY_UUID: uuid: not a UUID: "1234"');

    // Nothing above disturbed the connection or the host.
    assert.equal(c.closed, false);
    assert.equal((await c.listAllDomains()).length, 1);
  });

  it("peer-to-peer migration arguments decode on the daemon; the test driver does not migrate", async () => {
    const c = await open({ domains: 1, pools: 0, volumesPerPool: 0 });
    assert.equal(await c.supportsFeature(Feature.MIGRATION_P2P), false);
    const [d] = await c.listAllDomains();
    const err = await c
      .domainMigratePerform3Params(
        d!,
        "qemu+tcp://127.0.0.1:16510/system",
        [
          { field: "migrate_uri", type: TypedParamType.STRING, value: "tcp://127.0.0.1:49152" },
          { field: "bandwidth", type: TypedParamType.ULLONG, value: 100n },
          { field: "auto_converge.initial", type: TypedParamType.INT, value: 20 },
        ],
        MigrateFlags.PEER2PEER | MigrateFlags.LIVE,
      )
      .catch((e: unknown) => e);
    // Had the arguments been mis-encoded, the daemon would answer RPC (39) "Unable to decode".
    assert.ok(isNoSupport(err));
    assert.equal(
      err.message,
      "this function is not supported by the connection driver: virDomainMigratePerform3Params",
    );
    assert.equal((await c.domainGetState(d!)).state, DomainState.RUNNING);
  });

  it("bad URIs are refused before dialing", async () => {
    for (const [uri, msg] of [
      ["nonsense", 'not a libvirt URI: "nonsense"'],
      [
        "qemu+ssh://host/system",
        'libvirt URI qemu+ssh://host/system: transport "ssh" is not supported (only local unix sockets)',
      ],
      [
        "qemu://remote/system",
        'libvirt URI qemu://remote/system: remote host "remote" is not supported (use an SSH tunnel to the unix socket)',
      ],
    ] as const) {
      const err = await connect(uri).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidArgumentError, uri);
      assert.equal(err.message, msg);
    }
    const noSocket = await connect("test:///default", { socketPath: join(dir, "absent") }).catch(
      (e: unknown) => e,
    );
    assert.ok(noSocket instanceof ConnectionLostError);
    assert.equal(noSocket.code, "CONNECT_FAILED");
  });

  it("a read-only connection refuses writes with libvirt's OPERATION_DENIED", async () => {
    const uri = writeTestDriverFile(join(dir, "ro.xml"), {
      domains: 1,
      pools: 0,
      volumesPerPool: 0,
    });
    const c = await connect(uri, { readOnly: true });
    clients.push(c);
    const [d] = await c.listAllDomains();
    const err = await c.domainSuspend(d!).catch((e: unknown) => e);
    assert.ok(err instanceof LibvirtError);
    assert.equal(err.libvirtCode, ErrorCode.OPERATION_DENIED);
    assert.equal((await c.domainGetState(d!)).state, DomainState.RUNNING);
  });
});

describe("reconnecting against the real daemon through a cuttable proxy", () => {
  it("re-opens, re-registers, and receives events from the new connection", async () => {
    // A unix-socket proxy in front of libvirtd: cutting it is a link failure, not a restart.
    const proxyPath = join(dir, "proxy.sock");
    const proxy = new FaultProxy({ targetPath: DEFAULT_SOCKET_PATH, listenPath: proxyPath });
    await proxy.port();
    const uri = writeTestDriverFile(join(dir, "re.xml"), {
      domains: 0,
      pools: 0,
      volumesPerPool: 0,
    });
    const rl = new ReconnectingLibvirt(uri, { socketPath: proxyPath, minRetryDelayMs: 20 });
    const log: string[] = [];
    rl.on("disconnected", (e) => log.push(`disconnected ${e.name}`));
    rl.on("reconnected", () => log.push("reconnected"));
    const events: string[] = [];
    rl.on("domainLifecycle", (e) => events.push(`${e.domain.name}:${e.event}`));
    try {
      await rl.open();
      await rl.registerEvents(["domainLifecycle"]);
      await rl.client.domainDefineXml(TEST_DOMAIN("re-1"));
      await waitFor("first event", 3000, () => events.length === 1);
      proxy.resetAll();
      await waitFor("reconnect", 3000, () => log.length === 2);
      assert.deepEqual(log, ["disconnected ConnectionLostError", "reconnected"]);
      // A new connection to a custom file is a fresh private host: re-1 is gone.
      assert.deepEqual(await rl.client.listAllDomains(), []);
      await rl.client.domainDefineXml(TEST_DOMAIN("re-2"));
      await waitFor("event after reconnect", 3000, () => events.length === 2);
      assert.deepEqual(events, [
        `re-1:${DomainEventType.DEFINED}`,
        `re-2:${DomainEventType.DEFINED}`,
      ]);
    } finally {
      await rl.close();
      await proxy.close();
    }
  });
});

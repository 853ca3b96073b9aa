// Networks, snapshots, domain settings and node stats against the real libvirtd (test driver),
// each test on a private node file: every client method with its exact outcome, checked
// through a second call or the XML, and against virsh running the same steps on the same file.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { resolveUri } from "../../src/libvirt/client/uri.js";
import {
  connect,
  DomainMemoryModFlags,
  DomainSnapshotCreateFlags,
  DomainSnapshotDeleteFlags,
  DomainSnapshotListFlags,
  DomainSnapshotRevertFlags,
  DomainState,
  DomainUndefineFlags,
  DomainVcpuFlags,
  ErrorCode,
  InterfaceAddressesSource,
  isNoDomain,
  isNoDomainSnapshot,
  isNoNetwork,
  isNoSupport,
  LibvirtClient,
  LibvirtError,
  ListNetworksFlags,
  NetworkCreateFlags,
  NetworkDefineFlags,
  NetworkEventType,
  NetworkXmlFlags,
  NodeCpuStats,
  NodeMemoryStats,
} from "../../src/libvirt/index.js";
import { openUnixConnection } from "../../src/libvirt/transport/index.js";
import { expectEvents } from "../support/events.js";
import { writeTestDriverFile } from "../support/testdriver.js";

let dir: string;
const clients: LibvirtClient[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), "lvq-netsnap-"));
});
after(async () => {
  for (const c of clients) await c.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client on a fresh private host with no domains, pools or networks. */
async function open(): Promise<LibvirtClient> {
  const file = join(dir, `node-${clients.length}.xml`);
  const c = await connect(writeTestDriverFile(file, { domains: 0, pools: 0, volumesPerPool: 0 }));
  clients.push(c);
  return c;
}

/** The libvirt error a promise rejects with, as [code, message]. */
async function failure(p: Promise<unknown>): Promise<[number, string]> {
  const err = await p.then(
    () => assert.fail("expected a libvirt error"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof LibvirtError, String(err));
  return [err.libvirtCode, err.message];
}

const sortByName = <T extends { name: string }>(xs: T[]): T[] =>
  [...xs].sort((a, b) => a.name.localeCompare(b.name));

const NETWORK_XML = (name: string, bridge: string) =>
  `<network><name>${name}</name><bridge name='${bridge}'/><ip address='192.168.150.1' netmask='255.255.255.0'><dhcp><range start='192.168.150.2' end='192.168.150.254'/></dhcp></ip></network>`;

const DOMAIN_XML = (name: string, devices = "") =>
  `<domain type='test'><name>${name}</name><memory unit='KiB'>131072</memory><currentMemory unit='KiB'>65536</currentMemory><vcpu current='1'>4</vcpu><os><type>hvm</type></os><devices>${devices}</devices></domain>`;

const BALLOON = "<memballoon model='virtio'/>";
const INTERFACES = [
  "<interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='default'/></interface>",
  "<interface type='network'><mac address='52:54:00:aa:bb:02'/><source network='default'/></interface>",
  "<interface type='bridge'><mac address='52:54:00:aa:bb:03'/><source bridge='br0'/></interface>",
].join("");

/**
 * A client on a private host whose socket the test watches for network lifecycle events,
 * registered with the network event codecs (routing them is the client's event layer's job).
 */
async function openWatchingNetworks(): Promise<{ c: LibvirtClient; events: string[] }> {
  const uri = writeTestDriverFile(join(dir, `events-${clients.length}.xml`), {
    domains: 0,
    pools: 0,
    volumesPerPool: 0,
  });
  const { socketPath, openName } = resolveUri(uri);
  const rpc = await openUnixConnection(socketPath);
  const c = new LibvirtClient(uri, rpc);
  clients.push(c);
  await c.open(openName, false);
  const events: string[] = [];
  c.on("networkLifecycle", (e) => events.push(`${e.network.name}:${e.event}:${e.detail}`));
  await c.registerEvents(["networkLifecycle"]);
  return { c, events };
}

describe("virtual networks", () => {
  it("define, autostart, start, XML, destroy, undefine: each step as libvirt reports it, with its event", async () => {
    const { c, events } = await openWatchingNetworks();
    const expectNet = (step: string, ...want: string[]) => expectEvents(events, step, want);
    assert.deepEqual(await c.listAllNetworks(), []);

    const n = await c.networkDefineXml(NETWORK_XML("ln", "virbr10"));
    assert.equal(n.name, "ln");
    await expectNet("define", `ln:${NetworkEventType.DEFINED}:0`);
    assert.deepEqual(await c.networkLookupByName("ln"), n);
    assert.deepEqual(await c.networkLookupByUuid(n.uuid.toUpperCase()), n);
    assert.deepEqual(await c.listAllNetworks(), [n]);
    assert.deepEqual(
      [
        await c.networkIsActive(n),
        await c.networkIsPersistent(n),
        await c.networkGetAutostart(n),
        await c.networkGetBridgeName(n),
      ],
      [false, true, false, "virbr10"],
    );
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.INACTIVE), [n]);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.ACTIVE), []);

    await c.networkSetAutostart(n, true);
    assert.equal(await c.networkGetAutostart(n), true);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.AUTOSTART), [n]);
    await c.networkSetAutostart(n, false);
    assert.equal(await c.networkGetAutostart(n), false);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.NO_AUTOSTART), [n]);
    await expectNet("autostart (no event)");

    await c.networkCreate(n);
    await expectNet("start", `ln:${NetworkEventType.STARTED}:0`);
    assert.equal(await c.networkIsActive(n), true);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.ACTIVE), [n]);
    assert.deepEqual(await failure(c.networkCreate(n)), [
      ErrorCode.OPERATION_INVALID,
      "Requested operation is not valid: Network 'ln' is already running",
    ]);
    assert.equal(
      await c.networkGetXmlDesc(n),
      [
        "<network>",
        "  <name>ln</name>",
        `  <uuid>${n.uuid}</uuid>`,
        "  <bridge name='virbr10' stp='on' delay='0'/>",
        "  <ip address='192.168.150.1' netmask='255.255.255.0'>",
        "    <dhcp>",
        "      <range start='192.168.150.2' end='192.168.150.254'/>",
        "    </dhcp>",
        "  </ip>",
        "</network>",
        "",
      ].join("\n"),
    );
    // A network name already in use: libvirt's own error, naming the holder's UUID.
    assert.deepEqual(await failure(c.networkDefineXml(NETWORK_XML("ln", "virbr11"))), [
      ErrorCode.OPERATION_FAILED,
      `operation failed: network 'ln' already exists with uuid ${n.uuid}`,
    ]);

    await c.networkDestroy(n);
    await expectNet("destroy", `ln:${NetworkEventType.STOPPED}:0`);
    assert.equal(await c.networkIsActive(n), false);
    await c.networkUndefine(n);
    await expectNet("undefine", `ln:${NetworkEventType.UNDEFINED}:0`);
    const gone = await c.networkLookupByName("ln").catch((e: unknown) => e);
    assert.ok(isNoNetwork(gone));
    assert.equal(gone.message, "Network not found: no network with matching name 'ln'");
    assert.deepEqual(await failure(c.networkLookupByUuid(n.uuid)), [
      ErrorCode.NO_NETWORK,
      `Network not found: no network with matching uuid '${n.uuid}'`,
    ]);
    assert.deepEqual(await c.listAllNetworks(), []);
  });

  it("a transient network from XML runs at once and vanishes when destroyed", async () => {
    const { c, events } = await openWatchingNetworks();
    const n = await c.networkCreateXml(
      "<network><name>tn</name><bridge name='virbr12'/></network>",
    );
    await expectEvents(events, "start", [`tn:${NetworkEventType.STARTED}:0`]);
    assert.deepEqual([await c.networkIsActive(n), await c.networkIsPersistent(n)], [true, false]);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.TRANSIENT), [n]);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.PERSISTENT), []);
    assert.equal(
      await c.networkGetXmlDesc(n),
      `<network>\n  <name>tn</name>\n  <uuid>${n.uuid}</uuid>\n  <bridge name='virbr12' stp='on' delay='0'/>\n</network>\n`,
    );
    assert.deepEqual(await failure(c.networkUndefine(n)), [
      ErrorCode.OPERATION_INVALID,
      "Requested operation is not valid: Network 'tn' is still running",
    ]);
    await c.networkDestroy(n);
    await expectEvents(events, "stop", [`tn:${NetworkEventType.STOPPED}:0`]);
    assert.deepEqual(await c.listAllNetworks(), []);
    assert.ok(isNoNetwork(await c.networkLookupByUuid(n.uuid).catch((e: unknown) => e)));
  });

  it("the _FLAGS variants validate against libvirt's schema", async () => {
    const c = await open();
    const d = await c.networkDefineXml(NETWORK_XML("vd", "virbr13"), NetworkDefineFlags.VALIDATE);
    assert.deepEqual([await c.networkIsActive(d), await c.networkIsPersistent(d)], [false, true]);
    const t = await c.networkCreateXml(
      "<network><name>vt</name><bridge name='virbr14'/></network>",
      NetworkCreateFlags.VALIDATE,
    );
    assert.deepEqual([await c.networkIsActive(t), await c.networkIsPersistent(t)], [true, false]);
    assert.deepEqual(sortByName(await c.listAllNetworks()), [d, t]);
    const invalid =
      "XML document failed to validate against schema: Unable to validate doc against /usr/share/libvirt/schemas/network.rng\nElement network has extra content: bogus\n";
    const bogus = "<network><name>x</name><bogus/></network>";
    assert.deepEqual(await failure(c.networkDefineXml(bogus, NetworkDefineFlags.VALIDATE)), [
      ErrorCode.XML_INVALID_SCHEMA,
      invalid,
    ]);
    assert.deepEqual(await failure(c.networkCreateXml(bogus, NetworkCreateFlags.VALIDATE)), [
      ErrorCode.XML_INVALID_SCHEMA,
      invalid,
    ]);
    assert.deepEqual(await failure(c.networkDefineXml("<network>")), [
      ErrorCode.XML_DETAIL,
      "(network_definition):1: Premature end of data in tag network line 1\n<network>\n---------^",
    ]);
  });

  it("what the test driver does not support: DHCP leases, the inactive-XML flag", async () => {
    const c = await open();
    const n = await c.networkCreateXml(NETWORK_XML("dl", "virbr15"));
    for (const mac of [null, "52:54:00:aa:bb:01"]) {
      const err = await c.networkGetDhcpLeases(n, mac).catch((e: unknown) => e);
      assert.ok(isNoSupport(err));
      assert.equal(
        err.message,
        "this function is not supported by the connection driver: virNetworkGetDHCPLeases",
      );
    }
    assert.deepEqual(await failure(c.networkGetXmlDesc(n, NetworkXmlFlags.INACTIVE)), [
      ErrorCode.INVALID_ARG,
      "unsupported flags (0x1) in function testNetworkGetXMLDesc",
    ]);
  });
});

/** `<creationTime>` of a snapshot's XML. */
const creationTime = (xml: string): string =>
  /<creationTime>(\d+)<\/creationTime>/.exec(xml)?.[1] ?? "";
const names = (xs: { name: string }[]): string[] => xs.map((x) => x.name);

describe("domain snapshots", () => {
  it("create, list, tree, current, revert and delete, each as libvirt reports it", async () => {
    const c = await open();
    const d = await c.domainCreate(await c.domainDefineXml(DOMAIN_XML("sn")));
    assert.equal(await c.domainHasCurrentSnapshot(d), false);
    const none = await c.domainSnapshotCurrent(d).catch((e: unknown) => e);
    assert.ok(isNoDomainSnapshot(none));
    assert.equal(
      none.message,
      "Domain snapshot not found: the domain does not have a current snapshot",
    );

    const s1 = await c.domainSnapshotCreateXml(
      d,
      "<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>",
    );
    assert.deepEqual(s1, { name: "s1", dom: d });
    await c.domainSetMemoryFlags(d, 32768n, DomainMemoryModFlags.LIVE);
    const s2 = await c.domainSnapshotCreateXml(
      d,
      "<domainsnapshot><name>s2</name></domainsnapshot>",
    );
    // Without a name libvirt names the snapshot after its creation time.
    const s3 = await c.domainSnapshotCreateXml(d, "<domainsnapshot/>");
    assert.equal(s3.name, creationTime(await c.domainSnapshotGetXmlDesc(s3)));
    assert.deepEqual(
      await failure(
        c.domainSnapshotCreateXml(d, "<domainsnapshot><name>s1</name></domainsnapshot>"),
      ),
      [ErrorCode.OPERATION_FAILED, "operation failed: domain moment s1 already exists"],
    );

    assert.deepEqual(sortByName(await c.domainListAllSnapshots(d)), sortByName([s1, s2, s3]));
    assert.deepEqual(await c.domainListAllSnapshots(d, DomainSnapshotListFlags.TOPOLOGICAL), [
      s1,
      s2,
      s3,
    ]);
    assert.deepEqual(await c.domainListAllSnapshots(d, DomainSnapshotListFlags.ROOTS), [s1]);
    assert.deepEqual(await c.domainListAllSnapshots(d, DomainSnapshotListFlags.LEAVES), [s3]);
    assert.deepEqual(await c.domainSnapshotListAllChildren(s1), [s2]);
    assert.deepEqual(
      sortByName(await c.domainSnapshotListAllChildren(s1, DomainSnapshotListFlags.DESCENDANTS)),
      sortByName([s2, s3]),
    );
    assert.deepEqual(await c.domainSnapshotGetParent(s2), s1);
    assert.deepEqual(await c.domainSnapshotGetParent(s3), s2);
    assert.deepEqual(await failure(c.domainSnapshotGetParent(s1)), [
      ErrorCode.NO_DOMAIN_SNAPSHOT,
      "Domain snapshot not found: snapshot 's1' does not have a parent",
    ]);
    assert.deepEqual(await c.domainSnapshotCurrent(d), s3);
    assert.equal(await c.domainHasCurrentSnapshot(d), true);
    assert.deepEqual(
      [
        await c.domainSnapshotIsCurrent(s1),
        await c.domainSnapshotIsCurrent(s3),
        await c.domainSnapshotHasMetadata(s1),
      ],
      [false, true, true],
    );
    assert.deepEqual(await c.domainSnapshotLookupByName(d, "s2"), s2);
    assert.deepEqual(await failure(c.domainSnapshotLookupByName(d, "nope")), [
      ErrorCode.NO_DOMAIN_SNAPSHOT,
      "Domain snapshot not found: no domain snapshot with matching name 'nope'",
    ]);

    const xml = await c.domainSnapshotGetXmlDesc(s1);
    for (const part of [
      "<name>s1</name>",
      "<description>first</description>",
      "<state>running</state>",
      "<memory snapshot='internal'/>",
      "<currentMemory unit='KiB'>65536</currentMemory>",
    ]) {
      assert.ok(xml.includes(part), `${part} in\n${xml}`);
    }

    // Reverting brings back s1's memory size and makes s1 current.
    assert.equal((await c.domainGetInfo(d)).memory, 32768n);
    await c.domainRevertToSnapshot(s1);
    assert.equal((await c.domainGetInfo(d)).memory, 65536n);
    assert.deepEqual(await c.domainSnapshotCurrent(d), s1);
    // VIR_DOMAIN_RUNNING_FROM_SNAPSHOT = 4.
    assert.deepEqual(await c.domainGetState(d), { state: DomainState.RUNNING, reason: 4 });

    // A plain delete hands the children to the parent; CHILDREN takes the subtree.
    await c.domainSnapshotDelete(s2);
    assert.deepEqual(await c.domainSnapshotGetParent(s3), s1);
    assert.deepEqual(await failure(c.domainSnapshotLookupByName(d, "s2")), [
      ErrorCode.NO_DOMAIN_SNAPSHOT,
      "Domain snapshot not found: no domain snapshot with matching name 's2'",
    ]);
    await c.domainSnapshotDelete(s1, DomainSnapshotDeleteFlags.CHILDREN);
    assert.deepEqual(await c.domainListAllSnapshots(d), []);
    assert.equal(await c.domainHasCurrentSnapshot(d), false);
  });

  it("revert flags pick the state; undefine refuses while snapshots exist", async () => {
    const c = await open();
    let d = await c.domainCreate(await c.domainDefineXml(DOMAIN_XML("rv")));
    const h = await c.domainSnapshotCreateXml(
      d,
      "<domainsnapshot><name>h</name></domainsnapshot>",
      DomainSnapshotCreateFlags.HALT,
    );
    // VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT = 7.
    assert.deepEqual(await c.domainGetState(d), { state: DomainState.SHUTOFF, reason: 7 });
    await c.domainRevertToSnapshot(h, DomainSnapshotRevertFlags.PAUSED);
    // VIR_DOMAIN_PAUSED_FROM_SNAPSHOT = 7.
    assert.deepEqual(await c.domainGetState(d), { state: DomainState.PAUSED, reason: 7 });
    await c.domainRevertToSnapshot(h, DomainSnapshotRevertFlags.RUNNING);
    assert.deepEqual(await c.domainGetState(d), { state: DomainState.RUNNING, reason: 4 });
    assert.deepEqual(
      await failure(c.domainSnapshotDelete(h, DomainSnapshotDeleteFlags.METADATA_ONLY)),
      [ErrorCode.INVALID_ARG, "unsupported flags (0x2) in function testDomainSnapshotDelete"],
    );

    d = await c.domainLookupByName("rv");
    await c.domainDestroy(d);
    assert.deepEqual(await failure(c.domainUndefine(d)), [
      ErrorCode.OPERATION_INVALID,
      "Requested operation is not valid: cannot delete inactive domain with 1 snapshots",
    ]);
    await c.domainUndefine(d, DomainUndefineFlags.SNAPSHOTS_METADATA);
    assert.deepEqual(await c.listAllDomains(), []);
  });
});

describe("domain settings", () => {
  it("autostart, persistence and activity", async () => {
    const c = await open();
    const d = await c.domainDefineXml(DOMAIN_XML("as"));
    assert.equal(await c.domainGetAutostart(d), false);
    await c.domainSetAutostart(d, true);
    assert.equal(await c.domainGetAutostart(d), true);
    await c.domainSetAutostart(d, false);
    assert.equal(await c.domainGetAutostart(d), false);
    assert.deepEqual([await c.domainIsPersistent(d), await c.domainIsActive(d)], [true, false]);
    await c.domainCreate(d);
    assert.equal(await c.domainIsActive(d), true);

    const t = await c.domainCreateXml(DOMAIN_XML("tr"));
    assert.ok(t.id > 0);
    assert.deepEqual([await c.domainIsPersistent(t), await c.domainIsActive(t)], [false, true]);
    await c.domainDestroy(t);
    assert.ok(isNoDomain(await c.domainLookupByName("tr").catch((e: unknown) => e)));
  });

  it("vCPUs: live and config counts, the maximum, and libvirt's refusals", async () => {
    const c = await open();
    const d = await c.domainCreate(await c.domainDefineXml(DOMAIN_XML("vc")));
    assert.deepEqual(
      [await c.domainGetVcpusFlags(d), await c.domainGetVcpusFlags(d, DomainVcpuFlags.MAXIMUM)],
      [1, 4],
    );
    await c.domainSetVcpusFlags(d, 3, DomainVcpuFlags.LIVE | DomainVcpuFlags.CONFIG);
    assert.deepEqual(
      [
        await c.domainGetVcpusFlags(d, DomainVcpuFlags.LIVE),
        await c.domainGetVcpusFlags(d, DomainVcpuFlags.CONFIG),
        (await c.domainGetInfo(d)).nrVirtCpu,
      ],
      [3, 3, 3],
    );
    assert.ok(
      (await c.domainGetXmlDesc(d)).includes("<vcpu placement='static' current='3'>4</vcpu>"),
    );

    assert.deepEqual(await failure(c.domainSetVcpusFlags(d, 5, DomainVcpuFlags.LIVE)), [
      ErrorCode.INVALID_ARG,
      "invalid argument: requested cpu amount exceeds maximum (5 > 4)",
    ]);
    assert.deepEqual(await failure(c.domainSetVcpusFlags(d, 0, DomainVcpuFlags.LIVE)), [
      ErrorCode.INVALID_ARG,
      "nvcpus in virDomainSetVcpusFlags must not be zero",
    ]);
    assert.deepEqual(
      await failure(c.domainSetVcpusFlags(d, 6, DomainVcpuFlags.MAXIMUM | DomainVcpuFlags.LIVE)),
      [
        ErrorCode.INVALID_ARG,
        "Flag 'VIR_DOMAIN_AFFECT_CONFIG' is required by flag 'VIR_DOMAIN_VCPU_MAXIMUM'",
      ],
    );
    assert.deepEqual(await failure(c.domainSetVcpusFlags(d, 2, DomainVcpuFlags.GUEST)), [
      ErrorCode.INVALID_ARG,
      "unsupported flags (0x8) in function testDomainSetVcpusFlags",
    ]);

    // A new maximum goes to the persistent definition only.
    await c.domainSetVcpusFlags(d, 6, DomainVcpuFlags.MAXIMUM | DomainVcpuFlags.CONFIG);
    assert.equal(
      await c.domainGetVcpusFlags(d, DomainVcpuFlags.MAXIMUM | DomainVcpuFlags.CONFIG),
      6,
    );
    assert.equal(await c.domainGetVcpusFlags(d, DomainVcpuFlags.MAXIMUM | DomainVcpuFlags.LIVE), 4);
    assert.ok(
      (await c.domainGetXmlDesc(d, 2 /* VIR_DOMAIN_XML_INACTIVE */)).includes(
        "<vcpu placement='static' current='3'>6</vcpu>",
      ),
    );
    await c.domainDestroy(d);
    assert.deepEqual(await failure(c.domainSetVcpusFlags(d, 2, DomainVcpuFlags.LIVE)), [
      ErrorCode.OPERATION_INVALID,
      "Requested operation is not valid: domain is not running",
    ]);
  });

  it("memory: live, config and maximum, and libvirt's refusals", async () => {
    const c = await open();
    const d = await c.domainCreate(await c.domainDefineXml(DOMAIN_XML("mem")));
    await c.domainSetMemoryFlags(d, 32768n, DomainMemoryModFlags.LIVE);
    const info = await c.domainGetInfo(d);
    assert.deepEqual([info.memory, info.maxMem], [32768n, 131072n]);
    await c.domainSetMemoryFlags(d, 49152n, DomainMemoryModFlags.CONFIG);
    await c.domainSetMemoryFlags(
      d,
      262144n,
      DomainMemoryModFlags.MAXIMUM | DomainMemoryModFlags.CONFIG,
    );
    const inactive = await c.domainGetXmlDesc(d, 2 /* VIR_DOMAIN_XML_INACTIVE */);
    assert.ok(inactive.includes("<memory unit='KiB'>262144</memory>"), inactive);
    assert.ok(inactive.includes("<currentMemory unit='KiB'>49152</currentMemory>"), inactive);
    assert.deepEqual((await c.domainGetInfo(d)).memory, 32768n);

    assert.deepEqual(
      await failure(c.domainSetMemoryFlags(d, 1048576n, DomainMemoryModFlags.LIVE)),
      [ErrorCode.INVALID_ARG, "invalid argument: cannot set memory higher than max memory"],
    );
    assert.deepEqual(
      await failure(
        c.domainSetMemoryFlags(
          d,
          262144n,
          DomainMemoryModFlags.MAXIMUM | DomainMemoryModFlags.LIVE,
        ),
      ),
      [
        ErrorCode.OPERATION_INVALID,
        "Requested operation is not valid: cannot resize the maximum memory on an active domain",
      ],
    );
    await c.domainDestroy(d);
    assert.deepEqual(await failure(c.domainSetMemoryFlags(d, 16384n, DomainMemoryModFlags.LIVE)), [
      ErrorCode.OPERATION_INVALID,
      "Requested operation is not valid: domain is not running",
    ]);
  });

  it("the balloon's stats period needs a balloon; it shows in the live and config XML", async () => {
    const c = await open();
    const plain = await c.domainCreate(await c.domainDefineXml(DOMAIN_XML("nb")));
    assert.deepEqual(
      await failure(c.domainSetMemoryStatsPeriod(plain, 5, DomainMemoryModFlags.LIVE)),
      [
        ErrorCode.INTERNAL_ERROR,
        "internal error: No memory balloon device configured, can not set the collection period",
      ],
    );
    const d = await c.domainCreate(await c.domainDefineXml(DOMAIN_XML("bl", BALLOON)));
    await c.domainSetMemoryStatsPeriod(d, 5, DomainMemoryModFlags.LIVE);
    await c.domainSetMemoryStatsPeriod(d, 7, DomainMemoryModFlags.CONFIG);
    const balloon = (xml: string) => /<memballoon[\s\S]*?<\/memballoon>/.exec(xml)?.[0];
    assert.equal(
      balloon(await c.domainGetXmlDesc(d)),
      "<memballoon model='virtio'>\n      <stats period='5'/>\n    </memballoon>",
    );
    assert.equal(
      balloon(await c.domainGetXmlDesc(d, 2 /* VIR_DOMAIN_XML_INACTIVE */)),
      "<memballoon model='virtio'>\n      <stats period='7'/>\n    </memballoon>",
    );
  });

  it("interface addresses: the test driver's made-up addresses, whatever the source", async () => {
    const c = await open();
    await c.networkCreateXml(
      "<network><name>default</name><bridge name='virbr0'/><ip address='192.168.122.1' netmask='255.255.255.0'/></network>",
    );
    const d = await c.domainDefineXml(DOMAIN_XML("ia", INTERFACES));
    assert.deepEqual(await failure(c.domainInterfaceAddresses(d, InterfaceAddressesSource.LEASE)), [
      ErrorCode.OPERATION_INVALID,
      "Requested operation is not valid: domain is not running",
    ]);
    const running = await c.domainCreate(d);
    // Made up from the interface's index: the network's address + 1 + index for a network
    // interface, 192.168.0.(1 + index) for any other.
    const expected = [
      ["testnet0", "52:54:00:aa:bb:01", "192.168.122.2"],
      ["testnet1", "52:54:00:aa:bb:02", "192.168.122.3"],
      ["testnet2", "52:54:00:aa:bb:03", "192.168.0.3"],
    ].map(([name, hwaddr, addr]) => ({ name, hwaddr, addrs: [{ type: 0, addr, prefix: 24 }] }));
    for (const source of Object.values(InterfaceAddressesSource)) {
      assert.deepEqual(
        await c.domainInterfaceAddresses(running, source),
        expected,
        `source ${source}`,
      );
    }
  });

  it("managed save: image present after save, gone after remove", async () => {
    const c = await open();
    const d = await c.domainCreate(await c.domainDefineXml(DOMAIN_XML("ms")));
    assert.equal(await c.domainHasManagedSaveImage(d), false);
    await c.domainManagedSave(d);
    assert.equal(await c.domainHasManagedSaveImage(d), true);
    // VIR_DOMAIN_SHUTOFF_SAVED = 5.
    assert.deepEqual(await c.domainGetState(d), { state: DomainState.SHUTOFF, reason: 5 });
    await c.domainManagedSaveRemove(d);
    assert.equal(await c.domainHasManagedSaveImage(d), false);
    await c.domainCreate(d);
    // VIR_DOMAIN_RUNNING_BOOTED = 1: a fresh boot, not a restore.
    assert.deepEqual(await c.domainGetState(d), { state: DomainState.RUNNING, reason: 1 });
  });
});

describe("node statistics", () => {
  it("CPU stats are the test driver's fixed counters; memory stats are unsupported", async () => {
    const c = await open();
    const fixed = {
      user: 9797400000n,
      kernel: 34678723400000n,
      idle: 87264900000n,
      iowait: 763600000n,
    };
    assert.deepEqual(await c.nodeGetCpuStats(NodeCpuStats.ALL_CPUS), fixed);
    // The driver ignores the CPU number.
    assert.deepEqual(await c.nodeGetCpuStats(0), fixed);
    const err = await c.nodeGetMemoryStats(NodeMemoryStats.ALL_CELLS).catch((e: unknown) => e);
    assert.ok(isNoSupport(err));
    assert.equal(
      err.message,
      "this function is not supported by the connection driver: virNodeGetMemoryStats",
    );
  });
});

describe("agreement with virsh", () => {
  it("virsh running the same steps on the same node file reports the same state", async () => {
    // virsh cannot see our private host, so it runs the same steps on its own copy of the
    // same file (one virsh process, one connection) and both reports are compared.
    const file = join(dir, "virsh-node.xml");
    writeFileSync(
      file,
      [
        "<node>",
        `  ${DOMAIN_XML("vd", "<interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='vnet'/></interface>")}`,
        "  <network><name>vnet</name><bridge name='virbr5'/><ip address='192.168.160.1' netmask='255.255.255.0'/></network>",
        "</node>",
      ].join("\n"),
    );
    const steps = [
      "net-autostart vnet",
      "echo @@",
      "net-info vnet",
      "echo @@",
      "setvcpus vd 3 --live --config",
      "setmem vd 32768 --live",
      "autostart vd",
      "echo @@",
      "dominfo vd",
      "echo @@",
      "snapshot-create-as vd s1",
      "snapshot-create-as vd s2",
      "echo @@",
      "snapshot-list vd --name",
      "echo @@",
      "snapshot-revert vd s1",
      "echo @@",
      "snapshot-current vd --name",
      "echo @@",
      "domifaddr vd",
      "echo @@",
      "snapshot-delete vd s1 --children",
      "echo @@",
      "snapshot-list vd --name",
    ];
    const { stdout } = await promisify(execFile)("virsh", [
      "-q",
      "-c",
      `test://${file}`,
      steps.join("; "),
    ]);
    const parts = stdout.split("@@").map((p) => p.trim());
    const fields = (text: string) =>
      Object.fromEntries(
        text.split("\n").map((l) => {
          const at = l.indexOf(":");
          return [l.slice(0, at).trim(), l.slice(at + 1).trim()];
        }),
      );
    const lines = (text: string) => (text === "" ? [] : text.split("\n").map((l) => l.trim()));

    const c = await connect(`test+unix://${file}`);
    clients.push(c);
    const yesNo = (b: boolean) => (b ? "yes" : "no");
    const n = await c.networkLookupByName("vnet");
    await c.networkSetAutostart(n, true);
    const netInfo = fields(parts[1] ?? "");
    assert.deepEqual(
      [netInfo.Active, netInfo.Persistent, netInfo.Autostart, netInfo.Bridge],
      [
        yesNo(await c.networkIsActive(n)),
        yesNo(await c.networkIsPersistent(n)),
        yesNo(await c.networkGetAutostart(n)),
        await c.networkGetBridgeName(n),
      ],
    );
    assert.deepEqual([netInfo.Active, netInfo.Autostart, netInfo.Bridge], ["yes", "yes", "virbr5"]);

    const d = await c.domainLookupByName("vd");
    await c.domainSetVcpusFlags(d, 3, DomainVcpuFlags.LIVE | DomainVcpuFlags.CONFIG);
    await c.domainSetMemoryFlags(d, 32768n, DomainMemoryModFlags.LIVE);
    await c.domainSetAutostart(d, true);
    const info = await c.domainGetInfo(d);
    const dominfo = fields(parts[3] ?? "");
    assert.deepEqual(
      [
        dominfo["CPU(s)"],
        dominfo["Max memory"],
        dominfo["Used memory"],
        dominfo.Persistent,
        dominfo.Autostart,
        dominfo["Managed save"],
      ],
      [
        String(info.nrVirtCpu),
        `${info.maxMem} KiB`,
        `${info.memory} KiB`,
        yesNo(await c.domainIsPersistent(d)),
        (await c.domainGetAutostart(d)) ? "enable" : "disable",
        yesNo(await c.domainHasManagedSaveImage(d)),
      ],
    );
    assert.deepEqual(dominfo["CPU(s)"], "3");

    await c.domainSnapshotCreateXml(d, "<domainsnapshot><name>s1</name></domainsnapshot>");
    await c.domainSnapshotCreateXml(d, "<domainsnapshot><name>s2</name></domainsnapshot>");
    assert.deepEqual(lines(parts[5] ?? "").sort(), names(await c.domainListAllSnapshots(d)).sort());
    assert.deepEqual(lines(parts[5] ?? "").sort(), ["s1", "s2"]);
    await c.domainRevertToSnapshot(await c.domainSnapshotLookupByName(d, "s1"));
    assert.equal(parts[7], (await c.domainSnapshotCurrent(d)).name);

    // domifaddr: "name  MAC  protocol  address/prefix" per row.
    const rows = lines(parts[8] ?? "").map((l) => l.split(/\s+/));
    const ours = (await c.domainInterfaceAddresses(d, InterfaceAddressesSource.LEASE)).flatMap(
      (i) =>
        i.addrs.map((a) => [
          i.name,
          i.hwaddr,
          a.type === 0 ? "ipv4" : "ipv6",
          `${a.addr}/${a.prefix}`,
        ]),
    );
    assert.deepEqual(rows, ours);
    assert.equal(rows.length, 1);

    await c.domainSnapshotDelete(
      await c.domainSnapshotLookupByName(d, "s1"),
      DomainSnapshotDeleteFlags.CHILDREN,
    );
    assert.deepEqual(lines(parts[10] ?? ""), names(await c.domainListAllSnapshots(d)));
    assert.deepEqual(lines(parts[10] ?? ""), []);
  });
});

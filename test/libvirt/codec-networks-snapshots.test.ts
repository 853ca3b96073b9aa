// The wire structs of networks, snapshots, domain settings and node stats: annotated golden
// bytes for each shape, the procedure numbers, and property round trips of the nested lists.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  domainSnapshot,
  EventFamilies,
  encodeToBuffer,
  network,
  RemoteProcedure,
} from "../../src/libvirt/codec/index.js";
import {
  InterfaceAddressesSource,
  NodeCpuStats,
  NodeMemoryStats,
} from "../../src/libvirt/index.js";
import { decodeAll, golden, hex } from "../support/golden.js";

const UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f";
const UUID_HEX = "6695eb01f6a4830479aa97f2502e193f";
const DOM = { name: "web", uuid: UUID, id: 3 };
const DOM_HEX = `00000003 77656200 ${UUID_HEX} 00000003 # dom: "web" + 1 pad, uuid, id 3`;
const NET = { name: "default", uuid: UUID };
const NET_HEX = `00000007 64656661756c7400 ${UUID_HEX} # net: "default" + 1 pad, uuid`;

/** name → number of the given rows of RemoteProcedure. */
const numbers = (...keys: (keyof typeof RemoteProcedure)[]) =>
  Object.fromEntries(keys.map((k) => [RemoteProcedure[k].name, RemoteProcedure[k].number]));

describe("networks: golden bytes", () => {
  it("remote_nonnull_network {name; uuid[16]}", () => {
    golden(network, NET, hex(NET_HEX));
  });

  it("procedure numbers are libvirt's", () => {
    assert.deepEqual(
      numbers(
        "networkCreate",
        "networkCreateXml",
        "networkDefineXml",
        "networkDestroy",
        "networkGetXmlDesc",
        "networkGetAutostart",
        "networkGetBridgeName",
        "networkLookupByName",
        "networkLookupByUuid",
        "networkSetAutostart",
        "networkUndefine",
        "networkIsActive",
        "networkIsPersistent",
        "connectListAllNetworks",
        "networkGetDhcpLeases",
        "networkDefineXmlFlags",
        "networkCreateXmlFlags",
      ),
      {
        NETWORK_CREATE: 39,
        NETWORK_CREATE_XML: 40,
        NETWORK_DEFINE_XML: 41,
        NETWORK_DESTROY: 42,
        NETWORK_GET_XML_DESC: 43,
        NETWORK_GET_AUTOSTART: 44,
        NETWORK_GET_BRIDGE_NAME: 45,
        NETWORK_LOOKUP_BY_NAME: 46,
        NETWORK_LOOKUP_BY_UUID: 47,
        NETWORK_SET_AUTOSTART: 48,
        NETWORK_UNDEFINE: 49,
        NETWORK_IS_ACTIVE: 152,
        NETWORK_IS_PERSISTENT: 153,
        CONNECT_LIST_ALL_NETWORKS: 283,
        NETWORK_GET_DHCP_LEASES: 341,
        NETWORK_DEFINE_XML_FLAGS: 432,
        NETWORK_CREATE_XML_FLAGS: 437,
      },
    );
  });

  it("CONNECT_LIST_ALL_NETWORKS: {int need_results; flags} → {nets<>; unsigned ret}", () => {
    golden(
      RemoteProcedure.connectListAllNetworks.args,
      { need_results: 1, flags: 2 },
      hex("00000001 # need_results\n 00000002 # flags: ACTIVE"),
    );
    golden(
      RemoteProcedure.connectListAllNetworks.ret,
      { nets: [NET], ret: 1 },
      hex(`00000001 # 1 network follows
           ${NET_HEX}
           00000001 # ret = 1`),
    );
  });

  it("NETWORK_SET_AUTOSTART {net; int autostart} and NETWORK_DEFINE_XML_FLAGS {xml; flags}", () => {
    golden(
      RemoteProcedure.networkSetAutostart.args,
      { net: NET, autostart: 1 },
      hex(`${NET_HEX}
           00000001 # autostart: int 1`),
    );
    golden(
      RemoteProcedure.networkDefineXmlFlags.args,
      { xml: "<network/>", flags: 1 },
      hex(`0000000a 3c6e6574776f726b2f3e 0000 # xml: 10 bytes + 2 pad
           00000001                         # flags: VALIDATE`),
    );
  });

  it("NETWORK_GET_DHCP_LEASES: {net; remote_string mac; need_results; flags} → {leases<>; ret}", () => {
    golden(
      RemoteProcedure.networkGetDhcpLeases.args,
      { net: NET, mac: null, need_results: 1, flags: 0 },
      hex(`${NET_HEX}
           00000000 # mac: NULL (every lease)
           00000001 # need_results
           00000000 # flags`),
    );
    golden(
      RemoteProcedure.networkGetDhcpLeases.ret,
      {
        leases: [
          {
            iface: "virbr0",
            expirytime: 1700000000n,
            type: 0,
            mac: "52:54:00:aa:bb:01",
            iaid: null,
            ipaddr: "192.168.122.3",
            prefix: 24,
            hostname: "guest1",
            clientid: null,
          },
        ],
        ret: 1,
      },
      hex(`00000001                                      # 1 lease follows
           00000006 766972627230 0000                    # iface "virbr0" + 2 pad
           000000006553f100                              # expirytime: hyper 1700000000
           00000000                                      # type: IPV4
           00000001 00000011 35323a35343a30303a61613a62623a3031 000000 # mac: present, 17 bytes + 3 pad
           00000000                                      # iaid: NULL
           0000000d 3139322e3136382e3132322e33 000000    # ipaddr: 13 bytes + 3 pad
           00000018                                      # prefix 24
           00000001 00000006 677565737431 0000           # hostname: present, "guest1" + 2 pad
           00000000                                      # clientid: NULL
           00000001                                      # ret = 1`),
    );
  });

  it("network events: register-any {eventID; remote_network net}, its callback id, the lifecycle message", () => {
    const row = EventFamilies.networkLifecycle;
    golden(
      row.register.args,
      { eventID: 0 },
      hex("00000000 # eventID: LIFECYCLE\n 00000000 # net: NULL (every network)"),
    );
    assert.deepEqual(
      [row.register.number, row.deregister.number, row.message.number],
      [313, 314, 315],
    );
    golden(row.register.ret, { callbackID: 7 }, hex("00000007 # callbackID"));
    golden(row.deregister.args, { callbackID: 7 }, hex("00000007 # callbackID"));
    golden(
      row.message.body,
      { callbackID: 7, net: NET, event: 2, detail: 0 },
      hex(`00000007 # callbackID
           ${NET_HEX}
           00000002 # event: STARTED
           00000000 # detail`),
    );
    assert.deepEqual(row.payload({ callbackID: 7, net: NET, event: 2, detail: 0 }), {
      network: NET,
      event: 2,
      detail: 0,
    });
  });
});

describe("snapshots: golden bytes", () => {
  it("remote_nonnull_domain_snapshot {name; remote_nonnull_domain dom}", () => {
    golden(
      domainSnapshot,
      { name: "s1", dom: DOM },
      hex(`00000002 73310000 # name "s1" + 2 pad
           ${DOM_HEX}`),
    );
  });

  it("procedure numbers are libvirt's", () => {
    assert.deepEqual(
      numbers(
        "domainSnapshotCreateXml",
        "domainSnapshotGetXmlDesc",
        "domainSnapshotLookupByName",
        "domainHasCurrentSnapshot",
        "domainSnapshotCurrent",
        "domainRevertToSnapshot",
        "domainSnapshotDelete",
        "domainSnapshotGetParent",
        "domainSnapshotIsCurrent",
        "domainSnapshotHasMetadata",
        "domainListAllSnapshots",
        "domainSnapshotListAllChildren",
      ),
      {
        DOMAIN_SNAPSHOT_CREATE_XML: 185,
        DOMAIN_SNAPSHOT_GET_XML_DESC: 186,
        DOMAIN_SNAPSHOT_LOOKUP_BY_NAME: 189,
        DOMAIN_HAS_CURRENT_SNAPSHOT: 190,
        DOMAIN_SNAPSHOT_CURRENT: 191,
        DOMAIN_REVERT_TO_SNAPSHOT: 192,
        DOMAIN_SNAPSHOT_DELETE: 193,
        DOMAIN_SNAPSHOT_GET_PARENT: 244,
        DOMAIN_SNAPSHOT_IS_CURRENT: 271,
        DOMAIN_SNAPSHOT_HAS_METADATA: 272,
        DOMAIN_LIST_ALL_SNAPSHOTS: 274,
        DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN: 275,
      },
    );
  });

  it("DOMAIN_SNAPSHOT_CREATE_XML {dom; xml_desc; flags} → {snap}", () => {
    golden(
      RemoteProcedure.domainSnapshotCreateXml.args,
      { dom: DOM, xml_desc: "<domainsnapshot/>", flags: 0 },
      hex(`${DOM_HEX}
           00000011 3c646f6d61696e736e617073686f742f3e 000000 # xml_desc: 17 bytes + 3 pad
           00000000 # flags`),
    );
    golden(
      RemoteProcedure.domainSnapshotCreateXml.ret,
      { snap: { name: "s1", dom: DOM } },
      hex(`00000002 73310000 ${DOM_HEX}`),
    );
  });

  it("DOMAIN_SNAPSHOT_LOOKUP_BY_NAME {dom; name; flags}, DOMAIN_SNAPSHOT_DELETE {snap; flags}", () => {
    golden(
      RemoteProcedure.domainSnapshotLookupByName.args,
      { dom: DOM, name: "s1", flags: 0 },
      hex(`${DOM_HEX}
           00000002 73310000 # name "s1"
           00000000          # flags`),
    );
    golden(
      RemoteProcedure.domainSnapshotDelete.args,
      { snap: { name: "s1", dom: DOM }, flags: 1 },
      hex(`00000002 73310000 ${DOM_HEX}
           00000001 # flags: CHILDREN`),
    );
  });

  it("DOMAIN_LIST_ALL_SNAPSHOTS → {snapshots<>; int ret} (signed, unlike the other lists)", () => {
    golden(
      RemoteProcedure.domainListAllSnapshots.args,
      { dom: DOM, need_results: 1, flags: 1024 },
      hex(`${DOM_HEX}
           00000001 # need_results
           00000400 # flags: TOPOLOGICAL`),
    );
    golden(
      RemoteProcedure.domainListAllSnapshots.ret,
      {
        snapshots: [
          { name: "s1", dom: DOM },
          { name: "s2", dom: DOM },
        ],
        ret: 2,
      },
      hex(`00000002                   # 2 snapshots follow
           00000002 73310000 ${DOM_HEX}
           00000002 73320000 ${DOM_HEX}
           00000002                   # ret = 2`),
    );
  });
});

describe("domain settings: golden bytes", () => {
  it("procedure numbers are libvirt's", () => {
    assert.deepEqual(
      numbers(
        "domainCreateXml",
        "domainGetAutostart",
        "domainSetAutostart",
        "domainIsActive",
        "domainIsPersistent",
        "domainManagedSave",
        "domainHasManagedSaveImage",
        "domainManagedSaveRemove",
        "domainSetVcpusFlags",
        "domainGetVcpusFlags",
        "domainSetMemoryFlags",
        "domainSetMemoryStatsPeriod",
        "domainInterfaceAddresses",
      ),
      {
        DOMAIN_CREATE_XML: 10,
        DOMAIN_GET_AUTOSTART: 15,
        DOMAIN_SET_AUTOSTART: 29,
        DOMAIN_IS_ACTIVE: 150,
        DOMAIN_IS_PERSISTENT: 151,
        DOMAIN_MANAGED_SAVE: 182,
        DOMAIN_HAS_MANAGED_SAVE_IMAGE: 183,
        DOMAIN_MANAGED_SAVE_REMOVE: 184,
        DOMAIN_SET_VCPUS_FLAGS: 199,
        DOMAIN_GET_VCPUS_FLAGS: 200,
        DOMAIN_SET_MEMORY_FLAGS: 204,
        DOMAIN_SET_MEMORY_STATS_PERIOD: 308,
        DOMAIN_INTERFACE_ADDRESSES: 353,
      },
    );
  });

  it("DOMAIN_SET_VCPUS_FLAGS {dom; unsigned nvcpus; flags}, DOMAIN_SET_MEMORY_FLAGS {dom; unsigned hyper memory; flags}", () => {
    golden(
      RemoteProcedure.domainSetVcpusFlags.args,
      { dom: DOM, nvcpus: 3, flags: 3 },
      hex(`${DOM_HEX}
           00000003 # nvcpus
           00000003 # flags: LIVE | CONFIG`),
    );
    golden(
      RemoteProcedure.domainSetMemoryFlags.args,
      { dom: DOM, memory: 4294967296n, flags: 6 },
      hex(`${DOM_HEX}
           0000000100000000 # memory: 2^32 KiB, an unsigned hyper
           00000006         # flags: CONFIG | MAXIMUM`),
    );
  });

  it("DOMAIN_SET_MEMORY_STATS_PERIOD {dom; int period; flags}, DOMAIN_SET_AUTOSTART {dom; int autostart}", () => {
    golden(
      RemoteProcedure.domainSetMemoryStatsPeriod.args,
      { dom: DOM, period: 5, flags: 1 },
      hex(`${DOM_HEX}
           00000005 # period: 5 s
           00000001 # flags: LIVE`),
    );
    golden(
      RemoteProcedure.domainSetAutostart.args,
      { dom: DOM, autostart: 0 },
      hex(`${DOM_HEX}
           00000000 # autostart: off`),
    );
    golden(RemoteProcedure.domainGetVcpusFlags.ret, { num: 4 }, hex("00000004 # num"));
  });

  it("DOMAIN_INTERFACE_ADDRESSES {dom; unsigned source; flags} → {ifaces<{name; remote_string hwaddr; addrs<{int type; addr; unsigned prefix}>}>}", () => {
    golden(
      RemoteProcedure.domainInterfaceAddresses.args,
      { dom: DOM, source: InterfaceAddressesSource.AGENT, flags: 0 },
      hex(`${DOM_HEX}
           00000001 # source: AGENT
           00000000 # flags`),
    );
    golden(
      RemoteProcedure.domainInterfaceAddresses.ret,
      {
        ifaces: [
          {
            name: "vnet0",
            hwaddr: "52:54:00:aa:bb:01",
            addrs: [{ type: 0, addr: "192.168.122.3", prefix: 24 }],
          },
          { name: "lo", hwaddr: null, addrs: [] },
        ],
      },
      hex(`00000002                                   # 2 interfaces follow
           00000005 766e657430 000000                 # name "vnet0" + 3 pad
           00000001 00000011 35323a35343a30303a61613a62623a3031 000000 # hwaddr: present, 17 bytes + 3 pad
           00000001                                   # 1 address follows
           00000000                                   # type: IPV4
           0000000d 3139322e3136382e3132322e33 000000 # addr: 13 bytes + 3 pad
           00000018                                   # prefix 24
           00000002 6c6f0000                          # name "lo" + 2 pad
           00000000                                   # hwaddr: NULL
           00000000                                   # no addresses`),
    );
  });
});

describe("node stats: golden bytes", () => {
  it("NODE_GET_CPU_STATS {int cpuNum; int nparams; flags} → {{field; unsigned hyper value}<16>; int nparams}", () => {
    golden(
      RemoteProcedure.nodeGetCpuStats.args,
      { cpuNum: NodeCpuStats.ALL_CPUS, nparams: 0, flags: 0 },
      hex(`ffffffff # cpuNum: -1, every CPU
           00000000 # nparams: 0 asks how many there are
           00000000 # flags`),
    );
    golden(
      RemoteProcedure.nodeGetCpuStats.ret,
      {
        params: [
          { field: "user", value: 9797400000n },
          { field: "kernel", value: 34678723400000n },
        ],
        nparams: 2,
      },
      hex(`00000002                          # 2 params follow
           00000004 75736572 0000000247f875c0 # "user": 9797400000 ns
           00000006 6b65726e656c 0000 00001f8a44fd5140 # "kernel" + 2 pad: 34678723400000 ns
           00000002                          # nparams`),
    );
  });

  it("NODE_GET_MEMORY_STATS {int nparams; int cellNum; flags}: cell after count", () => {
    golden(
      RemoteProcedure.nodeGetMemoryStats.args,
      { nparams: 4, cellNum: NodeMemoryStats.ALL_CELLS, flags: 0 },
      hex(`00000004 # nparams
           ffffffff # cellNum: -1, the whole host
           00000000 # flags`),
    );
  });
});

const plain = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.map((v) => ({ ...v }));
const optString = fc.option(fc.string({ maxLength: 30 }), { nil: null });

describe("property round trips", () => {
  it("DHCP leases (hyper expiry, four optional strings)", () => {
    const codec = RemoteProcedure.networkGetDhcpLeases.ret;
    const lease = plain(
      fc.record({
        iface: fc.string({ maxLength: 16 }),
        expirytime: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        type: fc.integer({ min: 0, max: 1 }),
        mac: optString,
        iaid: optString,
        ipaddr: fc.string({ maxLength: 40 }),
        prefix: fc.integer({ min: 0, max: 128 }),
        hostname: optString,
        clientid: optString,
      }),
    );
    fc.assert(
      fc.property(fc.array(lease, { maxLength: 8 }), (leases) => {
        const value = { leases, ret: leases.length };
        assert.deepEqual(decodeAll(codec, encodeToBuffer(codec, value)), value);
      }),
    );
  });

  it("guest interfaces with nested address lists", () => {
    const codec = RemoteProcedure.domainInterfaceAddresses.ret;
    const addr = plain(
      fc.record({
        type: fc.integer({ min: 0, max: 1 }),
        addr: fc.string({ maxLength: 40 }),
        prefix: fc.integer({ min: 0, max: 128 }),
      }),
    );
    const iface = plain(
      fc.record({
        name: fc.string({ maxLength: 16 }),
        hwaddr: optString,
        addrs: fc.array(addr, { maxLength: 4 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(iface, { maxLength: 6 }), (ifaces) => {
        assert.deepEqual(decodeAll(codec, encodeToBuffer(codec, { ifaces })), { ifaces });
      }),
    );
  });
});

// The Domain additions through the agent on libvirt's test driver, seen through a real console
// session on the real broker: persistent, autostart, has_managed_save and graphics equal what
// libvirt reports, set_autostart / set_vcpus / set_memory / managed_save change what libvirt
// reports (checked on the agent's own connection: a test-driver file gives each connection its
// own copy of the host), interface_addresses returns libvirt's list, libvirt's refusals keep
// their code and message; and on test:///default, read only, the properties agree with virsh.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { LIBVIRT_ERROR_BASE } from "../../src/agent/index.js";
import {
  type Domain,
  DomainVcpuFlags,
  ErrorCode,
  InterfaceAddressesSource,
  IpAddrType,
  type LibvirtClient,
} from "../../src/libvirt/index.js";
import { type ConsoleSession, type ObjectIdLike, QmfStatus } from "../../src/qmf/index.js";
import { type AgentHandle, objectsByName, startTestAgent } from "../support/agent.js";
import {
  type AgentView,
  agentView,
  refused,
  type ViewedAgent,
  viewedTestAgent,
} from "../support/agent-view.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const run = promisify(execFile);
const prefix = `${uniqueName("domset")}-`;
const spec = { domains: 2, pools: 0, volumesPerPool: 0, networks: 1, namePrefix: prefix };
const names = testDriverNames(spec);
const net0 = names.networks[0]!;

let h: AgentHandle;
let qc: ConsoleSession;
let lv: LibvirtClient;
let view: AgentView;

let t: ViewedAgent | undefined;

before(async () => {
  t = await viewedTestAgent("domset", spec);
  ({ h, qc, lv, view } = t);
});

after(() => t?.stop());

/** A test-driver domain: 128 MiB of which 64 in use, 1 of 4 vCPUs, with these devices. */
const domainXml = (name: string, devices = "") =>
  `<domain type='test'><name>${name}</name><memory unit='KiB'>131072</memory><currentMemory unit='KiB'>65536</currentMemory><vcpu current='1'>4</vcpu><os><type>hvm</type></os><devices>${devices}</devices></domain>`;

/** Defines a domain through the agent; its handle and object name. */
async function define(name: string, devices = ""): Promise<{ d: Domain; at: string }> {
  const out = await view.call(`Node:${h.agent.hostUuid}`, "define_domain_xml", {
    xml_desc: domainXml(name, devices),
  });
  const d = await lv.domainLookupByName(name);
  return { d, at: (out.domain as ObjectIdLike).objectName };
}

/** Maps and lists as plain objects (the console decodes maps without a prototype). */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** The settings libvirt reports of a domain, as the Domain properties say them. */
async function libvirtSettings(d: Domain) {
  return {
    persistent: await lv.domainIsPersistent(d),
    autostart: await lv.domainGetAutostart(d),
    has_managed_save: await lv.domainHasManagedSaveImage(d),
  };
}

/** The Domain object's settings. */
async function shownSettings(at: string) {
  const v = (await view.one("Domain", at))?.values ?? {};
  return { persistent: v.persistent, autostart: v.autostart, has_managed_save: v.has_managed_save };
}

describe("Domain additions through the agent", () => {
  test("persistent, autostart, has_managed_save and graphics of every domain equal libvirt's", async () => {
    const doms = await objectsByName(qc, h.name, "Domain");
    assert.equal(doms.size, 2);
    for (const d of await lv.listAllDomains()) {
      const o = doms.get(`Domain:${d.uuid}`);
      assert.ok(o);
      assert.deepEqual(await shownSettings(`Domain:${d.uuid}`), await libvirtSettings(d));
      assert.deepEqual(o.values.graphics, [], "the test file's domains have no display");
    }
  });

  test("graphics: where a running domain's display listens; none while it is shut off", async () => {
    const vnc =
      "<graphics type='vnc' port='5904' autoport='no' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>";
    const { d, at } = await define(`${prefix}gfx`, vnc);
    assert.deepEqual((await view.one("Domain", at))?.values.graphics, []);
    await view.call(at, "create");
    const shown = await view.when("Domain", at, (v) => v.id !== "-1", "running");
    assert.deepEqual(shown.graphics, [{ type: "vnc", address: "127.0.0.1", port: 5904 }]);
    const xml = await lv.domainGetXmlDesc(await lv.domainLookupByUuid(d.uuid));
    assert.match(xml, /<graphics type='vnc' port='5904' autoport='no' listen='127.0.0.1'>/);
    await view.call(at, "destroy");
    assert.deepEqual((await view.one("Domain", at))?.values.graphics, []);
    await view.call(at, "undefine");
  });

  test("set_autostart, and a transient domain is not persistent", async () => {
    const dn = names.domains[0]!;
    const at = `Domain:${dn.uuid}`;
    const d = await lv.domainLookupByUuid(dn.uuid);
    await view.call(at, "set_autostart", { autostart: true });
    assert.equal(await lv.domainGetAutostart(d), true);
    assert.deepEqual(await shownSettings(at), {
      persistent: true,
      autostart: true,
      has_managed_save: false,
    });
    await view.call(at, "set_autostart", { autostart: false });
    assert.deepEqual(await shownSettings(at), await libvirtSettings(d));
    assert.equal((await shownSettings(at)).autostart, false);

    const t = await lv.domainCreateXml(domainXml(`${prefix}transient`));
    const tat = `Domain:${t.uuid}`;
    await waitFor("the transient domain", 5000, () => view.one("Domain", tat));
    assert.deepEqual(await shownSettings(tat), {
      persistent: false,
      autostart: false,
      has_managed_save: false,
    });
    assert.deepEqual(await shownSettings(tat), await libvirtSettings(t));
    await lv.domainDestroy(t);
    await view.gone("Domain", tat, "the transient domain gone once stopped");
  });

  test("set_vcpus: live and config counts as libvirt reports them; libvirt's refusals", async () => {
    const { d, at } = await define(`${prefix}vcpu`);
    await view.call(at, "create");
    await view.call(at, "set_vcpus", { count: 3, flags: "live,config" });
    assert.deepEqual(
      [
        await lv.domainGetVcpusFlags(d, DomainVcpuFlags.LIVE),
        await lv.domainGetVcpusFlags(d, DomainVcpuFlags.CONFIG),
      ],
      [3, 3],
    );
    const info = await view.when(
      "DomainInfo",
      `DomainInfo:${d.uuid}`,
      (v) => v.num_vcpus === 3,
      "3",
    );
    assert.equal(info.num_vcpus, (await lv.domainGetInfo(d)).nrVirtCpu);
    await view.call(at, "set_vcpus", { count: 2 }); // the current definition: live
    assert.deepEqual(
      [
        await lv.domainGetVcpusFlags(d, DomainVcpuFlags.LIVE),
        await lv.domainGetVcpusFlags(d, DomainVcpuFlags.CONFIG),
      ],
      [2, 3],
    );
    assert.equal((await view.one("DomainInfo", `DomainInfo:${d.uuid}`))?.values.num_vcpus, 2);

    assert.deepEqual(await refused(view.call(at, "set_vcpus", { count: 5, flags: "live" })), {
      code: LIBVIRT_ERROR_BASE + ErrorCode.INVALID_ARG,
      text: "virDomainSetVcpusFlags: invalid argument: requested cpu amount exceeds maximum (5 > 4)",
    });
    assert.deepEqual(await refused(view.call(at, "set_vcpus", { count: 0, flags: "live" })), {
      code: LIBVIRT_ERROR_BASE + ErrorCode.INVALID_ARG,
      text: "virDomainSetVcpusFlags: nvcpus in virDomainSetVcpusFlags must not be zero",
    });
    assert.deepEqual(
      await refused(view.call(at, "set_vcpus", { count: 2, flags: "live,maximum" })),
      {
        code: QmfStatus.PARAMETER_INVALID,
        text: 'set_vcpus: argument flags has "maximum", not one of live, config',
      },
    );
    const negative = await refused(view.call(at, "set_vcpus", { count: -1 }));
    assert.equal(negative.code, QmfStatus.PARAMETER_INVALID);
    assert.equal(await lv.domainGetVcpusFlags(d, DomainVcpuFlags.LIVE), 2, "nothing changed");
    await view.call(at, "destroy");
    assert.deepEqual(await refused(view.call(at, "set_vcpus", { count: 2, flags: "live" })), {
      code: LIBVIRT_ERROR_BASE + ErrorCode.OPERATION_INVALID,
      text: "virDomainSetVcpusFlags: Requested operation is not valid: domain is not running",
    });
  });

  test("set_memory: live and config sizes as libvirt reports them; libvirt's refusals", async () => {
    const { d, at } = await define(`${prefix}mem`);
    await view.call(at, "create");
    await view.call(at, "set_memory", { memory: 32768n, flags: "live" });
    assert.equal((await lv.domainGetInfo(d)).memory, 32768n);
    const info = await view.when(
      "DomainInfo",
      `DomainInfo:${d.uuid}`,
      (v) => v.memory === 32768n,
      "32 MiB",
    );
    assert.equal(info.maximum_memory, 131072n);
    await view.call(at, "set_memory", { memory: 49152n, flags: "config" });
    const inactive = await lv.domainGetXmlDesc(d, 2 /* VIR_DOMAIN_XML_INACTIVE */);
    assert.match(inactive, /<currentMemory unit='KiB'>49152<\/currentMemory>/);
    assert.equal((await lv.domainGetInfo(d)).memory, 32768n, "the live size stays");
    assert.deepEqual(
      await refused(view.call(at, "set_memory", { memory: 1048576n, flags: "live" })),
      {
        code: LIBVIRT_ERROR_BASE + ErrorCode.INVALID_ARG,
        text: "virDomainSetMemoryFlags: invalid argument: cannot set memory higher than max memory",
      },
    );
    await view.call(at, "destroy");
    assert.deepEqual(
      await refused(view.call(at, "set_memory", { memory: 16384n, flags: "live" })),
      {
        code: LIBVIRT_ERROR_BASE + ErrorCode.OPERATION_INVALID,
        text: "virDomainSetMemoryFlags: Requested operation is not valid: domain is not running",
      },
    );
  });

  test("interface_addresses: libvirt's list from each source; a source libvirt does not know is refused", async () => {
    const ifaces = [
      `<interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='${net0.name}'/></interface>`,
      "<interface type='bridge'><mac address='52:54:00:aa:bb:02'/><source bridge='br0'/></interface>",
    ].join("");
    const { d, at } = await define(`${prefix}ifaddr`, ifaces);
    assert.deepEqual(await refused(view.call(at, "interface_addresses", { source: "lease" })), {
      code: LIBVIRT_ERROR_BASE + ErrorCode.OPERATION_INVALID,
      text: "virDomainInterfaceAddresses: Requested operation is not valid: domain is not running",
    });
    await view.call(at, "create");
    const running = await lv.domainLookupByUuid(d.uuid);
    for (const [word, source] of Object.entries({
      lease: InterfaceAddressesSource.LEASE,
      agent: InterfaceAddressesSource.AGENT,
      arp: InterfaceAddressesSource.ARP,
    })) {
      const out = await view.call(at, "interface_addresses", { source: word });
      const libvirt = await lv.domainInterfaceAddresses(running, source);
      assert.deepEqual(
        plain(out.interfaces),
        libvirt.map((i) => ({
          name: i.name,
          hwaddr: i.hwaddr,
          addrs: i.addrs.map((a) => ({
            type: a.type === IpAddrType.IPV6 ? "ipv6" : "ipv4",
            addr: a.addr,
            prefix: a.prefix,
          })),
        })),
        word,
      );
    }
    // The test driver makes addresses up: for a network interface one of the network's, for
    // any other 192.168.0.(1 + its index).
    const expected = plain((await view.call(at, "interface_addresses")).interfaces);
    assert.deepEqual(
      (expected as { name: string; hwaddr: string }[]).map((i) => [i.name, i.hwaddr]),
      [
        ["testnet0", "52:54:00:aa:bb:01"],
        ["testnet1", "52:54:00:aa:bb:02"],
      ],
    );
    const [first, second] = expected as { addrs: { addr: string }[] }[];
    assert.ok(first?.addrs[0]?.addr.startsWith(`${net0.subnet}.`), JSON.stringify(first));
    assert.deepEqual(second?.addrs, [{ type: "ipv4", addr: "192.168.0.2", prefix: 24 }]);
    assert.deepEqual(await refused(view.call(at, "interface_addresses", { source: "dhcp" })), {
      code: QmfStatus.PARAMETER_INVALID,
      text: 'interface_addresses: argument source is "dhcp", not one of lease, agent, arp',
    });
  });

  test("managed_save: the image is there and the domain stopped, as libvirt says; a start discards it", async () => {
    const dn = names.domains[1]!;
    const at = `Domain:${dn.uuid}`;
    const d = await lv.domainLookupByUuid(dn.uuid);
    await view.call(at, "managed_save");
    assert.equal(await lv.domainHasManagedSaveImage(d), true);
    assert.deepEqual(await shownSettings(at), await libvirtSettings(d));
    assert.equal((await shownSettings(at)).has_managed_save, true);
    await view.when(
      "DomainInfo",
      `DomainInfo:${dn.uuid}`,
      (v) => v.state === "shutoff" && v.state_reason === "saved",
      "saved",
    );
    await view.call(at, "create");
    // The test driver boots afresh and drops the image (QEMU would resume from it).
    await view.when(
      "DomainInfo",
      `DomainInfo:${dn.uuid}`,
      (v) => v.state === "running" && v.state_reason === "booted",
      "started",
    );
    assert.deepEqual(await shownSettings(at), await libvirtSettings(d));
    assert.equal((await shownSettings(at)).has_managed_save, false);
  });
});

describe("on test:///default, read only", () => {
  test("each domain's persistent, autostart and has_managed_save and each network's facts agree with virsh", async () => {
    const shared = await startTestAgent({ uri: "test:///default" });
    try {
      const sv = agentView(qc, shared.name);
      const c = shared.agent.libvirt.client;
      // The built-in domain and network (other tests may add their own meanwhile).
      const d = await c.domainLookupByName("test");
      const { stdout: dominfo } = await run("virsh", [
        "-q",
        "-c",
        "test+unix:///default",
        "dominfo",
        "test",
      ]);
      const field = (text: string, name: string) =>
        new RegExp(`^${name}:\\s+(.*)$`, "m").exec(text)?.[1]?.trim();
      const v = (await sv.one("Domain", `Domain:${d.uuid}`))?.values ?? {};
      const yesNo = (b: unknown) => (b ? "yes" : "no");
      assert.deepEqual(
        [field(dominfo, "Persistent"), field(dominfo, "Autostart"), field(dominfo, "Managed save")],
        [yesNo(v.persistent), v.autostart ? "enable" : "disable", yesNo(v.has_managed_save)],
      );
      const n = await c.networkLookupByName("default");
      const { stdout: netinfo } = await run("virsh", [
        "-q",
        "-c",
        "test+unix:///default",
        "net-info",
        "default",
      ]);
      const nv = (await sv.one("Network", `Network:${n.uuid}`))?.values ?? {};
      assert.deepEqual(
        [
          field(netinfo, "UUID"),
          field(netinfo, "Active"),
          field(netinfo, "Persistent"),
          field(netinfo, "Autostart"),
          field(netinfo, "Bridge"),
        ],
        [nv.uuid, yesNo(nv.active), yesNo(nv.persistent), yesNo(nv.autostart), nv.bridge],
      );
    } finally {
      await shared.stop();
    }
  });
});

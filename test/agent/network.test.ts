// Virtual networks through the agent on libvirt's test driver, seen through a real console
// session on the real broker: every Network property equals what libvirt reports, the whole
// lifecycle runs through the agent's methods with its NetworkLifecycle events, libvirt's
// refusals come back with its own code and message, and the resync catches what no event told.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LIBVIRT_ERROR_BASE } from "../../src/agent/index.js";
import {
  ErrorCode,
  isNoNetwork,
  type LibvirtClient,
  type Network,
} from "../../src/libvirt/index.js";
import type { ConsoleSession, ObjectIdLike, QmfEvent } from "../../src/qmf/index.js";
import { type AgentHandle, objectsByName } from "../support/agent.js";
import {
  type AgentView,
  refName,
  refused,
  type ViewedAgent,
  viewedTestAgent,
} from "../support/agent-view.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const prefix = `${uniqueName("net")}-`;
const spec = { domains: 0, pools: 0, volumesPerPool: 0, networks: 2, namePrefix: prefix };
const names = testDriverNames(spec);

let h: AgentHandle;
let qc: ConsoleSession;
let lv: LibvirtClient;
let view: AgentView;
const events: QmfEvent[] = [];

let t: ViewedAgent | undefined;

before(async () => {
  t = await viewedTestAgent("net", spec);
  ({ h, qc, lv, view } = t);
  qc.on("event", (e) => {
    if (e.agentName === h.name && e.eventName === "NetworkLifecycle") events.push(e);
  });
});

after(() => t?.stop());

/** What libvirt reports of a network, as the Network properties say it. */
async function libvirtFacts(n: Network) {
  return {
    uuid: n.uuid,
    name: n.name,
    active: await lv.networkIsActive(n),
    persistent: await lv.networkIsPersistent(n),
    autostart: await lv.networkGetAutostart(n),
    bridge: await lv.networkGetBridgeName(n),
  };
}

/** The published Network's values, without its node reference. */
function published(v: Record<string, unknown>) {
  const { node, ...rest } = v;
  assert.equal(refName(node), `Node:${h.agent.hostUuid}`);
  return rest;
}

/** The NetworkLifecycle events of one network so far, as `event` words. */
const eventsOf = (name: string) =>
  events.filter((e) => e.values.name === name).map((e) => e.values.event);

/** Waits until a network's events are `want`, then checks no more came. */
async function expectEvents(name: string, want: string[]): Promise<void> {
  await waitFor(`${name} events ${want}`, 5000, () => eventsOf(name).length >= want.length);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(eventsOf(name), want);
}

describe("virtual networks through the agent", () => {
  test("every Network property equals what libvirt reports", async () => {
    const objs = await objectsByName(qc, h.name, "Network");
    const listed = await lv.listAllNetworks();
    assert.deepEqual(
      listed.map((n) => n.name).sort(),
      names.networks.map((n) => n.name),
    );
    assert.equal(objs.size, 2);
    for (const n of listed) {
      const o = objs.get(`Network:${n.uuid}`);
      assert.ok(o, `Network:${n.uuid} published`);
      assert.deepEqual(published(o.values), await libvirtFacts(n));
    }
    const n0 = names.networks[0]!;
    assert.deepEqual(published(objs.get(`Network:${n0.uuid}`)!.values), {
      uuid: n0.uuid,
      name: n0.name,
      active: true,
      persistent: true,
      autostart: false,
      bridge: n0.bridge,
    });
  });

  test("define, autostart, start, XML, destroy, undefine: each as libvirt reports it, with its event", async () => {
    const node = `Node:${h.agent.hostUuid}`;
    const name = `${prefix}life`;
    const xml = `<network><name>${name}</name><bridge name='lvqlife0'/><ip address='192.168.201.1' netmask='255.255.255.0'><dhcp><range start='192.168.201.2' end='192.168.201.254'/></dhcp></ip></network>`;
    const out = await view.call(node, "network_define_xml", { xml_desc: xml });
    const ref = out.network as ObjectIdLike;
    assert.equal(ref.agentName, h.name);
    const n = await lv.networkLookupByName(name);
    assert.equal(ref.objectName, `Network:${n.uuid}`);
    const at = ref.objectName;
    const facts = async () => published((await view.one("Network", at))?.values ?? {});
    assert.deepEqual(await facts(), await libvirtFacts(n));
    assert.deepEqual(await facts(), {
      uuid: n.uuid,
      name,
      active: false,
      persistent: true,
      autostart: false,
      bridge: "lvqlife0",
    });

    await view.call(at, "set_autostart", { autostart: true });
    assert.equal(await lv.networkGetAutostart(n), true);
    assert.equal((await facts()).autostart, true);
    await view.call(at, "set_autostart", { autostart: false });
    assert.equal(await lv.networkGetAutostart(n), false);
    assert.equal((await facts()).autostart, false);

    await view.call(at, "create");
    assert.equal(await lv.networkIsActive(n), true);
    assert.equal((await facts()).active, true);
    assert.equal((await view.call(at, "xml_desc")).description, await lv.networkGetXmlDesc(n));

    await view.call(at, "destroy");
    assert.deepEqual(await facts(), await libvirtFacts(n));
    assert.equal((await facts()).active, false);
    await view.call(at, "undefine");
    assert.equal(await view.one("Network", at), undefined);
    assert.ok(isNoNetwork(await lv.networkLookupByName(name).catch((e: unknown) => e)));
    await expectEvents(name, ["defined", "started", "stopped", "undefined"]);
    const ev = events.find((e) => e.values.name === name);
    assert.equal(refName(ev?.values.network), at);
    assert.equal(ev?.values.uuid, n.uuid);
  });

  test("a transient network from network_create_xml runs at once and vanishes when destroyed", async () => {
    const name = `${prefix}tmp`;
    const out = await view.call(`Node:${h.agent.hostUuid}`, "network_create_xml", {
      xml_desc: `<network><name>${name}</name><bridge name='lvqtmp0'/></network>`,
    });
    const at = (out.network as ObjectIdLike).objectName;
    const n = await lv.networkLookupByName(name);
    assert.equal(at, `Network:${n.uuid}`);
    assert.deepEqual(published((await view.one("Network", at))?.values ?? {}), {
      uuid: n.uuid,
      name,
      active: true,
      persistent: false,
      autostart: false,
      bridge: "lvqtmp0",
    });
    await view.call(at, "destroy");
    assert.equal(await view.one("Network", at), undefined);
    await expectEvents(name, ["started", "stopped"]);
  });

  test("libvirt's refusals come back with its code and message", async () => {
    const n0 = names.networks[0]!;
    const at = `Network:${n0.uuid}`;
    const node = `Node:${h.agent.hostUuid}`;
    // A network name already in use.
    const taken = await refused(
      view.call(node, "network_define_xml", {
        xml_desc: `<network><name>${n0.name}</name><bridge name='lvqdup0'/></network>`,
      }),
    );
    assert.deepEqual(taken, {
      code: LIBVIRT_ERROR_BASE + ErrorCode.OPERATION_FAILED,
      text: `virNetworkDefineXML: operation failed: network '${n0.name}' already exists with uuid ${n0.uuid}`,
    });
    const running = await refused(view.call(at, "create"));
    assert.deepEqual(running, {
      code: LIBVIRT_ERROR_BASE + ErrorCode.OPERATION_INVALID,
      text: `virNetworkCreate: Requested operation is not valid: Network '${n0.name}' is already running`,
    });
    // The test driver has no DHCP server to ask.
    const leases = await refused(view.call(at, "dhcp_leases"));
    assert.deepEqual(leases, {
      code: LIBVIRT_ERROR_BASE + ErrorCode.NO_SUPPORT,
      text: "virNetworkGetDHCPLeases: this function is not supported by the connection driver: virNetworkGetDHCPLeases",
    });
    const one = await refused(view.call(at, "dhcp_leases", { mac: "52:54:00:aa:bb:01" }));
    assert.equal(one.code, LIBVIRT_ERROR_BASE + ErrorCode.NO_SUPPORT);
    const bad = await refused(view.call(node, "network_define_xml", { xml_desc: "<network>" }));
    assert.equal(bad.code, LIBVIRT_ERROR_BASE + ErrorCode.XML_DETAIL);
    assert.match(bad.text, /^virNetworkDefineXML: /);
    assert.equal((await lv.listAllNetworks()).length, 2, "nothing was defined");
  });

  test("without events, the resync catches a network defined and one undefined behind the agent's back", async () => {
    const gone = names.networks[1]!;
    const name = `${prefix}quiet`;
    // The agent's own connection stops sending network events for a while.
    await lv.deregisterEvents(["networkLifecycle"]);
    let n: Network;
    try {
      n = await lv.networkDefineXml(
        `<network><name>${name}</name><bridge name='lvqq0'/></network>`,
      );
      const g = await lv.networkLookupByUuid(gone.uuid);
      await lv.networkDestroy(g);
      await lv.networkUndefine(g);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await view.one("Network", `Network:${n.uuid}`), undefined, "no event told");
      assert.ok(await view.one("Network", `Network:${gone.uuid}`), "no event told");
      await h.agent.mirror.resync();
    } finally {
      await lv.registerEvents(["networkLifecycle"]);
    }
    const o = await view.one("Network", `Network:${n.uuid}`);
    assert.deepEqual(published(o?.values ?? {}), await libvirtFacts(n));
    assert.equal(await view.one("Network", `Network:${gone.uuid}`), undefined);
    await view.call(`Network:${n.uuid}`, "undefine");
  });
});

// The issue-11 additions on the machine's real QEMU hypervisor (qemu:///system), with tiny TCG
// guests: set_memory and set_vcpus on a running guest and where its VNC display listens; a
// snapshot of a running guest with a small qcow2 disk, then a revert; and the balloon's stats
// period the agent sets on a running guest that has none (and leaves alone when told to).
// Heavy: run by the lead, not by helpers.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { domainReasonText, domainStateText, LIBVIRT_ERROR_BASE } from "../../src/agent/index.js";
import {
  connect,
  type Domain,
  DomainVcpuFlags,
  ErrorCode,
  type LibvirtClient,
} from "../../src/libvirt/index.js";
import type { ConsoleSession, ObjectIdLike } from "../../src/qmf/index.js";
import { type AgentHandle, openConsole, startTestAgent } from "../support/agent.js";
import { type AgentView, agentView, refName, refused } from "../support/agent-view.js";
import { cleanupGuest, qemuGuestXml, uniqueGuestName, writeEmptyQcow2 } from "../support/qemu.js";
import { waitFor } from "../support/wait.js";

const URI = "qemu:///system";
const resized = uniqueGuestName("resize");
const snapped = uniqueGuestName("snap");
const ballooned = uniqueGuestName("balloon");
const leftAlone = uniqueGuestName("balloon0");
const disk = `/var/tmp/${snapped}.qcow2`;
/** The stats period the agent under test sets (the default is 5 s; any other shows it is ours). */
const PERIOD = 3;

let h: AgentHandle;
let off: AgentHandle | undefined;
let qc: ConsoleSession;
let lv: LibvirtClient;
let view: AgentView;

/** Calls a method that may move a guest's memory (a snapshot, a revert): up to 2 minutes. */
const slowCall = (objectName: string, method: string, args: Record<string, unknown> = {}) =>
  qc.callMethod({ agentName: h.name, objectName }, method, args, { timeoutMs: 120_000 });

/** Defines a guest through the agent and starts it; its handle and object name. */
async function startGuest(
  v: AgentView,
  hostUuid: string,
  xml: string,
): Promise<{ d: Domain; at: string }> {
  const out = await v.call(`Node:${hostUuid}`, "define_domain_xml", { xml_desc: xml });
  const at = (out.domain as ObjectIdLike).objectName;
  await v.call(at, "create");
  const d = await lv.domainLookupByUuid(at.slice("Domain:".length));
  await v.when("DomainInfo", `DomainInfo:${d.uuid}`, (x) => x.state === "running", "running");
  return { d, at };
}

/** The balloon element of a domain's XML (live, or with `flags` 2 the persistent one). */
async function balloonXml(d: Domain, flags = 0): Promise<string> {
  const xml = await lv.domainGetXmlDesc(d, flags);
  return /<memballoon[^>]*\/>|<memballoon[\s\S]*?<\/memballoon>/.exec(xml)?.[0] ?? "";
}

before(async () => {
  lv = await connect(URI);
  h = await startTestAgent({ uri: URI, statsIntervalMs: 1000, balloonStatsPeriodSeconds: PERIOD });
  qc = await openConsole();
  await qc.waitForAgent(h.name, 10_000);
  view = agentView(qc, h.name);
});

after(async () => {
  await qc?.close();
  await h?.stop();
  await off?.stop();
  const errors: Error[] = [];
  if (lv) {
    for (const g of [resized, snapped, ballooned, leftAlone]) {
      const err = await cleanupGuest(lv, g);
      if (err) errors.push(err);
    }
    await lv.close();
  }
  rmSync(disk, { force: true });
  if (errors.length) throw errors[0];
});

describe("issue-11 additions on QEMU (qemu:///system)", () => {
  test("a running guest: where its VNC display listens; set_memory through its balloon; set_vcpus", async () => {
    const xml = qemuGuestXml(resized, { memoryMiB: 128, vcpus: 1, maxVcpus: 2, vnc: true });
    const { d, at } = await startGuest(view, h.agent.hostUuid, xml);

    const live = await lv.domainGetXmlDesc(d);
    const port = Number(/<graphics type='vnc' port='(\d+)'/.exec(live)?.[1]);
    assert.ok(port >= 5900, `libvirt chose a VNC port: ${port}`);
    const shown = await view.when(
      "Domain",
      at,
      (v) => (v.graphics as unknown[]).length > 0,
      "the display published",
    );
    assert.deepEqual(JSON.parse(JSON.stringify(shown.graphics)), [
      { type: "vnc", address: "127.0.0.1", port },
    ]);

    // The balloon's target: libvirt reports the new size once the guest's balloon moves
    // (this guest has no OS to move it): whatever it reports, the agent publishes.
    await view.call(at, "set_memory", { memory: 98304n, flags: "live" });
    const info = await waitFor("DomainInfo.memory as libvirt reports it", 10_000, async () => {
      const v = (await view.one("DomainInfo", `DomainInfo:${d.uuid}`))?.values;
      const now = await lv.domainGetInfo(d);
      return v && v.memory === now.memory ? v : undefined;
    });
    assert.equal(info.maximum_memory, 131072n);
    await view.call(at, "set_memory", { memory: 98304n, flags: "config" });
    assert.match(
      await lv.domainGetXmlDesc(d, 2 /* VIR_DOMAIN_XML_INACTIVE */),
      /<currentMemory unit='KiB'>98304<\/currentMemory>/,
    );
    assert.deepEqual(
      await refused(view.call(at, "set_memory", { memory: 262144n, flags: "live" })),
      {
        code: LIBVIRT_ERROR_BASE + ErrorCode.INVALID_ARG,
        text: "virDomainSetMemoryFlags: invalid argument: cannot set memory higher than max memory",
      },
    );

    await view.call(at, "set_vcpus", { count: 2, flags: "config" });
    assert.equal(await lv.domainGetVcpusFlags(d, DomainVcpuFlags.CONFIG), 2);
    const over = await refused(view.call(at, "set_vcpus", { count: 3, flags: "config" }));
    assert.equal(over.code, LIBVIRT_ERROR_BASE + ErrorCode.INVALID_ARG);
    assert.match(over.text, /^virDomainSetVcpusFlags: /);

    await view.call(at, "destroy");
    assert.deepEqual((await view.one("Domain", at))?.values.graphics, []);
  });

  test("a snapshot of a running guest with a small qcow2 disk, then a revert", async () => {
    writeEmptyQcow2(disk, 16 * 1024 * 1024);
    const { d, at } = await startGuest(view, h.agent.hostUuid, qemuGuestXml(snapped, { disk }));
    const out = await slowCall(at, "snapshot_create_xml", {
      xml_desc:
        "<domainsnapshot><name>s1</name><description>running</description></domainsnapshot>",
    });
    const s1 = (out.snapshot as ObjectIdLike).objectName;
    assert.equal(s1, `Snapshot:${d.uuid}/s1`);
    const snap = (await view.one("Snapshot", s1))?.values ?? {};
    const xml = await lv.domainSnapshotGetXmlDesc({ name: "s1", dom: d });
    assert.match(xml, /<state>running<\/state>/);
    assert.deepEqual(
      [snap.name, refName(snap.domain), snap.parent, snap.state, snap.is_current],
      ["s1", at, undefined, "running", true],
    );
    assert.equal(
      snap.creation_time,
      BigInt(/<creationTime>(\d+)<\/creationTime>/.exec(xml)![1]!) * 1_000_000_000n,
    );

    await view.call(at, "suspend");
    await view.when("DomainInfo", `DomainInfo:${d.uuid}`, (v) => v.state === "paused", "paused");
    await slowCall(s1, "revert");
    const st = await lv.domainGetState(d);
    assert.equal(domainStateText(st.state), "running", "back to the running snapshot");
    await view.when(
      "DomainInfo",
      `DomainInfo:${d.uuid}`,
      (v) => v.state === "running" && v.state_reason === domainReasonText(st.state, st.reason),
      "running from the snapshot, as libvirt says",
    );
    assert.equal((await view.one("Snapshot", s1))?.values.is_current, true);
    assert.equal((await lv.domainSnapshotCurrent(d)).name, "s1");

    await slowCall(s1, "delete", { children: false });
    assert.deepEqual(await lv.domainListAllSnapshots(d), []);
    assert.equal(await view.one("Snapshot", s1), undefined);
    await view.call(at, "destroy");
  });

  test("the balloon's stats period: set on a running guest that has none; left alone with the setting at 0", async () => {
    const { d } = await startGuest(
      view,
      h.agent.hostUuid,
      qemuGuestXml(ballooned, { statsPeriod: null }),
    );
    await waitFor("the stats period set on the running guest", 10_000, async () =>
      (await balloonXml(d)).includes(`<stats period='${PERIOD}'/>`),
    );
    const defined = await balloonXml(d, 2 /* VIR_DOMAIN_XML_INACTIVE */);
    assert.match(defined, /^<memballoon model='virtio'/);
    assert.ok(!defined.includes("<stats"), `its definition untouched: ${defined}`);
    await lv.domainDestroy(d);

    // Another agent told to leave balloons alone (the first one stopped, or it would set it).
    await h.stop();
    off = await startTestAgent({ uri: URI, statsIntervalMs: 1000, balloonStatsPeriodSeconds: 0 });
    await qc.waitForAgent(off.name, 10_000);
    const offView = agentView(qc, off.name);
    const { d: d0, at } = await startGuest(
      offView,
      off.agent.hostUuid,
      qemuGuestXml(leftAlone, { statsPeriod: null }),
    );
    // The agent read the running guest (its XML with it): the period would be set by now.
    await offView.when("Domain", at, (v) => v.id !== "-1", "published running");
    assert.ok(!(await balloonXml(d0)).includes("<stats"), await balloonXml(d0));
    await lv.domainDestroy(d0);
  });
});

// Domain snapshots through the agent on libvirt's test driver, seen through a real console
// session on the real broker. libvirt raises no snapshot events, so the agent reads a domain's
// snapshots again after each snapshot method, on the domain's lifecycle events and at the
// resync; each step is checked against what libvirt reports on the agent's own connection
// (a test-driver file gives each connection its own copy of the host).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LIBVIRT_ERROR_BASE } from "../../src/agent/index.js";
import {
  type Domain,
  DomainUndefineFlags,
  ErrorCode,
  isNoDomainSnapshot,
  type LibvirtClient,
} from "../../src/libvirt/index.js";
import type { ConsoleSession, ObjectIdLike } from "../../src/qmf/index.js";
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

const prefix = `${uniqueName("snap")}-`;
const spec = { domains: 4, pools: 0, volumesPerPool: 0, namePrefix: prefix };
const names = testDriverNames(spec);

let h: AgentHandle;
let qc: ConsoleSession;
let lv: LibvirtClient;
let view: AgentView;

let t: ViewedAgent | undefined;

before(async () => {
  t = await viewedTestAgent("snap", spec);
  ({ h, qc, lv, view } = t);
});

after(() => t?.stop());

/** A snapshot as the Snapshot class shows it: [name, parent name, state, is_current, seconds]. */
type Row = [string, string | null, string, boolean, bigint];

/** What libvirt reports of a domain's snapshots, sorted by name. */
async function libvirtSnapshots(d: Domain): Promise<Row[]> {
  const rows: Row[] = [];
  for (const s of await lv.domainListAllSnapshots(d)) {
    const xml = await lv.domainSnapshotGetXmlDesc(s);
    const parent = await lv.domainSnapshotGetParent(s).then(
      (p) => p.name,
      (e: unknown) => {
        if (isNoDomainSnapshot(e)) return null;
        throw e;
      },
    );
    rows.push([
      s.name,
      parent,
      /<state>(\w[\w-]*)<\/state>/.exec(xml)?.[1] ?? "",
      await lv.domainSnapshotIsCurrent(s),
      BigInt(/<creationTime>(\d+)<\/creationTime>/.exec(xml)?.[1] ?? "0"),
    ]);
  }
  return rows.sort((a, b) => a[0].localeCompare(b[0]));
}

/** What the agent publishes of a domain's snapshots, sorted by name. */
async function publishedSnapshots(uuid: string): Promise<Row[]> {
  const objs = await objectsByName(qc, h.name, "Snapshot");
  const rows: Row[] = [];
  for (const [on, o] of objs) {
    const v = o.values;
    if (refName(v.domain) !== `Domain:${uuid}`) continue;
    assert.equal(on, `Snapshot:${uuid}/${v.name}`);
    const parent = v.parent === undefined ? null : refName(v.parent);
    rows.push([
      v.name as string,
      parent === null ? null : parent.slice(`Snapshot:${uuid}/`.length),
      v.state as string,
      v.is_current as boolean,
      (v.creation_time as bigint) / 1_000_000_000n,
    ]);
  }
  return rows.sort((a, b) => a[0].localeCompare(b[0]));
}

/** Checks the agent's snapshots of `d` equal libvirt's, and returns them. */
async function agree(d: Domain, what: string): Promise<Row[]> {
  const want = await libvirtSnapshots(d);
  assert.deepEqual(await publishedSnapshots(d.uuid), want, what);
  return want;
}

const rowShape = (rows: Row[]) => rows.map(([n, p, s, c]) => [n, p, s, c]);

describe("domain snapshots through the agent", () => {
  test("create, list, revert and delete: each step as libvirt reports it", async () => {
    const dn = names.domains[0]!;
    const d = await lv.domainLookupByUuid(dn.uuid);
    const at = `Domain:${dn.uuid}`;
    assert.deepEqual(await agree(d, "none yet"), []);

    const out = await view.call(at, "snapshot_create_xml", {
      xml_desc: "<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>",
    });
    const s1 = out.snapshot as ObjectIdLike;
    assert.deepEqual([s1.agentName, s1.objectName], [h.name, `Snapshot:${dn.uuid}/s1`]);
    assert.deepEqual(rowShape(await agree(d, "s1")), [["s1", null, "running", true]]);

    await lv.domainSetMemoryFlags(d, 32768n, 1 /* LIVE */);
    await view.call(at, "snapshot_create_xml", {
      xml_desc: "<domainsnapshot><name>s2</name></domainsnapshot>",
      flags: 0,
    });
    // Without a name libvirt names the snapshot after its creation time.
    const s3 = (await view.call(at, "snapshot_create_xml", { xml_desc: "<domainsnapshot/>" }))
      .snapshot as ObjectIdLike;
    const s3name = s3.objectName.slice(`Snapshot:${dn.uuid}/`.length);
    const rows = await agree(d, "three");
    assert.deepEqual(rowShape(rows), [
      [s3name, "s2", "running", true],
      ["s1", null, "running", false],
      ["s2", "s1", "running", false],
    ]);
    assert.equal(String(rows[0]![4]), s3name, "named after its creation time");

    const x = await view.call(`Snapshot:${dn.uuid}/s1`, "xml_desc");
    assert.equal(x.description, await lv.domainSnapshotGetXmlDesc({ name: "s1", dom: d }));
    assert.match(x.description as string, /<description>first<\/description>/);

    // Reverting makes s1 current and brings back its memory size.
    await view.call(`Snapshot:${dn.uuid}/s1`, "revert");
    assert.deepEqual(rowShape(await agree(d, "reverted")), [
      [s3name, "s2", "running", false],
      ["s1", null, "running", true],
      ["s2", "s1", "running", false],
    ]);
    const info = await view.when(
      "DomainInfo",
      `DomainInfo:${dn.uuid}`,
      (v) => v.memory === 65536n && v.state_reason === "from snapshot",
      "the memory of s1, running from the snapshot",
    );
    assert.equal(info.memory, (await lv.domainGetInfo(d)).memory);

    // A plain delete hands the children to the parent; children: true takes the subtree.
    await view.call(`Snapshot:${dn.uuid}/s2`, "delete", { children: false });
    assert.deepEqual(rowShape(await agree(d, "s2 deleted")), [
      [s3name, "s1", "running", false],
      ["s1", null, "running", true],
    ]);
    await view.call(`Snapshot:${dn.uuid}/s1`, "delete", { children: true });
    assert.deepEqual(await agree(d, "all deleted"), []);
  });

  test("libvirt's refusals come back with its code and message", async () => {
    const dn = names.domains[1]!;
    const at = `Domain:${dn.uuid}`;
    await view.call(at, "snapshot_create_xml", {
      xml_desc: "<domainsnapshot><name>r1</name></domainsnapshot>",
    });
    const dup = await refused(
      view.call(at, "snapshot_create_xml", {
        xml_desc: "<domainsnapshot><name>r1</name></domainsnapshot>",
      }),
    );
    assert.deepEqual(dup, {
      code: LIBVIRT_ERROR_BASE + ErrorCode.OPERATION_FAILED,
      text: "virDomainSnapshotCreateXML: operation failed: domain moment r1 already exists",
    });
    const empty = await refused(view.call(at, "snapshot_create_xml", { xml_desc: " " }));
    assert.match(empty.text, /^snapshot_create_xml: argument xml_desc is empty/);
    // The domain keeps its snapshot: Domain.undefine is libvirt's plain undefine.
    await view.call(at, "destroy");
    const undef = await refused(view.call(at, "undefine"));
    assert.deepEqual(undef, {
      code: LIBVIRT_ERROR_BASE + ErrorCode.OPERATION_INVALID,
      text: "virDomainUndefine: Requested operation is not valid: cannot delete inactive domain with 1 snapshots",
    });
    assert.ok(await view.one("Snapshot", `Snapshot:${dn.uuid}/r1`));
  });

  test("snapshots follow their domain: its lifecycle event reads them, its undefine takes them", async () => {
    const dn = names.domains[2]!;
    const d = await lv.domainLookupByUuid(dn.uuid);
    // Taken on the agent's own connection: no event tells the agent.
    await lv.domainSnapshotCreateXml(d, "<domainsnapshot><name>q1</name></domainsnapshot>");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await view.one("Snapshot", `Snapshot:${dn.uuid}/q1`), undefined);
    await lv.domainSuspend(d); // a lifecycle event: the domain is read with its snapshots
    await waitFor("the snapshot read with its domain", 5000, () =>
      view.one("Snapshot", `Snapshot:${dn.uuid}/q1`),
    );
    await agree(d, "after the event");

    await lv.domainDestroy(d);
    await lv.domainUndefine(d, DomainUndefineFlags.SNAPSHOTS_METADATA);
    await view.gone("Domain", `Domain:${dn.uuid}`, "the domain undefined");
    assert.equal(await view.one("Snapshot", `Snapshot:${dn.uuid}/q1`), undefined);
  });

  test("the resync lists the snapshots of the domains that have some", async () => {
    const dn = names.domains[3]!;
    const d = await lv.domainLookupByUuid(dn.uuid);
    await lv.domainSnapshotCreateXml(d, "<domainsnapshot><name>z1</name></domainsnapshot>");
    await lv.domainSnapshotCreateXml(d, "<domainsnapshot><name>z2</name></domainsnapshot>");
    assert.equal(await view.one("Snapshot", `Snapshot:${dn.uuid}/z1`), undefined, "no event");
    await h.agent.mirror.resync();
    assert.deepEqual(rowShape(await agree(d, "after the resync")), [
      ["z1", null, "running", false],
      ["z2", "z1", "running", true],
    ]);
    // Deleted behind the agent's back: gone at the next resync.
    await lv.domainSnapshotDelete({ name: "z2", dom: d });
    await h.agent.mirror.resync();
    assert.deepEqual(rowShape(await agree(d, "after the next resync")), [
      ["z1", null, "running", true],
    ]);
  });
});

// A live, peer-to-peer migration of a running QEMU guest between two libvirt hosts on this
// machine (the machine's libvirtd and a second one from scripts/two-hosts.sh), each with its
// own agent, asked for through QMF: Domain.migrate with the destination's Node object, or
// with only the destination's libvirt URI.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect, type LibvirtClient } from "../../src/libvirt/index.js";
import type { ConsoleSession, ObjectIdLike } from "../../src/qmf/index.js";
import { type AgentHandle, openConsole, startTestAgent } from "../support/agent.js";
import { agentView } from "../support/agent-view.js";
import { cleanupGuest, qemuGuestXml, uniqueGuestName } from "../support/qemu.js";
import { type SecondHost, secondHostUp } from "../support/two-hosts.js";
import { waitFor } from "../support/wait.js";

const guest = uniqueGuestName("mig");
let host2: SecondHost;
let a: AgentHandle;
let b: AgentHandle;
let qc: ConsoleSession;
let lv1: LibvirtClient;
let lv2: LibvirtClient;
/** More guests to remove in `after` (each returns its error, if any). */
const cleanups: (() => Promise<Error | null>)[] = [];

/** Defines a 64 MiB QEMU guest on host 1 through QMF; its Domain object id and UUID. */
async function defineOnA(name: string): Promise<{ ref: ObjectIdLike; uuid: string }> {
  const { domain } = await qc.callMethod(
    { agentName: a.name, objectName: `Node:${a.agent.hostUuid}` },
    "define_domain_xml",
    { xml_desc: qemuGuestXml(name, { memoryMiB: 64 }) },
  );
  const ref = domain as ObjectIdLike;
  return { ref, uuid: ref.objectName.slice("Domain:".length) };
}

/** The DomainInfo values `agent` publishes for `uuid`, once its state is `state`. */
function infoInState(agent: AgentHandle, uuid: string, state: string, what: string) {
  return agentView(qc, agent.name, 10_000).infoWhen(uuid, (v) => v.state === state, what);
}

before(async () => {
  host2 = await secondHostUp();
  lv1 = await connect("qemu:///system");
  lv2 = await connect(host2.localUri);
  [a, b] = await Promise.all([
    startTestAgent({ uri: "qemu:///system", statsIntervalMs: 1000 }),
    // The second host's agent talks to its daemon over the local socket and tells other
    // hosts to reach it over TCP (its Node.uri), which is where migrations go.
    startTestAgent({ uri: host2.localUri, publicUri: host2.uri, statsIntervalMs: 1000 }),
  ]);
  qc = await openConsole();
});

after(async () => {
  await qc?.close();
  await Promise.allSettled([a?.stop(), b?.stop()]);
  const errs = [];
  for (const c of cleanups) errs.push(await c());
  if (lv2) errs.push(await cleanupGuest(lv2, guest));
  if (lv1) errs.push(await cleanupGuest(lv1, guest));
  await Promise.allSettled([lv1?.close(), lv2?.close()]);
  await host2?.release();
  for (const e of errs) if (e) throw e;
});

describe("migration between two hosts", () => {
  test("Domain.migrate moves a running guest live to the destination Node and returns the destination agent's object", async () => {
    assert.notEqual(a.agent.hostUuid, b.agent.hostUuid);
    const [nodeB] = await qc.query({
      agentName: b.name,
      packageName: "Libvirt",
      className: "Node",
    });
    assert.equal(nodeB?.values.uri, host2.uri);

    const { domain } = await qc.callMethod(
      { agentName: a.name, objectName: `Node:${a.agent.hostUuid}` },
      "define_domain_xml",
      { xml_desc: qemuGuestXml(guest, { memoryMiB: 64 }) },
    );
    const ref = domain as ObjectIdLike;
    await qc.callMethod(ref, "create", {}, { timeoutMs: 30_000 });
    const uuid = ref.objectName.slice("Domain:".length);
    await waitFor(
      "running on host 1",
      10_000,
      async () => (await agentView(qc, a.name).info(uuid))?.state === "running",
    );

    const t0 = performance.now();
    const out = await qc.callMethod(
      ref,
      "migrate",
      { destination_node: nodeB!.objectId, flags: 0, new_domain_name: "", uri: "", bandwidth: 0 },
      { timeoutMs: 120_000 },
    );
    const took = performance.now() - t0;
    const moved = out.domain as ObjectIdLike;
    assert.equal(moved.agentName, b.name);
    assert.equal(moved.objectName, `Domain:${uuid}`);

    // The destination publishes it running (migrated); the source keeps it defined, shut off.
    const there = await infoInState(b, uuid, "running", "running on host 2");
    assert.equal(there.state_reason, "migrated");
    const here = await infoInState(a, uuid, "shutoff", "shut off on host 1");
    assert.equal(here.state_reason, "migrated");

    // And libvirt agrees on both hosts.
    const d2 = await lv2.domainLookupByUuid(uuid);
    assert.equal((await lv2.domainGetState(d2)).state, 1);
    const d1 = await lv1.domainLookupByUuid(uuid);
    assert.equal((await lv1.domainGetState(d1)).state, 5);
    process.stderr.write(`# migration through QMF took ${Math.round(took)} ms\n`);
  });

  test("the uri argument, a new name and a bandwidth cap are passed on to libvirt", async () => {
    const [nodeB] = await qc.query({
      agentName: b.name,
      packageName: "Libvirt",
      className: "Node",
    });
    const name = `${guest}-b`;
    const renamed = `${guest}-moved`;
    const { ref, uuid } = await defineOnA(name);
    try {
      await qc.callMethod(ref, "create", {}, { timeoutMs: 30_000 });
      const out = await qc.callMethod(
        ref,
        "migrate",
        {
          destination_node: nodeB!.objectId,
          flags: 0,
          new_domain_name: renamed,
          uri: host2.uri,
          bandwidth: 100,
        },
        { timeoutMs: 120_000 },
      );
      assert.equal((out.domain as ObjectIdLike).objectName, `Domain:${uuid}`);
      const [moved] = await qc.query({
        agentName: b.name,
        packageName: "Libvirt",
        className: "Domain",
        objectId: out.domain as ObjectIdLike,
      });
      assert.equal(moved?.values.name, renamed);
      assert.equal((await lv2.domainLookupByUuid(uuid)).name, renamed);
    } finally {
      cleanups.push(
        () => cleanupGuest(lv2, renamed),
        () => cleanupGuest(lv1, name),
      );
    }
  });

  test("given only uri, migrate finds the destination's agent by its libvirt_uri; flags, name and bandwidth may be left out", async () => {
    const name = `${guest}-c`;
    const { ref, uuid } = await defineOnA(name);
    cleanups.push(
      () => cleanupGuest(lv2, name),
      () => cleanupGuest(lv1, name),
    );
    await qc.callMethod(ref, "create", {}, { timeoutMs: 30_000 });
    const out = await qc.callMethod(ref, "migrate", { uri: host2.uri }, { timeoutMs: 120_000 });
    const moved = out.domain as ObjectIdLike;
    assert.equal(moved.objectName, `Domain:${uuid}`);
    // The agent it came from publishes the second host (b, unless another run has one there too).
    const [destAgent] = await qc.locate(["eq", "_name", ["quote", moved.agentName]], 2000);
    assert.equal(destAgent?.attributes.libvirt_uri, host2.uri);
    const [obj] = await qc.query({
      agentName: moved.agentName,
      packageName: "Libvirt",
      className: "Domain",
      objectId: moved,
    });
    assert.equal(obj?.values.name, name);
    // Live (flags absent means LIVE): it runs on the second host, shut off on the first.
    assert.equal((await lv2.domainGetState(await lv2.domainLookupByUuid(uuid))).state, 1);
    assert.equal((await lv1.domainGetState(await lv1.domainLookupByUuid(uuid))).state, 5);
  });
});

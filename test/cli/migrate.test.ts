// `lvq migrate` for real: a running QEMU guest moved live between the machine's libvirtd and a
// second libvirt host (scripts/two-hosts.sh), each with its own agent, driven only through
// the built binary; libvirt itself is asked afterwards where the guest runs.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect, type LibvirtClient } from "../../src/libvirt/index.js";
import { type AgentHandle, startTestAgent } from "../support/agent.js";
import { cleanupGuest, qemuGuestXml, uniqueGuestName } from "../support/qemu.js";
import { type SecondHost, secondHostUp } from "../support/two-hosts.js";
import { waitFor } from "../support/wait.js";
import { buildOnce, jsonOf, lvq } from "./harness.js";

const guest = uniqueGuestName("climig");
const dir = mkdtempSync(join(tmpdir(), "lvq-cli-mig-"));
let host2: SecondHost;
let a: AgentHandle;
let b: AgentHandle;
let lv1: LibvirtClient;
let lv2: LibvirtClient;

type Row = {
  object_id: string;
  host: string;
  related: { domain_info: { properties: Record<string, unknown> } };
};

describe("lvq migrate", { timeout: 170_000 }, () => {
  before(async () => {
    host2 = await secondHostUp();
    lv1 = await connect("qemu:///system");
    lv2 = await connect(host2.localUri);
    [, a, b] = await Promise.all([
      buildOnce(),
      startTestAgent({ uri: "qemu:///system", statsIntervalMs: 1000 }),
      startTestAgent({ uri: host2.localUri, publicUri: host2.uri, statsIntervalMs: 1000 }),
    ]);
  });
  after(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    const errs = [];
    if (lv2) errs.push(await cleanupGuest(lv2, guest));
    if (lv1) errs.push(await cleanupGuest(lv1, guest));
    await Promise.allSettled([lv1?.close(), lv2?.close()]);
    await host2?.release();
    rmSync(dir, { recursive: true, force: true });
    for (const e of errs) if (e) throw e;
  });

  test("define, start and migrate a running QEMU guest with lvq; it runs on the destination", async () => {
    const file = join(dir, "guest.xml");
    writeFileSync(file, qemuGuestXml(guest, { memoryMiB: 64 }));
    const defined = jsonOf(await lvq(["--json", "define", file, "--host", a.instance])) as {
      object_id: string;
      properties: { uuid: string };
    };
    const uuid = defined.properties.uuid;
    assert.equal(defined.object_id, `${a.name}/Domain:${uuid}`);
    const started = await lvq(["start", `${a.instance}/${guest}`]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(started.stdout, `Domain ${guest} started on ${a.instance}\n`);
    const stateOn = async (host: string) => {
      const r = await lvq(["--json", "show", `${host}/${uuid}`]);
      return r.code === 0
        ? (JSON.parse(r.stdout) as Row).related.domain_info.properties.state
        : undefined;
    };
    await waitFor(
      "running on host 1",
      15_000,
      async () => (await stateOn(a.instance)) === "running",
    );

    const moved = await lvq(["--json", "migrate", `${a.instance}/${guest}`, b.instance]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(JSON.parse(moved.stdout), {
      object_id: `${b.name}/Domain:${uuid}`,
      host: b.instance,
      name: guest,
      action: "migrate",
      from: `${a.name}/Domain:${uuid}`,
    });
    await waitFor(
      "running on host 2",
      15_000,
      async () => (await stateOn(b.instance)) === "running",
    );
    await waitFor(
      "shut off on host 1",
      15_000,
      async () => (await stateOn(a.instance)) === "shutoff",
    );
    // The name is now on two hosts (defined on 1, running on 2): ambiguous without a host.
    const amb = await lvq(["show", guest]);
    assert.equal(amb.code, 3);
    // libvirt agrees.
    assert.equal((await lv2.domainGetState(await lv2.domainLookupByUuid(uuid))).state, 1);
    assert.equal((await lv1.domainGetState(await lv1.domainLookupByUuid(uuid))).state, 5);
    assert.equal((await lvq(["destroy", `${b.instance}/${guest}`])).code, 0);
  });
});

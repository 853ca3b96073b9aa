// libvirtd stopped, started again and hung under a running agent. The daemon used is the
// second host's (scripts/two-hosts.sh), which only our tests use, so the machine's own
// libvirtd is never disturbed. While libvirt is away the agent keeps its objects (never
// "no domains"), shows the state on Node, refuses calls clearly; afterwards it reconnects,
// registers its events again and resyncs.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { ConsoleSession } from "../../src/qmf/index.js";
import { isMethodError, QmfStatus } from "../../src/qmf/index.js";
import { type AgentHandle, openConsole, startTestAgent, tempDir } from "../support/agent.js";
import { qemuGuestXml, uniqueGuestName } from "../support/qemu.js";
import { type SecondHost, secondHostUp, twoHosts } from "../support/two-hosts.js";
import { waitFor } from "../support/wait.js";

const run = promisify(execFile);
const dir = tempDir("restart");
const guest1 = uniqueGuestName("rs1");
const guest2 = uniqueGuestName("rs2");
let host2: SecondHost;
let h: AgentHandle;
let qc: ConsoleSession;

const virsh = (...args: string[]) => run("virsh", ["-q", "-c", host2.uri, ...args]);

async function nodeValues(): Promise<Record<string, unknown> | undefined> {
  const [n] = await qc.query({ agentName: h.name, packageName: "Libvirt", className: "Node" });
  return n?.values;
}
async function domainNames(): Promise<string[]> {
  const ds = await qc.query({ agentName: h.name, packageName: "Libvirt", className: "Domain" });
  return ds.map((d) => d.values.name as string).sort();
}
const libvirtdPid = () => host2.daemonPid();

before(async () => {
  host2 = await secondHostUp();
  writeFileSync(join(dir.path, "g1.xml"), qemuGuestXml(guest1));
  await virsh("define", join(dir.path, "g1.xml"));
  h = await startTestAgent({
    uri: host2.localUri,
    publicUri: host2.uri,
    libvirtKeepaliveIntervalMs: 500,
    libvirtKeepaliveCount: 2,
    reconnectMaxDelayMs: 300,
  });
  qc = await openConsole();
});

after(async () => {
  await qc?.close();
  await h?.stop();
  await twoHosts("start-daemon").catch(() => {});
  for (const g of [guest1, guest2]) await virsh("undefine", g).catch(() => {});
  await host2?.release();
  dir.remove();
});

describe("libvirtd restarted or hung under a running agent", () => {
  test("stop: objects kept, Node shows disconnected, calls refused; start: reconnect, events again, resync", async () => {
    const before = await domainNames();
    assert.ok(before.includes(guest1));
    assert.equal((await nodeValues())?.libvirt_state, "connected");

    await twoHosts("stop-daemon");
    const down = await waitFor("Node.libvirt_state disconnected", 5000, async () => {
      const v = await nodeValues();
      return v?.libvirt_state === "disconnected" ? v : undefined;
    });
    assert.notEqual(down.libvirt_error, "");
    assert.deepEqual(await domainNames(), before, "no domain deleted while libvirtd is down");
    const attrs = await qc.waitForAgent(h.name, 5000);
    assert.ok(attrs);
    const [d1] = await qc.query({
      agentName: h.name,
      packageName: "Libvirt",
      className: "Domain",
      where: ["eq", "name", ["quote", guest1]],
    });
    try {
      await qc.callMethod(d1!.objectId, "xml_desc", {});
      assert.fail("xml_desc succeeded without libvirt");
    } catch (e) {
      assert.ok(isMethodError(e));
      assert.equal(e.code, QmfStatus.EXCEPTION);
      assert.match(e.text, /^virDomainGetXMLDesc: libvirt is not connected/);
    }

    // A domain defined while the agent could not see: the resync after the restart finds it.
    await twoHosts("start-daemon");
    await waitFor(
      "connected again",
      10_000,
      async () => (await nodeValues())?.libvirt_state === "connected",
    );
    writeFileSync(join(dir.path, "g2.xml"), qemuGuestXml(guest2));
    // Events are registered again: a define now is seen at once (no resync is due for minutes).
    await virsh("define", join(dir.path, "g2.xml"));
    await waitFor("the new domain via its event", 3000, async () =>
      (await domainNames()).includes(guest2),
    );
    assert.deepEqual(await domainNames(), [...before, guest2].sort());
    await virsh("undefine", guest2);
    await waitFor(
      "undefined via its event",
      3000,
      async () => !(await domainNames()).includes(guest2),
    );
  });

  test("hang (SIGSTOP): keepalive declares libvirt dead, objects kept; SIGCONT: back", async () => {
    const before = await domainNames();
    const pid = libvirtdPid();
    process.kill(pid, "SIGSTOP");
    try {
      await waitFor(
        "disconnected by keepalive",
        10_000,
        async () => (await nodeValues())?.libvirt_state === "disconnected",
      );
      assert.deepEqual(await domainNames(), before);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await waitFor(
      "connected after SIGCONT",
      15_000,
      async () => (await nodeValues())?.libvirt_state === "connected",
    );
    assert.deepEqual(await domainNames(), before);
  });
});

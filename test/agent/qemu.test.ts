// The agent on the machine's real QEMU hypervisor (qemu:///system): a tiny diskless TCG guest
// driven through QMF (define, create, suspend, resume, save, restore, xml_desc, destroy,
// undefine) with cpu_time growing; a change made by virsh seen by a console within 1 s; a
// domain whose job lock is held is skipped by the stats sweep and marked stale.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { connect, type LibvirtClient } from "../../src/libvirt/index.js";
import type { ConsoleSession, ObjectIdLike, QmfObject } from "../../src/qmf/index.js";
import { type AgentHandle, openConsole, startTestAgent } from "../support/agent.js";
import { type AgentView, agentView } from "../support/agent-view.js";
import { cleanupGuest, qemuGuestXml, uniqueGuestName } from "../support/qemu.js";
import { waitFor } from "../support/wait.js";

const run = promisify(execFile);
const URI = "qemu:///system";
const guest = uniqueGuestName("agent");
const saveFile = `/var/tmp/${guest}.save`;

let h: AgentHandle;
let qc: ConsoleSession;
let lv: LibvirtClient;
let domRef: ObjectIdLike;
let uuid: string;
let view: AgentView;

const call = (method: string, args: Record<string, unknown> = {}) =>
  qc.callMethod(domRef, method, args, { timeoutMs: 60_000 });

before(async () => {
  lv = await connect(URI);
  // No host UUID given and a fresh state dir: the agent names itself from the capabilities.
  h = await startTestAgent({ uri: URI, statsIntervalMs: 500 });
  qc = await openConsole();
  view = agentView(qc, h.name, 10_000);
});

after(async () => {
  await qc?.close();
  await h?.stop();
  if (lv) {
    const err = await cleanupGuest(lv, guest);
    await lv.close();
    if (err) throw err;
  }
  rmSync(saveFile, { force: true });
});

describe("agent on QEMU (qemu:///system)", () => {
  test("a guest through QMF: define, create (cpu_time grows), suspend, resume, save, restore, xml_desc, destroy, undefine", async () => {
    const caps = await lv.getCapabilities();
    assert.ok(caps.includes(`<uuid>${h.agent.hostUuid}</uuid>`), "Node named by the host UUID");
    const out = await qc.callMethod(
      { agentName: h.name, objectName: `Node:${h.agent.hostUuid}` },
      "define_domain_xml",
      { xml_desc: qemuGuestXml(guest, { memoryMiB: 64 }) },
    );
    domRef = out.domain as ObjectIdLike;
    const d = await lv.domainLookupByName(guest);
    uuid = d.uuid;
    assert.equal(domRef.objectName, `Domain:${uuid}`);
    await view.infoWhen(uuid, (v) => v.state === "shutoff", "shutoff after define");

    await call("create");
    const first = await view.infoWhen(
      uuid,
      (v) => v.state === "running" && (v.cpu_time as bigint) > 0n,
      "running with cpu time",
    );
    assert.equal(first.state_reason, "booted");
    assert.equal(first.maximum_memory, 65536n);
    assert.equal(first.memory, 65536n);
    assert.equal(first.num_vcpus, 1);
    assert.equal(first.stats_stale, false);
    // No disks and no NICs: the block and network sums are exactly zero.
    assert.equal(first.block_rd_bytes, 0n);
    assert.equal(first.net_rx_bytes, 0n);
    await view.infoWhen(
      uuid,
      (v) => (v.cpu_time as bigint) > (first.cpu_time as bigint),
      "cpu_time growing",
    );

    await call("suspend");
    assert.deepEqual(
      [(await view.info(uuid))?.state, (await view.info(uuid))?.state_reason],
      ["paused", "user"],
      "published before the method returned",
    );
    await call("resume");
    await view.infoWhen(
      uuid,
      (v) => v.state === "running" && v.state_reason === "unpaused",
      "resumed",
    );

    await call("save", { filename: saveFile });
    await view.infoWhen(uuid, (v) => v.state === "shutoff" && v.state_reason === "saved", "saved");
    assert.ok(statSync(saveFile).size > 0);
    assert.equal(readFileSync(saveFile).subarray(0, 16).toString("latin1"), "LibvirtQemudSave");
    await call("restore", { filename: saveFile });
    const restored = await view.infoWhen(
      uuid,
      (v) => v.state === "running" && v.state_reason === "restored",
      "restored",
    );
    assert.equal(restored.memory, 65536n);

    const x = (await call("xml_desc")).description as string;
    assert.match(x, new RegExp(`<name>${guest}</name>`));
    assert.match(x, new RegExp(`<uuid>${uuid}</uuid>`));
    assert.match(x, /<domain type='qemu' id='\d+'>/);

    await call("destroy");
    const off = await view.infoWhen(
      uuid,
      (v) => v.state === "shutoff" && v.state_reason === "destroyed",
      "destroyed",
    );
    assert.equal(off.cpu_time, 0n);
    await call("undefine");
    await waitFor(
      "Domain deleted",
      5000,
      async () =>
        (
          await qc.query({
            agentName: h.name,
            packageName: "Libvirt",
            className: "Domain",
            objectId: domRef,
          })
        ).length === 0,
    );
    await assert.rejects(lv.domainLookupByName(guest));
  });

  test("virsh suspend behind the agent's back reaches a console within 1 s, with no query", async () => {
    await lv.domainCreate(await lv.domainDefineXml(qemuGuestXml(guest)));
    const d = await lv.domainLookupByName(guest);
    uuid = d.uuid;
    await view.infoWhen(uuid, (v) => v.state === "running", "running");
    const seen = new Promise<number>((resolve) => {
      const on = (o: QmfObject) => {
        if (
          o.agentName === h.name &&
          o.objectId.objectName === `DomainInfo:${uuid}` &&
          o.values.state === "paused"
        ) {
          qc.off("objectChanged", on);
          resolve(performance.now());
        }
      };
      qc.on("objectChanged", on);
    });
    await run("virsh", ["-q", "-c", URI, "suspend", guest]);
    const t = performance.now();
    const at = await Promise.race([
      seen,
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error("no data indication within 3 s")), 3000),
      ),
    ]);
    assert.ok(at - t < 1000, `seen ${Math.round(at - t)} ms after virsh returned`);
    await run("virsh", ["-q", "-c", URI, "resume", guest]);
    await view.infoWhen(uuid, (v) => v.state === "running", "running again");
  });

  test("a domain whose job lock is held keeps its statistics, marked stale with their age; sweeps keep running", async () => {
    const pid = Number(readFileSync(`/run/libvirt/qemu/${guest}.pid`, "utf8").trim());
    assert.ok(pid > 1);
    await view.infoWhen(
      uuid,
      (v) => v.stats_stale === false && (v.cpu_time as bigint) > 0n,
      "fresh stats",
    );
    // Freeze QEMU, then let a virsh command take the domain's job and wait on the monitor.
    process.kill(pid, "SIGSTOP");
    let holder: ChildProcess | undefined;
    try {
      holder = spawn(
        "virsh",
        ["-q", "-c", URI, "qemu-monitor-command", guest, '{"execute":"query-status"}'],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let said = "";
      holder.stdout?.on("data", (b) => {
        said += b;
      });
      holder.stderr?.on("data", (b) => {
        said += b;
      });
      const stale = await view
        .infoWhen(
          uuid,
          (v) => v.stats_stale === true && (v.stats_age as bigint) > 0n,
          "stale stats",
        )
        .catch((e: Error) => {
          // Say what was seen, so a failure here can be told apart from a frozen test.
          const st = readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2];
          throw new Error(
            `${e.message}; qemu process state ${st}, virsh holding the job exited: ${holder?.exitCode !== null}, said ${JSON.stringify(said)}`,
          );
        });
      // The sweep did not stall: later sweeps keep running and the age keeps growing.
      await view.infoWhen(
        uuid,
        (v) => (v.stats_age as bigint) > (stale.stats_age as bigint),
        "stats age growing",
      );
      assert.equal(stale.state, "running");
    } finally {
      process.kill(pid, "SIGCONT");
      await new Promise((r) => holder?.once("exit", r) ?? r(undefined));
    }
    await view.infoWhen(uuid, (v) => v.stats_stale === false && v.stats_age === 0n, "fresh again");
  });
});

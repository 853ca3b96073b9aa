// The client against the real libvirtd with a real QEMU guest (TCG, 64 MiB, no disk) on
// qemu:///system. The guest has a unique name and is always destroyed and undefined.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import {
  connect,
  type Domain,
  DomainEventResumedDetail,
  DomainEventShutdownDetail,
  DomainEventStartedDetail,
  DomainEventStoppedDetail,
  DomainEventSuspendedDetail,
  DomainEventType,
  DomainShutoffReason,
  DomainState,
  isNoDomain,
  type LibvirtClient,
  StatsTypes,
} from "../../src/libvirt/index.js";
import { expectEvents } from "../support/events.js";
import { cleanupGuest, qemuGuestXml, uniqueGuestName } from "../support/qemu.js";
import { waitFor } from "../support/wait.js";

let client: LibvirtClient;
let dir: string;
const name = uniqueGuestName("rpc");
const events: [number, number][] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "lvq-qemu-"));
  // Defining or starting a guest can take tens of seconds here while libvirtd re-probes
  // QEMU's capabilities; the call timeout must cover that.
  client = await connect("qemu:///system", { callTimeoutMs: 180_000 });
  await client.registerEvents(["domainLifecycle"]);
  // Other tests may run guests on the same daemon: keep only our guest's events.
  client.on("domainLifecycle", (e) => {
    if (e.domain.name === name) events.push([e.event, e.detail]);
  });
});

after(async () => {
  const err = await cleanupGuest(client, name);
  await client.close();
  rmSync(dir, { recursive: true, force: true });
  if (err) throw err;
});

const expectLife = (step: string, ...want: [number, number][]) =>
  expectEvents(events, step, want, { timeoutMs: 10_000, quietMs: 50 });

it("a QEMU guest: start, CPU time grows, bulk stats, suspend, resume, save, restore, destroy, undefine", async () => {
  let d: Domain = await client.domainDefineXml(qemuGuestXml(name, { memoryMiB: 64 }));
  assert.equal(d.name, name);
  assert.equal(d.id, -1);
  await expectLife("define", [DomainEventType.DEFINED, 0]);

  d = await client.domainCreate(d);
  assert.ok(d.id > 0);
  // QEMU reports the vCPUs starting (RESUMED, UNPAUSED) just before STARTED(BOOTED).
  await expectLife(
    "start",
    [DomainEventType.RESUMED, DomainEventResumedDetail.UNPAUSED],
    [DomainEventType.STARTED, DomainEventStartedDetail.BOOTED],
  );
  const first = await client.domainGetInfo(d);
  assert.equal(first.state, DomainState.RUNNING);
  assert.equal(first.maxMem, 65536n);
  assert.equal(first.nrVirtCpu, 1);
  await waitFor(
    "CPU time to grow",
    10_000,
    async () => (await client.domainGetInfo(d)).cpuTime > first.cpuTime,
  );

  const [rec, ...rest] = await client.getAllDomainStats(
    [d],
    StatsTypes.STATE | StatsTypes.CPU_TOTAL | StatsTypes.BALLOON | StatsTypes.VCPU,
  );
  assert.equal(rest.length, 0);
  assert.ok(rec);
  assert.deepEqual(rec.domain, d);
  const p = rec.params;
  assert.equal(p["state.state"], DomainState.RUNNING);
  assert.equal(typeof p["cpu.time"], "bigint");
  assert.ok((p["cpu.time"] as bigint) > 0n);
  assert.equal(p["balloon.maximum"], 65536n);
  assert.equal(p["balloon.current"], 65536n);
  assert.equal(p["vcpu.current"], 1);
  assert.equal(p["vcpu.maximum"], 1);
  assert.equal(p["vcpu.0.state"], 1);
  assert.equal(typeof p["vcpu.0.time"], "bigint");

  await client.domainSuspend(d);
  assert.equal((await client.domainGetState(d)).state, DomainState.PAUSED);
  await expectLife("suspend", [DomainEventType.SUSPENDED, 0]);
  await client.domainResume(d);
  assert.equal((await client.domainGetState(d)).state, DomainState.RUNNING);
  await expectLife("resume", [DomainEventType.RESUMED, 0]);

  const file = join(dir, `${name}.save`);
  await client.domainSave(d, file);
  assert.ok(statSync(file).size > 0);
  assert.equal((await client.domainGetState(d)).state, DomainState.SHUTOFF);
  // QEMU pauses the vCPUs before writing the memory out.
  await expectLife(
    "save",
    [DomainEventType.SUSPENDED, DomainEventSuspendedDetail.PAUSED],
    [DomainEventType.STOPPED, DomainEventStoppedDetail.SAVED],
  );

  await client.domainRestore(file);
  d = await client.domainLookupByName(name);
  assert.ok(d.id > 0);
  assert.equal((await client.domainGetState(d)).state, DomainState.RUNNING);
  await expectLife(
    "restore",
    [DomainEventType.STARTED, DomainEventStartedDetail.RESTORED],
    // The vCPUs start after the restore; libvirt reports that resume as FROM_SNAPSHOT (2).
    [DomainEventType.RESUMED, DomainEventResumedDetail.FROM_SNAPSHOT],
  );

  await client.domainDestroy(d);
  assert.deepEqual(await client.domainGetState(d), {
    state: DomainState.SHUTOFF,
    reason: DomainShutoffReason.DESTROYED,
  });
  // QEMU reports a shutdown initiated by the host before STOPPED.
  await expectLife(
    "destroy",
    [DomainEventType.SHUTDOWN, DomainEventShutdownDetail.HOST],
    [DomainEventType.STOPPED, DomainEventStoppedDetail.DESTROYED],
  );

  await client.domainUndefine(d);
  await expectLife("undefine", [DomainEventType.UNDEFINED, 0]);
  const gone = await client.domainLookupByName(name).catch((e: unknown) => e);
  assert.ok(isNoDomain(gone));
});

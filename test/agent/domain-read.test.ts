// A full resync reads the domains with a constant number of libvirt calls when the bulk stats
// carry what GET_INFO would (QEMU's records): no GET_INFO per domain then; the test driver's
// records carry only the state, and each domain is still read with GET_INFO.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { domainKind } from "../../src/agent/kinds/domain.js";
import { infoFromStats } from "../../src/agent/kinds/domain-stats.js";
import { createLogger } from "../../src/agent/log.js";
import type { Domain, DomainInfo, LibvirtClient, StatValue } from "../../src/libvirt/index.js";

const QEMU_RECORD: Record<string, StatValue> = {
  "state.state": 1,
  "state.reason": 1,
  "cpu.time": 123456789n,
  "balloon.current": 1048576n,
  "balloon.maximum": 2097152n,
  "vcpu.current": 2,
  "vcpu.maximum": 4,
};

const DOMAIN: Domain = { name: "web1", uuid: "6f0c1e52-8a3b-4c1d-9e2f-0a1b2c3d4e5f", id: 7 };
const GET_INFO: DomainInfo = {
  state: 1,
  maxMem: 65536n,
  memory: 65536n,
  nrVirtCpu: 1,
  cpuTime: 42n,
};

/** A client that answers GET_INFO and counts the calls. */
function countingClient(): { client: LibvirtClient; calls: () => number } {
  let n = 0;
  const client = {
    domainGetInfo: async () => {
      n++;
      return GET_INFO;
    },
  } as unknown as LibvirtClient;
  return { client, calls: () => n };
}

/**
 * A resync's read context holding one bulk stats record, the domain's displays as read before
 * (so the read asks no XML) and no filtered listing naming it.
 */
function resyncContext(record: Record<string, StatValue>): Parameters<typeof domainKind.read>[2] {
  const none = new Set<string>();
  return {
    bulk: {
      stats: new Map([[DOMAIN.uuid, record]]),
      withSnapshots: none,
      transient: none,
      autostart: none,
      managedSave: none,
    },
    memo: { displays: { of: DOMAIN.id } } as NonNullable<
      Parameters<typeof domainKind.read>[2]["memo"]
    >,
    settings: { balloonStatsPeriod: 0, statsHistory: 0 },
    log: createLogger({ level: "error" }),
  };
}

describe("domain reads from bulk stats", () => {
  test("a record with memory, vCPUs and CPU time gives GET_INFO's answer", () => {
    assert.deepEqual(infoFromStats(1, QEMU_RECORD), {
      state: 1,
      maxMem: 2097152n,
      memory: 1048576n,
      nrVirtCpu: 2,
      cpuTime: 123456789n,
    });
  });

  test("a shut-off domain's record has no CPU time: 0, as GET_INFO answers", () => {
    const shutoff: Record<string, StatValue> = { ...QEMU_RECORD, "state.state": 5 };
    delete shutoff["cpu.time"];
    assert.equal(infoFromStats(5, shutoff)?.cpuTime, 0n);
    assert.equal(infoFromStats(1, shutoff), undefined, "a running domain needs its CPU time");
  });

  test("a record lacking any of them (the test driver's: the state only) gives nothing", () => {
    assert.equal(infoFromStats(1, { "state.state": 1, "state.reason": 0 }), undefined);
    for (const key of ["balloon.current", "balloon.maximum", "vcpu.current", "vcpu.maximum"]) {
      const lacking = { ...QEMU_RECORD };
      delete lacking[key];
      assert.equal(infoFromStats(1, lacking), undefined, key);
    }
  });

  test("the resync's read calls GET_INFO only when the record does not carry its answer", async () => {
    const qemu = countingClient();
    const fromStats = await domainKind.read(qemu.client, DOMAIN, resyncContext(QEMU_RECORD));
    assert.equal(qemu.calls(), 0);
    assert.equal(fromStats.info.memory, 1048576n);
    assert.equal(fromStats.reason, 1);

    const test = countingClient();
    const fromGetInfo = await domainKind.read(
      test.client,
      DOMAIN,
      resyncContext({ "state.state": 1, "state.reason": 0 }),
    );
    assert.equal(test.calls(), 1);
    assert.deepEqual(fromGetInfo.info, GET_INFO);
  });
});

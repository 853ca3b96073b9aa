/**
 * Link faults between our libvirt client and the real libvirtd (RELIABILITY.md's "partition /
 * slow link" row), through a unix-socket fault proxy of our own: replies, events and calls in
 * 1-byte slices, a pause caught by keepalive, and a reset. The daemon and the test driver are
 * the real ones; only the socket between them is tampered with.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { ConnectionLostError, connect, type LibvirtClient } from "../../src/libvirt/index.js";
import { DEFAULT_SOCKET_PATH } from "../../src/libvirt/transport/index.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { writeTestDriverFile } from "../support/testdriver.js";

const dir = mkdtempSync(join(tmpdir(), "lvq-link-"));
const socketPath = join(dir, "proxy.sock");
let uri: string;
let proxy: FaultProxy;
let direct: LibvirtClient;

before(async () => {
  uri = writeTestDriverFile(join(dir, "host.xml"), {
    domains: 12,
    pools: 2,
    volumesPerPool: 3,
    namePrefix: "lf-",
  });
  proxy = new FaultProxy({ targetPath: DEFAULT_SOCKET_PATH, listenPath: socketPath });
  await proxy.port();
  direct = await connect(uri);
});

beforeEach(() => {
  proxy.sliceBytes = 0;
  proxy.resume();
});

after(async () => {
  await direct?.close();
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a client reads of the host: domains with XML and stats, pools with volumes. */
async function readHost(c: LibvirtClient) {
  const doms = (await c.listAllDomains()).sort((a, b) => a.name.localeCompare(b.name));
  const xml = await Promise.all(doms.map((d) => c.domainGetXmlDesc(d)));
  const stats = (await c.getAllDomainStats([], 1)).sort((a, b) =>
    a.domain.name.localeCompare(b.domain.name),
  );
  const pools = (await c.listAllStoragePools()).sort((a, b) => a.name.localeCompare(b.name));
  const vols = await Promise.all(
    pools.map(async (p) => (await c.storagePoolListAllVolumes(p)).map((v) => v.name).sort()),
  );
  return { doms, xml, stats, pools, vols };
}

describe("libvirt link faults through a proxy", () => {
  it("1-byte slices both ways: the whole conversation, an event included, decodes as without", async () => {
    proxy.sliceBytes = 1;
    const before = proxy.forwarded;
    const c = await connect(uri, { socketPath });
    try {
      const seen = await readHost(c);
      assert.deepEqual(seen, await readHost(direct));
      assert.equal(seen.doms.length, 12);
      const xmlBytes = Buffer.byteLength(seen.xml.join(""));
      assert.ok(
        proxy.forwarded - before > xmlBytes,
        `the conversation went through the proxy (${proxy.forwarded - before} bytes, ${xmlBytes} of XML)`,
      );
      // An event, sliced like the rest. (Each connection to a test-driver file has its own
      // copy of the host, so the change is made on this connection.)
      await c.registerEvents(["domainLifecycle"]);
      const got = new Promise<[string, number]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no lifecycle event within 5 s")), 5000);
        c.once("domainLifecycle", (e) => {
          clearTimeout(timer);
          resolve([e.domain.name, e.event]);
        });
      });
      const first = seen.doms[0] as (typeof seen.doms)[number];
      await c.domainSuspend(first);
      assert.deepEqual(await got, [first.name, 3]); // VIR_DOMAIN_EVENT_SUSPENDED
    } finally {
      await c.close();
    }
  });

  it("a pause: keepalive declares the daemon dead and the call in flight fails; a new connection works after it", async () => {
    const c = await connect(uri, { socketPath, keepaliveIntervalMs: 500, keepaliveCount: 3 });
    const [d] = await c.listAllDomains();
    proxy.pause();
    const pausedAt = Date.now();
    try {
      const err = await c.domainGetInfo(d as NonNullable<typeof d>).then(
        () => null,
        (e: unknown) => e,
      );
      const lostAfterMs = Date.now() - pausedAt;
      assert.ok(err instanceof ConnectionLostError, String(err));
      // 3 unanswered PINGs at 0.5 s after 0.5 s of silence: about 2 s; never the 30 s call timeout.
      assert.ok(lostAfterMs >= 1000 && lostAfterMs < 5000, `lost after ${lostAfterMs} ms`);
      assert.ok(c.closed);
    } finally {
      proxy.resume();
      c.destroy();
    }
    const again = await connect(uri, { socketPath });
    try {
      assert.equal((await again.listAllDomains()).length, 12);
    } finally {
      await again.close();
    }
  });

  it("a reset: every call in flight fails at once with ConnectionLostError", async () => {
    const c = await connect(uri, { socketPath });
    const doms = await c.listAllDomains();
    proxy.pause(); // hold the calls on the wire, then cut it
    const inFlight = doms.map((d) =>
      c.domainGetInfo(d).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    const resetAt = Date.now();
    proxy.resetAll();
    const errs = await Promise.all(inFlight);
    assert.ok(Date.now() - resetAt < 1000);
    assert.equal(errs.length, 12);
    for (const e of errs) assert.ok(e instanceof ConnectionLostError, String(e));
    assert.ok(c.closed);
  });
});

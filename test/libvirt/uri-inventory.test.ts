// URI resolution (pure) and `lvq inventory` against the real daemon's test driver.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { inventoryJson, inventoryText, readInventory } from "../../src/cli/commands/inventory.js";
import { connect, InvalidArgumentError, resolveUri } from "../../src/libvirt/index.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";

describe("URIs as users write them", () => {
  it("maps each form to a socket and the name sent in CONNECT_OPEN", () => {
    const cases: [string, { socketPath: string; openName: string }][] = [
      [
        "test:///default",
        { socketPath: "/var/run/libvirt/libvirt-sock", openName: "test:///default" },
      ],
      [
        "qemu:///system",
        { socketPath: "/var/run/libvirt/libvirt-sock", openName: "qemu:///system" },
      ],
      [
        "test+unix:///abs/file.xml",
        { socketPath: "/var/run/libvirt/libvirt-sock", openName: "test:///abs/file.xml" },
      ],
      [
        "qemu+unix:///system?socket=/run/other/sock",
        { socketPath: "/run/other/sock", openName: "qemu:///system" },
      ],
      [
        "qemu+unix:///system?socket=%2Frun%2Fx&mode=legacy",
        { socketPath: "/run/x", openName: "qemu:///system?mode=legacy" },
      ],
    ];
    for (const [uri, want] of cases) assert.deepEqual(resolveUri(uri), want, uri);
  });

  it("refuses relative sockets, other transports and remote hosts", () => {
    for (const [uri, msg] of [
      [
        "qemu+unix:///system?socket=rel",
        "libvirt URI qemu+unix:///system?socket=rel: socket must be an absolute path",
      ],
      [
        "qemu+tls://h/system",
        'libvirt URI qemu+tls://h/system: transport "tls" is not supported (only local unix sockets)',
      ],
      ["", 'not a libvirt URI: ""'],
    ] as const) {
      assert.throws(
        () => resolveUri(uri),
        (e: unknown) => e instanceof InvalidArgumentError && e.message === msg,
      );
    }
  });
});

describe("lvq inventory", () => {
  let dir: string;
  let uri: string;
  const spec = {
    domains: 2,
    pools: 1,
    volumesPerPool: 2,
    hostName: "inv-host",
    namePrefix: "inv-",
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "lvq-inventory-"));
    uri = writeTestDriverFile(join(dir, "node.xml"), { ...spec, runningDomains: false });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads node info, domains with state, pools and volumes", async () => {
    const c = await connect(uri);
    try {
      const inv = await readInventory(c);
      const names = testDriverNames(spec);
      const hostname = await c.getHostname();
      assert.equal(inv.hostname, hostname);
      assert.equal(inv.hypervisor, "TEST");
      assert.deepEqual(inv.node, {
        model: "inv-host",
        memoryKiB: 16777216n,
        cpus: 4,
        mhz: 2400,
        nodes: 1,
        sockets: 1,
        cores: 4,
        threads: 1,
      });
      assert.deepEqual(
        inv.domains,
        names.domains.map((d) => ({
          name: d.name,
          uuid: d.uuid,
          id: -1,
          state: "shut off",
          vcpus: 1,
          memoryKiB: 65536n,
        })),
      );
      const [p] = names.pools;
      assert.ok(p);
      assert.deepEqual(inv.pools, [
        {
          name: p.name,
          uuid: p.uuid,
          state: "running",
          capacity: 107374182400n,
          allocation: 0n,
          available: 107374182400n,
          volumes: p.volumes.map((v) => ({
            name: v.name,
            key: v.path,
            path: v.path,
            type: "file",
            capacity: 1048576n,
            allocation: 0n,
          })),
        },
      ]);
      const text = inventoryText(inv);
      const lines = text.split("\n");
      assert.equal(lines[0], `Host ${hostname} (TEST, libvirt ${inv.libVersion}) at ${uri}`);
      assert.equal(
        lines[1],
        "Node: inv-host, 4 CPUs @ 2400 MHz (1 NUMA nodes, 1 sockets, 4 cores, 1 threads), 16777216 KiB memory",
      );
      assert.equal(lines[3], "Domains (2):");
      assert.equal(lines[4], "ID  NAME       STATE     VCPUS  MEMORY KiB  UUID");
      assert.equal(
        lines[6],
        `-   inv-dom-0  shut off  1      65536       ${names.domains[0]?.uuid}`,
      );
      assert.equal(lines.length, 19);
      assert.deepEqual(JSON.parse(inventoryJson(inv)).pools[0].volumes[1], {
        name: "inv-vol-0-1",
        key: p.volumes[1]?.path,
        path: p.volumes[1]?.path,
        type: "file",
        capacity: 1048576,
        allocation: 0,
      });
    } finally {
      await c.close();
    }
  });

  it("the command prints JSON with --json and fails clearly on a bad URI", () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "inventory", ...args], {
        encoding: "utf8",
      });
    const ok = run("--uri", uri, "--json");
    assert.equal(ok.status, 0, ok.stderr);
    const inv = JSON.parse(ok.stdout);
    assert.deepEqual(
      inv.domains.map((d: { name: string; state: string }) => `${d.name}:${d.state}`),
      ["inv-dom-0:shut off", "inv-dom-1:shut off"],
    );
    assert.equal(inv.pools[0].volumes.length, 2);
    const bad = run("--uri", "nonsense");
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /not a libvirt URI: "nonsense"/);
    assert.equal(bad.stdout, "");
  });
});

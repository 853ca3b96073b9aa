// The virsh-named verbs (networks, snapshots, resizing, autostart, guest addresses, managed
// save) through the real built binary as a subprocess, against the real RabbitMQ and a real
// agent on its own libvirt test-driver file served by the real libvirtd. Each verb's effect
// is checked against what libvirt reports on the agent's own connection.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseKiB } from "../../src/cli/commands/resize.js";
import { DomainVcpuFlags, type LibvirtClient } from "../../src/libvirt/index.js";
import { type AgentHandle, startTestAgent } from "../support/agent.js";
import { BROKER } from "../support/broker.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { buildOnce, jsonOf, type LvqResult, lvq } from "./harness.js";

const tag = randomBytes(3).toString("hex");
const dir = mkdtempSync(join(tmpdir(), `lvq-verbs-${tag}-`));
const spec = { domains: 2, pools: 0, volumesPerPool: 0, networks: 1, namePrefix: `vb${tag}-` };
const names = testDriverNames(spec);
const instance = `verbs-${tag}`;
let agent: AgentHandle;
let lv: LibvirtClient;

/** Runs lvq and fails with its stderr unless it exited 0. */
async function ok(args: string[]): Promise<LvqResult> {
  const r = await lvq(args);
  assert.equal(r.code, 0, `lvq ${args.join(" ")}: ${r.stderr}`);
  return r;
}

/** An aligned table as lvq prints it (two spaces between columns, the last not padded). */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "))
    .map((l) => l.trimEnd())
    .join("\n")
    .concat("\n");
}

describe("the virsh verbs of lvq", { timeout: 170_000 }, () => {
  before(async () => {
    const uri = writeTestDriverFile(join(dir, "node.xml"), spec);
    const [, h] = await Promise.all([
      buildOnce(),
      startTestAgent({ uri, instance, broker: BROKER }),
    ]);
    agent = h;
    lv = h.agent.libvirt.client;
  });
  after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("net-define, net-autostart, net-start, net-list, net-destroy, net-undefine", async () => {
    const name = `vb${tag}-life`;
    const file = join(dir, "net.xml");
    writeFileSync(file, `<network><name>${name}</name><bridge name='lvqvb0'/></network>`);
    const defined = await ok(["net-define", file, "--host", instance]);
    const n = await lv.networkLookupByName(name);
    const id = `${agent.name}/Network:${n.uuid}`;
    assert.equal(defined.stdout, `Network ${name} defined on ${instance} (${id})\n`);

    assert.equal(
      (await ok(["net-autostart", `${instance}/${name}`])).stdout,
      `Network ${name} marked as autostarted on ${instance}\n`,
    );
    assert.equal(await lv.networkGetAutostart(n), true);
    assert.deepEqual(jsonOf(await ok(["--json", "net-autostart", n.uuid, "--disable"])), {
      object_id: id,
      host: instance,
      name,
      action: "net-autostart",
      autostart: false,
    });
    assert.equal(await lv.networkGetAutostart(n), false);

    // Inactive: only --all and --inactive list it.
    const listed = async (...args: string[]) =>
      (
        jsonOf(await ok(["--json", "net-list", "--agent", instance, ...args])) as {
          properties: { name: string };
        }[]
      ).map((r) => r.properties.name);
    const n0 = names.networks[0]!;
    assert.deepEqual(await listed(), [n0.name]);
    assert.deepEqual(await listed("--all"), [name, n0.name].sort());
    assert.deepEqual(await listed("--inactive"), [name]);

    assert.equal(
      (await ok(["net-start", `${instance}/${name}`])).stdout,
      `Network ${name} started on ${instance}\n`,
    );
    assert.equal(await lv.networkIsActive(n), true);
    const human = await ok(["net-list", "--agent", instance]);
    assert.equal(
      human.stdout,
      table(
        [
          ["HOST", "NAME", "ACTIVE", "PERSISTENT", "AUTOSTART", "BRIDGE", "UUID"],
          [instance, name, "true", "true", "false", "lvqvb0", n.uuid],
          [instance, n0.name, "true", "true", "false", n0.bridge, n0.uuid],
        ].sort((a, b) => (a[0] === "HOST" ? -1 : b[0] === "HOST" ? 1 : a[1]!.localeCompare(b[1]!))),
      ),
    );

    assert.equal(
      (await ok(["net-destroy", `${instance}/${name}`])).stdout,
      `Network ${name} destroyed on ${instance}\n`,
    );
    assert.equal(await lv.networkIsActive(n), false);
    assert.equal(
      (await ok(["net-undefine", `${instance}/${name}`])).stdout,
      `Network ${name} undefined on ${instance}\n`,
    );
    assert.deepEqual(
      (await lv.listAllNetworks()).map((x) => x.name),
      [n0.name],
    );
    const gone = await lvq(["net-start", `${instance}/${name}`]);
    assert.equal(gone.code, 3);
  });

  test("net-dhcp-leases: libvirt's refusal on the test driver exits 1 with its code", async () => {
    const n0 = names.networks[0]!;
    const r = await lvq(["net-dhcp-leases", `${instance}/${n0.name}`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "lvq: libvirt error 3: virNetworkGetDHCPLeases: this function is not supported by the connection driver: virNetworkGetDHCPLeases\n",
    );
  });

  test("snapshot-create, snapshot-list, snapshot-revert, snapshot-delete", async () => {
    const dn = names.domains[0]!;
    const ref = `${instance}/${dn.name}`;
    const d = await lv.domainLookupByName(dn.name);
    const xml = join(dir, "snap.xml");
    writeFileSync(xml, "<domainsnapshot><name>base</name></domainsnapshot>");
    assert.equal(
      (await ok(["snapshot-create", ref, "--xmlfile", xml])).stdout,
      `Domain ${dn.name} snapshot base created on ${instance}\n`,
    );
    const auto = jsonOf(await ok(["--json", "snapshot-create", ref])) as Record<string, unknown>;
    const second = auto.snapshot as string;
    assert.deepEqual(auto, {
      object_id: `${agent.name}/Domain:${dn.uuid}`,
      host: instance,
      name: dn.name,
      action: "snapshot-create",
      snapshot: second,
      snapshot_id: `${agent.name}/Snapshot:${dn.uuid}/${second}`,
    });
    assert.deepEqual(
      (await lv.domainListAllSnapshots(d)).map((s) => s.name).sort(),
      ["base", second].sort(),
    );

    const times = new Map<string, string>();
    for (const s of await lv.domainListAllSnapshots(d)) {
      const t = /<creationTime>(\d+)<\/creationTime>/.exec(
        await lv.domainSnapshotGetXmlDesc(s),
      )![1]!;
      times.set(s.name, new Date(Number(t) * 1000).toISOString().slice(0, 19).replace("T", " "));
    }
    const list = await ok(["snapshot-list", ref]);
    assert.equal(
      list.stdout,
      table([
        ["HOST", "NAME", "STATE", "IS_CURRENT", "CREATION_TIME", "PARENT"],
        [instance, second, "running", "true", times.get(second)!, "base"],
        [instance, "base", "running", "false", times.get("base")!, ""],
      ]),
    );

    assert.equal(
      (await ok(["snapshot-revert", ref, "base"])).stdout,
      `Domain ${dn.name} reverted to snapshot base on ${instance}\n`,
    );
    assert.equal((await lv.domainSnapshotCurrent(d)).name, "base");
    const missing = await lvq(["snapshot-revert", ref, "nope"]);
    assert.equal(missing.code, 3);
    assert.equal(missing.stderr, `lvq: domain ${dn.name} on ${instance} has no snapshot "nope"\n`);

    assert.equal(
      (await ok(["snapshot-delete", ref, "base", "--children"])).stdout,
      `Snapshot base and its children deleted on ${instance}\n`,
    );
    assert.deepEqual(await lv.domainListAllSnapshots(d), []);
    assert.equal(
      (await ok(["snapshot-list", ref])).stdout,
      "HOST  NAME  STATE  IS_CURRENT  CREATION_TIME  PARENT\n",
    );
  });

  test("setvcpus, setmem and autostart change what libvirt reports", async () => {
    const dn = names.domains[1]!;
    const ref = `${instance}/${dn.name}`;
    const d = await lv.domainLookupByName(dn.name);
    // The test file's domains have 1 vCPU of at most 1: raise the maximum in the definition.
    await lv.domainSetVcpusFlags(d, 4, DomainVcpuFlags.MAXIMUM | DomainVcpuFlags.CONFIG);
    assert.equal(
      (await ok(["setvcpus", ref, "3", "--config"])).stdout,
      `Domain ${dn.name} set to 3 vCPUs (config) on ${instance}\n`,
    );
    assert.equal(await lv.domainGetVcpusFlags(d, DomainVcpuFlags.CONFIG), 3);
    const over = await lvq(["setvcpus", ref, "2", "--live"]);
    assert.equal(over.code, 1);
    assert.equal(
      over.stderr,
      "lvq: libvirt error 8: virDomainSetVcpusFlags: invalid argument: requested cpu amount exceeds maximum (2 > 1)\n",
    );
    // lvq's own --config <file> still works before the command word.
    const cfg = join(dir, "lvq.json");
    writeFileSync(cfg, JSON.stringify({ broker: BROKER }));
    assert.equal(
      (await ok(["--config", cfg, "setmem", ref, "61440", "--config"])).stdout,
      `Domain ${dn.name} memory set to 61440 KiB (config) on ${instance}\n`,
    );
    assert.match(
      await lv.domainGetXmlDesc(d, 2 /* VIR_DOMAIN_XML_INACTIVE */),
      /<currentMemory unit='KiB'>61440<\/currentMemory>/,
    );
    const help = await ok(["setvcpus", "--help"]);
    assert.match(help.stdout, /\n {2}--config +change the persistent definition/);
    assert.ok(!help.stdout.includes("--config-flag"));
    const both = await lvq(["setvcpus", ref, "2", "--live", "--current"]);
    assert.equal(both.code, 2);
    assert.equal(both.stderr, "lvq: --current cannot be given with --live or --config\n");

    assert.equal(
      (await ok(["setmem", ref, "32M", "--live"])).stdout,
      `Domain ${dn.name} memory set to 32768 KiB (live) on ${instance}\n`,
    );
    assert.equal((await lv.domainGetInfo(d)).memory, 32768n);
    assert.deepEqual(jsonOf(await ok(["--json", "setmem", ref, "49152"])), {
      object_id: `${agent.name}/Domain:${dn.uuid}`,
      host: instance,
      name: dn.name,
      action: "setmem",
      memory: 49152,
      flags: "",
    });
    assert.equal((await lv.domainGetInfo(d)).memory, 49152n, "current: the running domain");
    const bad = await lvq(["setmem", ref, "lots"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^lvq: size "lots": expected an integer/);

    assert.equal(
      (await ok(["autostart", ref])).stdout,
      `Domain ${dn.name} marked as autostarted on ${instance}\n`,
    );
    assert.equal(await lv.domainGetAutostart(d), true);
    assert.equal(
      (await ok(["autostart", ref, "--disable"])).stdout,
      `Domain ${dn.name} unmarked as autostarted on ${instance}\n`,
    );
    assert.equal(await lv.domainGetAutostart(d), false);
  });

  test("domifaddr lists each address as virsh does; managedsave saves the domain", async () => {
    const n0 = names.networks[0]!;
    const name = `vb${tag}-ifaddr`;
    const file = join(dir, "dom.xml");
    writeFileSync(
      file,
      `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><os><type>hvm</type></os><devices><interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='${n0.name}'/></interface><interface type='bridge'><mac address='52:54:00:aa:bb:02'/><source bridge='br0'/></interface></devices></domain>`,
    );
    await ok(["define", file, "--host", instance]);
    const ref = `${instance}/${name}`;
    await ok(["start", ref]);
    const d = await lv.domainLookupByName(name);
    const libvirt = await lv.domainInterfaceAddresses(d, 0);
    const out = await ok(["domifaddr", ref]);
    assert.equal(
      out.stdout,
      table([
        ["NAME", "MAC ADDRESS", "PROTOCOL", "ADDRESS"],
        ...libvirt.map((i) => [
          i.name,
          i.hwaddr ?? "",
          "ipv4",
          `${i.addrs[0]!.addr}/${i.addrs[0]!.prefix}`,
        ]),
      ]),
    );
    assert.equal(libvirt.length, 2);
    const agentSource = jsonOf(await ok(["--json", "domifaddr", ref, "--source", "agent"])) as {
      interfaces: unknown[];
    };
    assert.equal(agentSource.interfaces.length, 2);
    const badSource = await lvq(["domifaddr", ref, "--source", "dhcp"]);
    assert.equal(badSource.code, 1);
    assert.equal(
      badSource.stderr,
      'lvq: method failed (QMF status 4 PARAMETER_INVALID): interface_addresses: argument source is "dhcp", not one of lease, agent, arp\n',
    );

    assert.equal(
      (await ok(["managedsave", ref])).stdout,
      `Domain ${name} state saved by libvirt on ${instance}\n`,
    );
    assert.equal(await lv.domainHasManagedSaveImage(d), true);
    const shown = jsonOf(await ok(["--json", "show", ref])) as {
      properties: Record<string, unknown>;
    };
    assert.deepEqual(
      [shown.properties.has_managed_save, shown.properties.persistent, shown.properties.autostart],
      [true, true, false],
    );
  });

  test("parseKiB reads sizes as virsh does", () => {
    assert.deepEqual(
      ["1024", "1M", "1MiB", "2g", "1GB", "1536b", "10KB"].map((t) => parseKiB(t)),
      [1024n, 1024n, 1024n, 2097152n, 976563n, 2n, 10n],
    );
  });
});

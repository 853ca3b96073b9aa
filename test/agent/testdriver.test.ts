// The agent on libvirt's test driver, seen through a real console session on the real broker:
// every seed property equals what libvirt reports, every seed method works, bad input is
// refused before libvirt is called, libvirt's refusals come back with its code and message.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
  domainReasonText,
  domainStateText,
  LIBVIRT_ERROR_BASE,
  poolStateText,
  readAgentState,
  stateFile,
  versionText,
} from "../../src/agent/index.js";
import { ErrorCode, type LibvirtClient } from "../../src/libvirt/index.js";
import {
  type ConsoleSession,
  type ObjectIdLike,
  type QmfEvent,
  type QmfObject,
  QmfStatus,
} from "../../src/qmf/index.js";
import {
  type AgentHandle,
  objectsByName,
  openConsole,
  startTestAgent,
  tempDir,
} from "../support/agent.js";
import { type AgentView, agentView, refName, refused } from "../support/agent-view.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const run = promisify(execFile);
const dir = tempDir("td");
const prefix = `${uniqueName("td")}-`;
const spec = { domains: 3, pools: 2, volumesPerPool: 2, namePrefix: prefix };
const names = testDriverNames(spec);
const uri = writeTestDriverFile(join(dir.path, "node.xml"), spec);

let h: AgentHandle;
let qc: ConsoleSession;
let lv: LibvirtClient;
let view: AgentView;
const events: QmfEvent[] = [];

const refAgent = (v: unknown): string => (v as ObjectIdLike).agentName;

before(async () => {
  h = await startTestAgent({ uri });
  lv = h.agent.libvirt.client;
  qc = await openConsole();
  view = agentView(qc, h.name);
  qc.on("event", (e) => {
    if (e.agentName === h.name) events.push(e);
  });
  await qc.waitForAgent(h.name, 10_000);
});

after(async () => {
  await qc?.close();
  await h?.stop();
  dir.remove();
});

describe("agent on the test driver", () => {
  test("every seed property is published and equals what libvirt reports", async () => {
    const hostUuid = h.agent.hostUuid;
    const [node] = await qc.query({ agentName: h.name, packageName: "Libvirt", className: "Node" });
    assert.ok(node);
    assert.equal(node.objectId.objectName, `Node:${hostUuid}`);
    assert.equal(node.values.type, await lv.getType());
    assert.equal(node.values.hostname, await lv.getHostname());
    assert.equal(node.values.version, versionText(await lv.getVersion()));
    assert.equal(node.values.libvirt_version, versionText(await lv.getLibVersion()));
    assert.equal(node.values.uri, uri);
    assert.equal(node.values.host_uuid, hostUuid);
    assert.equal(node.values.libvirt_state, "connected");
    assert.equal(refName(node.values.host_info), `NodeInfo:${hostUuid}`);
    assert.equal(refAgent(node.values.host_info), h.name);

    const ni = await view.one("NodeInfo", `NodeInfo:${hostUuid}`);
    assert.ok(ni, "Node.host_info points at a real NodeInfo object");
    const n = await lv.nodeGetInfo();
    assert.deepEqual(
      {
        model: ni.values.model,
        memory: ni.values.memory,
        cpus: ni.values.cpus,
        mhz: ni.values.mhz,
        nodes: ni.values.nodes,
        sockets: ni.values.sockets,
        cores: ni.values.cores,
        threads: ni.values.threads,
      },
      {
        model: n.model,
        memory: n.memory,
        cpus: n.cpus,
        mhz: n.mhz,
        nodes: n.nodes,
        sockets: n.sockets,
        cores: n.cores,
        threads: n.threads,
      },
    );

    const doms = await objectsByName(qc, h.name, "Domain");
    const infos = await objectsByName(qc, h.name, "DomainInfo");
    const listed = await lv.listAllDomains();
    assert.deepEqual(
      [...doms.values()].map((d) => d.values.name).sort(),
      names.domains.map((d) => d.name).sort(),
    );
    assert.equal(listed.length, 3);
    assert.equal(infos.size, 3);
    for (const d of listed) {
      const o = doms.get(`Domain:${d.uuid}`);
      assert.ok(o, `Domain:${d.uuid} published`);
      assert.equal(o.values.uuid, d.uuid);
      assert.equal(o.values.name, d.name);
      assert.equal(o.values.id, String(d.id));
      assert.equal(refName(o.values.node), `Node:${hostUuid}`);
      assert.equal(refName(o.values.domain_info), `DomainInfo:${d.uuid}`);
      const i = infos.get(refName(o.values.domain_info));
      assert.ok(i, "Domain.domain_info points at a real DomainInfo object");
      const gi = await lv.domainGetInfo(d);
      const st = await lv.domainGetState(d);
      assert.equal(i.values.state, domainStateText(gi.state));
      assert.equal(i.values.state, "running");
      assert.equal(i.values.state_reason, domainReasonText(st.state, st.reason));
      assert.equal(i.values.maximum_memory, gi.maxMem);
      assert.equal(i.values.memory, gi.memory);
      assert.equal(i.values.num_vcpus, gi.nrVirtCpu);
      // The test driver's cpu time of a running domain is the wall clock: it only grows.
      assert.equal(typeof i.values.cpu_time, "bigint");
      assert.ok((i.values.cpu_time as bigint) > 0n && (i.values.cpu_time as bigint) <= gi.cpuTime);
      assert.equal(refName(i.values.domain), `Domain:${d.uuid}`);
      assert.equal(i.values.stats_stale, false);
    }

    const pools = await objectsByName(qc, h.name, "Pool");
    const vols = await objectsByName(qc, h.name, "Volume");
    assert.equal(pools.size, 2);
    assert.equal(vols.size, 4);
    for (const p of await lv.listAllStoragePools()) {
      const o = pools.get(`Pool:${p.uuid}`);
      assert.ok(o);
      const pi = await lv.storagePoolGetInfo(p);
      assert.deepEqual(
        [
          o.values.uuid,
          o.values.name,
          o.values.state,
          o.values.capacity,
          o.values.allocation,
          o.values.available,
        ],
        [p.uuid, p.name, poolStateText(pi.state), pi.capacity, pi.allocation, pi.available],
      );
      assert.equal(refName(o.values.node), `Node:${hostUuid}`);
      for (const v of await lv.storagePoolListAllVolumes(p)) {
        const vo = vols.get(`Volume:${v.key}`);
        assert.ok(vo, `Volume:${v.key}`);
        const vi = await lv.storageVolGetInfo(v);
        assert.deepEqual(
          [vo.values.key, vo.values.name, vo.values.path, vo.values.capacity, vo.values.allocation],
          [v.key, v.name, await lv.storageVolGetPath(v), vi.capacity, vi.allocation],
        );
        assert.equal(refName(vo.values.storage_pool), `Pool:${p.uuid}`);
      }
    }
  });

  test("domain methods: define, create, suspend, resume, save, restore, shutdown, reboot, destroy, xml_desc, undefine", async () => {
    const hostUuid = h.agent.hostUuid;
    const name = `${prefix}life`;
    const xml = `<domain type='test'><name>${name}</name><memory unit='KiB'>131072</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>`;
    const out = await view.call(`Node:${hostUuid}`, "define_domain_xml", { xml_desc: xml });
    const ref = out.domain as ObjectIdLike;
    assert.equal(ref.agentName, h.name);
    const d = await lv.domainLookupByName(name);
    assert.equal(ref.objectName, `Domain:${d.uuid}`);
    const dom = await view.one("Domain", ref.objectName);
    assert.ok(dom, "define_domain_xml returns the object the agent publishes");
    assert.equal(dom.values.name, name);
    assert.equal(dom.values.id, "-1");
    let info = await view.infoWhen(d.uuid, (v) => v.state === "shutoff", "shutoff after define");
    assert.equal(info.maximum_memory, 131072n);
    assert.equal(info.num_vcpus, 2);

    await view.call(ref.objectName, "create");
    info = await view.infoWhen(d.uuid, (v) => v.state === "running", "running after create");
    assert.equal(info.state_reason, "booted");
    assert.notEqual((await view.one("Domain", ref.objectName))?.values.id, "-1");
    await view.call(ref.objectName, "suspend");
    info = await view.infoWhen(d.uuid, (v) => v.state === "paused", "paused after suspend");
    assert.equal(info.state_reason, "user");
    await view.call(ref.objectName, "resume");
    await view.infoWhen(
      d.uuid,
      (v) => v.state === "running" && v.state_reason === "unpaused",
      "resumed",
    );

    // save/restore: the daemon writes the file (the test driver's own format).
    const file = join(dir.path, "life.save");
    await view.call(ref.objectName, "save", { filename: file });
    await view.infoWhen(
      d.uuid,
      (v) => v.state === "shutoff" && v.state_reason === "saved",
      "saved",
    );
    assert.ok(readFileSync(file).length > 0, "save wrote the file on the host");
    await view.call(ref.objectName, "restore", { filename: file });
    await view.infoWhen(
      d.uuid,
      (v) => v.state === "running" && v.state_reason === "restored",
      "restored",
    );

    const x = await view.call(ref.objectName, "xml_desc");
    assert.equal(typeof x.description, "string");
    assert.equal(x.description, await lv.domainGetXmlDesc(d));
    assert.match(x.description as string, new RegExp(`<name>${name}</name>`));

    await view.call(ref.objectName, "shutdown");
    await view.infoWhen(
      d.uuid,
      (v) => v.state === "shutoff" && v.state_reason === "shutdown",
      "shut down",
    );
    await view.call(ref.objectName, "create");
    await view.infoWhen(d.uuid, (v) => v.state === "running", "running again");
    await view.call(ref.objectName, "reboot");
    await view.infoWhen(d.uuid, (v) => v.state === "running", "running after reboot");
    await view.call(ref.objectName, "destroy");
    await view.infoWhen(
      d.uuid,
      (v) => v.state === "shutoff" && v.state_reason === "destroyed",
      "destroyed",
    );
    assert.equal((await view.one("Domain", ref.objectName))?.values.id, "-1");
    await view.call(ref.objectName, "undefine");
    await view.gone("Domain", ref.objectName, "Domain deleted");
    assert.equal(await view.one("DomainInfo", `DomainInfo:${d.uuid}`), undefined);
    await assert.rejects(
      lv.domainLookupByName(name),
      (e: Error & { libvirtCode?: number }) => e.libvirtCode === ErrorCode.NO_DOMAIN,
    );

    // The lifecycle events libvirt sent, raised as QMF events in order.
    const seen = await waitFor("the undefined event", 5000, () => {
      const mine = events
        .filter((e) => e.values.uuid === d.uuid)
        .map((e) => `${e.values.event}/${e.values.detail}`);
      return mine.includes("undefined/removed") ? mine : undefined;
    });
    assert.deepEqual(seen, [
      "defined/added",
      "started/booted",
      "suspended/paused",
      "resumed/unpaused",
      "stopped/saved",
      "started/restored",
      "stopped/shutdown",
      "started/booted",
      "stopped/destroyed",
      "undefined/removed",
    ]);
    const ev = events.find((e) => e.values.uuid === d.uuid);
    assert.equal(ev?.eventName, "DomainLifecycle");
    assert.equal(refName(ev?.values.domain), `Domain:${d.uuid}`);
    assert.equal(ev?.values.name, name);
  });

  test("pool and volume methods", async () => {
    const hostUuid = h.agent.hostUuid;
    const pname = `${prefix}p-new`;
    const pxml = `<pool type='dir'><name>${pname}</name><target><path>/lvq-test-driver/${pname}</path></target></pool>`;
    const { pool } = await view.call(`Node:${hostUuid}`, "storage_pool_define_xml", {
      xml_desc: pxml,
    });
    const p = await lv.storagePoolLookupByName(pname);
    const pn = (pool as ObjectIdLike).objectName;
    assert.equal(pn, `Pool:${p.uuid}`);
    const stateOf = async () => (await view.one("Pool", pn))?.values.state;
    assert.equal(await stateOf(), "inactive");
    await view.call(pn, "build");
    await view.call(pn, "create");
    await waitFor("pool running", 5000, async () => (await stateOf()) === "running");
    await view.call(pn, "refresh");

    const vname = `${prefix}v-new`;
    const vxml = `<volume><name>${vname}</name><capacity unit='bytes'>2097152</capacity></volume>`;
    const { volume } = await view.call(pn, "create_volume_xml", { xml_desc: vxml });
    const v = await lv.storageVolLookupByName(p, vname);
    const vn = (volume as ObjectIdLike).objectName;
    assert.equal(vn, `Volume:${v.key}`);
    const vo = await view.one("Volume", vn);
    assert.ok(vo);
    assert.equal(vo.values.name, vname);
    assert.equal(vo.values.capacity, 2097152n);
    assert.equal(vo.values.path, await lv.storageVolGetPath(v));
    assert.equal(refName(vo.values.storage_pool), pn);
    for (const [method, args] of [
      ["lookup_volume_by_name", { volume_name: vname }],
      ["lookup_volume_by_key", { volume_key: v.key }],
      ["lookup_volume_by_path", { volume_path: vo.values.path }],
    ] as const) {
      const r = await view.call(pn, method, args);
      assert.equal((r.volume as ObjectIdLike).objectName, vn, method);
    }
    // A volume of another pool is not found through this pool.
    const other = names.pools[0]!;
    const e = await refused(
      view.call(pn, "lookup_volume_by_path", { volume_path: other.volumes[0]!.path }),
    );
    assert.equal(e.code, QmfStatus.PARAMETER_INVALID);
    const missing = await refused(
      view.call(pn, "lookup_volume_by_name", { volume_name: "no-such-volume" }),
    );
    assert.equal(missing.code, LIBVIRT_ERROR_BASE + ErrorCode.NO_STORAGE_VOL);
    assert.match(missing.text, /^virStorageVolLookupByName: /);

    assert.equal((await view.call(vn, "xml_desc")).description, await lv.storageVolGetXmlDesc(v));
    assert.equal((await view.call(pn, "xml_desc")).description, await lv.storagePoolGetXmlDesc(p));
    await view.call(vn, "delete");
    assert.equal(await view.one("Volume", vn), undefined);
    await assert.rejects(lv.storageVolLookupByName(p, vname));

    await view.call(pn, "destroy");
    await waitFor("pool inactive", 5000, async () => (await stateOf()) === "inactive");
    await view.call(pn, "delete");
    await view.call(pn, "undefine");
    await view.gone("Pool", pn, "Pool deleted");
    await assert.rejects(lv.storagePoolLookupByName(pname));

    // A transient pool: create_xml starts it; destroy makes it vanish.
    const tname = `${prefix}p-tmp`;
    const txml = `<pool type='dir'><name>${tname}</name><target><path>/lvq-test-driver/${tname}</path></target></pool>`;
    const t = (await view.call(`Node:${hostUuid}`, "storage_pool_create_xml", { xml_desc: txml }))
      .pool as ObjectIdLike;
    assert.equal((await view.one("Pool", t.objectName))?.values.state, "running");
    await view.call(t.objectName, "destroy");
    await view.gone("Pool", t.objectName, "transient pool gone");

    const pev = events
      .filter((x) => x.eventName === "PoolLifecycle" && x.values.name === pname)
      .map((x) => x.values.event);
    assert.deepEqual(pev, ["defined", "created", "started", "stopped", "deleted", "undefined"]);
  });

  test("get_free_memory returns KiB (test:///default, whose cells have free memory)", async () => {
    const shared = await startTestAgent({ uri: "test:///default" });
    try {
      const out = await qc.callMethod(
        { agentName: shared.name, objectName: `Node:${shared.agent.hostUuid}` },
        "get_free_memory",
        {},
      );
      const bytes = await shared.agent.libvirt.client.nodeGetFreeMemory();
      assert.equal(out.result, bytes / 1024n);
      assert.equal(out.result, 3072n);
    } finally {
      await shared.stop();
    }
  });

  test("libvirt's refusal comes back with its code: get_free_memory without NUMA cells, migrate on the test driver", async () => {
    const hostUuid = h.agent.hostUuid;
    const e = await refused(view.call(`Node:${hostUuid}`, "get_free_memory"));
    assert.equal(e.code, LIBVIRT_ERROR_BASE + ErrorCode.INTERNAL_ERROR);
    assert.match(e.text, /^virNodeGetFreeMemory: /);

    const dest = await startTestAgent({
      uri: writeTestDriverFile(join(dir.path, "dest.xml"), {
        domains: 0,
        pools: 0,
        volumesPerPool: 0,
        namePrefix: `${prefix}d-`,
      }),
    });
    try {
      const d = names.domains[0]!;
      const m = await refused(
        view.call(`Domain:${d.uuid}`, "migrate", {
          destination_node: { agentName: dest.name, objectName: `Node:${dest.agent.hostUuid}` },
          flags: 0,
          new_domain_name: "",
          uri: "",
          bandwidth: 0,
        }),
      );
      assert.equal(m.code, LIBVIRT_ERROR_BASE + ErrorCode.NO_SUPPORT);
      assert.match(m.text, /^virDomainMigrateToURI3: /);
      const info = await view.one("DomainInfo", `DomainInfo:${d.uuid}`);
      assert.equal(info?.values.state, "running");
    } finally {
      await dest.stop();
    }
  });

  test("bad input is refused before libvirt is called, naming what was wrong", async () => {
    const hostUuid = h.agent.hostUuid;
    const before = (await lv.listAllDomains()).length;
    const node = `Node:${hostUuid}`;
    const d0 = names.domains[0]!;

    // invalid XML: libvirt's own code and text
    const bad = await refused(
      view.call(node, "define_domain_xml", { xml_desc: "<domain type='test'><name>x</name>" }),
    );
    assert.equal(bad.code, LIBVIRT_ERROR_BASE + ErrorCode.XML_DETAIL);
    assert.match(bad.text, /^virDomainDefineXML: /);
    // unknown object / unknown method
    const uo = await refused(view.call("Domain:00000000-0000-0000-0000-000000000000", "create"));
    assert.equal(uo.code, QmfStatus.UNKNOWN_OBJECT);
    const um = await refused(view.call(`Domain:${d0.uuid}`, "frobnicate"));
    assert.equal(um.code, QmfStatus.UNKNOWN_METHOD);
    // wrong type, missing argument, empty XML, relative path, migrate to itself
    const wt = await refused(view.call(node, "define_domain_xml", { xml_desc: 42 }));
    assert.equal(wt.code, QmfStatus.PARAMETER_INVALID);
    assert.match(wt.text, /xml_desc/);
    const ma = await refused(view.call(`Domain:${d0.uuid}`, "save", {}));
    assert.equal(ma.code, QmfStatus.PARAMETER_INVALID);
    assert.match(ma.text, /filename/);
    const ex = await refused(view.call(node, "define_domain_xml", { xml_desc: "   " }));
    assert.equal(ex.code, QmfStatus.PARAMETER_INVALID);
    assert.match(ex.text, /xml_desc is empty/);
    const rp = await refused(view.call(`Domain:${d0.uuid}`, "save", { filename: "relative.img" }));
    assert.equal(rp.code, QmfStatus.PARAMETER_INVALID);
    assert.match(rp.text, /filename must be an absolute path/);
    const self = await refused(
      view.call(`Domain:${d0.uuid}`, "migrate", {
        destination_node: { agentName: h.name, objectName: node },
        flags: 0,
        new_domain_name: "",
        uri: "",
        bandwidth: 0,
      }),
    );
    assert.equal(self.code, QmfStatus.PARAMETER_INVALID);
    assert.match(self.text, /destination_node is this host/);
    const neg = await refused(
      view.call(`Domain:${d0.uuid}`, "migrate", {
        destination_node: { agentName: "x:y:z", objectName: "Node:1" },
        flags: 0,
        new_domain_name: "",
        uri: "",
        bandwidth: -1,
      }),
    );
    assert.equal(neg.code, QmfStatus.PARAMETER_INVALID);
    assert.match(neg.text, /bandwidth/);

    // migrate: every input is optional, but it needs uri or destination_node
    const neither = await refused(view.call(`Domain:${d0.uuid}`, "migrate", { flags: 0 }));
    assert.equal(neither.code, QmfStatus.PARAMETER_INVALID);
    assert.equal(
      neither.text,
      "migrate: arguments uri and destination_node are both missing; give the destination's libvirt URI (uri) or its Node object (destination_node)",
    );
    const nobody = `test+unix:///nonexistent/${prefix}nobody.xml`;
    const unknown = await refused(view.call(`Domain:${d0.uuid}`, "migrate", { uri: nobody }));
    assert.equal(unknown.code, QmfStatus.PARAMETER_INVALID);
    assert.equal(
      unknown.text,
      `migrate: argument uri names a host no agent publishes (no agent has libvirt_uri ${JSON.stringify(nobody)}), so the migrated domain could not be returned; give destination_node`,
    );
    const itself = await refused(view.call(`Domain:${d0.uuid}`, "migrate", { uri }));
    assert.equal(itself.code, QmfStatus.PARAMETER_INVALID);
    assert.equal(itself.text, "migrate: argument uri is this host; a migration needs another one");

    // an argument the method does not have; XML over libvirt's 4 MiB string limit
    const xa = await refused(
      view.call(node, "define_domain_xml", {
        xml_desc: "<domain type='test'><name>x</name></domain>",
        colour: "blue",
      }),
    );
    assert.equal(xa.code, QmfStatus.PARAMETER_INVALID);
    assert.match(xa.text, /colour/);
    const huge = `<domain type='test'><name>${prefix}huge</name><description>${"x".repeat(4 * 1024 * 1024)}</description></domain>`;
    const big = await refused(view.call(node, "define_domain_xml", { xml_desc: huge }));
    assert.equal(big.code, QmfStatus.PARAMETER_INVALID);
    assert.equal(
      big.text,
      `define_domain_xml: argument xml_desc must be at most ${4 * 1024 * 1024} bytes (lstr), got ${Buffer.byteLength(huge)} bytes`,
    );

    // nothing changed in libvirt
    assert.equal((await lv.listAllDomains()).length, before);
    const st = await lv.domainGetState(await lv.domainLookupByUuid(d0.uuid));
    assert.equal(domainStateText(st.state), "running");
  });

  test("restore refuses a file saved from another domain and restores nothing", async () => {
    const [, saved, other] = names.domains as [
      unknown,
      { name: string; uuid: string },
      { name: string; uuid: string },
    ];
    const file = join(dir.path, "other.save");
    await view.call(`Domain:${saved.uuid}`, "save", { filename: file });
    await view.infoWhen(saved.uuid, (v) => v.state === "shutoff", "saved");
    const wrong = await refused(view.call(`Domain:${other.uuid}`, "restore", { filename: file }));
    assert.equal(wrong.code, QmfStatus.PARAMETER_INVALID);
    assert.equal(
      wrong.text,
      `restore: argument filename holds a saved image of domain ${JSON.stringify(saved.name)} (${saved.uuid}), not of this domain ${JSON.stringify(other.name)} (${other.uuid})`,
    );
    const stateOf = async (uuid: string) =>
      domainStateText((await lv.domainGetState(await lv.domainLookupByUuid(uuid))).state);
    assert.equal(await stateOf(saved.uuid), "shutoff", "the saved domain was not restored");
    assert.equal(await stateOf(other.uuid), "running");
    const missing = await refused(
      view.call(`Domain:${saved.uuid}`, "restore", { filename: join(dir.path, "no-such.save") }),
    );
    assert.equal(missing.code, LIBVIRT_ERROR_BASE + ErrorCode.SYSTEM_ERROR);
    assert.match(missing.text, /^virDomainSaveImageGetXMLDesc: .*no-such\.save/);
    // Its own file restores it.
    await view.call(`Domain:${saved.uuid}`, "restore", { filename: file });
    assert.equal(await stateOf(saved.uuid), "running");
  });

  test("a domain named with quotes, < and non-ASCII keeps its exact name", async () => {
    const name = `${prefix}q'"<&>-ünï-名前`;
    const esc = name.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const xml = `<domain type='test'><name>${esc}</name><memory unit='KiB'>65536</memory><os><type>hvm</type></os></domain>`;
    const { domain } = await view.call(`Node:${h.agent.hostUuid}`, "define_domain_xml", {
      xml_desc: xml,
    });
    const on = (domain as ObjectIdLike).objectName;
    const byName = await qc.query({
      agentName: h.name,
      packageName: "Libvirt",
      className: "Domain",
      where: ["eq", "name", ["quote", name]],
    });
    assert.equal(byName.length, 1);
    assert.equal(byName[0]?.values.name, name);
    assert.equal(byName[0]?.objectId.objectName, on);
    const ev = await waitFor("defined event", 5000, () =>
      events.find((e) => e.values.name === name && e.values.event === "defined"),
    );
    assert.equal(ev.values.name, name);
    await view.call(on, "undefine");
  });

  test("identity: the same agent name after a restart, epoch persisted and incremented", async () => {
    const state = tempDir("epoch");
    const inst = uniqueName("id");
    try {
      const a1 = await startTestAgent({ uri, instance: inst, stateDir: state.path });
      const n1 = a1.name;
      const e1 = a1.agent.epoch;
      await a1.stop();
      const a2 = await startTestAgent({ uri, instance: inst, stateDir: state.path });
      await a2.stop();
      assert.equal(a2.name, n1);
      assert.equal(e1, 1);
      assert.equal(a2.agent.epoch, 2);
      assert.deepEqual(await readAgentState(stateFile(state.path, inst)), {
        epoch: 2,
        hostUuid: a2.agent.hostUuid,
      });
      // Without an instance name the agent is named after the host's identity.
      const b1 = await startTestAgent({ uri, stateDir: state.path, instance: null });
      await b1.stop();
      const b2 = await startTestAgent({ uri, stateDir: state.path, instance: null });
      await b2.stop();
      assert.equal(b1.name, `libvirt-qmf:libvirt:${b1.agent.hostUuid}`);
      assert.equal(b2.name, b1.name);
      assert.equal(b2.agent.epoch, b1.agent.epoch + 1);
    } finally {
      state.remove();
    }
  });

  test("controlUsers (a shorthand for admin): a broker user with no role may neither read nor change libvirt, and is told which role it lacks", async () => {
    const guarded = await startTestAgent({
      uri: writeTestDriverFile(join(dir.path, "guarded.xml"), {
        domains: 1,
        pools: 0,
        volumesPerPool: 0,
        namePrefix: `${prefix}g-`,
      }),
      controlUsers: ["lvq-admin"],
    });
    try {
      const d = (await guarded.agent.libvirt.client.listAllDomains())[0]!;
      const ref = { agentName: guarded.name, objectName: `Domain:${d.uuid}` };
      // The console logs in as guest (RabbitMQ stamps every request with that user).
      const q = await refused(
        qc.query({ agentName: guarded.name, packageName: "Libvirt", className: "Domain" }),
      );
      assert.deepEqual(q, {
        code: QmfStatus.FORBIDDEN,
        text: "user guest lacks role viewer for queries",
      });
      assert.deepEqual(await refused(qc.callMethod(ref, "xml_desc", {})), {
        code: QmfStatus.FORBIDDEN,
        text: "user guest lacks role viewer for Domain.xml_desc",
      });
      assert.deepEqual(await refused(qc.callMethod(ref, "destroy", {})), {
        code: QmfStatus.FORBIDDEN,
        text: "user guest lacks role operator for Domain.destroy",
      });
      const st = await guarded.agent.libvirt.client.domainGetState(d);
      assert.equal(domainStateText(st.state), "running", "nothing changed");
    } finally {
      await guarded.stop();
    }
  });

  test("a change made by virsh behind the agent's back reaches a console within 1 s, with no query", async () => {
    const shared = await startTestAgent({ uri: "test:///default" });
    const name = uniqueName("virsh");
    const file = join(dir.path, "virsh-dom.xml");
    const xml = `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><os><type>hvm</type></os></domain>`;
    await import("node:fs/promises").then((fs) => fs.writeFile(file, xml));
    try {
      const seen = new Promise<{ obj: QmfObject; at: number }>((resolve) => {
        const on = (obj: QmfObject) => {
          if (
            obj.agentName === shared.name &&
            obj.className === "Domain" &&
            obj.values.name === name
          ) {
            qc.off("objectChanged", on);
            resolve({ obj, at: performance.now() });
          }
        };
        qc.on("objectChanged", on);
      });
      const t0 = performance.now();
      await run("virsh", ["-q", "-c", "test+unix:///default", "define", file]);
      const t1 = performance.now();
      const { obj, at } = await Promise.race([
        seen,
        new Promise<never>((_, rej) =>
          setTimeout(() => rej(new Error("no data indication within 3 s")), 3000),
        ),
      ]);
      assert.equal(obj.values.name, name);
      assert.ok(
        at - t1 < 1000,
        `seen ${Math.round(at - t1)} ms after virsh returned (${Math.round(t1 - t0)} ms in virsh)`,
      );
    } finally {
      await run("virsh", ["-q", "-c", "test+unix:///default", "undefine", name]).catch(() => {});
      await shared.stop();
    }
  });
});

// Every lvq command through the real built binary as a subprocess, against the real RabbitMQ
// and two real agents, each on its own libvirt test-driver file served by the real libvirtd.
// Other helpers' agents may be on the same broker at the same time, so every assertion on
// fleet-wide output is scoped to our two agents (--agent, or filtering their object ids).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { redactUrl } from "../../src/qmf/transport/broker-url.js";
import { type AgentHandle, startTestAgent } from "../support/agent.js";
import { BROKER, rabbitmqctl, vhostUrl } from "../support/broker.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";
import { BIN, buildOnce, jsonOf, lvq, lvqOnTty, stderrOf } from "./harness.js";

const tag = randomBytes(3).toString("hex");
const dir = mkdtempSync(join(tmpdir(), `lvq-cli-${tag}-`));
const specA = { domains: 2, pools: 1, volumesPerPool: 2, namePrefix: `cli${tag}a-` };
const specB = {
  domains: 1,
  pools: 1,
  volumesPerPool: 0,
  runningDomains: false,
  namePrefix: `cli${tag}b-`,
};
const namesA = testDriverNames(specA);
const namesB = testDriverNames(specB);
let agentA: AgentHandle;
let agentB: AgentHandle;

type Row = {
  object_id: string;
  class: string;
  agent: string;
  host: string;
  properties: Record<string, unknown>;
};

/** A run's stderr without warnings about other helpers' agents (see stderrOf). */
function ownStderr(r: { stderr: string }): string {
  return stderrOf(r, [agentA.name, agentB.name]);
}

function domainXml(name: string, uuid: string): string {
  return `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid><memory unit='KiB'>8192</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;
}

describe("lvq against two agents", { timeout: 170_000 }, () => {
  before(async () => {
    const uriA = writeTestDriverFile(join(dir, "a.xml"), specA);
    const uriB = writeTestDriverFile(join(dir, "b.xml"), specB);
    [, agentA, agentB] = await Promise.all([
      buildOnce(),
      startTestAgent({ uri: uriA, instance: `cli-${tag}-a`, broker: BROKER }),
      startTestAgent({ uri: uriB, instance: `cli-${tag}-b`, broker: BROKER }),
    ]);
    // Both agents answer and have published their domains.
    await waitFor("both agents with their domains", 20_000, async () => {
      const rows = jsonOf(await lvq(["--json", "list", "Domain", "--agent", agentA.name])) as Row[];
      const rowsB = jsonOf(
        await lvq(["--json", "list", "Domain", "--agent", agentB.name]),
      ) as Row[];
      return rows.length === 2 && rowsB.length === 1;
    });
  });
  after(async () => {
    await Promise.allSettled([agentA?.stop(), agentB?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("--help shows examples and exits 0; each command has its own help", async () => {
    const r = await lvq(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n {2}\$ lvq agents/);
    for (const c of [
      "agents",
      "schema",
      "list",
      "show",
      "call",
      "start",
      "shutdown",
      "reboot",
      "destroy",
      "suspend",
      "resume",
      "undefine",
      "define",
      "save",
      "restore",
      "dumpxml",
      "migrate",
      "pools",
      "vols",
      "net-list",
      "net-define",
      "net-start",
      "net-destroy",
      "net-undefine",
      "net-autostart",
      "net-dhcp-leases",
      "snapshot-create",
      "snapshot-list",
      "snapshot-revert",
      "snapshot-delete",
      "setvcpus",
      "setmem",
      "autostart",
      "domifaddr",
      "managedsave",
      "watch",
    ]) {
      const h = await lvq([c, "--help"]);
      assert.equal(h.code, 0, c);
      assert.match(h.stdout, /Examples:\n {2}\$ lvq /, c);
    }
  });

  test("usage errors exit 2", async () => {
    assert.equal((await lvq(["frobnicate"])).code, 2);
    assert.equal((await lvq(["list"])).code, 2);
    const t = await lvq(["--timeout", "soon", "agents"]);
    assert.equal(t.code, 2);
    assert.match(
      t.stderr,
      /--timeout <seconds>' argument 'soon' is invalid\. expected a positive number of seconds/,
    );
    const f = await lvq(["list", "Domain", "colour=blue", "--agent", agentA.name]);
    assert.equal(f.code, 2);
    assert.equal(
      f.stderr,
      'lvq: filter "colour=blue": Domain has no property "colour" (see `lvq schema Domain`)\n',
    );
    const w = await lvq(["list", "Domain", "--where", "[not json"]);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /^lvq: --where: not JSON/);
    const p = await lvq(["list", "Domain", "--where", '["frob"]'], {
      LVQ_BROKER: "amqp://guest:guest@127.0.0.1:1",
    });
    assert.equal(p.code, 2);
    assert.match(p.stderr, /^lvq: predicate\[0\]: unknown operator "frob"/);
  });

  test("a broker that accepts the connection and never answers: exit 4 after --timeout, not a hang", async () => {
    // A silent peer (what a hung broker looks like: its kernel still accepts TCP connections).
    const sockets: Socket[] = [];
    const silent = createServer((sock) => {
      sockets.push(sock);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const t0 = Date.now();
      const r = await lvq(["--timeout", "1.5", "agents"], {
        LVQ_BROKER: `amqp://guest:guest@127.0.0.1:${port}`,
      });
      const tookMs = Date.now() - t0;
      assert.equal(r.code, 4);
      assert.equal(
        r.stderr,
        `lvq: cannot use the broker at amqp://guest:***@127.0.0.1:${port}: no AMQP handshake within 1.5 s: the broker is hung or overloaded, or the host drops packets\n`,
      );
      assert.ok(tookMs >= 1500 && tookMs < 10_000, `took ${tookMs} ms`);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test("a broker that refuses the connection or the password exits 4 and says so", async () => {
    const port = await lvq(["agents"], { LVQ_BROKER: "amqp://guest:guest@127.0.0.1:1" });
    assert.equal(port.code, 4);
    assert.equal(
      port.stderr,
      "lvq: cannot use the broker at amqp://guest:***@127.0.0.1:1: connection refused (is RabbitMQ running, and is the host and port right?)\n",
    );
    const pw = await lvq(["--broker", "amqp://guest:wrong-password@127.0.0.1:5672", "agents"]);
    assert.equal(pw.code, 4);
    assert.equal(
      pw.stderr,
      "lvq: cannot use the broker at amqp://guest:***@127.0.0.1:5672: the broker refused the login: wrong user name or password, or no access to the vhost\n",
    );
    const vhost = `lvqtest-nosuch-${tag}`;
    const vh = await lvq(["--broker", `amqp://guest:guest@127.0.0.1:5672/${vhost}`, "agents"]);
    assert.equal(vh.code, 4);
    assert.equal(
      vh.stderr,
      `lvq: cannot use the broker at amqp://guest:***@127.0.0.1:5672/${vhost}: the broker refused the virtual host "${vhost}" to user "guest": it does not exist or the user has no permissions on it\n`,
    );
  });

  test("a user the agent allows only to read is refused, the refusal names the role it lacks, nothing changes", async () => {
    const spec = { domains: 1, pools: 0, volumesPerPool: 0, namePrefix: `cli${tag}ro-` };
    const ro = await startTestAgent({
      uri: writeTestDriverFile(join(dir, "ro.xml"), spec),
      instance: `cli-${tag}-ro`,
      broker: BROKER,
      controlUsers: ["lvqtest-admin"],
      roles: { viewer: ["guest"] },
    });
    try {
      const d = testDriverNames(spec).domains[0]!;
      const ref = `${ro.instance}/${d.name}`;
      const refused = await lvq(["suspend", ref]);
      assert.equal(refused.code, 1);
      assert.equal(
        refused.stderr,
        "lvq: method failed (QMF status 6 FORBIDDEN): user guest lacks role operator for Domain.suspend\n",
      );
      assert.equal(refused.stdout, "");
      const state = jsonOf(await lvq(["--json", "show", ref])) as { related: { domain_info: Row } };
      assert.equal(state.related.domain_info.properties.state, "running");
      // A viewer may read.
      const xml = await lvq(["dumpxml", ref]);
      assert.equal(xml.code, 0, xml.stderr);
      assert.match(xml.stdout, new RegExp(`<uuid>${d.uuid}</uuid>`));
    } finally {
      await ro.stop();
    }
  });

  test("a broker with no agent: agents lists none, list exits 4; the config file names the broker", async () => {
    const vhost = `lvqtest-cli-${tag}`;
    await rabbitmqctl("add_vhost", vhost);
    try {
      await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
      const config = join(dir, "config.json");
      writeFileSync(
        config,
        JSON.stringify({ broker: vhostUrl(vhost) }),
        // It holds a password: private, or lvq warns (and the exact stderr below would differ).
        { mode: 0o600 },
      );
      const env = { LVQ_BROKER: undefined, LVQ_DISCOVERY_MS: "500" };
      const agents = await lvq(["--config", config, "--json", "agents"], env);
      assert.equal(agents.code, 0, agents.stderr);
      assert.deepEqual(JSON.parse(agents.stdout), []);
      const list = await lvq(["--config", config, "list", "Domain"], env);
      assert.equal(list.code, 4);
      assert.equal(
        list.stderr,
        `lvq: no agent answered on the broker (from ${config}): is \`lvq agent\` running on the hosts?\n`,
      );
    } finally {
      await rabbitmqctl("delete_vhost", vhost).catch(() => {});
    }
  });

  test("pools prints an aligned table", async () => {
    const r = await lvq(["pools", "--agent", agentA.name]);
    assert.equal(r.code, 0, r.stderr);
    const p = namesA.pools[0]!;
    const rows = (jsonOf(await lvq(["--json", "pools", "--agent", agentA.name])) as Row[])[0]!
      .properties;
    const cells = [
      ["HOST", "NAME", "STATE", "CAPACITY", "ALLOCATION", "AVAILABLE", "UUID"],
      [
        agentA.instance,
        p.name,
        "running",
        String(rows.capacity),
        String(rows.allocation),
        String(rows.available),
        p.uuid,
      ],
    ];
    const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
    const text = cells
      .map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join("  "))
      .join("\n");
    assert.equal(r.stdout, `${text}\n`);
  });

  test("names with control and bidi characters are shown escaped; quotes, < and unicode as they are", async () => {
    const name = `cli${tag}-odd"<é>\u202eevil`;
    const uuid = "0badcafe-0000-4000-8000-0000000000dd";
    const file = join(dir, "odd.xml");
    writeFileSync(
      file,
      domainXml(name.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"), uuid),
    );
    const d = await lvq(["--json", "define", file, "--host", agentA.name]);
    assert.equal(d.code, 0, d.stderr);
    try {
      assert.equal((jsonOf(d) as Row).properties.name, name);
      const shown = `cli${tag}-odd"<é>\\u{202e}evil`;
      const human = await lvq(["show", uuid]);
      assert.equal(human.code, 0);
      assert.match(
        human.stdout,
        new RegExp(`\nname +${shown.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n`),
      );
      assert.ok(!human.stdout.includes("\u202e"));
      const table = await lvq(["list", "Domain", `name=${name}`, "--agent", agentA.name]);
      assert.ok(table.stdout.includes(shown));
      assert.ok(!table.stdout.includes("\u202e"));
    } finally {
      await lvq(["undefine", uuid]);
    }
  });

  test("agents --json lists both agents with libvirt state, epoch and object counts", async () => {
    const rows = (jsonOf(await lvq(["--json", "agents"])) as Record<string, unknown>[]).filter(
      (r) => r.name === agentA.name || r.name === agentB.name,
    );
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(typeof r.heartbeat_age_ms, "number");
      assert.ok((r.heartbeat_age_ms as number) >= 0 && (r.heartbeat_age_ms as number) < 60_000);
      delete r.heartbeat_age_ms;
      assert.equal(typeof r.node_hostname, "string");
      delete r.node_hostname;
      assert.equal(typeof r.epoch, "number");
      delete r.epoch;
    }
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    assert.deepEqual(byName[agentA.name], {
      name: agentA.name,
      host: agentA.instance,
      libvirt_state: "connected",
      broker_node: redactUrl(BROKER),
      objects: { Domain: 2, Pool: 1, Volume: 2, Network: 0, Snapshot: 0 },
    });
    assert.deepEqual(byName[agentB.name], {
      name: agentB.name,
      host: agentB.instance,
      libvirt_state: "connected",
      broker_node: redactUrl(BROKER),
      objects: { Domain: 1, Pool: 1, Volume: 0, Network: 0, Snapshot: 0 },
    });
  });

  test("list Domain --json: exact rows of one agent", async () => {
    const rows = jsonOf(await lvq(["--json", "list", "Domain", "--agent", agentA.name])) as Row[];
    const node = (
      jsonOf(await lvq(["--json", "list", "Node", "--agent", agentA.name])) as Row[]
    )[0]!;
    assert.deepEqual(
      rows,
      namesA.domains.map((d, i) => ({
        object_id: `${agentA.name}/Domain:${d.uuid}`,
        class: "Domain",
        agent: agentA.name,
        host: agentA.instance,
        properties: {
          uuid: d.uuid,
          name: d.name,
          id: String(i + 1),
          node: node.object_id,
          domain_info: `${agentA.name}/DomainInfo:${d.uuid}`,
          persistent: true,
          autostart: false,
          has_managed_save: false,
          graphics: [],
        },
      })),
    );
  });

  test("list filters: prop=value (also through DomainInfo), --where predicate", async () => {
    const names = async (args: string[]) =>
      (jsonOf(await lvq(["--json", "list", ...args])) as Row[]).map(
        (r) => r.properties.name ?? r.properties.state,
      );
    assert.deepEqual(
      await names(["Domain", `name=${namesA.domains[1]!.name}`, "--agent", agentA.name]),
      [namesA.domains[1]!.name],
    );
    assert.deepEqual(
      await names(["Domain", "state=running", "--agent", agentA.name]),
      namesA.domains.map((d) => d.name),
    );
    assert.deepEqual(await names(["Domain", "state=shutoff", "--agent", agentB.name]), [
      namesB.domains[0]!.name,
    ]);
    assert.deepEqual(await names(["Domain", "state=running", "--agent", agentB.name]), []);
    const where = JSON.stringify(["re_match", "name", ["quote", "dom-1$"]]);
    assert.deepEqual(await names(["Domain", "--where", where, "--agent", agentA.name]), [
      namesA.domains[1]!.name,
    ]);
  });

  test("list Domain prints an aligned table with each domain's state", async () => {
    const r = await lvq(["list", "Domain", "--agent", agentA.name]);
    assert.equal(r.code, 0, r.stderr);
    const [d0, d1] = namesA.domains;
    const h = agentA.instance;
    const w = Math.max(4, h.length);
    const nw = Math.max(d0!.name.length, d1!.name.length);
    // The settings of the domain in schema order; its graphics (a list) is not listed.
    const line = (a: string, b: string, c: string, f: string[], d: string, e: string) =>
      [
        a.padEnd(w),
        b.padEnd(nw),
        c.padEnd(2),
        f[0]!.padEnd(10),
        f[1]!.padEnd(9),
        f[2]!.padEnd(16),
        d.padEnd(36),
        e,
      ]
        .join("  ")
        .trimEnd();
    const settings = ["true", "false", "false"];
    assert.equal(
      r.stdout,
      [
        line(
          "HOST",
          "NAME",
          "ID",
          ["PERSISTENT", "AUTOSTART", "HAS_MANAGED_SAVE"],
          "UUID",
          "STATE",
        ),
        line(h, d0!.name, "1", settings, d0!.uuid, "running"),
        line(h, d1!.name, "2", settings, d1!.uuid, "running"),
        "",
      ].join("\n"),
    );
  });

  test("schema: the class list, one class, unknown class exits 3", async () => {
    const all = jsonOf(await lvq(["--json", "schema"])) as { classes: { name: string }[] };
    assert.deepEqual(
      all.classes.map((c) => c.name),
      ["Node", "NodeInfo", "Domain", "DomainInfo", "Pool", "Volume", "Network", "Snapshot"],
    );
    const dom = await lvq(["schema", "Domain"]);
    assert.equal(dom.code, 0);
    assert.equal(
      dom.stdout.split("\n\nMETHOD")[0],
      [
        "class Domain: A virtual machine (virDomain).",
        "",
        "PROPERTY          TYPE                ACCESS  UNIT  DESCRIPTION",
        "uuid              sstr                RO            Domain UUID",
        "name              sstr                RO            Domain name",
        "id                sstr                RO            Hypervisor Domain id, in decimal; -1 while the domain is not running",
        "node              objId → Node        RO            Node of this VM",
        "domain_info       objId → DomainInfo  RO            Domain information.  This will be updated on a regular basis.",
        "persistent        bool                RO            added: whether the domain has a persistent definition (false: transient, gone once stopped)",
        "autostart         bool                RO            added: whether libvirt starts the domain when the host boots",
        "has_managed_save  bool                RO            added: whether the domain has a managed-save image (its next start resumes from it)",
        "graphics          list                RO            added: where the domain's displays listen while it runs, for a viewer: one map per display with type (vnc, spice, ...), address (listen address, or socket path) and port (-1 when none); empty while the domain is not running",
      ].join("\n"),
    );
    assert.match(dom.stdout, /\nsave {17}filename: lstr +Save this VM/);
    const none = await lvq(["schema", "Frob"]);
    assert.equal(none.code, 3);
    assert.equal(
      none.stderr,
      'lvq: no class "Frob" in the schema (classes: Node, NodeInfo, Domain, DomainInfo, Pool, Volume, Network, Snapshot)\n',
    );
  });

  test("show by name, host/name, UUID and object id; follows domain_info and host_info", async () => {
    const d = namesA.domains[0]!;
    const id = `${agentA.name}/Domain:${d.uuid}`;
    const expectedShow = async (ref: string) => {
      const s = jsonOf(await lvq(["--json", "show", ref])) as Row & {
        related: Record<string, Row>;
      };
      assert.equal(s.object_id, id, ref);
      assert.equal(s.related.domain_info!.object_id, `${agentA.name}/DomainInfo:${d.uuid}`);
      assert.equal(s.related.domain_info!.properties.state, "running");
      assert.equal(s.related.domain_info!.properties.maximum_memory, 65536);
    };
    await expectedShow(d.name);
    await expectedShow(`${agentA.instance}/${d.name}`);
    await expectedShow(d.uuid);
    await expectedShow(id);
    const human = await lvq(["show", d.name]);
    assert.equal(human.code, 0);
    assert.match(
      human.stdout,
      new RegExp(
        `^Domain ${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\nhost +${agentA.instance}\nuuid +${d.uuid}\nname +${d.name}\n`,
      ),
    );
    assert.match(human.stdout, /\ndomain_info \(DomainInfo [^)]+\)\nstate +running\n/);
    const node = jsonOf(
      await lvq(["--json", "show", "--class", "Node", agentA.instance]),
    ) as Row & {
      related: Record<string, Row>;
    };
    assert.equal(node.agent, agentA.name);
    assert.equal(node.class, "Node");
    assert.deepEqual(Object.keys(node.related), ["host_info"]);
    assert.equal(node.related.host_info!.object_id, node.properties.host_info);
    assert.equal(node.related.host_info!.class, "NodeInfo");
    // An absolute time shows as a date for people, as nanoseconds in JSON.
    const nodeJson = await lvq(["--json", "show", "--class", "Node", agentA.instance]);
    // Read as text: the value is above 2^53, JSON.parse would round it.
    const since = BigInt(/"libvirt_state_since": (\d+)/.exec(nodeJson.stdout)![1]!);
    assert.ok(since > 0n);
    const nodeHuman = await lvq(["show", "--class", "Node", agentA.instance]);
    assert.equal(nodeHuman.code, 0, nodeHuman.stderr);
    const date = new Date(Number(since / 1_000_000n)).toISOString();
    assert.match(
      nodeHuman.stdout,
      new RegExp(`\nlibvirt_state_since +${date.replace(/\./g, "\\.")}\n`),
    );
    const missing = await lvq(["show", `nosuch-${tag}`]);
    assert.equal(missing.code, 3);
    assert.equal(ownStderr(missing), `lvq: no object "nosuch-${tag}" on any agent\n`);
  });

  test("pools and vols", async () => {
    const pools = jsonOf(await lvq(["--json", "pools", "--agent", agentA.name])) as Row[];
    assert.deepEqual(
      pools.map((p) => [p.properties.name, p.properties.uuid, p.properties.state]),
      [[namesA.pools[0]!.name, namesA.pools[0]!.uuid, "running"]],
    );
    const vols = jsonOf(await lvq(["--json", "vols", namesA.pools[0]!.name])) as Row[];
    assert.deepEqual(
      vols.map((v) => [v.properties.name, v.properties.path, v.properties.capacity]),
      namesA.pools[0]!.volumes.map((v) => [v.name, v.path, 1048576]),
    );
    const none = jsonOf(await lvq(["--json", "vols", namesB.pools[0]!.name])) as Row[];
    assert.deepEqual(none, []);
  });

  test("call: typed arguments, @file, bad arguments exit 2, libvirt failures exit 1 with libvirt's code", async () => {
    const xml = await lvq(["call", namesA.domains[0]!.uuid, "xml_desc"]);
    assert.equal(xml.code, 0, xml.stderr);
    assert.match(
      xml.stdout,
      new RegExp(`^<domain type='test'[^]*<name>${namesA.domains[0]!.name}</name>[^]*</domain>\n$`),
    );
    const xmlJson = jsonOf(await lvq(["--json", "call", namesA.domains[0]!.uuid, "xml_desc"])) as {
      description: string;
    };
    assert.equal(`${xmlJson.description.trimEnd()}\n`, xml.stdout);
    const unknown = await lvq(["call", namesA.domains[0]!.name, "save", "file=/tmp/x"]);
    assert.equal(unknown.code, 2);
    assert.equal(
      ownStderr(unknown),
      'lvq: Domain.save has no argument "file" (its arguments: filename)\n',
    );
    const missing = await lvq(["call", namesA.domains[0]!.name, "save"]);
    assert.equal(missing.code, 2);
    assert.equal(
      ownStderr(missing),
      "lvq: Domain.save: missing argument filename (see `lvq schema Domain`)\n",
    );
    const badInt = await lvq([
      "call",
      namesA.domains[0]!.name,
      "migrate",
      `destination_node=${agentB.name}`,
      "flags=lots",
      "new_domain_name=",
      "uri=",
      "bandwidth=0",
    ]);
    assert.equal(badInt.code, 2);
    assert.equal(
      ownStderr(badInt),
      'lvq: argument "flags": "lots" is not an integer (type int32)\n',
    );
    const noFile = await lvq([
      "call",
      "--class",
      "Node",
      agentB.instance,
      "define_domain_xml",
      `xml_desc=@${join(dir, "nosuch.xml")}`,
    ]);
    assert.equal(noFile.code, 2);
    assert.equal(
      noFile.stderr,
      `lvq: argument "xml_desc": cannot read ${join(dir, "nosuch.xml")}: ENOENT: no such file or directory, open '${join(dir, "nosuch.xml")}'\n`,
    );
    // Invalid XML: libvirt's own code and multi-line text (with its caret line); nothing defined.
    const badXml = join(dir, "bad.xml");
    writeFileSync(badXml, "<domain type='test'><name>x</name></domai>");
    const bad = await lvq(["define", badXml, "--host", agentA.name]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^lvq: libvirt error 35: virDomainDefineXML: .*mismatch.*\n<domain type='test'><name>x<\/name><\/domai>\n-+\^\n$/,
    );
    assert.equal(
      (jsonOf(await lvq(["--json", "list", "Domain", "--agent", agentA.name])) as Row[]).length,
      2,
    );
    const noMethod = await lvq(["call", namesA.domains[0]!.name, "explode"]);
    assert.equal(noMethod.code, 2);
    assert.match(
      ownStderr(noMethod),
      /^lvq: Domain has no method "explode" \(its methods: create, destroy, /,
    );
    // resume of a running domain: libvirt refuses (VIR_ERR_INTERNAL_ERROR = 1 in the test driver).
    const failed = await lvq(["resume", namesA.domains[0]!.name]);
    assert.equal(failed.code, 1);
    assert.match(ownStderr(failed), /^lvq: libvirt error 1: .*not paused/);
    // The test driver cannot migrate: libvirt's VIR_ERR_NO_SUPPORT (3) comes back.
    const mig = await lvq(["migrate", namesA.domains[0]!.name, agentB.name]);
    assert.equal(mig.code, 1);
    assert.match(ownStderr(mig), /^lvq: libvirt error 3: .*not supported/);
    // @file: define through call, with the XML read from a file.
    const xmlFile = join(dir, "viacall.xml");
    const uuid = "0badcafe-0000-4000-8000-00000000c411";
    writeFileSync(xmlFile, domainXml(`cli${tag}-viacall`, uuid));
    const out = jsonOf(
      await lvq(
        [
          "--json",
          "call",
          "--class",
          "Node",
          agentB.name.length ? agentB.instance : "",
          "define_domain_xml",
          `xml_desc=@${xmlFile}`,
          "--agent-unused",
        ].filter((a) => a !== "--agent-unused"),
      ),
    ) as { domain: string };
    assert.equal(out.domain, `${agentB.name}/Domain:${uuid}`);
    assert.equal((await lvq(["undefine", out.domain])).code, 0);
  });

  test("an ambiguous name lists the candidates and exits 3", async () => {
    const twin = `cli${tag}-twin`;
    const ua = "0badcafe-0000-4000-8000-0000000000a1";
    const ub = "0badcafe-0000-4000-8000-0000000000b1";
    writeFileSync(join(dir, "twa.xml"), domainXml(twin, ua));
    writeFileSync(join(dir, "twb.xml"), domainXml(twin, ub));
    assert.equal((await lvq(["define", join(dir, "twa.xml"), "--host", agentA.name])).code, 0);
    assert.equal((await lvq(["define", join(dir, "twb.xml"), "--host", agentB.name])).code, 0);
    try {
      const r = await lvq(["show", twin]);
      assert.equal(r.code, 3);
      const cands = [
        `  ${agentA.instance}/${twin}  ${ua}  (${agentA.name}/Domain:${ua})`,
        `  ${agentB.instance}/${twin}  ${ub}  (${agentB.name}/Domain:${ub})`,
      ].sort();
      const lines = ownStderr(r).trimEnd().split("\n");
      assert.equal(
        lines[0],
        `lvq: "${twin}" names 2 objects; use host/name, the UUID or the object id`,
      );
      assert.deepEqual(lines.slice(1).sort(), cands);
      const one = jsonOf(await lvq(["--json", "show", `${agentB.name}/${twin}`])) as Row;
      assert.equal(one.object_id, `${agentB.name}/Domain:${ub}`);
    } finally {
      await lvq(["undefine", ua]);
      await lvq(["undefine", ub]);
    }
  });

  test("a full lifecycle driven only through lvq", async () => {
    const name = `cli${tag}-life<"é">`;
    const uuid = "0badcafe-0000-4000-8000-00000000001f";
    const xmlFile = join(dir, "life.xml");
    writeFileSync(
      xmlFile,
      domainXml(
        name
          .replace("<", "&lt;")
          .replace(">", "&gt;")
          .replace('"', "&quot;")
          .replace('"', "&quot;"),
        uuid,
      ),
    );
    const state = async () =>
      (jsonOf(await lvq(["--json", "show", uuid])) as { related: { domain_info: Row } }).related
        .domain_info.properties.state;
    const defined = jsonOf(await lvq(["--json", "define", xmlFile, "--host", agentA.name])) as Row;
    assert.equal(defined.object_id, `${agentA.name}/Domain:${uuid}`);
    assert.equal(defined.properties.name, name);
    try {
      assert.equal(await state(), "shutoff");
      const started = jsonOf(await lvq(["--json", "start", uuid])) as Record<string, string>;
      assert.deepEqual(started, {
        object_id: defined.object_id,
        host: agentA.instance,
        name,
        action: "start",
      });
      await waitFor("running", 5000, async () => (await state()) === "running");
      const human = await lvq(["suspend", uuid]);
      assert.equal(human.code, 0);
      assert.equal(human.stdout, `Domain ${name} suspended on ${agentA.instance}\n`);
      await waitFor("paused", 5000, async () => (await state()) === "paused");
      assert.equal((await lvq(["resume", uuid])).code, 0);
      await waitFor("running again", 5000, async () => (await state()) === "running");
      const xml = await lvq(["dumpxml", uuid]);
      assert.equal(xml.code, 0);
      assert.match(xml.stdout, new RegExp(`<uuid>${uuid}</uuid>`));
      const saveFile = join(dir, "life.save");
      const saved = await lvq(["save", uuid, saveFile]);
      assert.equal(saved.code, 0);
      assert.equal(saved.stdout, `Domain ${name} saved to ${saveFile} on ${agentA.instance}\n`);
      assert.equal(ownStderr(saved), ""); // no spinner when stderr is not a terminal
      await waitFor("shut off by save", 5000, async () => (await state()) === "shutoff");
      const restored = jsonOf(
        await lvq(["--json", "restore", saveFile, "--host", agentA.name]),
      ) as Record<string, string>;
      assert.equal(restored.object_id, defined.object_id);
      await waitFor("running after restore", 5000, async () => (await state()) === "running");
      assert.equal((await lvq(["destroy", uuid])).code, 0);
      await waitFor("shut off by destroy", 5000, async () => (await state()) === "shutoff");
    } finally {
      await lvq(["destroy", uuid]);
      const u = await lvq(["undefine", uuid]);
      assert.equal(u.code, 0, u.stderr);
    }
    await waitFor("undefined", 5000, async () => (await lvq(["show", uuid])).code === 3);
  });

  test("watch prints changes and events of one agent as they arrive", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      [BIN, "--json", "watch", "DomainInfo", "--agent", agentA.name, "--count", "2", "--for", "20"],
      {
        env: { ...process.env, LVQ_BROKER: BROKER, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const exited = new Promise<number>((r) => child.on("close", (c) => r(c ?? -1)));
    try {
      await waitFor("watch ready", 10_000, async () => err.includes("watching"));
      const d = namesA.domains[1]!;
      assert.equal((await lvq(["suspend", d.uuid])).code, 0);
      const code = await exited;
      assert.equal(code, 0, err);
      const lines = out
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 2);
      const kinds = lines.map((l) => `${l.kind}:${l.kind === "event" ? l.event : l.class}`).sort();
      assert.deepEqual(kinds, ["changed:DomainInfo", "event:DomainLifecycle"]);
      const ev = lines.find((l) => l.kind === "event")!;
      assert.deepEqual((ev.args as Record<string, unknown>).event, "suspended");
      assert.equal((ev.args as Record<string, unknown>).uuid, d.uuid);
      const ch = lines.find((l) => l.kind === "changed") as Row & { kind: string };
      assert.equal(ch.object_id, `${agentA.name}/DomainInfo:${d.uuid}`);
      assert.equal(ch.properties.state, "paused");
    } finally {
      child.kill();
      await lvq(["resume", namesA.domains[1]!.uuid]);
    }
  });

  test("a large --json listing reaches a pipe whole (the process waits for stdout before exiting)", async () => {
    const spec = { domains: 600, pools: 0, volumesPerPool: 0, namePrefix: `cli${tag}big-` };
    const big = await startTestAgent({
      uri: writeTestDriverFile(join(dir, "big.xml"), spec),
      instance: `cli-${tag}-big`,
      broker: BROKER,
    });
    try {
      const r = await lvq(["--json", "list", "Domain", "--agent", big.name]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.length > 200_000, `${r.stdout.length} bytes`);
      const rows = JSON.parse(r.stdout) as Row[];
      assert.deepEqual(
        rows.map((x) => x.properties.uuid).sort(),
        testDriverNames(spec)
          .domains.map((d) => d.uuid)
          .sort(),
      );
    } finally {
      await big.stop();
    }
  });

  test("on a terminal: coloured headers unless NO_COLOR, a spinner with elapsed time on save/restore", async () => {
    // `script` runs the command on a pseudo-terminal (stdout and stderr both).
    const coloured = await lvqOnTty(["list", "Domain", "--agent", agentA.name], {
      NO_COLOR: undefined,
    });
    assert.equal(coloured.code, 0, coloured.out);
    assert.ok(coloured.out.includes("\u001b[1mHOST"), coloured.out);
    const plain = await lvqOnTty(["list", "Domain", "--agent", agentA.name]);
    assert.equal(plain.code, 0, plain.out);
    assert.ok(!plain.out.includes("\u001b["), plain.out);
    assert.match(
      plain.out,
      /^HOST +NAME +ID +PERSISTENT +AUTOSTART +HAS_MANAGED_SAVE +UUID +STATE\r?\n/,
    );
    const d = namesA.domains[0]!;
    const file = join(dir, "tty.save");
    let restored = false;
    try {
      const saved = await lvqOnTty(["save", d.uuid, file]);
      assert.equal(saved.code, 0, saved.out);
      const save = saved.out;
      assert.match(save, new RegExp(`saving ${d.name} to ${file} \\(\\d+\\.\\d s\\)`));
      assert.match(save, new RegExp(`Domain ${d.name} saved to ${file} on ${agentA.instance}`));
      const back = await lvqOnTty(["restore", file, "--host", agentA.name]);
      const restore = back.out;
      restored = restore.includes(`Domain ${d.name} restored from`);
      assert.equal(back.code, 0, restore);
      assert.match(restore, new RegExp(`restoring ${d.name} from ${file} \\(\\d+\\.\\d s\\)`));
      assert.match(
        restore,
        new RegExp(`Domain ${d.name} restored from ${file} on ${agentA.instance}`),
      );
    } finally {
      // Restored above unless a step failed before it: then restore it here.
      if (!restored) {
        const r = await lvq(["restore", file, "--host", agentA.name]);
        assert.equal(r.code, 0, r.stderr);
      }
    }
  });
});

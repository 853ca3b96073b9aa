// The agent's pure parts: settings (precedence and validation), identity (capabilities,
// derived UUIDs, the state file), the libvirt → property mapping (bulk stats merge, staleness)
// the schema file (every seed item kept, every method implemented), the roles and the audit
// line's values.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { auditValue } from "../../src/agent/audit.js";
import { JobSlots } from "../../src/agent/concurrency.js";
import {
  applySettings,
  ConfigError,
  defaultConfig,
  resolveAgentConfig,
  settingsFromEnv,
} from "../../src/agent/config.js";
import {
  canonicalUuid,
  hostUuidFromCapabilities,
  nextEpoch,
  readAgentState,
  stateFile,
} from "../../src/agent/identity.js";
import { defaultSchemaPath, derivedUuid, IMPLEMENTED_METHODS } from "../../src/agent/index.js";
import { domainInfoValues } from "../../src/agent/kinds/domain.js";
import { mergeStats, missesJobStats } from "../../src/agent/kinds/domain-stats.js";
import { domainReasonText, domainStateText } from "../../src/agent/kinds/domain-words.js";
import { graphicsOf, lacksStatsPeriod } from "../../src/agent/kinds/domain-xml.js";
import { METHOD_ROLES } from "../../src/agent/methods.js";
import { versionText } from "../../src/agent/names.js";
import { AccessPolicy, type Role } from "../../src/agent/roles.js";
import { MethodError, QmfStatus } from "../../src/qmf/errors.js";
import { loadSchemaFile } from "../../src/qmf/index.js";
import { withoutPasswords } from "../../src/util/redact.js";
import { childAt, parseXml } from "../../src/util/xml.js";
import { tempDir } from "../support/agent.js";

describe("agent settings", () => {
  test("defaults, then config file, then environment, then flags", async () => {
    const dir = tempDir("cfg");
    try {
      const file = join(dir.path, "a.json");
      writeFileSync(
        file,
        JSON.stringify({ uri: "test:///default", statsInterval: 3, instance: "f" }),
      );
      const cfg = await resolveAgentConfig({
        configFile: file,
        env: { LVQ_INSTANCE: "e", LVQ_HEARTBEAT_INTERVAL: "2.5" },
        flags: { instance: "x" },
      });
      assert.equal(cfg.uri, "test:///default");
      assert.equal(cfg.statsIntervalMs, 3000);
      assert.equal(cfg.heartbeatIntervalMs, 2500);
      assert.equal(cfg.instance, "x");
      assert.equal(cfg.broker, "amqp://guest:guest@127.0.0.1:5672");
      assert.equal(cfg.resyncIntervalMs, 300_000);
      // A missing default file is fine; a missing explicit one is not.
      const d = await resolveAgentConfig({ env: {}, configFile: undefined });
      assert.equal(d.uri, "qemu:///system");
      await assert.rejects(
        resolveAgentConfig({ configFile: join(dir.path, "none.json"), env: {} }),
        ConfigError,
      );
    } finally {
      dir.remove();
    }
  });

  test("balloonStatsPeriod: 5 s unless a file, variable or flag says otherwise; 0 turns it off", async () => {
    assert.equal(defaultConfig().balloonStatsPeriodSeconds, 5);
    const dir = tempDir("balloon");
    try {
      const file = join(dir.path, "agent.json");
      writeFileSync(file, JSON.stringify({ balloonStatsPeriod: 2 }));
      const at = async (env: NodeJS.ProcessEnv, flags = {}) =>
        (await resolveAgentConfig({ configFile: file, env, flags })).balloonStatsPeriodSeconds;
      assert.equal(await at({}), 2);
      assert.equal(await at({ LVQ_BALLOON_STATS_PERIOD: "0" }), 0);
      assert.equal(await at({ LVQ_BALLOON_STATS_PERIOD: "0" }, { balloonStatsPeriod: "10" }), 10);
    } finally {
      dir.remove();
    }
    for (const bad of ["-1", "1.5", "soon", ""]) {
      assert.throws(
        () => applySettings(defaultConfig(), { balloonStatsPeriod: bad }, "flag"),
        (e: Error) =>
          e instanceof ConfigError &&
          e.message ===
            `balloonStatsPeriod (flag) must be a whole number of seconds ≥ 0 (0: leave balloons alone), got ${JSON.stringify(bad)}`,
      );
    }
  });

  test("bad values are refused, naming the setting and where it came from", () => {
    const base = defaultConfig();
    const bad: [Record<string, unknown>, RegExp][] = [
      [
        { broker: "http://x" },
        /^broker URL http:\/\/x \(flag\) must start with amqp:\/\/ or amqps:\/\/$/,
      ],
      [
        { broker: "amqp://me:s3cret@host:notaport" },
        /^broker URL "amqp:\/\/me:\*\*\*@host:notaport" \(flag\) is not a URL$/,
      ],
      [{ uri: "nonsense" }, /^uri \(flag\) is not a libvirt URI/],
      [
        { statsInterval: "0" },
        /^statsInterval \(flag\) must be a number of seconds ≥ 0.1, got "0"$/,
      ],
      [{ instance: "a:b" }, /^instance \(flag\) must not contain ':'$/],
      [{ hostUuid: "xyz" }, /^hostUuid \(flag\) is not a UUID/],
      [{ logLevel: "loud" }, /^logLevel \(flag\): unknown log level "loud"/],
      [{ controlUsers: " , " }, /^controlUsers \(flag\) is empty/],
      [{ controlUsers: [1] }, /^controlUsers \(flag\) must be a list of broker user names/],
      [
        { roles: "{viewer:" },
        /^roles \(flag\) is not JSON such as \{"viewer":\["ann"\],"operator":\["bob"\],"admin":\["lvq"\]\}: /,
      ],
      [{ roles: "[]" }, /^roles \(flag\) must be an object such as \{"viewer"/],
      [
        { roles: '{"root":["eve"]}' },
        /^roles \(flag\): unknown role "root" \(the roles are viewer, operator, admin\)$/,
      ],
      [
        { roles: '{"viewer":"ann"}' },
        /^roles \(flag\): viewer must be a list of broker user names$/,
      ],
      [
        { roles: '{"viewer":[" "]}' },
        /^roles \(flag\): viewer must be a list of broker user names$/,
      ],
      [
        { maxRequestsPerSecond: "-1" },
        /^maxRequestsPerSecond \(flag\) must be a number ≥ 0 \(per broker user; 0: no limit\), got "-1"$/,
      ],
      [{ maxLongJobs: "1.5" }, /^maxLongJobs \(flag\) must be a whole number ≥ 1 \(save, restore/],
      [{ maxLongJobs: 0 }, /^maxLongJobs \(flag\) must be a whole number ≥ 1 /],
      [
        { roles: '{"viewer":[],"admin":[]}' },
        /^roles \(flag\) names no user, so every request would be refused; leave it out/,
      ],
    ];
    for (const [raw, re] of bad) {
      assert.throws(
        () => applySettings(base, raw, "flag"),
        (e: Error) => e instanceof ConfigError && re.test(e.message),
      );
    }
    assert.deepEqual(applySettings(base, { controlUsers: "ops, lvq-admin" }, "flag").controlUsers, [
      "ops",
      "lvq-admin",
    ]);
    assert.deepEqual([base.maxRequestsPerSecond, base.maxLongJobs], [50, 2]);
    const limits = applySettings(base, { maxRequestsPerSecond: "0.5", maxLongJobs: 4 }, "flag");
    assert.deepEqual([limits.maxRequestsPerSecond, limits.maxLongJobs], [0.5, 4]);
    // The same JSON from a flag or the environment, or an object from the config file.
    const roles = { viewer: ["ann"], operator: ["bob"], admin: ["lvq"] };
    assert.deepEqual(applySettings(base, { roles: JSON.stringify(roles) }, "flag").roles, roles);
    assert.deepEqual(
      applySettings(base, settingsFromEnv({ LVQ_ROLES: ' {"viewer": [" ann "]} ' }), "environment")
        .roles,
      { viewer: ["ann"] },
    );
    assert.deepEqual(applySettings(base, { roles }, "config file").roles, roles);
    assert.deepEqual(settingsFromEnv({ LVQ_URI: "test:///default", LVQ_BROKER: "", OTHER: "1" }), {
      uri: "test:///default",
    });
    assert.equal(
      applySettings(base, { hostUuid: "B7C2B9BBCA0741F3A40BCDCD5F14CF67" }, "flag").hostUuid,
      "b7c2b9bb-ca07-41f3-a40b-cdcd5f14cf67",
    );
  });
});

describe("roles", () => {
  test("a higher role includes the lower ones; controlUsers are admins; the highest role wins; no setting: everyone is admin", () => {
    const p = new AccessPolicy({ viewer: ["ann", "bob"], operator: ["bob"], admin: ["lvq"] }, [
      "ops",
    ]);
    assert.deepEqual(
      ["ann", "bob", "lvq", "ops", "eve", undefined].map((u) => p.roleOf(u)),
      ["viewer", "operator", "admin", "admin", undefined, undefined],
    );
    const refusal = (user: string | undefined, role: Role, what: string) => {
      try {
        p.require(user, role, what);
        return "allowed";
      } catch (e) {
        assert.ok(e instanceof MethodError && e.code === QmfStatus.FORBIDDEN);
        return e.text;
      }
    };
    assert.equal(
      refusal("bob", "admin", "Domain.undefine"),
      "user bob lacks role admin for Domain.undefine",
    );
    assert.equal(refusal("bob", "viewer", "queries"), "allowed");
    assert.equal(refusal("eve", "viewer", "queries"), "user eve lacks role viewer for queries");
    assert.equal(
      refusal(undefined, "viewer", "Domain.xml_desc"),
      "user (unknown) lacks role viewer for Domain.xml_desc",
    );
    assert.equal(refusal("ops", "admin", "Node.define_domain_xml"), "allowed");
    const open = new AccessPolicy();
    assert.equal(open.open, true);
    assert.equal(open.roleOf("anyone"), "admin");
    assert.equal(new AccessPolicy(undefined, ["ops"]).roleOf("anyone"), undefined);
  });

  test("every method needs the role its handler row names; a row that names none needs admin", () => {
    const operator = [
      "create",
      "destroy",
      "suspend",
      "resume",
      "save",
      "restore",
      "shutdown",
      "reboot",
    ];
    for (const [method, role] of METHOD_ROLES) {
      const [cls, name] = method.split(".") as [string, string];
      const expected =
        [
          "xml_desc",
          "interface_addresses",
          "dhcp_leases",
          "get_free_memory",
          "stats_history",
        ].includes(name) || name.startsWith("lookup_volume_by_")
          ? "viewer"
          : cls === "Domain" && operator.includes(name)
            ? "operator"
            : "admin";
      assert.equal(role, expected, method);
    }
    assert.equal(METHOD_ROLES.size, IMPLEMENTED_METHODS.length);
  });
});

describe("audit values", () => {
  test("a 4 MiB XML argument is cut at once: only its head is searched for passwords", () => {
    const xml = `<domain>${"x".repeat(4 * 1024 * 1024)}</domain>`;
    assert.deepEqual(auditValue(xml), {
      head: `<domain>${"x".repeat(72)}`,
      bytes: xml.length,
      sha256: createHash("sha256").update(xml).digest("hex"),
    });
  });

  test("long texts cut with length and hash; URL passwords masked; maps, lists and depth bounded", () => {
    const long = "é".repeat(100);
    assert.deepEqual(auditValue(long), {
      head: "é".repeat(80),
      bytes: 200,
      sha256: createHash("sha256").update(long).digest("hex"),
    });
    assert.equal(auditValue(Buffer.from("short")), "short");
    assert.equal(auditValue("x".repeat(80)), "x".repeat(80));
    assert.equal(
      auditValue("qemu+ssh://me:pw@h/system and amqp://u:p@q"),
      "qemu+ssh://me:***@h/system and amqp://u:***@q",
    );
    assert.equal(withoutPasswords("no url: a:b@c"), "no url: a:b@c");
    assert.deepEqual(auditValue({ a: 1n, b: null, c: true }), { a: 1n, b: null, c: true });
    assert.deepEqual(
      auditValue({ d: { agentName: "ag", objectName: "Domain:1", agentEpoch: 3 } }),
      {
        d: { agentName: "ag", objectName: "Domain:1" },
      },
    );
    const wide = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i]));
    const shown = auditValue(wide) as Record<string, unknown>;
    assert.equal(Object.keys(shown).length, 21);
    assert.equal(shown["…"], "5 more keys");
    const list = Array.from({ length: 22 }, (_, i) => i);
    assert.deepEqual(auditValue(list), { items: 22, first: list.slice(0, 20) });
    assert.deepEqual(auditValue({ a: { b: { c: { d: { e: 1 } } } } }), {
      a: { b: { c: { d: "…" } } },
    });
  });
});

describe("long jobs", () => {
  test("at most the limit, the running ones named oldest first, a release frees one", () => {
    const slots = new JobSlots(2);
    const a = slots.take("save on A")!;
    slots.take("migrate on B");
    assert.equal(slots.take("save on C"), undefined);
    assert.deepEqual(slots.running(), ["save on A", "migrate on B"]);
    a();
    a();
    assert.ok(slots.take("save on C"));
    assert.deepEqual(slots.running(), ["migrate on B", "save on C"]);
  });
});

describe("agent identity", () => {
  test("host UUID from capabilities, derived UUIDs, canonical form", () => {
    const caps =
      "<capabilities>\n  <host>\n    <uuid>B7C2B9BB-CA07-41F3-A40B-CDCD5F14CF67</uuid>\n    <cpu><arch>x86_64</arch></cpu>\n  </host>\n  <guest><uuid>not-this</uuid></guest>\n</capabilities>";
    assert.equal(hostUuidFromCapabilities(caps), "b7c2b9bb-ca07-41f3-a40b-cdcd5f14cf67");
    assert.equal(
      hostUuidFromCapabilities("<capabilities><host><cpu/></host></capabilities>"),
      undefined,
    );
    assert.equal(canonicalUuid("nope"), undefined);
    const a = derivedUuid("vm test:///default");
    assert.equal(a, derivedUuid("vm test:///default"));
    assert.notEqual(a, derivedUuid("vm test+unix:///x.xml"));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("the epoch file: 1 at the first start, then +1, host UUID kept; a corrupt file is an error", async () => {
    const dir = tempDir("epoch");
    try {
      const f = stateFile(dir.path, "uri-qemu:///system");
      assert.equal(f, join(dir.path, "agent-uri-qemu____system.json"));
      assert.deepEqual(await nextEpoch(f, "u1"), { epoch: 1, hostUuid: "u1" });
      assert.deepEqual(await nextEpoch(f, undefined), { epoch: 2, hostUuid: "u1" });
      assert.deepEqual(await readAgentState(f), { epoch: 2, hostUuid: "u1" });
      writeFileSync(f, '{"epoch": -3}');
      await assert.rejects(readAgentState(f), /"epoch" is not a non-negative integer/);
    } finally {
      dir.remove();
    }
  });
});

describe("libvirt values → properties", () => {
  const ref = { agentName: "a:b:c", objectName: "Domain:x", agentEpoch: 1 };
  const base = domainInfoValues(
    { state: 1, maxMem: 65536n, memory: 65536n, nrVirtCpu: 1, cpuTime: 5n },
    { state: 1, reason: 1 },
    ref,
    undefined,
  );

  test("GET_INFO + GET_STATE", () => {
    assert.equal(base.state, "running");
    assert.equal(base.state_reason, "booted");
    assert.equal(base.block_rd_bytes, 0n);
    assert.equal(base.stats_stale, false);
    assert.equal(domainStateText(5), "shutoff");
    assert.equal(domainReasonText(5, 4), "migrated");
    assert.equal(domainReasonText(9, 0), "unknown (0)");
    assert.equal(versionText(9_000_000n), "9.0.0");
    assert.equal(versionText(7_002_022n), "7.2.22");
  });

  test("a bulk stats record: sums over disks and interfaces, absent values kept", () => {
    const params = {
      "state.state": 3,
      "state.reason": 1,
      "cpu.time": 900n,
      "balloon.current": 32768n,
      "vcpu.current": 2,
      "block.count": 2,
      "block.0.rd.bytes": 10n,
      "block.1.rd.bytes": 5n,
      "block.0.wr.reqs": 7n,
      "net.count": 1,
      "net.0.rx.bytes": 100n,
      "net.0.tx.pkts": 3n,
    };
    const v = mergeStats(base, params, { stale: false, ageNs: 0n });
    assert.deepEqual(
      [v.state, v.state_reason, v.cpu_time, v.memory, v.maximum_memory, v.num_vcpus],
      ["paused", "user", 900n, 32768n, 65536n, 2],
    );
    assert.deepEqual(
      [
        v.block_rd_bytes,
        v.block_wr_bytes,
        v.block_wr_reqs,
        v.net_rx_bytes,
        v.net_tx_pkts,
        v.net_tx_bytes,
      ],
      [15n, 0n, 7n, 100n, 3n, 0n],
    );
    // The test driver's records carry only the state: the rest stays as it was.
    const t = mergeStats(v, { "state.state": 1, "state.reason": 5 }, { stale: false, ageNs: 0n });
    assert.deepEqual(
      [t.state, t.state_reason, t.cpu_time, t.block_rd_bytes],
      ["running", "unpaused", 900n, 15n],
    );
    // The same record again changes nothing: the very same object comes back (a sweep of
    // idle domains keeps nothing new); a changed counter gives a new one.
    const again = { "state.state": 1, "state.reason": 5 };
    assert.equal(mergeStats(t, again, { stale: false, ageNs: 0n }), t);
    const moved = mergeStats(t, { ...again, "cpu.time": 901n }, { stale: false, ageNs: 0n });
    assert.notEqual(moved, t);
    assert.deepEqual([moved.cpu_time, t.cpu_time, moved.state], [901n, 900n, "running"]);
    assert.notEqual(mergeStats(t, again, { stale: true, ageNs: 0n }), t, "staleness is a change");
  });

  test("stale: an active domain that used to have job-only stats and now lacks them", () => {
    assert.equal(missesJobStats({ "state.state": 1, "balloon.rss": 1n }, true), false);
    assert.equal(missesJobStats({ "state.state": 1 }, true), true);
    assert.equal(missesJobStats({ "state.state": 3 }, true), true);
    assert.equal(
      missesJobStats({ "state.state": 5 }, true),
      false,
      "an inactive domain has no job stats",
    );
    assert.equal(
      missesJobStats({ "state.state": 1 }, false),
      false,
      "a driver without them is never stale",
    );
    const s = mergeStats(base, { "state.state": 1 }, { stale: true, ageNs: 1500n });
    assert.deepEqual([s.stats_stale, s.stats_age], [true, 1500n]);
  });
});

describe("schema/libvirt.xml", () => {
  test("keeps every class, property, method and argument of the seed, and the agent implements every method", async () => {
    const schema = await loadSchemaFile(await defaultSchemaPath());
    // The seed mail's schema as written there (only its doubly-closed <method/> tags mended),
    // kept in the repository so the check runs from any clone.
    const seed = readFileSync(new URL("../qmf/fixtures/schema-seed.xml", import.meta.url), "utf8");
    let cls = "";
    let method = "";
    let items = 0;
    for (const line of seed.split("\n")) {
      const c = /<class name="(\w+)"/.exec(line);
      if (c) cls = c[1]!;
      const p = /<property name="(\w+)"/.exec(line);
      const m = /<method name="(\w+)"/.exec(line);
      const a = /<arg name="(\w+)"/.exec(line);
      const k = schema.getClass(cls);
      if (p) {
        assert.ok(
          k?.properties.some((x) => x.name === p[1]),
          `${cls}.${p[1]}`,
        );
        items++;
      }
      if (m) {
        method = m[1]!;
        assert.ok(
          k?.methods.some((x) => x.name === method),
          `${cls}.${method}()`,
        );
        items++;
      }
      if (a) {
        const mm = k?.methods.find((x) => x.name === method);
        assert.ok(
          mm?.args.some((x) => x.name === a[1]),
          `${cls}.${method}(${a[1]})`,
        );
        items++;
      }
    }
    assert.equal(items, 81);
    const declared = schema.classes
      .flatMap((c) => c.methods.map((m) => `${c.name}.${m.name}`))
      .sort();
    assert.deepEqual([...IMPLEMENTED_METHODS].sort(), declared);
    // Methods that return a new object return an objId naming its class.
    for (const [c, m, arg, target] of [
      ["Node", "define_domain_xml", "domain", "Domain"],
      ["Node", "storage_pool_define_xml", "pool", "Pool"],
      ["Node", "storage_pool_create_xml", "pool", "Pool"],
      ["Node", "network_define_xml", "network", "Network"],
      ["Node", "network_create_xml", "network", "Network"],
      ["Pool", "create_volume_xml", "volume", "Volume"],
      ["Pool", "lookup_volume_by_name", "volume", "Volume"],
      ["Pool", "lookup_volume_by_key", "volume", "Volume"],
      ["Pool", "lookup_volume_by_path", "volume", "Volume"],
      ["Domain", "migrate", "domain", "Domain"],
      ["Domain", "snapshot_create_xml", "snapshot", "Snapshot"],
    ] as const) {
      const out = schema
        .getClass(c)
        ?.methods.find((x) => x.name === m)
        ?.args.find((x) => x.name === arg);
      assert.deepEqual([out?.type, out?.dir, out?.references], ["objId", "O", target], `${c}.${m}`);
    }
    // XML texts are lstr (the seed's sstr caps at 255 bytes); references are objId only.
    const xmlArgs = schema.classes.flatMap((c) =>
      c.methods.flatMap((m) =>
        m.args
          .filter((a) => a.name === "xml_desc" || a.name === "description")
          .map((a) => `${c.name}.${m.name}(${a.name}):${a.type}`),
      ),
    );
    assert.equal(xmlArgs.length, 12);
    assert.deepEqual(
      xmlArgs.filter((t) => !t.endsWith(":lstr")),
      [],
    );
    const refs = schema.classes.flatMap((c) => [
      ...c.properties.filter((p) => p.references !== undefined).map((p) => p.type),
      ...c.methods.flatMap((m) =>
        m.args.filter((a) => a.references !== undefined).map((a) => a.type),
      ),
    ]);
    assert.equal(refs.length, 22);
    assert.deepEqual([...new Set(refs)], ["objId"]);
    assert.deepEqual(
      schema.events.map((e) => e.name),
      ["DomainLifecycle", "PoolLifecycle", "NetworkLifecycle"],
    );
  });
});

describe("a domain's XML → Domain.graphics and the balloon's stats period", () => {
  const domain = (type: string, devices: string) =>
    parseXml(`<domain type='${type}'><name>x</name><devices>${devices}</devices></domain>`);

  test("each display with its type, listen address (or socket) and port", () => {
    const d = domain(
      "kvm",
      [
        "<graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>",
        "<graphics type='spice' autoport='yes'><listen type='socket' socket='/run/spice.sock'/></graphics>",
        "<graphics type='vnc' port='-1' listen='0.0.0.0'/>",
        "<video><model type='qxl'/></video>",
      ].join(""),
    );
    assert.deepEqual(graphicsOf(childAt(d, "devices")), [
      { type: "vnc", address: "127.0.0.1", port: 5901 },
      { type: "spice", address: "/run/spice.sock", port: -1 },
      { type: "vnc", address: "0.0.0.0", port: -1 },
    ]);
    assert.deepEqual(graphicsOf(childAt(domain("test", ""), "devices")), []);
  });

  test("only a QEMU domain whose balloon has no stats period lacks one", () => {
    const balloon = "<memballoon model='virtio'><address type='pci'/></memballoon>";
    assert.equal(lacksStatsPeriod(domain("kvm", balloon)), true);
    assert.equal(lacksStatsPeriod(domain("qemu", balloon)), true);
    assert.equal(
      lacksStatsPeriod(
        domain("kvm", "<memballoon model='virtio'><stats period='5'/></memballoon>"),
      ),
      false,
    );
    assert.equal(lacksStatsPeriod(domain("kvm", "<memballoon model='none'/>")), false);
    assert.equal(lacksStatsPeriod(domain("kvm", "")), false, "no balloon");
    assert.equal(lacksStatsPeriod(domain("test", balloon)), false, "not QEMU");
  });
});

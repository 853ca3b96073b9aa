// The generated SDK is committed: regenerate it in memory and fail when the committed file
// differs, so a schema change without `npx tsx scripts/gen-sdk.ts` is caught.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import {
  generateSchemaJson,
  generateSdk,
  generateSdkSource,
  OUTPUT_PATH,
  SCHEMA_JSON_PATH,
} from "../../scripts/gen-sdk.js";
import { Domain, EVENTS, Node, SCHEMA } from "../../src/console/index.js";
import type { ManagedObject, ObjectSource } from "../../src/console/managed-object.js";

const schemaXml = (body: string): string => `<schema package="T">${body}</schema>`;

describe("generated SDK", () => {
  test("the committed file equals a fresh generation from schema/libvirt.xml", async () => {
    const committed = await readFile(OUTPUT_PATH, "utf8");
    const fresh = await generateSdk();
    assert.ok(
      committed === fresh,
      "src/console/generated/libvirt.ts is stale: run `npx tsx scripts/gen-sdk.ts` and commit it",
    );
  });

  test("the committed schema data equals a fresh generation from schema/libvirt.xml", async () => {
    const committed = await readFile(SCHEMA_JSON_PATH, "utf8");
    const fresh = await generateSchemaJson();
    assert.ok(
      committed === fresh,
      "src/console/generated/libvirt.schema.json is stale: run `npx tsx scripts/gen-sdk.ts` and commit it",
    );
  });

  test("carries the schema as data: classes, typed methods, references, events", () => {
    assert.deepEqual(
      SCHEMA.classes.map((c) => c.name),
      ["Node", "NodeInfo", "Domain", "DomainInfo", "Pool", "Volume", "Network", "Snapshot"],
    );
    assert.equal(SCHEMA.packageName, "Libvirt");
    assert.deepEqual(
      Domain.meta.methods.map((m) => m.name),
      [
        "create",
        "destroy",
        "undefine",
        "suspend",
        "resume",
        "save",
        "restore",
        "shutdown",
        "reboot",
        "xml_desc",
        "migrate",
        "set_autostart",
        "set_vcpus",
        "set_memory",
        "interface_addresses",
        "stats_history",
        "managed_save",
        "snapshot_create_xml",
      ],
    );
    assert.deepEqual(
      Domain.meta.properties.find((p) => p.name === "domain_info"),
      {
        name: "domain_info",
        type: "objId",
        desc: "Domain information.  This will be updated on a regular basis.",
        access: "RO",
        references: "DomainInfo",
      },
    );
    const define = Node.meta.methods.find((m) => m.name === "define_domain_xml")!;
    assert.deepEqual(
      define.args.map((a) => [a.name, a.type, a.dir, a.references]),
      [
        ["xml_desc", "lstr", "I", undefined],
        ["domain", "objId", "O", "Domain"],
      ],
    );
    assert.deepEqual(
      EVENTS.map((e) => [e.name, e.severity, e.args.length]),
      [
        ["DomainLifecycle", 5, 5],
        ["PoolLifecycle", 5, 4],
        ["NetworkLifecycle", 5, 4],
      ],
    );
    // Method proxies exist on the prototype with the schema's names.
    assert.equal(typeof Domain.prototype.suspend, "function");
    assert.equal(typeof Node.prototype.define_domain_xml, "function");
  });

  test("types 64-bit integers as bigint and references as resolving getters", () => {
    const src = generateSdkSource(
      schemaXml(
        `<class name="A"><property name="n" type="uint64"/><property name="b" type="objId" references="B"/>
         <method name="m"><arg name="x" dir="I" type="int32"/><arg name="r" dir="O" type="objId" references="B"/></method></class>
         <class name="B"><property name="s" type="sstr"/></class>`,
      ),
      "t.xml",
    );
    assert.match(
      src,
      /export interface AProperties \{\n {2}n: bigint;\n {2}\/\*\* References B\. \*\/\n {2}b: ObjectRef;\n\}/,
    );
    assert.match(
      src,
      /export interface A extends Readonly<Omit<AProperties, "b">> \{\n {2}\/\*\*\n {3}\* References B\.\n {3}\* Resolves to the B object \(one query\); the raw id is `props\.b`\.\n {3}\*\/\n {2}readonly b: Promise<B>;\n/,
    );
    assert.match(src, /\n {2}m\(args: \{ x: number \}\): Promise<B>;\n\}/);
  });

  test("installs from the schema a getter per property and a proxy per method", async () => {
    const calls: unknown[][] = [];
    const source: ObjectSource = {
      async callMethod(target, method, args) {
        calls.push(["call", target.objectIdText, method, args]);
        if (method === "xml_desc") return { description: "<domain/>" };
        if (method === "define_domain_xml") return { domain: { agentName: "a", objectName: "d2" } };
        return {};
      },
      async getObject(ref, cls) {
        calls.push(["get", ref.objectName, cls.meta.name]);
        return new cls(source, { objectId: ref, agentName: ref.agentName, values: {} });
      },
      hostOf: () => "h",
    };
    const d = new Domain(source, {
      objectId: { agentName: "a", objectName: "d1" },
      agentName: "a",
      values: { name: "web1", node: { agentName: "a", objectName: "n1" } },
    });
    assert.equal(d.name, "web1");
    assert.ok((await d.node) instanceof Node);
    assert.equal(await d.xml_desc(), "<domain/>");
    assert.equal(await d.suspend(), undefined);
    await d.set_autostart({ autostart: true });
    const n = new Node(source, {
      objectId: { agentName: "a", objectName: "n1" },
      agentName: "a",
      values: {},
    });
    const made: ManagedObject<object> = await n.define_domain_xml({ xml_desc: "<x/>" });
    assert.ok(made instanceof Domain);
    assert.deepEqual(calls, [
      ["get", "n1", "Node"],
      ["call", "a/d1", "xml_desc", {}],
      ["call", "a/d1", "suspend", {}],
      ["call", "a/d1", "set_autostart", { autostart: true }],
      ["call", "a/n1", "define_domain_xml", { xml_desc: "<x/>" }],
      ["get", "d2", "Domain"],
    ]);
    assert.equal(Domain.prototype.suspend.name, "suspend");
  });

  test("refuses a schema the SDK cannot express, naming the culprit", () => {
    assert.throws(
      () =>
        generateSdkSource(
          schemaXml(`<class name="A"><property name="props" type="sstr"/></class>`),
          "t.xml",
        ),
      { message: 'A.props: "props" clashes with a member of ManagedObject' },
    );
    assert.throws(
      () =>
        generateSdkSource(
          schemaXml(`<class name="A"><property name="x" type="sstr"/><method name="x"/></class>`),
          "t.xml",
        ),
      { message: "A: method x has the name of a property" },
    );
  });
});

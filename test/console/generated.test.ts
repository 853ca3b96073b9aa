// The generated SDK is committed: regenerate it in memory and fail when the committed file
// differs, so a schema change without `npx tsx scripts/gen-sdk.ts` is caught.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { generateSdk, generateSdkSource, OUTPUT_PATH } from "../../scripts/gen-sdk.js";
import { Domain, EVENTS, Node, SCHEMA } from "../../src/console/index.js";

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
    assert.match(src, /get b\(\): Promise<B> \{\n {4}return this\.follow\("b", B\);/);
    assert.match(src, /async m\(args: \{ x: number \}\): Promise<B> \{/);
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

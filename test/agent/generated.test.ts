// The agent's handler types and the schema's JSON form (what the agent publishes) are
// generated from schema/libvirt.xml and committed: regenerate them in memory and fail when a
// committed file differs, so a schema change without `npx tsx scripts/gen-sdk.ts` is caught
// (the compiler then points at every handler to change).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import {
  AGENT_OUTPUT_PATH,
  AGENT_SCHEMA_JSON_PATH,
  generateAgentMethods,
  generateAgentMethodsSource,
  generateAgentSchemaJson,
  SCHEMA_PATH,
} from "../../scripts/gen-sdk.js";
import { loadSchemaFile, loadSchemaJsonFile, schemaMap } from "../../src/qmf/index.js";

describe("generated handler types", () => {
  test("the committed file equals a fresh generation from schema/libvirt.xml", async () => {
    const committed = await readFile(AGENT_OUTPUT_PATH, "utf8");
    const fresh = await generateAgentMethods();
    assert.ok(
      committed === fresh,
      "src/agent/generated/methods.ts is stale: run `npx tsx scripts/gen-sdk.ts` and commit it",
    );
  });

  test("inputs as the session hands them over, outputs as the session takes them, None when empty", () => {
    const src = generateAgentMethodsSource(
      `<schema package="T"><class name="A"><property name="p" type="sstr"/>
         <method name="m" desc="Does m">
           <arg name="to" dir="I" type="objId" references="A" optional="y"/>
           <arg name="n" dir="I" type="int64"/>
           <arg name="made" dir="O" type="objId" references="A"/>
         </method>
         <method name="plain"/></class>
       <class name="B"><property name="s" type="sstr"/></class></schema>`,
      "t.xml",
    );
    assert.match(
      src,
      /import type \{ ObjectId, ObjectIdLike \} from "\.\.\/\.\.\/qmf\/index\.js";/,
    );
    assert.match(
      src,
      /export interface AMArgs \{\n {2}\/\*\* References A\. \*\/\n {2}to\?: ObjectId;\n {2}n: bigint;\n\}/,
    );
    assert.match(
      src,
      /export interface AMResult \{\n {2}\/\*\* References A\. \*\/\n {2}made: ObjectIdLike;\n\}/,
    );
    assert.match(
      src,
      /export interface SchemaMethods \{\n {2}A: \{\n {4}\/\*\* Does m \*\/\n {4}m: \{ args: AMArgs; result: AMResult \};\n {4}plain: \{ args: None; result: None \};\n {2}\};\n\}/,
    );
    assert.doesNotMatch(src, /\bB\b/, "a class without methods has no entry");
  });

  test("the committed JSON form of the schema equals a fresh generation from schema/libvirt.xml", async () => {
    const committed = await readFile(AGENT_SCHEMA_JSON_PATH, "utf8");
    const fresh = await generateAgentSchemaJson();
    assert.ok(
      committed === fresh,
      "schema/libvirt.json is stale: run `npx tsx scripts/gen-sdk.ts` and commit it",
    );
  });

  test("the JSON form loads as the schema the XML parses to: every definition, hash and lookup", async () => {
    const fromXml = await loadSchemaFile(SCHEMA_PATH);
    const fromJson = await loadSchemaJsonFile(AGENT_SCHEMA_JSON_PATH);
    assert.equal(fromJson.packageName, fromXml.packageName);
    const maps = (s: typeof fromXml) => [...s.classes, ...s.events].map((d) => schemaMap(d));
    assert.deepEqual(maps(fromJson), maps(fromXml));
    assert.deepEqual(
      fromJson.classes.map((c) => c.hash.toString()),
      fromXml.classes.map((c) => c.hash.toString()),
    );
    for (const c of fromXml.classes) {
      assert.deepEqual(fromJson.getClass(c.name)?.properties, c.properties);
      for (const m of c.methods) assert.deepEqual(fromJson.getClass(c.name)?.getMethod(m.name), m);
    }
    for (const e of fromXml.events) assert.deepEqual(fromJson.getEvent(e.name)?.args, e.args);
  });
});

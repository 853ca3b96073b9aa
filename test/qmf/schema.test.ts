import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeMap, encodeMap, type QmfMap, Uuid } from "../../src/qmf/codec/index.js";
import {
  isSchemaError,
  loadSchemaFile,
  parseSchema,
  parseSchemaMap,
  type SchemaClass,
  type SchemaError,
  type SchemaErrorCode,
  schemaIdMap,
  schemaMap,
} from "../../src/qmf/schema/index.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The fields of a class or event without its lookup functions, for deepEqual. */
function plain<T extends object>(def: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(def).filter(([, v]) => typeof v !== "function"));
}

describe("schema: the seed-shaped example", () => {
  it("loads every class, property, method and argument of the seed mail", async () => {
    const s = await loadSchemaFile(join(FIXTURES, "schema-seed.xml"));
    assert.equal(s.packageName, "Libvirt");
    assert.deepEqual(
      s.classes.map((c) => c.name),
      ["Node", "NodeInfo", "Domain", "DomainInfo", "Pool", "Volume"],
    );
    assert.deepEqual(s.events, []);
    const node = s.getClass("Node")!;
    assert.deepEqual(
      node.properties.map((p) => [p.name, p.type, p.access, p.references ?? null]),
      [
        ["type", "sstr", "RO", null],
        ["hostname", "sstr", "RC", null],
        ["version", "sstr", "RC", null],
        ["uri", "sstr", "RC", null],
        ["libvirt_version", "sstr", "RC", null],
        ["host_info", "objId", "RO", "NodeInfo"], // reference= and the default access
      ],
    );
    assert.deepEqual(node.getProperty("hostname"), {
      name: "hostname",
      type: "sstr",
      access: "RC",
      index: false,
      statistic: false,
      desc: "Host name",
    });
    assert.deepEqual(
      node.methods.map((m) => m.name),
      [
        "get_free_memory",
        "define_domain_xml",
        "storage_pool_define_xml",
        "storage_pool_create_xml",
      ],
    );
    // dir defaults to I; type="ObjID" is the seed's spelling of objId.
    assert.deepEqual(node.getMethod("storage_pool_define_xml")!.args, [
      { name: "xml_desc", type: "sstr", dir: "I", desc: "XML Description of the storage pool" },
      { name: "pool", type: "objId", dir: "O", desc: "Newly created storage pool" },
    ]);
    const domain = s.getClass("Domain")!;
    assert.deepEqual(
      domain.methods.map((m) => `${m.name}/${m.args.length}`),
      [
        "create/0",
        "destroy/0",
        "undefine/0",
        "suspend/0",
        "resume/0",
        "save/1",
        "restore/1",
        "shutdown/0",
        "reboot/0",
        "xml_desc/1",
        "migrate/6",
      ],
    );
    assert.deepEqual(
      domain.getMethod("migrate")!.args.map((a) => `${a.dir} ${a.name}:${a.type}`),
      [
        "I destination_node:objId",
        "I flags:int32",
        "I new_domain_name:sstr",
        "I uri:sstr",
        "I bandwidth:int32",
        "O domain:objId",
      ],
    );
    assert.equal(domain.getProperty("node")!.references, "Node");
    assert.equal(s.getClass("Volume")!.getProperty("storage_pool")!.references, "Pool");
    assert.deepEqual(
      s.getClass("NodeInfo")!.properties.map((p) => `${p.name}:${p.type}`),
      [
        "model:sstr",
        "memory:int64",
        "cpus:int32",
        "mhz:int32",
        "nodes:int32",
        "sockets:int32",
        "cores:int32",
        "threads:int32",
      ],
    );
    assert.equal(s.getClass("Pool")!.methods.length, 8);
    assert.equal(s.getClass("Nope"), undefined);
  });

  it("loads the project's schema/libvirt.xml with every reference resolved", async () => {
    const s = await loadSchemaFile(join(ROOT, "schema", "libvirt.xml"));
    assert.equal(s.packageName, "Libvirt");
    const names = new Set(s.classes.map((c) => c.name));
    for (const seedClass of ["Node", "NodeInfo", "Domain", "DomainInfo", "Pool", "Volume"]) {
      assert.ok(names.has(seedClass), seedClass);
    }
    const refs = [
      ...s.classes.flatMap((c) => [...c.properties, ...c.methods.flatMap((m) => m.args)]),
      ...s.events.flatMap((e) => e.args),
    ].filter((f) => f.references !== undefined);
    assert.ok(refs.length > 0);
    for (const f of refs) assert.ok(names.has(f.references!), `${f.name} → ${f.references}`);
  });
});

const EVERY_TYPE = `<schema package="org.example.t">
  <class name="All" desc="one of each">
    <property name="u8" type="uint8"/>
    <property name="u16" type="uint16"/>
    <property name="u32" type="uint32" access="RW" unit="mm"/>
    <property name="u64" type="uint64"/>
    <property name="i8" type="int8"/>
    <property name="i16" type="int16"/>
    <property name="i32" type="int32"/>
    <property name="i64" type="int64"/>
    <property name="b" type="bool"/>
    <property name="f" type="float"/>
    <property name="d" type="double"/>
    <property name="s" type="sstr" access="RC" index="y" desc="key"/>
    <property name="l" type="lstr"/>
    <property name="t" type="absTime" unit="ns"/>
    <property name="dt" type="deltaTime"/>
    <property name="ref" type="objId" references="Other"/>
    <property name="u" type="uuid"/>
    <property name="m" type="map"/>
    <property name="li" type="list"/>
    <statistic name="hits" type="uint64" unit="requests" desc="served"/>
    <method name="run" desc="does it">
      <arg name="a" type="uint32"/>
      <arg name="b" type="sstr" dir="O"/>
      <arg name="c" type="objId" dir="IO" references="Other" unit="x" desc="both"/>
    </method>
    <method name="noop"/>
  </class>
  <class name="Other"/>
  <event name="changed" severity="warning" desc="it changed">
    <arg name="what" type="sstr"/>
    <arg name="who" type="objId" reference="All"/>
  </event>
  <event name="quiet"/>
</schema>`;

describe("schema: the language", () => {
  const s = parseSchema(EVERY_TYPE, "every-type.xml");
  const all = s.getClass("All")!;

  it("reads every type, with access RO and index false by default", () => {
    assert.deepEqual(
      all.properties.map(
        (p) =>
          `${p.name}:${p.type}:${p.access}${p.index ? ":index" : ""}${p.statistic ? ":statistic" : ""}`,
      ),
      [
        "u8:uint8:RO",
        "u16:uint16:RO",
        "u32:uint32:RW",
        "u64:uint64:RO",
        "i8:int8:RO",
        "i16:int16:RO",
        "i32:int32:RO",
        "i64:int64:RO",
        "b:bool:RO",
        "f:float:RO",
        "d:double:RO",
        "s:sstr:RC:index",
        "l:lstr:RO",
        "t:absTime:RO",
        "dt:deltaTime:RO",
        "ref:objId:RO",
        "u:uuid:RO",
        "m:map:RO",
        "li:list:RO",
        "hits:uint64:RO:statistic",
      ],
    );
    assert.deepEqual(all.getProperty("u32"), {
      name: "u32",
      type: "uint32",
      access: "RW",
      index: false,
      statistic: false,
      unit: "mm",
    });
    assert.deepEqual(all.getProperty("hits"), {
      name: "hits",
      type: "uint64",
      access: "RO",
      index: false,
      statistic: true,
      desc: "served",
      unit: "requests",
    });
    assert.equal(all.getProperty("ref")!.references, "Other");
    assert.equal(all.desc, "one of each");
  });

  it("reads methods and arguments, dir I by default", () => {
    assert.deepEqual(all.getMethod("run"), {
      name: "run",
      desc: "does it",
      args: [
        { name: "a", type: "uint32", dir: "I" },
        { name: "b", type: "sstr", dir: "O" },
        { name: "c", type: "objId", dir: "IO", desc: "both", unit: "x", references: "Other" },
      ],
    });
    assert.deepEqual(all.getMethod("noop"), { name: "noop", args: [] });
  });

  it("reads events with severity names and numbers", () => {
    assert.deepEqual(
      s.events.map((e) => plain(e)),
      [
        {
          kind: "event",
          packageName: "org.example.t",
          name: "changed",
          desc: "it changed",
          severity: 4,
          args: [
            { name: "what", type: "sstr", dir: "I" },
            { name: "who", type: "objId", dir: "I", references: "All" },
          ],
          hash: s.getEvent("changed")!.hash,
        },
        {
          kind: "event",
          packageName: "org.example.t",
          name: "quiet",
          args: [],
          hash: s.getEvent("quiet")!.hash,
        },
      ],
    );
    const sev = (v: string) =>
      parseSchema(`<schema package="p"><event name="e" severity="${v}"/></schema>`).events[0]!
        .severity;
    assert.deepEqual(
      ["emergency", "alert", "crit", "ERROR", "warn", "notice", "info", "debug", "0", "7"].map(sev),
      [0, 1, 2, 3, 4, 5, 6, 7, 0, 7],
    );
  });

  it("accepts index spelled y/n/yes/no/true/false/1/0", () => {
    const index = (v: string) =>
      parseSchema(
        `<schema package="p"><class name="C"><property name="x" type="bool" index="${v}"/></class></schema>`,
      ).classes[0]!.properties[0]!.index;
    assert.deepEqual(["y", "n", "yes", "no", "true", "false", "1", "0", "Y"].map(index), [
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it("names errors after the file given to loadSchemaFile", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lvq-schema-"));
    try {
      const file = join(dir, "bad.xml");
      await writeFile(
        file,
        '<schema package="p">\n  <class name="C">\n    <property name="x" type="int"/>\n  </class>\n</schema>\n',
      );
      await assert.rejects(loadSchemaFile(file), {
        name: "SchemaError",
        message: `${file}:3:24: unknown type "int" (known: uint8, uint16, uint32, uint64, int8, int16, int32, int64, bool, float, double, sstr, lstr, absTime, deltaTime, objId, uuid, map, list)`,
      });
      await assert.rejects(loadSchemaFile(join(dir, "missing.xml")), { code: "ENOENT" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Parses lines joined by \n and returns the SchemaError it must raise. */
function schemaError(lines: string[]): SchemaError {
  try {
    parseSchema(lines.join("\n"), "t.xml");
  } catch (err) {
    assert.ok(isSchemaError(err), `expected a SchemaError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a SchemaError");
}

/** [what, lines, code, line, marker: the error points at its first occurrence on that line, detail] */
const ERRORS: [string, string[], SchemaErrorCode, number, string, string][] = [
  [
    "an unknown type",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x" type="string"/>',
      "  </class>",
      "</schema>",
    ],
    "UNKNOWN_TYPE",
    3,
    "type=",
    'unknown type "string"',
  ],
  [
    "a duplicate property (statistics share the namespace)",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x" type="bool"/>',
      '    <statistic name="x" type="uint64"/>',
      "  </class>",
      "</schema>",
    ],
    "DUPLICATE_NAME",
    4,
    "name=",
    "duplicate property x (first defined at line 3)",
  ],
  [
    "a duplicate class",
    ['<schema package="p">', '  <class name="C"/>', '  <class name="C"/>', "</schema>"],
    "DUPLICATE_NAME",
    3,
    "name=",
    "duplicate class or event C (first defined at line 2)",
  ],
  [
    "an event named like a class",
    ['<schema package="p">', '  <class name="C"/>', '  <event name="C"/>', "</schema>"],
    "DUPLICATE_NAME",
    3,
    "name=",
    "duplicate class or event C (first defined at line 2)",
  ],
  [
    "a duplicate method",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <method name="m"/>',
      '    <method name="m"/>',
      "  </class>",
      "</schema>",
    ],
    "DUPLICATE_NAME",
    4,
    "name=",
    "duplicate method m (first defined at line 3)",
  ],
  [
    "a duplicate argument",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <method name="m">',
      '      <arg name="a" type="bool"/>',
      '      <arg name="a" type="bool" dir="O"/>',
      "    </method>",
      "  </class>",
      "</schema>",
    ],
    "DUPLICATE_NAME",
    5,
    "name=",
    "duplicate argument a (first defined at line 4)",
  ],
  [
    "a bad access",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x" type="bool" access="WO"/>',
      "  </class>",
      "</schema>",
    ],
    "BAD_ACCESS",
    3,
    "access=",
    'bad access "WO" (RO, RC or RW)',
  ],
  [
    "a bad dir",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <method name="m">',
      '      <arg name="a" type="bool" dir="OUT"/>',
      "    </method>",
      "  </class>",
      "</schema>",
    ],
    "BAD_DIR",
    4,
    "dir=",
    'bad dir "OUT" (I, O or IO)',
  ],
  [
    "a reference to an unknown class (on a later line of the tag)",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x"',
      '      type="objId" references="Missing"/>',
      "  </class>",
      "</schema>",
    ],
    "UNKNOWN_REFERENCE",
    4,
    "references=",
    "reference to unknown class Missing (classes: C)",
  ],
  [
    "a reference (seed spelling) to an unknown class from a method argument",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <method name="m"><arg name="a" type="ObjID" reference="Nope" dir="O"/></method>',
      "  </class>",
      "</schema>",
    ],
    "UNKNOWN_REFERENCE",
    3,
    "reference=",
    "reference to unknown class Nope (classes: C)",
  ],
  [
    "references on a type other than objId",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x" type="sstr" references="C"/>',
      "  </class>",
      "</schema>",
    ],
    "BAD_VALUE",
    3,
    "references=",
    "references is only allowed on type objId, not sstr",
  ],
  [
    "both references and reference",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x" type="objId" references="C" reference="C"/>',
      "  </class>",
      "</schema>",
    ],
    "BAD_VALUE",
    3,
    'reference="C"/>',
    "give either references or reference, not both",
  ],
  [
    "malformed XML (the seed's doubly closed method)",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <method name="m" desc="x"/>',
      "    </method>",
      "  </class>",
      "</schema>",
    ],
    "MALFORMED_XML",
    4,
    ">",
    "malformed XML: unexpected close tag.",
  ],
  [
    "malformed XML (an unclosed attribute)",
    ['<schema package="p">', '  <class name="C>', "</schema>"],
    "MALFORMED_XML",
    3,
    "<",
    "malformed XML: disallowed character.",
  ],
  [
    "an unknown element",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <field name="x" type="bool"/>',
      "  </class>",
      "</schema>",
    ],
    "UNKNOWN_ELEMENT",
    3,
    "<field",
    "unknown element <field>",
  ],
  [
    "an element in the wrong place",
    ['<schema package="p">', '  <property name="x" type="bool"/>', "</schema>"],
    "MISPLACED_ELEMENT",
    2,
    "<property",
    "<property> is not allowed inside <schema>",
  ],
  [
    "a root other than <schema>",
    ['<class name="C"/>'],
    "MISPLACED_ELEMENT",
    1,
    "<class",
    "the root element must be <schema>, not <class>",
  ],
  [
    "an unknown attribute",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x" type="bool" optional="y"/>',
      "  </class>",
      "</schema>",
    ],
    "UNKNOWN_ATTRIBUTE",
    3,
    "optional=",
    "unknown attribute optional on <property> (allowed: name, type, access, desc, index, unit, references, reference)",
  ],
  [
    "dir on an event argument",
    [
      '<schema package="p">',
      '  <event name="e">',
      '    <arg name="a" type="bool" dir="O"/>',
      "  </event>",
      "</schema>",
    ],
    "UNKNOWN_ATTRIBUTE",
    3,
    "dir=",
    "attribute dir is not allowed on an event's <arg>",
  ],
  [
    "optional on an event argument",
    [
      '<schema package="p">',
      '  <event name="e">',
      '    <arg name="a" type="bool" optional="y"/>',
      "  </event>",
      "</schema>",
    ],
    "UNKNOWN_ATTRIBUTE",
    3,
    "optional=",
    "attribute optional is not allowed on an event's <arg>",
  ],
  [
    "optional on an output argument",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <method name="m">',
      '      <arg name="a" type="bool" dir="O" optional="y"/>',
      "    </method>",
      "  </class>",
      "</schema>",
    ],
    "BAD_VALUE",
    4,
    "optional=",
    "optional is only meaningful on an input argument (dir I or IO), not on output argument a",
  ],
  [
    "a bad optional",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <method name="m">',
      '      <arg name="a" type="bool" optional="perhaps"/>',
      "    </method>",
      "  </class>",
      "</schema>",
    ],
    "BAD_VALUE",
    4,
    "optional=",
    'bad optional "perhaps" (y or n)',
  ],
  [
    "a missing attribute",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x"/>',
      "  </class>",
      "</schema>",
    ],
    "MISSING_ATTRIBUTE",
    3,
    "<property",
    "<property> needs a type attribute",
  ],
  [
    "a missing package",
    ["<schema>", "</schema>"],
    "MISSING_ATTRIBUTE",
    1,
    "<schema",
    "<schema> needs a package attribute",
  ],
  [
    "a bad name",
    ['<schema package="p">', '  <class name="1st"/>', "</schema>"],
    "BAD_NAME",
    2,
    "name=",
    'invalid class name "1st" (letters, digits and _, not starting with a digit)',
  ],
  [
    "a bad package name",
    ['<schema package="a..b"/>'],
    "BAD_NAME",
    1,
    "package=",
    'invalid package name "a..b"',
  ],
  [
    "a bad index",
    [
      '<schema package="p">',
      '  <class name="C">',
      '    <property name="x" type="bool" index="maybe"/>',
      "  </class>",
      "</schema>",
    ],
    "BAD_VALUE",
    3,
    "index=",
    'bad index "maybe" (y or n)',
  ],
  [
    "a bad severity",
    ['<schema package="p">', '  <event name="e" severity="loud"/>', "</schema>"],
    "BAD_VALUE",
    2,
    "severity=",
    'bad severity "loud" (0-7 or emergency, alert, critical, error, warning, notice, info, debug)',
  ],
  [
    "text inside an element",
    ['<schema package="p">', '  <class name="C">', "    oops", "  </class>", "</schema>"],
    "UNEXPECTED_TEXT",
    3,
    "oops",
    'unexpected text "oops" (only elements and comments belong here)',
  ],
];

describe("schema: invalid files give SchemaError with file, line and column", () => {
  for (const [what, lines, code, line, marker, detail] of ERRORS) {
    it(what, () => {
      const column = lines[line - 1]!.indexOf(marker) + 1;
      assert.ok(column > 0, `marker ${marker} on line ${line}`);
      const err = schemaError(lines);
      assert.equal(err.code, code);
      assert.equal(err.fileName, "t.xml");
      assert.deepEqual([err.line, err.column], [line, column]);
      assert.ok(err.detail.startsWith(detail), `${err.detail} should start with ${detail}`);
      assert.equal(err.message, `t.xml:${line}:${column}: ${err.detail}`);
    });
  }

  it("never expands entities declared in a DTD (no entity expansion bombs)", () => {
    const err = schemaError([
      '<?xml version="1.0"?>',
      '<!DOCTYPE schema [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
      '<schema package="p"><class name="C" desc="&b;"/></schema>',
    ]);
    assert.equal(err.code, "MALFORMED_XML");
    assert.equal(err.line, 3);
    assert.equal(err.detail, "malformed XML: undefined entity.");
  });

  it("reads the predefined entities in attribute values and skips comments", () => {
    const s = parseSchema(
      '<schema package="p"><!-- note --><class name="C" desc="a &amp; b &lt;c&gt; &quot;d&quot;"/></schema>',
    );
    assert.equal(s.classes[0]!.desc, 'a & b <c> "d"');
  });

  it("defaults the file name", () => {
    assert.throws(() => parseSchema("<nope"), { name: "SchemaError", fileName: "<schema>" });
  });

  it("an empty document", () => {
    const err = schemaError([""]);
    assert.equal(err.code, "MALFORMED_XML");
  });
});

describe("schema: optional method arguments", () => {
  const xml = (attrs: [string, string]) => `<schema package="org.example">
  <class name="Host">
    <method name="migrate">
      <arg name="dest" type="sstr"/>
      <arg name="flags" type="uint32" ${attrs[0]}/>
      <arg name="uri" type="lstr" dir="IO" ${attrs[1]}/>
      <arg name="took" type="uint64" dir="O"/>
    </method>
  </class>
</schema>`;
  const host = (attrs: [string, string]) => parseSchema(xml(attrs)).getClass("Host")!;

  it("reads optional y/true (any case) as optional and leaves the others required", () => {
    for (const spelling of ["y", "yes", "true", "TRUE", "1"]) {
      const args = host([`optional="${spelling}"`, `optional="${spelling}"`]).getMethod(
        "migrate",
      )!.args;
      assert.deepEqual(
        args.map((a) => [a.name, a.optional === true]),
        [
          ["dest", false],
          ["flags", true],
          ["uri", true],
          ["took", false],
        ],
        spelling,
      );
    }
    for (const spelling of ["n", "no", "false", "0"]) {
      const args = host([`optional="${spelling}"`, ""]).getMethod("migrate")!.args;
      assert.equal(args[1]!.optional, undefined, spelling);
      assert.ok(!("optional" in args[1]!), spelling);
    }
  });

  it("carries _optional: true in the Schema map and reads it back", () => {
    const cls = host(['optional="y"', ""]);
    const args = (schemaMap(cls)._methods as QmfMap[])[0]!._arguments;
    assert.deepEqual(args, [
      { _name: "dest", _type: "TYPE_STRING", _subtype: "sstr", _dir: "I" },
      { _name: "flags", _type: "TYPE_INT", _subtype: "uint32", _dir: "I", _optional: true },
      { _name: "uri", _type: "TYPE_STRING", _subtype: "lstr", _dir: "IO" },
      { _name: "took", _type: "TYPE_INT", _subtype: "uint64", _dir: "O" },
    ]);
    const back = parseSchemaMap(decodeMap(encodeMap(schemaMap(cls)))) as SchemaClass;
    assert.deepEqual(
      back.getMethod("migrate")!.args.map((a) => [a.name, a.optional]),
      [
        ["dest", undefined],
        ["flags", true],
        ["uri", undefined],
        ["took", undefined],
      ],
    );
  });

  it("puts optional in the class hash, and leaves the hash of a schema without it unchanged", () => {
    const none = host(["", ""]).hash.toString();
    const one = host(['optional="y"', ""]).hash.toString();
    const other = host(["", 'optional="y"']).hash.toString();
    assert.equal(new Set([none, one, other]).size, 3);
    assert.equal(host(['optional="n"', ""]).hash.toString(), none);
    const canonical = JSON.stringify([
      "_data",
      "org.example",
      "Host",
      "",
      [],
      [
        [
          "migrate",
          "",
          [
            ["dest", "sstr", "I", "", "", ""],
            ["flags", "uint32", "I", "", "", "", "optional"],
            ["uri", "lstr", "IO", "", "", ""],
            ["took", "uint64", "O", "", "", ""],
          ],
        ],
      ],
    ]);
    assert.equal(one, Uuid.fromBytes(createHash("md5").update(canonical).digest()).toString());
  });
});

describe("schema: QMFv2 maps and the class hash", () => {
  const s = parseSchema(
    `<schema package="org.example">
  <class name="Shelf" desc="holds widgets">
    <property name="name" type="sstr" access="RC" index="y" desc="Name"/>
    <statistic name="load" type="uint32" unit="kg"/>
    <method name="tilt" desc="Tilts it">
      <arg name="degrees" type="int8" dir="I"/>
      <arg name="was" type="objId" dir="O" references="Shelf"/>
    </method>
  </class>
  <event name="fell" severity="alert"><arg name="shelf" type="objId"/></event>
</schema>`,
    "shelf.xml",
  );
  const shelf = s.getClass("Shelf")!;
  const fell = s.getEvent("fell")!;

  it("hashes the canonical form with MD5", () => {
    const canonical = JSON.stringify([
      "_data",
      "org.example",
      "Shelf",
      "holds widgets",
      [
        ["name", "sstr", "RC", true, false, "", "", "Name"],
        ["load", "uint32", "RO", false, true, "", "kg", ""],
      ],
      [
        [
          "tilt",
          "Tilts it",
          [
            ["degrees", "int8", "I", "", "", ""],
            ["was", "objId", "O", "Shelf", "", ""],
          ],
        ],
      ],
    ]);
    const md5 = createHash("md5").update(canonical).digest();
    assert.ok(shelf.hash.equals(Uuid.fromBytes(md5)));
    const eventCanonical = JSON.stringify([
      "_event",
      "org.example",
      "fell",
      "",
      1,
      [["shelf", "objId", "I", "", "", ""]],
    ]);
    assert.ok(fell.hash.equals(Uuid.fromBytes(createHash("md5").update(eventCanonical).digest())));
  });

  it("gives the same hash for the same definition and a new one for any change", () => {
    const base = `<schema package="org.example"><class name="C"><property name="x" type="uint8" ATTR/></class></schema>`;
    const hashOf = (attr: string) =>
      parseSchema(base.replace("ATTR", attr)).classes[0]!.hash.toString();
    const variants = ["", 'access="RW"', 'index="y"', 'unit="kg"', 'desc="d"'];
    const hashes = variants.map(hashOf);
    assert.equal(new Set(hashes).size, variants.length);
    assert.equal(hashOf(""), hashOf(""));
    assert.notEqual(
      parseSchema(base.replace("ATTR", "").replace("uint8", "uint16")).classes[0]!.hash.toString(),
      hashOf(""),
    );
  });

  it("writes the SchemaId map", () => {
    assert.deepEqual(schemaIdMap(shelf), {
      _package_name: "org.example",
      _class_name: "Shelf",
      _type: "_data",
      _hash: shelf.hash,
    });
    assert.deepEqual(schemaIdMap(fell, "other.pkg"), {
      _package_name: "other.pkg",
      _class_name: "fell",
      _type: "_event",
      _hash: fell.hash,
    });
  });

  it("writes the Schema map of a class", () => {
    assert.deepEqual(schemaMap(shelf), {
      _schema_id: schemaIdMap(shelf),
      _desc: "holds widgets",
      _properties: [
        {
          _name: "name",
          _type: "TYPE_STRING",
          _subtype: "sstr",
          _access: "RC",
          _desc: "Name",
          _index: true,
        },
        { _name: "load", _type: "TYPE_INT", _subtype: "uint32", _access: "RO", _unit: "kg" },
      ],
      _methods: [
        {
          _name: "tilt",
          _desc: "Tilts it",
          _arguments: [
            { _name: "degrees", _type: "TYPE_INT", _subtype: "int8", _dir: "I" },
            { _name: "was", _type: "TYPE_MAP", _subtype: "objId", _dir: "O", _references: "Shelf" },
          ],
        },
      ],
    });
  });

  it("writes the Schema map of an event", () => {
    assert.deepEqual(schemaMap(fell), {
      _schema_id: schemaIdMap(fell),
      _properties: [{ _name: "shelf", _type: "TYPE_MAP", _subtype: "objId" }],
      _default_severity: 1,
    });
  });

  it("maps every type to its QMFv2 _type", () => {
    const all = parseSchema(EVERY_TYPE).getClass("All")!;
    assert.deepEqual(
      (schemaMap(all)._properties as Record<string, unknown>[]).map(
        (p) => `${p._subtype}=${p._type}`,
      ),
      [
        "uint8=TYPE_INT",
        "uint16=TYPE_INT",
        "uint32=TYPE_INT",
        "uint64=TYPE_INT",
        "int8=TYPE_INT",
        "int16=TYPE_INT",
        "int32=TYPE_INT",
        "int64=TYPE_INT",
        "bool=TYPE_BOOL",
        "float=TYPE_FLOAT",
        "double=TYPE_FLOAT",
        "sstr=TYPE_STRING",
        "lstr=TYPE_STRING",
        "absTime=TYPE_INT",
        "deltaTime=TYPE_INT",
        "objId=TYPE_MAP",
        "uuid=TYPE_UUID",
        "map=TYPE_MAP",
        "list=TYPE_LIST",
        "uint64=TYPE_INT",
      ],
    );
  });

  it("reads a Schema map back through the codec into the same definition", () => {
    for (const def of [
      shelf,
      fell,
      ...parseSchema(EVERY_TYPE).classes,
      ...parseSchema(EVERY_TYPE).events,
    ]) {
      const back = parseSchemaMap(decodeMap(encodeMap(schemaMap(def))));
      const expected = plain(def);
      // Statistics are ordinary properties in QMFv2: the flag does not travel.
      if (def.kind === "class") {
        expected.properties = (def as SchemaClass).properties.map((p) => ({
          ...p,
          statistic: false,
        }));
      }
      assert.deepEqual(plain(back), expected);
    }
  });

  it("reads a map without _subtype by its coarse _type, and refuses a malformed one", () => {
    const back = parseSchemaMap({
      _schema_id: { _package_name: "q", _class_name: "K", _type: "_data", _hash: Uuid.random() },
      _properties: [
        { _name: "n", _type: "TYPE_INT" },
        { _name: "s", _type: Buffer.from("TYPE_STRING"), _access: "RW" },
        { _name: "f", _type: "TYPE_FLOAT" },
      ],
    }) as SchemaClass;
    assert.deepEqual(
      back.properties.map((p) => `${p.name}:${p.type}:${p.access}`),
      ["n:int64:RO", "s:lstr:RW", "f:double:RO"],
    );
    assert.throws(() => parseSchemaMap({ _schema_id: { _package_name: "q", _class_name: "K" } }), {
      name: "TypeError",
      message: "schema map: _schema_id._hash must be a uuid",
    });
    assert.throws(
      () =>
        parseSchemaMap({
          _schema_id: { _package_name: "q", _class_name: "K", _hash: Uuid.random() },
          _properties: [{ _name: "x", _type: "TYPE_BLOB" }],
        }),
      { name: "TypeError", message: "schema map: _properties[0] has unknown _type TYPE_BLOB" },
    );
  });
});

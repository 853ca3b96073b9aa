// Writes, from the schema file, the typed console SDK (src/console/generated/libvirt.ts) as
// qmf-gen once wrote C++ from the same schema language, the types of the agent's method
// handlers (src/agent/generated/methods.ts), and the schema's JSON form (schema/libvirt.json),
// which the agent loads without an XML parser. Run: npx tsx scripts/gen-sdk.ts
// The outputs are committed; test/console/generated.test.ts and test/agent/generated.test.ts
// regenerate them in memory and fail when a committed file is stale.
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ManagedObject } from "../src/console/managed-object.js";
import { parseSchema, schemaToJson } from "../src/qmf/schema/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The schema the SDK is generated from. */
export const SCHEMA_PATH = join(ROOT, "schema", "libvirt.xml");
/** Where the generated SDK goes. */
export const OUTPUT_PATH = join(ROOT, "src", "console", "generated", "libvirt.ts");
/** Where the generated types of the agent's method handlers go. */
export const AGENT_OUTPUT_PATH = join(ROOT, "src", "agent", "generated", "methods.ts");
/** Where the schema's JSON form goes (the agent publishes it). */
export const SCHEMA_JSON_PATH = join(ROOT, "schema", "libvirt.json");

/**
 * Names the base class ManagedObject already uses; a property or method may not take them. Its
 * methods and getters are read from the class itself, so a member added there is reserved at
 * once; the instance fields (not on the prototype) and the static `meta` of each generated
 * class are listed.
 */
const RESERVED = new Set([
  ...Object.getOwnPropertyNames(ManagedObject.prototype),
  "objectId",
  "agentName",
  "props",
  "updateTs",
  "source",
  "meta",
]);

interface FieldLike {
  name: string;
  type: string;
  desc?: string | undefined;
  unit?: string | undefined;
  access?: string | undefined;
  dir?: string | undefined;
  references?: string | undefined;
  index?: boolean | undefined;
  optional?: boolean | undefined;
}

function tsType(f: FieldLike, input = false): string {
  switch (f.type) {
    case "uint8":
    case "uint16":
    case "uint32":
    case "int8":
    case "int16":
    case "int32":
    case "float":
    case "double":
      return "number";
    case "uint64":
    case "int64":
    case "absTime":
    case "deltaTime":
      return "bigint";
    case "bool":
      return "boolean";
    case "sstr":
    case "lstr":
    case "uuid":
      return "string";
    case "objId":
      return input
        ? `ObjectRef | ManagedObject<${f.references ? `${f.references}Properties` : "object"}>`
        : "ObjectRef";
    case "map":
      return "Record<string, unknown>";
    case "list":
      return "unknown[]";
  }
  throw new Error(`field ${f.name}: unknown schema type ${f.type}`);
}

/** A JSDoc block (one line when short); `*\/` inside text is broken up. */
function doc(indent: string, ...lines: (string | undefined)[]): string {
  const text = lines.filter((l): l is string => !!l).map((l) => l.replace(/\*\//g, "*\\/"));
  if (text.length === 0) return "";
  if (text.length === 1) return `${indent}/** ${text[0]} */\n`;
  return `${indent}/**\n${text.map((l) => `${indent} * ${l}`).join("\n")}\n${indent} */\n`;
}

function fieldDoc(f: FieldLike): string {
  const extra = [
    f.unit ? `Unit: ${f.unit}.` : "",
    f.references ? `References ${f.references}.` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const desc = f.desc && !/[.!?]$/.test(f.desc) ? `${f.desc}.` : f.desc;
  return [desc, extra].filter(Boolean).join(" ");
}

function metaField(f: FieldLike): string {
  const parts = [`name: ${JSON.stringify(f.name)}`, `type: ${JSON.stringify(f.type)}`];
  if (f.desc) parts.push(`desc: ${JSON.stringify(f.desc)}`);
  if (f.unit) parts.push(`unit: ${JSON.stringify(f.unit)}`);
  if (f.access) parts.push(`access: ${JSON.stringify(f.access)}`);
  if (f.dir) parts.push(`dir: ${JSON.stringify(f.dir)}`);
  if (f.references) parts.push(`references: ${JSON.stringify(f.references)}`);
  if (f.index) parts.push("index: true");
  if (f.optional) parts.push("optional: true");
  return `{ ${parts.join(", ")} }`;
}

function checkName(where: string, name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`${where}: "${name}" is not usable as a TypeScript identifier`);
  }
  if (RESERVED.has(name)) {
    throw new Error(`${where}: "${name}" clashes with a member of ManagedObject`);
  }
}

/**
 * The SDK source for a schema (before formatting). Pure: same schema text, same output.
 * `sourceName` is the schema path shown in the header.
 */
export function generateSdkSource(schemaXml: string, sourceName: string): string {
  const schema = parseSchema(schemaXml, sourceName);
  const classNames = new Set(schema.classes.map((c) => c.name));
  const out: string[] = [];
  out.push(
    `// Generated by scripts/gen-sdk.ts from ${sourceName}: do not edit by hand.\n`,
    "// Regenerate with `npx tsx scripts/gen-sdk.ts`; test/console/generated.test.ts fails when\n",
    "// this file is stale.\n\n",
    // In the order the linter sorts imports, so that `biome check --write` leaves it as it is.
    'import type { ObjectRef } from "../field-values.js";\n',
    'import { ManagedObject } from "../managed-object.js";\n',
    'import type { ClassMeta, EventMeta, PackageMeta } from "../metadata.js";\n\n',
    `/** The schema package name the agents publish under. */\n`,
    `export const PACKAGE_NAME = ${JSON.stringify(schema.packageName)};\n\n`,
  );

  for (const cls of schema.classes) {
    checkName(`class ${cls.name}`, cls.name);
    const members = new Set<string>();
    const props = cls.properties as FieldLike[];
    for (const p of props) {
      checkName(`${cls.name}.${p.name}`, p.name);
      if (p.type === "objId" && p.references && !classNames.has(p.references)) {
        throw new Error(`${cls.name}.${p.name}: references unknown class ${p.references}`);
      }
      members.add(p.name);
    }
    for (const m of cls.methods) {
      checkName(`${cls.name}.${m.name}()`, m.name);
      if (members.has(m.name)) {
        throw new Error(`${cls.name}: method ${m.name} has the name of a property`);
      }
    }

    // The properties interface.
    out.push(doc("", `Properties of ${cls.name}: ${cls.desc ?? ""}`.trim()));
    out.push(`export interface ${cls.name}Properties {\n`);
    for (const p of props) {
      out.push(doc("  ", fieldDoc(p)));
      out.push(`  ${p.name}: ${tsType(p)};\n`);
    }
    out.push("}\n\n");

    // The class: getters, reference followers, method proxies.
    out.push(doc("", cls.desc));
    out.push(`export class ${cls.name} extends ManagedObject<${cls.name}Properties> {\n`);
    out.push(`  /** ${cls.name}'s schema, as data. */\n`);
    out.push(`  static readonly meta: ClassMeta = {\n`);
    out.push(`    name: ${JSON.stringify(cls.name)},\n`);
    if (cls.desc) out.push(`    desc: ${JSON.stringify(cls.desc)},\n`);
    out.push(`    properties: [\n${props.map((p) => `      ${metaField(p)},\n`).join("")}    ],\n`);
    out.push("    methods: [\n");
    for (const m of cls.methods) {
      const args = m.args as FieldLike[];
      out.push(`      {\n        name: ${JSON.stringify(m.name)},\n`);
      if (m.desc) out.push(`        desc: ${JSON.stringify(m.desc)},\n`);
      out.push(
        `        args: [${args.map((a) => `\n          ${metaField(a)},`).join("")}${args.length ? "\n        " : ""}],\n      },\n`,
      );
    }
    out.push("    ],\n  };\n");

    for (const p of props) {
      if (p.type === "objId" && p.references) {
        out.push(
          `\n${doc("  ", fieldDoc(p), `Resolves to the ${p.references} object (one query); the raw id is \`props.${p.name}\`.`)}`,
        );
        out.push(`  get ${p.name}(): Promise<${p.references}> {\n`);
        out.push(`    return this.follow(${JSON.stringify(p.name)}, ${p.references});\n  }\n`);
      } else {
        out.push(`\n${doc("  ", fieldDoc(p))}`);
        out.push(`  get ${p.name}(): ${tsType(p)} {\n    return this.props.${p.name};\n  }\n`);
      }
    }

    for (const m of cls.methods) {
      const args = m.args as FieldLike[];
      for (const a of args) checkName(`${cls.name}.${m.name}(${a.name})`, a.name);
      const ins = args.filter((a) => a.dir !== "O");
      const outs = args.filter((a) => a.dir === "O" || a.dir === "IO");
      let result: string;
      let body: string;
      const call = `this.invoke(${JSON.stringify(m.name)}, ${ins.length ? "{ ...args }" : "{}"})`;
      if (outs.length === 0) {
        result = "void";
        body = `    await ${call};\n`;
      } else if (outs.length === 1 && outs[0]!.type === "objId" && outs[0]!.references) {
        const o = outs[0]!;
        result = o.references!;
        body =
          `    const out = await ${call};\n` +
          `    return this.resolveRef(out.${o.name}, ${JSON.stringify(`${cls.name}.${m.name}`)}, ${o.references});\n`;
      } else if (outs.length === 1) {
        const o = outs[0]!;
        result = tsType(o);
        body = `    const out = await ${call};\n    return out.${o.name} as ${result};\n`;
      } else {
        result = `{ ${outs.map((o) => `${o.name}: ${tsType(o)}`).join("; ")} }`;
        body = `    return (await ${call}) as ${result};\n`;
      }
      const argDocs = ins.map((a) => `@param args.${a.name} ${fieldDoc(a)}`);
      const outDoc = outs.length === 1 ? `@returns ${fieldDoc(outs[0]!)}` : undefined;
      out.push(`\n${doc("  ", m.desc, ...argDocs, outDoc)}`);
      // Optional inputs (schema `optional="y"`) may be left out of `args`.
      const fields = ins.map((a) => `${a.name}${a.optional ? "?" : ""}: ${tsType(a, true)}`);
      const param = ins.length ? `args: { ${fields.join("; ")} }` : "";
      out.push(`  async ${m.name}(${param}): Promise<${result}> {\n${body}  }\n`);
    }
    out.push("}\n\n");
  }

  // Events.
  for (const ev of schema.events) {
    checkName(`event ${ev.name}`, ev.name);
    out.push(doc("", `Arguments of the ${ev.name} event: ${ev.desc ?? ""}`.trim()));
    out.push(`export interface ${ev.name}Event {\n`);
    for (const a of ev.args as FieldLike[]) {
      out.push(doc("  ", fieldDoc(a)));
      out.push(`  ${a.name}: ${tsType(a)};\n`);
    }
    out.push("}\n\n");
  }
  out.push("/** Every event by name, with its argument type. */\n");
  out.push("export interface EventArgsByName {\n");
  for (const ev of schema.events) out.push(`  ${ev.name}: ${ev.name}Event;\n`);
  out.push("}\n\n");
  out.push("/** The events' schemas, as data. */\n");
  out.push("export const EVENTS: readonly EventMeta[] = [\n");
  for (const ev of schema.events) {
    const args = ev.args as FieldLike[];
    out.push(`  {\n    name: ${JSON.stringify(ev.name)},\n`);
    if (ev.desc) out.push(`    desc: ${JSON.stringify(ev.desc)},\n`);
    if (ev.severity !== undefined) out.push(`    severity: ${ev.severity},\n`);
    out.push(`    args: [${args.map((a) => `\n      ${metaField(a)},`).join("")}\n    ],\n  },\n`);
  }
  out.push("];\n\n");

  out.push("/** Every generated class by its schema name. */\n");
  out.push(
    `export const CLASSES = {\n${schema.classes.map((c) => `  ${c.name},\n`).join("")}} as const;\n\n`,
  );
  out.push("/** A schema class name. */\nexport type ClassName = keyof typeof CLASSES;\n\n");
  out.push("/** The whole schema as data (classes, methods, events). */\n");
  out.push("export const SCHEMA: PackageMeta = {\n  packageName: PACKAGE_NAME,\n");
  out.push(`  classes: [${schema.classes.map((c) => `${c.name}.meta`).join(", ")}],\n`);
  out.push("  events: EVENTS,\n};\n");
  return out.join("");
}

/** The type an agent handler sees for an argument (`input`) or returns for one. */
function handlerType(f: FieldLike, input: boolean): string {
  switch (f.type) {
    case "objId":
      return input ? "ObjectId" : "ObjectIdLike";
    case "uuid":
      return input ? "Uuid" : "Uuid | string";
    case "absTime":
      return input ? "bigint" : "bigint | Date";
    default:
      return tsType(f);
  }
}

/** `lookup_volume_by_name` → `LookupVolumeByName`. */
const pascal = (name: string): string =>
  name.replace(/(^|_)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());

/** An interface of the given fields, or `None` (declared once) when there are none. */
function fieldsType(
  out: string[],
  name: string,
  what: string,
  fields: FieldLike[],
  input: boolean,
) {
  if (fields.length === 0) return "None";
  const body = fields
    .map(
      (f) =>
        `${doc("  ", fieldDoc(f))}  ${f.name}${input && f.optional ? "?" : ""}: ${handlerType(f, input)};\n`,
    )
    .join("");
  out.push(`/** ${what}. */\nexport interface ${name} {\n${body}}\n\n`);
  return name;
}

/**
 * The types of the agent's method handlers for a schema (before formatting): per method, its
 * inputs as the agent session hands them over (already checked and converted) and the output
 * it must return; and one map of every class's methods. Pure: same schema text, same output.
 */
export function generateAgentMethodsSource(schemaXml: string, sourceName: string): string {
  const schema = parseSchema(schemaXml, sourceName);
  const used = new Set<string>();
  const out: string[] = [];
  const map: string[] = [];
  for (const cls of schema.classes) {
    if (cls.methods.length === 0) continue;
    map.push(`  ${cls.name}: {\n`);
    for (const m of cls.methods) {
      const args = m.args as FieldLike[];
      const ins = args.filter((a) => a.dir !== "O");
      const outs = args.filter((a) => a.dir === "O" || a.dir === "IO");
      for (const a of ins) used.add(handlerType(a, true));
      for (const a of outs) used.add(handlerType(a, false));
      const base = `${cls.name}${pascal(m.name)}`;
      const a = fieldsType(out, `${base}Args`, `Inputs of ${cls.name}.${m.name}`, ins, true);
      const r = fieldsType(out, `${base}Result`, `Output of ${cls.name}.${m.name}`, outs, false);
      map.push(`${doc("    ", m.desc)}    ${m.name}: { args: ${a}; result: ${r} };\n`);
    }
    map.push("  };\n");
  }
  const imports = ["ObjectId", "ObjectIdLike", "Uuid"].filter((t) =>
    [...used].some((u) => u.split(" | ").includes(t)),
  );
  return [
    `// Generated by scripts/gen-sdk.ts from ${sourceName}: do not edit by hand.\n`,
    "// Regenerate with `npx tsx scripts/gen-sdk.ts`; test/agent/generated.test.ts fails when\n",
    "// this file is stale.\n",
    imports.length ? `import type { ${imports.join(", ")} } from "../../qmf/index.js";\n\n` : "\n",
    "/** What a method without inputs receives, or one without output returns. */\n",
    "export type None = Record<string, never>;\n\n",
    ...out,
    "/** Every method of the schema, by class: what its handler receives and returns. */\n",
    `export interface SchemaMethods {\n${map.join("")}}\n`,
  ].join("");
}

/** Formats TypeScript source with the project's biome settings, as the committed file is. */
export function formatWithBiome(source: string, filePath: string): string {
  const biome = join(ROOT, "node_modules", ".bin", "biome");
  return execFileSync(biome, ["format", `--stdin-file-path=${relative(ROOT, filePath)}`], {
    cwd: ROOT,
    input: source,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The exact text the committed generated file must have. */
export async function generateSdk(): Promise<string> {
  const xml = await readFile(SCHEMA_PATH, "utf8");
  return formatWithBiome(generateSdkSource(xml, relative(ROOT, SCHEMA_PATH)), OUTPUT_PATH);
}

/** The exact text the committed agent handler types must have. */
export async function generateAgentMethods(): Promise<string> {
  const xml = await readFile(SCHEMA_PATH, "utf8");
  return formatWithBiome(
    generateAgentMethodsSource(xml, relative(ROOT, SCHEMA_PATH)),
    AGENT_OUTPUT_PATH,
  );
}

/** The exact text the committed JSON form of the schema must have. */
export async function generateSchemaJson(): Promise<string> {
  const xml = await readFile(SCHEMA_PATH, "utf8");
  return `${JSON.stringify(schemaToJson(parseSchema(xml, relative(ROOT, SCHEMA_PATH))), null, 1)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, text] of [
    [OUTPUT_PATH, await generateSdk()],
    [AGENT_OUTPUT_PATH, await generateAgentMethods()],
    [SCHEMA_JSON_PATH, await generateSchemaJson()],
  ] as const) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    console.log(`wrote ${relative(ROOT, path)} (${text.length} characters)`);
  }
}

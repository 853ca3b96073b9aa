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
/** The name of the schema-as-data file the generated SDK reads, beside it. */
const SCHEMA_JSON_NAME = "libvirt.schema.json";
/** Where the schema as data goes. */
export const SCHEMA_JSON_PATH = join(dirname(OUTPUT_PATH), SCHEMA_JSON_NAME);
/** Where the generated types of the agent's method handlers go. */
export const AGENT_OUTPUT_PATH = join(ROOT, "src", "agent", "generated", "methods.ts");
/** Where the schema's JSON form goes (the agent publishes it). */
export const AGENT_SCHEMA_JSON_PATH = join(ROOT, "schema", "libvirt.json");

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

/**
 * A property, method or class name must be an identifier that no member of ManagedObject
 * takes. A method argument only needs to be an identifier: it is a key of the method's
 * `args` object, never a member of the class (`interface_addresses({ source })`).
 */
function checkName(where: string, name: string, member = true): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`${where}: "${name}" is not usable as a TypeScript identifier`);
  }
  if (member && RESERVED.has(name)) {
    throw new Error(`${where}: "${name}" clashes with a member of ManagedObject`);
  }
}

/** A class's schema as data, the entry of the schema file (`SCHEMA_JSON_PATH`) for it. */
function fieldMeta(f: FieldLike): Record<string, unknown> {
  const { name, type, desc, unit, access, dir, references, index, optional } = f;
  const meta: Record<string, unknown> = { name, type, desc, unit, access, dir, references };
  if (index) meta.index = true;
  if (optional) meta.optional = true;
  return meta;
}

/**
 * The schema as data (the console's PackageMeta), as JSON: the generated SDK reads it at load
 * time for the classes' `meta`, `EVENTS` and `SCHEMA`, and installs the getters and method
 * proxies from it. Pure: same schema text, same output.
 */
export function generateSchemaJsonSource(schemaXml: string, sourceName: string): string {
  const schema = parseSchema(schemaXml, sourceName);
  const args = (fields: unknown[]) => (fields as FieldLike[]).map(fieldMeta);
  return `${JSON.stringify({
    packageName: schema.packageName,
    classes: schema.classes.map((c) => ({
      name: c.name,
      desc: c.desc,
      properties: args(c.properties),
      methods: c.methods.map((m) => ({ name: m.name, desc: m.desc, args: args(m.args) })),
    })),
    events: schema.events.map((e) => ({
      name: e.name,
      desc: e.desc,
      severity: e.severity,
      args: args(e.args),
    })),
  })}\n`;
}

/**
 * The SDK source for a schema (before formatting): the types of the classes, their properties
 * and events; their members are installed at load time from the schema data. Pure: same
 * schema text, same output. `sourceName` is the schema path shown in the header.
 */
export function generateSdkSource(schemaXml: string, sourceName: string): string {
  const schema = parseSchema(schemaXml, sourceName);
  const classNames = new Set(schema.classes.map((c) => c.name));
  const out: string[] = [];
  out.push(
    `// Generated by scripts/gen-sdk.ts from ${sourceName}: do not edit by hand.\n`,
    "// Regenerate with `npx tsx scripts/gen-sdk.ts`; test/console/generated.test.ts fails when\n",
    "// this file is stale. The schema as data is in libvirt.schema.json, beside this file.\n\n",
    // In the order the linter sorts imports, so that `biome check --write` leaves it as it is.
    'import { createRequire } from "node:module";\n',
    'import type { ObjectRef } from "../field-values.js";\n',
    'import { ManagedObject } from "../managed-object.js";\n',
    'import type { ClassMeta, EventMeta, PackageMeta } from "../metadata.js";\n\n',
    `/** The schema package name the agents publish under. */\n`,
    `export const PACKAGE_NAME = ${JSON.stringify(schema.packageName)};\n\n`,
    "/** The whole schema as data (classes, methods, events). */\n",
    `export const SCHEMA: PackageMeta = createRequire(import.meta.url)(${JSON.stringify(`./${SCHEMA_JSON_NAME}`)});\n\n`,
    "/** The events' schemas, as data. */\n",
    "export const EVENTS: readonly EventMeta[] = SCHEMA.events;\n\n",
    "const classMeta = (name: string): ClassMeta => SCHEMA.classes.find((c) => c.name === name)!;\n\n",
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

    // The class's members, typed here and installed from its schema at the end of the file:
    // a getter per property (the properties as they are, references resolving), a method
    // proxy per schema method.
    const refs = props.filter((p) => p.type === "objId" && p.references);
    const body: string[] = [];
    for (const p of refs) {
      const follows = `Resolves to the ${p.references} object (one query); the raw id is \`props.${p.name}\`.`;
      body.push(
        `${doc("  ", fieldDoc(p), follows)}  readonly ${p.name}: Promise<${p.references}>;\n`,
      );
    }
    for (const m of cls.methods) {
      const args = m.args as FieldLike[];
      for (const a of args) {
        checkName(`${cls.name}.${m.name}(${a.name})`, a.name, false);
        if (a.type === "objId" && a.references && !classNames.has(a.references)) {
          throw new Error(
            `${cls.name}.${m.name}(${a.name}): references unknown class ${a.references}`,
          );
        }
      }
      const ins = args.filter((a) => a.dir !== "O");
      const outs = args.filter((a) => a.dir === "O" || a.dir === "IO");
      let result: string;
      if (outs.length === 0) result = "void";
      else if (outs.length === 1 && outs[0]!.type === "objId" && outs[0]!.references) {
        result = outs[0]!.references!;
      } else if (outs.length === 1) result = tsType(outs[0]!);
      else result = `{ ${outs.map((o) => `${o.name}: ${tsType(o)}`).join("; ")} }`;
      const argDocs = ins.map((a) => `@param args.${a.name} ${fieldDoc(a)}`);
      const outDoc = outs.length === 1 ? `@returns ${fieldDoc(outs[0]!)}` : undefined;
      // Optional inputs (schema `optional="y"`) may be left out of `args`.
      const fields = ins.map((a) => `${a.name}${a.optional ? "?" : ""}: ${tsType(a, true)}`);
      const param = ins.length ? `args: { ${fields.join("; ")} }` : "";
      body.push(
        `${doc("  ", m.desc, ...argDocs, outDoc)}  ${m.name}(${param}): Promise<${result}>;\n`,
      );
    }
    const plain = refs.length
      ? `Omit<${cls.name}Properties, ${refs.map((p) => JSON.stringify(p.name)).join(" | ")}>`
      : `${cls.name}Properties`;
    out.push(
      doc("", `The members of ${cls.name}: its properties (references resolving) and its methods.`),
      `export interface ${cls.name} extends Readonly<${plain}> {\n${body.join("\n")}}\n\n`,
    );
    out.push(doc("", cls.desc));
    out.push(
      "// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: installSchemaMembers (end of file) defines the interface's members\n",
      `export class ${cls.name} extends ManagedObject<${cls.name}Properties> {\n`,
    );
    out.push(`  /** ${cls.name}'s schema, as data. */\n`);
    out.push(`  static readonly meta: ClassMeta = classMeta(${JSON.stringify(cls.name)});\n}\n\n`);
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

  out.push("/** Every generated class by its schema name. */\n");
  out.push(
    `export const CLASSES = {\n${schema.classes.map((c) => `  ${c.name},\n`).join("")}} as const;\n\n`,
  );
  out.push("/** A schema class name. */\nexport type ClassName = keyof typeof CLASSES;\n\n");
  out.push("ManagedObject.installSchemaMembers(CLASSES);\n");
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

/**
 * Formats TypeScript source with the project's biome settings, imports organised, as the
 * committed file is (so that `biome check` passes on it too).
 */
export function formatWithBiome(source: string, filePath: string): string {
  const biome = join(ROOT, "node_modules", ".bin", "biome");
  return execFileSync(
    biome,
    ["check", "--write", `--stdin-file-path=${relative(ROOT, filePath)}`],
    {
      cwd: ROOT,
      input: source,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

/** The exact text the committed generated file must have. */
export async function generateSdk(): Promise<string> {
  const xml = await readFile(SCHEMA_PATH, "utf8");
  return formatWithBiome(generateSdkSource(xml, relative(ROOT, SCHEMA_PATH)), OUTPUT_PATH);
}

/** The exact text the committed schema data must have. */
export async function generateSchemaJson(): Promise<string> {
  const xml = await readFile(SCHEMA_PATH, "utf8");
  return formatWithBiome(
    generateSchemaJsonSource(xml, relative(ROOT, SCHEMA_PATH)),
    SCHEMA_JSON_PATH,
  );
}

/** The exact text the committed agent handler types must have. */
export async function generateAgentMethods(): Promise<string> {
  const xml = await readFile(SCHEMA_PATH, "utf8");
  return formatWithBiome(
    generateAgentMethodsSource(xml, relative(ROOT, SCHEMA_PATH)),
    AGENT_OUTPUT_PATH,
  );
}

/** The exact text the committed JSON form of the schema (the agent's) must have. */
export async function generateAgentSchemaJson(): Promise<string> {
  const xml = await readFile(SCHEMA_PATH, "utf8");
  return `${JSON.stringify(schemaToJson(parseSchema(xml, relative(ROOT, SCHEMA_PATH))), null, 1)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, text] of [
    [OUTPUT_PATH, await generateSdk()],
    [SCHEMA_JSON_PATH, await generateSchemaJson()],
    [AGENT_OUTPUT_PATH, await generateAgentMethods()],
    [AGENT_SCHEMA_JSON_PATH, await generateAgentSchemaJson()],
  ] as const) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    console.log(`wrote ${relative(ROOT, path)} (${text.length} characters)`);
  }
}

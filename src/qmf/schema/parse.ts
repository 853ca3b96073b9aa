import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { SchemaError, type SchemaErrorCode } from "./errors.js";
import { schemaFromJson } from "./json.js";
import {
  type Access,
  type Direction,
  QMF_TYPES,
  type QmfType,
  type Schema,
  type SchemaArg,
  type SchemaMethod,
  type SchemaProperty,
  SEVERITIES,
  withOptional,
} from "./model.js";

// saxes and its character tables cost several megabytes in every process that loads them; the
// agent publishes its built-in schema from the JSON form (json.ts) and needs the XML parser
// only for a schema file it is given, so saxes is loaded when a schema is parsed.
const require = createRequire(import.meta.url);

/** Which attributes each element takes; `true` = required. */
const ATTRIBUTES: Record<string, Record<string, boolean>> = {
  schema: { package: true },
  class: { name: true, desc: false },
  property: {
    name: true,
    type: true,
    access: false,
    desc: false,
    index: false,
    unit: false,
    references: false,
    reference: false,
  },
  statistic: { name: true, type: true, desc: false, unit: false },
  method: { name: true, desc: false },
  arg: {
    name: true,
    type: true,
    dir: false,
    optional: false,
    desc: false,
    unit: false,
    references: false,
    reference: false,
  },
  event: { name: true, desc: false, severity: false },
};

/** Which elements may appear inside which (the root is `<schema>`). */
const CHILDREN: Record<string, readonly string[]> = {
  schema: ["class", "event"],
  class: ["property", "statistic", "method"],
  method: ["arg"],
  event: ["arg"],
  property: [],
  statistic: [],
  arg: [],
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PACKAGE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const TYPE_ALIASES: Record<string, QmfType> = {
  // Older schema files spell the reference type both ways.
  ObjID: "objId",
};
const SEVERITY_ALIASES: Record<string, number> = {
  emerg: 0,
  crit: 2,
  err: 3,
  warn: 4,
  inform: 6,
};
const BOOLEAN_TEXT: Record<string, boolean> = {
  y: true,
  yes: true,
  true: true,
  "1": true,
  n: false,
  no: false,
  false: false,
  "0": false,
};

interface Where {
  fileName: string;
  line: number;
  column: number;
}

/** An element being read, with where it and its attributes are in the file. */
interface Element {
  name: string;
  attributes: Record<string, string>;
  where: Where;
  attributeWhere(name: string): Where;
}

/** A reference to check once every class is known. */
interface PendingReference {
  target: string;
  where: Where;
}

/** Finds line and column (both 1-based) of a string index. */
class LineTable {
  private readonly starts: number[] = [0];
  constructor(
    private readonly text: string,
    readonly fileName: string,
  ) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  at(index: number): Where {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return { fileName: this.fileName, line: lo + 1, column: index - this.starts[lo]! + 1 };
  }

  /** Where the start tag that ends just before `end` begins, and where its attributes are. */
  element(name: string, attributes: Record<string, string>, end: number): Element {
    const start = this.text.lastIndexOf("<", end - 1);
    const tag = this.text.slice(start, end);
    return {
      name,
      attributes,
      where: this.at(start),
      attributeWhere: (attr) => {
        const escaped = attr.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        const m = new RegExp(`\\s${escaped}\\s*=`).exec(tag);
        return m ? this.at(start + m.index + 1) : this.at(start);
      },
    };
  }
}

function fail(code: SchemaErrorCode, detail: string, where: Where): never {
  throw new SchemaError(code, detail, where);
}

/** The element's attribute, checked against the element's list; undefined when absent. */
function attr(el: Element, name: string): string | undefined {
  return Object.hasOwn(el.attributes, name) ? el.attributes[name] : undefined;
}

function checkAttributes(el: Element, context: string): void {
  const allowed = ATTRIBUTES[el.name]!;
  for (const name of Object.keys(el.attributes)) {
    if (!Object.hasOwn(allowed, name)) {
      fail(
        "UNKNOWN_ATTRIBUTE",
        `unknown attribute ${name} on <${el.name}>${context} (allowed: ${Object.keys(allowed).join(", ")})`,
        el.attributeWhere(name),
      );
    }
  }
  for (const [name, required] of Object.entries(allowed)) {
    if (required && attr(el, name) === undefined) {
      fail("MISSING_ATTRIBUTE", `<${el.name}> needs a ${name} attribute`, el.where);
    }
  }
}

function nameOf(el: Element): string {
  const name = attr(el, "name")!;
  if (!NAME.test(name)) {
    fail(
      "BAD_NAME",
      `invalid ${el.name} name ${JSON.stringify(name)} (letters, digits and _, not starting with a digit)`,
      el.attributeWhere("name"),
    );
  }
  return name;
}

function typeOf(el: Element): QmfType {
  const text = attr(el, "type")!;
  const type = (QMF_TYPES as readonly string[]).includes(text)
    ? (text as QmfType)
    : TYPE_ALIASES[text];
  if (type === undefined) {
    fail(
      "UNKNOWN_TYPE",
      `unknown type ${JSON.stringify(text)} (known: ${QMF_TYPES.join(", ")})`,
      el.attributeWhere("type"),
    );
  }
  return type;
}

function optionalText(el: Element, name: string): string | undefined {
  const v = attr(el, name);
  return v === undefined || v === "" ? undefined : v;
}

/** `references` (or the older spelling `reference`), only on objId. */
function referenceOf(el: Element, type: QmfType, pending: PendingReference[]): string | undefined {
  const plural = attr(el, "references");
  const singular = attr(el, "reference");
  if (plural !== undefined && singular !== undefined) {
    fail(
      "BAD_VALUE",
      "give either references or reference, not both",
      el.attributeWhere("reference"),
    );
  }
  const spelled = plural !== undefined ? "references" : "reference";
  const target = plural ?? singular;
  if (target === undefined) return undefined;
  const where = el.attributeWhere(spelled);
  if (type !== "objId")
    fail("BAD_VALUE", `${spelled} is only allowed on type objId, not ${type}`, where);
  if (!NAME.test(target))
    fail("BAD_NAME", `invalid class name ${JSON.stringify(target)} in ${spelled}`, where);
  pending.push({ target, where });
  return target;
}

function accessOf(el: Element): Access {
  const v = attr(el, "access");
  if (v === undefined) return "RO";
  if (v === "RO" || v === "RC" || v === "RW") return v;
  return fail(
    "BAD_ACCESS",
    `bad access ${JSON.stringify(v)} (RO, RC or RW)`,
    el.attributeWhere("access"),
  );
}

function dirOf(el: Element): Direction {
  const v = attr(el, "dir");
  if (v === undefined) return "I";
  if (v === "I" || v === "O" || v === "IO") return v;
  return fail("BAD_DIR", `bad dir ${JSON.stringify(v)} (I, O or IO)`, el.attributeWhere("dir"));
}

/** A y/n attribute (`index`, `optional`); absent = false. */
function flagOf(el: Element, name: "index" | "optional"): boolean {
  const v = attr(el, name);
  if (v === undefined) return false;
  const b = BOOLEAN_TEXT[v.toLowerCase()];
  if (b === undefined) {
    fail("BAD_VALUE", `bad ${name} ${JSON.stringify(v)} (y or n)`, el.attributeWhere(name));
  }
  return b;
}

function severityOf(el: Element): number | undefined {
  const v = attr(el, "severity");
  if (v === undefined) return undefined;
  const lower = v.toLowerCase();
  const byName = (SEVERITIES as readonly string[]).indexOf(lower);
  if (byName >= 0) return byName;
  if (Object.hasOwn(SEVERITY_ALIASES, lower)) return SEVERITY_ALIASES[lower];
  if (/^[0-7]$/.test(v)) return Number(v);
  return fail(
    "BAD_VALUE",
    `bad severity ${JSON.stringify(v)} (0-7 or ${SEVERITIES.join(", ")})`,
    el.attributeWhere("severity"),
  );
}

/** Remembers names in one scope and reports the second use of one. */
class NameScope {
  private readonly seen = new Map<string, Where>();
  constructor(private readonly what: string) {}
  add(name: string, el: Element): void {
    const first = this.seen.get(name);
    if (first) {
      fail(
        "DUPLICATE_NAME",
        `duplicate ${this.what} ${name} (first defined at line ${first.line})`,
        el.attributeWhere("name"),
      );
    }
    this.seen.set(name, el.where);
  }
}

interface ClassDraft {
  name: string;
  desc?: string;
  properties: SchemaProperty[];
  methods: SchemaMethod[];
  memberNames: NameScope;
  methodNames: NameScope;
}

interface EventDraft {
  name: string;
  desc?: string;
  severity?: number;
  args: SchemaArg[];
  argNames: NameScope;
}

interface MethodDraft {
  method: SchemaMethod;
  argNames: NameScope;
}

type Frame =
  | { kind: "schema" }
  | { kind: "class"; draft: ClassDraft }
  | { kind: "method"; draft: MethodDraft }
  | { kind: "event"; draft: EventDraft }
  | { kind: "leaf" };

/**
 * Parses a schema file's text. Throws {@link SchemaError} (file, line, column) for anything
 * invalid; see `index.ts` for the language.
 */
export function parseSchema(xml: string, fileName = "<schema>"): Schema {
  const lines = new LineTable(xml, fileName);
  const { SaxesParser } = require("saxes") as typeof import("saxes");
  const parser = new SaxesParser({ position: true });
  const stack: { name: string; frame: Frame }[] = [];
  const pending: PendingReference[] = [];
  const classes: ClassDraft[] = [];
  const events: EventDraft[] = [];
  const topNames = new NameScope("class or event");
  let packageName: string | undefined;

  parser.on("error", (err) => {
    const detail = err.message.replace(/^\d+:\d+: /, "");
    fail("MALFORMED_XML", `malformed XML: ${detail}`, {
      fileName,
      line: parser.line,
      column: Math.max(1, parser.column),
    });
  });

  const checkText = (text: string) => {
    if (text.trim() !== "") {
      // The event comes when the next markup starts; the text began after the previous markup.
      const markup = xml.lastIndexOf("<", parser.position - 1);
      let start = xml.lastIndexOf(">", markup - 1) + 1;
      while (start < markup && /\s/.test(xml[start]!)) start++;
      fail(
        "UNEXPECTED_TEXT",
        `unexpected text ${JSON.stringify(text.trim().slice(0, 30))} (only elements and comments belong here)`,
        lines.at(start),
      );
    }
  };
  parser.on("text", checkText);
  parser.on("cdata", checkText);

  parser.on("opentag", (tag) => {
    const el = lines.element(tag.name, tag.attributes as Record<string, string>, parser.position);
    const parent = stack.at(-1);
    if (!Object.hasOwn(ATTRIBUTES, el.name)) {
      fail("UNKNOWN_ELEMENT", `unknown element <${el.name}>`, el.where);
    }
    if (parent === undefined) {
      if (el.name !== "schema")
        fail("MISPLACED_ELEMENT", `the root element must be <schema>, not <${el.name}>`, el.where);
    } else if (!CHILDREN[parent.name]!.includes(el.name)) {
      fail("MISPLACED_ELEMENT", `<${el.name}> is not allowed inside <${parent.name}>`, el.where);
    }
    const inEvent = parent?.frame.kind === "event";
    if (inEvent && el.name === "arg") {
      // Event arguments have no direction, and every one may be left out of an event.
      for (const name of ["dir", "optional"]) {
        if (attr(el, name) !== undefined) {
          fail(
            "UNKNOWN_ATTRIBUTE",
            `attribute ${name} is not allowed on an event's <arg>`,
            el.attributeWhere(name),
          );
        }
      }
    }
    checkAttributes(el, "");

    let frame: Frame = { kind: "leaf" };
    switch (el.name) {
      case "schema": {
        const pkg = attr(el, "package")!;
        if (!PACKAGE.test(pkg)) {
          fail(
            "BAD_NAME",
            `invalid package name ${JSON.stringify(pkg)}`,
            el.attributeWhere("package"),
          );
        }
        packageName = pkg;
        frame = { kind: "schema" };
        break;
      }
      case "class": {
        const name = nameOf(el);
        topNames.add(name, el);
        const draft: ClassDraft = withOptional(
          {
            name,
            properties: [],
            methods: [],
            memberNames: new NameScope("property"),
            methodNames: new NameScope("method"),
          },
          { desc: optionalText(el, "desc") },
        );
        classes.push(draft);
        frame = { kind: "class", draft };
        break;
      }
      case "property":
      case "statistic": {
        const cls = (parent!.frame as { draft: ClassDraft }).draft;
        const name = nameOf(el);
        cls.memberNames.add(name, el);
        const type = typeOf(el);
        const statistic = el.name === "statistic";
        cls.properties.push(
          withOptional(
            {
              name,
              type,
              access: statistic ? "RO" : accessOf(el),
              index: statistic ? false : flagOf(el, "index"),
              statistic,
            } as SchemaProperty,
            {
              desc: optionalText(el, "desc"),
              unit: optionalText(el, "unit"),
              references: statistic ? undefined : referenceOf(el, type, pending),
            },
          ),
        );
        break;
      }
      case "method": {
        const cls = (parent!.frame as { draft: ClassDraft }).draft;
        const name = nameOf(el);
        cls.methodNames.add(name, el);
        const method: SchemaMethod = withOptional({ name, args: [] } as SchemaMethod, {
          desc: optionalText(el, "desc"),
        });
        cls.methods.push(method);
        frame = { kind: "method", draft: { method, argNames: new NameScope("argument") } };
        break;
      }
      case "event": {
        const name = nameOf(el);
        topNames.add(name, el);
        const draft: EventDraft = withOptional(
          { name, args: [], argNames: new NameScope("argument") } as EventDraft,
          { desc: optionalText(el, "desc"), severity: severityOf(el) },
        );
        events.push(draft);
        frame = { kind: "event", draft };
        break;
      }
      case "arg": {
        const owner = parent!.frame as Extract<Frame, { kind: "method" | "event" }>;
        const scope = owner.kind === "method" ? owner.draft.argNames : owner.draft.argNames;
        const name = nameOf(el);
        scope.add(name, el);
        const type = typeOf(el);
        const dir = dirOf(el);
        const optional = flagOf(el, "optional");
        if (optional && dir === "O") {
          // Output arguments are always the handler's to leave out; "optional" would say nothing.
          fail(
            "BAD_VALUE",
            `optional is only meaningful on an input argument (dir I or IO), not on output argument ${name}`,
            el.attributeWhere("optional"),
          );
        }
        const arg = withOptional({ name, type, dir } as SchemaArg, {
          optional: optional ? true : undefined,
          desc: optionalText(el, "desc"),
          unit: optionalText(el, "unit"),
          references: referenceOf(el, type, pending),
        });
        if (owner.kind === "method") owner.draft.method.args.push(arg);
        else owner.draft.args.push(arg);
        break;
      }
    }
    stack.push({ name: el.name, frame });
  });

  parser.on("closetag", () => {
    stack.pop();
  });

  parser.write(xml).close();
  if (packageName === undefined) {
    fail("MALFORMED_XML", "no <schema> element", lines.at(xml.length));
  }

  const classNames = new Set(classes.map((c) => c.name));
  for (const ref of pending) {
    if (!classNames.has(ref.target)) {
      fail(
        "UNKNOWN_REFERENCE",
        `reference to unknown class ${ref.target} (classes: ${[...classNames].join(", ") || "none"})`,
        ref.where,
      );
    }
  }
  return schemaFromJson({ packageName, classes, events });
}

/** Reads and parses a schema file; errors carry the path as their file name. */
export async function loadSchemaFile(path: string): Promise<Schema> {
  const xml = await readFile(path, "utf8");
  return parseSchema(xml, path);
}

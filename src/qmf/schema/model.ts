import type { Uuid } from "../codec/index.js";

/** The value types of the schema language (QMF.md), as written in `type="…"`. */
export const QMF_TYPES = [
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "int8",
  "int16",
  "int32",
  "int64",
  "bool",
  "float",
  "double",
  "sstr",
  "lstr",
  "absTime",
  "deltaTime",
  "objId",
  "uuid",
  "map",
  "list",
] as const;

/** A value type of the schema language. */
export type QmfType = (typeof QMF_TYPES)[number];

/** Property access: RC read/create (set once by the agent), RW read/write, RO read only. */
export type Access = "RO" | "RC" | "RW";

/** Method argument direction: in, out, or both. */
export type Direction = "I" | "O" | "IO";

/** A property (or a `<statistic>`, which QMFv2 treats as an ordinary read-only property). */
export interface SchemaProperty {
  name: string;
  type: QmfType;
  access: Access;
  desc?: string;
  unit?: string;
  /** Part of the object's identity (`index="y"`). */
  index: boolean;
  /** For `objId`: the class the reference points at (same package). */
  references?: string;
  /** Declared with `<statistic>`. */
  statistic: boolean;
}

/** A method or event argument. */
export interface SchemaArg {
  name: string;
  type: QmfType;
  /** Always `I` for event arguments. */
  dir: Direction;
  /**
   * `optional="y"` on a method's input (I or IO) argument: a request may leave it out (or
   * send it as void), and the handler then sees it absent. Only present when true; input
   * arguments without it are required.
   */
  optional?: true;
  desc?: string;
  unit?: string;
  /** For `objId`: the class the reference points at (same package). */
  references?: string;
}

/** A method of a class. */
export interface SchemaMethod {
  name: string;
  desc?: string;
  /** In declaration order. */
  args: SchemaArg[];
}

/** A `<class>`: what QMFv2 calls a `_data` schema. */
export interface SchemaClass {
  kind: "class";
  packageName: string;
  name: string;
  desc?: string;
  /** Properties and statistics, in declaration order. */
  properties: SchemaProperty[];
  methods: SchemaMethod[];
  /** MD5 of the canonical definition (see `schemaHash`), as a Uuid: `_hash` of the SchemaId. */
  hash: Uuid;
  getProperty(name: string): SchemaProperty | undefined;
  getMethod(name: string): SchemaMethod | undefined;
}

/** Syslog severities, the numbers QMFv2 events carry in `_severity`. */
export const SEVERITIES = [
  "emergency",
  "alert",
  "critical",
  "error",
  "warning",
  "notice",
  "info",
  "debug",
] as const;

/** An `<event>`: what QMFv2 calls an `_event` schema. */
export interface SchemaEvent {
  kind: "event";
  packageName: string;
  name: string;
  desc?: string;
  args: SchemaArg[];
  /** Default severity, 0 (emergency) … 7 (debug); `severity="notice"` → 5. */
  severity?: number;
  hash: Uuid;
  getArg(name: string): SchemaArg | undefined;
}

/** A parsed schema file: one package. */
export interface Schema {
  packageName: string;
  classes: SchemaClass[];
  events: SchemaEvent[];
  getClass(name: string): SchemaClass | undefined;
  getEvent(name: string): SchemaEvent | undefined;
}

/** Copies the defined values of `extra` onto `base`: an optional field is absent, never `undefined`. */
export function withOptional<T extends object>(base: T, extra: Record<string, unknown>): T {
  for (const [k, v] of Object.entries(extra))
    if (v !== undefined) (base as Record<string, unknown>)[k] = v;
  return base;
}

/** A lookup by name in a list of named definitions. */
function byName<T extends { name: string }>(items: readonly T[]): (name: string) => T | undefined {
  const map = new Map(items.map((i) => [i.name, i]));
  return (name) => map.get(name);
}

/** What a class and an event definition both begin with: their kind and their names. */
function definitionHead<K extends "class" | "event">(
  kind: K,
  fields: { packageName: string; name: string },
): { kind: K; packageName: string; name: string } {
  return { kind, packageName: fields.packageName, name: fields.name };
}

/** A definition with its `hash`: the one given, or the one `hash` computes from the rest. */
function withHash<T extends { hash: Uuid }>(def: T, hash: Uuid | ((def: T) => Uuid)): T {
  def.hash = typeof hash === "function" ? hash(def) : hash;
  return def;
}

/**
 * A class definition with its lookups. `hash` is the one given, or (the loader's case) the
 * one `hash` computes from the finished definition.
 */
export function makeClass(
  fields: {
    packageName: string;
    name: string;
    desc?: string;
    properties: SchemaProperty[];
    methods: SchemaMethod[];
  },
  hash: Uuid | ((def: SchemaClass) => Uuid),
): SchemaClass {
  const cls = {
    ...definitionHead("class", fields),
    properties: fields.properties,
    methods: fields.methods,
    getProperty: byName(fields.properties),
    getMethod: byName(fields.methods),
  } as Omit<SchemaClass, "hash"> as SchemaClass;
  return withHash(withOptional(cls, { desc: fields.desc }), hash);
}

/** An event definition with its lookup; `hash` as for {@link makeClass}. */
export function makeEvent(
  fields: {
    packageName: string;
    name: string;
    desc?: string;
    args: SchemaArg[];
    severity?: number;
  },
  hash: Uuid | ((def: SchemaEvent) => Uuid),
): SchemaEvent {
  const ev = {
    ...definitionHead("event", fields),
    args: fields.args,
    getArg: byName(fields.args),
  } as Omit<SchemaEvent, "hash"> as SchemaEvent;
  return withHash(withOptional(ev, { desc: fields.desc, severity: fields.severity }), hash);
}

// A schema as plain JSON data: what parsing the XML gives, without the lookups and hashes,
// which are made again on loading. A process that publishes a fixed schema (the agent, with
// schema/libvirt.json, written by scripts/gen-sdk.ts from schema/libvirt.xml) loads it with
// JSON.parse instead of an XML parser.
import { readFile } from "node:fs/promises";
import { schemaHash } from "./maps.js";
import {
  makeClass,
  makeEvent,
  type Schema,
  type SchemaArg,
  type SchemaMethod,
  type SchemaProperty,
  withOptional,
} from "./model.js";

/** A class of {@link SchemaJson}. */
export interface ClassJson {
  name: string;
  desc?: string;
  properties: SchemaProperty[];
  methods: SchemaMethod[];
}

/** An event of {@link SchemaJson}. */
export interface EventJson {
  name: string;
  desc?: string;
  severity?: number;
  args: SchemaArg[];
}

/** The JSON form of a {@link Schema}: its definitions, in declaration order. */
export interface SchemaJson {
  packageName: string;
  classes: ClassJson[];
  events: EventJson[];
}

/** The JSON form of a schema (`JSON.stringify` it to write it). */
export function schemaToJson(schema: Schema): SchemaJson {
  return {
    packageName: schema.packageName,
    classes: schema.classes.map((c) =>
      withOptional({ name: c.name } as ClassJson, {
        desc: c.desc,
        properties: c.properties,
        methods: c.methods,
      }),
    ),
    events: schema.events.map((e) =>
      withOptional({ name: e.name } as EventJson, {
        desc: e.desc,
        severity: e.severity,
        args: e.args,
      }),
    ),
  };
}

/**
 * The schema of a JSON form, with its lookups and class hashes (computed from the definitions,
 * so they equal those of the XML it was written from). The data is taken as it is, unchecked:
 * it is the output of {@link schemaToJson}.
 */
export function schemaFromJson(json: SchemaJson): Schema {
  const { packageName } = json;
  const classes = json.classes.map((c) => makeClass({ ...c, packageName }, schemaHash));
  const events = json.events.map((e) => makeEvent({ ...e, packageName }, schemaHash));
  const byClass = new Map(classes.map((c) => [c.name, c]));
  const byEvent = new Map(events.map((e) => [e.name, e]));
  return {
    packageName,
    classes,
    events,
    getClass: (name) => byClass.get(name),
    getEvent: (name) => byEvent.get(name),
  };
}

/** Reads a schema's JSON form from a file. */
export async function loadSchemaJsonFile(path: string): Promise<Schema> {
  return schemaFromJson(JSON.parse(await readFile(path, "utf8")) as SchemaJson);
}

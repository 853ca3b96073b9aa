import { type Encoded, encodeValue, type QmfMap } from "../codec/index.js";
import { schemaIdMap, schemaMap } from "../schema/maps.js";
import type {
  Schema,
  SchemaArg,
  SchemaClass,
  SchemaEvent,
  SchemaMethod,
  SchemaProperty,
} from "../schema/model.js";
import { RoutingKey } from "../transport/envelope.js";

/** A class an agent publishes, with what its requests and indications need at hand. */
export interface ClassInfo {
  schema: Schema;
  cls: SchemaClass;
  props: Map<string, SchemaProperty>;
  methods: Map<string, MethodInfo>;
  schemaId: QmfMap;
  /** The same, encoded once: every object's `_data` map carries it. */
  schemaIdData: Encoded;
  /** Where its data indications go. */
  routingKey: string;
}

/** A method with its input and output arguments by name. */
export interface MethodInfo {
  method: SchemaMethod;
  inArgs: Map<string, SchemaArg>;
  outArgs: Map<string, SchemaArg>;
}

/** An event an agent raises. */
export interface EventInfo {
  schema: Schema;
  event: SchemaEvent;
  args: Map<string, SchemaArg>;
  schemaId: QmfMap;
}

/**
 * The classes and events of an agent's schemas by name, built once. Classes and events share
 * one namespace across the schemas: a name defined twice is refused.
 */
export class SchemaIndex {
  readonly classes = new Map<string, ClassInfo>();
  readonly events = new Map<string, EventInfo>();

  /** `agentName` ends the routing keys of the data indications. */
  constructor(
    schemas: readonly Schema[],
    private readonly agentName: string,
  ) {
    for (const s of schemas) this.add(s);
  }

  /**
   * The schema ids (`SCHEMA_ID`) or schema maps (`SCHEMA`) of the classes and events of one
   * package and name, either left out meaning all.
   */
  select(
    what: "SCHEMA_ID" | "SCHEMA",
    packageName: string | undefined,
    name: string | undefined,
  ): QmfMap[] {
    const want = (pkg: string, n: string) =>
      (packageName === undefined || pkg === packageName) && (name === undefined || n === name);
    const out: QmfMap[] = [];
    for (const c of this.classes.values()) {
      if (!want(c.schema.packageName, c.cls.name)) continue;
      out.push(
        what === "SCHEMA_ID" ? c.schemaId : (schemaMap(c.cls, c.schema.packageName) as QmfMap),
      );
    }
    for (const e of this.events.values()) {
      if (!want(e.schema.packageName, e.event.name)) continue;
      out.push(
        what === "SCHEMA_ID" ? e.schemaId : (schemaMap(e.event, e.schema.packageName) as QmfMap),
      );
    }
    return out;
  }

  private add(schema: Schema): void {
    for (const cls of schema.classes) {
      if (this.classes.has(cls.name)) {
        throw new TypeError(`class ${cls.name} is defined by two schemas`);
      }
      const methods = new Map<string, MethodInfo>();
      for (const m of cls.methods) {
        const inArgs = new Map<string, SchemaArg>();
        const outArgs = new Map<string, SchemaArg>();
        for (const a of m.args) {
          if (a.dir === "I" || a.dir === "IO") inArgs.set(a.name, a);
          if (a.dir === "O" || a.dir === "IO") outArgs.set(a.name, a);
        }
        methods.set(m.name, { method: m, inArgs, outArgs });
      }
      const schemaId = schemaIdMap(cls, schema.packageName);
      this.classes.set(cls.name, {
        schema,
        cls,
        props: new Map(cls.properties.map((p) => [p.name, p])),
        methods,
        schemaId,
        schemaIdData: encodeValue(schemaId),
        routingKey: RoutingKey.data(schema.packageName, cls.name, this.agentName),
      });
    }
    for (const ev of schema.events) {
      this.events.set(ev.name, {
        schema,
        event: ev,
        args: new Map(ev.args.map((a) => [a.name, a])),
        schemaId: schemaIdMap(ev, schema.packageName),
      });
    }
  }
}

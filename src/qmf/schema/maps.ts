import { createHash } from "node:crypto";
import { type QmfMap, type QmfValue, Uuid } from "../codec/index.js";
import {
  type Access,
  type Direction,
  makeClass,
  makeEvent,
  QMF_TYPES,
  type QmfType,
  type SchemaArg,
  type SchemaClass,
  type SchemaEvent,
  type SchemaMethod,
  type SchemaProperty,
  withOptional,
} from "./model.js";

/** The coarse QMFv2 `_type` of each schema type; the exact type goes in `_subtype`. */
const V2_TYPE: Record<QmfType, string> = {
  uint8: "TYPE_INT",
  uint16: "TYPE_INT",
  uint32: "TYPE_INT",
  uint64: "TYPE_INT",
  int8: "TYPE_INT",
  int16: "TYPE_INT",
  int32: "TYPE_INT",
  int64: "TYPE_INT",
  absTime: "TYPE_INT",
  deltaTime: "TYPE_INT",
  bool: "TYPE_BOOL",
  float: "TYPE_FLOAT",
  double: "TYPE_FLOAT",
  sstr: "TYPE_STRING",
  lstr: "TYPE_STRING",
  objId: "TYPE_MAP",
  uuid: "TYPE_UUID",
  map: "TYPE_MAP",
  list: "TYPE_LIST",
};

/** When only `_type` is known (a peer that sends no `_subtype`), the widest matching type. */
const FROM_V2_TYPE: Record<string, QmfType> = {
  TYPE_INT: "int64",
  TYPE_BOOL: "bool",
  TYPE_FLOAT: "double",
  TYPE_STRING: "lstr",
  TYPE_LSTR: "lstr",
  TYPE_SSTR: "sstr",
  TYPE_UUID: "uuid",
  TYPE_MAP: "map",
  TYPE_LIST: "list",
};

type Definition = SchemaClass | SchemaEvent;

/**
 * The class hash: MD5 over a canonical JSON form of everything in the definition (kind,
 * package, name, description, and every property / method / argument with all its attributes,
 * in declaration order), as a Uuid. Any change to the definition changes the hash; the same
 * definition always gives the same hash, on every host.
 */
export function schemaHash(def: Definition): Uuid {
  const arg = (a: SchemaArg) => {
    const fields: unknown[] = [
      a.name,
      a.type,
      a.dir,
      a.references ?? "",
      a.unit ?? "",
      a.desc ?? "",
    ];
    // Appended only when set, so the hash of every definition without optional arguments
    // stays what it was before the attribute existed.
    if (a.optional === true) fields.push("optional");
    return fields;
  };
  const canonical =
    def.kind === "class"
      ? [
          "_data",
          def.packageName,
          def.name,
          def.desc ?? "",
          def.properties.map((p) => [
            p.name,
            p.type,
            p.access,
            p.index,
            p.statistic,
            p.references ?? "",
            p.unit ?? "",
            p.desc ?? "",
          ]),
          def.methods.map((m) => [m.name, m.desc ?? "", m.args.map(arg)]),
        ]
      : [
          "_event",
          def.packageName,
          def.name,
          def.desc ?? "",
          def.severity ?? -1,
          def.args.map(arg),
        ];
  return Uuid.fromBytes(createHash("md5").update(JSON.stringify(canonical), "utf8").digest());
}

/** `{_package_name, _class_name, _type: "_data" | "_event", _hash}`. */
export function schemaIdMap(def: Definition, packageName: string = def.packageName): QmfMap {
  return {
    _package_name: packageName,
    _class_name: def.name,
    _type: def.kind === "class" ? "_data" : "_event",
    _hash: def.hash,
  };
}

function fieldMap(
  f: SchemaProperty | SchemaArg,
  role: "property" | "methodArg" | "eventArg",
): QmfMap {
  const m: QmfMap = { _name: f.name, _type: V2_TYPE[f.type], _subtype: f.type };
  if (role === "property") m._access = (f as SchemaProperty).access;
  if (role === "methodArg") {
    m._dir = (f as SchemaArg).dir;
    if ((f as SchemaArg).optional === true) m._optional = true;
  }
  if (f.unit !== undefined) m._unit = f.unit;
  if (f.desc !== undefined) m._desc = f.desc;
  if (role === "property" && (f as SchemaProperty).index) m._index = true;
  if (f.references !== undefined) m._references = f.references;
  return m;
}

/**
 * The QMFv2 Schema map: `{_schema_id, _desc?, _properties: [P], _methods: [{_name, _desc?,
 * _arguments: [P]}]}` for a class; for an event, its arguments are the `_properties` and
 * `_default_severity` carries its severity. P = `{_name, _type: TYPE_INT|TYPE_BOOL|TYPE_FLOAT|
 * TYPE_STRING|TYPE_MAP|TYPE_LIST|TYPE_UUID, _subtype: <exact schema type, e.g. "uint32">,
 * _access (properties), _dir (method arguments), _optional?: true (optional method input
 * arguments), _unit?, _desc?, _index?: true, _references?}`.
 */
export function schemaMap(def: Definition, packageName: string = def.packageName): QmfMap {
  const m: QmfMap = { _schema_id: schemaIdMap(def, packageName) };
  if (def.desc !== undefined) m._desc = def.desc;
  if (def.kind === "class") {
    m._properties = def.properties.map((p) => fieldMap(p, "property"));
    m._methods = def.methods.map((meth) => {
      const mm: QmfMap = { _name: meth.name };
      if (meth.desc !== undefined) mm._desc = meth.desc;
      mm._arguments = meth.args.map((a) => fieldMap(a, "methodArg"));
      return mm;
    });
  } else {
    m._properties = def.args.map((a) => fieldMap(a, "eventArg"));
    if (def.severity !== undefined) m._default_severity = def.severity;
  }
  return m;
}

function text(v: QmfValue | undefined, what: string): string {
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  throw new TypeError(`schema map: ${what} must be text, got ${v === null ? "null" : typeof v}`);
}

function optionalText(v: QmfValue | undefined, what: string): string | undefined {
  return v === undefined || v === null ? undefined : text(v, what);
}

function asMap(v: QmfValue | undefined, what: string): QmfMap {
  if (
    v === null ||
    typeof v !== "object" ||
    Array.isArray(v) ||
    Buffer.isBuffer(v) ||
    v instanceof Uuid
  ) {
    throw new TypeError(`schema map: ${what} must be a map`);
  }
  return v as QmfMap;
}

function asList(v: QmfValue | undefined, what: string): QmfValue[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new TypeError(`schema map: ${what} must be a list`);
  return v;
}

function typeFrom(m: QmfMap, what: string): QmfType {
  const sub = optionalText(m._subtype, `${what}._subtype`);
  if (sub !== undefined && (QMF_TYPES as readonly string[]).includes(sub)) return sub as QmfType;
  const coarse = text(m._type, `${what}._type`);
  const t = FROM_V2_TYPE[coarse];
  if (t === undefined) throw new TypeError(`schema map: ${what} has unknown _type ${coarse}`);
  return t;
}

function argFrom(v: QmfValue, what: string, dirDefault: Direction): SchemaArg {
  const m = asMap(v, what);
  const name = text(m._name, `${what}._name`);
  const dir = optionalText(m._dir, `${what}._dir`) ?? dirDefault;
  if (dir !== "I" && dir !== "O" && dir !== "IO")
    throw new TypeError(`schema map: ${what} has bad _dir ${dir}`);
  return withOptional({ name, type: typeFrom(m, what), dir } as SchemaArg, {
    optional: m._optional === true && dir !== "O" ? true : undefined,
    desc: optionalText(m._desc, `${what}._desc`),
    unit: optionalText(m._unit, `${what}._unit`),
    references: optionalText(m._references, `${what}._references`),
  });
}

/**
 * Reads a QMFv2 Schema map (as {@link schemaMap} writes it, or as another QMFv2 agent sends
 * it: without `_subtype`, TYPE_INT reads as int64, TYPE_STRING as lstr, TYPE_FLOAT as double)
 * back into a class or event definition. Throws a TypeError naming the malformed part.
 */
export function parseSchemaMap(map: QmfMap): SchemaClass | SchemaEvent {
  const id = asMap(map._schema_id, "_schema_id");
  const packageName = text(id._package_name, "_schema_id._package_name");
  const name = text(id._class_name, "_schema_id._class_name");
  const kind = text(id._type ?? "_data", "_schema_id._type");
  const hash = id._hash;
  if (!(hash instanceof Uuid)) throw new TypeError("schema map: _schema_id._hash must be a uuid");
  const desc = optionalText(map._desc, "_desc");
  if (kind === "_event") {
    const args = asList(map._properties, "_properties").map((a, i) =>
      argFrom(a, `_properties[${i}]`, "I"),
    );
    const sev = map._default_severity;
    return makeEvent(
      { packageName, name, desc, args, severity: typeof sev === "number" ? sev : undefined },
      hash,
    );
  }
  if (kind !== "_data") throw new TypeError(`schema map: unknown _schema_id._type ${kind}`);
  const properties = asList(map._properties, "_properties").map((v, i) => {
    const what = `_properties[${i}]`;
    const m = asMap(v, what);
    const access = optionalText(m._access, `${what}._access`) ?? "RO";
    if (access !== "RO" && access !== "RC" && access !== "RW") {
      throw new TypeError(`schema map: ${what} has bad _access ${access}`);
    }
    return withOptional(
      {
        name: text(m._name, `${what}._name`),
        type: typeFrom(m, what),
        access: access as Access,
        index: m._index === true,
        statistic: false,
      } as SchemaProperty,
      {
        desc: optionalText(m._desc, `${what}._desc`),
        unit: optionalText(m._unit, `${what}._unit`),
        references: optionalText(m._references, `${what}._references`),
      },
    );
  });
  const methods = asList(map._methods, "_methods").map((v, i) => {
    const what = `_methods[${i}]`;
    const m = asMap(v, what);
    return withOptional(
      {
        name: text(m._name, `${what}._name`),
        args: asList(m._arguments, `${what}._arguments`).map((a, j) =>
          argFrom(a, `${what}._arguments[${j}]`, "I"),
        ),
      } as SchemaMethod,
      { desc: optionalText(m._desc, `${what}._desc`) },
    );
  });
  return makeClass({ packageName, name, desc, properties, methods }, hash);
}

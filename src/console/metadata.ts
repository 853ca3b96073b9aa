// The schema as plain data, compiled into the generated SDK so that neither the SDK nor the
// CLI parses the XML schema at run time (the CLI's start-up time matters). The generator
// writes one PackageMeta constant from schema/libvirt.xml.

/** A QMF schema type name, as in the schema XML. */
export type QmfTypeName =
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "bool"
  | "float"
  | "double"
  | "sstr"
  | "lstr"
  | "absTime"
  | "deltaTime"
  | "objId"
  | "uuid"
  | "map"
  | "list";

/** A property of a class, or an argument of a method or event. */
export interface FieldMeta {
  readonly name: string;
  readonly type: QmfTypeName;
  readonly desc?: string;
  readonly unit?: string;
  /** For properties: RO, RC or RW. */
  readonly access?: "RO" | "RC" | "RW";
  /** For method arguments: I, O or IO. */
  readonly dir?: "I" | "O" | "IO";
  /** For `objId` fields: the class the reference points at. */
  readonly references?: string;
  readonly index?: boolean;
  /** For method inputs: the caller may leave it out. */
  readonly optional?: boolean;
}

/** A method of a class. */
export interface MethodMeta {
  readonly name: string;
  readonly desc?: string;
  readonly args: readonly FieldMeta[];
}

/** A class of managed objects. */
export interface ClassMeta {
  readonly name: string;
  readonly desc?: string;
  readonly properties: readonly FieldMeta[];
  readonly methods: readonly MethodMeta[];
}

/** An event. */
export interface EventMeta {
  readonly name: string;
  readonly desc?: string;
  /** Default severity, 0 (emergency) … 7 (debug). */
  readonly severity?: number;
  readonly args: readonly FieldMeta[];
}

/** A whole schema package. */
export interface PackageMeta {
  readonly packageName: string;
  readonly classes: readonly ClassMeta[];
  readonly events: readonly EventMeta[];
}

const INTEGER_TYPES = new Set(["uint8", "uint16", "uint32", "int8", "int16", "int32"]);
const BIG_TYPES = new Set(["uint64", "int64", "absTime", "deltaTime"]);

/** True for the 64-bit integer types, carried as `bigint`. */
export function isBigType(t: QmfTypeName): boolean {
  return BIG_TYPES.has(t);
}

/** True for the integer types up to 32 bits, carried as `number`. */
export function isSmallIntType(t: QmfTypeName): boolean {
  return INTEGER_TYPES.has(t);
}

/** Inclusive bounds of each integer type. */
export const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, 18446744073709551615n],
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-9223372036854775808n, 9223372036854775807n],
  absTime: [-9223372036854775808n, 9223372036854775807n],
  deltaTime: [0n, 18446744073709551615n],
};

/**
 * The properties that name an object for people, in order of preference: an object's label
 * is the first of them it has (a Domain's `name`, a Node's `hostname`, a volume's `key` when
 * it has no name).
 */
export const LABEL_PROPERTIES: readonly string[] = ["name", "hostname", "key"];

/**
 * The properties a reference typed by a user is matched against, besides a UUID (`uuid`,
 * when the text has a UUID's shape): the labels and a file path.
 */
export const NAMING_PROPERTIES: readonly string[] = [...LABEL_PROPERTIES, "path"];

/** The property a class's objects are labelled by (see {@link LABEL_PROPERTIES}), if any. */
export function labelProperty(meta: ClassMeta): string | undefined {
  return LABEL_PROPERTIES.find((n) => meta.properties.some((p) => p.name === n));
}

/** True when people name the objects of a class: it has a naming property or a `uuid`. */
export function isNamedClass(meta: ClassMeta): boolean {
  return meta.properties.some((p) => p.name === "uuid" || NAMING_PROPERTIES.includes(p.name));
}

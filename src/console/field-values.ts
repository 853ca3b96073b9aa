// The values of schema fields (properties, method and event arguments) in their three forms:
// what the QMF session hands over (codec values), what the SDK exposes (typed per the schema:
// bigint for 64-bit, strings for text, ObjectRef for references), and the text a user types
// on the command line (`memory=1024`, `xml=@f.xml`).
import type { QmfObject } from "../qmf/index.js";
import { ArgumentError } from "./errors.js";
import { type FieldMeta, INTEGER_RANGES, isBigType, isSmallIntType } from "./metadata.js";

/** A reference to a managed object: the agent that publishes it and its name there. */
export interface ObjectRef {
  agentName: string;
  objectName: string;
  agentEpoch?: number;
}

/** The text form of an object id used by the CLI: `<agent name>/<object name>`. */
export function objectIdText(id: ObjectRef): string {
  return `${id.agentName}/${id.objectName}`;
}

/** A property or argument value for output: a reference as its object id text, else unchanged. */
export function refText(v: unknown): unknown {
  const ref = v && typeof v === "object" && !Buffer.isBuffer(v) ? toObjectRef(v) : null;
  return ref ? objectIdText(ref) : v;
}

/** Reads an object id from its wire map or from an already converted object; null if neither. */
export function toObjectRef(v: unknown): ObjectRef | null {
  if (!v || typeof v !== "object") return null;
  const m = v as Record<string, unknown>;
  const agentName = m._agent_name ?? m.agentName;
  const objectName = m._object_name ?? m.objectName;
  if (typeof agentName !== "string" && !Buffer.isBuffer(agentName)) return null;
  if (typeof objectName !== "string" && !Buffer.isBuffer(objectName)) return null;
  const ref: ObjectRef = { agentName: String(agentName), objectName: String(objectName) };
  const epoch = m._agent_epoch ?? m.agentEpoch;
  if (typeof epoch === "number") ref.agentEpoch = epoch;
  else if (typeof epoch === "bigint") ref.agentEpoch = Number(epoch);
  return ref;
}

/** The id of an object as the QMF session reports it. */
export function objectRefOf(o: QmfObject): ObjectRef {
  return toObjectRef(o.objectId) ?? { agentName: o.agentName, objectName: String(o.objectId) };
}

/**
 * The SDK form of a value received for `field`: text as string (long text may arrive as a
 * Buffer), 64-bit integers as bigint, references as {@link ObjectRef}. A value that does not
 * fit is passed through unchanged rather than dropped: the caller sees what the agent sent.
 */
export function fromAgent(field: FieldMeta, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  switch (field.type) {
    case "sstr":
    case "lstr":
      return Buffer.isBuffer(v) ? v.toString("utf8") : v;
    case "objId":
      return toObjectRef(v) ?? v;
    case "uuid":
      return typeof v === "object" && typeof (v as object).toString === "function" ? String(v) : v;
    default:
      if (isBigType(field.type) && typeof v === "number" && Number.isInteger(v)) return BigInt(v);
      return v;
  }
}

/** Converts every known property of `values` with {@link fromAgent}; unknown keys are kept. */
export function convertValues(
  fields: readonly FieldMeta[],
  values: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const f of fields) {
    if (f.name in values) out[f.name] = fromAgent(f, values[f.name]);
  }
  return out;
}

function parseInteger(field: FieldMeta, text: string, what: string): bigint {
  if (!/^[-+]?\d+$/.test(text.trim())) {
    throw new ArgumentError(`${what}: "${text}" is not an integer (type ${field.type})`);
  }
  const n = BigInt(text.trim());
  const [lo, hi] = INTEGER_RANGES[field.type]!;
  if (n < lo || n > hi) {
    throw new ArgumentError(`${what}: ${n} is out of range for ${field.type} (${lo}..${hi})`);
  }
  return n;
}

/**
 * Parses the text a user typed for `field` (a method argument or a filter property) into the
 * SDK value of its schema type. `what` names it in errors, e.g. `argument "flags"`.
 * References are given as object id text (`agent/object`) and must be resolved by the caller.
 */
export function parseFieldText(field: FieldMeta, text: string, what: string): unknown {
  if (isSmallIntType(field.type)) return Number(parseInteger(field, text, what));
  if (isBigType(field.type)) return parseInteger(field, text, what);
  switch (field.type) {
    case "bool": {
      const t = text.trim().toLowerCase();
      if (["true", "yes", "1", "on"].includes(t)) return true;
      if (["false", "no", "0", "off"].includes(t)) return false;
      throw new ArgumentError(`${what}: "${text}" is not a boolean (true or false)`);
    }
    case "float":
    case "double": {
      const n = Number(text);
      if (text.trim() === "" || !Number.isFinite(n)) {
        throw new ArgumentError(`${what}: "${text}" is not a number`);
      }
      return n;
    }
    case "sstr":
      if (Buffer.byteLength(text) > 255) {
        throw new ArgumentError(
          `${what}: ${Buffer.byteLength(text)} bytes, sstr holds at most 255`,
        );
      }
      return text;
    case "lstr":
      return text;
    case "map":
    case "list": {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        throw new ArgumentError(`${what}: expected JSON for a ${field.type}`);
      }
      const ok = field.type === "list" ? Array.isArray(v) : !!v && typeof v === "object";
      if (!ok)
        throw new ArgumentError(
          `${what}: expected a JSON ${field.type === "list" ? "array" : "object"}`,
        );
      return v;
    }
    default:
      return text;
  }
}

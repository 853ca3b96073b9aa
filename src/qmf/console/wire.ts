// The console's converters between wire maps and what it hands out: `_data` maps to
// QmfObject, `_event` maps to QmfEvent, heartbeat attributes to AgentInfo, schema maps to
// SchemaId/SchemaInfo, and method arguments to the wire. Pure functions, no session state.
import { type QmfMap, type QmfValue, wireText } from "../codec/index.js";
import {
  isObjectIdLike,
  type ObjectIdLike,
  objectIdFromWire,
  objectIdToWire,
} from "../transport/envelope.js";
import type { AgentInfo, ObjectQuery, QmfEvent, QmfObject, SchemaId, SchemaInfo } from "./types.js";

/** The key of an object in the cache (agent and object name; the epoch is not part of it). */
export function cacheKey(id: ObjectIdLike): string {
  return `${id.agentName}\u0000${id.objectName}`;
}

/** `v` if it is a map, else an empty one: a missing or mistyped field reads as absent. */
export function asMap(v: unknown): Record<string, unknown> {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && !Buffer.isBuffer(v)) {
    return v as Record<string, unknown>;
  }
  return {};
}

export function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

function big(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return 0n;
}

/** Wire values → console values: vbin text → string, `_object_id` maps → ObjectId. */
function convertValue(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  if (Array.isArray(v)) return v.map(convertValue);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const id = objectIdFromWire(v);
    if (id) return id;
    return convertValues(v as Record<string, unknown>);
  }
  return v;
}

/** {@link convertValue} over each value of a map. */
export function convertValues(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m)) out[k] = convertValue(m[k]);
  return out;
}

/**
 * A method's arguments for the wire: those given as `undefined` are left out (the agent then
 * treats them as omitted); the values go through {@link valueToWire}.
 */
export function methodArgsToWire(args: Record<string, unknown>): QmfMap {
  const out: QmfMap = {};
  for (const k of Object.keys(args)) if (args[k] !== undefined) out[k] = valueToWire(args[k]);
  return out;
}

function mapToWire(m: Record<string, unknown>): QmfMap {
  const out: QmfMap = {};
  for (const k of Object.keys(m)) out[k] = valueToWire(m[k]);
  return out;
}

/** Console values → wire: ObjectIds become `_object_id` maps; the rest is the codec's. */
function valueToWire(v: unknown): QmfValue {
  if (isObjectIdLike(v)) return objectIdToWire(v);
  if (Array.isArray(v)) return v.map(valueToWire);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return mapToWire(v as Record<string, unknown>);
  }
  return v as QmfValue;
}

/** The `_query_request` map of a query for `what` (OBJECT, OBJECT_ID, SCHEMA_ID, SCHEMA). */
export function queryToWire(q: ObjectQuery, what: string): QmfMap {
  const req: QmfMap = { _what: what };
  if (q.className !== undefined || q.packageName !== undefined) {
    const sid: QmfMap = {};
    if (q.packageName !== undefined) sid._package_name = q.packageName;
    if (q.className !== undefined) sid._class_name = q.className;
    req._schema_id = sid;
  }
  if (q.objectId !== undefined) req._object_id = objectIdToWire(q.objectId);
  if (q.where !== undefined && q.where !== null) req._where = q.where as QmfValue;
  return req;
}

/** A `_data` map as a {@link QmfObject}; null when it has no `_object_id`. */
export function toObject(item: unknown, fallbackAgent: string | undefined): QmfObject | null {
  const d = asMap(item);
  const id = objectIdFromWire(d._object_id);
  if (!id) return null;
  const sid = asMap(d._schema_id);
  return {
    objectId: id,
    agentName: id.agentName || fallbackAgent || "",
    packageName: wireText(sid._package_name) ?? "",
    className: wireText(sid._class_name) ?? "",
    values: convertValues(asMap(d._values)),
    createTs: big(d._create_ts),
    updateTs: big(d._update_ts),
    deleteTs: big(d._delete_ts),
  };
}

/** An `_event` map of `agentName`'s as a {@link QmfEvent}. */
export function toEvent(item: unknown, agentName: string | undefined): QmfEvent {
  const e = asMap(item);
  const sid = asMap(e._schema_id);
  return {
    agentName: agentName ?? "",
    packageName: wireText(sid._package_name) ?? "",
    eventName: wireText(sid._class_name) ?? "",
    severity: toNumber(e._severity) ?? 6,
    timestamp: typeof e._timestamp === "bigint" ? e._timestamp : 0n,
    values: convertValues(asMap(e._values)),
  };
}

/**
 * An agent's heartbeat (or locate response) attributes as an {@link AgentInfo} heard at
 * `nowMs`; null when they carry no `_name`.
 */
export function toAgentInfo(attrs: Record<string, unknown>, nowMs: number): AgentInfo | null {
  const name = wireText(attrs._name);
  if (name === undefined) return null;
  const ms = toNumber(attrs._heartbeat_interval_ms);
  return {
    name,
    vendor: wireText(attrs._vendor) ?? "",
    product: wireText(attrs._product) ?? "",
    instance: wireText(attrs._instance) ?? "",
    epoch: toNumber(attrs._epoch) ?? 0,
    attributes: convertValues(attrs),
    lastHeartbeatMs: nowMs,
    heartbeatIntervalMs: ms ?? (toNumber(attrs._heartbeat_interval) ?? 10) * 1000,
  };
}

export function toSchemaId(v: unknown): SchemaId | null {
  const m = asMap(v);
  const packageName = wireText(m._package_name);
  const className = wireText(m._class_name);
  if (packageName === undefined || className === undefined) return null;
  return {
    packageName,
    className,
    kind: wireText(m._type) === "_event" ? "_event" : "_data",
    hash: m._hash === undefined || m._hash === null ? "" : String(m._hash),
  };
}

function stripUnderscores(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(convertValues(m)))
    out[k.startsWith("_") ? k.slice(1) : k] = v;
  return out;
}

export function toSchemaInfo(v: unknown): SchemaInfo | null {
  const m = asMap(v);
  const id = toSchemaId(m._schema_id);
  if (!id) return null;
  // Events list their arguments as `_properties` too.
  const props = Array.isArray(m._properties) ? m._properties : [];
  const methods = Array.isArray(m._methods) ? m._methods : [];
  const info: SchemaInfo = {
    id,
    properties: props.map((p) => stripUnderscores(asMap(p))),
    methods: methods.map((x) => {
      const mm = asMap(x);
      const out: SchemaInfo["methods"][number] = {
        name: wireText(mm._name) ?? "",
        arguments: (Array.isArray(mm._arguments) ? mm._arguments : []).map((a) =>
          stripUnderscores(asMap(a)),
        ),
      };
      const d = wireText(mm._desc);
      if (d !== undefined) out.desc = d;
      return out;
    }),
  };
  const desc = wireText(m._desc);
  if (desc !== undefined) info.desc = desc;
  return info;
}

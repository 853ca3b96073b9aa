/**
 * The QMFv2 message envelope as libqmf2 spells it (QMF.md): exchange names, opcodes, header
 * names and content types. Declared once here; agent and console import them.
 */

import { wireText } from "../codec/index.js";

/** Direct exchange: requests to one agent, replies to one console. */
export const DIRECT_EXCHANGE = "qmf.default.direct";
/** Topic exchange: broadcasts (locate) and indications (heartbeats, data, events). */
export const TOPIC_EXCHANGE = "qmf.default.topic";

/** `qmf.opcode` values. */
export const Opcode = {
  AGENT_LOCATE_REQUEST: "_agent_locate_request",
  AGENT_LOCATE_RESPONSE: "_agent_locate_response",
  AGENT_HEARTBEAT: "_agent_heartbeat_indication",
  QUERY_REQUEST: "_query_request",
  QUERY_RESPONSE: "_query_response",
  METHOD_REQUEST: "_method_request",
  METHOD_RESPONSE: "_method_response",
  EXCEPTION: "_exception",
  DATA_INDICATION: "_data_indication",
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** `qmf.content` values. */
export const Content = {
  DATA: "_data",
  SCHEMA_ID: "_schema_id",
  SCHEMA: "_schema",
  OBJECT_ID: "_object_id",
  EVENT: "_event",
} as const;

/** Body encodings (`content_type`). */
export const ContentType = { MAP: "amqp/map", LIST: "amqp/list" } as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** Header names. */
export const Header = {
  OPCODE: "qmf.opcode",
  AGENT: "qmf.agent",
  CONTENT: "qmf.content",
  METHOD: "method",
  PARTIAL: "partial",
  APP_ID_0_10: "x-amqp-0-10.app-id",
} as const;

export const APP_ID = "qmf2";

/**
 * Routing keys (the QMF "subject"). Everything an agent broadcasts ends with its name as three
 * words, `<vendor>.<product>.<instance>` (as qpid's own management agent keys its indications),
 * so that a broker topic permission can pin an agent's broker user to its own name, and a
 * console can check that a message's key names the agent it claims to come from.
 */
export const RoutingKey = {
  /** Broadcast agent locate. */
  LOCATE: "console.request.agent_locate",
  /** Everything agents broadcast, what a console subscribes to. */
  AGENT_INDICATIONS: "agent.ind.#",
  /** Everything consoles broadcast, what an agent subscribes to. */
  CONSOLE_REQUESTS: "console.#",
  heartbeat: (agentName: string) => `agent.ind.heartbeat.${agentWords(agentName)}`,
  data: (pkg: string, cls: string, agentName: string) =>
    `agent.ind.data.${keyPart(pkg)}.${keyPart(cls)}.${agentWords(agentName)}`,
  event: (pkg: string, event: string, severity: number, agentName: string) =>
    `agent.ind.event.${keyPart(pkg)}.${keyPart(event)}.${severity}.${agentWords(agentName)}`,
} as const;

/** Dots separate topic words, so a dot inside a name becomes `_` (QMF.md). */
export function keyPart(s: string): string {
  return s.replace(/[.#*]/g, "_");
}

/** An agent name (`vendor:product:instance`) as the three words that end its routing keys. */
export function agentWords(agentName: string): string {
  return agentName.split(":").map(keyPart).join(".");
}

/**
 * Whether `routingKey` is one an agent named `agentName` publishes on: `agent.ind.<kind>…`
 * ending with the agent's three name words. A broker that pins each agent user's topic
 * permission to its own words thereby vouches for the sender of a message that passes.
 */
export function keyNamesAgent(routingKey: string, agentName: string): boolean {
  if (!routingKey.startsWith("agent.ind.")) return false;
  const words = agentWords(agentName);
  return routingKey.endsWith(`.${words}`) && words.split(".").length === 3;
}

/** `reply_to` = `"<exchange>/<routing key>"`. */
export function formatReplyTo(exchange: string, routingKey: string): string {
  return `${exchange}/${routingKey}`;
}

/**
 * Splits a `reply_to`. Only our two exchanges (and the default exchange, for a bare queue
 * name) are accepted: publishing to an exchange that does not exist makes the broker close
 * the channel, so a hostile or broken reply address must never reach `publish`.
 */
export function parseReplyTo(replyTo: unknown): { exchange: string; routingKey: string } | null {
  if (typeof replyTo !== "string" || replyTo.length === 0 || replyTo.length > 255) return null;
  const slash = replyTo.indexOf("/");
  if (slash < 0) return { exchange: "", routingKey: replyTo };
  const exchange = replyTo.slice(0, slash);
  const routingKey = replyTo.slice(slash + 1);
  if (exchange !== DIRECT_EXCHANGE && exchange !== TOPIC_EXCHANGE) return null;
  if (routingKey.length === 0) return null;
  return { exchange, routingKey };
}

/**
 * Names one managed object: its agent, its (deterministic) name, and the agent epoch it was
 * seen in. On the wire: `{_agent_name, _object_name, _agent_epoch}`.
 */
export class ObjectId {
  constructor(
    readonly agentName: string,
    readonly objectName: string,
    readonly agentEpoch?: number,
  ) {}

  /** `agent/object`, unique within a fleet. */
  toString(): string {
    return `${this.agentName}/${this.objectName}`;
  }

  /** Same agent and object name (the epoch is not compared: names are deterministic). */
  equals(other: { agentName: string; objectName: string }): boolean {
    return this.agentName === other.agentName && this.objectName === other.objectName;
  }
}

/** Anything shaped like an object id: an {@link ObjectId} or `{agentName, objectName}`. */
export interface ObjectIdLike {
  agentName: string;
  objectName: string;
  agentEpoch?: number;
}

/** The `_object_id` map. */
export function objectIdToWire(id: ObjectIdLike): Record<string, string | number> {
  const m: Record<string, string | number> = {
    _agent_name: id.agentName,
    _object_name: id.objectName,
  };
  if (id.agentEpoch !== undefined) m._agent_epoch = id.agentEpoch;
  return m;
}

/** Reads an `_object_id` map; null when it is not one. */
export function objectIdFromWire(v: unknown): ObjectId | null {
  if (v === null || typeof v !== "object" || Array.isArray(v) || Buffer.isBuffer(v)) return null;
  const m = v as Record<string, unknown>;
  const agent = wireText(m._agent_name);
  const name = wireText(m._object_name);
  if (agent === undefined || name === undefined) return null;
  const e = m._agent_epoch;
  const epoch = typeof e === "number" ? e : typeof e === "bigint" ? Number(e) : undefined;
  return new ObjectId(agent, name, epoch);
}

/** Is `v` an {@link ObjectId} or a plain `{agentName, objectName[, agentEpoch]}`? */
export function isObjectIdLike(v: unknown): v is ObjectIdLike {
  if (v instanceof ObjectId) return true;
  if (v === null || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) {
    return false;
  }
  const m = v as Record<string, unknown>;
  for (const k of Object.keys(m)) {
    if (k !== "agentName" && k !== "objectName" && k !== "agentEpoch") return false;
  }
  return typeof m.agentName === "string" && typeof m.objectName === "string";
}

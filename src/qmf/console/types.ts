// The console's public types: what it reports about agents, objects, events and schemas, what
// a query asks for, and the session's options and events.
import type { ObjectId, ObjectIdLike } from "../transport/envelope.js";
import type { SessionConnectionEvents, SessionConnectionOptions } from "../transport/index.js";

/** What a console knows about an agent, from its heartbeats and locate responses. */
export interface AgentInfo {
  /** `vendor:product:instance`. */
  name: string;
  vendor: string;
  product: string;
  instance: string;
  /** Restart counter of the agent. */
  epoch: number;
  /** All heartbeat attributes (the `_`-prefixed QMF ones included), values as decoded. */
  attributes: Record<string, unknown>;
  /** `Date.now()` when the last heartbeat (or locate response) arrived. */
  lastHeartbeatMs: number;
  heartbeatIntervalMs: number;
}

/** A managed object as a console sees it. */
export interface QmfObject {
  objectId: ObjectId;
  agentName: string;
  packageName: string;
  className: string;
  /**
   * Property values. int64/uint64/absTime/deltaTime are `bigint`, smaller integers and floats
   * `number`, text `string` (long text arriving as vbin32 is read back as text: QMF schemas have
   * no binary type), references {@link ObjectId}, uuids `Uuid`.
   */
  values: Record<string, unknown>;
  /** Nanoseconds since the epoch; `deleteTs` ≠ 0 means the object was deleted. */
  createTs: bigint;
  updateTs: bigint;
  deleteTs: bigint;
}

/** An event raised by an agent. */
export interface QmfEvent {
  agentName: string;
  packageName: string;
  eventName: string;
  /** 0 emergency … 7 debug. */
  severity: number;
  /** Nanoseconds since the epoch. */
  timestamp: bigint;
  values: Record<string, unknown>;
}

/** A schema identity `{package, class, kind, hash}`. */
export interface SchemaId {
  packageName: string;
  className: string;
  kind: "_data" | "_event";
  /** The MD5 class hash, as a uuid text. */
  hash: string;
}

/** A class or event schema as an agent describes it on the wire. */
export interface SchemaInfo {
  id: SchemaId;
  desc?: string;
  /** Each `{_name, _type, _access, _unit, _desc, _index…}` map, keys without the underscore. */
  properties: Record<string, unknown>[];
  methods: { name: string; desc?: string; arguments: Record<string, unknown>[] }[];
}

/** Which objects a console query asks for (see {@link ConsoleSession.query}). */
export interface ObjectQuery {
  /** One agent; omitted = every known agent (that passes the agent filter). */
  agentName?: string;
  packageName?: string;
  className?: string;
  /** A QMF predicate over property values, e.g. `["eq", "name", ["quote", "web1"]]`. */
  where?: unknown;
  /** One object. */
  objectId?: ObjectIdLike;
  timeoutMs?: number;
}

/** Options of {@link ConsoleSession}: its connection's ({@link SessionConnectionOptions}) and these. */
export interface ConsoleSessionOptions extends SessionConnectionOptions {
  /** Unique reply address (default `qmf-console-<uuid>`). */
  name?: string;
  /** Only agents whose attributes match this predicate are tracked. */
  agentFilter?: unknown;
  /**
   * The broker user each agent sends as, by agent name. An agent not listed is bound to the
   * user of its first heartbeat (or, until one comes, of its first locate answer). Messages of
   * an agent from any other user are dropped (see `drops`).
   */
  agentUsers?: Readonly<Record<string, string>>;
  /** Request timeout when a call does not give one (default 10000). */
  defaultTimeoutMs?: number;
  /** How long locate collects responses (default 1000). */
  locateTimeoutMs?: number;
  /** Missed heartbeats before an agent is aged out (default 3). */
  missedHeartbeats?: number;
  /**
   * Keep a cache of objects from query results and data indications, re-queried after an
   * agent restart or a reconnect (default true).
   */
  cacheObjects?: boolean;
}

/** Events of {@link ConsoleSession}: its own and its connection's ({@link SessionConnectionEvents}). */
export interface ConsoleSessionEvents extends SessionConnectionEvents {
  agentAdded: [agent: AgentInfo];
  /** Aged out: no heartbeat for `missedHeartbeats` intervals. */
  agentRemoved: [agent: AgentInfo];
  /**
   * Heard again, same epoch, after a silence longer than 1.5 heartbeat intervals that did not
   * age it out (e.g. it moved to another broker node): its objects were kept.
   */
  agentSilent: [agent: AgentInfo, silentMs: number];
  /** New epoch: its cached objects were dropped and are being re-queried. */
  agentRestarted: [agent: AgentInfo, previousEpoch: number];
  objectChanged: [obj: QmfObject];
  objectDeleted: [obj: QmfObject];
  event: [ev: QmfEvent];
}

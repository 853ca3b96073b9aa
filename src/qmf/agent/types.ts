// The agent's public types: what a method handler and the authorisation hook receive, and
// the session's options and events.
import type { QmfValue } from "../codec/index.js";
import type { MethodError } from "../errors.js";
import type { Schema } from "../schema/index.js";
import type {
  ObjectId,
  SessionConnectionEvents,
  SessionConnectionOptions,
} from "../transport/index.js";

/** A method request, validated against the schema and converted to JS values. */
export interface MethodCall {
  objectId: ObjectId;
  className: string;
  objectName: string;
  methodName: string;
  /**
   * Input arguments, checked and converted per the schema (int64 → bigint, lstr → string…).
   * An optional argument the request left out (or sent as void) is absent.
   */
  args: Record<string, unknown>;
  /** The broker-validated `user_id` of the caller. */
  userId?: string;
  /** The request's correlation id (the at-most-once key, with user and reply address). */
  correlationId?: string;
}

/** What the authorisation hook sees; throw (a {@link MethodError} or anything) to refuse. */
export interface AuthorizeContext {
  userId?: string;
  objectId: ObjectId;
  className: string;
  methodName: string;
}

/** Where a method request ended (see {@link MethodOutcome}). */
export type MethodStage = "check" | "authorize" | "run";

/**
 * What became of one method request, told once per request (a duplicate answered from the
 * at-most-once table is not told again): what an audit trail records. The fields the request
 * did not get far enough to have are absent.
 */
export interface MethodOutcome {
  /** The broker-validated `user_id` of the caller. */
  userId?: string;
  correlationId?: string;
  /** The class of the object the request names, once that object is found. */
  className?: string;
  /** The method as the request names it (even one its class does not have). */
  methodName?: string;
  /** The object as the request names it (even one the agent does not have). */
  objectName?: string;
  /**
   * The input arguments: checked and converted once the request passed the schema's checks,
   * else as received (wire values: a text may be a Buffer).
   */
  args?: Record<string, unknown>;
  /** The handler's output arguments, when it succeeded. */
  output?: Record<string, unknown>;
  /** Why it failed: refused (check, authorisation) or failed in its handler. Absent: success. */
  error?: MethodError;
  /**
   * How far it got: refused by the checks (body, object, method, arguments), by
   * authorisation, or run by its handler.
   */
  stage: MethodStage;
  /** From the start of its handling to its response, in milliseconds. */
  ms: number;
}

/** What the query authorisation hook sees. */
export interface QueryAuthorizeContext {
  /** The broker-validated `user_id` of the caller. */
  userId?: string;
}

/** Options of {@link AgentSession}: its connection's ({@link SessionConnectionOptions}) and these. */
export interface AgentSessionOptions extends SessionConnectionOptions {
  vendor: string;
  product: string;
  instance: string;
  /** The schemas whose classes and events this agent publishes. */
  schemas: Schema[];
  /** Extra heartbeat attributes (e.g. `hostname`). */
  attributes?: Record<string, QmfValue>;
  /** Restart counter; a new value tells consoles to drop and re-query (default: start time). */
  epoch?: number;
  /** Default 10000 (qpidd's); heartbeats carry a TTL of twice this. */
  heartbeatIntervalMs?: number;
  /** Objects per `_query_response` / `_data_indication` message (default 100). */
  batchSize?: number;
  /** Changes within this window go out as one `_data_indication` per class (default 100). */
  publishDelayMs?: number;
  /**
   * At-most-once table bounds (defaults 10000 ids, 10 minutes after completion, 32 MiB of
   * response bodies — beyond that a duplicate gets an error instead of the old response).
   */
  dedupe?: { maxEntries?: number; ttlMs?: number; maxBytes?: number };
  /** Concurrent method requests at most (unacknowledged deliveries; default 64). */
  maxConcurrentRequests?: number;
  /** Runs before every method handler with the broker-validated user id; throw to refuse. */
  authorize?: (ctx: AuthorizeContext) => void | Promise<void>;
  /**
   * Runs before every query (objects, object ids, schemas) is answered; throw to refuse it
   * with an `_exception` (a {@link MethodError}'s code and text, else FORBIDDEN). Locate
   * requests are always answered: they tell no more than the heartbeats every user receives.
   */
  authorizeQuery?: (ctx: QueryAuthorizeContext) => void;
  /** Executes a method; returns its output arguments. Throw {@link MethodError} for `_exception`. */
  onMethod: (call: MethodCall) => Promise<Record<string, unknown>>;
  /**
   * Told what became of every method request, refused ones included (for an audit trail).
   * It must not throw; if it does, the failure is logged and the answer is sent all the same.
   */
  onMethodOutcome?: (outcome: MethodOutcome) => void;
}

/** Events of {@link AgentSession}: its connection's (see {@link SessionConnectionEvents}). */
export type AgentSessionEvents = SessionConnectionEvents;

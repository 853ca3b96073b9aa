// The console SDK's own errors. Errors from the QMF session (MethodError, TimeoutError,
// ConnectionLostError, AgentLostError) pass through unchanged; these cover what only the
// fleet view knows: a reference that names nothing or more than one object, and a broker or
// agent that cannot be reached at all.

/** Base class of the SDK's errors. `code` is stable; match on it or use the predicates. */
export class FleetError extends Error {
  override name = "FleetError";
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A reference (name, UUID, host/name, object id) that matches no object. */
export class NotFoundError extends FleetError {
  override name = "NotFoundError";
  constructor(
    message: string,
    /** The class searched, e.g. "Domain". */
    readonly className: string,
    /** The reference as given. */
    readonly ref: string,
  ) {
    super(message, "NOT_FOUND");
  }
}

/** One object a reference could mean, listed by {@link AmbiguousRefError}. */
export interface Candidate {
  /** Object id as text: `<agent name>/<object name>`. */
  objectId: string;
  /** The host name the object lives on (the agent's `hostname` attribute, else the agent name). */
  host: string;
  name: string;
  uuid?: string;
}

/** A reference that matches more than one object; `candidates` lists them all. */
export class AmbiguousRefError extends FleetError {
  override name = "AmbiguousRefError";
  constructor(
    message: string,
    readonly className: string,
    readonly ref: string,
    readonly candidates: Candidate[],
  ) {
    super(message, "AMBIGUOUS");
  }
}

/** The broker refused the connection, could not be reached, or refused the credentials. */
export class BrokerUnreachableError extends FleetError {
  override name = "BrokerUnreachableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "BROKER_UNREACHABLE", options);
  }
}

/** No agent (or not the one asked for) answered within the discovery time. */
export class AgentUnreachableError extends FleetError {
  override name = "AgentUnreachableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "AGENT_UNREACHABLE", options);
  }
}

/** A value given for a method argument or a filter that does not fit the schema. */
export class ArgumentError extends FleetError {
  override name = "ArgumentError";
  constructor(message: string) {
    super(message, "BAD_ARGUMENT");
  }
}

/**
 * A watch whose loop fell more than `maxBuffered` changes behind: it ended rather than go on
 * with changes missing.
 */
export class WatchOverflowError extends FleetError {
  override name = "WatchOverflowError";
  constructor(message: string) {
    super(message, "WATCH_OVERFLOW");
  }
}

/** True for {@link NotFoundError}. */
export function isNotFound(err: unknown): err is NotFoundError {
  return err instanceof FleetError && err.code === "NOT_FOUND";
}
/** True for {@link AmbiguousRefError}. */
export function isAmbiguous(err: unknown): err is AmbiguousRefError {
  return err instanceof FleetError && err.code === "AMBIGUOUS";
}
/** True for {@link BrokerUnreachableError} and {@link AgentUnreachableError}. */
export function isUnreachable(err: unknown): err is FleetError {
  return (
    err instanceof FleetError &&
    (err.code === "BROKER_UNREACHABLE" || err.code === "AGENT_UNREACHABLE")
  );
}

/**
 * Typed errors of the QMF sessions. Every error has a stable `name` and `code`, keeps the
 * underlying failure in `cause`, and has a predicate (`isTimeout(e)` …) so callers never
 * compare message texts.
 */

/** QMF status codes carried by `_exception` (libqmf2's values). */
export const QmfStatus = {
  OK: 0,
  UNKNOWN_OBJECT: 1,
  UNKNOWN_METHOD: 2,
  NOT_IMPLEMENTED: 3,
  PARAMETER_INVALID: 4,
  FEATURE_NOT_IMPLEMENTED: 5,
  FORBIDDEN: 6,
  EXCEPTION: 7,
  /** Application codes start here (libvirt failures are `USER + virErrorNumber`). */
  USER: 0x10000,
} as const;

/** Base class of every error raised by the QMF layer. */
export class QmfError extends Error {
  /**
   * Machine-readable condition, e.g. `"TIMEOUT"`; for {@link MethodError} the numeric QMF
   * status code of the `_exception`.
   */
  readonly code: string | number;
  constructor(code: string | number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "QmfError";
    this.code = code;
  }
}

/**
 * An `_exception` from an agent (or thrown by an agent's method handler to produce one).
 * `code` is the QMF status code (see {@link QmfStatus}; libvirt failures are
 * `QmfStatus.USER + virErrorNumber`); `text` the agent's explanation.
 */
export class MethodError extends QmfError {
  declare readonly code: number;
  readonly text: string;
  /** Extra values the agent put in the `_exception` map besides code and text. */
  readonly details: Record<string, unknown>;
  constructor(code: number, text: string, details: Record<string, unknown> = {}) {
    super(code, `${text} (QMF status ${code})`);
    this.name = "MethodError";
    this.text = text;
    this.details = details;
  }
}

/** A request got no (complete) answer within its timeout. */
export class TimeoutError extends QmfError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super("TIMEOUT", `${what} got no answer within ${timeoutMs} ms`);
    this.name = "TimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** The agent a request was waiting on aged out (3 missed heartbeats) or restarted. */
export class AgentLostError extends QmfError {
  readonly agentName: string;
  constructor(agentName: string, reason: string) {
    super("AGENT_LOST", `agent ${agentName} lost: ${reason}`);
    this.name = "AgentLostError";
    this.agentName = agentName;
  }
}

/**
 * The broker connection dropped while the request was in flight. Its outcome is unknown and
 * it is never retried silently.
 */
export class ConnectionLostError extends QmfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONNECTION_LOST", message, options);
    this.name = "ConnectionLostError";
  }
}

/** A message body is larger than the configured `maxBodyBytes`. */
export class BodyTooLargeError extends QmfError {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super("BODY_TOO_LARGE", `message body of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.name = "BodyTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

/**
 * The broker refused our credentials or access to the virtual host. Fatal: the transport does
 * not retry, since retrying cannot fix a configuration error.
 */
export class AuthenticationError extends QmfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("AUTHENTICATION", message, options);
    this.name = "AuthenticationError";
  }
}

/**
 * Another session holds this agent name on the broker. Two agents answering to one name would
 * both receive every request sent to it, and so execute each method twice: the broker keeps
 * the name unique (the agent's queue is exclusive and named after it), and the second agent
 * is refused.
 */
export class NameInUseError extends QmfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NAME_IN_USE", message, options);
    this.name = "NameInUseError";
  }
}

/** The session is not open (never opened, or closed). */
export class NotConnectedError extends QmfError {
  constructor(message: string) {
    super("NOT_CONNECTED", message);
    this.name = "NotConnectedError";
  }
}

/** A message from the peer could not be understood (bad body, content type, opcode…). */
export class ProtocolError extends QmfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PROTOCOL", message, options);
    this.name = "ProtocolError";
  }
}

/** Is `e` any error of the QMF layer? */
export const isQmfError = (e: unknown): e is QmfError => e instanceof QmfError;
/** Is `e` an agent's `_exception`? */
export const isMethodError = (e: unknown): e is MethodError => e instanceof MethodError;
/** Is `e` a request timeout? */
export const isTimeout = (e: unknown): e is TimeoutError => e instanceof TimeoutError;
/** Did the agent of the request age out or restart? */
export const isAgentLost = (e: unknown): e is AgentLostError => e instanceof AgentLostError;
/** Did the broker connection drop under the request? */
export const isConnectionLost = (e: unknown): e is ConnectionLostError =>
  e instanceof ConnectionLostError;
/** Was a body over the size limit? */
export const isBodyTooLarge = (e: unknown): e is BodyTooLargeError =>
  e instanceof BodyTooLargeError;
/** Did the broker refuse the credentials or vhost? */
export const isAuthenticationError = (e: unknown): e is AuthenticationError =>
  e instanceof AuthenticationError;
/** Does another session hold this agent name on the broker? */
export const isNameInUse = (e: unknown): e is NameInUseError => e instanceof NameInUseError;
/** Did the session refuse because it is not open? */
export const isNotConnected = (e: unknown): e is NotConnectedError =>
  e instanceof NotConnectedError;
/** Is `e` an `_exception` with QMF status UNKNOWN_OBJECT? */
export const isUnknownObject = (e: unknown): boolean =>
  e instanceof MethodError && e.code === QmfStatus.UNKNOWN_OBJECT;
/** Is `e` an `_exception` with QMF status UNKNOWN_METHOD? */
export const isUnknownMethod = (e: unknown): boolean =>
  e instanceof MethodError && e.code === QmfStatus.UNKNOWN_METHOD;
/** Is `e` an `_exception` with QMF status PARAMETER_INVALID? */
export const isParameterInvalid = (e: unknown): boolean =>
  e instanceof MethodError && e.code === QmfStatus.PARAMETER_INVALID;
/** Is `e` an `_exception` with QMF status FORBIDDEN? */
export const isForbidden = (e: unknown): boolean =>
  e instanceof MethodError && e.code === QmfStatus.FORBIDDEN;

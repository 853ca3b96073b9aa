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

/** The QMF status of a libvirt failure: `USER` + libvirt's error number (libvirt-qpid's rule). */
export function libvirtStatus(libvirtCode: number): number {
  return QmfStatus.USER + libvirtCode;
}

/** The libvirt error number inside a QMF status; undefined for QMF's own statuses. */
export function libvirtCodeOf(status: number): number | undefined {
  return status >= QmfStatus.USER ? status - QmfStatus.USER : undefined;
}

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
 * Why connecting to the broker failed, as a stable code:
 * - `REFUSED`: nothing listens at the host and port (or a firewall rejects);
 * - `HOST_NOT_FOUND`: the host name does not resolve;
 * - `UNREACHABLE`: the host does not answer (no route, or TCP connect timed out);
 * - `CONNECT_TIMEOUT`: TCP connected but the AMQP handshake did not finish in time (a hung or
 *   overloaded broker);
 * - `AUTH_FAILED`: the broker refused the user name or password ({@link AuthenticationError});
 * - `VHOST_DENIED`: the login worked but the virtual host does not exist or the user has no
 *   permission on it ({@link AuthenticationError});
 * - `NAME_IN_USE`: another connection holds our queue's name ({@link NameInUseError});
 * - `TLS_UNTRUSTED_CERT`: the broker's certificate is not signed by a CA we trust
 *   ({@link TlsError}, as are the codes below);
 * - `TLS_CERT_EXPIRED` / `TLS_CERT_NOT_YET_VALID`: the broker's certificate is outside its
 *   validity period;
 * - `TLS_NAME_MISMATCH`: the broker's certificate does not name the host we verify;
 * - `TLS_CLIENT_CERT_REFUSED`: the broker refused our client certificate;
 * - `TLS_FILES`: our CA, certificate or key file cannot be read or used;
 * - `TLS_HANDSHAKE_FAILED`: any other TLS failure (e.g. amqps:// to a plain AMQP port);
 * - `CONNECT_FAILED`: anything else (the `cause` says what).
 */
export type ConnectErrorCode =
  | "REFUSED"
  | "HOST_NOT_FOUND"
  | "UNREACHABLE"
  | "CONNECT_TIMEOUT"
  | "AUTH_FAILED"
  | "VHOST_DENIED"
  | "NAME_IN_USE"
  | TlsErrorCode
  | "CONNECT_FAILED";

/** The {@link ConnectErrorCode}s of a failed TLS handshake: which check failed. */
export type TlsErrorCode =
  | "TLS_UNTRUSTED_CERT"
  | "TLS_CERT_EXPIRED"
  | "TLS_CERT_NOT_YET_VALID"
  | "TLS_NAME_MISMATCH"
  | "TLS_CLIENT_CERT_REFUSED"
  | "TLS_FILES"
  | "TLS_HANDSHAKE_FAILED";

/** Every {@link ConnectErrorCode}, for callers that sort errors by code. */
export const CONNECT_ERROR_CODES: readonly ConnectErrorCode[] = [
  "REFUSED",
  "HOST_NOT_FOUND",
  "UNREACHABLE",
  "CONNECT_TIMEOUT",
  "AUTH_FAILED",
  "VHOST_DENIED",
  "NAME_IN_USE",
  "TLS_UNTRUSTED_CERT",
  "TLS_CERT_EXPIRED",
  "TLS_CERT_NOT_YET_VALID",
  "TLS_NAME_MISMATCH",
  "TLS_CLIENT_CERT_REFUSED",
  "TLS_FILES",
  "TLS_HANDSHAKE_FAILED",
  "CONNECT_FAILED",
];

/**
 * Connecting to the broker (or setting up our queue on it) failed. `url` is the broker URL
 * tried, its password redacted.
 */
export class BrokerConnectError extends QmfError {
  declare readonly code: ConnectErrorCode;
  readonly url: string | undefined;
  constructor(
    code: ConnectErrorCode,
    message: string,
    options?: { cause?: unknown; url?: string },
  ) {
    super(code, message, options);
    this.name = "BrokerConnectError";
    this.url = options?.url;
  }
}

/**
 * The broker refused our credentials (`AUTH_FAILED`) or access to the virtual host
 * (`VHOST_DENIED`). Fatal: the link does not retry, since retrying cannot fix a
 * configuration error. `user` and `vhost` are those of the URL tried.
 */
export class AuthenticationError extends BrokerConnectError {
  declare readonly code: "AUTH_FAILED" | "VHOST_DENIED";
  readonly user: string | undefined;
  readonly vhost: string | undefined;
  constructor(
    message: string,
    options?: {
      cause?: unknown;
      code?: "AUTH_FAILED" | "VHOST_DENIED";
      url?: string;
      user?: string;
      vhost?: string;
    },
  ) {
    super(options?.code ?? "AUTH_FAILED", message, options);
    this.name = "AuthenticationError";
    this.user = options?.user;
    this.vhost = options?.vhost;
  }
}

/**
 * Another session holds this agent name on the broker. Two agents answering to one name would
 * both receive every request sent to it, and so execute each method twice: the broker keeps
 * the name unique (the agent's queue is exclusive and named after it), and the second agent
 * is refused.
 */
export class NameInUseError extends BrokerConnectError {
  declare readonly code: "NAME_IN_USE";
  constructor(message: string, options?: { cause?: unknown; url?: string }) {
    super("NAME_IN_USE", message, options);
    this.name = "NameInUseError";
  }
}

/**
 * The TLS handshake with the broker failed; `code` says which check ({@link TlsErrorCode}),
 * `cause` is Node's error (its own `code`, e.g. `CERT_HAS_EXPIRED`). Verification of the
 * broker's chain and name is always on: there is no option to skip it.
 */
export class TlsError extends BrokerConnectError {
  declare readonly code: TlsErrorCode;
  constructor(code: TlsErrorCode, message: string, options?: { cause?: unknown; url?: string }) {
    super(code, message, options);
    this.name = "TlsError";
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
/** Did connecting to the broker fail (any {@link ConnectErrorCode})? */
export const isBrokerConnectError = (e: unknown): e is BrokerConnectError =>
  e instanceof BrokerConnectError;
/** Did the broker refuse the credentials or vhost? */
export const isAuthenticationError = (e: unknown): e is AuthenticationError =>
  e instanceof AuthenticationError;
/** Did the TLS handshake with the broker fail (a `TLS_*` code)? */
export const isTlsError = (e: unknown): e is TlsError => e instanceof TlsError;
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

/** The {@link BrokerConnectError} that is `e` or in its `cause` chain, if any. */
function connectErrorIn(e: unknown): BrokerConnectError | undefined {
  for (let x: unknown = e, depth = 0; x && depth < 8; x = (x as Error).cause, depth++) {
    if (x instanceof BrokerConnectError) return x;
  }
  return undefined;
}

/**
 * The connect code of `e` or of an error in its `cause` chain (a wrapper such as the
 * console's `BrokerUnreachableError` keeps the link's error as its cause); undefined if none.
 */
export function connectErrorCode(e: unknown): ConnectErrorCode | undefined {
  return connectErrorIn(e)?.code;
}

/** Why a connect failed, in a few plain words for a person, by its code. */
export function describeConnectFailure(e: unknown): string {
  const err = connectErrorIn(e);
  if (!err) return e instanceof Error ? e.message : String(e ?? "unknown error");
  switch (err.code) {
    case "REFUSED":
      return "connection refused (is RabbitMQ running, and is the host and port right?)";
    case "HOST_NOT_FOUND":
      return "unknown host name";
    case "UNREACHABLE":
      return "the host did not answer";
    case "AUTH_FAILED":
      if (err.cause instanceof Error && /mechanism EXTERNAL/.test(err.cause.message)) {
        return `the broker refused the certificate login (EXTERNAL) of user "${(err as AuthenticationError).user ?? "?"}": no such broker user, or no access to the vhost`;
      }
      return "the broker refused the login: wrong user name or password, or no access to the vhost";
    case "VHOST_DENIED": {
      const a = err as AuthenticationError;
      return `the broker refused the virtual host "${a.vhost ?? "?"}" to user "${a.user ?? "?"}": it does not exist or the user has no permissions on it`;
    }
    case "TLS_UNTRUSTED_CERT":
      return `TLS: the broker's certificate is not signed by a CA we trust (check the CA file): ${tlsDetail(err)}`;
    case "TLS_CERT_EXPIRED":
      return `TLS: the broker's certificate has expired: ${tlsDetail(err)}`;
    case "TLS_CERT_NOT_YET_VALID":
      return `TLS: the broker's certificate is not valid yet (check the clocks): ${tlsDetail(err)}`;
    case "TLS_NAME_MISMATCH":
      return `TLS: the broker's certificate does not name the host (or server name) we verify: ${tlsDetail(err)}`;
    case "TLS_CLIENT_CERT_REFUSED":
      return `TLS: the broker refused our client certificate: ${tlsDetail(err)}`;
    case "TLS_FILES":
      return `TLS: ${err.message}`;
    case "TLS_HANDSHAKE_FAILED":
      return `TLS handshake failed (is the port a TLS port?): ${tlsDetail(err)}`;
    case "CONNECT_FAILED":
      // Our wrapper only adds the URL, which the caller shows already.
      return err.cause instanceof Error ? err.cause.message : err.message;
    default:
      return err.message;
  }
}

/** Node's words for a TLS failure, with its code: "certificate has expired (CERT_HAS_EXPIRED)". */
function tlsDetail(err: BrokerConnectError): string {
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  if (!(cause instanceof Error)) return err.message;
  // OpenSSL's own errors read "<id>:error:<code>:SSL routines:<function>:<reason>:<file>…".
  const openssl = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(cause.message);
  const text = openssl ? openssl[1]!.trim() : cause.message.split("\n")[0]!.trim();
  return cause.code && !text.includes(cause.code) ? `${text} (${cause.code})` : text;
}

// The error hierarchy shared by every libvirt layer. It is a leaf module (no I/O) so the pure
// codec may throw these too.

/** Base class of every error this client raises. `code` is a stable string for programs. */
export class LibvirtClientError extends Error {
  override name = "LibvirtClientError";
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * An error reported by libvirt itself (a REPLY with status ERROR), carrying libvirt's own
 * numbers: `libvirtCode` is a `virErrorNumber` (see {@link ErrorCode}), `domain` a
 * `virErrorDomain`, `level` 1 = warning, 2 = error. `code` is the symbolic name
 * (`"NO_DOMAIN"`, …) or `"LIBVIRT_<n>"` for numbers we do not name.
 */
export class LibvirtError extends LibvirtClientError {
  override name = "LibvirtError";
  readonly libvirtCode: number;
  readonly domain: number;
  readonly level: number;
  readonly str1: string | null;
  readonly str2: string | null;
  readonly str3: string | null;
  readonly int1: number;
  readonly int2: number;
  /** The procedure whose call failed, e.g. `"DOMAIN_LOOKUP_BY_NAME"` (empty if unknown). */
  readonly procedure: string;
  constructor(fields: {
    code: number;
    domain: number;
    message: string | null;
    level: number;
    str1: string | null;
    str2: string | null;
    str3: string | null;
    int1: number;
    int2: number;
    procedure?: string;
  }) {
    const text = fields.message ?? `libvirt error ${fields.code}`;
    super(errorCodeName(fields.code), text);
    this.libvirtCode = fields.code;
    this.domain = fields.domain;
    this.level = fields.level;
    this.str1 = fields.str1;
    this.str2 = fields.str2;
    this.str3 = fields.str3;
    this.int1 = fields.int1;
    this.int2 = fields.int2;
    this.procedure = fields.procedure ?? "";
  }
}

/** The connection to libvirtd ended (EOF, socket error, keepalive timeout, protocol error or close()). */
export class ConnectionLostError extends LibvirtClientError {
  override name = "ConnectionLostError";
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? "CONNECTION_LOST", message, options);
  }
}

/**
 * A call got no reply within its timeout. Its outcome on the daemon is unknown: it may still
 * run. It is never retried.
 */
export class CallTimeoutError extends LibvirtClientError {
  override name = "CallTimeoutError";
  readonly procedure: string;
  readonly timeoutMs: number;
  constructor(procedure: string, timeoutMs: number) {
    super("CALL_TIMEOUT", `libvirt call ${procedure} got no reply within ${timeoutMs} ms`);
    this.procedure = procedure;
    this.timeoutMs = timeoutMs;
  }
}

/** The peer sent bytes that break the protocol (bad length, unknown serial, undecodable payload). */
export class ProtocolError extends LibvirtClientError {
  override name = "ProtocolError";
  /** Byte offset inside the payload or stream where decoding failed, when known. */
  readonly offset: number | undefined;
  constructor(message: string, options?: { cause?: unknown; offset?: number }) {
    super("PROTOCOL_ERROR", message, options);
    this.offset = options?.offset;
  }
}

/** A caller's argument cannot be sent (out of range, too long, malformed UUID, bad URI …). */
export class InvalidArgumentError extends LibvirtClientError {
  override name = "InvalidArgumentError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", message, options);
  }
}

/**
 * libvirt's `virErrorNumber` values we name (from libvirt's virterror.h; numbers are stable).
 */
export const ErrorCode = {
  OK: 0,
  INTERNAL_ERROR: 1,
  NO_MEMORY: 2,
  NO_SUPPORT: 3,
  UNKNOWN_HOST: 4,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_DOMAIN: 7,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  OPERATION_DENIED: 29,
  OPEN_FAILED: 30,
  XML_DETAIL: 35,
  SYSTEM_ERROR: 38,
  INVALID_NETWORK: 36,
  NETWORK_EXIST: 37,
  RPC: 39,
  NO_DOMAIN: 42,
  NO_NETWORK: 43,
  AUTH_FAILED: 45,
  INVALID_STORAGE_POOL: 46,
  INVALID_STORAGE_VOL: 47,
  NO_STORAGE_POOL: 49,
  NO_STORAGE_VOL: 50,
  OPERATION_INVALID: 55,
  CONFIG_UNSUPPORTED: 67,
  OPERATION_TIMEOUT: 68,
  INVALID_DOMAIN_SNAPSHOT: 71,
  NO_DOMAIN_SNAPSHOT: 72,
  ARGUMENT_UNSUPPORTED: 74,
  OPERATION_UNSUPPORTED: 84,
  AGENT_UNRESPONSIVE: 86,
  XML_INVALID_SCHEMA: 92,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** The symbolic name of a libvirt error number, or `LIBVIRT_<n>` when we have none. */
export function errorCodeName(code: number): string {
  return codeNames.get(code) ?? `LIBVIRT_${code}`;
}

/** A predicate: the error is libvirt's, with one of these codes. */
const withLibvirtCode =
  (...codes: number[]) =>
  (err: unknown): err is LibvirtError =>
    err instanceof LibvirtError && codes.includes(err.libvirtCode);

/** libvirt said the domain does not exist (NO_DOMAIN, 42). */
export const isNoDomain = withLibvirtCode(ErrorCode.NO_DOMAIN);
/** libvirt said the storage pool does not exist (NO_STORAGE_POOL, 49). */
export const isNoStoragePool = withLibvirtCode(ErrorCode.NO_STORAGE_POOL);
/** libvirt said the storage volume does not exist (NO_STORAGE_VOL, 50). */
export const isNoStorageVol = withLibvirtCode(ErrorCode.NO_STORAGE_VOL);
/** libvirt said the virtual network does not exist (NO_NETWORK, 43). */
export const isNoNetwork = withLibvirtCode(ErrorCode.NO_NETWORK);
/** libvirt said the domain snapshot does not exist, or has no parent / current one (NO_DOMAIN_SNAPSHOT, 72). */
export const isNoDomainSnapshot = withLibvirtCode(ErrorCode.NO_DOMAIN_SNAPSHOT);
/** The operation is not valid in the object's current state (OPERATION_INVALID, 55). */
export const isOperationInvalid = withLibvirtCode(ErrorCode.OPERATION_INVALID);
/** libvirt rejected an XML document (XML_ERROR 27 or XML_DETAIL 35). */
export const isXmlError = withLibvirtCode(ErrorCode.XML_ERROR, ErrorCode.XML_DETAIL);
/** The driver does not support the call or argument (NO_SUPPORT 3, ARGUMENT_UNSUPPORTED 74, OPERATION_UNSUPPORTED 84). */
export const isNoSupport = withLibvirtCode(
  ErrorCode.NO_SUPPORT,
  ErrorCode.ARGUMENT_UNSUPPORTED,
  ErrorCode.OPERATION_UNSUPPORTED,
);
/** Any error from libvirt itself (as opposed to the link or our own checks). */
export const isLibvirtError = (err: unknown): err is LibvirtError => err instanceof LibvirtError;
/** The connection was lost; the outcome of calls in flight is unknown. */
export const isConnectionLost = (err: unknown): err is ConnectionLostError =>
  err instanceof ConnectionLostError;
/** A call timed out; its outcome is unknown. */
export const isCallTimeout = (err: unknown): err is CallTimeoutError =>
  err instanceof CallTimeoutError;
/** The peer broke the protocol. */
export const isProtocolError = (err: unknown): err is ProtocolError => err instanceof ProtocolError;

// Failures as the browser gets them: an HTTP status and a JSON body whose message is
// libvirt's own when libvirt refused (the page shows it next to the action).
import { QmfStatus } from "../qmf/errors.js";

/** A failure with the HTTP status it is answered with. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The JSON body of a failed request. */
export interface ErrorBody {
  error: {
    message: string;
    /** The error class ("MethodError", "TimeoutError", …). */
    kind: string;
    /** libvirt's error number (virErrorNumber) when libvirt refused. */
    libvirtCode?: number;
    /** The QMF status of a failed method. */
    qmfStatus?: number;
  };
}

/** Errors recognised by name, as the CLI does: the QMF layer is not loaded for this. */
const STATUS_BY_NAME: Record<string, number> = {
  HttpError: 400,
  UsageError: 400,
  ArgumentError: 400,
  NotFoundError: 404,
  AmbiguousRefError: 409,
  MethodError: 409,
  TimeoutError: 504,
  AgentLostError: 503,
  AgentUnreachableError: 503,
  BrokerUnreachableError: 503,
  ConnectionLostError: 503,
  NotConnectedError: 503,
};

/** The status and body answering `err`. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  const e = (err ?? {}) as { name?: string; message?: string; code?: unknown; text?: string };
  const kind = e.name ?? "Error";
  if (err instanceof HttpError) {
    return { status: err.status, body: { error: { message: err.message, kind } } };
  }
  const status = STATUS_BY_NAME[kind] ?? 500;
  if (kind === "MethodError" && typeof e.code === "number") {
    const text = e.text ?? e.message ?? "";
    if (e.code >= QmfStatus.USER) {
      const libvirtCode = e.code - QmfStatus.USER;
      return {
        status,
        body: { error: { message: text, kind, libvirtCode, qmfStatus: e.code } },
      };
    }
    // QMF's "no such object": the object went away meanwhile.
    const gone = e.code === QmfStatus.UNKNOWN_OBJECT;
    return {
      status: gone ? 404 : status,
      body: { error: { message: text, kind, qmfStatus: e.code } },
    };
  }
  return { status, body: { error: { message: e.message ?? String(err), kind } } };
}

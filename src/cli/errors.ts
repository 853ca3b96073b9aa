// How a failure becomes an exit code and one plain message on stderr. Errors are recognised
// by `name` and `code`, not by class or message text, so this file loads none of the QMF
// sessions or AMQP code (only the import-free QMF error module, for its status names and
// connect codes): a `--help` or a usage error stays fast.
import { CONNECT_ERROR_CODES, libvirtCodeOf, QmfStatus } from "../qmf/errors.js";
import { safeText } from "./terminal.js";

/** lvq's exit codes. */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** The method failed (libvirt's code and message are shown). */
  METHOD_FAILED: 1,
  /** Bad command line: unknown command, option, argument or value. */
  USAGE: 2,
  /** The reference names no object, or more than one. */
  NOT_FOUND: 3,
  /** The broker or the agent cannot be reached. */
  UNREACHABLE: 4,
} as const;

/** A mistake on the command line (exit 2). */
export class UsageError extends Error {
  override name = "UsageError";
  readonly code = "USAGE";
}

/** The name of a QMF status below USER ("FORBIDDEN"), so a refusal reads as one. */
function statusName(status: number): string | undefined {
  return Object.entries(QmfStatus).find(([, v]) => v === status)?.[0];
}

interface Describable {
  name?: string;
  code?: unknown;
  status?: number;
  message?: string;
  text?: string;
  candidates?: { objectId: string; host: string; name: string; uuid?: string }[];
}

/** The QMF status of a MethodError (`code`; older sessions called it `status`). */
function qmfStatus(e: Describable): number | undefined {
  if (typeof e.code === "number") return e.code;
  return typeof e.status === "number" ? e.status : undefined;
}

/** Did connecting to the broker fail (a `code` of the QMF link's connect errors)? */
function connectCode(e: Describable): string | undefined {
  const code = e.code;
  return typeof code === "string" && (CONNECT_ERROR_CODES as readonly string[]).includes(code)
    ? code
    : undefined;
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  const e = (err ?? {}) as Describable;
  const connect = connectCode(e);
  // Our queue's name held by another session: a second agent of that name, a usage mistake.
  if (connect === "NAME_IN_USE") return ExitCode.USAGE;
  if (connect !== undefined) return ExitCode.UNREACHABLE;
  switch (e.name) {
    case "UsageError":
    case "ArgumentError":
    case "PredicateError":
      return ExitCode.USAGE;
    case "NotFoundError":
    case "AmbiguousRefError":
      return ExitCode.NOT_FOUND;
    case "BrokerUnreachableError":
    case "AgentUnreachableError":
    case "TimeoutError":
    case "AgentLostError":
    case "ConnectionLostError":
    case "NotConnectedError":
      return ExitCode.UNREACHABLE;
    case "MethodError":
      // QMF's own status for "no such object" means the reference went stale meanwhile.
      return qmfStatus(e) === 1 ? ExitCode.NOT_FOUND : ExitCode.METHOD_FAILED;
  }
  return ExitCode.METHOD_FAILED;
}

/** The text shown on stderr for an error (without the "lvq: " prefix). */
export function describeError(err: unknown): string {
  const e = (err ?? {}) as Describable;
  const status = qmfStatus(e);
  if (e.name === "MethodError" && status !== undefined) {
    // libvirt's XML errors span lines (the line, then a caret under the fault): newlines stay,
    // every other control character is escaped.
    const text = (e.text ?? e.message ?? "").split("\n").map(safeText).join("\n");
    const libvirtCode = libvirtCodeOf(status);
    if (libvirtCode !== undefined) return `libvirt error ${libvirtCode}: ${text}`;
    const name = statusName(status);
    return `method failed (QMF status ${status}${name ? ` ${name}` : ""}): ${text}`;
  }
  if (e.name === "AmbiguousRefError" && e.candidates) {
    const lines = e.candidates.map(
      (c) =>
        `  ${safeText(c.host)}/${safeText(c.name)}${c.uuid ? `  ${c.uuid}` : ""}  (${safeText(c.objectId)})`,
    );
    return `${safeText(e.message ?? "")}\n${lines.join("\n")}`;
  }
  if (err instanceof Error) return safeText(err.message);
  return safeText(String(err));
}

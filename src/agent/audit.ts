// The audit trail: one JSON line for every method request the agent receives, refused ones
// included, written whatever the log level. A line says who (the broker-checked user and its
// role), what (Class.method, object, arguments), how it ended and how long it took. Long
// texts (XML, in practice) are cut to their first characters, with their length and SHA-256
// so a copy can be matched; a password in a URL is never written. Requests refused by the
// rate limit are written at most once a second per user, the line counting those left out:
// a flood must not become a flood of lines.
import { createHash } from "node:crypto";
import type { MethodOutcome } from "../qmf/agent/types.js";
import { QmfStatus } from "../qmf/errors.js";
import { headWithoutPasswords, withoutPasswords } from "../util/redact.js";
import type { AgentLogger } from "./log.js";
import type { Role } from "./roles.js";

/** Texts longer than this are cut to this many characters (with length and hash). */
const AUDIT_TEXT_CHARS = 80;
/** Keys of a map and items of a list written; beyond them, a count. */
const MAX_ITEMS = 20;
/** Nesting written; deeper values become "…". */
const MAX_DEPTH = 4;

/** A text as the audit line shows it: itself if short, else its head, length and hash. */
function text(s: string): unknown {
  if (s.length <= AUDIT_TEXT_CHARS) return withoutPasswords(s);
  // Only the head is shown, so only the head (with room for a URL that crosses its end) is
  // searched for passwords: an argument may be megabytes of XML.
  return {
    head: headWithoutPasswords(s, AUDIT_TEXT_CHARS),
    bytes: Buffer.byteLength(s, "utf8"),
    sha256: createHash("sha256").update(s, "utf8").digest("hex"),
  };
}

/**
 * A value as the audit line shows it: texts (and the Buffers of arguments received but not
 * converted) through {@link text}, object ids as agent and object name, maps and lists with
 * at most {@link MAX_ITEMS} entries and {@link MAX_DEPTH} levels; other values as given.
 */
export function auditValue(v: unknown, depth = 0): unknown {
  if (typeof v === "string") return text(v);
  if (Buffer.isBuffer(v)) return text(v.toString("utf8"));
  if (v === null || typeof v !== "object") return v;
  if (depth >= MAX_DEPTH) return "…";
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_ITEMS).map((x) => auditValue(x, depth + 1));
    return v.length > MAX_ITEMS ? { items: v.length, first: items } : items;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.agentName === "string" && typeof o.objectName === "string") {
    return { agentName: o.agentName, objectName: o.objectName };
  }
  const keys = Object.keys(o);
  const out: Record<string, unknown> = {};
  for (const k of keys.slice(0, MAX_ITEMS)) out[k] = auditValue(o[k], depth + 1);
  if (keys.length > MAX_ITEMS) out["…"] = `${keys.length - MAX_ITEMS} more keys`;
  return out;
}

/** Error texts longer than this are cut (libvirt's may quote a line of the caller's XML). */
const MAX_ERROR_CHARS = 2000;

/** An error text as the audit line shows it: passwords masked, at most MAX_ERROR_CHARS. */
function errorText(s: string): string {
  if (s.length <= MAX_ERROR_CHARS) return withoutPasswords(s);
  return `${headWithoutPasswords(s, MAX_ERROR_CHARS)}… (${s.length} characters)`;
}

/** The name of a QMF status below USER ("FORBIDDEN"); libvirt's are "LIBVIRT". */
function statusName(code: number): string {
  if (code >= QmfStatus.USER) return "LIBVIRT";
  return Object.entries(QmfStatus).find(([, v]) => v === code)?.[0] ?? "UNKNOWN";
}

/**
 * The fields of the audit line of one method request: user, role (null: none), method
 * (Class.method, or the method alone when the object was not found), object, args, result
 * ("ok" with `output`, or "error" with `code`, `status` and `error`), ms, request.
 */
function auditFields(o: MethodOutcome, role: Role | undefined): Record<string, unknown> {
  const method =
    o.methodName === undefined
      ? null
      : o.className === undefined
        ? o.methodName
        : `${o.className}.${o.methodName}`;
  const head = {
    user: o.userId ?? null,
    role: role ?? null,
    method,
    object: o.objectName ?? null,
    args: o.args === undefined ? null : auditValue(o.args),
  };
  const tail = { ms: Math.round(o.ms * 10) / 10, request: o.correlationId ?? null };
  if (!o.error) return { ...head, result: "ok", output: auditValue(o.output ?? {}), ...tail };
  return {
    ...head,
    result: "error",
    code: o.error.code,
    status: statusName(o.error.code),
    error: errorText(o.error.text),
    ...tail,
  };
}

/** Users remembered for the rate-limit lines at most; past that, the quiet ones are forgotten. */
const MAX_FLOODERS = 1000;

/**
 * Writes the audit line of each method request to `log` (level "audit": always written).
 * Of the requests a user has refused by the rate limit, one line a second is written, with
 * `suppressed`: how many of that user's were not written since the previous one.
 */
export function auditTrail(
  log: AgentLogger,
  roleOf: (user: string | undefined) => Role | undefined,
  now: () => number = Date.now,
): (o: MethodOutcome) => void {
  const limited = new Map<string, { at: number; suppressed: number }>();
  return (o) => {
    let suppressed: number | undefined;
    if (o.stage === "limit") {
      const t = now();
      const user = o.userId ?? "";
      const last = limited.get(user);
      if (last && t - last.at < 1000) {
        last.suppressed++;
        return;
      }
      if (limited.size >= MAX_FLOODERS) {
        for (const [u, l] of limited) if (t - l.at >= 1000 && l.suppressed === 0) limited.delete(u);
      }
      limited.set(user, { at: t, suppressed: 0 });
      suppressed = last?.suppressed ?? 0;
    }
    const fields = auditFields(o, roleOf(o.userId));
    log.audit("method request", suppressed === undefined ? fields : { ...fields, suppressed });
  };
}

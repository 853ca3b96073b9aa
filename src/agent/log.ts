// Structured logs: one JSON object per line ({"ts","level","msg",...fields}), so journald,
// `jq` and log shippers read them without parsing prose. The same object also fits the QMF
// sessions' Logger interface (msg + free arguments), whose extra arguments land in "args".
// Audit lines (level "audit") are written whatever the level: an audit trail that a log
// level could silence would not be one.

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel | "audit", number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  audit: 100,
};

/** A structured logger. `fields` become top-level keys of the JSON line. */
export interface AgentLogger {
  debug(msg: string, ...rest: unknown[]): void;
  info(msg: string, ...rest: unknown[]): void;
  warn(msg: string, ...rest: unknown[]): void;
  error(msg: string, ...rest: unknown[]): void;
  /** An audit line (level "audit"), written whatever the logger's level. */
  audit(msg: string, fields: Record<string, unknown>): void;
  /** A logger whose lines all carry `fields` (e.g. {component: "stats"}). */
  child(fields: Record<string, unknown>): AgentLogger;
}

/** Where lines go: a function taking one complete line (newline included). */
export type LogSink = (line: string) => void;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written (default "info"). */
  level?: LogLevel;
  /** Default: process.stderr. */
  sink?: LogSink;
  /** Fields on every line. */
  fields?: Record<string, unknown>;
}

/** JSON-safe form of values that JSON.stringify refuses or mangles (bigint, Error). */
function replacer(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Error) {
    const out: Record<string, unknown> = { name: v.name, message: v.message };
    const code = (v as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (v.cause !== undefined) out.cause = v.cause;
    return out;
  }
  return v;
}

/** A JSON-lines logger. */
export function createLogger(opts: LoggerOptions = {}): AgentLogger {
  const min = RANK[opts.level ?? "info"];
  const sink: LogSink = opts.sink ?? ((line) => process.stderr.write(line));
  const base = opts.fields ?? {};
  const write = (level: LogLevel | "audit", msg: string, rest: unknown[]): void => {
    if (RANK[level] < min) return;
    const line: Record<string, unknown> = { ts: new Date().toISOString(), level, msg, ...base };
    for (const r of rest) {
      if (r && typeof r === "object" && !Array.isArray(r) && !(r instanceof Error)) {
        Object.assign(line, r);
      } else if (r instanceof Error) {
        line.err = r;
      } else if (r !== undefined) {
        if (!Array.isArray(line.args)) line.args = [];
        (line.args as unknown[]).push(r);
      }
    }
    let text: string;
    try {
      text = JSON.stringify(line, replacer);
    } catch {
      text = JSON.stringify({ ts: line.ts, level, msg, unserializable: true });
    }
    sink(`${text}\n`);
  };
  return {
    debug: (msg, ...rest) => write("debug", msg, rest),
    info: (msg, ...rest) => write("info", msg, rest),
    warn: (msg, ...rest) => write("warn", msg, rest),
    error: (msg, ...rest) => write("error", msg, rest),
    audit: (msg, fields) => write("audit", msg, [fields]),
    child: (fields) => createLogger({ ...opts, fields: { ...base, ...fields } }),
  };
}

/** Parses a level name (for flags and environment variables). */
export function parseLogLevel(s: string): LogLevel {
  if (s in RANK && s !== "audit") return s as LogLevel;
  throw new TypeError(`unknown log level ${JSON.stringify(s)} (debug, info, warn or error)`);
}

// Everything lvq prints goes through here: safe text, aligned tables, colour, JSON and the
// spinner. Names come from libvirt and from remote agents, so nothing they contain may reach the
// terminal raw: a control character could move the cursor or rewrite earlier lines.
import pc from "picocolors";
import stringWidth from "string-width";
import { colourWanted, safeText } from "./terminal.js";

export { colourWanted, errColours, safeText } from "./terminal.js";

/** Colour functions for stdout; identity functions when colour is not wanted. */
export const colours = pc.createColors(colourWanted(process.stdout));

/**
 * Text printed whole (a domain's XML): unchanged when stdout is a file or a pipe, so it can
 * be saved and fed back; on a terminal, control characters other than newline and tab are
 * escaped like {@link safeText} does.
 */
export function terminalText(s: string): string {
  if (process.stdout.isTTY !== true) return s;
  return s
    .split("\n")
    .map((line) => line.split("\t").map(safeText).join("\t"))
    .join("\n");
}

/** A value shown in a table cell or a `key: value` line, escaped. */
export function displayValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return safeText(v);
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  return safeText(toJsonText(v, 0));
}

/**
 * JSON text in which bigints are written as exact integer literals (JSON has no size limit on
 * numbers; `JSON.stringify` would throw on a bigint). Buffers become base64 strings; objects
 * with `toJSON` are serialised through it, like `JSON.stringify` does.
 */
export function toJsonText(value: unknown, indent = 2): string {
  // Most output has no bigint (a domain listing): then the native serialiser does it all, about
  // four times faster than the walk below. A bigint makes it throw a TypeError at once.
  try {
    return JSON.stringify(value, bufferAsBase64, indent) ?? "null";
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
  }
  return writeJson(value, indent, "") ?? "null";
}

function bufferAsBase64(this: unknown, _key: string, v: unknown): unknown {
  // JSON.stringify has already called Buffer's toJSON: turn its {type, data} into base64.
  if (v && typeof v === "object" && (v as { type?: unknown }).type === "Buffer") {
    const data = (v as { data?: unknown }).data;
    if (Array.isArray(data)) return Buffer.from(data as number[]).toString("base64");
  }
  return v;
}

function writeJson(v: unknown, indent: number, pad: string): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "bigint":
      return v.toString();
    case "number":
    case "boolean":
    case "string":
      return JSON.stringify(v);
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString("base64"));
  const obj = v as { toJSON?: () => unknown };
  if (typeof obj.toJSON === "function") return writeJson(obj.toJSON(), indent, pad);
  const inner = indent > 0 ? pad + " ".repeat(indent) : "";
  const nl = indent > 0 ? "\n" : "";
  const sep = indent > 0 ? ": " : ":";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const items = v.map((x) => `${inner}${writeJson(x, indent, inner) ?? "null"}`);
    return `[${nl}${items.join(`,${nl}`)}${nl}${indent > 0 ? pad : ""}]`;
  }
  const entries: string[] = [];
  for (const [k, x] of Object.entries(v as object)) {
    const text = writeJson(x, indent, inner);
    if (text !== undefined) entries.push(`${inner}${JSON.stringify(k)}${sep}${text}`);
  }
  if (entries.length === 0) return "{}";
  return `{${nl}${entries.join(`,${nl}`)}${nl}${indent > 0 ? pad : ""}}`;
}

/** Writes `value` as JSON on stdout, with a final newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${toJsonText(value)}\n`);
}

/** A column of a table: its header and how to align it. */
export interface Column {
  header: string;
  align?: "left" | "right";
}

/**
 * An aligned table: columns padded to the widest cell by display width (wide CJK characters
 * count two). Cells must already be safe text ({@link displayValue}). Headers are bold on a
 * terminal; with `headerRule`, a line of dashes under each header sets them off.
 */
export function formatTable(
  columns: Column[],
  rows: string[][],
  opts: { headerRule?: boolean } = {},
): string {
  const widths = columns.map((c, i) =>
    Math.max(stringWidth(c.header), ...rows.map((r) => stringWidth(r[i] ?? ""))),
  );
  const line = (cells: string[], style?: (s: string) => string): string =>
    cells
      .map((cell, i) => {
        const pad = " ".repeat(widths[i]! - stringWidth(cell));
        const last = i === cells.length - 1;
        const padded = columns[i]!.align === "right" ? pad + cell : last ? cell : cell + pad;
        return style ? style(padded) : padded;
      })
      .join("  ")
      .trimEnd();
  const out = [
    line(
      columns.map((c) => c.header),
      colours.bold,
    ),
  ];
  if (opts.headerRule) out.push(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) out.push(line(r));
  return `${out.join("\n")}\n`;
}

/** Prints a table on stdout. */
export function printTable(columns: Column[], rows: string[][]): void {
  process.stdout.write(formatTable(columns, rows));
}

/** `key: value` lines with the keys aligned. Values must already be safe text. */
export function formatKeyValues(pairs: [string, string][]): string {
  const w = Math.max(0, ...pairs.map(([k]) => stringWidth(k)));
  return pairs
    .map(([k, v]) => `${colours.bold(k)}${" ".repeat(w - stringWidth(k))}  ${v}`.trimEnd())
    .join("\n")
    .concat("\n");
}

/** A line on a terminal's stderr that redraws itself: a spinner, then the text it shows. */
export interface LiveLine {
  /** Redraws the line with the current text. */
  refresh(): void;
  /** Ends the line with a success mark (a failure mark when `failed`), at its final text. */
  end(failed?: boolean): void;
}

/**
 * Starts a {@link LiveLine} showing `text()`, redrawn every 100 ms (so elapsed times tick);
 * undefined when stderr is not a terminal (a script reading stdout or a log file must not
 * see spinner frames).
 */
export async function startLiveLine(text: () => string): Promise<LiveLine | undefined> {
  if (process.stderr.isTTY !== true) return undefined;
  const { default: yoctoSpinner } = await import("yocto-spinner");
  const spinner = yoctoSpinner({ text: text(), stream: process.stderr }).start();
  const refresh = (): void => {
    spinner.text = text();
  };
  const timer = setInterval(refresh, 100);
  return {
    refresh,
    end(failed = false) {
      clearInterval(timer);
      if (failed) spinner.error(text());
      else spinner.success(text());
    },
  };
}

/** Seconds since `started` (a `Date.now()`), as "1.2 s". */
export function elapsedText(started: number): string {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}

/**
 * Runs `work` with a spinner and the elapsed seconds on stderr, only when stderr is a
 * terminal.
 */
export async function withSpinner<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const line = await startLiveLine(() => `${label} (${elapsedText(started)})`);
  try {
    const result = await work();
    line?.end();
    return result;
  } catch (err) {
    line?.end(true);
    throw err;
  }
}

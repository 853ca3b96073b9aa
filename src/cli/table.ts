// Aligned tables and `key: value` blocks, padded by display width. Apart from output.ts
// because string-width (with its emoji tables) takes ~30 ms to load: `lvq --json list` and
// `lvq --json agents` never print a table and do not load it.
import stringWidth from "string-width";
import { colours } from "./output.js";

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

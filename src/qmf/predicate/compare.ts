import { isDeepStrictEqual } from "node:util";
import { Uuid } from "../codec/index.js";

/**
 * A value prepared for comparison: numbers (number or bigint), numeric strings (kept as text,
 * with their numeric reading), other text, booleans, null, and everything else (maps, lists).
 */
export type Comparable =
  | { kind: "number"; n: number | bigint }
  | { kind: "text"; s: string; n: number | bigint | undefined }
  | { kind: "bool"; b: boolean }
  | { kind: "null" }
  | { kind: "other"; v: unknown };

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const DECIMAL_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** The numeric reading of a decimal string: bigint for integers (exact), else number. */
function numberOfText(s: string): number | bigint | undefined {
  if (s.length > 400) return undefined;
  if (INTEGER_TEXT.test(s)) return BigInt(s.trim());
  if (DECIMAL_TEXT.test(s)) return Number(s);
  return undefined;
}

/** Normalises a property value or literal: Buffer → UTF-8 text, Uuid → canonical text. */
export function comparable(v: unknown): Comparable {
  switch (typeof v) {
    case "number":
    case "bigint":
      return { kind: "number", n: v };
    case "string":
      return { kind: "text", s: v, n: numberOfText(v) };
    case "boolean":
      return { kind: "bool", b: v };
    case "undefined":
      return { kind: "null" };
    default:
      if (v === null) return { kind: "null" };
      if (v instanceof Uuid) return { kind: "text", s: v.toString(), n: undefined };
      if (Buffer.isBuffer(v)) return comparable(v.toString("utf8"));
      return { kind: "other", v };
  }
}

/** -1, 0 or 1 for two numbers of either kind, exactly; NaN when either is NaN. */
function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === "number" && typeof b === "number") {
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.NaN;
  }
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "bigint") return -compareNumbers(b, a);
  // a is a number, b a bigint: compare without rounding b to a double.
  const x = a as number;
  const y = b as bigint;
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return -1;
  const floor = BigInt(Math.floor(x));
  if (floor < y) return -1;
  if (floor > y) return 1;
  return Number.isInteger(x) ? 0 : 1;
}

function numericOf(c: Comparable): number | bigint | undefined {
  if (c.kind === "number") return c.n;
  if (c.kind === "text") return c.n;
  return undefined;
}

/**
 * Order of two values, or NaN when they have none: numbers (and a number against a numeric
 * string) compare as numbers; two strings compare as text (UTF-16 code unit order), even when
 * both look numeric; anything else is unordered.
 */
export function order(a: Comparable, b: Comparable): number {
  if (a.kind === "text" && b.kind === "text") return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  if (a.kind === "number" || b.kind === "number") {
    const x = numericOf(a);
    const y = numericOf(b);
    if (x === undefined || y === undefined) return Number.NaN;
    return compareNumbers(x, y);
  }
  return Number.NaN;
}

/**
 * Equality: as {@link order} for numbers and text; booleans equal booleans (or the text
 * "true"/"false"); null equals null; maps and lists compare structurally.
 */
export function equal(a: Comparable, b: Comparable): boolean {
  if (a.kind === "bool" || b.kind === "bool") {
    const x = a.kind === "bool" ? a.b : a.kind === "text" ? a.s : undefined;
    const y = b.kind === "bool" ? b.b : b.kind === "text" ? b.s : undefined;
    return String(x) === String(y) && x !== undefined && y !== undefined;
  }
  if (a.kind === "null" || b.kind === "null") return a.kind === b.kind;
  if (a.kind === "other" || b.kind === "other") {
    return a.kind === "other" && b.kind === "other" && isDeepStrictEqual(a.v, b.v);
  }
  return order(a, b) === 0;
}

import { createRequire } from "node:module";
import type { RE2JS } from "re2js";
import { wireText } from "../codec/index.js";
import { type Comparable, comparable, equal, order } from "./compare.js";
import { PredicateError } from "./errors.js";

// re2js is a large module (a quarter of a megabyte of code): loaded only when a predicate
// uses re_match, so that an agent nobody sends one does not hold it. Its CommonJS build is
// loaded, which require() can do synchronously, inside the synchronous compile.
const require = createRequire(import.meta.url);
let re2: typeof RE2JS | undefined;
const loadRe2 = (): typeof RE2JS => {
  re2 ??= (require("re2js") as typeof import("re2js")).RE2JS;
  return re2;
};

/** Longest `re_match` pattern, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 256;
/** Longest text `re_match` looks at; a longer subject does not match. */
export const MAX_SUBJECT_LENGTH = 256 * 1024;
/** Deepest nesting of sub-predicates. */
export const MAX_DEPTH = 32;
/** Most lists and operands in one predicate. */
export const MAX_NODES = 1000;

/** The compiled form: true when `values` (property name → value) satisfy the predicate. */
export type Predicate = (values: Record<string, unknown>) => boolean;

type Operand = (values: Record<string, unknown>) => Comparable | undefined;

const COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"] as const;
type Comparison = (typeof COMPARISONS)[number];
const OPERATORS = ["and", "or", "not", "exists", "true", "false", "re_match", ...COMPARISONS];

function show(v: unknown): string {
  try {
    const s =
      typeof v === "bigint"
        ? `${v}n`
        : (JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x)) ?? String(v));
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}

function lookup(values: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(values, name) ? values[name] : undefined;
}

class Compiler {
  private nodes = 0;

  private count(path: string): void {
    if (++this.nodes > MAX_NODES) {
      throw new PredicateError("TOO_COMPLEX", path, `more than ${MAX_NODES} lists and operands`);
    }
  }

  predicate(expr: unknown, path: string, depth: number): Predicate {
    this.count(path);
    if (depth > MAX_DEPTH) {
      throw new PredicateError(
        "TOO_COMPLEX",
        path,
        `sub-predicates nested deeper than ${MAX_DEPTH}`,
      );
    }
    if (!Array.isArray(expr)) {
      throw new PredicateError(
        "NOT_A_LIST",
        path,
        `expected a list like ["eq", "name", ["quote", "x"]], got ${show(expr)}`,
      );
    }
    if (expr.length === 0) return () => true;
    const op = wireText(expr[0]);
    const operands = expr.slice(1);
    if (op === undefined || !OPERATORS.includes(op)) {
      throw new PredicateError(
        "UNKNOWN_OPERATOR",
        `${path}[0]`,
        `unknown operator ${show(expr[0])} (known: ${OPERATORS.join(", ")})`,
      );
    }
    const arity = (n: number) => {
      if (operands.length !== n) {
        throw new PredicateError(
          "ARITY",
          path,
          `${op} takes ${n} operand${n === 1 ? "" : "s"}, got ${operands.length}`,
        );
      }
    };
    switch (op) {
      case "true":
        arity(0);
        return () => true;
      case "false":
        arity(0);
        return () => false;
      case "and": {
        const subs = operands.map((e, i) => this.predicate(e, `${path}[${i + 1}]`, depth + 1));
        return (values) => {
          for (const p of subs) if (!p(values)) return false;
          return true;
        };
      }
      case "or": {
        const subs = operands.map((e, i) => this.predicate(e, `${path}[${i + 1}]`, depth + 1));
        return (values) => {
          for (const p of subs) if (p(values)) return true;
          return false;
        };
      }
      case "not": {
        arity(1);
        const sub = this.predicate(operands[0], `${path}[1]`, depth + 1);
        return (values) => !sub(values);
      }
      case "exists": {
        arity(1);
        const name = wireText(operands[0]);
        if (name === undefined) {
          throw new PredicateError(
            "BAD_OPERAND",
            `${path}[1]`,
            `exists takes a property name, got ${show(operands[0])}`,
          );
        }
        this.count(`${path}[1]`);
        return (values) => lookup(values, name) !== undefined;
      }
      case "re_match": {
        arity(2);
        return this.reMatch(operands, path);
      }
      default: {
        arity(2);
        const left = this.operand(operands[0], `${path}[1]`);
        const right = this.operand(operands[1], `${path}[2]`);
        return comparison(op as Comparison, left, right);
      }
    }
  }

  /** A property name (bare string), `["quote", literal]`, or a bare number/boolean literal. */
  operand(expr: unknown, path: string): Operand {
    this.count(path);
    const name = wireText(expr);
    if (name !== undefined) {
      return (values) => {
        const v = lookup(values, name);
        return v === undefined ? undefined : comparable(v);
      };
    }
    if (typeof expr === "number" || typeof expr === "bigint" || typeof expr === "boolean") {
      const literal = comparable(expr);
      return () => literal;
    }
    if (Array.isArray(expr) && wireText(expr[0]) === "quote") {
      if (expr.length !== 2) {
        throw new PredicateError("ARITY", path, `quote takes 1 operand, got ${expr.length - 1}`);
      }
      const literal = comparable(expr[1]);
      return () => literal;
    }
    throw new PredicateError(
      "BAD_OPERAND",
      path,
      `an operand is a property name, ["quote", value] or a number, got ${show(expr)}`,
    );
  }

  private reMatch(operands: unknown[], path: string): Predicate {
    const subject = this.operand(operands[0], `${path}[1]`);
    const quoted = operands[1];
    const patternPath = `${path}[2]`;
    this.count(patternPath);
    const pattern =
      Array.isArray(quoted) && quoted.length === 2 && wireText(quoted[0]) === "quote"
        ? wireText(quoted[1])
        : undefined;
    if (pattern === undefined) {
      throw new PredicateError(
        "BAD_PATTERN",
        patternPath,
        `re_match takes a quoted string pattern, ["quote", "…"], got ${show(quoted)}`,
      );
    }
    if (pattern.length > MAX_PATTERN_LENGTH) {
      throw new PredicateError(
        "BAD_PATTERN",
        patternPath,
        `pattern of ${pattern.length} characters (at most ${MAX_PATTERN_LENGTH})`,
      );
    }
    let re: RE2JS;
    try {
      re = loadRe2().compile(pattern);
    } catch (err) {
      throw new PredicateError(
        "BAD_PATTERN",
        patternPath,
        `pattern ${JSON.stringify(pattern)} is not valid RE2 syntax: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return (values) => {
      const c = subject(values);
      if (c === undefined) return false;
      let text: string;
      if (c.kind === "text") text = c.s;
      else if (c.kind === "number") text = String(c.n);
      else if (c.kind === "bool") text = String(c.b);
      else return false;
      if (text.length > MAX_SUBJECT_LENGTH) return false;
      return re.test(text);
    };
  }
}

function comparison(op: Comparison, left: Operand, right: Operand): Predicate {
  // A missing property makes every comparison false, `ne` included.
  switch (op) {
    case "eq":
    case "ne": {
      const want = op === "eq";
      return (values) => {
        const a = left(values);
        if (a === undefined) return false;
        const b = right(values);
        if (b === undefined) return false;
        return equal(a, b) === want;
      };
    }
    default: {
      const test =
        op === "lt"
          ? (o: number) => o < 0
          : op === "le"
            ? (o: number) => o <= 0
            : op === "gt"
              ? (o: number) => o > 0
              : (o: number) => o >= 0;
      return (values) => {
        const a = left(values);
        if (a === undefined) return false;
        const b = right(values);
        if (b === undefined) return false;
        return test(order(a, b));
      };
    }
  }
}

/**
 * Compiles a QMF predicate (prefix lists, see `index.ts`) into a function over a property map.
 * Throws {@link PredicateError} naming the bad part.
 */
export function compilePredicate(expr: unknown): Predicate {
  return new Compiler().predicate(expr, "", 1);
}

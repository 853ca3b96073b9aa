/** What is wrong with a predicate. */
export type PredicateErrorCode =
  /** The predicate (or a sub-predicate) is not a list. */
  | "NOT_A_LIST"
  /** The first element is not one of the operators. */
  | "UNKNOWN_OPERATOR"
  /** Wrong number of operands for the operator. */
  | "ARITY"
  /** An operand that is neither a property name, `["quote", value]` nor a number/boolean. */
  | "BAD_OPERAND"
  /** A `re_match` pattern that is not a quoted string, too long, or not valid RE2 syntax. */
  | "BAD_PATTERN"
  /** Nested deeper, or with more nodes, than the limits. */
  | "TOO_COMPLEX";

/**
 * An invalid predicate. `path` locates the bad part as list indexes from the top, e.g.
 * `[2][1]` is the second element of the third element; the message starts with it.
 */
export class PredicateError extends Error {
  override readonly name = "PredicateError";
  readonly code: PredicateErrorCode;
  readonly path: string;
  /** The problem without the path. */
  readonly detail: string;

  constructor(
    code: PredicateErrorCode,
    path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`predicate${path}: ${detail}`, options);
    this.code = code;
    this.path = path;
    this.detail = detail;
  }
}

/** True when `err` is a {@link PredicateError}. */
export function isPredicateError(err: unknown): err is PredicateError {
  return err instanceof PredicateError;
}

/**
 * QMF predicates (`_where` of a query, the body of `_agent_locate_request`): prefix lists over
 * a map of property values, compiled once into a plain function. Pure: no I/O.
 *
 * **Syntax.** A predicate is a list whose first element is the operator:
 * - `[]` matches everything; `["true"]`, `["false"]`.
 * - `["and", p…]`, `["or", p…]` over any number of sub-predicates (`["and"]` is true,
 *   `["or"]` false); `["not", p]`.
 * - `["eq"|"ne"|"lt"|"le"|"gt"|"ge", a, b]`, `["re_match", a, ["quote", pattern]]`,
 *   `["exists", name]`.
 * - An operand is a property name (a bare string), `["quote", literal]` (any value), or a bare
 *   number, bigint or boolean literal.
 *
 * Example: `["and", ["eq", "name", ["quote", "web1"]], ["ge", "memory", ["quote", 1048576]]]`.
 *
 * **Semantics.** A comparison where a named property is absent is false (`ne` too, so
 * `["not", ["eq", …]]` is the way to say "absent or different"); `exists` is true when the
 * property is present (even when its value is null).
 * - Numbers compare as numbers, exactly, whatever their JS type: number against bigint without
 *   rounding (2^53 + 1 as a bigint is greater than 2^53 as a number); a number or bigint
 *   against a string compares numerically when the string is a decimal number (`"42"`,
 *   `" -1.5e3 "`; integer text is read as a bigint, exactly), else the values are unordered
 *   (`eq` false, `ne` true, `lt`/`le`/`gt`/`ge` false). NaN is unordered.
 * - Two strings compare as text (UTF-16 code unit order), even when both look numeric.
 * - Booleans equal booleans or the text `"true"`/`"false"`; they have no order.
 * - null (void) equals only null. Maps and lists are equal when structurally equal; no order.
 * - A Buffer (long text that came as vbin32) compares as its UTF-8 text; a Uuid as its
 *   lowercase canonical text.
 * - `re_match` searches the subject (use `^…$` to anchor) with RE2 syntax, run by re2js, a
 *   linear-time engine: no pattern can backtrack catastrophically. Patterns are at most
 *   {@link MAX_PATTERN_LENGTH} characters and must be quoted literals (compiled once);
 *   backreferences and lookarounds are not RE2 and are refused. A number or boolean subject is
 *   matched as its decimal/`true`/`false` text; a subject longer than
 *   {@link MAX_SUBJECT_LENGTH} characters, a map, list or null never matches.
 *
 * **Errors.** {@link PredicateError} with a `code` and the `path` of the bad part (list
 * indexes from the top): NOT_A_LIST, UNKNOWN_OPERATOR, ARITY, BAD_OPERAND, BAD_PATTERN,
 * TOO_COMPLEX (deeper than {@link MAX_DEPTH} or more than {@link MAX_NODES} nodes).
 *
 * @module
 */
export {
  compilePredicate,
  MAX_DEPTH,
  MAX_NODES,
  MAX_PATTERN_LENGTH,
  MAX_SUBJECT_LENGTH,
  type Predicate,
} from "./compile.js";
export { isPredicateError, PredicateError, type PredicateErrorCode } from "./errors.js";

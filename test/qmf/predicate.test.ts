import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Uuid } from "../../src/qmf/codec/index.js";
import {
  compilePredicate,
  isPredicateError,
  MAX_PATTERN_LENGTH,
  MAX_SUBJECT_LENGTH,
  type PredicateError,
  type PredicateErrorCode,
} from "../../src/qmf/predicate/index.js";

const q = (v: unknown) => ["quote", v];

/** A domain-like object, with the value kinds the codec produces. */
const DOMAIN: Record<string, unknown> = {
  name: "web1",
  state: "running",
  id: 3,
  memory: 2n ** 53n + 1n, // beyond a double's exact range
  cpu_time: 1_500_000_000n,
  ratio: 0.75,
  version: "10",
  active: true,
  note: null,
  uuid: Uuid.parse("00112233-4455-6677-8899-aabbccddeeff"),
  xml: Buffer.from("<domain type='qemu'><name>web1</name></domain>"),
  tags: ["a", "b"],
  node: { _agent_name: "lvq:agent:h1", _object_name: "Node:1" },
};

function matches(expr: unknown, values: Record<string, unknown> = DOMAIN): boolean {
  return compilePredicate(expr)(values);
}

describe("predicate operators", () => {
  it("[] matches everything; true and false are constants", () => {
    assert.equal(matches([]), true);
    assert.equal(matches([], {}), true);
    assert.equal(matches(["true"]), true);
    assert.equal(matches(["false"]), false);
  });

  it("and / or / not, including the empty forms", () => {
    assert.equal(matches(["and", ["eq", "name", q("web1")], ["eq", "state", q("running")]]), true);
    assert.equal(
      matches(["and", ["eq", "name", q("web1")], ["eq", "state", q("shut off")]]),
      false,
    );
    assert.equal(matches(["or", ["eq", "name", q("db")], ["eq", "state", q("running")]]), true);
    assert.equal(matches(["or", ["eq", "name", q("db")], ["eq", "state", q("paused")]]), false);
    assert.equal(matches(["not", ["eq", "name", q("db")]]), true);
    assert.equal(matches(["not", ["true"]]), false);
    assert.equal(matches(["and"]), true);
    assert.equal(matches(["or"]), false);
    assert.equal(matches(["and", ["or", ["false"], ["not", ["false"]]], ["true"]]), true);
  });

  it("eq ne lt le gt ge on integers", () => {
    const results = ["eq", "ne", "lt", "le", "gt", "ge"].map((op) => [
      matches([op, "id", q(2)]),
      matches([op, "id", q(3)]),
      matches([op, "id", q(4)]),
    ]);
    assert.deepEqual(results, [
      [false, true, false], // eq
      [true, false, true], // ne
      [false, false, true], // lt: 3 < 4
      [false, true, true], // le
      [true, false, false], // gt: 3 > 2
      [true, true, false], // ge
    ]);
  });

  it("exists is true for a present property, even a null one", () => {
    assert.equal(matches(["exists", "name"]), true);
    assert.equal(matches(["exists", "note"]), true);
    assert.equal(matches(["exists", "nope"]), false);
    assert.equal(matches(["exists", "constructor"]), false); // never the prototype's
  });

  it("a comparison with an absent property is false, ne included", () => {
    for (const op of ["eq", "ne", "lt", "le", "gt", "ge"]) {
      assert.equal(matches([op, "nope", q("x")]), false, op);
      assert.equal(matches([op, q("x"), "nope"]), false, op);
    }
    assert.equal(matches(["re_match", "nope", q("")]), false);
    assert.equal(matches(["not", ["eq", "nope", q("x")]]), true);
  });

  it("operands: names on both sides, literals on both sides, bare numbers and booleans", () => {
    assert.equal(matches(["eq", "name", "name"]), true);
    assert.equal(matches(["lt", "id", "cpu_time"]), true);
    assert.equal(matches(["eq", q(1), q(1)]), true);
    assert.equal(matches(["gt", "id", 2]), true);
    assert.equal(matches(["eq", "id", 3n]), true);
    assert.equal(matches(["eq", "active", true]), true);
    // A bare string is a property name, so this compares name with the property "web1".
    assert.equal(matches(["eq", "name", "web1"]), false);
  });
});

describe("predicate: numbers compare as numbers", () => {
  it("number against bigint, exactly beyond 2^53", () => {
    assert.equal(matches(["gt", "memory", q(2 ** 53)]), true); // 2^53+1 > 2^53
    assert.equal(matches(["eq", "memory", q(2 ** 53)]), false);
    assert.equal(matches(["eq", "cpu_time", q(1.5e9)]), true);
    assert.equal(matches(["lt", "cpu_time", q(1_500_000_000.5)]), true);
    assert.equal(matches(["gt", "cpu_time", q(1_499_999_999.5)]), true);
    assert.equal(matches(["lt", "cpu_time", q(Infinity)]), true);
    assert.equal(matches(["gt", "cpu_time", q(-Infinity)]), true);
  });

  it("number or bigint against a numeric string, exactly", () => {
    assert.equal(matches(["eq", "id", q("3")]), true);
    assert.equal(matches(["eq", "id", q(" 3.0 ")]), true);
    assert.equal(matches(["lt", "id", q("1e1")]), true);
    assert.equal(matches(["eq", "memory", q("9007199254740993")]), true); // 2^53+1 as text
    assert.equal(matches(["gt", "memory", q("9007199254740992")]), true);
    assert.equal(matches(["ge", "ratio", q(".75")]), true);
    assert.equal(matches(["lt", q("-5"), "id"]), true);
  });

  it("a number against non-numeric text is unordered: only ne holds", () => {
    assert.deepEqual(
      ["eq", "ne", "lt", "le", "gt", "ge"].map((op) => matches([op, "id", q("three")])),
      [false, true, false, false, false, false],
    );
  });

  it("NaN is unordered", () => {
    assert.deepEqual(
      ["eq", "ne", "lt", "le", "gt", "ge"].map((op) => matches([op, "x", q(Number.NaN)], { x: 1 })),
      [false, true, false, false, false, false],
    );
  });

  it("two strings compare as text even when both look numeric", () => {
    assert.equal(matches(["lt", "version", q("9")]), true); // "10" < "9" as text
    assert.equal(matches(["lt", "name", q("web2")]), true);
    assert.equal(matches(["ge", "name", q("web1")]), true);
    assert.equal(matches(["eq", "version", q("10.0")]), false);
  });

  it("agrees with exact integer comparison for any mix of number, bigint and numeric text", () => {
    const integer = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.bigInt({ min: -1000n, max: 1000n }),
    );
    const spelled = (n: bigint) =>
      fc.constantFrom<unknown>(
        n,
        `${n}`,
        ...(n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
          ? [Number(n)]
          : []),
      );
    fc.assert(
      fc.property(
        integer.chain((a) => fc.tuple(fc.constant(a), spelled(a))),
        integer.chain((b) => fc.tuple(fc.constant(b), spelled(b))),
        ([a, av], [b, bv]) => {
          if (typeof av === "string" && typeof bv === "string") return; // text order, tested above
          const values = { a: av, b: bv };
          assert.equal(matches(["lt", "a", "b"], values), a < b);
          assert.equal(matches(["le", "a", "b"], values), a <= b);
          assert.equal(matches(["eq", "a", "b"], values), a === b);
          assert.equal(matches(["ne", "a", "b"], values), a !== b);
          assert.equal(matches(["ge", "a", "b"], values), a >= b);
          assert.equal(matches(["gt", "a", "b"], values), a > b);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("predicate: other kinds of values", () => {
  it("booleans equal booleans or their text, and have no order", () => {
    assert.equal(matches(["eq", "active", q(true)]), true);
    assert.equal(matches(["eq", "active", q("true")]), true);
    assert.equal(matches(["eq", "active", q(1)]), false);
    assert.equal(matches(["ne", "active", q(false)]), true);
    assert.equal(matches(["gt", "active", q(false)]), false);
  });

  it("null equals only null", () => {
    assert.equal(matches(["eq", "note", q(null)]), true);
    assert.equal(matches(["eq", "note", q("")]), false);
    assert.equal(matches(["eq", "note", q(0)]), false);
    assert.equal(matches(["lt", "note", q(1)]), false);
  });

  it("maps and lists compare structurally, with no order", () => {
    assert.equal(matches(["eq", "tags", q(["a", "b"])]), true);
    assert.equal(matches(["eq", "tags", q(["b", "a"])]), false);
    assert.equal(
      matches(["eq", "node", q({ _agent_name: "lvq:agent:h1", _object_name: "Node:1" })]),
      true,
    );
    assert.equal(
      matches(["ne", "node", q({ _agent_name: "lvq:agent:h2", _object_name: "Node:1" })]),
      true,
    );
    assert.equal(matches(["lt", "tags", q(["z"])]), false);
  });

  it("a Uuid compares as its canonical text and a Buffer as its UTF-8 text", () => {
    assert.equal(matches(["eq", "uuid", q("00112233-4455-6677-8899-aabbccddeeff")]), true);
    assert.equal(
      matches(["eq", "uuid", q(Uuid.parse("00112233-4455-6677-8899-AABBCCDDEEFF"))]),
      true,
    );
    assert.equal(matches(["eq", "xml", q("<domain type='qemu'><name>web1</name></domain>")]), true);
    assert.equal(matches(["eq", "x", q("7")], { x: Buffer.from("7") }), true);
  });
});

describe("predicate: re_match", () => {
  it("searches the subject with RE2 syntax; anchors and flags work", () => {
    assert.equal(matches(["re_match", "name", q("eb")]), true);
    assert.equal(matches(["re_match", "name", q("^eb")]), false);
    assert.equal(matches(["re_match", "name", q("^web\\d+$")]), true);
    assert.equal(matches(["re_match", "name", q("^WEB")]), false);
    assert.equal(matches(["re_match", "name", q("(?i)^WEB")]), true);
    assert.equal(matches(["re_match", "state", q("^(running|paused)$")]), true);
    assert.equal(matches(["re_match", "xml", q("<name>web1</name>")]), true);
    assert.equal(matches(["re_match", "uuid", q("^0011")]), true);
  });

  it("matches numbers and booleans as their text; maps, lists and null never match", () => {
    assert.equal(matches(["re_match", "memory", q("^9007199254740993$")]), true);
    assert.equal(matches(["re_match", "ratio", q("^0\\.75$")]), true);
    assert.equal(matches(["re_match", "active", q("^true$")]), true);
    assert.equal(matches(["re_match", "tags", q("a")]), false);
    assert.equal(matches(["re_match", "node", q(".")]), false);
    assert.equal(matches(["re_match", "note", q(".*")]), false);
  });

  it("runs patterns that backtrack catastrophically elsewhere in linear time", {
    timeout: 10_000,
  }, () => {
    const evil = `${"a".repeat(MAX_SUBJECT_LENGTH - 1)}!`;
    assert.equal(matches(["re_match", "s", q("^(a+)+$")], { s: evil }), false);
    assert.equal(matches(["re_match", "s", q("^(a|aa)*$")], { s: evil }), false);
    assert.equal(matches(["re_match", "s", q("(.*a){20}x")], { s: evil }), false);
    assert.equal(matches(["re_match", "s", q("^(a+)+!$")], { s: evil }), true);
  });

  it("a subject longer than the limit never matches", () => {
    assert.equal(matches(["re_match", "s", q("a")], { s: "a".repeat(MAX_SUBJECT_LENGTH) }), true);
    assert.equal(
      matches(["re_match", "s", q("a")], { s: "a".repeat(MAX_SUBJECT_LENGTH + 1) }),
      false,
    );
  });
});

function predicateError(expr: unknown): PredicateError {
  try {
    compilePredicate(expr);
  } catch (err) {
    assert.ok(isPredicateError(err), `expected a PredicateError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a PredicateError");
}

const INVALID: [string, unknown, PredicateErrorCode, string, string][] = [
  [
    "not a list",
    "name",
    "NOT_A_LIST",
    "",
    'expected a list like ["eq", "name", ["quote", "x"]], got "name"',
  ],
  ["null", null, "NOT_A_LIST", "", 'expected a list like ["eq", "name", ["quote", "x"]], got null'],
  [
    "a map",
    { eq: 1 },
    "NOT_A_LIST",
    "",
    'expected a list like ["eq", "name", ["quote", "x"]], got {"eq":1}',
  ],
  [
    "a sub-predicate that is not a list",
    ["and", ["true"], "x"],
    "NOT_A_LIST",
    "[2]",
    'expected a list like ["eq", "name", ["quote", "x"]], got "x"',
  ],
  [
    "an unknown operator",
    ["and", ["true"], ["like", "name", q("w%")]],
    "UNKNOWN_OPERATOR",
    "[2][0]",
    'unknown operator "like" (known: and, or, not, exists, true, false, re_match, eq, ne, lt, le, gt, ge)',
  ],
  ["an upper-case operator", ["EQ", "a", 1], "UNKNOWN_OPERATOR", "[0]", 'unknown operator "EQ"'],
  ["a non-string operator", [7, "a"], "UNKNOWN_OPERATOR", "[0]", "unknown operator 7"],
  ["eq with one operand", ["eq", "a"], "ARITY", "", "eq takes 2 operands, got 1"],
  ["ge with three operands", ["ge", "a", 1, 2], "ARITY", "", "ge takes 2 operands, got 3"],
  ["not with two", ["not", ["true"], ["true"]], "ARITY", "", "not takes 1 operand, got 2"],
  ["exists with none", ["exists"], "ARITY", "", "exists takes 1 operand, got 0"],
  ["true with an operand", ["true", 1], "ARITY", "", "true takes 0 operands, got 1"],
  ["re_match with one", ["re_match", "a"], "ARITY", "", "re_match takes 2 operands, got 1"],
  ["quote with two", ["eq", "a", ["quote", 1, 2]], "ARITY", "[2]", "quote takes 1 operand, got 2"],
  [
    "an operand that is a nested predicate",
    ["eq", ["eq", "a", 1], 1],
    "BAD_OPERAND",
    "[1]",
    'an operand is a property name, ["quote", value] or a number, got ["eq","a",1]',
  ],
  [
    "an operand that is null",
    ["or", ["lt", "a", null]],
    "BAD_OPERAND",
    "[1][2]",
    'an operand is a property name, ["quote", value] or a number, got null',
  ],
  [
    "exists on a literal",
    ["exists", ["quote", "a"]],
    "BAD_OPERAND",
    "[1]",
    'exists takes a property name, got ["quote","a"]',
  ],
  [
    "re_match with an unquoted pattern",
    ["re_match", "name", "pattern"],
    "BAD_PATTERN",
    "[2]",
    're_match takes a quoted string pattern, ["quote", "…"], got "pattern"',
  ],
  [
    "re_match with a number pattern",
    ["re_match", "name", q(5)],
    "BAD_PATTERN",
    "[2]",
    're_match takes a quoted string pattern, ["quote", "…"], got ["quote",5]',
  ],
  [
    "re_match with a backreference",
    ["re_match", "name", q("(a)\\1")],
    "BAD_PATTERN",
    "[2]",
    'pattern "(a)\\\\1" is not valid RE2 syntax: error parsing regexp: invalid escape sequence: `\\1`',
  ],
  [
    "re_match with a lookahead",
    ["re_match", "name", q("a(?=b)")],
    "BAD_PATTERN",
    "[2]",
    'pattern "a(?=b)" is not valid RE2 syntax: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
  ],
  [
    "re_match with unbalanced parentheses",
    ["re_match", "name", q("(a")],
    "BAD_PATTERN",
    "[2]",
    'pattern "(a" is not valid RE2 syntax: error parsing regexp: missing closing ): `(a`',
  ],
  [
    "re_match with a too long pattern",
    ["re_match", "name", q("a".repeat(MAX_PATTERN_LENGTH + 1))],
    "BAD_PATTERN",
    "[2]",
    `pattern of ${MAX_PATTERN_LENGTH + 1} characters (at most ${MAX_PATTERN_LENGTH})`,
  ],
];

describe("predicate: invalid predicates are PredicateErrors naming the bad part", () => {
  for (const [what, expr, code, path, detail] of INVALID) {
    it(what, () => {
      const err = predicateError(expr);
      assert.equal(err.code, code);
      assert.equal(err.path, path);
      assert.ok(err.detail.startsWith(detail), `${err.detail}\nshould start with\n${detail}`);
      assert.equal(err.message, `predicate${path}: ${err.detail}`);
      assert.equal(err.name, "PredicateError");
    });
  }

  it("nesting deeper than 32", () => {
    let deep: unknown = ["true"];
    for (let i = 0; i < 31; i++) deep = ["not", deep];
    assert.equal(matches(deep), false); // 32 levels: 31 × not over true
    const err = predicateError(["not", deep]);
    assert.equal(err.code, "TOO_COMPLEX");
    assert.equal(err.path, "[1]".repeat(32));
    assert.equal(err.detail, "sub-predicates nested deeper than 32");
  });

  it("more than 1000 nodes", () => {
    const wide = ["or", ...Array.from({ length: 333 }, (_, i) => ["eq", "id", q(i)])];
    assert.equal(matches(wide), true); // 1 + 333 × 3 = 1000 nodes
    const err = predicateError([...wide, ["true"]]);
    assert.equal(err.code, "TOO_COMPLEX");
    assert.equal(err.detail, "more than 1000 lists and operands");
  });

  it("property names and operators may arrive as Buffers (long text from another peer)", () => {
    assert.equal(matches([Buffer.from("eq"), Buffer.from("name"), q("web1")]), true);
  });
});

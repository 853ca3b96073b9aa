import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CodecError,
  type CodecErrorCode,
  decodeList,
  decodeMap,
  encodeList,
  encodeMap,
  isCodecError,
  type QmfValue,
  TypeCode,
  typed,
  typedArray,
  Uuid,
} from "../../src/qmf/codec/index.js";

/** Hex with spaces and `|` separators allowed, for annotated byte strings. */
function hex(annotated: string): Buffer {
  return Buffer.from(annotated.replace(/[\s|]/g, ""), "hex");
}

/** A list body holding one item: size (uint32) = 4 (count) + item bytes, count = 1. */
function oneItemList(item: string): Buffer {
  const body = hex(item);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(4 + body.length, 0);
  head.writeUInt32BE(1, 4);
  return Buffer.concat([head, body]);
}

function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    assert.ok(isCodecError(err), `expected CodecError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a CodecError, nothing was thrown");
}

function assertDecodeError(body: Buffer, code: CodecErrorCode, offset: number, text: RegExp) {
  const err = codecError(() => decodeMap(body));
  assert.equal(err.code, code);
  assert.equal(err.offset, offset);
  assert.match(err.message, text);
}

// One row per type code: the JS value, the item bytes (type code | value), the decoded value.
const GOLDEN: [string, QmfValue, string, QmfValue][] = [
  ["int8 0x01", typed("int8", -2), "01 | fe", -2],
  ["uint8 0x02", typed("uint8", 200), "02 | c8", 200],
  ["bool 0x08 true", true, "08 | 01", true],
  ["bool 0x08 false", false, "08 | 00", false],
  ["int16 0x11", typed("int16", -300), "11 | fe d4", -300],
  ["uint16 0x12", typed("uint16", 65535), "12 | ff ff", 65535],
  ["int32 0x21 (default for small integers)", -2, "21 | ff ff ff fe", -2],
  ["uint32 0x22", typed("uint32", 4_000_000_000), "22 | ee 6b 28 00", 4_000_000_000],
  ["float 0x23", typed("float", 1.5), "23 | 3f c0 00 00", 1.5],
  ["int64 0x31 (bigint)", 2n ** 40n, "31 | 00 00 01 00 00 00 00 00", 2n ** 40n],
  [
    "int64 0x31 (safe integer beyond int32)",
    -(2 ** 40),
    "31 | ff ff ff 00 00 00 00 00",
    -(2n ** 40n),
  ],
  [
    "uint64 0x32 (bigint above int64)",
    2n ** 64n - 1n,
    "32 | ff ff ff ff ff ff ff ff",
    2n ** 64n - 1n,
  ],
  ["uint64 0x32 (typed small)", typed("uint64", 5), "32 | 00 00 00 00 00 00 00 05", 5n],
  ["double 0x33 (fraction)", 0.5, "33 | 3f e0 00 00 00 00 00 00", 0.5],
  [
    "datetime 0x38",
    typed("datetime", 1_000_000_000n),
    "38 | 00 00 00 00 3b 9a ca 00",
    1_000_000_000n,
  ],
  [
    "uuid 0x48",
    Uuid.parse("00112233-4455-6677-8899-AABBCCDDEEFF"),
    "48 | 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff",
    Uuid.parse("00112233-4455-6677-8899-aabbccddeeff"),
  ],
  ["vbin8 0x80", typed("vbin8", Buffer.from([1, 2])), "80 | 02 | 01 02", Buffer.from([1, 2])],
  ["str8 0x85 (UTF-8)", typed("str8", "hé"), "85 | 03 | 68 c3 a9", "hé"],
  ["vbin16 0x90 (default for Buffer)", Buffer.from([0xab]), "90 | 00 01 | ab", Buffer.from([0xab])],
  ["str16 0x95 (default for string)", "ab", "95 | 00 02 | 61 62", "ab"],
  ["vbin32 0xa0", typed("vbin32", Buffer.from([7])), "a0 | 00 00 00 01 | 07", Buffer.from([7])],
  // map: size 7 = count(4) + key len(1) + "k"(1) + void code(1)
  ["map 0xa8", { k: null }, "a8 | 00 00 00 07 | 00 00 00 01 | 01 6b | f0", { k: null }],
  // list: size 9 = count(4) + int32 item(5)
  ["list 0xa9", [1], "a9 | 00 00 00 09 | 00 00 00 01 | 21 00 00 00 01", [1]],
  // array: size 9 = element type(1) + count(4) + 2 × uint16
  [
    "array 0xaa",
    typedArray("uint16", [1, 2]),
    "aa | 00 00 00 09 | 12 | 00 00 00 02 | 00 01 | 00 02",
    [1, 2],
  ],
  ["void 0xf0 (null)", null, "f0", null],
  ["void 0xf0 (undefined)", undefined, "f0", null],
];

describe("codec golden bytes", () => {
  for (const [name, value, item, decoded] of GOLDEN) {
    it(`encodes and decodes ${name}`, () => {
      const expected = oneItemList(item);
      assert.deepEqual(encodeList([value]), expected);
      assert.deepEqual(decodeList(expected), [decoded]);
    });
  }

  it("covers every type code of QMF.md", () => {
    const codes = new Set(GOLDEN.map(([, , item]) => Number.parseInt(item.slice(0, 2), 16)));
    assert.deepEqual(
      [...codes].sort((a, b) => a - b),
      Object.values(TypeCode).sort((a, b) => a - b),
    );
  });

  it("encodes a map body with its size, count and entries in insertion order", () => {
    const body = hex(
      "00 00 00 1a | 00 00 00 02" + // size 26 = 4 + 15 + 7, two entries
        "05 5f 77 68 61 74 | 95 00 06 4f 42 4a 45 43 54" + // "_what": str16 "OBJECT"
        "01 6e | 21 00 00 00 07", // "n": int32 7
    );
    assert.deepEqual(encodeMap({ _what: "OBJECT", n: 7 }), body);
    assert.deepEqual(decodeMap(body), { _what: "OBJECT", n: 7 });
  });

  it("encodes empty bodies as size 4, count 0 and accepts qpid's bare size 0 and a 0-byte body", () => {
    assert.deepEqual(encodeMap({}), hex("00 00 00 04 | 00 00 00 00"));
    assert.deepEqual(encodeList([]), hex("00 00 00 04 | 00 00 00 00"));
    assert.deepEqual(decodeMap(hex("00 00 00 00")), {});
    assert.deepEqual(decodeList(hex("00 00 00 00")), []);
    assert.deepEqual(decodeMap(Buffer.alloc(0)), {});
    assert.deepEqual(decodeList(Buffer.alloc(0)), []);
    assert.deepEqual(decodeList(oneItemList("a8 00 00 00 00")), [{}]);
    assert.deepEqual(decodeList(oneItemList("aa 00 00 00 00")), [[]]);
  });

  it("encodes an empty array with its element type and count 0", () => {
    assert.deepEqual(
      encodeList([typedArray("str16", [])]),
      oneItemList("aa 00 00 00 05 95 00 00 00 00"),
    );
  });

  it("writes text over 65535 UTF-8 bytes as vbin32, reading it back as a Buffer", () => {
    const text = "é".repeat(40_000); // 80,000 bytes
    const body = encodeList([text]);
    assert.deepEqual(body.subarray(8, 13), hex("a0 00 01 38 80"));
    const [back] = decodeList(body);
    assert.ok(Buffer.isBuffer(back));
    assert.equal(back.toString("utf8"), text);
    const exact = "a".repeat(65_535);
    assert.deepEqual(encodeList([exact]).subarray(8, 11), hex("95 ff ff"));
    assert.deepEqual(decodeList(encodeList([exact])), [exact]);
  });

  it("writes a Buffer over 65535 bytes as vbin32", () => {
    const big = Buffer.alloc(70_000, 3);
    const body = encodeList([big]);
    assert.deepEqual(body.subarray(8, 13), hex("a0 00 01 11 70"));
    assert.deepEqual(decodeList(body), [big]);
  });

  it("encodes -0, NaN, Infinity and unsafe integers as double", () => {
    const [negZero, nan, inf, huge] = decodeList(encodeList([-0, Number.NaN, Infinity, 2 ** 60]));
    assert.ok(Object.is(negZero, -0));
    assert.ok(Number.isNaN(nan));
    assert.equal(inf, Infinity);
    assert.equal(huge, 2 ** 60);
    assert.equal(encodeList([2 ** 60])[8], TypeCode.double);
  });

  it("keeps a __proto__ key as an own property instead of changing the prototype", () => {
    const body = hex("00 00 00 13 | 00 00 00 01 | 09 5f 5f 70 72 6f 74 6f 5f 5f | 21 00 00 00 01");
    const m = decodeMap(body);
    assert.equal(Object.getPrototypeOf(m), Object.prototype);
    assert.deepEqual(Object.keys(m), ["__proto__"]);
    assert.equal(Object.getOwnPropertyDescriptor(m, "__proto__")?.value, 1);
  });

  it("nests maps and lists", () => {
    const value = { a: [{ b: [1, "x", { c: null }] }], d: { e: { f: 2n } } };
    assert.deepEqual(decodeMap(encodeMap(value)), value);
  });
});

describe("codec: Uuid", () => {
  it("parses, prints lowercase, compares by bytes", () => {
    const u = Uuid.parse("0F8FAD5B-D9CB-469F-A165-70867728950E");
    assert.equal(u.toString(), "0f8fad5b-d9cb-469f-a165-70867728950e");
    assert.equal(JSON.stringify({ u }), '{"u":"0f8fad5b-d9cb-469f-a165-70867728950e"}');
    assert.ok(u.equals(Uuid.parse("0f8fad5b-d9cb-469f-a165-70867728950e")));
    assert.equal(u.equals(Uuid.random()), false);
    assert.equal(u.equals("0f8fad5b-d9cb-469f-a165-70867728950e"), false);
  });

  it("makes version 4 random UUIDs", () => {
    const u = Uuid.random();
    assert.match(
      u.toString(),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("rejects malformed text and wrong byte counts", () => {
    assert.throws(() => Uuid.parse("0f8fad5b-d9cb-469f-a165-70867728950"), {
      name: "TypeError",
      message: 'not a UUID (want 8-4-4-4-12 hex digits): "0f8fad5b-d9cb-469f-a165-70867728950"',
    });
    assert.throws(() => Uuid.fromBytes(Buffer.alloc(15)), {
      name: "TypeError",
      message: "a UUID has 16 bytes, got 15",
    });
  });
});

describe("codec: typed() checks the value fits", () => {
  const cases: [Parameters<typeof typed>[0], unknown, string][] = [
    ["int8", 128, "cannot encode 128 as int8: out of range -128..127"],
    ["uint8", -1, "cannot encode -1 as uint8: out of range 0..255"],
    ["int16", 1.5, "cannot encode 1.5 as int16: not an integer"],
    ["uint16", 65536, "cannot encode 65536 as uint16: out of range 0..65535"],
    ["int32", 2 ** 31, "cannot encode 2147483648 as int32: out of range -2147483648..2147483647"],
    ["uint32", "7", 'cannot encode "7" as uint32: not an integer'],
    [
      "int64",
      2 ** 63,
      "cannot encode 9223372036854776000 as int64: not a safe integer (use a bigint)",
    ],
    ["uint64", -1n, "cannot encode -1n as uint64: out of range 0..18446744073709551615"],
    ["bool", 1, "cannot encode 1 as bool: not a boolean"],
    ["float", "1", 'cannot encode "1" as float: not a number'],
    [
      "str8",
      "x".repeat(256),
      `cannot encode "${"x".repeat(56)}... as str8: 256 bytes, at most 255 fit`,
    ],
    ["str16", 5, "cannot encode 5 as str16: not a string"],
    ["uuid", "nope", 'cannot encode "nope" as uuid: not a UUID string'],
    ["map", [], "cannot encode [] as map: not a plain object"],
    ["list", {}, "cannot encode {} as list: not an array"],
    ["void", 0, "cannot encode 0 as void: void carries no value"],
    ["array", [], "cannot encode [] as array: use typedArray() for arrays"],
  ];
  for (const [type, value, message] of cases) {
    it(`refuses ${type} ${message.split(": ").at(-1)}`, () => {
      const err = codecError(() => typed(type, value));
      assert.equal(err.code, "UNENCODABLE");
      assert.equal(err.offset, -1);
      assert.equal(err.message, message);
    });
  }

  it("accepts a uuid string and a bigint for small types", () => {
    assert.deepEqual(
      decodeList(
        encodeList([typed("uuid", "00112233-4455-6677-8899-aabbccddeeff"), typed("int8", -3n)]),
      ),
      [Uuid.parse("00112233-4455-6677-8899-aabbccddeeff"), -3],
    );
  });

  it("checks each array element", () => {
    const err = codecError(() => typedArray("uint8", [1, 300]));
    assert.equal(err.message, "cannot encode 300 as uint8: out of range 0..255");
    assert.equal(
      codecError(() => typedArray("array", [])).message,
      "unsupported array element type array",
    );
  });
});

describe("codec: values with no wire form", () => {
  it("names the path to the bad value", () => {
    const err = codecError(() =>
      encodeMap({ _values: { list: [1, { when: new Date(0) }] } } as never),
    );
    assert.equal(err.code, "UNENCODABLE");
    assert.equal(err.path, "_values.list[1].when");
    assert.equal(
      err.message,
      "a Date has no wire form (use a plain object, array, Buffer, Uuid or typed()) at _values.list[1].when",
    );
  });

  it("refuses functions, symbols, class instances, Maps and out-of-range bigints", () => {
    assert.equal(
      codecError(() => encodeList([(() => 1) as never])).message,
      "a function has no wire form at [0]",
    );
    assert.equal(
      codecError(() => encodeList([Symbol("s") as never])).message,
      "a symbol has no wire form at [0]",
    );
    assert.match(
      codecError(() => encodeList([new Map() as never])).message,
      /^a Map has no wire form/,
    );
    assert.equal(
      codecError(() => encodeList([2n ** 64n])).message,
      "bigint 18446744073709551616 is outside int64 and uint64 at [0]",
    );
    assert.equal(
      codecError(() => encodeList([-(2n ** 63n) - 1n])).message,
      "bigint -9223372036854775809 is outside int64 and uint64 at [0]",
    );
  });

  it("refuses map keys over 255 UTF-8 bytes", () => {
    assert.doesNotThrow(() => encodeMap({ ["k".repeat(255)]: 1 }));
    assert.equal(
      codecError(() => encodeMap({ ["é".repeat(128)]: 1 })).message,
      'map key "éééééééééééééééééééé..." is 256 bytes (at most 255)',
    );
    assert.equal(
      codecError(() => encodeMap({ a: { ["k".repeat(256)]: 1 } })).message,
      'map key "kkkkkkkkkkkkkkkkkkkk..." is 256 bytes (at most 255) at a',
    );
  });

  it("refuses a cycle and nesting deeper than 64", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const err = codecError(() => encodeMap(cyclic as never));
    assert.equal(err.code, "TOO_DEEP");
    let deep: QmfValue = [];
    for (let i = 0; i < 63; i++) deep = [deep];
    assert.doesNotThrow(() => encodeList(deep as QmfValue[])); // 64 levels
    assert.equal(codecError(() => encodeList([deep])).code, "TOO_DEEP"); // 65 levels
  });

  it("refuses a body that is not a plain object or array", () => {
    assert.equal(
      codecError(() => encodeMap([] as never)).message,
      "a map body must be a plain object, got Array",
    );
    assert.equal(
      codecError(() => encodeList({} as never)).message,
      "a list body must be an array, got Object",
    );
  });
});

describe("codec: malformed bodies are CodecErrors with the offset", () => {
  it("a truncated size field", () => {
    assertDecodeError(hex("00 00 00"), "TRUNCATED", 0, /^map size needs 4 bytes but only 3 remain/);
  });

  it("a size larger than the body", () => {
    assertDecodeError(
      hex("00 00 00 ff 00 00 00 00"),
      "TRUNCATED",
      0,
      /^map size 255 exceeds the 4 bytes remaining/,
    );
  });

  it("a count that cannot fit in the size", () => {
    assertDecodeError(
      hex("00 00 00 06 ff ff ff ff 00 f0"),
      "BAD_COUNT",
      4,
      /^map count 4294967295 cannot fit in 2 bytes/,
    );
    const err = codecError(() => decodeList(hex("00 00 00 05 00 00 00 02 f0")));
    assert.equal(err.code, "BAD_COUNT");
    assert.equal(err.offset, 4);
  });

  it("a key longer than the bytes left", () => {
    assertDecodeError(
      hex("00 00 00 07 00 00 00 01 09 61 f0"),
      "TRUNCATED",
      8,
      /^map key length 9 exceeds the 2 bytes remaining/,
    );
  });

  it("an unknown type code", () => {
    assertDecodeError(
      hex("00 00 00 07 00 00 00 01 01 61 77"),
      "BAD_TYPE_CODE",
      10,
      /^unknown type code 0x77/,
    );
  });

  it("a fixed-width value cut short by its container", () => {
    // The inner list claims 6 bytes: count + a int32 code + only 1 of its 4 bytes.
    const err = codecError(() =>
      decodeList(hex("00 00 00 13 00 00 00 01 a9 00 00 00 06 00 00 00 01 21 00 00 00 00 00 00")),
    );
    assert.equal(err.code, "TRUNCATED");
    assert.equal(err.offset, 18);
    assert.match(err.message, /^int32 needs 4 bytes but only 1 remain/);
  });

  it("a string length past the end", () => {
    const err = codecError(() => decodeList(oneItemList("95 ff ff 61")));
    assert.equal(err.code, "TRUNCATED");
    assert.equal(err.offset, 9);
    assert.match(err.message, /^str16 length 65535 exceeds the 1 bytes remaining/);
    const err32 = codecError(() => decodeList(oneItemList("a0 ff ff ff ff")));
    assert.equal(err32.code, "TRUNCATED");
    assert.match(err32.message, /^vbin32 length 4294967295 exceeds the 0 bytes remaining/);
  });

  it("a size field that disagrees with the items", () => {
    // size says 10 (count + 6 bytes) but the single int32 item takes 5.
    const err = codecError(() => decodeList(hex("00 00 00 0a 00 00 00 01 21 00 00 00 01 00")));
    assert.equal(err.code, "SIZE_MISMATCH");
    assert.equal(err.offset, 13);
  });

  it("bytes after the body", () => {
    const err = codecError(() => decodeList(hex("00 00 00 04 00 00 00 00 00")));
    assert.equal(err.code, "TRAILING_BYTES");
    assert.equal(err.offset, 8);
    assert.match(err.message, /^1 bytes after the end of the body/);
  });

  it("an array whose count disagrees with its size, an unknown element type, void elements", () => {
    const mismatch = codecError(() =>
      decodeList(oneItemList("aa 00 00 00 07 21 00 00 00 02 00 00")),
    );
    assert.equal(mismatch.code, "SIZE_MISMATCH");
    assert.match(mismatch.message, /^array of 2 × 4-byte items in 2 bytes/);
    const unknown = codecError(() => decodeList(oneItemList("aa 00 00 00 05 77 00 00 00 00")));
    assert.equal(unknown.code, "BAD_TYPE_CODE");
    assert.equal(unknown.offset, 13);
    const voids = codecError(() => decodeList(oneItemList("aa 00 00 00 05 f0 ff ff ff ff")));
    assert.equal(voids.code, "BAD_TYPE_CODE");
    assert.match(voids.message, /^array of void elements is not accepted/);
    const count = codecError(() => decodeList(oneItemList("aa 00 00 00 06 95 ff ff ff ff 00")));
    assert.equal(count.code, "BAD_COUNT");
  });

  it("nesting deeper than the limit, without exhausting the stack", () => {
    // 100,000 nested lists, each claiming the rest of the body.
    const depth = 100_000;
    const body = Buffer.alloc(depth * 9 - 1);
    for (let i = 0; i < depth; i++) {
      const at = i * 9;
      body.writeUInt32BE(body.length - at - 4, at);
      if (at + 8 <= body.length) body.writeUInt32BE(1, at + 4);
      if (at + 8 < body.length) body[at + 8] = TypeCode.list;
    }
    const err = codecError(() => decodeList(body));
    assert.equal(err.code, "TOO_DEEP");
    assert.equal(err.offset, 64 * 9);
    assert.match(err.message, /^containers nested deeper than 64/);
  });

  it("honours a custom maxDepth", () => {
    const body = encodeMap({ a: { b: { c: 1 } } });
    assert.deepEqual(decodeMap(body, { maxDepth: 3 }), { a: { b: { c: 1 } } });
    assert.equal(codecError(() => decodeMap(body, { maxDepth: 2 })).code, "TOO_DEEP");
  });

  it("a non-Buffer body", () => {
    assert.equal(
      codecError(() => decodeMap("abc" as never)).message,
      "body is not a Buffer (byte 0)",
    );
  });

  it("invalid UTF-8 decodes with replacement characters, not an exception", () => {
    assert.deepEqual(decodeList(oneItemList("95 00 02 ff fe")), ["\ufffd\ufffd"]);
  });
});

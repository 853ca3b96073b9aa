import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeList, encodeList, TypeCode, Uuid } from "../../src/qmf/codec/index.js";
import {
  checkArgument,
  fromWire,
  LSTR_MAX_BYTES,
  type QmfType,
  type SchemaArg,
  toWire,
} from "../../src/qmf/schema/index.js";

const U = "00112233-4455-6677-8899-aabbccddeeff";

/** The wire type code toWire chose, and the value as the peer decodes it. */
function onTheWire(type: QmfType, value: unknown): [number, unknown] {
  const body = encodeList([toWire(type, value)]);
  return [body[8]!, decodeList(body)[0]];
}

function arg(type: QmfType, name = "a"): SchemaArg {
  return { name, type, dir: "I" };
}

describe("schema values: toWire puts each type on the wire with its exact code", () => {
  const cases: [QmfType, unknown, number, unknown][] = [
    ["uint8", 255, TypeCode.uint8, 255],
    ["uint16", 65535n, TypeCode.uint16, 65535],
    ["uint32", 4_294_967_295, TypeCode.uint32, 4_294_967_295],
    ["uint64", 2n ** 64n - 1n, TypeCode.uint64, 2n ** 64n - 1n],
    ["uint64", 7, TypeCode.uint64, 7n],
    ["int8", -128, TypeCode.int8, -128],
    ["int16", -32768, TypeCode.int16, -32768],
    ["int32", -1, TypeCode.int32, -1],
    ["int64", -(2n ** 63n), TypeCode.int64, -(2n ** 63n)],
    ["bool", false, TypeCode.bool, false],
    ["float", 0.5, TypeCode.float, 0.5],
    ["double", 3, TypeCode.double, 3],
    ["sstr", "web1", TypeCode.str16, "web1"],
    ["lstr", "<domain/>", TypeCode.str16, "<domain/>"],
    ["absTime", 1_700_000_000_000_000_000n, TypeCode.int64, 1_700_000_000_000_000_000n],
    ["absTime", new Date(1000), TypeCode.int64, 1_000_000_000n],
    ["deltaTime", 5n, TypeCode.uint64, 5n],
    ["uuid", U, TypeCode.uuid, Uuid.parse(U)],
    ["map", { a: 1 }, TypeCode.map, { a: 1 }],
    ["list", [1, "x"], TypeCode.list, [1, "x"]],
    [
      "objId",
      { _agent_name: "a:b:c", _object_name: "Domain:1", _agent_epoch: 3 },
      TypeCode.map,
      { _agent_name: "a:b:c", _object_name: "Domain:1", _agent_epoch: 3 },
    ],
    [
      "objId",
      { agentName: "a:b:c", objectName: "Domain:1" },
      TypeCode.map,
      { _agent_name: "a:b:c", _object_name: "Domain:1" },
    ],
  ];
  for (const [type, value, code, decoded] of cases) {
    it(`${type} ${value instanceof Date ? "Date" : typeof value} → 0x${code.toString(16)}`, () => {
      assert.deepEqual(onTheWire(type, value), [code, decoded]);
    });
  }

  it("lstr over 65535 bytes goes as vbin32 and fromWire reads it back as text", () => {
    const xml = `<domain>${"é".repeat(40_000)}</domain>`;
    const [code, decoded] = onTheWire("lstr", xml);
    assert.equal(code, TypeCode.vbin32);
    assert.ok(Buffer.isBuffer(decoded));
    assert.equal(fromWire("lstr", decoded), xml);
  });

  it("refuses with a TypeError naming the problem", () => {
    assert.throws(() => toWire("uint8", 256), {
      name: "TypeError",
      message: "must be a uint8 (0..255), got 256",
    });
    assert.throws(() => toWire("sstr", "x".repeat(256)), {
      name: "TypeError",
      message: "must be at most 255 bytes (sstr), got 256 bytes",
    });
  });
});

describe("schema values: fromWire converts decoded values to their JS form", () => {
  it("widens numbers to bigint for 64-bit types and reads text from Buffers", () => {
    assert.equal(fromWire("int64", 5), 5n);
    assert.equal(fromWire("uint64", 5n), 5n);
    assert.equal(fromWire("absTime", -1), -1n);
    assert.equal(fromWire("deltaTime", 0), 0n);
    assert.equal(fromWire("uint32", 7n), 7);
    assert.equal(fromWire("double", 2n), 2);
    assert.equal(fromWire("sstr", Buffer.from("héllo")), "héllo");
    assert.ok((fromWire("uuid", U) as Uuid).equals(Uuid.parse(U)));
    assert.deepEqual(
      fromWire("objId", { _agent_name: Buffer.from("a"), _object_name: "o", _agent_epoch: 2n }),
      {
        _agent_name: "a",
        _object_name: "o",
        _agent_epoch: 2,
      },
    );
  });

  it("throws a TypeError for a value of the wrong type", () => {
    assert.throws(() => fromWire("bool", 1), {
      name: "TypeError",
      message: "must be a boolean, got 1",
    });
  });
});

describe("schema values: checkArgument gives the reason a value does not fit", () => {
  const cases: [QmfType, unknown, string | null][] = [
    ["uint8", 0, null],
    ["uint8", -1, "must be a uint8 (0..255), got -1"],
    ["uint8", 1.5, "must be an integer (uint8), got 1.5"],
    ["uint8", "1", 'must be an integer (uint8), got "1" (string)'],
    ["uint16", 65536, "must be a uint16 (0..65535), got 65536"],
    ["uint32", 2 ** 32, "must be a uint32 (0..4294967295), got 4294967296"],
    ["uint32", 2n ** 32n, "must be a uint32 (0..4294967295), got 4294967296n"],
    ["int8", 128, "must be an int8 (-128..127), got 128"],
    ["int16", -32769, "must be an int16 (-32768..32767), got -32769"],
    ["int32", 2 ** 31, "must be an int32 (-2147483648..2147483647), got 2147483648"],
    ["int32", null, "must be an integer (int32), got null"],
    ["uint64", -1n, "must be a uint64 (0..18446744073709551615), got -1n"],
    ["uint64", 2n ** 64n, "must be a uint64 (0..18446744073709551615), got 18446744073709551616n"],
    [
      "uint64",
      2 ** 60,
      "must be an integer (uint64), got 1152921504606847000 (beyond 2^53: use a bigint)",
    ],
    [
      "int64",
      2n ** 63n,
      "must be an int64 (-9223372036854775808..9223372036854775807), got 9223372036854775808n",
    ],
    ["int64", 2 ** 53 - 1, null],
    ["deltaTime", -1, "must be a deltaTime (0..18446744073709551615), got -1"],
    ["absTime", "yesterday", 'must be an integer (absTime), got "yesterday" (string)'],
    ["absTime", new Date(Number.NaN), "must be an integer (absTime), got a Date"],
    ["bool", "true", 'must be a boolean, got "true" (string)'],
    ["float", 1e39, "must fit a float (|x| ≤ 3.4028234663852886e+38), got 1e+39"],
    ["float", Number.NaN, null],
    ["double", "1", 'must be a number (double), got "1" (string)'],
    ["double", 2n ** 60n, "must be a number (double), got 1152921504606846976n"],
    ["sstr", "é".repeat(128), "must be at most 255 bytes (sstr), got 256 bytes"],
    ["sstr", "x".repeat(255), null],
    ["sstr", 5, "must be a string, got 5"],
    ["sstr", Buffer.from([0xff, 0xfe]), "must be UTF-8 text, got invalid UTF-8"],
    ["lstr", "x".repeat(LSTR_MAX_BYTES), null],
    [
      "lstr",
      "x".repeat(LSTR_MAX_BYTES + 1),
      `must be at most ${LSTR_MAX_BYTES} bytes (lstr), got ${LSTR_MAX_BYTES + 1} bytes`,
    ],
    ["objId", { _agent_name: "a", _object_name: "o" }, null],
    [
      "objId",
      "Domain:1",
      'must be an object id {_agent_name, _object_name[, _agent_epoch]}, got "Domain:1" (string)',
    ],
    [
      "objId",
      { _agent_name: "a" },
      "must be an object id {_agent_name, _object_name[, _agent_epoch]}: _object_name must be a non-empty string, got undefined",
    ],
    [
      "objId",
      { _agent_name: "", _object_name: "o" },
      'must be an object id {_agent_name, _object_name[, _agent_epoch]}: _agent_name must be a non-empty string, got "" (string)',
    ],
    [
      "objId",
      { _agent_name: "a", _object_name: "o", extra: 1 },
      'must be an object id {_agent_name, _object_name[, _agent_epoch]}, got an unexpected key "extra"',
    ],
    [
      "objId",
      { _agent_name: "a", _object_name: "o", _agent_epoch: -1 },
      "must be an object id {_agent_name, _object_name[, _agent_epoch]}: _agent_epoch must be a non-negative integer, got -1",
    ],
    ["objId", [], "must be an object id {_agent_name, _object_name[, _agent_epoch]}, got an array"],
    ["uuid", "not-a-uuid", 'must be a uuid, got "not-a-uuid" (string)'],
    ["uuid", Buffer.alloc(15), "must be a uuid, got a Buffer of 15 bytes"],
    ["map", [1], "must be a map (plain object), got an array"],
    ["map", new Map(), "must be a map (plain object), got a Map"],
    ["list", { 0: 1 }, "must be a list (array), got an object"],
    ["list", undefined, "must be a list (array), got undefined"],
  ];
  for (const [type, value, reason] of cases) {
    it(`${type}: ${reason ?? "accepts"}`, () => {
      assert.equal(checkArgument(arg(type), value), reason);
      if (reason === null) assert.doesNotThrow(() => fromWire(type, value));
      else assert.throws(() => toWire(type, value), { name: "TypeError", message: reason });
    });
  }
});

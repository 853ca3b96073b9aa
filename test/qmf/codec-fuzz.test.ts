import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  CodecError,
  decodeList,
  decodeMap,
  encodeList,
  encodeMap,
  type QmfMap,
  typed,
  typedArray,
  Uuid,
} from "../../src/qmf/codec/index.js";

/**
 * The decoder's contract for untrusted bytes: it returns a value or throws a CodecError;
 * never another exception, never a hang (each test has a timeout well above its normal
 * running time), never an allocation sized by a length it has not checked.
 */
function decodeOrCodecError(body: Buffer, decode: (b: Buffer) => unknown): "ok" | "error" {
  try {
    decode(body);
    return "ok";
  } catch (err) {
    if (!(err instanceof CodecError)) {
      assert.fail(`non-CodecError ${String(err)} for body ${body.toString("hex")}`);
    }
    assert.ok(Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= body.length);
    return "error";
  }
}

function bothDecoders(body: Buffer): void {
  decodeOrCodecError(body, decodeMap);
  decodeOrCodecError(body, decodeList);
}

/** A realistic QMF body with every type code, used as the seed for mutations. */
const SEED: QmfMap = {
  _what: "OBJECT",
  _schema_id: {
    _package_name: "org.libvirt",
    _class_name: "Domain",
    _type: "_data",
    _hash: Uuid.parse("00112233-4455-6677-8899-aabbccddeeff"),
  },
  _values: {
    i8: typed("int8", -1),
    u8: typed("uint8", 1),
    b: true,
    i16: typed("int16", -2),
    u16: typed("uint16", 2),
    i32: -3,
    u32: typed("uint32", 3),
    f: typed("float", 0.25),
    i64: -(2n ** 40n),
    u64: 2n ** 63n,
    d: 0.125,
    dt: typed("datetime", 1_700_000_000_000_000_000n),
    s8: typed("str8", "short"),
    v8: typed("vbin8", Buffer.from("ab")),
    v16: Buffer.from("binary"),
    v32: typed("vbin32", Buffer.from("wide")),
    arr: typedArray("int32", [1, 2, 3]),
    sarr: typedArray("str16", ["a", "bc"]),
    nil: null,
    list: [1, "two", [3, { four: 4 }]],
  },
};
const SEED_MAP = encodeMap(SEED);
const SEED_LIST = encodeList([SEED, SEED._values]);

function mutate(seed: Buffer) {
  return fc
    .array(
      fc.oneof(
        fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.nat(255) }),
        fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.nat(255) }),
        fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
        fc.record({ kind: fc.constant("u32" as const), at: fc.nat(), value: fc.nat() }),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((edits) => {
      let b = Buffer.from(seed);
      for (const e of edits) {
        const at = e.at % (b.length + 1);
        if (e.kind === "set" && at < b.length) b[at] = e.byte;
        else if (e.kind === "insert")
          b = Buffer.concat([b.subarray(0, at), Buffer.of(e.byte), b.subarray(at)]);
        else if (e.kind === "delete" && at < b.length)
          b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else if (e.kind === "u32" && at + 4 <= b.length) b.writeUInt32BE(e.value >>> 0, at);
      }
      return b;
    });
}

describe("codec decoder fuzz", { timeout: 60_000 }, () => {
  it("the seeds decode", () => {
    assert.equal(decodeOrCodecError(SEED_MAP, decodeList), "error"); // a map body is no list body
    assert.deepEqual(Object.keys(decodeMap(SEED_MAP)), ["_what", "_schema_id", "_values"]);
    assert.equal(decodeList(SEED_LIST).length, 2);
  });

  it("random bytes give a value or a CodecError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        bothDecoders(Buffer.from(bytes));
      }),
      { numRuns: 20_000 },
    );
  });

  it("random bytes behind a plausible header give a value or a CodecError", () => {
    // Random bytes mostly die at the size field; a correct size and small count go deeper.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(8), (bytes, count) => {
        const head = Buffer.alloc(8);
        head.writeUInt32BE(bytes.length + 4, 0);
        head.writeUInt32BE(count, 4);
        bothDecoders(Buffer.concat([head, bytes]));
      }),
      { numRuns: 20_000 },
    );
  });

  it("mutated map bodies give a value or a CodecError", () => {
    const outcomes = { ok: 0, error: 0 };
    fc.assert(
      fc.property(mutate(SEED_MAP), (body) => {
        outcomes[decodeOrCodecError(body, decodeMap)]++;
      }),
      { numRuns: 20_000 },
    );
    assert.equal(outcomes.ok + outcomes.error, 20_000);
    // The mutations reach both outcomes: some bodies still decode, most are refused.
    assert.ok(outcomes.error > 0);
    assert.ok(outcomes.ok > 0);
  });

  it("mutated list bodies give a value or a CodecError", () => {
    fc.assert(
      fc.property(mutate(SEED_LIST), (body) => {
        decodeOrCodecError(body, decodeList);
      }),
      { numRuns: 20_000 },
    );
  });

  it("hostile lengths and counts are refused before anything is allocated from them", () => {
    const hostile = [
      // map: size 0xffffffff
      "ffffffff 00000000",
      // list: count 0xffffffff in a 4-byte body
      "00000004 ffffffff",
      // list: one vbin32 item claiming 4 GiB
      "00000009 00000001 a0 ffffffff",
      // list: one array of 4 billion uint64
      "0000000e 00000001 aa 00000005 32 ffffffff",
      // list: one array of 4 billion void
      "0000000e 00000001 aa 00000005 f0 ffffffff",
      // list: one map with a 255-byte key in 1 byte
      "0000000e 00000001 a8 00000005 00000001 ff",
    ];
    const codes = hostile.map((h) => {
      try {
        decodeList(Buffer.from(h.replaceAll(" ", ""), "hex"));
        return "ok";
      } catch (err) {
        assert.ok(err instanceof CodecError, String(err));
        return err.code;
      }
    });
    assert.deepEqual(codes, [
      "TRUNCATED",
      "BAD_COUNT",
      "TRUNCATED",
      "SIZE_MISMATCH",
      "BAD_TYPE_CODE",
      "BAD_COUNT",
    ]);
  });

  it("every byte value at every position of a small body: exactly the valid variants decode", () => {
    const body = encodeList([1, "x", { k: 2 }]);
    assert.equal(
      body.toString("hex"),
      "0000001d00000003210000000195000178a80000000b00000001016b2100000002",
    );
    const decodable: number[] = [];
    for (let at = 0; at < body.length; at++) {
      let n = 0;
      for (let byte = 0; byte < 256; byte++) {
        const b = Buffer.from(body);
        b[at] = byte;
        if (decodeOrCodecError(b, decodeList) === "ok") n++;
      }
      decodable.push(n);
    }
    assert.deepEqual(decodable, [
      ...[1, 1, 1, 1, 1, 1, 1, 1], // list size and count: only the true value
      3, // type code of 1: int32, uint32 or float (all 4 bytes wide)
      ...[256, 256, 256, 256], // the int32 value: any bytes
      2, // type code of "x": str16, or vbin16 (same layout)
      1, // high length byte
      2, // low length byte: 1, or 12 ("x" + the map's first 11 bytes, leaving int32 2 as item 3)
      256, // the character
      2, // map type code: map, or vbin32 (its size field reads as an 11-byte length)
      ...[1, 1, 1, 1, 1, 1, 1, 1], // map size and count
      1, // key length
      256, // the key character
      3, // type code of 2
      ...[256, 256, 256, 256], // the int32 value
    ]);
  });
});

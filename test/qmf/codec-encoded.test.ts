// Values encoded once (encodeValue) and placed in maps and lists encoded later: the bytes are
// the same as encoding the value in place, so peers cannot tell the difference.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decodeList,
  decodeMap,
  Encoded,
  encodeList,
  encodeMap,
  encodeValue,
  typed,
  Uuid,
} from "../../src/qmf/codec/index.js";

const SAMPLE = {
  _agent_name: "libvirt-qmf:libvirt:h1",
  _object_name: "Domain:6f0c1e52-8a3b-4c1d-9e2f-0a1b2c3d4e5f",
  _agent_epoch: 3,
  n: typed("uint64", 2n ** 64n - 1n),
  u: Uuid.parse("6f0c1e52-8a3b-4c1d-9e2f-0a1b2c3d4e5f"),
  l: [1, "two", null],
};

describe("pre-encoded values", () => {
  test("a map holding encoded values encodes to the same bytes as one holding the values", () => {
    const plain = encodeMap({ id: SAMPLE, list: [SAMPLE, 7], s: "x" });
    const pre = encodeMap({ id: encodeValue(SAMPLE), list: [encodeValue(SAMPLE), 7], s: "x" });
    assert.deepEqual(pre, plain);
  });

  test("a list of encoded items decodes to the values", () => {
    const items = [SAMPLE, "text", 42, encodeValue(SAMPLE)];
    const decoded = decodeList(
      encodeList(items.map((v) => (v instanceof Encoded ? v : encodeValue(v)))),
    );
    assert.deepEqual(decoded, decodeList(encodeList([SAMPLE, "text", 42, SAMPLE])));
    assert.equal(decoded.length, 4);
  });

  test("encodeValue checks the value as encodeMap would", () => {
    assert.throws(() => encodeValue({ f: () => 1 } as never), { code: "UNENCODABLE" });
    assert.equal(decodeMap(encodeMap({ e: encodeValue(null) })).e, null);
  });
});

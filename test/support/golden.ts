// Golden-byte helpers for codec tests: annotated hex in, exact bytes both ways out.
import assert from "node:assert/strict";
import { type Codec, decodeFromBuffer, encodeToBuffer } from "../../src/libvirt/codec/index.js";

/** Hex from annotated lines: everything after `#` on a line is a comment. */
export function hex(annotated: string): Buffer {
  const digits = annotated
    .split("\n")
    .map((l) => l.replace(/#.*/, ""))
    .join("")
    .replace(/\s+/g, "");
  return Buffer.from(digits, "hex");
}

/** Decodes a whole payload (trailing bytes fail). */
export function decodeAll<T>(codec: Codec<T>, bytes: Buffer): T {
  return decodeFromBuffer(codec, bytes, "test value");
}

/** `value` encodes to exactly `bytes`, and `bytes` decode to exactly `value`. */
export function golden<T>(codec: Codec<T>, value: T, bytes: Buffer): void {
  assert.deepEqual(encodeToBuffer(codec, value).toString("hex"), bytes.toString("hex"));
  assert.deepEqual(decodeAll(codec, bytes), value);
}

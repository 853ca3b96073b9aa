/**
 * The QMFv2 body codec: `amqp/map` and `amqp/list` message bodies in the AMQP 0-10 encoding
 * (what qpid sent on 0-10, qpid-cpp `src/qpid/amqp_0_10/Codecs.cpp`). Pure: no I/O, no timers.
 *
 * Layout (big-endian): a map is uint32 size (bytes after the size field) + uint32 count +
 * entries of (key: uint8 length + UTF-8, ≤ 255 bytes; uint8 type code; value). A list is
 * uint32 size + uint32 count + (type code, value) items. An array (0xaa) is uint32 size + uint8
 * element type code + uint32 count + bare values. Type codes: see {@link TypeCode}.
 *
 * **JS → wire** (when a value is not wrapped by {@link typed}):
 * | JS | wire |
 * |---|---|
 * | `null`, `undefined` | void (0xf0) |
 * | `boolean` | bool (0x08) |
 * | integer `number` in int32 range | int32 (0x21) |
 * | other safe-integer `number` | int64 (0x31) |
 * | any other `number` (fraction, NaN, ±Infinity, -0, unsafe integers) | double (0x33) |
 * | `bigint` | int64 (0x31); uint64 (0x32) for 2^63 … 2^64-1; outside both: error |
 * | `string` | str16 (0x95); vbin32 (0xa0) when over 65535 UTF-8 bytes |
 * | `Buffer` / `Uint8Array` | vbin16 (0x90); vbin32 (0xa0) when over 65535 bytes |
 * | {@link Uuid} | uuid (0x48) |
 * | array | list (0xa9) |
 * | plain object | map (0xa8) |
 * | anything else (Date, Map, class instances, functions, symbols) | {@link CodecError} `UNENCODABLE` |
 *
 * **wire → JS**: int8/uint8/int16/uint16/int32/uint32/float/double → `number`;
 * int64/uint64/datetime → `bigint` (datetime is read as signed); bool → `boolean`;
 * str8/str16 → `string` (invalid UTF-8 becomes U+FFFD); vbin8/vbin16/vbin32 → `Buffer` (a
 * copy); uuid → {@link Uuid}; map → plain object; list and array → array; void → `null`.
 * So a string over 64 KiB comes back as a Buffer: the schema layer (`fromWire` for `lstr`)
 * turns it back into text.
 *
 * **Untrusted input.** The decoders never throw anything but {@link CodecError} (with the
 * byte `offset` of the problem): every size, count and length is checked against the bytes
 * remaining in its container before use (nothing is allocated from a declared length),
 * nesting is bounded by {@link DecodeLimits.maxDepth}, unknown type codes, size fields that
 * disagree with their contents and trailing bytes are all errors. Arrays of void elements are
 * refused (they would let a tiny body claim billions of items). A key `__proto__` becomes an
 * ordinary own property. Size limits on the whole body belong to the transport.
 *
 * @module
 */
export { DEFAULT_MAX_DEPTH, type DecodeLimits, decodeList, decodeMap } from "./decode.js";
export { encodeList, encodeMap, encodeValue, MAX_ENCODE_DEPTH } from "./encode.js";
export { CodecError, type CodecErrorCode, isCodecError } from "./errors.js";
export {
  BIG_RANGE,
  Encoded,
  INT_RANGE,
  isPlainObject,
  type QmfMap,
  type QmfValue,
  TypeCode,
  Typed,
  typed,
  typedArray,
  Uuid,
  type WireType,
  wireText,
} from "./types.js";

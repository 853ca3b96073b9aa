// libvirt's shared wire structs (remote_protocol.x), declared as codecs. Struct layouts are
// libvirt's; names on the JS side are ours.
import { InvalidArgumentError, ProtocolError } from "../errors.js";
import {
  type Codec,
  char,
  fixedArray,
  int,
  mapped,
  nonnullString,
  optional,
  REMOTE_STRING_MAX,
  remoteString,
  struct,
  uhyper,
} from "./codec.js";

/** Hex digit value of each char code, -1 for everything else (upper and lower case). */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[65 + i] = 10 + i;
  HEX_VALUE[97 + i] = 10 + i;
}
/** Bytes per dash-separated group of `8-4-4-4-12`. */
const UUID_GROUP_BYTES = [4, 2, 2, 2, 6];

/**
 * Parses 32 hex digits, optionally dashed as `8-4-4-4-12` (each dash optional), into
 * `out[0..16)`. Returns false for anything else. Hand-written rather than a regex + replace +
 * hex decode: handles are encoded on every call, and this runs without allocating.
 */
function parseUuidInto(text: string, out: Uint8Array): boolean {
  const len = text.length;
  if (len < 32 || len > 36) return false;
  let pos = 0;
  let byte = 0;
  for (let g = 0; g < UUID_GROUP_BYTES.length; g++) {
    if (g > 0 && text.charCodeAt(pos) === 45 /* - */) pos++;
    for (let end = byte + (UUID_GROUP_BYTES[g] as number); byte < end; byte++, pos += 2) {
      const hi = HEX_VALUE[text.charCodeAt(pos)] ?? -1;
      const lo = HEX_VALUE[text.charCodeAt(pos + 1)] ?? -1;
      if (hi < 0 || lo < 0) return false;
      out[byte] = (hi << 4) | lo;
    }
  }
  return pos === len;
}

/** Two lowercase hex digits for each byte value. */
const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Canonical lowercase `8-4-4-4-12` text of 16 UUID bytes at `offset`. */
function formatUuid(bytes: Uint8Array, offset: number): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += HEX_PAIRS[bytes[offset + i] as number];
  }
  return s;
}

/** Canonical lowercase `8-4-4-4-12` text of 16 UUID bytes. */
export function uuidToString(bytes: Buffer): string {
  return formatUuid(bytes, 0);
}

/** Parses a UUID with or without dashes; throws InvalidArgumentError naming the bad text. */
export function uuidFromString(text: string): Buffer {
  const out = Buffer.alloc(16);
  if (typeof text !== "string" || !parseUuidInto(text, out)) {
    throw new InvalidArgumentError(`not a UUID: ${JSON.stringify(text)}`);
  }
  return out;
}

/** Scratch space for encoding: the bytes are copied into the writer at once. */
const uuidScratch = new Uint8Array(16);

/** `remote_uuid`: 16 raw bytes, shown as canonical text. */
export const uuid: Codec<string> = {
  minBytes: 16,
  encode(w, text) {
    if (typeof text !== "string" || !parseUuidInto(text, uuidScratch)) {
      throw new InvalidArgumentError(`not a UUID: ${JSON.stringify(text)}`);
    }
    w.fixedOpaque(uuidScratch, 16);
  },
  decode(r) {
    return r.readFixed(16, formatUuid);
  },
};

/** A libvirt domain handle. `id` is -1 while the domain is inactive and changes on every start. */
export interface Domain {
  name: string;
  uuid: string;
  id: number;
}
/** A storage pool handle. */
export interface StoragePool {
  name: string;
  uuid: string;
}
/** A storage volume handle; `pool` is the pool's name, `key` is unique per host (path for files). */
export interface StorageVol {
  pool: string;
  name: string;
  key: string;
}

/** `remote_nonnull_domain {name; uuid; int id}`. */
export const domain: Codec<Domain> = struct({ name: nonnullString, uuid, id: int });
/** `remote_domain` (nullable). */
export const optionalDomain = optional(domain);
/** `remote_nonnull_storage_pool {name; uuid}`. */
export const storagePool: Codec<StoragePool> = struct({ name: nonnullString, uuid });
/** `remote_nonnull_storage_vol {pool; name; key}`. */
export const storageVol: Codec<StorageVol> = struct({
  pool: nonnullString,
  name: nonnullString,
  key: nonnullString,
});
/** `remote_nonnull_network {name; uuid}` (only appears, unused, inside remote_error). */
const optionalNetwork = optional(struct({ name: nonnullString, uuid }));

/** virTypedParameterType. */
export const TypedParamType = {
  INT: 1,
  UINT: 2,
  LLONG: 3,
  ULLONG: 4,
  DOUBLE: 5,
  BOOLEAN: 6,
  STRING: 7,
} as const;
export type TypedParamTypeValue = (typeof TypedParamType)[keyof typeof TypedParamType];

/**
 * A typed parameter as sent to libvirt (migration, …). The type picks the wire form:
 * INT/UINT/DOUBLE take a number, LLONG/ULLONG a bigint, BOOLEAN a boolean, STRING a string.
 */
export type TypedParam =
  | { field: string; type: 1 | 2 | 5; value: number }
  | { field: string; type: 3 | 4; value: bigint }
  | { field: string; type: 6; value: boolean }
  | { field: string; type: 7; value: string };

/** `remote_typed_param {string field; union switch (int type) {...} value}`. */
export const typedParam: Codec<TypedParam> = {
  minBytes: 12,
  encode(w, p) {
    if (p === null || typeof p !== "object") {
      throw new InvalidArgumentError("typed parameter must be an object {field, type, value}");
    }
    // VIR_TYPED_PARAM_FIELD_LENGTH is 80 including the C terminator.
    w.string(p.field, 79, "typed parameter field");
    const what = `typed parameter ${p.field}`;
    switch (p.type) {
      case TypedParamType.INT:
        w.int(p.type);
        w.int(p.value, what);
        return;
      case TypedParamType.UINT:
        w.int(p.type);
        w.uint(p.value, what);
        return;
      case TypedParamType.LLONG:
        w.int(p.type);
        w.hyper(p.value, what);
        return;
      case TypedParamType.ULLONG:
        w.int(p.type);
        w.uhyper(p.value, what);
        return;
      case TypedParamType.DOUBLE:
        w.int(p.type);
        w.double(p.value, what);
        return;
      case TypedParamType.BOOLEAN:
        if (typeof p.value !== "boolean") {
          throw new InvalidArgumentError(`${what} must be a boolean`);
        }
        w.int(p.type);
        w.int(p.value ? 1 : 0);
        return;
      case TypedParamType.STRING:
        w.int(p.type);
        w.string(p.value, REMOTE_STRING_MAX, what);
        return;
      default:
        throw new InvalidArgumentError(
          `${what} has unknown type ${String((p as { type: unknown }).type)}`,
        );
    }
  },
  decode(r) {
    const field = r.string(REMOTE_STRING_MAX);
    const at = r.offset;
    const type = r.int();
    switch (type) {
      case TypedParamType.INT:
        return { field, type, value: r.int() };
      case TypedParamType.UINT:
        return { field, type, value: r.uint() };
      case TypedParamType.LLONG:
        return { field, type, value: r.hyper() };
      case TypedParamType.ULLONG:
        return { field, type, value: r.uhyper() };
      case TypedParamType.DOUBLE:
        return { field, type, value: r.double() };
      case TypedParamType.BOOLEAN:
        return { field, type, value: r.int() !== 0 };
      case TypedParamType.STRING:
        return { field, type, value: r.string(REMOTE_STRING_MAX) };
      default:
        throw new ProtocolError(`typed parameter ${field} has unknown type ${type}`, {
          offset: at,
        });
    }
  },
};

/** `remote_error`, the payload of every REPLY with status ERROR. */
export const remoteError = struct({
  code: int,
  domain: int,
  message: remoteString,
  level: int,
  dom: optionalDomain,
  str1: remoteString,
  str2: remoteString,
  str3: remoteString,
  int1: int,
  int2: int,
  net: optionalNetwork,
});

/** Host facts from NODE_GET_INFO. `memory` is in KiB. */
export interface NodeInfo {
  model: string;
  memory: bigint;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

/** `char model[32]`: 32 chars of 4 bytes each, NUL-terminated C text. */
const model: Codec<string> = mapped(
  fixedArray(char, 32),
  (codes) => {
    const end = codes.indexOf(0);
    return Buffer.from((end < 0 ? codes : codes.slice(0, end)).map((c) => c & 0xff)).toString(
      "latin1",
    );
  },
  (text) => {
    const bytes = Buffer.from(text, "latin1");
    if (bytes.length > 31) throw new InvalidArgumentError("model is longer than 31 bytes");
    const codes = new Array<number>(32).fill(0);
    for (let i = 0; i < bytes.length; i++) codes[i] = ((bytes[i] as number) << 24) >> 24;
    return codes;
  },
);

/** `remote_node_get_info_ret`. */
export const nodeInfo: Codec<NodeInfo> = struct({
  model,
  memory: uhyper,
  cpus: int,
  mhz: int,
  nodes: int,
  sockets: int,
  cores: int,
  threads: int,
});

/** `{string field; unsigned hyper value}` of node CPU / memory stats. */
export const nodeStat = struct({ field: nonnullString, value: uhyper });

// libvirt's shared wire structs (remote_protocol.x), declared as codecs. Struct layouts are
// libvirt's; names on the JS side are ours.
import { InvalidArgumentError, ProtocolError } from "../errors.js";
import {
  type Codec,
  char,
  fixedArray,
  fixedOpaque,
  int,
  mapped,
  nonnullString,
  optional,
  REMOTE_STRING_MAX,
  remoteString,
  struct,
  uhyper,
} from "./codec.js";

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Canonical lowercase `8-4-4-4-12` text of 16 UUID bytes. */
export function uuidToString(bytes: Buffer): string {
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Parses a UUID with or without dashes; throws InvalidArgumentError naming the bad text. */
export function uuidFromString(text: string): Buffer {
  if (typeof text !== "string" || !UUID_RE.test(text)) {
    throw new InvalidArgumentError(`not a UUID: ${JSON.stringify(text)}`);
  }
  return Buffer.from(text.replace(/-/g, ""), "hex");
}

/** `remote_uuid`: 16 raw bytes, shown as canonical text. */
export const uuid: Codec<string> = mapped(fixedOpaque(16), uuidToString, uuidFromString);

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
export const optionalStoragePool = optional(storagePool);
/** `remote_nonnull_storage_vol {pool; name; key}`. */
export const storageVol: Codec<StorageVol> = struct({
  pool: nonnullString,
  name: nonnullString,
  key: nonnullString,
});
/** `remote_nonnull_network {name; uuid}` (only appears, unused, inside remote_error). */
export const optionalNetwork = optional(struct({ name: nonnullString, uuid }));

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

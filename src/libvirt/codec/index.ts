/**
 * libvirt RPC codec: pure XDR primitives, the wire structs, the procedure and event tables
 * and packet framing. No I/O. Consumers above this layer: the transport and the client.
 * @module
 */
export {
  array,
  type Codec,
  type CodecType,
  char,
  decodeFromBuffer,
  double,
  encodeToBuffer,
  fixedArray,
  fixedOpaque,
  hyper,
  int,
  type LazyArray,
  lazyArray,
  mapped,
  nonnullString,
  opaque,
  optional,
  REMOTE_STRING_MAX,
  remoteString,
  string,
  struct,
  uchar,
  uhyper,
  uint,
  ushort,
  voidCodec,
} from "./codec.js";
export {
  type DomainInterface,
  type DomainIpAddress,
  domainInterface,
  domainIpAddress,
} from "./domain-settings.js";
export {
  DomainEventId,
  type DomainLifecycleEvent,
  EventFamilies,
  type EventFamily,
  type EventKind,
  type EventPayload,
  eventKindOf,
  eventKinds,
  type Message,
  NetworkEventId,
  type NetworkLifecycleEvent,
  type PoolLifecycleEvent,
  type PoolRefreshEvent,
  type RegisterAnyArgs,
  StoragePoolEventId,
} from "./events.js";
export {
  type Network,
  type NetworkDhcpLease,
  network,
  networkDhcpLease,
} from "./network.js";
export {
  decodePacket,
  encodePacket,
  FrameDecoder,
  HEADER_BYTES,
  KeepaliveProcedure,
  LENGTH_BYTES,
  MAX_MESSAGE_BYTES,
  type Packet,
  type PacketHeader,
  PacketStatus,
  PacketType,
  PROTOCOL_VERSION,
  Program,
} from "./packet.js";
export { AuthType, Feature, type Procedure, RemoteProcedure } from "./procedures.js";
export { type DomainSnapshot, domainSnapshot } from "./snapshot.js";
export {
  type Domain,
  domain,
  type NodeInfo,
  nodeInfo,
  remoteError,
  type StoragePool,
  type StorageVol,
  storagePool,
  storageVol,
  type TypedParam,
  TypedParamType,
  type TypedParamTypeValue,
  typedParam,
  uuid,
  uuidFromString,
  uuidToString,
} from "./types.js";
export { XdrReader, XdrWriter } from "./xdr.js";

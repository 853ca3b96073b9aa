/**
 * libvirt RPC codec: pure XDR primitives, the wire structs, the procedure table and packet
 * framing. No I/O. Consumers above this layer: the transport and the client.
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
  type Network,
  type NetworkDhcpLease,
  NetworkEventId,
  network,
  networkDhcpLease,
  networkEventCodecs,
  optionalNetwork,
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
export {
  AuthType,
  DomainEventId,
  Feature,
  type Message,
  type Procedure,
  RemoteMessage,
  RemoteProcedure,
  StoragePoolEventId,
} from "./procedures.js";
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

/**
 * A pure-TypeScript libvirt client speaking libvirt's RPC protocol over the daemon's unix
 * socket (no native addon, no virsh).
 *
 * ```ts
 * import { connect, DomainState, isNoDomain } from "./libvirt/index.js";
 * const c = await connect("test:///default");            // or qemu:///system, test+unix:///abs.xml
 * for (const d of await c.listAllDomains()) console.log(d.name, (await c.domainGetInfo(d)).state);
 * await c.registerEvents(["domainLifecycle"]);
 * c.on("domainLifecycle", ({ domain, event, detail }) => …);
 * await c.close();
 * ```
 *
 * Public API:
 * - {@link connect}(uri, opts) → {@link LibvirtClient}: one socket, one libvirt connection.
 *   Methods mirror libvirt's (domain*, storagePool*, storageVol*, node*, get*); handles are
 *   plain objects: Domain {name, uuid, id}, StoragePool {name, uuid}, StorageVol {pool, name,
 *   key}; 64-bit values are bigint. Events: one per event family of the codec's table, named by
 *   its kind ('domainLifecycle', 'poolLifecycle', 'poolRefresh'; see {@link eventKinds}) once
 *   registered with registerEvents(kinds), and 'close' (exactly once).
 * - {@link ReconnectingLibvirt}: keeps a client open across daemon restarts, registers the event
 *   kinds asked for on every new connection, emits 'disconnected' (err) / 'reconnected'. Never
 *   retries a failed call.
 * - Errors: {@link LibvirtError} (libvirt's code/domain/level/message), ConnectionLostError,
 *   CallTimeoutError, ProtocolError, InvalidArgumentError; predicates isNoDomain, isNoStoragePool,
 *   isNoStorageVol, isOperationInvalid, isXmlError, isNoSupport, isConnectionLost, …
 * - Constants: DomainState, DomainEventType, PoolEventType, PoolState, VolType, StatsTypes,
 *   MigrateFlags, ListDomainsFlags, ErrorCode, TypedParamType, ….
 * @module
 */
export * from "./client/index.js";
export {
  type Domain,
  type DomainInterface,
  type DomainIpAddress,
  type DomainSnapshot,
  eventKinds,
  Feature,
  type Network,
  type NetworkDhcpLease,
  NetworkEventId,
  type NodeInfo,
  type StoragePool,
  type StorageVol,
  type TypedParam,
  TypedParamType,
} from "./codec/index.js";
export * from "./constants.js";
export * from "./errors.js";
export type { RpcConnectionOptions } from "./transport/index.js";

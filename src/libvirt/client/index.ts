/**
 * The typed libvirt client layer: {@link connect}, {@link LibvirtClient}, the reconnecting
 * wrapper and URI resolution. Re-exported by `src/libvirt/index.ts`.
 * @module
 */
export {
  type ConnectOptions,
  connect,
  type DomainInfo,
  type DomainLifecycleEvent,
  type DomainStatsRecord,
  type EventKind,
  type EventPayload,
  LibvirtClient,
  type LibvirtClientEvents,
  type LibvirtEventMap,
  type PoolLifecycleEvent,
  type PoolRefreshEvent,
  type StatValue,
  type StoragePoolInfo,
  type StorageVolInfo,
} from "./client.js";
export {
  ReconnectingLibvirt,
  type ReconnectingLibvirtEvents,
  type ReconnectOptions,
} from "./reconnecting.js";
export { type ResolvedUri, resolveUri } from "./uri.js";

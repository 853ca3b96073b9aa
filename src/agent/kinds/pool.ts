// Storage pools, keyed by UUID. Reading a pool also lists and reads its volumes (volume.ts):
// libvirt raises no volume events, so a pool's read is when its volumes are brought up to date.
import { isNoStoragePool, type StoragePool, type StoragePoolInfo } from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import { objectName, wordOf } from "../names.js";
import { type KindRow, lifecycleEvent, type Values } from "./kind.js";

// virStoragePoolState and virStoragePoolEventLifecycleType.
const POOL_STATES = ["inactive", "building", "running", "degraded", "inaccessible"] as const;
const POOL_EVENTS = ["defined", "undefined", "started", "stopped", "created", "deleted"] as const;

/** Pool.state. */
export const poolStateText = (state: number): string => wordOf(POOL_STATES, state);
/** PoolLifecycle.event. */
const poolEventText = (event: number): string => wordOf(POOL_EVENTS, event);

/** The Pool object. */
function poolValues(p: StoragePool, info: StoragePoolInfo, node: ObjectIdLike): Values {
  return {
    uuid: p.uuid,
    name: p.name,
    node,
    state: poolStateText(info.state),
    capacity: info.capacity,
    allocation: info.allocation,
    available: info.available,
  };
}

/** The storage pool kind. */
export const poolKind: KindRow<StoragePool, StoragePoolInfo, undefined, undefined> = {
  name: "pool",
  classes: ["Pool"],
  key: (p) => p.uuid,
  list: async (c) => ({ handles: await c.listAllStoragePools(0), bulk: undefined }),
  // Each read also reads the pool's volumes, several at a time.
  concurrency: (limit) => Math.max(1, Math.floor(limit / 8)),
  read: (c, p) => c.storagePoolGetInfo(p),
  lookup: (c, uuid) => c.storagePoolLookupByUuid(uuid),
  publish(out, e, info) {
    out.set("Pool", objectName("Pool", e.key), poolValues(e.handle, info, out.node));
  },
  isGone: isNoStoragePool,
  // Volume handles name their pool by name.
  childRef: (p) => p.name,
  events: [
    lifecycleEvent("poolLifecycle", "pool", "PoolLifecycle", (e) => ({
      event: poolEventText(e.event),
    })),
    { event: "poolRefresh", target: (e) => e.pool },
  ],
};

// Storage volumes, keyed by libvirt's volume key (unique per host). They belong to their
// pool: listed whenever it is read, deleted with it. libvirt raises no volume events, so ones
// made or removed behind the agent's back show at the next full resync or pool refresh.
import {
  isNoStorageVol,
  PoolState,
  type StoragePool,
  type StoragePoolInfo,
  type StorageVol,
  type StorageVolInfo,
} from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import { objectName } from "../names.js";
import type { KindRow, ParentLink, Values } from "./kind.js";
import { poolKind } from "./pool.js";

/** What one read of a volume returns: its info and its path. */
export type VolumeRead = [info: StorageVolInfo, path: string];

/** The Volume object. */
function volumeValues(
  v: StorageVol,
  path: string,
  info: StorageVolInfo,
  pool: ObjectIdLike,
): Values {
  return {
    key: v.key,
    path,
    name: v.name,
    storage_pool: pool,
    capacity: info.capacity,
    allocation: info.allocation,
  };
}

const inPool: ParentLink<StorageVol, StoragePool, StoragePoolInfo> = {
  row: poolKind,
  ref: (v) => v.pool,
  // Only an active pool can list its volumes (virsh vol-list fails on an inactive one).
  list: async (c, p, info) =>
    info.state === PoolState.RUNNING || info.state === PoolState.DEGRADED
      ? c.storagePoolListAllVolumes(p)
      : [],
  lookup: (c, v) => c.storagePoolLookupByName(v.pool),
};

/** The storage volume kind. */
export const volumeKind: KindRow<StorageVol, VolumeRead, undefined, undefined> = {
  name: "volume",
  classes: ["Volume"],
  key: (v) => v.key,
  concurrency: () => 8,
  read: (c, v) => Promise.all([c.storageVolGetInfo(v), c.storageVolGetPath(v)]),
  publish(out, e, r) {
    const pool = out.ref(objectName("Pool", e.parentKey ?? ""));
    out.set("Volume", objectName("Volume", e.key), volumeValues(e.handle, r[1], r[0], pool));
  },
  isGone: isNoStorageVol,
  parent: inPool,
};

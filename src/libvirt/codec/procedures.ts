// The remote program's procedures we use, one row each: libvirt's procedure number, the
// argument codec and the return codec. Numbers and layouts are libvirt's (remote_protocol.x;
// numbers are append-only). Adding a procedure = adding a row (and its structs). Events and
// the procedures that subscribe to them are rows of events.ts.
import {
  array,
  type Codec,
  int,
  lazyArray,
  nonnullString,
  opaque,
  remoteString,
  struct,
  uchar,
  uhyper,
  uint,
  ushort,
  voidCodec,
} from "./codec.js";
import { domainSettingsProcedures } from "./domain-settings.js";
import { networkProcedures } from "./network.js";
import { proc } from "./row.js";
import { snapshotProcedures } from "./snapshot.js";
import { domain, nodeInfo, nodeStat, storagePool, storageVol, typedParam, uuid } from "./types.js";

/** One RPC procedure of a program, declared as data. */
export interface Procedure<A, R> {
  /** libvirt's name without the REMOTE_PROC_ prefix (for errors and logs). */
  readonly name: string;
  readonly number: number;
  readonly args: Codec<A>;
  readonly ret: Codec<R>;
}

const v = voidCodec;

const DOMAIN_LIST_MAX = 16384;
const STORAGE_POOL_LIST_MAX = 4096;
const STORAGE_VOL_LIST_MAX = 16384;
const NODE_STATS_MAX = 16;
const DOMAIN_STATS_PARAMS_MAX = 4096;
const MIGRATE_PARAM_LIST_MAX = 64;
const MIGRATE_COOKIE_MAX = 4 * 1024 * 1024;
const AUTH_TYPE_LIST_MAX = 20;

const dom = struct({ dom: domain });
const domFlags = struct({ dom: domain, flags: uint });
const domRet = struct({ dom: domain });
const xmlFlags = struct({ xml: nonnullString, flags: uint });
const pool = struct({ pool: storagePool });
const poolFlags = struct({ pool: storagePool, flags: uint });
const poolRet = struct({ pool: storagePool });
const vol = struct({ vol: storageVol });
const volFlags = struct({ vol: storageVol, flags: uint });
const volRet = struct({ vol: storageVol });
const nameArg = struct({ name: nonnullString });
const uuidArg = struct({ uuid });
const nodeStatsRet = struct({ params: array(nodeStat, NODE_STATS_MAX), nparams: int });

/** The procedures of program REMOTE (0x20008086). */
export const RemoteProcedure = {
  // Rows grouped by object in their own modules, spread in first.
  ...networkProcedures,
  ...snapshotProcedures,
  ...domainSettingsProcedures,
  connectOpen: proc("CONNECT_OPEN", 1, struct({ name: remoteString, flags: uint }), v),
  connectClose: proc("CONNECT_CLOSE", 2, v, v),
  connectGetType: proc("CONNECT_GET_TYPE", 3, v, struct({ type: nonnullString })),
  connectGetVersion: proc("CONNECT_GET_VERSION", 4, v, struct({ hv_ver: uhyper })),
  nodeGetInfo: proc("NODE_GET_INFO", 6, v, nodeInfo),
  connectGetCapabilities: proc(
    "CONNECT_GET_CAPABILITIES",
    7,
    v,
    struct({ capabilities: nonnullString }),
  ),
  domainCreate: proc("DOMAIN_CREATE", 9, dom, v),
  domainDefineXml: proc("DOMAIN_DEFINE_XML", 11, struct({ xml: nonnullString }), domRet),
  domainDestroy: proc("DOMAIN_DESTROY", 12, dom, v),
  domainGetXmlDesc: proc("DOMAIN_GET_XML_DESC", 14, domFlags, struct({ xml: nonnullString })),
  domainGetInfo: proc(
    "DOMAIN_GET_INFO",
    16,
    dom,
    struct({ state: uchar, maxMem: uhyper, memory: uhyper, nrVirtCpu: ushort, cpuTime: uhyper }),
  ),
  domainLookupByName: proc("DOMAIN_LOOKUP_BY_NAME", 23, nameArg, domRet),
  domainLookupByUuid: proc("DOMAIN_LOOKUP_BY_UUID", 24, uuidArg, domRet),
  domainReboot: proc("DOMAIN_REBOOT", 27, domFlags, v),
  domainResume: proc("DOMAIN_RESUME", 28, dom, v),
  domainShutdown: proc("DOMAIN_SHUTDOWN", 33, dom, v),
  domainSuspend: proc("DOMAIN_SUSPEND", 34, dom, v),
  domainUndefine: proc("DOMAIN_UNDEFINE", 35, dom, v),
  domainRestore: proc("DOMAIN_RESTORE", 54, struct({ from: nonnullString }), v),
  domainSave: proc("DOMAIN_SAVE", 55, struct({ dom: domain, to: nonnullString }), v),
  connectGetHostname: proc("CONNECT_GET_HOSTNAME", 59, v, struct({ hostname: nonnullString })),
  connectSupportsFeature: proc(
    "CONNECT_SUPPORTS_FEATURE",
    60,
    struct({ feature: int }),
    struct({ supported: int }),
  ),
  authList: proc("AUTH_LIST", 66, v, struct({ types: array(int, AUTH_TYPE_LIST_MAX) })),
  authPolkit: proc("AUTH_POLKIT", 70, v, struct({ complete: int })),
  storagePoolCreateXml: proc("STORAGE_POOL_CREATE_XML", 76, xmlFlags, poolRet),
  storagePoolDefineXml: proc("STORAGE_POOL_DEFINE_XML", 77, xmlFlags, poolRet),
  storagePoolCreate: proc("STORAGE_POOL_CREATE", 78, poolFlags, v),
  storagePoolBuild: proc("STORAGE_POOL_BUILD", 79, poolFlags, v),
  storagePoolDestroy: proc("STORAGE_POOL_DESTROY", 80, pool, v),
  storagePoolDelete: proc("STORAGE_POOL_DELETE", 81, poolFlags, v),
  storagePoolUndefine: proc("STORAGE_POOL_UNDEFINE", 82, pool, v),
  storagePoolRefresh: proc("STORAGE_POOL_REFRESH", 83, poolFlags, v),
  storagePoolLookupByName: proc("STORAGE_POOL_LOOKUP_BY_NAME", 84, nameArg, poolRet),
  storagePoolLookupByUuid: proc("STORAGE_POOL_LOOKUP_BY_UUID", 85, uuidArg, poolRet),
  storagePoolLookupByVolume: proc("STORAGE_POOL_LOOKUP_BY_VOLUME", 86, vol, poolRet),
  storagePoolGetInfo: proc(
    "STORAGE_POOL_GET_INFO",
    87,
    pool,
    struct({ state: uchar, capacity: uhyper, allocation: uhyper, available: uhyper }),
  ),
  storagePoolGetXmlDesc: proc(
    "STORAGE_POOL_GET_XML_DESC",
    88,
    poolFlags,
    struct({ xml: nonnullString }),
  ),
  storageVolCreateXml: proc(
    "STORAGE_VOL_CREATE_XML",
    93,
    struct({ pool: storagePool, xml: nonnullString, flags: uint }),
    volRet,
  ),
  storageVolDelete: proc("STORAGE_VOL_DELETE", 94, volFlags, v),
  storageVolLookupByName: proc(
    "STORAGE_VOL_LOOKUP_BY_NAME",
    95,
    struct({ pool: storagePool, name: nonnullString }),
    volRet,
  ),
  storageVolLookupByKey: proc(
    "STORAGE_VOL_LOOKUP_BY_KEY",
    96,
    struct({ key: nonnullString }),
    volRet,
  ),
  storageVolLookupByPath: proc(
    "STORAGE_VOL_LOOKUP_BY_PATH",
    97,
    struct({ path: nonnullString }),
    volRet,
  ),
  storageVolGetInfo: proc(
    "STORAGE_VOL_GET_INFO",
    98,
    vol,
    // `char type`: 4 bytes on the wire like every char.
    struct({ type: uchar, capacity: uhyper, allocation: uhyper }),
  ),
  storageVolGetXmlDesc: proc(
    "STORAGE_VOL_GET_XML_DESC",
    99,
    volFlags,
    struct({ xml: nonnullString }),
  ),
  storageVolGetPath: proc("STORAGE_VOL_GET_PATH", 100, vol, struct({ name: nonnullString })),
  nodeGetFreeMemory: proc("NODE_GET_FREE_MEMORY", 102, v, struct({ freeMem: uhyper })),
  connectGetUri: proc("CONNECT_GET_URI", 110, v, struct({ uri: nonnullString })),
  connectGetLibVersion: proc("CONNECT_GET_LIB_VERSION", 157, v, struct({ lib_ver: uhyper })),
  domainManagedSave: proc("DOMAIN_MANAGED_SAVE", 182, domFlags, v),
  domainCreateWithFlags: proc("DOMAIN_CREATE_WITH_FLAGS", 196, domFlags, domRet),
  domainGetState: proc("DOMAIN_GET_STATE", 212, domFlags, struct({ state: int, reason: int })),
  nodeGetCpuStats: proc(
    "NODE_GET_CPU_STATS",
    227,
    struct({ cpuNum: int, nparams: int, flags: uint }),
    nodeStatsRet,
  ),
  nodeGetMemoryStats: proc(
    "NODE_GET_MEMORY_STATS",
    228,
    struct({ nparams: int, cellNum: int, flags: uint }),
    nodeStatsRet,
  ),
  domainUndefineFlags: proc("DOMAIN_UNDEFINE_FLAGS", 231, domFlags, v),
  domainSaveFlags: proc(
    "DOMAIN_SAVE_FLAGS",
    232,
    struct({ dom: domain, to: nonnullString, dxml: remoteString, flags: uint }),
    v,
  ),
  domainRestoreFlags: proc(
    "DOMAIN_RESTORE_FLAGS",
    233,
    struct({ from: nonnullString, dxml: remoteString, flags: uint }),
    v,
  ),
  domainDestroyFlags: proc("DOMAIN_DESTROY_FLAGS", 234, domFlags, v),
  domainSaveImageGetXmlDesc: proc(
    "DOMAIN_SAVE_IMAGE_GET_XML_DESC",
    235,
    struct({ file: nonnullString, flags: uint }),
    struct({ xml: nonnullString }),
  ),
  domainShutdownFlags: proc("DOMAIN_SHUTDOWN_FLAGS", 258, domFlags, v),
  connectListAllDomains: proc(
    "CONNECT_LIST_ALL_DOMAINS",
    273,
    struct({ need_results: int, flags: uint }),
    struct({ domains: array(domain, DOMAIN_LIST_MAX), ret: uint }),
  ),
  connectListAllStoragePools: proc(
    "CONNECT_LIST_ALL_STORAGE_POOLS",
    281,
    struct({ need_results: int, flags: uint }),
    struct({ pools: array(storagePool, STORAGE_POOL_LIST_MAX), ret: uint }),
  ),
  storagePoolListAllVolumes: proc(
    "STORAGE_POOL_LIST_ALL_VOLUMES",
    282,
    struct({ pool: storagePool, need_results: int, flags: uint }),
    struct({ vols: array(storageVol, STORAGE_VOL_LIST_MAX), ret: uint }),
  ),
  domainMigratePerform3Params: proc(
    "DOMAIN_MIGRATE_PERFORM3_PARAMS",
    305,
    struct({
      dom: domain,
      dconnuri: remoteString,
      params: array(typedParam, MIGRATE_PARAM_LIST_MAX),
      cookie_in: opaque(MIGRATE_COOKIE_MAX),
      flags: uint,
    }),
    struct({ cookie_out: opaque(MIGRATE_COOKIE_MAX) }),
  ),
  connectGetAllDomainStats: proc(
    "CONNECT_GET_ALL_DOMAIN_STATS",
    344,
    struct({ doms: array(domain, DOMAIN_LIST_MAX), stats: uint, flags: uint }),
    // Decoded record by record as the caller reads them: a reply holds one per domain.
    struct({
      retStats: lazyArray(
        struct({ dom: domain, params: array(typedParam, DOMAIN_STATS_PARAMS_MAX) }),
        DOMAIN_LIST_MAX,
      ),
    }),
  ),
  domainDefineXmlFlags: proc("DOMAIN_DEFINE_XML_FLAGS", 350, xmlFlags, domRet),
} as const;

/** Feature numbers for CONNECT_SUPPORTS_FEATURE. */
export const Feature = {
  MIGRATION_P2P: 4,
  PROGRAM_KEEPALIVE: 10,
  MIGRATION_PARAMS: 13,
} as const;

/** Authentication types from AUTH_LIST. */
export const AuthType = { NONE: 0, SASL: 1, POLKIT: 2 } as const;

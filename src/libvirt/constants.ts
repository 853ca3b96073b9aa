// libvirt's public enum values we use (from libvirt's headers; the numbers are stable ABI).

/** virDomainState. */
export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

/** Lowercase names of {@link DomainState} values, as virsh shows them. */
export const domainStateName = (state: number): string =>
  ["no state", "running", "idle", "paused", "in shutdown", "shut off", "crashed", "pmsuspended"][
    state
  ] ?? `unknown (${state})`;

/** virDomainEventType (the `event` of a domain lifecycle event). */
export const DomainEventType = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;

/** virDomainEventStoppedDetailType (detail of a STOPPED event). */
export const DomainEventStoppedDetail = {
  SHUTDOWN: 0,
  DESTROYED: 1,
  CRASHED: 2,
  MIGRATED: 3,
  SAVED: 4,
  FAILED: 5,
  FROM_SNAPSHOT: 6,
} as const;

/** virDomainEventStartedDetailType (detail of a STARTED event). */
export const DomainEventStartedDetail = {
  BOOTED: 0,
  MIGRATED: 1,
  RESTORED: 2,
  FROM_SNAPSHOT: 3,
  WAKEUP: 4,
} as const;

/** virDomainEventSuspendedDetailType (detail of a SUSPENDED event). */
export const DomainEventSuspendedDetail = {
  PAUSED: 0,
  MIGRATED: 1,
  IOERROR: 2,
  WATCHDOG: 3,
  RESTORED: 4,
  FROM_SNAPSHOT: 5,
  API_ERROR: 6,
  POSTCOPY: 7,
  POSTCOPY_FAILED: 8,
} as const;

/** virDomainEventResumedDetailType (detail of a RESUMED event). */
export const DomainEventResumedDetail = {
  UNPAUSED: 0,
  MIGRATED: 1,
  FROM_SNAPSHOT: 2,
  POSTCOPY: 3,
  POSTCOPY_FAILED: 4,
} as const;

/** virDomainEventShutdownDetailType (detail of a SHUTDOWN event). */
export const DomainEventShutdownDetail = { FINISHED: 0, GUEST: 1, HOST: 2 } as const;

/** virDomainShutoffReason (the `reason` of domainGetState while SHUTOFF). */
export const DomainShutoffReason = {
  UNKNOWN: 0,
  SHUTDOWN: 1,
  DESTROYED: 2,
  CRASHED: 3,
  MIGRATED: 4,
  SAVED: 5,
  FAILED: 6,
  FROM_SNAPSHOT: 7,
  DAEMON: 8,
} as const;

/** virStoragePoolEventLifecycleType. */
export const PoolEventType = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  STOPPED: 3,
  CREATED: 4,
  DELETED: 5,
} as const;

/** virStoragePoolState. */
export const PoolState = {
  INACTIVE: 0,
  BUILDING: 1,
  RUNNING: 2,
  DEGRADED: 3,
  INACCESSIBLE: 4,
} as const;

/** virStorageVolType. */
export const VolType = {
  FILE: 0,
  BLOCK: 1,
  DIR: 2,
  NETWORK: 3,
  NETDIR: 4,
  PLOOP: 5,
} as const;

/** virConnectListAllDomainsFlags: each filter keeps the domains that have the property. */
export const ListDomainsFlags = {
  ACTIVE: 1,
  INACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  RUNNING: 16,
  PAUSED: 32,
  SHUTOFF: 64,
  OTHER: 128,
  MANAGEDSAVE: 256,
  NO_MANAGEDSAVE: 512,
  AUTOSTART: 1024,
  NO_AUTOSTART: 2048,
  HAS_SNAPSHOT: 4096,
  NO_SNAPSHOT: 8192,
  HAS_CHECKPOINT: 16384,
  NO_CHECKPOINT: 32768,
} as const;
/** virConnectListAllStoragePoolsFlags (subset). */
export const ListPoolsFlags = { INACTIVE: 1, ACTIVE: 2 } as const;
/** virDomainCreateFlags. */
export const DomainCreateFlags = { PAUSED: 1, AUTODESTROY: 2 } as const;
/** virDomainSaveRestoreFlags. */
export const DomainSaveFlags = { BYPASS_CACHE: 1, RUNNING: 2, PAUSED: 4 } as const;
/** virDomainUndefineFlagsValues. */
export const DomainUndefineFlags = { MANAGED_SAVE: 1, SNAPSHOTS_METADATA: 2, NVRAM: 4 } as const;
/** virDomainShutdownFlagValues. */
export const DomainShutdownFlags = { ACPI_POWER_BTN: 1, GUEST_AGENT: 2 } as const;
/** virDomainMigrateFlags (subset). */
export const MigrateFlags = {
  LIVE: 1,
  PEER2PEER: 2,
  TUNNELLED: 4,
  PERSIST_DEST: 8,
  UNDEFINE_SOURCE: 16,
  PAUSED: 32,
  NON_SHARED_DISK: 64,
  NON_SHARED_INC: 128,
} as const;
/** virDomainStatsTypes for getAllDomainStats. */
export const StatsTypes = {
  STATE: 1,
  CPU_TOTAL: 2,
  BALLOON: 4,
  VCPU: 8,
  INTERFACE: 16,
  BLOCK: 32,
} as const;
/** virStoragePoolBuildFlags / virStoragePoolDeleteFlags share 0 = normal. */
export const StorageVolDeleteFlags = { NORMAL: 0, ZEROED: 1, WITH_SNAPSHOTS: 2 } as const;

/** virDomainModificationImpact: which definition a change applies to (0 = the current one). */
export const DomainModificationImpact = { CURRENT: 0, LIVE: 1, CONFIG: 2 } as const;
/** virDomainVcpuFlags (domainSetVcpusFlags / domainGetVcpusFlags). */
export const DomainVcpuFlags = {
  CURRENT: 0,
  LIVE: 1,
  CONFIG: 2,
  MAXIMUM: 4,
  GUEST: 8,
  HOTPLUGGABLE: 16,
} as const;
/** virDomainMemoryModFlags (domainSetMemoryFlags). */
export const DomainMemoryModFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2, MAXIMUM: 4 } as const;
/** virDomainInterfaceAddressesSource (domainInterfaceAddresses). */
export const InterfaceAddressesSource = { LEASE: 0, AGENT: 1, ARP: 2 } as const;
/** virIPAddrType (guest interface addresses and DHCP leases). */
export const IpAddrType = { IPV4: 0, IPV6: 1 } as const;

/** virNodeGetCPUStatsAllCPUs: the `cpu` of nodeGetCpuStats for the sum over every CPU. */
export const NodeCpuStats = { ALL_CPUS: -1 } as const;
/** virNodeGetMemoryStatsAllCells: the `cell` of nodeGetMemoryStats for the whole host. */
export const NodeMemoryStats = { ALL_CELLS: -1 } as const;

/** virNetworkEventLifecycleType (the `event` of a network lifecycle event). */
export const NetworkEventType = { DEFINED: 0, UNDEFINED: 1, STARTED: 2, STOPPED: 3 } as const;
/** virConnectListAllNetworksFlags. */
export const ListNetworksFlags = {
  INACTIVE: 1,
  ACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  AUTOSTART: 16,
  NO_AUTOSTART: 32,
} as const;
/** virNetworkXMLFlags. */
export const NetworkXmlFlags = { INACTIVE: 1 } as const;
/** virNetworkDefineFlags / virNetworkCreateFlags (both: validate against the schema). */
export const NetworkDefineFlags = { VALIDATE: 1 } as const;
export const NetworkCreateFlags = { VALIDATE: 1 } as const;

/** virDomainSnapshotCreateFlags. */
export const DomainSnapshotCreateFlags = {
  REDEFINE: 1,
  CURRENT: 2,
  NO_METADATA: 4,
  HALT: 8,
  DISK_ONLY: 16,
  REUSE_EXT: 32,
  QUIESCE: 64,
  ATOMIC: 128,
  LIVE: 256,
  VALIDATE: 512,
} as const;
/**
 * virDomainSnapshotListFlags. ROOTS (for domainListAllSnapshots) and DESCENDANTS (for
 * domainSnapshotListAllChildren) share the value 1: its meaning depends on the call.
 */
export const DomainSnapshotListFlags = {
  ROOTS: 1,
  DESCENDANTS: 1,
  METADATA: 2,
  LEAVES: 4,
  NO_LEAVES: 8,
  NO_METADATA: 16,
  INACTIVE: 32,
  ACTIVE: 64,
  DISK_ONLY: 128,
  INTERNAL: 256,
  EXTERNAL: 512,
  TOPOLOGICAL: 1024,
} as const;
/** virDomainSnapshotRevertFlags. */
export const DomainSnapshotRevertFlags = {
  RUNNING: 1,
  PAUSED: 2,
  FORCE: 4,
  RESET_NVRAM: 8,
} as const;
/** virDomainSnapshotDeleteFlags. */
export const DomainSnapshotDeleteFlags = {
  CHILDREN: 1,
  METADATA_ONLY: 2,
  CHILDREN_ONLY: 4,
} as const;
/** virDomainSnapshotXMLFlags. */
export const DomainSnapshotXmlFlags = { SECURE: 1 } as const;

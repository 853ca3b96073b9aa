// Deterministic object names and the words the agent publishes for libvirt's enum values.
// Names must not change across agent restarts (libvirt-qpid's random names duplicated objects
// in consoles); values are the words a person reads, close to virsh's.

/** The package of schema/libvirt.xml. */
export const PACKAGE = "Libvirt";

/** Object names (opaque to consoles, but stable: the same libvirt object gets the same name). */
export const objectName = {
  node: (hostUuid: string): string => `Node:${hostUuid}`,
  nodeInfo: (hostUuid: string): string => `NodeInfo:${hostUuid}`,
  domain: (uuid: string): string => `Domain:${uuid}`,
  domainInfo: (uuid: string): string => `DomainInfo:${uuid}`,
  pool: (uuid: string): string => `Pool:${uuid}`,
  volume: (key: string): string => `Volume:${key}`,
} as const;

/** The part after `Class:` of one of our object names, or undefined for another class. */
export function nameSuffix(className: string, name: string): string | undefined {
  const prefix = `${className}:`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}

const pick = (table: readonly string[], n: number): string => table[n] ?? `unknown (${n})`;

// virDomainState
const DOMAIN_STATES = [
  "nostate",
  "running",
  "blocked",
  "paused",
  "shutdown",
  "shutoff",
  "crashed",
  "pmsuspended",
] as const;

/** DomainInfo.state: libvirt-qpid's words for virDomainState. */
export const domainStateText = (state: number): string => pick(DOMAIN_STATES, state);

// The virDomain*Reason enums, one per state (libvirt's include/libvirt/libvirt-domain.h).
const DOMAIN_REASONS: Record<number, readonly string[]> = {
  0: ["unknown"],
  1: [
    "unknown",
    "booted",
    "migrated",
    "restored",
    "from snapshot",
    "unpaused",
    "migration canceled",
    "save canceled",
    "wakeup",
    "crashed",
    "post-copy",
    "post-copy failed",
  ],
  2: ["unknown"],
  3: [
    "unknown",
    "user",
    "migration",
    "save",
    "dump",
    "ioerror",
    "watchdog",
    "from snapshot",
    "shutting down",
    "snapshot",
    "crashed",
    "starting up",
    "post-copy",
    "post-copy failed",
    "api error",
  ],
  4: ["unknown", "user"],
  5: [
    "unknown",
    "shutdown",
    "destroyed",
    "crashed",
    "migrated",
    "saved",
    "failed",
    "from snapshot",
    "daemon",
  ],
  6: ["unknown", "panicked"],
  7: ["unknown"],
};

/** DomainInfo.state_reason for a (state, reason) pair. */
export const domainReasonText = (state: number, reason: number): string =>
  pick(DOMAIN_REASONS[state] ?? [], reason);

// virDomainEventType and the detail enum of each event type.
const DOMAIN_EVENTS = [
  "defined",
  "undefined",
  "started",
  "suspended",
  "resumed",
  "stopped",
  "shutdown",
  "pmsuspended",
  "crashed",
] as const;
const DOMAIN_EVENT_DETAILS: Record<number, readonly string[]> = {
  0: ["added", "updated", "renamed", "from snapshot"],
  1: ["removed", "renamed"],
  2: ["booted", "migrated", "restored", "from snapshot", "wakeup"],
  3: [
    "paused",
    "migrated",
    "ioerror",
    "watchdog",
    "restored",
    "from snapshot",
    "api error",
    "post-copy",
    "post-copy failed",
  ],
  4: ["unpaused", "migrated", "from snapshot", "post-copy", "post-copy failed"],
  5: ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot"],
  6: ["finished", "guest", "host"],
  7: ["memory", "disk"],
  8: ["panicked", "crashloaded"],
};

/** DomainLifecycle.event. */
export const domainEventText = (event: number): string => pick(DOMAIN_EVENTS, event);
/** DomainLifecycle.detail. */
export const domainEventDetailText = (event: number, detail: number): string =>
  pick(DOMAIN_EVENT_DETAILS[event] ?? [], detail);

// virStoragePoolState and virStoragePoolEventLifecycleType.
const POOL_STATES = ["inactive", "building", "running", "degraded", "inaccessible"] as const;
const POOL_EVENTS = ["defined", "undefined", "started", "stopped", "created", "deleted"] as const;

/** Pool.state. */
export const poolStateText = (state: number): string => pick(POOL_STATES, state);
/** PoolLifecycle.event. */
export const poolEventText = (event: number): string => pick(POOL_EVENTS, event);

/** libvirt's version numbers (major × 1,000,000 + minor × 1,000 + release) as text. */
export function versionText(v: bigint): string {
  const n = Number(v);
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

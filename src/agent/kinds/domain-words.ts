// The words the agent publishes for libvirt's domain enums: DomainInfo.state and state_reason,
// DomainLifecycle.event and detail. They are libvirt-qpid's words (consoles of the 2008 model
// compare against them), so they differ from virsh's in places ("shutoff", not "shut off").
import { wordOf } from "../names.js";

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
export const domainStateText = (state: number): string => wordOf(DOMAIN_STATES, state);

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
  wordOf(DOMAIN_REASONS[state] ?? [], reason);

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
export const domainEventText = (event: number): string => wordOf(DOMAIN_EVENTS, event);
/** DomainLifecycle.detail. */
export const domainEventDetailText = (event: number, detail: number): string =>
  wordOf(DOMAIN_EVENT_DETAILS[event] ?? [], detail);

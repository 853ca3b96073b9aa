// The table of kinds the agent publishes. A new kind is one file beside these and one entry
// here; the mirror, the event subscriptions and the method lookups follow from the rows.
import { domainKind } from "./domain.js";
import type { AnyKind } from "./kind.js";
import { nodeKind } from "./node.js";
import { poolKind } from "./pool.js";
import { volumeKind } from "./volume.js";

/** Every kind, parents before their children. */
export const KINDS: readonly AnyKind[] = [nodeKind, domainKind, poolKind, volumeKind];

// The table of kinds the agent publishes, and the method handlers of their classes. A new kind
// is its row file and its handler file beside these, and one entry in each table here; the
// mirror, the event subscriptions, the method lookups and the permissions follow from them.
import type { ClassWithMethods, MethodTable } from "../handlers.js";
import { domainKind } from "./domain.js";
import { domainMethods } from "./domain-methods.js";
import type { AnyKind } from "./kind.js";
import { networkKind } from "./network.js";
import { networkMethods } from "./network-methods.js";
import { nodeKind } from "./node.js";
import { nodeMethods } from "./node-methods.js";
import { poolKind } from "./pool.js";
import { poolMethods } from "./pool-methods.js";
import { snapshotKind } from "./snapshot.js";
import { snapshotMethods } from "./snapshot-methods.js";
import { volumeKind } from "./volume.js";
import { volumeMethods } from "./volume-methods.js";

/** Every kind. */
export const KINDS: readonly AnyKind[] = [
  nodeKind,
  domainKind,
  poolKind,
  volumeKind,
  networkKind,
  snapshotKind,
];

/** The handlers of every class that has methods (a class left out does not compile). */
export const METHODS = {
  Node: nodeMethods,
  Domain: domainMethods,
  Pool: poolMethods,
  Volume: volumeMethods,
  Network: networkMethods,
  Snapshot: snapshotMethods,
} satisfies { readonly [C in ClassWithMethods]: MethodTable<C> };

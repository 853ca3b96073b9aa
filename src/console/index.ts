/**
 * The typed console SDK: the whole fleet of libvirt hosts through one broker.
 *
 * ```ts
 * import { connectFleet, Domain } from "./src/console/index.js"; // dist/console/index.js when built
 * const fleet = await connectFleet({ broker: "amqp://guest:guest@127.0.0.1:5672" });
 * try {
 *   for (const d of await fleet.domains({ state: "running" })) {
 *     const node = await d.node;               // follows the reference
 *     console.log(d.name, node.hostname, (await d.domain_info).memory); // memory: bigint KiB
 *   }
 *   const web = await fleet.resolve(Domain, "host1/web1"); // name, UUID, host/name or object id
 *   await web.suspend();
 *   const node = await fleet.nodeOf(web.agentName);
 *   const copy = await node.define_domain_xml({ xml_desc }); // resolves to a Domain
 *   const stop = fleet.watch(["Domain"]);
 *   fleet.on("change", (c: FleetChange) => { … });
 * } finally {
 *   await fleet.close();
 * }
 * ```
 *
 * Classes, properties, methods and events come from `schema/libvirt.xml` through
 * `scripts/gen-sdk.ts` (the generated file is `generated/libvirt.ts`). 64-bit integers are
 * `bigint`; references are {@link ObjectRef}s, and the generated getter of a reference
 * property (`domain.node`, `domain.domain_info`, `node.host_info`) resolves to the object.
 *
 * The fleet is the libvirt-qmf agents on the broker (vendor `libvirt-qmf`, product `libvirt`;
 * see `agentFilter`), found by a locate at connect time. Queries over the whole fleet ask every
 * agent; one that is lost or silent is left out of the result, reported with an `agentError`
 * event and listed in `fleet.incompleteAgents`; one that became known only after a whole-fleet
 * query went out (a late answer to discovery) is reported with `agentLate` and listed there
 * too. With `awaitDiscovery: false` connectFleet
 * returns at once and whole-fleet queries start on each agent as it answers
 * (`fleet.whenDiscovered()` tells when discovery is over). Discovery ends once no new agent has
 * answered for `settleMs` (150 ms), or for twice the latest answer's latency when that is
 * longer, so a slow fleet is waited for in proportion; `expectAgents` makes it wait (up to
 * `discoveryMs`) until that many agents answered, and `fleet.discoveryResult` says how many
 * did and how long it took. A host is named by the agent's
 * instance name when chosen by hand, else by its `hostname` attribute.
 *
 * Errors: method failures are the QMF session's `MethodError` (`code` = 0x10000 + libvirt's
 * error number for libvirt failures, `text` = libvirt's message); timeouts and lost
 * connections are its `TimeoutError` / `ConnectionLostError`; the fleet adds
 * {@link NotFoundError}, {@link AmbiguousRefError} (with `candidates`),
 * {@link BrokerUnreachableError}, {@link AgentUnreachableError} and {@link ArgumentError}.
 *
 * @module
 */
export {
  AgentUnreachableError,
  AmbiguousRefError,
  ArgumentError,
  BrokerUnreachableError,
  type Candidate,
  FleetError,
  isAmbiguous,
  isNotFound,
  isUnreachable,
  NotFoundError,
} from "./errors.js";
export {
  connectFleet,
  type DiscoveryResult,
  equalityPredicate,
  type Filter,
  Fleet,
  type FleetAgent,
  type FleetChange,
  type FleetOptions,
  filterField,
  LIBVIRT_AGENTS,
  type QueryOptions,
  SETTLE_LATENCY_FACTOR,
} from "./fleet.js";
export * from "./generated/libvirt.js";
export { type ManagedClass, ManagedObject, type ObjectData } from "./managed-object.js";
export type {
  ClassMeta,
  EventMeta,
  FieldMeta,
  MethodMeta,
  PackageMeta,
  QmfTypeName,
} from "./metadata.js";
export { looksLikeUuid, parseRef } from "./refs.js";
export {
  fromAgent,
  type ObjectRef,
  objectIdText,
  parseFieldText,
  refText,
  toObjectRef,
} from "./values.js";

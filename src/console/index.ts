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
 *   // One call per selected object, 16 at a time; one result per target, never a rejection.
 *   const results = await fleet.forEach({ class: Domain, filter: { state: "running" } }, (d) =>
 *     d.suspend(),
 *   );
 *   for (const r of results) if (!r.ok) console.log(r.object.name, r.error.message);
 *   const node = await fleet.nodeOf(web.agentName);
 *   const copy = await node.define_domain_xml({ xml_desc }); // resolves to a Domain
 *   fleet.on("agentJoined", (a) => console.log("new host", a.host));
 *   for await (const change of fleet.watch({ class: "DomainInfo" })) { … } // break ends it
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
 * `fleet.forEach(query, fn, { concurrency })` calls `fn` once on each object a query selects
 * (`{ class, filter?, agents?, where? }`, or an array of objects already found), at most
 * `concurrency` (16) at a time. It resolves to one {@link ForEachResult} per target —
 * `{ object, ok: true, value }` or `{ object, ok: false, error }` — in the targets' order (a
 * query's sorted by host, then name), and never rejects for one target's failure: libvirt's
 * error, a timeout or the connection lost under that target's call is its result. Each call
 * is made once; nothing is retried. It rejects only when the query itself fails (nothing is
 * called then). `onResult` reports each target as it settles (for progress).
 *
 * Events are typed ({@link FleetEvents}): agents joining, leaving and restarting, objects
 * changed and deleted, schema events, the broker link lost and back. `fleet.watch(options)`
 * yields object changes and schema events as an async iterator with a bounded buffer; the loop
 * ends when it breaks, on `watch.close()` and on `fleet.close()`.
 *
 * Classes are data: `classByName`, `namedClasses` (those a bare reference may mean) and
 * `detailReferences` (a class's DomainInfo-like details) are read from the generated metadata,
 * so a class added to the schema works with `objects`, `resolve`, `watch` and the CLI as it is.
 *
 * Errors: method failures are the QMF session's `MethodError` (`code` = 0x10000 + libvirt's
 * error number for libvirt failures, `text` = libvirt's message); timeouts and lost
 * connections are its `TimeoutError` / `ConnectionLostError`; the fleet adds
 * {@link NotFoundError}, {@link AmbiguousRefError} (with `candidates`),
 * {@link BrokerUnreachableError}, {@link AgentUnreachableError}, {@link ArgumentError} and
 * {@link WatchOverflowError}.
 *
 * @module
 */

export type { TlsOptions } from "../qmf/index.js";
export {
  type AnyClass,
  type ClassReference,
  classByName,
  detailReferences,
  findClass,
  HOST_CLASS,
  namedClasses,
  referencesOf,
} from "./classes.js";
export { connectFleet, type FleetOptions } from "./connect.js";
export {
  type DiscoveryResult,
  type FleetAgent,
  LIBVIRT_AGENTS,
  SETTLE_LATENCY_FACTOR,
} from "./discovery.js";
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
  WatchOverflowError,
} from "./errors.js";
export type { AgentFailure, FleetEvents, SchemaEvent } from "./events.js";
export {
  fromAgent,
  type ObjectRef,
  objectIdText,
  parseFieldText,
  refText,
  toObjectRef,
} from "./field-values.js";
export { equalityPredicate, type Filter, filterField } from "./filters.js";
export { Fleet, type FleetQuery } from "./fleet.js";
export {
  DEFAULT_CONCURRENCY,
  type ForEachOptions,
  type ForEachQuery,
  type ForEachResult,
} from "./for-each.js";
export * from "./generated/libvirt.js";
export { type ManagedClass, ManagedObject, type ObjectData } from "./managed-object.js";
export {
  type ClassMeta,
  type EventMeta,
  type FieldMeta,
  isNamedClass,
  LABEL_PROPERTIES,
  labelProperty,
  type MethodMeta,
  NAMING_PROPERTIES,
  type PackageMeta,
  type QmfTypeName,
} from "./metadata.js";
export { looksLikeUuid, type ParsedRef, parseRef } from "./refs.js";
export {
  DEFAULT_MAX_BUFFERED,
  type FleetChange,
  FleetWatch,
  type WatchOptions,
} from "./watch.js";

/**
 * libvirt-qmf's QMFv2 layer, one import for its users:
 *
 * - **codec** — `amqp/map` / `amqp/list` bodies: `encodeMap`, `decodeMap`, `encodeList`,
 *   `decodeList`, `Uuid`, `typed`, `CodecError`.
 * - **schema** — the schema XML loader and QMF schema maps: `parseSchema`, `loadSchemaFile`,
 *   `Schema`, `SchemaClass`, `toWire`, `fromWire`, `checkArgument`, `SchemaError`.
 * - **predicate** — `compilePredicate` for QMF query / agent-filter predicates.
 * - **agent** — {@link AgentSession}: publish objects, answer queries, run methods (at most once).
 * - **console** — {@link ConsoleSession}: discover agents, query, call methods, object cache.
 * - **errors** — `QmfError`, `MethodError` (`code` = QMF status, `text`), `TimeoutError`,
 *   `AgentLostError`, `ConnectionLostError`, `BodyTooLargeError`, `AuthenticationError`,
 *   `NotConnectedError`, `ProtocolError`, `QmfStatus`, and predicates (`isTimeout(e)` …).
 * - **transport** pieces consumers touch: `ObjectId`, `ObjectIdLike`, `Logger`, `BackoffOptions`.
 *
 * @module
 */

export * from "./agent/index.js";
export * from "./codec/index.js";
export * from "./console/index.js";
export * from "./errors.js";
export * from "./predicate/index.js";
export * from "./schema/index.js";
export {
  type BackoffOptions,
  type Logger,
  ObjectId,
  type ObjectIdLike,
} from "./transport/index.js";

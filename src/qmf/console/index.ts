/**
 * QMFv2 console session: discovers agents, queries objects, calls methods, keeps an object
 * cache. See {@link ConsoleSession}.
 */
export type { CacheFilter } from "./object-cache.js";
export { ConsoleSession } from "./session.js";
export type {
  AgentInfo,
  ConsoleSessionEvents,
  ConsoleSessionOptions,
  ObjectQuery,
  QmfEvent,
  QmfObject,
  SchemaId,
  SchemaInfo,
} from "./types.js";

/**
 * QMFv2 console session: discovers agents, queries objects, calls methods, keeps an object
 * cache. See {@link ConsoleSession}.
 */
export type {
  AgentInfo,
  ConsoleSessionEvents,
  ConsoleSessionOptions,
  QmfEvent,
  QmfObject,
  QueryOptions,
  SchemaId,
  SchemaInfo,
} from "./session.js";
export { ConsoleSession } from "./session.js";

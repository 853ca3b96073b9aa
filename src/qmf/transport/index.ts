/**
 * QMF transport: one AMQP connection carrying QMF messages (QMF.md "Transport mapping").
 * Knows the QMF envelope (opcodes, headers, content types) but not the bodies' meaning.
 */

export type { ObjectIdLike } from "./envelope.js";
export {
  APP_ID,
  Content,
  ContentType,
  DIRECT_EXCHANGE,
  formatReplyTo,
  Header,
  isObjectIdLike,
  keyPart,
  nowNs,
  ObjectId,
  Opcode,
  objectIdFromWire,
  objectIdToWire,
  parseReplyTo,
  RoutingKey,
  TOPIC_EXCHANGE,
} from "./envelope.js";
export { DropCounter } from "./log.js";
export {
  type SessionConnectionEvents,
  type SessionConnectionOptions,
  type SessionLink,
  sessionTransport,
} from "./session-link.js";
export type {
  BackoffOptions,
  Binding,
  InboundMessage,
  Logger,
  OutboundProps,
  TransportEvents,
  TransportOptions,
} from "./transport.js";
export { Transport } from "./transport.js";

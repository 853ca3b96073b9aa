/**
 * QMF transport: one AMQP connection carrying QMF messages (QMF.md "Transport mapping").
 * Knows the QMF envelope (opcodes, headers, content types) but not the bodies' meaning.
 */
export {
  APP_ID,
  Content,
  ContentType,
  DIRECT_EXCHANGE,
  formatReplyTo,
  Header,
  keyPart,
  Opcode,
  parseReplyTo,
  RoutingKey,
  TOPIC_EXCHANGE,
  isObjectIdLike,
  nowNs,
  ObjectId,
  objectIdFromWire,
  objectIdToWire,
} from "./envelope.js";
export type { ObjectIdLike } from "./envelope.js";
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
export { DropCounter } from "./log.js";

/**
 * QMF transport: the broker link QMF messages travel on (QMF.md "Transport mapping"). Knows
 * the QMF envelope (opcodes, headers, content types) but not the bodies' meaning.
 * {@link AmqpLink} reaches RabbitMQ over a list of node URLs with failover;
 * {@link MemoryBroker} routes in-process. Both are {@link BrokerLink}s.
 */

export type { BackoffOptions } from "../../util/backoff.js";
export { AmqpLink, type AmqpLinkOptions } from "./amqp-link.js";
export { brokerUrlProblem, parseBrokerUrls, redactUrl, userOf, vhostOf } from "./broker-url.js";
export type { ObjectIdLike } from "./envelope.js";
export {
  APP_ID,
  agentWords,
  Content,
  ContentType,
  DIRECT_EXCHANGE,
  formatReplyTo,
  Header,
  isObjectIdLike,
  keyNamesAgent,
  keyPart,
  ObjectId,
  Opcode,
  objectIdFromWire,
  objectIdToWire,
  parseReplyTo,
  RoutingKey,
  TOPIC_EXCHANGE,
} from "./envelope.js";
export type {
  Binding,
  BrokerLink,
  BrokerLinkEvents,
  BrokerLinkFactory,
  BrokerNode,
  InboundMessage,
  LinkRequest,
  Logger,
  OutboundProps,
  ReconnectInfo,
} from "./link.js";
export { DropCounter } from "./log.js";
export { type InjectedProps, MemoryBroker, topicMatches } from "./memory-broker.js";
export { MemoryLink, type MemoryLinkOptions } from "./memory-link.js";
export {
  type SessionConnectionEvents,
  type SessionConnectionOptions,
  type SessionLinkHooks,
  sessionLink,
} from "./session-link.js";
export { certificateUser } from "./tls.js";
export { type TlsOptions, tlsOptionsProblem } from "./tls-options.js";

/**
 * libvirt-qmf's QMFv2 layer on RabbitMQ, one import for its users (QMF.md has the wire facts).
 *
 * - **codec** — `amqp/map` / `amqp/list` bodies: `encodeMap`, `decodeMap`, `encodeList`,
 *   `decodeList`, `Uuid`, `typed`, `CodecError`.
 * - **schema** — the schema XML loader and QMF schema maps: `parseSchema`, `loadSchemaFile`,
 *   the JSON form (`schemaToJson`, `schemaFromJson`, `loadSchemaJsonFile`), `Schema`,
 *   `SchemaClass`, `toWire`, `fromWire`, `checkArgument`, `SchemaError`.
 * - **predicate** — `compilePredicate` for query `where` and agent filters.
 * - **broker link** — how a session reaches the broker. Both sessions take `url` (one URL, an
 *   array, or URLs separated by commas: a cluster's nodes; a random one first, then failover
 *   to the next that answers) and the link settings `maxBodyBytes?`, `reconnect?`
 *   (`BackoffOptions`), `amqpHeartbeatSeconds?`, `connectTimeoutMs?`, `tls?` ({@link TlsOptions}
 *   for `amqps://` URLs: CA, client certificate, server name, EXTERNAL login), `log?`; or `link`, a
 *   {@link BrokerLinkFactory} such as `new MemoryBroker().linkFactory()` (in-process routing,
 *   for tests). `observer?` (src/observe) is told what the session counts.
 * - **agent** — {@link AgentSession}:
 *   ```ts
 *   const agent = new AgentSession({ url, vendor, product, instance, schemas, onMethod,
 *     attributes?, epoch?, heartbeatIntervalMs? = 10000, authorize?, maxBodyBytes?, batchSize?,
 *     publishDelayMs?, dedupe?, maxConcurrentRequests?, ...link settings, observer? });
 *   await agent.open();                         // heartbeat at once, then every interval
 *   agent.setObject(cls, name, values);         // add/replace; real changes published, coalesced
 *   agent.deleteObject(cls, name);              // published once more with _delete_ts
 *   agent.objectId(name); agent.setAttributes({...}); await agent.raiseEvent(ev, values, sev?);
 *   agent.name; agent.epoch; agent.methodsExecuted; agent.drops.counts; await agent.close();
 *   // events: connected(node), disconnected(err), reconnecting({attempt, delayMs, error}),
 *   //         reconnected(node), blocked(reason), unblocked, error(fatal, AuthenticationError)
 *   ```
 *   `onMethod(call)` gets `{objectId, className, objectName, methodName, args, userId,
 *   correlationId}` with `args` already checked against the schema and converted (int64 →
 *   bigint, lstr → string, objId → ObjectId; an `optional="y"` argument the caller left out,
 *   or sent as void, is absent; a required one missing is refused before the handler runs);
 *   it returns the output arguments or throws `new MethodError(code, text)`. Each request id
 *   runs at most once. The console leaves out arguments given as `undefined`.
 * - **console** — {@link ConsoleSession}:
 *   ```ts
 *   const c = new ConsoleSession({ url, name?, agentFilter?, agentUsers?, defaultTimeoutMs? = 10000,
 *     locateTimeoutMs? = 1000, missedHeartbeats? = 3, cacheObjects? = true, ...link settings,
 *     observer? });
 *   await c.open(); c.agents(); c.agent(name); await c.waitForAgent(nameOrTest, ms?);
 *   c.agentUser(name);                          // the broker user the agent sends as
 *   await c.locate(filter?, ms?);               // AgentInfo[] that answered in the window
 *   await c.query({ agentName?, packageName?, className?, where?, objectId?, timeoutMs? }); // ObjectQuery
 *   await c.queryObjectIds(sameOptions); await c.schemaIds(agent, pkg?);
 *   await c.schema(agent, pkg, cls);            // SchemaInfo | undefined
 *   await c.callMethod(objectId, method, args, { timeoutMs? });   // out args
 *   c.cachedObjects({ agentName?, className?, packageName? }); c.pendingCount; await c.close();
 *   // events: agentAdded, agentRemoved (aged out), agentRestarted(agent, previousEpoch),
 *   //         objectChanged, objectDeleted, event, connected, disconnected, reconnecting,
 *   //         reconnected, blocked, unblocked, error (fatal)
 *   ```
 *   A console takes an agent's heartbeats, data, events and answers only from that agent's
 *   broker user (`agentUsers`, else learnt from its first heartbeat) and on routing keys that
 *   name it (they end with `<vendor>.<product>.<instance>`); the rest is dropped and counted in
 *   `drops`. Every request ends in one result or one typed error: `MethodError` (the agent's
 *   `_exception`), `TimeoutError`, `AgentLostError`, `ConnectionLostError`, `BodyTooLargeError`,
 *   `NotConnectedError`. Nothing is retried.
 * - **errors** — `QmfError` (`name`, `code`, `cause`) and the classes above plus
 *   `BrokerConnectError` (`code` REFUSED, HOST_NOT_FOUND, UNREACHABLE, CONNECT_TIMEOUT,
 *   AUTH_FAILED, VHOST_DENIED, NAME_IN_USE, TLS_*, CONNECT_FAILED) with its kinds
 *   `AuthenticationError`, `NameInUseError` and `TlsError` (which TLS check failed), and
 *   `ProtocolError`; `QmfStatus`,
 *   `libvirtStatus`/`libvirtCodeOf` (0x10000 + libvirt's error number), `connectErrorCode`,
 *   `describeConnectFailure`; predicates `isTimeout`, `isAgentLost`, `isConnectionLost`,
 *   `isMethodError`, `isUnknownObject`, `isForbidden` ….
 * - **ids** — `ObjectId` (`agentName`, `objectName`, `agentEpoch`), `ObjectIdLike`.
 *
 * @module
 */
export * from "./agent/index.js";
// The codec's public part; its range constants and text helpers stay internal to src/qmf.
export {
  CodecError,
  type CodecErrorCode,
  DEFAULT_MAX_DEPTH,
  type DecodeLimits,
  decodeList,
  decodeMap,
  encodeList,
  encodeMap,
  isCodecError,
  MAX_ENCODE_DEPTH,
  type QmfMap,
  type QmfValue,
  TypeCode,
  Typed,
  typed,
  typedArray,
  Uuid,
  type WireType,
} from "./codec/index.js";
export * from "./console/index.js";
export * from "./errors.js";
export * from "./predicate/index.js";
export * from "./schema/index.js";
export {
  AmqpLink,
  type AmqpLinkOptions,
  type BackoffOptions,
  type Binding,
  type BrokerLink,
  type BrokerLinkEvents,
  type BrokerLinkFactory,
  type BrokerNode,
  brokerUrlProblem,
  type InboundMessage,
  type LinkRequest,
  type Logger,
  MemoryBroker,
  type MemoryLinkOptions,
  ObjectId,
  type ObjectIdLike,
  type OutboundProps,
  parseBrokerUrls,
  type ReconnectInfo,
  redactUrl,
  type SessionConnectionEvents,
  type SessionConnectionOptions,
  type TlsOptions,
} from "./transport/index.js";

import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  decodeList,
  decodeMap,
  encodeList,
  encodeMap,
  type QmfValue,
  wireText,
} from "../codec/index.js";
import {
  type AgentLostError,
  ConnectionLostError,
  MethodError,
  NotConnectedError,
} from "../errors.js";
import { compilePredicate } from "../predicate/index.js";
import {
  type BrokerLink,
  Content,
  DIRECT_EXCHANGE,
  DropCounter,
  formatReplyTo,
  type InboundMessage,
  type ObjectId,
  type ObjectIdLike,
  Opcode,
  objectIdFromWire,
  objectIdToWire,
  RoutingKey,
  sessionLink,
  TOPIC_EXCHANGE,
} from "../transport/index.js";
import { AgentDirectory } from "./agent-directory.js";
import { AgentUsers } from "./agent-users.js";
import { type CacheFilter, ObjectCache } from "./object-cache.js";
import { PendingRequests } from "./pending.js";
import type {
  AgentInfo,
  ConsoleSessionEvents,
  ConsoleSessionOptions,
  ObjectQuery,
  QmfObject,
  SchemaId,
  SchemaInfo,
} from "./types.js";
import {
  asMap,
  methodArgsToWire,
  queryToWire,
  toEvent,
  toObject,
  toSchemaId,
  toSchemaInfo,
} from "./wire.js";

/**
 * A QMFv2 console: discovers agents (heartbeats, locate), ages out silent ones, queries
 * objects of one agent or the whole fleet, calls methods, and keeps an object cache current
 * from data indications. Every request ends in exactly one result or one typed error
 * ({@link TimeoutError}, {@link AgentLostError}, {@link ConnectionLostError},
 * {@link MethodError}) — nothing is retried.
 */
export class ConsoleSession extends EventEmitter<ConsoleSessionEvents> {
  readonly name: string;
  /** Dropped messages by reason. */
  readonly drops: DropCounter;
  private readonly opts: ConsoleSessionOptions;
  private readonly link: BrokerLink;
  private readonly replyTo: string;
  private readonly directory: AgentDirectory;
  private readonly pending: PendingRequests;
  private readonly cache: ObjectCache;
  private readonly users: AgentUsers;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(opts: ConsoleSessionOptions) {
    super();
    this.opts = opts;
    this.name = opts.name ?? `qmf-console-${randomUUID()}`;
    this.replyTo = formatReplyTo(DIRECT_EXCHANGE, this.name);
    this.timeoutMs = opts.defaultTimeoutMs ?? 10_000;
    this.cache = new ObjectCache(opts.cacheObjects ?? true);
    this.drops = new DropCounter(opts.log, `[qmf console ${this.name}]`, opts.observer);
    this.users = new AgentUsers(opts.agentUsers, this.drops);
    const onAgentGone = (agent: AgentInfo, reason: AgentLostError) => {
      this.pending.failWhere((p) => p.agentName === agent.name, reason);
      this.cache.dropAgent(agent.name);
    };
    this.directory = new AgentDirectory(
      {
        added: (agent) => this.emit("agentAdded", agent),
        removed: (agent, reason) => {
          onAgentGone(agent, reason);
          this.users.forget(agent.name);
          this.emit("agentRemoved", agent);
        },
        restarted: (agent, previousEpoch, reason) => {
          onAgentGone(agent, reason);
          this.emit("agentRestarted", agent, previousEpoch);
          if (this.cache.enabled) this.reread(agent.name);
        },
        heardAgain: (agent) => this.reread(agent.name),
        silent: (agent, silentMs) => this.emit("agentSilent", agent, silentMs),
      },
      this.drops,
      {
        filter:
          opts.agentFilter === undefined || opts.agentFilter === null
            ? null
            : compilePredicate(opts.agentFilter),
        missedHeartbeats: opts.missedHeartbeats ?? 3,
        observer: opts.observer,
      },
    );
    this.link = sessionLink(
      this,
      opts,
      {
        connectionName: `qmf-console ${this.name}`,
        bindings: [
          { exchange: DIRECT_EXCHANGE, key: this.name },
          { exchange: TOPIC_EXCHANGE, key: RoutingKey.AGENT_INDICATIONS },
        ],
        onMessage: (m) => this.onMessage(m),
      },
      {
        onDisconnected: (e) => {
          this.directory.pause();
          this.pending.failWhere(() => true, e);
        },
        // Indications published while we were away are lost: re-read what we cache, from
        // each agent once it is heard again (it may still be reconnecting itself).
        onReconnected: () => this.directory.resume(this.cache.enabled),
        onFatal: (e) => this.shutdown(e),
      },
    );
    this.pending = new PendingRequests(
      this.link,
      this.replyTo,
      this.drops,
      this.users,
      opts.observer,
    );
  }

  /** Connects and subscribes to agent indications. */
  async open(): Promise<void> {
    await this.link.open();
    this.emit("connected", this.link.node!);
  }

  /** Disconnects; pending requests reject with {@link ConnectionLostError}. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.shutdown(new ConnectionLostError("console session closed"));
    await this.link.close();
  }

  private shutdown(err: Error): void {
    this.closed = true;
    this.pending.close(err);
    this.directory.clear();
    this.users.clear();
  }

  /** The broker user this console sends as (agents see it as `user_id`). */
  get userId(): string {
    return this.link.userId;
  }

  /** The broker node this console is connected to (URL, password redacted); undefined while away. */
  get brokerNode(): string | undefined {
    return this.link.isOpen ? this.link.node?.url : undefined;
  }

  /** Requests waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The broker user an agent sends as (given, or learnt from its heartbeat); undefined if unknown. */
  agentUser(name: string): string | undefined {
    return this.users.userOf(name);
  }

  /** The agents currently known (heard from within their ageing window). */
  agents(): AgentInfo[] {
    return this.directory.list();
  }

  /** One known agent, or undefined. */
  agent(name: string): AgentInfo | undefined {
    return this.directory.get(name);
  }

  /** Resolves when an agent with that name (or matching `test`) is known. */
  waitForAgent(
    which: string | ((a: AgentInfo) => boolean),
    timeoutMs = this.timeoutMs,
  ): Promise<AgentInfo> {
    return typeof which === "string"
      ? this.directory.waitFor((a) => a.name === which, which, timeoutMs)
      : this.directory.waitFor(which, "(predicate)", timeoutMs);
  }

  /**
   * Broadcasts `_agent_locate_request` and returns the agents that answered within
   * `timeoutMs` (those matching `filter`, a predicate over agent attributes; all when omitted).
   */
  async locate(
    filter?: unknown,
    timeoutMs = this.opts.locateTimeoutMs ?? 1000,
  ): Promise<AgentInfo[]> {
    if (this.closed) throw new NotConnectedError("console session is closed");
    if (filter !== undefined && filter !== null) compilePredicate(filter); // fail fast, here
    const body = encodeList(filter === undefined || filter === null ? [] : (filter as QmfValue[]));
    const answers = (await this.pending.locate(body, timeoutMs)) as AgentInfo[];
    return [...new Map(answers.map((a) => [a.name, a])).values()];
  }

  /** Objects (`_what: OBJECT`) of one agent, or of every known agent merged. */
  async query(q: ObjectQuery = {}): Promise<QmfObject[]> {
    const lists = await this.queryEach(q, "OBJECT");
    const out: QmfObject[] = [];
    for (const { agentName, items } of lists) {
      for (const item of items) {
        const obj = this.objectFrom(item, agentName);
        if (!obj) continue;
        out.push(obj);
        this.cache.put(obj);
      }
    }
    return out;
  }

  /** Object ids only (`_what: OBJECT_ID`). */
  async queryObjectIds(q: ObjectQuery = {}): Promise<ObjectId[]> {
    const lists = await this.queryEach(q, "OBJECT_ID");
    const out: ObjectId[] = [];
    for (const { items } of lists) {
      for (const item of items) {
        const id = objectIdFromWire(item);
        if (id) out.push(id);
      }
    }
    return out;
  }

  /** The schema ids an agent serves (`_what: SCHEMA_ID`), optionally of one package. */
  async schemaIds(
    agentName: string,
    packageName?: string,
    timeoutMs?: number,
  ): Promise<SchemaId[]> {
    const [r] = await this.queryEach({ agentName, packageName, timeoutMs }, "SCHEMA_ID");
    return (r?.items ?? []).map((i) => toSchemaId(i)).filter((s): s is SchemaId => s !== null);
  }

  /** One class (or event) schema of an agent (`_what: SCHEMA`); undefined if it has none. */
  async schema(
    agentName: string,
    packageName: string,
    className: string,
    timeoutMs?: number,
  ): Promise<SchemaInfo | undefined> {
    const [r] = await this.queryEach({ agentName, packageName, className, timeoutMs }, "SCHEMA");
    const first = r?.items[0];
    return first === undefined ? undefined : (toSchemaInfo(first) ?? undefined);
  }

  /**
   * Calls a method on an object and resolves with its output arguments. Rejects with
   * {@link MethodError} (the agent's `_exception`: bad argument, unknown object or method,
   * forbidden, handler failure), {@link TimeoutError}, {@link AgentLostError} or
   * {@link ConnectionLostError}. The request carries a TTL of its timeout.
   */
  callMethod(
    objectId: ObjectIdLike,
    methodName: string,
    args: Record<string, unknown> = {},
    opts: { timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    let body: Buffer;
    try {
      body = encodeMap({
        _object_id: objectIdToWire(objectId),
        _method_name: methodName,
        _arguments: methodArgsToWire(args),
      });
    } catch (e) {
      return Promise.reject(e);
    }
    return this.pending.request(
      "method",
      objectId.agentName,
      body,
      Opcode.METHOD_REQUEST,
      opts.timeoutMs ?? this.timeoutMs,
      `${methodName} on ${objectId.objectName}`,
    ) as Promise<Record<string, unknown>>;
  }

  /** Cached objects (from queries and data indications), optionally filtered. */
  cachedObjects(filter: CacheFilter = {}): QmfObject[] {
    return this.cache.list(filter);
  }

  // ---- requests ---------------------------------------------------------------------

  private async queryEach(
    q: ObjectQuery,
    what: string,
  ): Promise<{ agentName: string; items: QmfValue[] }[]> {
    if (q.where !== undefined && q.where !== null) compilePredicate(q.where); // fail fast
    const targets =
      q.objectId !== undefined
        ? [q.objectId.agentName]
        : q.agentName !== undefined
          ? [q.agentName]
          : this.directory.names();
    const body = encodeMap(queryToWire(q, what));
    const fleet = targets.length !== 1 || (q.agentName === undefined && q.objectId === undefined);
    return this.pending.queryEach(targets, body, what, q.timeoutMs ?? this.timeoutMs, fleet);
  }

  /** Re-reads every object of an agent into the cache (after a restart or reconnect). */
  private reread(agentName: string): void {
    this.query({ agentName }).then(
      (objs) => this.cache.keepOnly(agentName, objs),
      (e) => this.drops.note("resync failed", `${agentName}: ${(e as Error).message}`),
    );
  }

  // ---- inbound ----------------------------------------------------------------------

  private onMessage(m: InboundMessage): void {
    try {
      this.dispatch(m);
    } catch (e) {
      this.drops.note("malformed message", `${m.opcode}: ${(e as Error).message}`);
    }
  }

  private dispatch(m: InboundMessage): void {
    if (m.body.length > this.link.maxBodyBytes) {
      this.drops.note("body too large", `${m.opcode}: ${m.body.length} bytes`);
      return;
    }
    switch (m.opcode) {
      case Opcode.METHOD_RESPONSE:
      case Opcode.EXCEPTION:
      case Opcode.QUERY_RESPONSE:
        this.pending.answer(m);
        return;
      case Opcode.AGENT_HEARTBEAT:
      case Opcode.AGENT_LOCATE_RESPONSE: {
        const values = asMap(decodeMap(m.body)._values);
        const name = wireText(values._name);
        const kind = m.opcode === Opcode.AGENT_HEARTBEAT ? "heartbeat" : "locate response";
        if (name !== undefined && !this.users.accepts(m, name, kind)) return;
        const info = this.directory.heard(values);
        if (info) this.users.learn(info.name, m.userId, kind);
        const id = m.correlationId;
        if (m.opcode === Opcode.AGENT_LOCATE_RESPONSE && info && id !== undefined) {
          if (this.pending.get(id)?.kind === "locate") this.pending.collect(id, [info]);
        }
        return;
      }
      case Opcode.DATA_INDICATION: {
        const agent = m.agentName;
        if (agent === undefined) {
          this.drops.note("indication without qmf.agent", `routing key ${m.routingKey}`);
          return;
        }
        if (!this.users.accepts(m, agent, "indication")) return;
        if (m.content === Content.EVENT) {
          for (const item of decodeList(m.body)) this.emit("event", toEvent(item, agent));
        } else this.onData(m, agent);
        return;
      }
      default:
        this.drops.note("unknown opcode", String(m.opcode));
    }
  }

  private onData(m: InboundMessage, agent: string): void {
    for (const item of decodeList(m.body)) {
      const obj = this.objectFrom(item, agent);
      if (!obj) continue;
      if (obj.objectId.agentName !== agent) {
        this.drops.note("object of another agent", `${agent} sent ${obj.objectId}`);
        continue;
      }
      if (obj.deleteTs !== 0n) {
        this.cache.remove(obj);
        this.emit("objectDeleted", obj);
      } else {
        this.cache.put(obj);
        this.emit("objectChanged", obj);
      }
    }
  }

  private objectFrom(item: unknown, fallbackAgent: string | undefined): QmfObject | null {
    const obj = toObject(item, fallbackAgent);
    if (!obj) this.drops.note("malformed object", "no _object_id");
    return obj;
  }
}

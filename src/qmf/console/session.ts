import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  decodeList,
  decodeMap,
  encodeList,
  encodeMap,
  type QmfMap,
  type QmfValue,
  wireText,
} from "../codec/index.js";
import {
  AgentLostError,
  ConnectionLostError,
  MethodError,
  NotConnectedError,
  ProtocolError,
  QmfStatus,
  TimeoutError,
} from "../errors.js";
import { compilePredicate } from "../predicate/index.js";
import {
  type BrokerLink,
  Content,
  ContentType,
  DIRECT_EXCHANGE,
  DropCounter,
  formatReplyTo,
  type InboundMessage,
  isObjectIdLike,
  type ObjectId,
  type ObjectIdLike,
  Opcode,
  type OutboundProps,
  objectIdFromWire,
  objectIdToWire,
  RoutingKey,
  type SessionConnectionEvents,
  type SessionConnectionOptions,
  sessionLink,
  TOPIC_EXCHANGE,
} from "../transport/index.js";

/** What a console knows about an agent, from its heartbeats and locate responses. */
export interface AgentInfo {
  /** `vendor:product:instance`. */
  name: string;
  vendor: string;
  product: string;
  instance: string;
  /** Restart counter of the agent. */
  epoch: number;
  /** All heartbeat attributes (the `_`-prefixed QMF ones included), values as decoded. */
  attributes: Record<string, unknown>;
  /** `Date.now()` when the last heartbeat (or locate response) arrived. */
  lastHeartbeatMs: number;
  heartbeatIntervalMs: number;
}

/** A managed object as a console sees it. */
export interface QmfObject {
  objectId: ObjectId;
  agentName: string;
  packageName: string;
  className: string;
  /**
   * Property values. int64/uint64/absTime/deltaTime are `bigint`, smaller integers and floats
   * `number`, text `string` (long text arriving as vbin32 is read back as text: QMF schemas have
   * no binary type), references {@link ObjectId}, uuids `Uuid`.
   */
  values: Record<string, unknown>;
  /** Nanoseconds since the epoch; `deleteTs` ≠ 0 means the object was deleted. */
  createTs: bigint;
  updateTs: bigint;
  deleteTs: bigint;
}

/** An event raised by an agent. */
export interface QmfEvent {
  agentName: string;
  packageName: string;
  eventName: string;
  /** 0 emergency … 7 debug. */
  severity: number;
  /** Nanoseconds since the epoch. */
  timestamp: bigint;
  values: Record<string, unknown>;
}

/** A schema identity `{package, class, kind, hash}`. */
export interface SchemaId {
  packageName: string;
  className: string;
  kind: "_data" | "_event";
  /** The MD5 class hash, as a uuid text. */
  hash: string;
}

/** A class or event schema as an agent describes it on the wire. */
export interface SchemaInfo {
  id: SchemaId;
  desc?: string;
  /** Each `{_name, _type, _access, _unit, _desc, _index…}` map, keys without the underscore. */
  properties: Record<string, unknown>[];
  methods: { name: string; desc?: string; arguments: Record<string, unknown>[] }[];
}

export interface QueryOptions {
  /** One agent; omitted = every known agent (that passes the agent filter). */
  agentName?: string;
  packageName?: string;
  className?: string;
  /** A QMF predicate over property values, e.g. `["eq", "name", ["quote", "web1"]]`. */
  where?: unknown;
  /** One object. */
  objectId?: ObjectIdLike;
  timeoutMs?: number;
}

export interface ConsoleSessionOptions extends SessionConnectionOptions {
  /** Unique reply address (default `qmf-console-<uuid>`). */
  name?: string;
  /** Only agents whose attributes match this predicate are tracked. */
  agentFilter?: unknown;
  /** Request timeout when a call does not give one (default 10000). */
  defaultTimeoutMs?: number;
  /** How long locate collects responses (default 1000). */
  locateTimeoutMs?: number;
  /** Missed heartbeats before an agent is aged out (default 3). */
  missedHeartbeats?: number;
  /**
   * Keep a cache of objects from query results and data indications, re-queried after an
   * agent restart or a reconnect (default true).
   */
  cacheObjects?: boolean;
}

/** Events of {@link ConsoleSession}: its own and its connection's ({@link SessionConnectionEvents}). */
export interface ConsoleSessionEvents extends SessionConnectionEvents {
  agentAdded: [agent: AgentInfo];
  /** Aged out: no heartbeat for `missedHeartbeats` intervals. */
  agentRemoved: [agent: AgentInfo];
  /** New epoch: its cached objects were dropped and are being re-queried. */
  agentRestarted: [agent: AgentInfo, previousEpoch: number];
  objectChanged: [obj: QmfObject];
  objectDeleted: [obj: QmfObject];
  event: [ev: QmfEvent];
}

type PendingKind = "method" | "query" | "locate";

interface Pending {
  kind: PendingKind;
  agentName: string | undefined;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** Query batches so far. */
  items: QmfValue[];
}

interface AgentRecord {
  info: AgentInfo;
  timer: NodeJS.Timeout;
}

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
  private readonly transport: BrokerLink;
  private readonly replyTo: string;
  private readonly agentTable = new Map<string, AgentRecord>();
  private readonly pending = new Map<string, Pending>();
  private readonly cache = new Map<string, QmfObject>();
  private readonly agentFilter: ((v: Record<string, unknown>) => boolean) | null;
  private readonly timeoutMs: number;
  private readonly cacheObjects: boolean;
  private nextId = 1;
  private readonly requestHeaders = new Map<string, Record<string, unknown>>();
  /** Agents whose cached objects must be re-read when they are next heard from. */
  private readonly staleAgents = new Set<string>();
  private closed = false;

  constructor(opts: ConsoleSessionOptions) {
    super();
    this.opts = opts;
    this.name = opts.name ?? `qmf-console-${randomUUID()}`;
    this.replyTo = formatReplyTo(DIRECT_EXCHANGE, this.name);
    this.timeoutMs = opts.defaultTimeoutMs ?? 10_000;
    this.cacheObjects = opts.cacheObjects ?? true;
    this.agentFilter =
      opts.agentFilter === undefined || opts.agentFilter === null
        ? null
        : compilePredicate(opts.agentFilter);
    this.drops = new DropCounter(opts.log, `[qmf console ${this.name}]`);
    this.transport = sessionLink(
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
          // While we cannot hear heartbeats, silence says nothing about the agents: ageing
          // pauses, and restarts with a full window once we are back.
          for (const r of this.agentTable.values()) clearTimeout(r.timer);
          this.failPending(() => true, e);
        },
        onReconnected: () => {
          for (const [name, r] of this.agentTable) {
            clearTimeout(r.timer); // a heartbeat may have re-armed it already
            r.timer = this.ageingTimer(name, r.info);
          }
          // Indications published while we were away are lost: re-read what we cache, from
          // each agent once it is heard again (it may still be reconnecting itself).
          if (this.cacheObjects)
            for (const name of this.agentTable.keys()) this.staleAgents.add(name);
        },
        onFatal: (e) => this.shutdown(e),
      },
    );
  }

  /** Connects and subscribes to agent indications. */
  async open(): Promise<void> {
    await this.transport.open();
    this.emit("connected", this.transport.node!);
  }

  /** Disconnects; pending requests reject with {@link ConnectionLostError}. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.shutdown(new ConnectionLostError("console session closed"));
    await this.transport.close();
  }

  private shutdown(err: Error): void {
    this.closed = true;
    this.failPending(() => true, err);
    for (const r of this.agentTable.values()) clearTimeout(r.timer);
    this.agentTable.clear();
    this.staleAgents.clear();
  }

  /** The broker user this console sends as (agents see it as `user_id`). */
  get userId(): string {
    return this.transport.userId;
  }

  /** Requests waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The agents currently known (heard from within their ageing window). */
  agents(): AgentInfo[] {
    return [...this.agentTable.values()].map((r) => r.info);
  }

  /** One known agent, or undefined. */
  agent(name: string): AgentInfo | undefined {
    return this.agentTable.get(name)?.info;
  }

  /** Resolves when an agent with that name (or matching `test`) is known. */
  waitForAgent(
    which: string | ((a: AgentInfo) => boolean),
    timeoutMs = this.timeoutMs,
  ): Promise<AgentInfo> {
    const test = typeof which === "string" ? (a: AgentInfo) => a.name === which : which;
    for (const r of this.agentTable.values()) if (test(r.info)) return Promise.resolve(r.info);
    return new Promise((resolve, reject) => {
      const onAdded = (a: AgentInfo) => {
        if (!test(a)) return;
        clearTimeout(timer);
        this.off("agentAdded", onAdded);
        resolve(a);
      };
      const timer = setTimeout(() => {
        this.off("agentAdded", onAdded);
        reject(
          new TimeoutError(
            `waiting for agent ${typeof which === "string" ? which : "(predicate)"}`,
            timeoutMs,
          ),
        );
      }, timeoutMs);
      this.on("agentAdded", onAdded);
    });
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
    const id = this.newId();
    const found = new Map<string, AgentInfo>();
    const done = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, {
        kind: "locate",
        agentName: undefined,
        resolve: (a) => {
          const info = a as AgentInfo;
          found.set(info.name, info);
        },
        reject,
        timer,
        items: [],
      });
    });
    try {
      await this.send(
        TOPIC_EXCHANGE,
        RoutingKey.LOCATE,
        body,
        Opcode.AGENT_LOCATE_REQUEST,
        ContentType.LIST,
        id,
        timeoutMs,
      );
    } catch (e) {
      const p = this.pending.get(id);
      if (p) clearTimeout(p.timer);
      this.pending.delete(id);
      throw e;
    }
    await done;
    return [...found.values()];
  }

  /** Objects (`_what: OBJECT`) of one agent, or of every known agent merged. */
  async query(q: QueryOptions = {}): Promise<QmfObject[]> {
    const lists = await this.queryEach(q, "OBJECT");
    const out: QmfObject[] = [];
    for (const { agentName, items } of lists) {
      for (const item of items) {
        const obj = this.toObject(item, agentName);
        if (!obj) continue;
        out.push(obj);
        if (this.cacheObjects) this.cache.set(cacheKey(obj.objectId), obj);
      }
    }
    return out;
  }

  /** Object ids only (`_what: OBJECT_ID`). */
  async queryObjectIds(q: QueryOptions = {}): Promise<ObjectId[]> {
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
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let body: Buffer;
    try {
      body = encodeMap({
        _object_id: objectIdToWire(objectId),
        _method_name: methodName,
        _arguments: argsToWire(definedOnly(args)),
      });
    } catch (e) {
      return Promise.reject(e);
    }
    return this.request(
      "method",
      objectId.agentName,
      body,
      Opcode.METHOD_REQUEST,
      ContentType.MAP,
      timeoutMs,
      `${methodName} on ${objectId.objectName}`,
    ) as Promise<Record<string, unknown>>;
  }

  /** Cached objects (from queries and data indications), optionally filtered. */
  cachedObjects(
    filter: { agentName?: string; className?: string; packageName?: string } = {},
  ): QmfObject[] {
    const out: QmfObject[] = [];
    for (const o of this.cache.values()) {
      if (filter.agentName !== undefined && o.agentName !== filter.agentName) continue;
      if (filter.className !== undefined && o.className !== filter.className) continue;
      if (filter.packageName !== undefined && o.packageName !== filter.packageName) continue;
      out.push(o);
    }
    return out;
  }

  // ---- requests ---------------------------------------------------------------------

  private async queryEach(
    q: QueryOptions,
    what: string,
  ): Promise<{ agentName: string; items: QmfValue[] }[]> {
    if (q.where !== undefined && q.where !== null) compilePredicate(q.where); // fail fast
    const targets =
      q.objectId !== undefined
        ? [q.objectId.agentName]
        : q.agentName !== undefined
          ? [q.agentName]
          : [...this.agentTable.keys()];
    const req: QmfMap = { _what: what };
    if (q.className !== undefined || q.packageName !== undefined) {
      const sid: QmfMap = {};
      if (q.packageName !== undefined) sid._package_name = q.packageName;
      if (q.className !== undefined) sid._class_name = q.className;
      req._schema_id = sid;
    }
    if (q.objectId !== undefined) req._object_id = objectIdToWire(q.objectId);
    if (q.where !== undefined && q.where !== null) req._where = q.where as QmfValue;
    const body = encodeMap(req);
    const timeoutMs = q.timeoutMs ?? this.timeoutMs;
    const fleet = targets.length !== 1 || (q.agentName === undefined && q.objectId === undefined);
    return Promise.all(
      targets.map(async (agentName) => {
        try {
          const items = (await this.request(
            "query",
            agentName,
            body,
            Opcode.QUERY_REQUEST,
            ContentType.MAP,
            timeoutMs,
            `query ${what} of ${agentName}`,
          )) as QmfValue[];
          return { agentName, items };
        } catch (e) {
          // A fleet query answers for the agents that exist: one that ages out (and was
          // announced with agentRemoved) while we wait is no longer part of the fleet.
          if (fleet && e instanceof AgentLostError) return { agentName, items: [] };
          throw e;
        }
      }),
    );
  }

  private request(
    kind: PendingKind,
    agentName: string,
    body: Buffer,
    opcode: string,
    contentType: string,
    timeoutMs: number,
    what: string,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new NotConnectedError("console session is closed"));
    const id = this.newId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new TimeoutError(what, timeoutMs)), timeoutMs);
      this.pending.set(id, { kind, agentName, resolve, reject, timer, items: [] });
      const fail = (e: unknown) => this.settle(id, e as Error);
      const props: OutboundProps = {
        opcode,
        contentType,
        correlationId: id,
        replyTo: this.replyTo,
        method: "request",
        expirationMs: timeoutMs,
      };
      let headers = this.requestHeaders.get(opcode);
      if (!headers) {
        headers = this.transport.headersFor(props);
        this.requestHeaders.set(opcode, headers);
      }
      props.headers = headers;
      try {
        if (this.transport.tryPublish(DIRECT_EXCHANGE, agentName, body, props)) return;
      } catch (e) {
        fail(e);
        return;
      }
      this.transport.publish(DIRECT_EXCHANGE, agentName, body, props).catch(fail);
    });
  }

  private send(
    exchange: string,
    key: string,
    body: Buffer,
    opcode: string,
    contentType: string,
    correlationId: string,
    expirationMs: number,
  ): Promise<void> {
    return this.transport.publish(exchange, key, body, {
      opcode,
      contentType,
      correlationId,
      replyTo: this.replyTo,
      method: "request",
      expirationMs,
    });
  }

  private newId(): string {
    return (this.nextId++).toString(36);
  }

  private settle(id: string, err: Error | null, value?: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(value);
  }

  private failPending(match: (p: Pending) => boolean, err: Error): void {
    for (const [id, p] of this.pending) {
      if (!match(p)) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
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
    if (m.body.length > this.transport.maxBodyBytes) {
      this.drops.note("body too large", `${m.opcode}: ${m.body.length} bytes`);
      return;
    }
    switch (m.opcode) {
      case Opcode.METHOD_RESPONSE: {
        const id = this.responseId(m, "method");
        if (id === undefined) return;
        const body = this.decodeResponse(id, m, decodeMap);
        if (body) this.settle(id, null, convertValues(asMap(body._arguments)));
        return;
      }
      case Opcode.EXCEPTION: {
        const id = this.responseId(m, undefined);
        if (id === undefined) return;
        const body = this.decodeResponse(id, m, decodeMap);
        if (!body) return;
        const values = asMap(body._values);
        const { error_code, error_text, ...details } = values;
        const code =
          typeof error_code === "number" ? error_code : Number(error_code ?? QmfStatus.EXCEPTION);
        const text = wireText(error_text) ?? "unknown error";
        this.settle(id, new MethodError(code, text, convertValues(details)));
        return;
      }
      case Opcode.QUERY_RESPONSE: {
        const id = this.responseId(m, "query");
        const p = id === undefined ? undefined : this.pending.get(id);
        if (!p || id === undefined) return;
        const list = this.decodeResponse(id, m, decodeList);
        if (!list) return;
        for (const item of list) p.items.push(item);
        if (!m.partial) this.settle(id, null, p.items);
        return;
      }
      case Opcode.AGENT_HEARTBEAT:
      case Opcode.AGENT_LOCATE_RESPONSE: {
        const attrs = asMap(decodeMap(m.body)._values);
        const info = this.onAgentSeen(attrs);
        if (m.opcode === Opcode.AGENT_LOCATE_RESPONSE && info && m.correlationId !== undefined) {
          const p = this.pending.get(m.correlationId);
          if (p?.kind === "locate") p.resolve(info);
        }
        return;
      }
      case Opcode.DATA_INDICATION:
        if (m.content === Content.EVENT) this.onEvents(m);
        else this.onData(m);
        return;
      default:
        this.drops.note("unknown opcode", String(m.opcode));
    }
  }

  /** Decodes a response body; a body that cannot be decoded fails its request at once. */
  private decodeResponse<T>(
    id: string,
    m: InboundMessage,
    decode: (b: Buffer) => T,
  ): T | undefined {
    if (m.contentType !== ContentType.MAP && m.contentType !== ContentType.LIST) {
      this.drops.note("wrong content type", `${m.opcode}: ${m.contentType}`);
      this.settle(
        id,
        new ProtocolError(
          `${m.opcode} from ${m.agentName} has content type ${JSON.stringify(m.contentType)}`,
        ),
      );
      return undefined;
    }
    try {
      return decode(m.body);
    } catch (e) {
      this.drops.note("malformed body", `${m.opcode}: ${(e as Error).message}`);
      this.settle(
        id,
        new ProtocolError(`malformed ${m.opcode} from ${m.agentName}: ${(e as Error).message}`, {
          cause: e,
        }),
      );
      return undefined;
    }
  }

  /**
   * The correlation id of a response to one of our pending requests of that kind, sent by the
   * agent it was addressed to; otherwise the response is counted and dropped.
   */
  private responseId(m: InboundMessage, kind: PendingKind | undefined): string | undefined {
    const id = m.correlationId;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || (kind !== undefined && p.kind !== kind)) {
      this.drops.note("late or unknown response", `${m.opcode} correlation ${id}`);
      return undefined;
    }
    if (p.agentName !== undefined && m.agentName !== undefined && m.agentName !== p.agentName) {
      this.drops.note(
        "response from the wrong agent",
        `${m.agentName} answered ${p.agentName}'s ${id}`,
      );
      return undefined;
    }
    return id;
  }

  private onAgentSeen(attrs: Record<string, unknown>): AgentInfo | null {
    const name = wireText(attrs._name);
    if (name === undefined) {
      this.drops.note("malformed heartbeat", "no _name");
      return null;
    }
    const values = convertValues(attrs);
    if (this.agentFilter && !this.agentFilter(values)) return null;
    const epoch = toNumber(attrs._epoch) ?? 0;
    const ms = toNumber(attrs._heartbeat_interval_ms);
    const intervalMs = ms ?? (toNumber(attrs._heartbeat_interval) ?? 10) * 1000;
    const info: AgentInfo = {
      name,
      vendor: wireText(attrs._vendor) ?? "",
      product: wireText(attrs._product) ?? "",
      instance: wireText(attrs._instance) ?? "",
      epoch,
      attributes: values,
      lastHeartbeatMs: Date.now(),
      heartbeatIntervalMs: intervalMs,
    };
    const rec = this.agentTable.get(name);
    if (!rec) {
      this.agentTable.set(name, { info, timer: this.ageingTimer(name, info) });
      this.emit("agentAdded", info);
      return info;
    }
    const previous = rec.info.epoch;
    rec.info = info;
    // A new timer rather than refresh(): node's mocked timers (the ageing tests) ignore it.
    clearTimeout(rec.timer);
    rec.timer = this.ageingTimer(name, info);
    if (this.staleAgents.delete(name) && previous === epoch) this.resync(name);
    if (previous !== epoch) {
      this.failPending(
        (p) => p.agentName === name,
        new AgentLostError(name, `restarted (epoch ${previous} → ${epoch})`),
      );
      this.dropCached(name);
      this.emit("agentRestarted", info, previous);
      if (this.cacheObjects) this.resync(name);
    }
    return info;
  }

  private ageingTimer(name: string, info: AgentInfo): NodeJS.Timeout {
    const t = setTimeout(
      () => this.ageOut(name),
      info.heartbeatIntervalMs * (this.opts.missedHeartbeats ?? 3),
    );
    t.unref?.();
    return t;
  }

  private ageOut(name: string): void {
    const rec = this.agentTable.get(name);
    if (!rec) return;
    this.agentTable.delete(name);
    this.staleAgents.delete(name);
    const missed = this.opts.missedHeartbeats ?? 3;
    this.failPending(
      (p) => p.agentName === name,
      new AgentLostError(
        name,
        `no heartbeat for ${missed} intervals of ${rec.info.heartbeatIntervalMs} ms`,
      ),
    );
    this.dropCached(name);
    this.emit("agentRemoved", rec.info);
  }

  private dropCached(agentName: string): void {
    for (const [k, o] of this.cache) if (o.agentName === agentName) this.cache.delete(k);
  }

  /** Re-reads every object of an agent into the cache (after a restart or reconnect). */
  private resync(agentName: string): void {
    this.query({ agentName }).then(
      (objs) => {
        const seen = new Set(objs.map((o) => cacheKey(o.objectId)));
        for (const [k, o] of this.cache) {
          if (o.agentName === agentName && !seen.has(k)) this.cache.delete(k);
        }
      },
      (e) => this.drops.note("resync failed", `${agentName}: ${(e as Error).message}`),
    );
  }

  private onData(m: InboundMessage): void {
    const list = decodeList(m.body);
    for (const item of list) {
      const obj = this.toObject(item, m.agentName);
      if (!obj) continue;
      const key = cacheKey(obj.objectId);
      if (obj.deleteTs !== 0n) {
        if (this.cacheObjects) this.cache.delete(key);
        this.emit("objectDeleted", obj);
      } else {
        if (this.cacheObjects) this.cache.set(key, obj);
        this.emit("objectChanged", obj);
      }
    }
  }

  private onEvents(m: InboundMessage): void {
    const list = decodeList(m.body);
    for (const item of list) {
      const e = asMap(item);
      const sid = asMap(e._schema_id);
      this.emit("event", {
        agentName: m.agentName ?? "",
        packageName: wireText(sid._package_name) ?? "",
        eventName: wireText(sid._class_name) ?? "",
        severity: toNumber(e._severity) ?? 6,
        timestamp: typeof e._timestamp === "bigint" ? e._timestamp : 0n,
        values: convertValues(asMap(e._values)),
      });
    }
  }

  private toObject(item: unknown, fallbackAgent: string | undefined): QmfObject | null {
    const d = asMap(item);
    const id = objectIdFromWire(d._object_id);
    if (!id) {
      this.drops.note("malformed object", "no _object_id");
      return null;
    }
    const sid = asMap(d._schema_id);
    return {
      objectId: id,
      agentName: id.agentName || fallbackAgent || "",
      packageName: wireText(sid._package_name) ?? "",
      className: wireText(sid._class_name) ?? "",
      values: convertValues(asMap(d._values)),
      createTs: big(d._create_ts),
      updateTs: big(d._update_ts),
      deleteTs: big(d._delete_ts),
    };
  }
}

function cacheKey(id: ObjectIdLike): string {
  return `${id.agentName}\u0000${id.objectName}`;
}

function asMap(v: unknown): Record<string, unknown> {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && !Buffer.isBuffer(v)) {
    return v as Record<string, unknown>;
  }
  return {};
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

function big(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return 0n;
}

/** Wire values → console values: vbin text → string, `_object_id` maps → ObjectId. */
function convertValue(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  if (Array.isArray(v)) return v.map(convertValue);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const id = objectIdFromWire(v);
    if (id) return id;
    return convertValues(v as Record<string, unknown>);
  }
  return v;
}

function convertValues(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m)) out[k] = convertValue(m[k]);
  return out;
}

/** Leaves out arguments given as `undefined`: the agent then treats them as omitted. */
function definedOnly(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(args)) if (args[k] !== undefined) out[k] = args[k];
  return out;
}

/** Console values → wire: ObjectIds become `_object_id` maps; the rest is the codec's. */
function argsToWire(args: Record<string, unknown>): QmfMap {
  const out: QmfMap = {};
  for (const k of Object.keys(args)) out[k] = valueToWire(args[k]);
  return out;
}

function valueToWire(v: unknown): QmfValue {
  if (isObjectIdLike(v)) return objectIdToWire(v);
  if (Array.isArray(v)) return v.map(valueToWire);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return argsToWire(v as Record<string, unknown>);
  }
  return v as QmfValue;
}

function toSchemaId(v: unknown): SchemaId | null {
  const m = asMap(v);
  const packageName = wireText(m._package_name);
  const className = wireText(m._class_name);
  if (packageName === undefined || className === undefined) return null;
  return {
    packageName,
    className,
    kind: wireText(m._type) === "_event" ? "_event" : "_data",
    hash: m._hash === undefined || m._hash === null ? "" : String(m._hash),
  };
}

function stripUnderscores(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(convertValues(m)))
    out[k.startsWith("_") ? k.slice(1) : k] = v;
  return out;
}

function toSchemaInfo(v: unknown): SchemaInfo | null {
  const m = asMap(v);
  const id = toSchemaId(m._schema_id);
  if (!id) return null;
  // Events list their arguments as `_properties` too.
  const props = Array.isArray(m._properties) ? m._properties : [];
  const methods = Array.isArray(m._methods) ? m._methods : [];
  const info: SchemaInfo = {
    id,
    properties: props.map((p) => stripUnderscores(asMap(p))),
    methods: methods.map((x) => {
      const mm = asMap(x);
      const out: SchemaInfo["methods"][number] = {
        name: wireText(mm._name) ?? "",
        arguments: (Array.isArray(mm._arguments) ? mm._arguments : []).map((a) =>
          stripUnderscores(asMap(a)),
        ),
      };
      const d = wireText(mm._desc);
      if (d !== undefined) out.desc = d;
      return out;
    }),
  };
  const desc = wireText(m._desc);
  if (desc !== undefined) info.desc = desc;
  return info;
}

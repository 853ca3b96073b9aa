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
import { MethodError, QmfError, QmfStatus } from "../errors.js";
import { compilePredicate } from "../predicate/index.js";
import {
  checkArgument,
  fromWire,
  type QmfType,
  type Schema,
  type SchemaArg,
  type SchemaClass,
  type SchemaEvent,
  type SchemaMethod,
  type SchemaProperty,
  schemaIdMap,
  schemaMap,
  toWire,
} from "../schema/index.js";
import {
  type BrokerLink,
  Content,
  ContentType,
  DIRECT_EXCHANGE,
  DropCounter,
  type InboundMessage,
  nowNs,
  ObjectId,
  Opcode,
  type OutboundProps,
  objectIdFromWire,
  objectIdToWire,
  parseReplyTo,
  RoutingKey,
  type SessionConnectionEvents,
  type SessionConnectionOptions,
  sessionLink,
  TOPIC_EXCHANGE,
} from "../transport/index.js";
import { DedupeTable, FORGOTTEN, type RecordedResponse } from "./dedupe.js";

/** A method request, validated against the schema and converted to JS values. */
export interface MethodCall {
  objectId: ObjectId;
  className: string;
  objectName: string;
  methodName: string;
  /**
   * Input arguments, checked and converted per the schema (int64 → bigint, lstr → string…).
   * An optional argument the request left out (or sent as void) is absent.
   */
  args: Record<string, unknown>;
  /** The broker-validated `user_id` of the caller. */
  userId?: string;
  /** The request's correlation id (the at-most-once key, with user and reply address). */
  correlationId?: string;
}

/** What the authorisation hook sees; throw (a {@link MethodError} or anything) to refuse. */
export interface AuthorizeContext {
  userId?: string;
  objectId: ObjectId;
  className: string;
  methodName: string;
}

export interface AgentSessionOptions extends SessionConnectionOptions {
  vendor: string;
  product: string;
  instance: string;
  /** The schemas whose classes and events this agent publishes. */
  schemas: Schema[];
  /** Extra heartbeat attributes (e.g. `hostname`). */
  attributes?: Record<string, QmfValue>;
  /** Restart counter; a new value tells consoles to drop and re-query (default: start time). */
  epoch?: number;
  /** Default 10000 (qpidd's); heartbeats carry a TTL of twice this. */
  heartbeatIntervalMs?: number;
  /** Objects per `_query_response` / `_data_indication` message (default 100). */
  batchSize?: number;
  /** Changes within this window go out as one `_data_indication` per class (default 100). */
  publishDelayMs?: number;
  /**
   * At-most-once table bounds (defaults 10000 ids, 10 minutes after completion, 32 MiB of
   * response bodies — beyond that a duplicate gets an error instead of the old response).
   */
  dedupe?: { maxEntries?: number; ttlMs?: number; maxBytes?: number };
  /** Concurrent method requests at most (unacknowledged deliveries; default 64). */
  maxConcurrentRequests?: number;
  /** Runs before every method handler with the broker-validated user id; throw to refuse. */
  authorize?: (ctx: AuthorizeContext) => void | Promise<void>;
  /** Executes a method; returns its output arguments. Throw {@link MethodError} for `_exception`. */
  onMethod: (call: MethodCall) => Promise<Record<string, unknown>>;
}

/** Events of {@link AgentSession}: its connection's (see {@link SessionConnectionEvents}). */
export type AgentSessionEvents = SessionConnectionEvents;

interface ClassInfo {
  schema: Schema;
  cls: SchemaClass;
  props: Map<string, SchemaProperty>;
  methods: Map<string, MethodInfo>;
  schemaId: QmfMap;
  routingKey: string;
}

interface MethodInfo {
  method: SchemaMethod;
  inArgs: Map<string, SchemaArg>;
  outArgs: Map<string, SchemaArg>;
}

interface EventInfo {
  schema: Schema;
  event: SchemaEvent;
  args: Map<string, SchemaArg>;
  schemaId: QmfMap;
}

interface ManagedObject {
  info: ClassInfo;
  name: string;
  id: ObjectId;
  idWire: QmfMap;
  /** The application's values (predicates run on these). */
  values: Record<string, unknown>;
  /** The same values typed for the wire. */
  wire: QmfMap;
  createTs: bigint;
  updateTs: bigint;
  deleteTs: bigint;
}

/**
 * A QMFv2 agent on the broker: announces itself with heartbeats, answers locate and query
 * requests from its object table, publishes changes as coalesced data indications, raises
 * events, and runs method requests — validated against the schema, authorised, and executed
 * at most once per request id.
 *
 * ```ts
 * const agent = new AgentSession({ url, vendor: "example.org", product: "demo", instance: "h1",
 *   schemas: [schema], onMethod: async (call) => ({ result: 1 }) });
 * await agent.open();
 * agent.setObject("Widget", "Widget:1", { name: "w1", size: 3 });
 * ```
 */
export class AgentSession extends EventEmitter<AgentSessionEvents> {
  /** `vendor:product:instance`. */
  readonly name: string;
  readonly epoch: number;
  /** Dropped or refused requests by reason (malformed body, unknown opcode, …). */
  readonly drops: DropCounter;
  private readonly opts: AgentSessionOptions;
  private readonly transport: BrokerLink;
  private readonly classes = new Map<string, ClassInfo>();
  private readonly events = new Map<string, EventInfo>();
  private readonly objects = new Map<string, ManagedObject>();
  private readonly dirty = new Set<ManagedObject>();
  private readonly dedupe: DedupeTable;
  private readonly attributes: Record<string, QmfValue>;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private publishTimer: NodeJS.Timeout | null = null;
  private schemaUpdated: bigint;
  private closed = false;
  private executed = 0;
  /** Header tables of method responses by opcode (their content header follows the opcode). */
  private readonly responseHeaders = new Map<string, Record<string, unknown>>();

  constructor(opts: AgentSessionOptions) {
    super();
    for (const k of ["vendor", "product", "instance"] as const) {
      if (typeof opts[k] !== "string" || opts[k].length === 0 || opts[k].includes(":")) {
        throw new TypeError(`agent ${k} must be a non-empty string without ':'`);
      }
    }
    this.opts = opts;
    this.name = `${opts.vendor}:${opts.product}:${opts.instance}`;
    this.epoch = opts.epoch ?? Math.floor(Date.now() / 1000) % 0x7fffffff;
    this.intervalMs = opts.heartbeatIntervalMs ?? 10_000;
    this.batchSize = opts.batchSize ?? 100;
    this.schemaUpdated = nowNs();
    this.dedupe = new DedupeTable(
      opts.dedupe?.maxEntries ?? 10_000,
      opts.dedupe?.ttlMs ?? 600_000,
      opts.dedupe?.maxBytes ?? 32 * 1024 * 1024,
    );
    this.drops = new DropCounter(opts.log, `[qmf agent ${this.name}]`);
    this.attributes = { ...(opts.attributes ?? {}) };
    for (const s of opts.schemas) this.addSchema(s);
    this.transport = sessionLink(
      this,
      opts,
      {
        connectionName: `qmf-agent ${this.name}`,
        // Named after the agent, so a second agent with this name is refused by the broker
        // instead of receiving (and executing) every request sent to the name as well.
        queueName: `qmf-agent.${this.name}`,
        bindings: [
          { exchange: DIRECT_EXCHANGE, key: this.name },
          { exchange: TOPIC_EXCHANGE, key: RoutingKey.CONSOLE_REQUESTS },
        ],
        onMessage: (m) => this.onMessage(m),
        prefetch: opts.maxConcurrentRequests ?? 64,
      },
      {
        onDisconnected: () => this.stopHeartbeats(),
        onReconnected: () => {
          // A heartbeat at once, so consoles that aged us out during the outage see us again.
          this.startHeartbeats();
          this.schedulePublish(0);
        },
        onFatal: () => {
          this.closed = true;
          this.stopHeartbeats();
        },
      },
    );
  }

  /** Connects, subscribes and sends the first heartbeat. */
  async open(): Promise<void> {
    await this.transport.open();
    this.startHeartbeats();
    this.emit("connected", this.transport.node!);
  }

  /** Stops heartbeats and disconnects (consoles age the agent out). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeats();
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    await this.transport.close();
  }

  /** The broker user this agent publishes as. */
  get userId(): string {
    return this.transport.userId;
  }

  /** Method handlers started so far (duplicates answered from the dedupe table not counted). */
  get methodsExecuted(): number {
    return this.executed;
  }

  /** The id of one of this agent's objects (names are deterministic, e.g. `Domain:<uuid>`). */
  objectId(objectName: string): ObjectId {
    return new ObjectId(this.name, objectName, this.epoch);
  }

  /** The current heartbeat attributes, including the `_`-prefixed QMF ones. */
  getAttributes(): Record<string, QmfValue> {
    return {
      ...this.attributes,
      _vendor: this.opts.vendor,
      _product: this.opts.product,
      _instance: this.opts.instance,
      _name: this.name,
      _timestamp: nowNs(),
      _heartbeat_interval: Math.max(1, Math.round(this.intervalMs / 1000)),
      _heartbeat_interval_ms: this.intervalMs,
      _epoch: this.epoch,
      _schema_updated: this.schemaUpdated,
    };
  }

  /** Merges heartbeat attributes (sent with the next heartbeat and locate responses). */
  setAttributes(partial: Record<string, QmfValue>): void {
    for (const [k, v] of Object.entries(partial)) {
      if (k.startsWith("_")) throw new TypeError(`attribute ${k}: names starting with _ are QMF's`);
      if (v === undefined) delete this.attributes[k];
      else this.attributes[k] = v;
    }
  }

  /**
   * Adds or replaces an object's values (the whole set: a property left out is absent). Only
   * a real change is published, coalesced with other changes within `publishDelayMs`.
   * Throws TypeError for an unknown class or property, or a value that does not fit its type.
   */
  setObject(className: string, objectName: string, values: Record<string, unknown>): void {
    const info = this.classes.get(className);
    if (!info) throw new TypeError(`setObject: unknown class ${className}`);
    if (typeof objectName !== "string" || objectName.length === 0) {
      throw new TypeError("setObject: the object name must be a non-empty string");
    }
    const existing = this.objects.get(objectName);
    if (existing && existing.info !== info) {
      throw new TypeError(
        `setObject: object ${objectName} is a ${existing.info.cls.name}, not a ${className}`,
      );
    }
    if (existing && sameValues(existing.values, values)) return;
    const wire = typedValues(values, info.props, (k, e) =>
      e
        ? new TypeError(`setObject ${className}.${k}: ${e.message}`, { cause: e })
        : new TypeError(`setObject ${className}: unknown property ${k}`),
    );
    const now = nowNs();
    if (existing) {
      existing.values = { ...values };
      existing.wire = wire;
      existing.updateTs = now;
      this.dirty.add(existing);
    } else {
      const id = this.objectId(objectName);
      const obj: ManagedObject = {
        info,
        name: objectName,
        id,
        idWire: objectIdToWire(id),
        values: { ...values },
        wire,
        createTs: now,
        updateTs: now,
        deleteTs: 0n,
      };
      this.objects.set(objectName, obj);
      this.dirty.add(obj);
    }
    this.schedulePublish(this.opts.publishDelayMs ?? 100);
  }

  /** Removes an object; consoles get it once more with `_delete_ts` set. No-op if unknown. */
  deleteObject(className: string, objectName: string): void {
    const obj = this.objects.get(objectName);
    if (!obj || obj.info.cls.name !== className) return;
    this.objects.delete(objectName);
    obj.deleteTs = nowNs();
    obj.updateTs = obj.deleteTs;
    this.dirty.add(obj);
    this.schedulePublish(this.opts.publishDelayMs ?? 100);
  }

  /** The values last set for an object, or undefined. */
  getObject(objectName: string): Readonly<Record<string, unknown>> | undefined {
    return this.objects.get(objectName)?.values;
  }

  /** Names of the current objects, optionally of one class. */
  objectNames(className?: string): string[] {
    const out: string[] = [];
    for (const o of this.objects.values()) {
      if (className === undefined || o.info.cls.name === className) out.push(o.name);
    }
    return out;
  }

  /**
   * Publishes an event now (`agent.ind.event.<pkg>.<event>.<severity>`). Severity 0
   * (emergency) … 7 (debug); default the schema's, else 6 (info). Throws TypeError for an
   * unknown event or argument.
   */
  raiseEvent(eventName: string, values: Record<string, unknown>, severity?: number): Promise<void> {
    const info = this.events.get(eventName);
    if (!info) throw new TypeError(`raiseEvent: unknown event ${eventName}`);
    const wire = typedValues(values, info.args, (k, e) =>
      e
        ? new TypeError(`raiseEvent ${eventName}.${k}: ${e.message}`, { cause: e })
        : new TypeError(`raiseEvent ${eventName}: unknown argument ${k}`),
    );
    const sev = severity ?? info.event.severity ?? 6;
    if (!Number.isInteger(sev) || sev < 0 || sev > 7) {
      throw new TypeError(`raiseEvent ${eventName}: severity must be 0..7, got ${sev}`);
    }
    const now = nowNs();
    const body = encodeList([
      { _schema_id: info.schemaId, _values: wire, _severity: sev, _timestamp: now },
    ]);
    return this.transport.publish(
      TOPIC_EXCHANGE,
      RoutingKey.event(info.schema.packageName, eventName, sev),
      body,
      {
        opcode: Opcode.DATA_INDICATION,
        contentType: ContentType.LIST,
        agentName: this.name,
        content: Content.EVENT,
        method: "indication",
      },
    );
  }

  // ---- schema tables ------------------------------------------------------------------

  private addSchema(schema: Schema): void {
    for (const cls of schema.classes) {
      if (this.classes.has(cls.name)) {
        throw new TypeError(`class ${cls.name} is defined by two schemas`);
      }
      const methods = new Map<string, MethodInfo>();
      for (const m of cls.methods) {
        const inArgs = new Map<string, SchemaArg>();
        const outArgs = new Map<string, SchemaArg>();
        for (const a of m.args) {
          if (a.dir === "I" || a.dir === "IO") inArgs.set(a.name, a);
          if (a.dir === "O" || a.dir === "IO") outArgs.set(a.name, a);
        }
        methods.set(m.name, { method: m, inArgs, outArgs });
      }
      this.classes.set(cls.name, {
        schema,
        cls,
        props: new Map(cls.properties.map((p) => [p.name, p])),
        methods,
        schemaId: schemaIdMap(cls, schema.packageName),
        routingKey: RoutingKey.data(schema.packageName, cls.name),
      });
    }
    for (const ev of schema.events) {
      this.events.set(ev.name, {
        schema,
        event: ev,
        args: new Map(ev.args.map((a) => [a.name, a])),
        schemaId: schemaIdMap(ev, schema.packageName),
      });
    }
  }

  // ---- heartbeats and indications ---------------------------------------------------

  private startHeartbeats(): void {
    this.stopHeartbeats();
    void this.sendHeartbeat();
    this.heartbeatTimer = setInterval(() => void this.sendHeartbeat(), this.intervalMs);
    this.heartbeatTimer.unref?.();
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private async sendHeartbeat(): Promise<void> {
    if (!this.transport.isOpen) return;
    const body = encodeMap({ _values: this.getAttributes() });
    try {
      await this.transport.publish(
        TOPIC_EXCHANGE,
        RoutingKey.heartbeat(this.opts.vendor, this.opts.product),
        body,
        {
          opcode: Opcode.AGENT_HEARTBEAT,
          contentType: ContentType.MAP,
          agentName: this.name,
          method: "indication",
          expirationMs: 2 * this.intervalMs,
        },
      );
    } catch {
      // The connection dropped: the reconnect path sends the next heartbeat.
    }
  }

  private schedulePublish(delayMs: number): void {
    if (this.publishTimer || this.dirty.size === 0 || this.closed) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      void this.publishChanges();
    }, delayMs);
  }

  private async publishChanges(): Promise<void> {
    if (!this.transport.isOpen) return; // kept dirty; flushed on reconnect
    const byClass = new Map<ClassInfo, QmfMap[]>();
    for (const o of this.dirty) {
      let list = byClass.get(o.info);
      if (!list) {
        list = [];
        byClass.set(o.info, list);
      }
      list.push(this.dataMap(o));
    }
    this.dirty.clear();
    try {
      for (const [info, maps] of byClass) {
        for (let i = 0; i < maps.length; i += this.batchSize) {
          await this.transport.publish(
            TOPIC_EXCHANGE,
            info.routingKey,
            encodeList(maps.slice(i, i + this.batchSize)),
            {
              opcode: Opcode.DATA_INDICATION,
              contentType: ContentType.LIST,
              agentName: this.name,
              content: Content.DATA,
              method: "indication",
            },
          );
        }
      }
    } catch (e) {
      this.opts.log?.warn(`[qmf agent ${this.name}] data indication lost: ${(e as Error).message}`);
    }
  }

  private dataMap(o: ManagedObject): QmfMap {
    return {
      _values: o.wire,
      _object_id: o.idWire,
      _schema_id: o.info.schemaId,
      _create_ts: o.createTs,
      _update_ts: o.updateTs,
      _delete_ts: o.deleteTs,
    };
  }

  // ---- requests ---------------------------------------------------------------------

  private onMessage(m: InboundMessage): void {
    let async: Promise<void> | undefined;
    try {
      async = this.dispatch(m);
    } catch (e) {
      this.drops.note("internal error", (e as Error).message);
    }
    if (async) {
      async.then(
        () => this.transport.ack(m),
        (e) => {
          this.drops.note("internal error", (e as Error).message);
          this.transport.ack(m);
        },
      );
    } else {
      this.transport.ack(m);
    }
  }

  /** Returns a promise only for work that outlives this tick (method calls). */
  private dispatch(m: InboundMessage): Promise<void> | undefined {
    if (m.appId !== "qmf2") {
      this.refuse(m, "not a QMF message", `app_id ${JSON.stringify(m.appId)}, want "qmf2"`);
      return;
    }
    if (m.body.length > this.transport.maxBodyBytes) {
      this.refuse(
        m,
        "body too large",
        `${m.body.length} bytes, limit ${this.transport.maxBodyBytes}`,
      );
      return;
    }
    switch (m.opcode) {
      case Opcode.AGENT_LOCATE_REQUEST:
        this.onLocate(m);
        return;
      case Opcode.QUERY_REQUEST:
        return this.onQuery(m);
      case Opcode.METHOD_REQUEST:
        return this.onMethodRequest(m);
      default:
        this.refuse(m, "unknown opcode", `qmf.opcode ${JSON.stringify(m.opcode)}`);
        return;
    }
  }

  /** Counts and logs a bad request; answers `_exception` when it names a reply address. */
  private refuse(
    m: InboundMessage,
    reason: string,
    detail: string,
    status: number = QmfStatus.PARAMETER_INVALID,
  ): void {
    this.drops.note(reason, detail);
    void this.replyException(m, status, `${reason}: ${detail}`);
  }

  private decodeBody(m: InboundMessage, want: "map" | "list"): QmfMap | QmfValue[] | undefined {
    const wantType = want === "map" ? ContentType.MAP : ContentType.LIST;
    if (m.contentType !== wantType) {
      this.refuse(
        m,
        "wrong content type",
        `${m.opcode} needs ${wantType}, got ${JSON.stringify(m.contentType)}`,
      );
      return undefined;
    }
    try {
      return want === "map" ? decodeMap(m.body) : decodeList(m.body);
    } catch (e) {
      this.refuse(m, "malformed body", `${m.opcode}: ${(e as Error).message}`);
      return undefined;
    }
  }

  private onLocate(m: InboundMessage): void {
    const body = this.decodeBody(m, "list") as QmfValue[] | undefined;
    if (!body) return;
    if (!parseReplyTo(m.replyTo)) {
      this.drops.note("no reply address", "agent locate request without a usable reply_to");
      return;
    }
    if (body.length > 0) {
      let matches: boolean;
      try {
        matches = compilePredicate(body)(this.getAttributes());
      } catch (e) {
        this.refuse(m, "bad locate predicate", (e as Error).message);
        return;
      }
      if (!matches) return;
    }
    void this.reply(m, Opcode.AGENT_LOCATE_RESPONSE, ContentType.MAP, undefined, [
      encodeMap({ _values: this.getAttributes() }),
    ]);
  }

  private onQuery(m: InboundMessage): Promise<void> | undefined {
    const q = this.decodeBody(m, "map") as QmfMap | undefined;
    if (!q) return;
    if (!parseReplyTo(m.replyTo)) {
      this.drops.note("no reply address", "query request without a usable reply_to");
      return;
    }
    const what = typeof q._what === "string" ? q._what : "";
    let filter: ((values: Record<string, unknown>) => boolean) | null = null;
    if (q._where !== undefined && q._where !== null) {
      try {
        filter = compilePredicate(q._where);
      } catch (e) {
        this.refuse(m, "bad query predicate", (e as Error).message);
        return;
      }
    }
    const schemaId = q._schema_id as QmfMap | undefined;
    const className =
      schemaId && typeof schemaId === "object" ? wireText(schemaId._class_name) : undefined;
    const packageName =
      schemaId && typeof schemaId === "object" ? wireText(schemaId._package_name) : undefined;
    switch (what) {
      case "OBJECT":
      case "OBJECT_ID": {
        const objs = this.selectObjects(q._object_id, packageName, className, filter);
        if (what === "OBJECT") {
          return this.replyBatches(m, Content.DATA, objs, (o) => this.dataMap(o));
        }
        return this.replyBatches(m, Content.OBJECT_ID, objs, (o) => o.idWire);
      }
      case "SCHEMA_ID":
      case "SCHEMA": {
        const infos = [...this.classes.values()].filter(
          (c) =>
            (packageName === undefined || c.schema.packageName === packageName) &&
            (className === undefined || c.cls.name === className),
        );
        const evs = [...this.events.values()].filter(
          (e) =>
            (packageName === undefined || e.schema.packageName === packageName) &&
            (className === undefined || e.event.name === className),
        );
        if (what === "SCHEMA_ID") {
          const ids = [...infos.map((c) => c.schemaId), ...evs.map((e) => e.schemaId)];
          return this.replyBatches(m, Content.SCHEMA_ID, ids, (x) => x);
        }
        const maps = [
          ...infos.map((c) => schemaMap(c.cls, c.schema.packageName) as QmfMap),
          ...evs.map((e) => schemaMap(e.event, e.schema.packageName) as QmfMap),
        ];
        return this.replyBatches(m, Content.SCHEMA, maps, (x) => x);
      }
      default:
        this.refuse(m, "bad query", `_what must be OBJECT, OBJECT_ID, SCHEMA or SCHEMA_ID`);
        return;
    }
  }

  private selectObjects(
    objectIdWire: unknown,
    packageName: string | undefined,
    className: string | undefined,
    filter: ((values: Record<string, unknown>) => boolean) | null,
  ): ManagedObject[] {
    if (objectIdWire !== undefined && objectIdWire !== null) {
      const id = objectIdFromWire(objectIdWire);
      const o = id && id.agentName === this.name ? this.objects.get(id.objectName) : undefined;
      return o ? [o] : [];
    }
    const out: ManagedObject[] = [];
    for (const o of this.objects.values()) {
      if (className !== undefined && o.info.cls.name !== className) continue;
      if (packageName !== undefined && o.info.schema.packageName !== packageName) continue;
      if (filter && !filter(o.values)) continue;
      out.push(o);
    }
    return out;
  }

  /** Answers in batches of `batchSize`, every one but the last marked `partial`. */
  private async replyBatches<T>(
    m: InboundMessage,
    content: string,
    items: T[],
    toMap: (t: T) => QmfMap,
  ): Promise<void> {
    const bodies: Buffer[] = [];
    if (items.length === 0) bodies.push(encodeList([]));
    for (let i = 0; i < items.length; i += this.batchSize) {
      bodies.push(encodeList(items.slice(i, i + this.batchSize).map(toMap)));
    }
    await this.reply(m, Opcode.QUERY_RESPONSE, ContentType.LIST, content, bodies);
  }

  private async reply(
    m: InboundMessage,
    opcode: string,
    contentType: string,
    content: string | undefined,
    bodies: Buffer[],
  ): Promise<void> {
    const to = parseReplyTo(m.replyTo);
    if (!to) return;
    try {
      for (let i = 0; i < bodies.length; i++) {
        await this.transport.publish(to.exchange, to.routingKey, bodies[i]!, {
          opcode,
          contentType,
          correlationId: m.correlationId,
          agentName: this.name,
          content,
          method: "response",
          partial: i < bodies.length - 1,
        });
      }
    } catch (e) {
      await this.replyFailed(m, opcode, e);
    }
  }

  private replyException(m: InboundMessage, status: number, text: string): Promise<void> {
    const to = parseReplyTo(m.replyTo);
    if (!to) return Promise.resolve();
    return this.transport
      .publish(to.exchange, to.routingKey, exceptionBody(status, text), {
        opcode: Opcode.EXCEPTION,
        contentType: ContentType.MAP,
        correlationId: m.correlationId,
        agentName: this.name,
        content: Content.DATA,
        method: "response",
      })
      .catch((e) => this.drops.note("reply lost", `_exception: ${(e as Error).message}`));
  }

  // ---- methods ----------------------------------------------------------------------

  private onMethodRequest(m: InboundMessage): Promise<void> | undefined {
    const to = parseReplyTo(m.replyTo);
    if (!to) {
      this.drops.note("no reply address", "method request without a usable reply_to");
      return;
    }
    const req = this.decodeBody(m, "map") as QmfMap | undefined;
    if (!req) return;
    // At-most-once: the key binds the id to its caller, so two consoles cannot collide.
    const key =
      m.correlationId === undefined
        ? undefined
        : `${m.userId ?? ""}\u0000${m.replyTo}\u0000${m.correlationId}`;
    if (key !== undefined) {
      const seen = this.dedupe.begin(key, Date.now());
      if (seen === "running") return;
      if (seen === FORGOTTEN) {
        return this.sendRecorded(m, {
          opcode: Opcode.EXCEPTION,
          content: Content.DATA,
          body: exceptionBody(
            QmfStatus.EXCEPTION,
            `request ${m.correlationId} was already executed; its response is no longer kept`,
          ),
        });
      }
      if (seen !== "new") return this.sendRecorded(m, seen);
    }
    return this.runMethod(m, req).then((response) => {
      let extra = 0;
      if (key !== undefined) extra = this.dedupe.finish(key, response, Date.now());
      if (extra === 0) return this.sendRecorded(m, response);
      return (async () => {
        for (let i = 0; i <= extra; i++) await this.sendRecorded(m, response);
      })();
    });
  }

  /** Sends a method's recorded response; synchronous when the channel can take it. */
  private sendRecorded(m: InboundMessage, r: RecordedResponse): Promise<void> | undefined {
    const to = parseReplyTo(m.replyTo);
    if (!to) return;
    const props: OutboundProps = {
      opcode: r.opcode,
      contentType: ContentType.MAP,
      correlationId: m.correlationId,
      agentName: this.name,
      content: r.content,
      method: "response",
    };
    let headers = this.responseHeaders.get(r.opcode);
    if (!headers) {
      headers = this.transport.headersFor(props);
      this.responseHeaders.set(r.opcode, headers);
    }
    props.headers = headers;
    try {
      if (this.transport.tryPublish(to.exchange, to.routingKey, r.body, props)) return;
    } catch (e) {
      return this.replyFailed(m, r.opcode, e);
    }
    return this.transport
      .publish(to.exchange, to.routingKey, r.body, props)
      .catch((e) => this.replyFailed(m, r.opcode, e));
  }

  /** A response that could not be sent: too large becomes an `_exception`, else it is counted. */
  private async replyFailed(m: InboundMessage, opcode: string, e: unknown): Promise<void> {
    if (e instanceof QmfError && e.code === "BODY_TOO_LARGE") {
      await this.replyException(m, QmfStatus.EXCEPTION, `response too large: ${e.message}`);
      return;
    }
    this.drops.note("reply lost", `${opcode}: ${(e as Error).message}`);
  }

  /** Validates, authorises and runs one request; never throws: failures become `_exception`. */
  private async runMethod(m: InboundMessage, req: QmfMap): Promise<RecordedResponse> {
    try {
      const call = this.validate(m, req);
      if (this.opts.authorize) {
        try {
          await this.opts.authorize({
            userId: call.userId,
            objectId: call.objectId,
            className: call.className,
            methodName: call.methodName,
          });
        } catch (e) {
          if (e instanceof MethodError) throw e;
          throw new MethodError(
            QmfStatus.FORBIDDEN,
            `user ${call.userId ?? "(unknown)"} may not call ${call.className}.${call.methodName}: ${
              (e as Error).message
            }`,
          );
        }
      }
      this.executed++;
      const out = await this.opts.onMethod(call);
      return {
        opcode: Opcode.METHOD_RESPONSE,
        content: undefined,
        body: this.encodeOut(call, out),
      };
    } catch (e) {
      const err =
        e instanceof MethodError
          ? e
          : new MethodError(QmfStatus.EXCEPTION, (e as Error)?.message ?? String(e));
      return {
        opcode: Opcode.EXCEPTION,
        content: Content.DATA,
        body: exceptionBody(err.code, err.text, err.details),
      };
    }
  }

  private validate(m: InboundMessage, req: QmfMap): MethodCall {
    const methodName = wireText(req._method_name);
    if (methodName === undefined) {
      throw new MethodError(QmfStatus.PARAMETER_INVALID, "method request without _method_name");
    }
    const id = objectIdFromWire(req._object_id);
    if (!id) {
      throw new MethodError(
        QmfStatus.UNKNOWN_OBJECT,
        `method ${methodName}: no _object_id (this agent has no agent-level methods)`,
      );
    }
    const obj = id.agentName === this.name ? this.objects.get(id.objectName) : undefined;
    if (!obj) throw new MethodError(QmfStatus.UNKNOWN_OBJECT, `no object ${id.objectName}`);
    const info = obj.info;
    const method = info.methods.get(methodName);
    if (!method) {
      throw new MethodError(
        QmfStatus.UNKNOWN_METHOD,
        `class ${info.cls.name} has no method ${methodName}`,
      );
    }
    const given = req._arguments ?? {};
    if (typeof given !== "object" || Array.isArray(given) || Buffer.isBuffer(given)) {
      throw new MethodError(QmfStatus.PARAMETER_INVALID, `${methodName}: _arguments is not a map`);
    }
    const args: Record<string, unknown> = {};
    const g = given as Record<string, unknown>;
    for (const k of Object.keys(g)) {
      if (!method.inArgs.has(k)) {
        throw new MethodError(
          QmfStatus.PARAMETER_INVALID,
          `${methodName}: unexpected argument ${k}${method.outArgs.has(k) ? " (an output argument)" : ""}`,
        );
      }
    }
    for (const [name, arg] of method.inArgs) {
      const v = g[name];
      // An optional argument left out, or sent as void (how a JS undefined or a Python None
      // travels), is absent for the handler; a required one is refused.
      if (arg.optional === true && (v === undefined || v === null)) continue;
      if (v === undefined) {
        throw new MethodError(
          QmfStatus.PARAMETER_INVALID,
          `${methodName}: missing argument ${name}`,
        );
      }
      const why = checkArgument(arg, v);
      if (why !== null) {
        throw new MethodError(
          QmfStatus.PARAMETER_INVALID,
          `${methodName}: argument ${name} ${why}`,
        );
      }
      const converted = fromWire(arg.type, v);
      args[name] = arg.type === "objId" ? (objectIdFromWire(converted) ?? converted) : converted;
    }
    return {
      objectId: obj.id,
      className: info.cls.name,
      objectName: obj.name,
      methodName,
      args,
      userId: m.userId,
      correlationId: m.correlationId,
    };
  }

  private encodeOut(call: MethodCall, out: Record<string, unknown> | undefined): Buffer {
    if (out === undefined || isEmpty(out)) return NO_OUTPUT;
    const method = this.classes.get(call.className)!.methods.get(call.methodName)!;
    const wire = typedValues(
      out,
      method.outArgs,
      (k, e) =>
        new MethodError(
          QmfStatus.EXCEPTION,
          e
            ? `${call.methodName} returned a bad ${k}: ${e.message}`
            : `${call.methodName} returned ${k}, which is not an output argument`,
        ),
    );
    return encodeMap({ _arguments: wire });
  }
}

/** The response of a method without output arguments: always the same bytes. */
const NO_OUTPUT = encodeMap({ _arguments: {} });

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

function exceptionBody(
  status: number,
  text: string,
  details: Record<string, unknown> = {},
): Buffer {
  const values: QmfMap = {};
  for (const [k, v] of Object.entries(details)) values[k] = v as QmfValue;
  values.error_code = status;
  values.error_text = text;
  return encodeMap({ _values: values });
}

/**
 * Each defined value put on the wire with its field's exact type (properties, event
 * arguments, output arguments); `refuse` makes the error for a key with no field, or (with the
 * problem) for a value that does not fit it.
 */
function typedValues(
  values: Record<string, unknown>,
  fields: ReadonlyMap<string, { type: QmfType }>,
  refuse: (key: string, problem?: Error) => Error,
): QmfMap {
  const wire: QmfMap = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const field = fields.get(k);
    if (!field) throw refuse(k);
    try {
      wire[k] = typedValue(field.type, v);
    } catch (e) {
      throw refuse(k, e as Error);
    }
  }
  return wire;
}

/** toWire, after turning ObjectIds nested in map/list values into `_object_id` maps. */
function typedValue(type: QmfType, v: unknown): QmfValue {
  return toWire(type, type === "map" || type === "list" ? nestedIds(v) : v);
}

function nestedIds(v: unknown): unknown {
  if (v instanceof ObjectId) return objectIdToWire(v);
  if (Array.isArray(v)) return v.map(nestedIds);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = nestedIds((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Deep equality of application values (bigint, Buffer, Uuid-like `equals`, arrays, maps). */
function sameValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
    return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValues(a[i], b[i])) return false;
    return true;
  }
  const eq = (a as { equals?: unknown }).equals;
  if (typeof eq === "function") return (eq as (o: unknown) => boolean).call(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a as object).filter(
    (k) => (a as Record<string, unknown>)[k] !== undefined,
  );
  const kb = Object.keys(b as object).filter(
    (k) => (b as Record<string, unknown>)[k] !== undefined,
  );
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!sameValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}

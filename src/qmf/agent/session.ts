import { EventEmitter } from "node:events";
import { nowNs } from "../../util/clock.js";
import { encodeList, encodeMap, type QmfValue } from "../codec/index.js";
import { MethodError, QmfStatus } from "../errors.js";
import {
  Content,
  ContentType,
  DIRECT_EXCHANGE,
  type ObjectId,
  Opcode,
  RoutingKey,
  TOPIC_EXCHANGE,
} from "../transport/envelope.js";
import type { BrokerLink, InboundMessage } from "../transport/link.js";
import { DropCounter } from "../transport/log.js";
import { sessionLink } from "../transport/session-link.js";
import { MethodDispatch } from "./method-dispatch.js";
import { ObjectTable } from "./object-table.js";
import { answerLocate, answerQuery } from "./query-answers.js";
import { TokenBuckets } from "./rate-limit.js";
import { Replier } from "./replies.js";
import { SchemaIndex } from "./schema-index.js";
import { typedValues } from "./typed-values.js";
import type { AgentSessionEvents, AgentSessionOptions } from "./types.js";

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
  private readonly link: BrokerLink;
  private readonly schemas: SchemaIndex;
  private readonly objects: ObjectTable;
  private readonly replier: Replier;
  private readonly methods: MethodDispatch;
  private readonly limiter: TokenBuckets | undefined;
  private readonly attributes: Record<string, QmfValue>;
  private readonly intervalMs: number;
  private readonly schemaUpdated: bigint;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closed = false;

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
    this.schemaUpdated = nowNs();
    this.drops = new DropCounter(opts.log, `[qmf agent ${this.name}]`, opts.observer);
    this.attributes = { ...(opts.attributes ?? {}) };
    this.schemas = new SchemaIndex(opts.schemas, this.name);
    this.link = sessionLink(
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
          this.objects.schedulePublish(0);
        },
        onFatal: () => {
          this.closed = true;
          this.stopHeartbeats();
          this.objects.stop();
        },
      },
    );
    const batchSize = opts.batchSize ?? 100;
    this.objects = new ObjectTable(this.link, {
      agentName: this.name,
      epoch: this.epoch,
      batchSize,
      publishDelayMs: opts.publishDelayMs ?? 100,
      log: opts.log,
      observer: opts.observer,
    });
    this.replier = new Replier(this.link, this.name, batchSize, this.drops);
    this.limiter = opts.rateLimit ? new TokenBuckets(opts.rateLimit) : undefined;
    this.methods = new MethodDispatch(this.name, this.objects, this.replier, opts, this.limiter);
  }

  /** Connects, subscribes and sends the first heartbeat. */
  async open(): Promise<void> {
    await this.link.open();
    this.startHeartbeats();
    this.emit("connected", this.link.node!);
  }

  /** Stops heartbeats and disconnects (consoles age the agent out). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeats();
    this.objects.stop();
    await this.link.close();
  }

  /** The broker user this agent publishes as. */
  get userId(): string {
    return this.link.userId;
  }

  /** Method handlers started so far (duplicates answered from the dedupe table not counted). */
  get methodsExecuted(): number {
    return this.methods.executed;
  }

  /** The id of one of this agent's objects (names are deterministic, e.g. `Domain:<uuid>`). */
  objectId(objectName: string): ObjectId {
    return this.objects.objectId(objectName);
  }

  /**
   * The current heartbeat attributes, including the `_`-prefixed QMF ones and `broker_node`:
   * the broker node this agent is connected to (URL without password), so that a console can
   * show how a fleet spreads over a cluster and where an agent went after a failover.
   */
  getAttributes(): Record<string, QmfValue> {
    return {
      ...this.attributes,
      broker_node: this.link.node?.url ?? "",
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
    const info = this.schemas.classes.get(className);
    if (!info) throw new TypeError(`setObject: unknown class ${className}`);
    this.objects.set(info, objectName, values);
  }

  /** Removes an object; consoles get it once more with `_delete_ts` set. No-op if unknown. */
  deleteObject(className: string, objectName: string): void {
    this.objects.delete(className, objectName);
  }

  /** The values last set for an object, or undefined. */
  getObject(objectName: string): Readonly<Record<string, unknown>> | undefined {
    return this.objects.get(objectName)?.values;
  }

  /** Names of the current objects, optionally of one class. */
  objectNames(className?: string): string[] {
    return this.objects.names(className);
  }

  /**
   * Publishes an event now (`agent.ind.event.<pkg>.<event>.<severity>.<agent name words>`). Severity 0
   * (emergency) … 7 (debug); default the schema's, else 6 (info). Throws TypeError for an
   * unknown event or argument.
   */
  raiseEvent(eventName: string, values: Record<string, unknown>, severity?: number): Promise<void> {
    const info = this.schemas.events.get(eventName);
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
    const body = encodeList([
      { _schema_id: info.schemaId, _values: wire, _severity: sev, _timestamp: nowNs() },
    ]);
    return this.link.publish(
      TOPIC_EXCHANGE,
      RoutingKey.event(info.schema.packageName, eventName, sev, this.name),
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

  // ---- heartbeats -------------------------------------------------------------------

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
    if (!this.link.isOpen) return;
    const body = encodeMap({ _values: this.getAttributes() });
    try {
      await this.link.publish(TOPIC_EXCHANGE, RoutingKey.heartbeat(this.name), body, {
        opcode: Opcode.AGENT_HEARTBEAT,
        contentType: ContentType.MAP,
        agentName: this.name,
        method: "indication",
        expirationMs: 2 * this.intervalMs,
      });
    } catch {
      // The connection dropped: the reconnect path sends the next heartbeat.
    }
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
        () => this.link.ack(m),
        (e) => {
          this.drops.note("internal error", (e as Error).message);
          this.link.ack(m);
        },
      );
    } else {
      this.link.ack(m);
    }
  }

  /** Returns a promise only for work that outlives this tick (method calls). */
  private dispatch(m: InboundMessage): Promise<void> | undefined {
    if (m.appId !== "qmf2") {
      this.replier.refuse(m, "not a QMF message", `app_id ${JSON.stringify(m.appId)}, want "qmf2"`);
      return;
    }
    const limit = this.link.maxBodyBytes;
    if (m.body.length > limit) {
      const detail = `${m.body.length} bytes, limit ${limit}`;
      this.replier.refuse(m, "body too large", detail);
      if (m.opcode === Opcode.METHOD_REQUEST)
        this.methods.refusedUnread(m, `body too large: ${detail}`);
      return;
    }
    switch (m.opcode) {
      case Opcode.AGENT_LOCATE_REQUEST:
        answerLocate(m, this.replier, () => this.getAttributes());
        return;
      case Opcode.QUERY_REQUEST:
        if (!this.underLimit(m) || !this.queryAllowed(m)) return;
        return answerQuery(m, this.replier, this.objects, this.schemas);
      case Opcode.METHOD_REQUEST:
        return this.methods.handle(m);
      default:
        this.replier.refuse(m, "unknown opcode", `qmf.opcode ${JSON.stringify(m.opcode)}`);
        return;
    }
  }

  /** Has the query's user a request left (the rate limit)? If not, the query is refused. */
  private underLimit(m: InboundMessage): boolean {
    if (!this.limiter || this.limiter.take(m.userId ?? "")) return true;
    const text = this.limiter.refusal(m.userId);
    this.drops.note("rate limited", text);
    void this.replier.exception(m, QmfStatus.EXCEPTION, text);
    return false;
  }

  /** Does `authorizeQuery` let the query's user read? If not, the query is refused. */
  private queryAllowed(m: InboundMessage): boolean {
    try {
      this.opts.authorizeQuery?.({ userId: m.userId });
      return true;
    } catch (e) {
      const err =
        e instanceof MethodError ? e : new MethodError(QmfStatus.FORBIDDEN, (e as Error).message);
      this.drops.note("query refused", err.text);
      void this.replier.exception(m, err.code, err.text);
      return false;
    }
  }
}

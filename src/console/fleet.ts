// The fleet: one QMF console session on the broker, the agents it found, and queries over all
// of them that hand back typed objects. Lookups ("which host has web1?") are queries through
// the management infrastructure, as the seed mail intended: nothing here talks to libvirt.
import { EventEmitter } from "node:events";
import {
  type AgentInfo,
  ConsoleSession,
  describeConnectFailure,
  isAgentLost,
  isTimeout,
  type QmfObject,
} from "../qmf/index.js";
import { redactUrl } from "../qmf/transport/broker-url.js";
import {
  AgentUnreachableError,
  AmbiguousRefError,
  ArgumentError,
  BrokerUnreachableError,
  type Candidate,
  NotFoundError,
} from "./errors.js";
import {
  CLASSES,
  type ClassName,
  Domain,
  DomainInfo,
  EVENTS,
  type EventArgsByName,
  Node,
  NodeInfo,
  PACKAGE_NAME,
  Pool,
  Volume,
} from "./generated/libvirt.js";
import { type ManagedClass, ManagedObject, type ObjectSource } from "./managed-object.js";
import type { ClassMeta, FieldMeta } from "./metadata.js";
import { looksLikeUuid, parseRef } from "./refs.js";
import { convertValues, type ObjectRef, objectIdText, toObjectRef } from "./values.js";

/** Options of {@link connectFleet}. */
export interface FleetOptions {
  /** Broker URL, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  broker: string;
  /** Timeout of each query and method call, in ms (default 10000). */
  timeoutMs?: number;
  /**
   * Longest wait for agents to answer the initial locate, in ms (default 3000). Discovery ends
   * earlier once agents have answered and none has for `settleMs`.
   */
  discoveryMs?: number;
  /**
   * Least quiet time after the last new agent that ends discovery, in ms (default 150). The
   * quiet time grows with the observed answer latency: after an answer that took `t` ms it is
   * at least {@link SETTLE_LATENCY_FACTOR} × `t`, so a fleet that answers slowly (a loaded
   * broker or hosts) is waited for in proportion.
   */
  settleMs?: number;
  /**
   * How many agents the caller expects: discovery does not end on quiet before that many have
   * answered (it still ends after `discoveryMs`), then ends after `settleMs` without a new one.
   * {@link Fleet.discoveryResult} tells how many did.
   */
  expectAgents?: number;
  /**
   * Resolve as soon as the broker connection is open, with discovery going on (default true:
   * wait for it). Whole-fleet queries then start on each agent as it answers; see
   * {@link Fleet.whenDiscovered}.
   */
  awaitDiscovery?: boolean;
  /** The console's name on the broker (default: random). */
  name?: string;
  /**
   * Which agents make up the fleet: a QMF predicate over agent attributes. Default: the
   * libvirt-qmf agents ({@link LIBVIRT_AGENTS}); other QMF agents on the broker are ignored.
   */
  agentFilter?: unknown[];
}

/** The agent filter of `lvq agent`s: vendor "libvirt-qmf", product "libvirt". */
export const LIBVIRT_AGENTS: unknown[] = [
  "and",
  ["eq", "_vendor", ["quote", "libvirt-qmf"]],
  ["eq", "_product", ["quote", "libvirt"]],
];

/**
 * A filter for fleet queries: either a QMF predicate (prefix list, e.g.
 * `["eq", "name", ["quote", "web1"]]`), or an object of property → value equalities. In the
 * object form a property of a referenced class counts too: `{ state: "running" }` on domains
 * is matched against each domain's DomainInfo.
 */
export type Filter = unknown[] | Record<string, unknown>;

/** Per-query options. */
export interface QueryOptions {
  /** Only objects of these agents (agent names). */
  agents?: string[];
  /** A further QMF predicate over the class's own properties, and-ed with the filter. */
  where?: unknown[];
}

/**
 * After an answer to the locate that took `t` ms, discovery waits at least this many times `t`
 * for further answers: answers to one broadcast arrive spread over a time of the order of the
 * latency itself, so a fixed quiet time would cut off the slower agents exactly when the
 * system is slow.
 */
export const SETTLE_LATENCY_FACTOR = 2;

/** How the initial discovery went ({@link Fleet.discoveryResult}). */
export interface DiscoveryResult {
  /** Agents known when discovery ended. */
  agents: number;
  /** Milliseconds from sending the locate to the end of discovery. */
  elapsedMs: number;
  /** Milliseconds from sending the locate to the last new agent's answer (null: none). */
  lastAnswerMs: number | null;
  /** The quiet time that ended discovery, in ms (null: it ended at the `discoveryMs` cap). */
  quietMs: number | null;
}

/** One agent as the fleet sees it. */
export interface FleetAgent {
  /** Full agent name, `vendor:product:instance`. */
  name: string;
  instance: string;
  /**
   * The host as people name it: the instance name when it was chosen by hand, else the
   * agent's `hostname` attribute, else the instance (the host UUID).
   */
  host: string;
  epoch: number;
  /** Agent attributes (heartbeat), e.g. libvirt connection state. */
  attributes: Record<string, unknown>;
  /** Milliseconds since the console last heard from the agent. */
  heartbeatAgeMs: number;
}

/** A change seen on the fleet, for {@link Fleet.watch}. */
export type FleetChange =
  | { kind: "changed"; object: ManagedObject<object> }
  | { kind: "deleted"; object: ManagedObject<object> }
  | {
      [E in keyof EventArgsByName]: {
        kind: "event";
        name: E;
        agentName: string;
        host: string;
        severity: number | undefined;
        timestamp: bigint | undefined;
        args: EventArgsByName[E];
      };
    }[keyof EventArgsByName];

function isPredicate(f: Filter): f is unknown[] {
  return Array.isArray(f);
}

const quote = (v: unknown): unknown[] => ["quote", v];

/** The predicate for property equalities: `["and", ["eq", k, ["quote", v]], …]`. */
export function equalityPredicate(eqs: Record<string, unknown>): unknown[] | undefined {
  const terms = Object.entries(eqs).map(([k, v]) => ["eq", k, quote(v)]);
  if (terms.length === 0) return undefined;
  return terms.length === 1 ? terms[0] : ["and", ...terms];
}

/**
 * The fleet view. Create it with {@link connectFleet}; always {@link Fleet.close} it.
 * Emits `change` ({@link FleetChange}) while {@link Fleet.watch} is on, `agentError`
 * (`{ agentName, error }`) when an agent is left out of a query result because it failed, and
 * `agentLate` (`{ agentName }`) when a whole-fleet result lacks an agent that became known only
 * after the query was sent (a late answer to discovery, or an agent that just started).
 */
export class Fleet extends EventEmitter implements ObjectSource {
  /** @internal */
  readonly session: ConsoleSession;
  private readonly timeoutMs: number;
  private readonly hosts = new Map<string, string>();
  private readonly incomplete = new Set<string>();
  private discovery: Promise<void> = Promise.resolve();
  private discovered: DiscoveryResult | undefined;

  /** @internal use {@link connectFleet}. */
  constructor(session: ConsoleSession, timeoutMs: number) {
    super();
    this.session = session;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Resolves when the initial discovery is over (at once unless the fleet was opened with
   * `awaitDiscovery: false`). {@link Fleet.agents} and {@link Fleet.agentsForHost} are complete
   * only after it; queries over the whole fleet wait for it by themselves.
   */
  whenDiscovered(): Promise<void> {
    return this.discovery;
  }

  /** @internal */
  setDiscovery(p: Promise<DiscoveryResult>): void {
    this.discovery = p.then((r) => {
      this.discovered = r;
    });
    // A failed discovery is reported to whoever awaits it (connectFleet, whenDiscovered, the
    // queries); left alone it must not become an unhandled rejection.
    this.discovery.catch(() => {});
  }

  /** How the initial discovery went; undefined while it still runs. */
  get discoveryResult(): DiscoveryResult | undefined {
    return this.discovered;
  }

  /** The agents found so far, sorted by host then name. */
  agents(): FleetAgent[] {
    const now = Date.now();
    return this.session
      .agents()
      .map((a: AgentInfo) => {
        const attrs = a.attributes as Record<string, unknown>;
        const host = hostOfAgent(a.instance, attrs);
        this.hosts.set(a.name, host);
        return {
          name: a.name,
          instance: a.instance,
          host,
          epoch: Number(a.epoch),
          attributes: attrs,
          heartbeatAgeMs: Math.max(0, now - a.lastHeartbeatMs),
        };
      })
      .sort((x, y) => (x.host === y.host ? cmp(x.name, y.name) : cmp(x.host, y.host)));
  }

  /** The host name of an agent (its `hostname` attribute, else its instance name). */
  hostOf(agentName: string): string {
    const known = this.hosts.get(agentName);
    if (known) return known;
    this.agents();
    return this.hosts.get(agentName) ?? agentName.split(":").pop() ?? agentName;
  }

  /**
   * The agents a host name means: an agent's full name, its instance name, or its `hostname`
   * attribute. Throws NotFoundError when none matches.
   */
  agentsForHost(host: string): FleetAgent[] {
    const all = this.agents();
    const exact = all.filter((a) => a.name === host);
    if (exact.length) return exact;
    const found = all.filter((a) => a.instance === host || a.host === host);
    if (found.length === 0) {
      const known = all.map((a) => a.host).join(", ") || "none";
      throw new NotFoundError(`no agent for host "${host}" (known hosts: ${known})`, "Node", host);
    }
    return found;
  }

  /** Every object of `cls` on the fleet (or on `opts.agents`) that matches `filter`. */
  async objects<T extends ManagedObject<object>>(
    cls: ManagedClass<T>,
    filter?: Filter,
    opts: QueryOptions = {},
  ): Promise<T[]> {
    const meta = cls.meta;
    let where: unknown[] | undefined;
    let joins: Join[] = [];
    if (filter && isPredicate(filter)) {
      where = filter;
    } else if (filter) {
      const split = splitFilter(meta, filter);
      where = equalityPredicate(split.own);
      joins = split.joins;
    }
    if (opts.where) where = where ? ["and", opts.where, where] : opts.where;
    const [own, ...joined] = await Promise.all([
      this.queryAll(meta.name, where, opts.agents),
      ...joins.map((j) => this.queryAll(j.target.name, equalityPredicate(j.eqs), opts.agents)),
    ]);
    let rows = own!;
    joins.forEach((j, i) => {
      const ids = new Set(joined[i]!.map((o) => objectIdText(refOf(o))));
      rows = rows.filter((o) => {
        const ref = toObjectRef(o.values[j.via.name]);
        return ref !== null && ids.has(objectIdText(ref));
      });
    });
    return rows.map((o) => this.wrap(cls, o));
  }

  /**
   * How many objects of `cls` each agent publishes (object ids only travel, not values).
   * Keys are agent names; an agent that is lost or does not answer is missing (and reported
   * with `agentError`).
   */
  async countObjects(
    cls: ManagedClass<ManagedObject<object>>,
    opts: QueryOptions = {},
  ): Promise<Map<string, number>> {
    if (!opts.agents) await this.discovery;
    const agentNames = opts.agents ?? this.session.agents().map((a: AgentInfo) => a.name);
    const counts = await Promise.allSettled(
      agentNames.map((agentName) =>
        this.session.queryObjectIds({
          agentName,
          packageName: PACKAGE_NAME,
          className: cls.meta.name,
          timeoutMs: this.timeoutMs,
        }),
      ),
    );
    const out = new Map<string, number>();
    counts.forEach((r, i) => {
      const agentName = agentNames[i]!;
      if (r.status === "fulfilled") out.set(agentName, r.value.length);
      else if (isAgentFailure(r.reason)) this.leaveOut(agentName, r.reason as Error);
      else throw r.reason;
    });
    return out;
  }

  /** Hosts (one Node per agent). */
  nodes(filter?: Filter, opts?: QueryOptions): Promise<Node[]> {
    return this.objects(Node, filter, opts);
  }
  /** Host hardware information. */
  nodeInfos(filter?: Filter, opts?: QueryOptions): Promise<NodeInfo[]> {
    return this.objects(NodeInfo, filter, opts);
  }
  /** Domains; `{ state: "running" }` filters on their DomainInfo. */
  domains(filter?: Filter, opts?: QueryOptions): Promise<Domain[]> {
    return this.objects(Domain, filter, opts);
  }
  /** Domain states and statistics. */
  domainInfos(filter?: Filter, opts?: QueryOptions): Promise<DomainInfo[]> {
    return this.objects(DomainInfo, filter, opts);
  }
  /** Storage pools. */
  pools(filter?: Filter, opts?: QueryOptions): Promise<Pool[]> {
    return this.objects(Pool, filter, opts);
  }
  /** Storage volumes. */
  volumes(filter?: Filter, opts?: QueryOptions): Promise<Volume[]> {
    return this.objects(Volume, filter, opts);
  }

  /** The object `ref` points at, as an instance of `cls` (or of its own class). */
  async get<T extends ManagedObject<object>>(ref: ObjectRef, cls?: ManagedClass<T>): Promise<T> {
    const found = await this.session.query({
      agentName: ref.agentName,
      packageName: PACKAGE_NAME,
      objectId: { agentName: ref.agentName, objectName: ref.objectName },
      timeoutMs: this.timeoutMs,
    });
    const o = found[0];
    if (!o) {
      throw new NotFoundError(
        `no object ${objectIdText(ref)} (deleted, or its agent is gone)`,
        cls?.meta.name ?? "object",
        objectIdText(ref),
      );
    }
    const actual = classByName(o.className);
    if (cls && actual !== (cls as unknown)) {
      throw new ArgumentError(`${objectIdText(ref)} is a ${o.className}, not a ${cls.meta.name}`);
    }
    return this.wrap((cls ?? actual) as ManagedClass<T>, o);
  }

  /** {@link ObjectSource.getObject}: follows a reference. */
  getObject<T extends ManagedObject<object>>(ref: ObjectRef, cls: ManagedClass<T>): Promise<T> {
    return this.get(ref, cls);
  }

  /**
   * Finds the one object of class `cls` a reference names: an object id
   * (`agent name/object name`), `host/name`, `host/uuid`, a UUID or a name. Throws
   * NotFoundError when nothing matches and AmbiguousRefError (listing the candidates) when
   * several do.
   */
  async resolve<T extends ManagedObject<object>>(cls: ManagedClass<T>, text: string): Promise<T> {
    return (await this.resolveAmong([cls], text, cls.meta.name)) as T;
  }

  /**
   * Finds the one object a reference names when its class is not known: an object id of any
   * class, or a name, UUID or `host/name` of an object of one of `classes`. Errors as
   * {@link Fleet.resolve}.
   */
  async resolveAny(
    classes: ManagedClass<ManagedObject<object>>[],
    text: string,
  ): Promise<ManagedObject<object>> {
    await this.discovery;
    const ref = parseRef(text);
    if (ref.scope !== undefined && this.session.agents().some((a) => a.name === ref.scope)) {
      try {
        return await this.get({ agentName: ref.scope, objectName: ref.key });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return this.resolveAmong(classes, text, "object");
  }

  private async resolveAmong(
    classes: ManagedClass<ManagedObject<object>>[],
    text: string,
    what: string,
  ): Promise<ManagedObject<object>> {
    const found = (await Promise.all(classes.map((c) => this.find(c, text)))).flat();
    if (found.length === 1) return found[0]!;
    if (found.length === 0) {
      throw new NotFoundError(`no ${what} "${text}" on any agent`, what, text);
    }
    const objects = what === "object" ? "objects" : `${what} objects`;
    throw new AmbiguousRefError(
      `"${text}" names ${found.length} ${objects}; use host/name, the UUID or the object id`,
      what,
      text,
      found.map(candidateOf),
    );
  }

  /** Every object of `cls` a reference could mean (see {@link Fleet.resolve}). */
  async find<T extends ManagedObject<object>>(cls: ManagedClass<T>, text: string): Promise<T[]> {
    await this.discovery;
    const ref = parseRef(text);
    if (ref.scope !== undefined) {
      const agent = this.session.agents().find((a: AgentInfo) => a.name === ref.scope);
      if (agent) {
        try {
          return [await this.get({ agentName: agent.name, objectName: ref.key }, cls)];
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      let agents: FleetAgent[];
      try {
        agents = this.agentsForHost(ref.scope);
      } catch (err) {
        // Not a host: the whole text may still be a name containing "/".
        if (!(err instanceof NotFoundError)) throw err;
        return this.findByKey(cls, text);
      }
      return this.findByKey(
        cls,
        ref.key,
        agents.map((a) => a.name),
      );
    }
    if ((cls as unknown) === Node) {
      // A host is also named by its agent (instance or full name), which is unique even when
      // several agents run on one machine and report the same libvirt host name.
      const byAgent = this.agents().filter(
        (a) => a.name === text || a.instance === text || a.host === text,
      );
      if (byAgent.length) {
        return this.objects(cls, undefined, { agents: byAgent.map((a) => a.name) });
      }
    }
    return this.findByKey(cls, text);
  }

  private findByKey<T extends ManagedObject<object>>(
    cls: ManagedClass<T>,
    key: string,
    agents?: string[],
  ): Promise<T[]> {
    const props = new Set(cls.meta.properties.map((p) => p.name));
    const terms: unknown[] = [];
    for (const p of ["name", "hostname", "key", "path"]) {
      if (props.has(p)) terms.push(["eq", p, quote(key)]);
    }
    if (props.has("uuid") && looksLikeUuid(key)) {
      terms.push(["eq", "uuid", quote(key.toLowerCase())]);
    }
    if (terms.length === 0) {
      throw new ArgumentError(`${cls.meta.name} objects can only be named by object id`);
    }
    const where = terms.length === 1 ? terms[0] : ["or", ...terms];
    return this.objects(cls, where as unknown[], agents ? { agents } : {});
  }

  /** The Node object of an agent. */
  async nodeOf(agentName: string): Promise<Node> {
    const nodes = await this.nodes(undefined, { agents: [agentName] });
    if (nodes.length !== 1) {
      throw new NotFoundError(`agent ${agentName} publishes no Node object`, "Node", agentName);
    }
    return nodes[0]!;
  }

  /** {@link ObjectSource.callMethod}: calls a method, typing the arguments per the schema. */
  async callMethod(
    target: ManagedObject<object>,
    method: string,
    args: Record<string, unknown>,
    opts: { timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    const meta = (target.constructor as ManagedClass<ManagedObject<object>>).meta;
    const m = meta.methods.find((x) => x.name === method);
    if (!m) throw new ArgumentError(`${meta.name} has no method "${method}"`);
    const wireArgs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      const a = m.args.find((x) => x.name === k && x.dir !== "O");
      if (!a) throw new ArgumentError(`${meta.name}.${method} has no input argument "${k}"`);
      wireArgs[k] = a.type === "objId" ? wireRef(v, `${meta.name}.${method}(${k})`) : v;
    }
    const out = await this.session.callMethod(target.objectId, method, wireArgs, {
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
    });
    return convertValues(
      m.args.filter((a) => a.dir !== "I"),
      out,
    );
  }

  /**
   * Starts emitting `change` events for objects of the given classes (all when empty) and
   * for every schema event, from every agent or only from `opts.agents`. Returns a function
   * that stops it.
   */
  watch(classNames: string[] = [], opts: QueryOptions = {}): () => void {
    const wanted = new Set(classNames);
    const fromAgents = opts.agents ? new Set(opts.agents) : undefined;
    const onObject = (kind: "changed" | "deleted") => (o: QmfObject) => {
      if (o.packageName !== PACKAGE_NAME) return;
      if (fromAgents && !fromAgents.has(o.agentName)) return;
      if (wanted.size && !wanted.has(o.className)) return;
      const cls = CLASSES[o.className as ClassName];
      if (!cls) return;
      this.emit("change", {
        kind,
        object: this.wrap(cls as ManagedClass<ManagedObject<object>>, o),
      });
    };
    const changed = onObject("changed");
    const deleted = onObject("deleted");
    const onEvent = (e: QmfEventLike) => {
      const meta = EVENTS.find((x) => x.name === e.eventName);
      if (!meta || e.packageName !== PACKAGE_NAME) return;
      if (fromAgents && !fromAgents.has(e.agentName)) return;
      this.emit("change", {
        kind: "event",
        name: meta.name,
        agentName: e.agentName,
        host: this.hostOf(e.agentName),
        severity: e.severity,
        timestamp: e.timestamp,
        args: convertValues(meta.args, e.values ?? {}),
      } as unknown as FleetChange);
    };
    this.session.on("objectChanged", changed);
    this.session.on("objectDeleted", deleted);
    this.session.on("event", onEvent);
    return () => {
      this.session.off("objectChanged", changed);
      this.session.off("objectDeleted", deleted);
      this.session.off("event", onEvent);
    };
  }

  /** Closes the broker connection. */
  async close(): Promise<void> {
    await this.session.close();
  }

  /**
   * Queries each agent. An agent that is lost or does not answer in time is left out (its
   * objects are missing from the result) and reported with an `agentError` event, so that one
   * dead host does not hide the rest of the fleet; when no agent answers, the first error is
   * thrown. Other failures (the broker connection, a bad predicate) are thrown at once. A
   * whole-fleet query also reports each agent that became known only after it was sent, with
   * an `agentLate` event (and in incompleteAgents).
   */
  private async queryAll(
    className: string,
    where: unknown[] | undefined,
    agents: string[] | undefined,
  ): Promise<QmfObject[]> {
    const agentNames: string[] = [];
    const queries: Promise<QmfObject[]>[] = [];
    const start = (agentName: string): void => {
      if (agentNames.includes(agentName)) return;
      agentNames.push(agentName);
      queries.push(
        this.session.query({
          agentName,
          packageName: PACKAGE_NAME,
          className,
          ...(where ? { where } : {}),
          timeoutMs: this.timeoutMs,
        }),
      );
    };
    if (agents) {
      for (const a of agents) start(a);
    } else {
      // The whole fleet: while discovery still runs, each agent is asked as soon as it
      // answers the locate, so the discovery's quiet time overlaps the queries.
      for (const a of this.session.agents()) start(a.name);
      const onAdded = (a: AgentInfo): void => start(a.name);
      this.session.on("agentAdded", onAdded);
      try {
        await this.discovery;
      } finally {
        this.session.off("agentAdded", onAdded);
      }
      for (const a of this.session.agents()) start(a.name);
    }
    const per = await Promise.allSettled(queries);
    const out: QmfObject[] = [];
    const failures: { agentName: string; error: Error }[] = [];
    per.forEach((r, i) => {
      if (r.status === "fulfilled") out.push(...r.value);
      else failures.push({ agentName: agentNames[i]!, error: r.reason as Error });
    });
    for (const f of failures) {
      if (!isAgentFailure(f.error)) throw f.error;
    }
    if (failures.length && failures.length === agentNames.length) throw failures[0]!.error;
    for (const f of failures) this.leaveOut(f.agentName, f.error);
    if (!agents) {
      // An agent that became known only after the queries went out (it answered the locate
      // after discovery's quiet time, or it has just started) is missing from the result too.
      for (const a of this.session.agents()) {
        if (agentNames.includes(a.name)) continue;
        this.incomplete.add(a.name);
        this.emit("agentLate", { agentName: a.name });
      }
    }
    return out;
  }

  /**
   * Agents left out of some query result since the fleet was opened (they were lost or did
   * not answer in time); empty when every result was complete.
   */
  get incompleteAgents(): string[] {
    return [...this.incomplete];
  }

  /** Records that `agentName` is missing from a result because it failed, and says so. */
  private leaveOut(agentName: string, error: Error): void {
    this.incomplete.add(agentName);
    this.emit("agentError", { agentName, error });
  }

  private wrap<T extends ManagedObject<object>>(cls: ManagedClass<T>, o: QmfObject): T {
    return new cls(this, {
      objectId: refOf(o),
      agentName: o.agentName,
      values: o.values,
      updateTs: o.updateTs,
      createTs: o.createTs,
    });
  }
}

/** The event as the QMF session reports it (only the fields the fleet reads). */
interface QmfEventLike {
  agentName: string;
  packageName: string;
  eventName: string;
  values?: Record<string, unknown>;
  severity?: number;
  timestamp?: bigint;
}

/** A failure of one agent (lost, or no answer in time) rather than of the query or broker. */
function isAgentFailure(err: unknown): boolean {
  return isTimeout(err) || isAgentLost(err);
}

function refOf(o: QmfObject): ObjectRef {
  return toObjectRef(o.objectId) ?? { agentName: o.agentName, objectName: String(o.objectId) };
}

function wireRef(v: unknown, what: string): unknown {
  const ref = v instanceof ManagedObject ? v.objectId : toObjectRef(v);
  if (!ref) throw new ArgumentError(`${what}: expected an object or object id`);
  return { agentName: ref.agentName, objectName: ref.objectName };
}

/**
 * The host name shown for an agent. Agents are named by host UUID by default, which is no name
 * for people: then the agent's `hostname` attribute is used. An instance name chosen by hand
 * (several agents on one machine, all with the same host name) is used as it is.
 */
function hostOfAgent(instance: string, attrs: Record<string, unknown>): string {
  if (instance && !looksLikeUuid(instance)) return instance;
  return hostAttribute(attrs) ?? instance;
}

function hostAttribute(attrs: Record<string, unknown>): string | undefined {
  const h = attrs.hostname;
  if (typeof h === "string" && h) return h;
  if (Buffer.isBuffer(h)) return h.toString("utf8");
  return undefined;
}

function classByName(name: string): ManagedClass<ManagedObject<object>> {
  const cls = CLASSES[name as ClassName];
  if (!cls) throw new ArgumentError(`unknown class ${name}`);
  return cls as ManagedClass<ManagedObject<object>>;
}

function candidateOf(o: ManagedObject<object>): Candidate {
  const c: Candidate = { objectId: o.objectIdText, host: o.host, name: o.label };
  const uuid = (o.props as Record<string, unknown>).uuid;
  if (typeof uuid === "string") c.uuid = uuid;
  return c;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Splits an equality filter into the class's own properties and those of classes it
 * references (one hop), e.g. Domain `{ name, state }` → own `{ name }`, DomainInfo `{ state }`.
 */
function splitFilter(
  meta: ClassMeta,
  filter: Record<string, unknown>,
): { own: Record<string, unknown>; joins: Join[] } {
  const own: Record<string, unknown> = {};
  const joins = new Map<string, Join>();
  const ownNames = new Set(meta.properties.map((p) => p.name));
  for (const [k, v] of Object.entries(filter)) {
    if (ownNames.has(k)) {
      own[k] = v;
      continue;
    }
    const refs = referencesHaving(meta, k);
    if (refs.length !== 1) {
      const why = refs.length === 0 ? "no such property" : "several referenced classes have it";
      throw new ArgumentError(`filter on ${meta.name}: "${k}": ${why}`);
    }
    const { via, target } = refs[0]!;
    const j = joins.get(via.name) ?? { via, target, eqs: {} };
    j.eqs[k] = v;
    joins.set(via.name, j);
  }
  return { own, joins: [...joins.values()] };
}

/** A filter on a referenced class: objects whose `via` reference points at a matching one. */
interface Join {
  via: FieldMeta;
  target: ClassMeta;
  eqs: Record<string, unknown>;
}

/** The references of `meta` (one hop) whose class has a property `name`, with that property. */
function referencesHaving(
  meta: ClassMeta,
  name: string,
): { via: FieldMeta; target: ClassMeta; field: FieldMeta }[] {
  const out: { via: FieldMeta; target: ClassMeta; field: FieldMeta }[] = [];
  for (const via of meta.properties) {
    if (via.type !== "objId" || !via.references) continue;
    const target = CLASSES[via.references as ClassName]?.meta;
    const field = target?.properties.find((p) => p.name === name);
    if (target && field) out.push({ via, target, field });
  }
  return out;
}

/** Finds which class a filter property belongs to (own or one hop), for typing CLI values. */
export function filterField(meta: ClassMeta, name: string): FieldMeta | undefined {
  return meta.properties.find((p) => p.name === name) ?? referencesHaving(meta, name)[0]?.field;
}

/**
 * Connects to the broker and discovers the agents: resolves once agents have answered and
 * none new has for `settleMs`, or after `discoveryMs` (with whatever answered, possibly none).
 * Throws BrokerUnreachableError when the broker cannot be reached or refuses the login.
 */
export async function connectFleet(opts: FleetOptions): Promise<Fleet> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const session = new ConsoleSession({
    url: opts.broker,
    defaultTimeoutMs: timeoutMs,
    // A hung broker accepts the TCP connection and then says nothing: give up as a request would.
    connectTimeoutMs: timeoutMs,
    // The fleet reads through queries and forwards indications; it never reads the cache.
    cacheObjects: false,
    agentFilter: opts.agentFilter ?? LIBVIRT_AGENTS,
    ...(opts.name ? { name: opts.name } : {}),
  });
  try {
    await session.open();
  } catch (err) {
    throw brokerError(opts.broker, err);
  }
  const fleet = new Fleet(session, timeoutMs);
  const discovery = discover(session, {
    maxMs: opts.discoveryMs ?? 3000,
    settleMs: opts.settleMs ?? 150,
    expectAgents: opts.expectAgents ?? 0,
  });
  fleet.setDiscovery(discovery);
  if (opts.awaitDiscovery === false) {
    discovery.catch(() => {}); // reported through whenDiscovered() and the queries
    return fleet;
  }
  try {
    await discovery;
  } catch (err) {
    await session.close().catch(() => {});
    throw err;
  }
  return fleet;
}

/**
 * Sends the locate and collects answers. Ends `quiet` ms after the last new agent, where
 * `quiet` is the larger of `settleMs` and SETTLE_LATENCY_FACTOR × that agent's answer time;
 * with `expectAgents`, not before that many agents are known and then after `settleMs`; in any
 * case after `maxMs`.
 */
function discover(
  session: ConsoleSession,
  opts: { maxMs: number; settleMs: number; expectAgents: number },
): Promise<DiscoveryResult> {
  const started = performance.now();
  const since = (): number => Math.round(performance.now() - started);
  return new Promise<DiscoveryResult>((resolve, reject) => {
    let quiet: NodeJS.Timeout | undefined;
    let lastAnswerMs: number | null = null;
    const stop = (): void => {
      clearTimeout(cap);
      clearTimeout(quiet);
      session.off("agentAdded", onAgent);
    };
    const done = (quietMs: number | null): void => {
      stop();
      resolve({ agents: session.agents().length, elapsedMs: since(), lastAnswerMs, quietMs });
    };
    const onAgent = (): void => {
      lastAnswerMs = since();
      clearTimeout(quiet);
      if (session.agents().length < opts.expectAgents) return;
      // With the number of agents given, their latency need not be guessed from: settleMs.
      const wait =
        opts.expectAgents > 0
          ? opts.settleMs
          : Math.max(opts.settleMs, Math.round(SETTLE_LATENCY_FACTOR * lastAnswerMs));
      quiet = setTimeout(() => done(wait), wait);
    };
    const cap = setTimeout(() => done(null), opts.maxMs);
    session.on("agentAdded", onAgent);
    session.locate(undefined, opts.maxMs).catch((err: unknown) => {
      stop();
      reject(err);
    });
  });
}

/**
 * A plain error for a broker that cannot be used, with the password kept out of it; why, in
 * words, follows the connect error's code.
 */
export function brokerError(url: string, err: unknown): BrokerUnreachableError {
  return new BrokerUnreachableError(
    `cannot use the broker at ${redactUrl(url)}: ${describeConnectFailure(err)}`,
    { cause: err },
  );
}

export { AgentUnreachableError };

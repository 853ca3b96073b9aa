// The fleet: one QMF console session on the broker, the agents it found, and queries over all
// of them that hand back typed objects. Lookups ("which host has web1?") are queries to the
// agents over the broker: nothing here talks to libvirt.
import { EventEmitter } from "node:events";
import type { AgentInfo, ConsoleSession, QmfObject } from "../qmf/index.js";
import { AgentQueries } from "./agent-queries.js";
import { type AnyClass, classByName, findClass } from "./classes.js";
import { agentsNamed, type DiscoveryResult, type FleetAgent, fleetAgentOf } from "./discovery.js";
import { ArgumentError, NotFoundError } from "./errors.js";
import { type FleetEvents, schemaEventOf } from "./events.js";
import {
  convertValues,
  type ObjectRef,
  objectIdText,
  objectRefOf,
  toObjectRef,
} from "./field-values.js";
import { compileFilter, equalityPredicate, type Filter, keepJoined } from "./filters.js";
import {
  compareObjects,
  concurrencyOf,
  type ForEachOptions,
  type ForEachQuery,
  type ForEachResult,
  runEach,
} from "./for-each.js";
import {
  Domain,
  DomainInfo,
  Node,
  NodeInfo,
  PACKAGE_NAME,
  Pool,
  Volume,
} from "./generated/libvirt.js";
import { type ManagedClass, ManagedObject, type ObjectSource } from "./managed-object.js";
import { RefResolver } from "./refs.js";
import {
  changeFilterOf,
  DEFAULT_MAX_BUFFERED,
  FleetWatch,
  followChanges,
  type WatchOptions,
} from "./watch.js";

/** Options of one fleet query. */
export interface FleetQuery {
  /** Only objects of these agents (agent names). */
  agents?: string[];
  /** A further QMF predicate over the class's own properties, and-ed with the filter. */
  where?: unknown[];
}

type AnyObject = ManagedObject<object>;

/**
 * The fleet view. Create it with {@link connectFleet}; always {@link Fleet.close} it.
 * Its events are typed ({@link FleetEvents}): agents joining, leaving and restarting, objects
 * changed and deleted, schema events, the broker link going and coming back, and agents left
 * out of query results. {@link Fleet.watch} yields the changes as an async iterator.
 */
export class Fleet extends EventEmitter<FleetEvents> implements ObjectSource {
  /** @internal */
  readonly session: ConsoleSession;
  private readonly timeoutMs: number;
  private readonly hosts = new Map<string, string>();
  private readonly watches = new Set<FleetWatch>();
  private readonly refs = new RefResolver(this);
  private readonly queries: AgentQueries;
  private discovery: Promise<void> = Promise.resolve();
  private discovered: DiscoveryResult | undefined;
  private closed = false;

  /** @internal use {@link connectFleet}. */
  constructor(session: ConsoleSession, timeoutMs: number) {
    super();
    this.session = session;
    this.timeoutMs = timeoutMs;
    this.queries = new AgentQueries(session, timeoutMs, () => this.discovery, {
      leftOut: (f) => this.emit("agentError", f),
      late: (agentName) => this.emit("agentLate", { agentName }),
    });
    this.forwardSessionEvents();
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
      .map((a: AgentInfo) => this.remember(fleetAgentOf(a, now)))
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
    return agentsNamed(this.agents(), host);
  }

  /** Every object of `cls` on the fleet (or on `opts.agents`) that matches `filter`. */
  async objects<T extends AnyObject>(
    cls: ManagedClass<T>,
    filter?: Filter,
    opts: FleetQuery = {},
  ): Promise<T[]> {
    const { where, joins } = compileFilter(cls.meta, filter, opts.where);
    const [own, ...matches] = await Promise.all([
      this.queries.all(cls.meta.name, where, opts.agents),
      ...joins.map((j) =>
        this.queries.all(j.target.meta.name, equalityPredicate(j.eqs), opts.agents),
      ),
    ]);
    return keepJoined(own!, joins, matches).map((o) => this.wrap(cls, o));
  }

  /**
   * How many objects of `cls` each agent publishes (object ids only travel, not values).
   * Keys are agent names; an agent that is lost or does not answer is missing (and reported
   * with `agentError`).
   */
  countObjects(cls: AnyClass, opts: FleetQuery = {}): Promise<Map<string, number>> {
    return this.queries.count(cls.meta.name, opts.agents);
  }

  // Shorthands for the classes the SDK began with; `objects(cls, …)` serves every class.
  /** Hosts (one Node per agent). */
  nodes(filter?: Filter, opts?: FleetQuery): Promise<Node[]> {
    return this.objects(Node, filter, opts);
  }
  /** Host hardware information. */
  nodeInfos(filter?: Filter, opts?: FleetQuery): Promise<NodeInfo[]> {
    return this.objects(NodeInfo, filter, opts);
  }
  /** Domains; `{ state: "running" }` filters on their DomainInfo. */
  domains(filter?: Filter, opts?: FleetQuery): Promise<Domain[]> {
    return this.objects(Domain, filter, opts);
  }
  /** Domain states and statistics. */
  domainInfos(filter?: Filter, opts?: FleetQuery): Promise<DomainInfo[]> {
    return this.objects(DomainInfo, filter, opts);
  }
  /** Storage pools. */
  pools(filter?: Filter, opts?: FleetQuery): Promise<Pool[]> {
    return this.objects(Pool, filter, opts);
  }
  /** Storage volumes. */
  volumes(filter?: Filter, opts?: FleetQuery): Promise<Volume[]> {
    return this.objects(Volume, filter, opts);
  }

  /** The object `ref` points at, as an instance of `cls` (or of its own class). */
  async get<T extends AnyObject>(ref: ObjectRef, cls?: ManagedClass<T>): Promise<T> {
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
  getObject<T extends AnyObject>(ref: ObjectRef, cls: ManagedClass<T>): Promise<T> {
    return this.get(ref, cls);
  }

  /**
   * Finds the one object of class `cls` a reference names: an object id
   * (`agent name/object name`), `host/name`, `host/uuid`, a UUID or a name. Throws
   * NotFoundError when nothing matches and AmbiguousRefError (listing the candidates) when
   * several do.
   */
  resolve<T extends AnyObject>(cls: ManagedClass<T>, text: string): Promise<T> {
    return this.refs.resolve(cls, text);
  }

  /**
   * Finds the one object a reference names when its class is not known: an object id of any
   * class, or a name, UUID or `host/name` of an object of one of `classes` (default: every
   * class whose objects people name). Errors as {@link Fleet.resolve}.
   */
  resolveAny(classes: AnyClass[] | undefined, text: string): Promise<AnyObject> {
    return this.refs.resolveAny(classes, text);
  }

  /** Every object of `cls` a reference could mean (see {@link Fleet.resolve}). */
  find<T extends AnyObject>(cls: ManagedClass<T>, text: string): Promise<T[]> {
    return this.refs.find(cls, text);
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
    target: AnyObject,
    method: string,
    args: Record<string, unknown>,
    opts: { timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    const meta = (target.constructor as AnyClass).meta;
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
   * Calls `fn` once on every object a query selects (or on the objects given), at most
   * `opts.concurrency` (default 16) at a time, and resolves to one result per target:
   * `{ object, ok: true, value }` or `{ object, ok: false, error }`. One target's failure
   * (libvirt's error, a timeout, the connection lost under its call) is that target's result:
   * forEach never rejects for it, and nothing is retried. It rejects when the query itself
   * fails, and then calls nothing. Results are in the order of the objects given, or for a
   * query sorted by host, then name.
   *
   * ```ts
   * const results = await fleet.forEach(
   *   { class: Domain, filter: { state: "running" } },
   *   (d) => d.suspend(),
   *   { concurrency: 8 },
   * );
   * for (const r of results) if (!r.ok) console.log(r.object.name, r.error.message);
   * ```
   */
  async forEach<T extends AnyObject, R>(
    targets: ForEachQuery<T> | readonly T[],
    fn: (obj: T) => R | Promise<R>,
    opts: ForEachOptions<T, R> = {},
  ): Promise<ForEachResult<T, R>[]> {
    concurrencyOf(opts); // a bad option fails before the query
    if (isObjectList(targets)) return runEach(targets, fn, opts);
    const found = await this.objects(targets.class, targets.filter, {
      ...(targets.agents ? { agents: targets.agents } : {}),
      ...(targets.where ? { where: targets.where } : {}),
    });
    return runEach(found.sort(compareObjects), fn, opts);
  }

  /**
   * Watches the fleet: `for await (const change of fleet.watch({ class: "Domain" }))` yields
   * each object change and schema event of the chosen classes and agents from now on. The loop
   * ends when it breaks, when the watch is closed, or when the fleet closes.
   */
  watch(opts?: WatchOptions): FleetWatch;
  /**
   * @deprecated the callback form: emits `change` events for objects of the given classes (all
   * when empty) and every schema event, from every agent or only from `opts.agents`; returns the
   * function that stops it. Iterate `watch({ class })` instead.
   */
  watch(classNames: string[], opts?: FleetQuery): () => void;
  watch(first: WatchOptions | string[] = {}, opts: FleetQuery = {}): FleetWatch | (() => void) {
    if (Array.isArray(first)) {
      const filter = changeFilterOf({
        class: first,
        ...(opts.agents ? { agents: opts.agents } : {}),
      });
      return followChanges(this, filter, (c) => this.emit("change", c));
    }
    const filter = changeFilterOf(first);
    const watch: FleetWatch = new FleetWatch(() => {
      stop();
      this.watches.delete(watch);
    }, first.maxBuffered ?? DEFAULT_MAX_BUFFERED);
    const stop = followChanges(this, filter, (c) => watch.push(c));
    this.watches.add(watch);
    if (this.closed) watch.end();
    return watch;
  }

  /** Closes the broker connection; running watches end once their held changes are read. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.watches]) w.end();
    await this.session.close();
  }

  /**
   * Agents left out of some query result since the fleet was opened (they were lost or did
   * not answer in time); empty when every result was complete.
   */
  get incompleteAgents(): string[] {
    return [...this.queries.incomplete];
  }

  /** Notes the host name of an agent, for {@link Fleet.hostOf}. */
  private remember(a: FleetAgent): FleetAgent {
    this.hosts.set(a.name, a.host);
    return a;
  }

  /**
   * Passes the session's reports on as the fleet's typed events. Objects are typed only when
   * someone listens: updates arrive for every object of every agent.
   */
  private forwardSessionEvents(): void {
    const s = this.session;
    s.on("agentAdded", (a) => this.emit("agentJoined", this.remember(fleetAgentOf(a))));
    s.on("agentRemoved", (a) => this.emit("agentLeft", fleetAgentOf(a)));
    s.on("agentRestarted", (a, previous) =>
      this.emit("agentRestarted", this.remember(fleetAgentOf(a)), previous),
    );
    s.on("disconnected", (err) => this.emit("brokerDisconnected", err));
    // A session's fatal error, unheard, would end the process: it is the fleet's event.
    s.on("error", (err) => this.emit("brokerFailed", err));
    s.on("reconnected", (node) => void this.resyncAfterReconnect(node.url));
    const objects = (name: "objectChanged" | "objectDeleted") => (o: QmfObject) => {
      if (this.listenerCount(name) === 0 || o.packageName !== PACKAGE_NAME) return;
      const cls = findClass(o.className);
      if (cls) this.emit(name, this.wrap(cls, o));
    };
    s.on("objectChanged", objects("objectChanged"));
    s.on("objectDeleted", objects("objectDeleted"));
    s.on("event", (e) => {
      if (this.listenerCount("schemaEvent") === 0) return;
      const ev = schemaEventOf(e, (agentName) => this.hostOf(agentName));
      if (ev) this.emit("schemaEvent", ev);
    });
  }

  /**
   * Back on the broker (maybe on another node of a cluster): asks every agent to answer a
   * locate, so the agents list is whole again before the reconnect is reported; an agent's
   * heartbeat would tell the same, but only an interval later.
   */
  private async resyncAfterReconnect(node: string): Promise<void> {
    try {
      await this.session.locate();
    } catch {
      // The link went again, or the fleet closed: what the directory knows is reported.
    }
    if (!this.closed)
      this.emit("brokerReconnected", { node, agents: this.session.agents().length });
  }

  private wrap<T extends AnyObject>(cls: ManagedClass<T>, o: QmfObject): T {
    return new cls(this, {
      objectId: objectRefOf(o),
      agentName: o.agentName,
      values: o.values,
      updateTs: o.updateTs,
      createTs: o.createTs,
    });
  }
}

function wireRef(v: unknown, what: string): unknown {
  const ref = v instanceof ManagedObject ? v.objectId : toObjectRef(v);
  if (!ref) throw new ArgumentError(`${what}: expected an object or object id`);
  return { agentName: ref.agentName, objectName: ref.objectName };
}

function isObjectList<T extends AnyObject>(t: ForEachQuery<T> | readonly T[]): t is readonly T[] {
  return Array.isArray(t);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Keeps the cache in step with the fleet: reads each agent's objects when it joins or
// restarts and when the broker comes back (changes made while it was away were not seen),
// then follows the objects the agents publish and the events they raise. One console session
// feeds every browser tab; a page view never reaches the broker.
import type {
  Fleet,
  FleetAgent,
  FleetEvents,
  ManagedClass,
  ManagedObject,
  SchemaEvent,
} from "../console/index.js";
import {
  Domain,
  DomainInfo,
  Node,
  NodeInfo,
  objectIdText,
  Pool,
  Volume,
} from "../console/index.js";
import type { FleetCache } from "./cache.js";

type AnyObject = ManagedObject<object>;

/** The classes the web server shows, read whole for each agent. */
const CLASSES: ManagedClass<AnyObject>[] = [Node, NodeInfo, Domain, DomainInfo, Pool, Volume];

/** How often the agents' heartbeats are read from the session (a local table, not the broker). */
const HEARTBEAT_CHECK_MS = 1000;
/** The wait before reading an agent again after a failed read. */
const RETRY_MS = 3000;

/** Follows `fleet` into `cache` until {@link FleetSync.stop}. */
export class FleetSync {
  private readonly loading = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** Per agent being read: the failure its queries reported (see readAgent). */
  private readonly readFailures = new Map<string, Error | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly fleet: Fleet,
    private readonly cache: FleetCache,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  /** Starts following and reads every agent known now; resolves once they are read. */
  async start(): Promise<void> {
    this.listen();
    this.timer = setInterval(() => this.checkHeartbeats(), HEARTBEAT_CHECK_MS);
    this.timer.unref();
    const agents = this.fleet.agents();
    for (const a of agents) this.cache.agentUp(a);
    await Promise.all(agents.map((a) => this.load(a.name)));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const t of this.retries.values()) clearTimeout(t);
    for (const f of this.off) f();
  }

  /** Resolves once no agent is being read (tests and the benchmark wait for it). */
  async settled(): Promise<void> {
    while (this.loading.size) await Promise.all(this.loading.values());
  }

  private on<K extends keyof FleetEvents>(
    event: K,
    listener: (...args: FleetEvents[K]) => void,
  ): void {
    const f = this.fleet as unknown as NodeJS.EventEmitter;
    f.on(event, listener as (...a: unknown[]) => void);
    this.off.push(() => f.off(event, listener as (...a: unknown[]) => void));
  }

  private listen(): void {
    const c = this.cache;
    this.on("objectChanged", (o: AnyObject) => c.apply(o));
    this.on("objectDeleted", (o: AnyObject) => c.remove(o));
    this.on("agentJoined", (a: FleetAgent) => {
      c.agentUp(a);
      this.agentEvent(a, "joined", `epoch ${a.epoch}`, 6);
      void this.load(a.name);
    });
    this.on("agentRestarted", (a: FleetAgent, previous: number) => {
      c.agentUp(a);
      this.agentEvent(a, "restarted", `epoch ${previous} → ${a.epoch}`, 5);
      void this.load(a.name);
    });
    this.on("agentLeft", (a: FleetAgent) => {
      c.agentSilent(a.name);
      this.agentEvent(a, "left", "no heartbeat: its state is unknown", 4);
    });
    this.on("schemaEvent", (e: SchemaEvent) => this.schemaEvent(e));
    // One listener for every read in flight (not one per read: 100 agents read at once).
    this.on("agentError", ({ agentName, error }) => {
      if (this.readFailures.has(agentName)) this.readFailures.set(agentName, error);
    });
    this.on("brokerDisconnected", (err: Error) => {
      c.setBroker(false, err.message);
      c.addEvent({
        t: Date.now(),
        kind: "broker",
        event: "lost",
        detail: err.message,
        host: "",
        agent: "",
        name: "",
        objectId: "",
        severity: 3,
      });
    });
    // The broker refused the login on a reconnect: the fleet stops trying; the pages say it.
    this.on("brokerFailed", (err) => {
      c.setBroker(false, `${err.message}; restart lvq web once the broker accepts it again`);
    });
    this.on("brokerReconnected", () => {
      c.setBroker(true);
      c.addEvent({
        t: Date.now(),
        kind: "broker",
        event: "back",
        detail: "reading every agent again",
        host: "",
        agent: "",
        name: "",
        objectId: "",
        severity: 5,
      });
      for (const a of this.fleet.agents()) {
        c.agentUp(a);
        void this.load(a.name);
      }
    });
  }

  private agentEvent(a: FleetAgent, event: string, detail: string, severity: number): void {
    this.cache.addEvent({
      t: Date.now(),
      kind: "agent",
      event,
      detail,
      host: a.host,
      agent: a.name,
      name: "",
      objectId: "",
      severity,
    });
  }

  private schemaEvent(e: SchemaEvent): void {
    const t = e.timestamp && e.timestamp > 0n ? Number(e.timestamp / 1_000_000n) : Date.now();
    const base = { t, host: e.host, agent: e.agentName, severity: e.severity ?? 5 };
    if (e.name === "DomainLifecycle") {
      this.cache.addEvent({
        ...base,
        kind: "domain",
        event: e.args.event,
        detail: e.args.detail,
        name: e.args.name,
        objectId: e.args.domain ? objectIdText(e.args.domain) : "",
      });
    } else if (e.name === "PoolLifecycle") {
      this.cache.addEvent({
        ...base,
        kind: "pool",
        event: e.args.event,
        detail: "",
        name: e.args.name,
        objectId: e.args.pool ? objectIdText(e.args.pool) : "",
      });
    }
  }

  /** Heartbeats update no event: read the session's agent table for their ages. */
  private checkHeartbeats(): void {
    const now = Date.now();
    for (const a of this.fleet.agents()) {
      const held = this.cache.hosts.get(a.name);
      // An agent the session knows but the cache does not yet (its join is on its way).
      if (held) this.cache.agentUp(a, now);
    }
  }

  /**
   * Reads every object of an agent. One read per agent at a time: a request while one runs
   * makes it run once more afterwards (the first may have been answered before the change).
   */
  load(agent: string): Promise<void> {
    const running = this.loading.get(agent);
    if (running) {
      this.again.add(agent);
      return running;
    }
    clearTimeout(this.retries.get(agent));
    this.retries.delete(agent);
    const p = this.readAgent(agent).finally(() => {
      this.loading.delete(agent);
      if (this.again.delete(agent) && !this.stopped) void this.load(agent);
    });
    this.loading.set(agent, p);
    return p;
  }

  private async readAgent(agent: string): Promise<void> {
    const since = Date.now();
    // A whole-class query leaves out an agent that fails (and says so with agentError): an
    // empty answer must then not be taken for "it has nothing".
    this.readFailures.set(agent, undefined);
    try {
      const found = await Promise.all(
        CLASSES.map((cls) => this.fleet.objects(cls, undefined, { agents: [agent] })),
      );
      const failure = this.readFailures.get(agent);
      if (failure) throw failure;
      if (this.stopped) return;
      this.cache.replaceAgent(agent, found.flat(), since);
    } catch (err) {
      if (this.stopped) return;
      this.log(`reading ${agent} failed: ${(err as Error).message}; trying again`);
      if (this.fleet.agents().some((a) => a.name === agent)) {
        const t = setTimeout(() => void this.load(agent), RETRY_MS);
        t.unref();
        this.retries.set(agent, t);
      }
    } finally {
      this.readFailures.delete(agent);
    }
  }
}

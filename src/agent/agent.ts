// The managed-node agent: one libvirt connection (reconnecting) joined to one QMF agent
// session. Start-up order matters: libvirt first (the host UUID names the agent), then the
// epoch (persisted, +1), then the broker, then events are registered BEFORE the first full
// resync so nothing that happens during the resync is missed.

import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { access } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { ReconnectingLibvirt } from "../libvirt/index.js";
import type { Observer } from "../observe/observer.js";
// The QMF modules the agent runs on, each named: the qmf index would load the console, the
// schema XML parser and the in-memory broker too, which a running agent never uses (the
// console is loaded when a migration needs one).
import { AgentSession } from "../qmf/agent/session.js";
import type { MethodCall } from "../qmf/agent/types.js";
import { Uuid } from "../qmf/codec/types.js";
import type { ConsoleSession } from "../qmf/console/session.js";
import { isAuthenticationError, isNameInUse, NameInUseError } from "../qmf/errors.js";
import { loadSchemaJsonFile } from "../qmf/schema/json.js";
import type { Schema } from "../qmf/schema/model.js";
import { redactUrl } from "../qmf/transport/broker-url.js";
import { auditTrail } from "./audit.js";
import { JobSlots } from "./concurrency.js";
import type { AgentConfig } from "./config.js";
import { connectLibvirt } from "./connect.js";
import type { HandlerContext } from "./handlers.js";
import { hostUuidFromCapabilities, nextEpoch, readAgentState, stateFile } from "./identity.js";
import { KINDS } from "./kinds/index.js";
import { followLibvirtEvents } from "./libvirt-events.js";
import type { AgentLogger } from "./log.js";
import { authorizeCall, authorizeQuery, executeMethod, handlerContext } from "./methods.js";
import { type LinkState, Mirror, type SweepResult } from "./mirror.js";
import { AccessPolicy } from "./roles.js";

/** QMF vendor and product of every lvq agent (its name is `vendor:product:instance`). */
export const AGENT_VENDOR = "libvirt-qmf";
export const AGENT_PRODUCT = "libvirt";

/** What {@link LibvirtAgent.start} takes besides the settings. */
export interface LibvirtAgentOptions {
  /**
   * Told what the agent counts: each stats sweep, each lost libvirt connection, each event
   * lost while the broker was away longer than the held events last.
   */
  observer?: Observer;
  /**
   * A schema XML file to publish instead of the built-in schema/libvirt.xml. The built-in one
   * is read from its JSON form (schema/libvirt.json), which needs no XML parser; a file given
   * here is parsed, loading the parser.
   */
  schemaPath?: string;
  /**
   * The libvirt connection, already opening ({@link connectLibvirt}): `lvq agent` opens it
   * before it loads the rest of the agent, so that the daemon reads its host meanwhile. The
   * agent owns it from then on. Default: one opened by `start`.
   */
  libvirt?: ReconnectingLibvirt;
}

/** Events of {@link LibvirtAgent}. */
export interface LibvirtAgentEvents {
  /** The libvirt connection state changed (also shown as Node.libvirt_state). */
  libvirtState: [state: LinkState, error: string];
  /** A full resync finished. */
  synced: [];
  /** A stats sweep finished. */
  swept: [result: SweepResult];
}

/** Finds schema/<name> next to the sources (src/agent → ../../schema) or the build. */
async function schemaFile(name: string): Promise<string> {
  for (const rel of [`../../schema/${name}`, `../../../schema/${name}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    try {
      await access(p);
      return p;
    } catch {
      // try the next place
    }
  }
  throw new Error(`schema/${name} not found next to the agent's code`);
}

/** Finds schema/libvirt.xml next to the sources or the build. */
export function defaultSchemaPath(): Promise<string> {
  return schemaFile("libvirt.xml");
}

/** The schema the agent publishes: the file given, else the built-in one's JSON form. */
async function loadAgentSchema(path: string | undefined): Promise<Schema> {
  return path === undefined
    ? loadSchemaJsonFile(await schemaFile("libvirt.json"))
    : (await import("../qmf/schema/parse.js")).loadSchemaFile(path);
}

/**
 * A UUID derived from text (SHA-1, name-based like RFC 4122 version 5): the identity of a
 * host whose capabilities carry no host UUID (libvirt's test driver), stable across restarts.
 */
export function derivedUuid(text: string): string {
  const h = createHash("sha1").update(`lvq-agent:${text}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  return Uuid.fromBytes(h.subarray(0, 16)).toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A running agent. Create it with {@link LibvirtAgent.start}; stop it with {@link stop}.
 *
 * ```ts
 * const agent = await LibvirtAgent.start({ ...defaultConfig(), uri: "test:///default" }, log);
 * console.log(agent.name, agent.epoch);
 * await agent.stop();
 * ```
 */
export class LibvirtAgent extends EventEmitter<LibvirtAgentEvents> {
  /** QMF agent name: `libvirt-qmf:libvirt:<instance>`. */
  readonly name: string;
  readonly instance: string;
  readonly epoch: number;
  readonly hostUuid: string;
  readonly config: AgentConfig;
  /** Where the agent reports its counters (the one it was started with). */
  readonly observer: Observer | undefined;
  /** The QMF agent session (replaced only while the first connection to the broker fails). */
  session!: AgentSession;
  readonly libvirt: ReconnectingLibvirt;
  /** What keeps the objects equal to libvirt. */
  mirror!: Mirror;
  private readonly log: AgentLogger;
  private console: Promise<ConsoleSession> | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private linkError = "";
  private stopping: Promise<void> | null = null;

  private constructor(p: {
    config: AgentConfig;
    log: AgentLogger;
    libvirt: ReconnectingLibvirt;
    schema: Schema;
    hostUuid: string;
    instance: string;
    epoch: number;
    hostname: string;
    observer: Observer | undefined;
  }) {
    super();
    this.config = p.config;
    this.observer = p.observer;
    this.log = p.log;
    this.libvirt = p.libvirt;
    this.hostUuid = p.hostUuid;
    this.instance = p.instance;
    this.epoch = p.epoch;
    const policy = new AccessPolicy(p.config.roles, p.config.controlUsers);
    const audit = auditTrail(this.log.child({ component: "audit" }), (u) => policy.roleOf(u));
    const longJobs = new JobSlots(p.config.maxLongJobs);
    const perSecond = p.config.maxRequestsPerSecond;
    const rateLimit = perSecond > 0 ? { perSecond, burst: Math.max(1, 2 * perSecond) } : undefined;
    this.build = () => {
      let handlers!: HandlerContext; // made below, once the mirror exists; used only later
      this.session = new AgentSession({
        url: p.config.broker,
        ...(p.config.tls ? { tls: p.config.tls } : {}),
        vendor: AGENT_VENDOR,
        product: AGENT_PRODUCT,
        instance: p.instance,
        schemas: [p.schema],
        epoch: p.epoch,
        heartbeatIntervalMs: p.config.heartbeatIntervalMs,
        attributes: {
          hostname: p.hostname,
          host_uuid: p.hostUuid,
          libvirt_uri: p.config.publicUri ?? p.config.uri,
          libvirt_state: "connected",
        },
        log: this.log.child({ component: "qmf" }),
        authorize: (a) => authorizeCall(policy, a),
        authorizeQuery: (q) => authorizeQuery(policy, q),
        rateLimit,
        onMethod: (call: MethodCall) => executeMethod(handlers, call, longJobs),
        onMethodOutcome: audit,
        observer: p.observer,
      });
      this.mirror = new Mirror({
        libvirt: this.libvirt,
        session: this.session,
        hostUuid: p.hostUuid,
        publicUri: p.config.publicUri ?? p.config.uri,
        log: this.log.child({ component: "mirror" }),
        sweepTimeoutMs: Math.max(1000, Math.min(p.config.statsIntervalMs, 10_000)),
        observer: p.observer,
        settings: {
          balloonStatsPeriod: p.config.balloonStatsPeriodSeconds,
          statsHistory: p.config.statsHistory,
        },
      });
      const session = this.session;
      handlers = handlerContext({
        libvirt: this.libvirt,
        mirror: this.mirror,
        agentName: session.name,
        objectId: (n) => session.objectId(n),
        console: () => this.consoleSession(),
        linkError: () => this.linkError || undefined,
        log: this.log.child({ component: "method" }),
      });
    };
    this.build();
    this.name = this.session.name;
  }

  /** (Re)creates the QMF session and the mirror on it: a session that failed to open is spent. */
  private readonly build: () => void;

  /**
   * Connects to libvirt (waiting for it, retrying), works out the identity, opens the QMF
   * session (retrying until the broker answers, except on refused credentials), publishes
   * everything and starts the timers. Resolves once the first full resync is published.
   */
  static async start(
    config: AgentConfig,
    log: AgentLogger,
    options: LibvirtAgentOptions = {},
  ): Promise<LibvirtAgent> {
    // libvirt first: the daemon reads its host while the schema and the state file are read.
    const libvirt = options.libvirt ?? connectLibvirt(config, log);
    let agent: LibvirtAgent | undefined;
    try {
      const file = stateFile(config.stateDir, config.instance ?? `uri-${config.uri}`);
      const [schema, prev] = await Promise.all([
        loadAgentSchema(options.schemaPath),
        readAgentState(file),
        libvirt.open(),
      ]);
      log.info("libvirt connected", { uri: config.uri });
      const c = libvirt.client;
      const hostname = await c.getHostname();
      // Identity. The host UUID names the agent and the Node, so it must not change between
      // runs: an explicit one wins; else the one this agent recorded before (libvirt makes up
      // a random one per daemon start on hosts without SMBIOS, and reading capabilities can
      // take seconds on qemu:///system); else the capabilities' (recorded for next time);
      // else, for drivers without one (test), a UUID derived from host name and URI.
      let hostUuid = config.hostUuid ?? prev?.hostUuid;
      if (hostUuid === undefined) {
        hostUuid =
          hostUuidFromCapabilities(await c.getCapabilities()) ??
          derivedUuid(`${hostname} ${config.uri}`);
      }
      const instance = config.instance ?? hostUuid;
      const { epoch } = await nextEpoch(file, hostUuid);
      agent = new LibvirtAgent({
        config,
        log,
        libvirt,
        schema,
        hostUuid,
        instance,
        epoch,
        hostname,
        observer: options.observer,
      });
      await agent.run();
      return agent;
    } catch (e) {
      if (agent) await agent.stop();
      else await libvirt.close();
      throw e;
    }
  }

  private async run(): Promise<void> {
    const log = this.log;
    // The broker: retry until it answers (a host boots before its broker); refused
    // credentials are final.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.session.open();
        break;
      } catch (e) {
        if (isAuthenticationError(e) || this.stopping) throw e;
        if (isNameInUse(e)) {
          throw new NameInUseError(
            `another agent named ${this.name} is already on the broker (give this one its own --instance)`,
            { cause: e },
          );
        }
        if (attempt === 0)
          log.warn("broker not reachable; retrying", {
            broker: redactUrl(this.config.broker),
            err: e,
          });
        await sleep(Math.min(5000, 200 * 2 ** attempt));
        if (this.stopping) throw e;
        this.build(); // a session that failed to open cannot be opened again
      }
    }
    log.info("agent on the broker", {
      agent: this.name,
      epoch: this.epoch,
      node: this.session.getAttributes().broker_node,
    });
    this.session.on("disconnected", (err) => log.warn("broker connection lost", { err }));
    this.session.on("reconnected", (node) => {
      log.info("broker reconnected; changes made meanwhile are published", { node: node.url });
      this.mirror.raiseHeldEvents();
    });
    this.session.on("error", (err) => log.error("QMF session failed", { err }));

    this.libvirt.on("disconnected", (err) => {
      this.observer?.count?.("libvirt_disconnects", 1);
      this.setLink("disconnected", err.message);
      log.warn("libvirt connection lost; keeping objects, reconnecting", { err });
    });
    this.libvirt.on("connectFailed", (err) => {
      if (err.message !== this.linkError) log.warn("libvirt reconnect failed", { err });
      this.setLink("disconnected", err.message);
    });
    this.libvirt.on("reconnected", () => {
      log.info("libvirt reconnected; events registered again; resyncing");
      this.setLink("connected", "");
      this.resyncNow();
    });
    await followLibvirtEvents(this.libvirt, KINDS, (row, ev, payload) =>
      this.mirror.onEvent(row, ev, payload),
    );
    this.setLink("connected", "");
    await this.mirror.resync();
    this.emit("synced");
    this.statsTimer = setInterval(() => this.sweepNow(), this.config.statsIntervalMs);
    this.resyncTimer = setInterval(() => this.resyncNow(), this.config.resyncIntervalMs);
    this.statsTimer.unref?.();
    this.resyncTimer.unref?.();
  }

  private setLink(state: LinkState, error: string): void {
    this.linkError = error;
    if (this.mirror.linkState !== state) this.emit("libvirtState", state, error);
    this.mirror.setLinkState(state, error);
    this.session.setAttributes({ libvirt_state: state });
  }

  /** Runs a full resync now (errors are logged; the objects stay as they were). */
  resyncNow(): void {
    if (this.stopping || !this.libvirt.connected) return;
    this.mirror.resync().then(
      () => this.emit("synced"),
      (err) => this.log.warn("resync failed; objects kept as they were", { err }),
    );
  }

  /** Runs a stats sweep now (errors are logged). */
  sweepNow(): void {
    if (this.stopping || !this.libvirt.connected) return;
    this.mirror.sweep().then(
      (r) => {
        if (r) this.emit("swept", r);
      },
      (err) => this.log.warn("stats sweep failed", { err }),
    );
  }

  private consoleSession(): Promise<ConsoleSession> {
    if (!this.console) {
      this.console = import("../qmf/console/session.js").then(async ({ ConsoleSession }) => {
        const c = new ConsoleSession({
          url: this.config.broker,
          ...(this.config.tls ? { tls: this.config.tls } : {}),
          cacheObjects: false,
          log: this.log.child({ component: "console" }),
        });
        await c.open();
        return c;
      });
      const opening = this.console;
      opening.catch(() => {
        if (this.console === opening) this.console = null;
      });
    }
    return this.console;
  }

  /** Stops timers, leaves the broker, closes libvirt. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        if (this.statsTimer) clearInterval(this.statsTimer);
        if (this.resyncTimer) clearInterval(this.resyncTimer);
        this.mirror.stop();
        const console = this.console;
        this.console = null;
        await Promise.allSettled([
          this.session.close(),
          console?.then((c) => c.close()),
          this.libvirt.close(),
        ]);
        this.log.info("agent stopped", { agent: this.name });
      })();
    }
    return this.stopping;
  }
}

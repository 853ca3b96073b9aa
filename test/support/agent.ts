// Agents for tests and benchmarks: in-process (LibvirtAgent.start) or as a real `lvq agent`
// subprocess, each with a unique instance name and a private state folder, always stopped
// by the caller (`stop()`), never touching another run's agents.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AGENT_PRODUCT,
  AGENT_VENDOR,
  type AgentConfig,
  createLogger,
  defaultConfig,
  LibvirtAgent,
  type LogLevel,
} from "../../src/agent/index.js";
import type { RoleUsers } from "../../src/agent/roles.js";
import type { Observer } from "../../src/observe/observer.js";
import { ConsoleSession, type QmfObject } from "../../src/qmf/index.js";
import { BROKER } from "./broker.js";
import { uniqueName } from "./names.js";

/** The QMF agent name for an instance. */
export const agentNameOf = (instance: string): string =>
  `${AGENT_VENDOR}:${AGENT_PRODUCT}:${instance}`;

/** A private temporary folder (removed by the returned function). */
export function tempDir(tag = "agent"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `lvqtest-${tag}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

const AUDIT_LINE = /^\{"ts":"[^"]*","level":"audit"/;

/** Options of {@link startTestAgent}. */
export interface TestAgentOptions {
  /** libvirt URI (a private test-driver file: `writeTestDriverFile` in testdriver.ts). */
  uri: string;
  /** Default: a unique `lvqtest-agent-<random>`; null: none (the agent names itself by host UUID). */
  instance?: string | null;
  broker?: string;
  publicUri?: string;
  /** The host UUID (skips reading libvirt's capabilities). */
  hostUuid?: string;
  /** The broker users of each role (default: none, so everyone may do everything). */
  roles?: RoleUsers;
  /** Admins (a shorthand, added to `roles.admin`). */
  controlUsers?: string[];
  /** Requests a second per broker user (default: the agent's, 50; 0: no limit). */
  maxRequestsPerSecond?: number;
  /** Long jobs at a time (default: the agent's, 2). */
  maxLongJobs?: number;
  /** Default: a fresh temporary folder (removed by stop() unless given). */
  stateDir?: string;
  statsIntervalMs?: number;
  heartbeatIntervalMs?: number;
  resyncIntervalMs?: number;
  libvirtCallTimeoutMs?: number;
  libvirtKeepaliveIntervalMs?: number;
  libvirtKeepaliveCount?: number;
  reconnectMaxDelayMs?: number;
  /** The balloon stats period the agent sets on QEMU domains without one (default: the agent's). */
  balloonStatsPeriodSeconds?: number;
  /** Stats samples kept per domain (default: the agent's, 360). */
  statsHistory?: number;
  /** Default "warn" (set LVQ_TEST_LOG=debug to see everything). */
  logLevel?: LogLevel;
  /**
   * Where the agent's log lines go. Default: stderr, without the audit lines (one per method
   * call) unless LVQ_TEST_LOG is set.
   */
  logSink?: (line: string) => void;
  /** Told what the agent and its session count (methods executed, …). */
  observer?: Observer;
}

/** An agent running in this process. */
export interface AgentHandle {
  agent: LibvirtAgent;
  /** QMF agent name. */
  name: string;
  instance: string;
  stateDir: string;
  config: AgentConfig;
  /** Stops the agent (and removes the state folder it made). Idempotent. */
  stop(): Promise<void>;
}

/** Starts an agent in this process; resolves once its first resync is published. */
export async function startTestAgent(opts: TestAgentOptions): Promise<AgentHandle> {
  const made = opts.stateDir === undefined ? tempDir("state") : undefined;
  const stateDir = opts.stateDir ?? (made as { path: string }).path;
  const instance = opts.instance === null ? undefined : (opts.instance ?? uniqueName("agent"));
  const config: AgentConfig = {
    ...defaultConfig(),
    broker: opts.broker ?? BROKER,
    uri: opts.uri,
    publicUri: opts.publicUri,
    hostUuid: opts.hostUuid,
    roles: opts.roles,
    controlUsers: opts.controlUsers,
    instance,
    stateDir,
    statsIntervalMs: opts.statsIntervalMs ?? 10_000,
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 2_000,
    resyncIntervalMs: opts.resyncIntervalMs ?? 300_000,
    libvirtCallTimeoutMs: opts.libvirtCallTimeoutMs ?? 30_000,
    reconnectMaxDelayMs: opts.reconnectMaxDelayMs ?? 1_000,
    logLevel: opts.logLevel ?? (process.env.LVQ_TEST_LOG as LogLevel | undefined) ?? "warn",
  };
  if (opts.libvirtKeepaliveIntervalMs !== undefined) {
    config.libvirtKeepaliveIntervalMs = opts.libvirtKeepaliveIntervalMs;
  }
  if (opts.balloonStatsPeriodSeconds !== undefined) {
    config.balloonStatsPeriodSeconds = opts.balloonStatsPeriodSeconds;
  }
  if (opts.maxRequestsPerSecond !== undefined) {
    config.maxRequestsPerSecond = opts.maxRequestsPerSecond;
  }
  if (opts.maxLongJobs !== undefined) config.maxLongJobs = opts.maxLongJobs;
  if (opts.statsHistory !== undefined) config.statsHistory = opts.statsHistory;
  if (opts.libvirtKeepaliveCount !== undefined)
    config.libvirtKeepaliveCount = opts.libvirtKeepaliveCount;
  const quiet = process.env.LVQ_TEST_LOG === undefined;
  const log = createLogger({
    level: config.logLevel,
    fields: { instance: instance ?? "(host uuid)" },
    sink:
      opts.logSink ??
      ((line) => {
        if (!quiet || !AUDIT_LINE.test(line)) process.stderr.write(line);
      }),
  });
  let agent: LibvirtAgent;
  try {
    agent = await LibvirtAgent.start(config, log, { observer: opts.observer });
  } catch (e) {
    made?.remove();
    throw e;
  }
  let stopped: Promise<void> | null = null;
  return {
    agent,
    name: agent.name,
    instance: agent.instance,
    stateDir,
    config,
    stop() {
      stopped ??= agent.stop().finally(() => made?.remove());
      return stopped;
    },
  };
}

/** An `lvq agent` child process. */
export interface SpawnedAgent {
  proc: ChildProcess;
  /** Lines it wrote on stderr (JSON logs), so far. */
  stderr: string[];
  /** Resolves with the first log line (parsed) whose msg is `msg`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Runs `lvq agent <args>` with extra environment variables: from the sources through tsx, or
 * with `opts.main` (e.g. the built dist/cli/main.js) as plain JavaScript.
 */
export function spawnAgent(
  args: string[],
  env: Record<string, string> = {},
  opts: { main?: string } = {},
): SpawnedAgent {
  const entry = opts.main ? [opts.main] : ["--import", "tsx", MAIN];
  const proc = spawn(process.execPath, [...entry, "agent", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  const waiters: { msg: string; resolve: (v: Record<string, unknown>) => void }[] = [];
  let buf = "";
  proc.stderr?.setEncoding("utf8");
  proc.stderr?.on("data", (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      stderr.push(line);
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = undefined;
      }
      if (parsed) {
        for (const w of [...waiters]) {
          if (parsed.msg === w.msg) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(parsed);
          }
        }
      }
      i = buf.indexOf("\n");
    }
  });
  proc.stdout?.resume();
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  return {
    proc,
    stderr,
    exited,
    waitForLog(msg, timeoutMs = 20_000) {
      for (const line of stderr) {
        try {
          const p = JSON.parse(line) as Record<string, unknown>;
          if (p.msg === msg) return Promise.resolve(p);
        } catch {
          // not JSON
        }
      }
      return new Promise((resolve, reject) => {
        const w = { msg, resolve };
        waiters.push(w);
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(
            new Error(`no log line "${msg}" within ${timeoutMs} ms; stderr:\n${stderr.join("\n")}`),
          );
        }, timeoutMs);
        exited.then(() => {
          clearTimeout(timer);
          if (waiters.includes(w)) {
            waiters.splice(waiters.indexOf(w), 1);
            reject(
              new Error(`agent exited before logging "${msg}"; stderr:\n${stderr.join("\n")}`),
            );
          }
        });
        const orig = w.resolve;
        w.resolve = (v) => {
          clearTimeout(timer);
          orig(v);
        };
      });
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Opens a console session on the test broker (close it in `after`). */
export async function openConsole(broker = BROKER): Promise<ConsoleSession> {
  const c = new ConsoleSession({
    url: broker,
    name: uniqueName("console"),
    defaultTimeoutMs: 15_000,
  });
  await c.open();
  return c;
}

/** All objects of one class of one agent, by object name. */
export async function objectsByName(
  console: ConsoleSession,
  agentName: string,
  className: string,
): Promise<Map<string, QmfObject>> {
  const objs = await console.query({
    agentName,
    packageName: "Libvirt",
    className,
    timeoutMs: 20_000,
  });
  return new Map(objs.map((o) => [o.objectId.objectName, o]));
}

// Where lvq finds its broker: the --broker flag, else LVQ_BROKER, else the config file
// (--config, else ~/.config/lvq/config.json), else the local RabbitMQ with guest/guest.
import { homedir } from "node:os";
import { join } from "node:path";
import { type BrokerAccessNames, resolveBrokerAccess } from "../qmf/transport/broker-access.js";
import { brokerUrlProblem, hasPassword, redactUrl } from "../qmf/transport/broker-url.js";
import type { TlsOptions } from "../qmf/transport/tls-options.js";
import {
  aPositive,
  aString,
  type ConfigFileFormat,
  DEFAULT_BROKER,
  readConfigFile,
} from "../util/config-file.js";
import { isWorldReadable, worldReadableWarning } from "../util/secret-file.js";
import type { BrokerAccessFlags } from "./broker-options.js";
import { UsageError } from "./errors.js";

export { DEFAULT_BROKER, redactUrl };

/**
 * Settings read from the config file. Unknown keys are refused, so a typo is noticed. The
 * broker-access keys (tlsCa, tlsCert, tlsKey, tlsServername, tlsExternalLogin,
 * brokerPasswordFile) are those of the options of the same names.
 */
export interface LvqConfig extends BrokerAccessFlags {
  broker?: string;
  timeout?: number;
  /** Least quiet time that ends discovery, in ms (see {@link Settings.settleMs}). */
  settleMs?: number;
  /** How many agents the fleet has (see {@link Settings.expectAgents}). */
  expectAgents?: number;
  /** The broker user of each agent, by agent name (see {@link Settings.agentUsers}). */
  agentUsers?: Record<string, string>;
  /** `lvq web`'s own section, read and checked by that command (src/cli/commands/web.ts). */
  web?: Record<string, unknown>;
}

/** The global options every command accepts (set on the root program). */
export interface GlobalOptions extends BrokerAccessFlags {
  broker?: string;
  config?: string;
  json?: boolean;
  timeout?: number;
  settle?: number;
  expectAgents?: number;
}

/** The resolved settings a command runs with. */
export interface Settings {
  broker: string;
  /** Where `broker` came from, for error messages ("from LVQ_BROKER"). */
  brokerSource: string;
  json: boolean;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** True when the timeout was set (flag or config file) rather than the default. */
  timeoutGiven: boolean;
  /**
   * Least quiet time after the last new agent that ends discovery, in ms (--settle, else
   * LVQ_SETTLE_MS, else the config file's `settleMs`; undefined: the SDK's 150 ms). The SDK
   * waits longer by itself when agents answer slowly.
   */
  settleMs?: number;
  /**
   * The number of agents the fleet has (--expect-agents, LVQ_EXPECT_AGENTS, `expectAgents`):
   * discovery waits for that many (up to its 3 s cap), and fewer is an error (exit 4).
   */
  expectAgents?: number;
  /** Longest discovery, in ms (LVQ_DISCOVERY_MS; undefined: the SDK's 3000 ms). */
  discoveryMs?: number;
  /**
   * TLS for amqps:// brokers (--tls-ca, --tls-cert, --tls-key, --tls-servername,
   * --tls-external-login; else LVQ_TLS_*; else the config file's tls* keys). Absent when none
   * is given. The broker's chain and name are always verified.
   */
  tls?: TlsOptions;
  /**
   * The broker user each agent sends as, by agent name (LVQ_AGENT_USERS as JSON, else the
   * config file's `agentUsers`): answers and indications of a listed agent from any other user
   * are dropped. Absent when not given (each agent's user is then learnt from it).
   */
  agentUsers?: Record<string, string>;
}

/** The default config file path: $XDG_CONFIG_HOME/lvq/config.json or ~/.config/lvq/config.json. */
export function defaultConfigPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "lvq", "config.json");
}

/** A broker URL, or a cluster's nodes as an array of URLs (kept as one comma-separated text). */
const aBrokerList = (v: unknown): string | undefined =>
  Array.isArray(v) && v.length > 0 && v.every((u) => typeof u === "string")
    ? v.join(",")
    : aString(v);

/** A map of agent names to broker user names. */
const aUserMap = (v: unknown): Record<string, string> | undefined =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  Object.values(v).every((u) => typeof u === "string" && u !== "")
    ? (v as Record<string, string>)
    : undefined;

/** lvq's config file: each key with the type of its value. */
const CONFIG_FILE: ConfigFileFormat<LvqConfig> = {
  keys: {
    broker: aBrokerList,
    timeout: aPositive(),
    settleMs: aPositive(),
    expectAgents: aPositive(true),
    tlsCa: aString,
    tlsCert: aString,
    tlsKey: aString,
    tlsServername: aString,
    tlsExternalLogin: (v) => (typeof v === "boolean" ? v : undefined),
    brokerPasswordFile: aString,
    agentUsers: aUserMap,
    web: (v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : undefined,
  },
  refused: "unknown or mistyped key",
  expected:
    '(expected "broker": a URL or an array of URLs, "timeout": seconds, "settleMs": milliseconds, "expectAgents": a positive integer, "tlsCa", "tlsCert", "tlsKey", "brokerPasswordFile": file paths, "tlsServername": a host name, "tlsExternalLogin": true or false, "agentUsers": {"agent name": "broker user", …}, "web": an object)',
  example: '{"broker": "amqp://…"}',
  error: (message) => new UsageError(message),
};

/** Checks that `url` is an amqp:// or amqps:// URL; returns it unchanged. */
export function checkBrokerUrl(url: string, source: string): string {
  const problem = brokerUrlProblem(url, source);
  if (problem) throw new UsageError(problem);
  return url;
}

/** Resolves the settings from the global options, the environment and the config file. */
export async function resolveSettings(opts: GlobalOptions): Promise<Settings> {
  const configPath = opts.config ?? defaultConfigPath();
  const config = await readConfigFile(configPath, CONFIG_FILE, opts.config !== undefined);
  let broker: string;
  let brokerSource: string;
  if (opts.broker !== undefined) {
    broker = opts.broker;
    brokerSource = "from --broker";
  } else if (process.env.LVQ_BROKER) {
    broker = process.env.LVQ_BROKER;
    brokerSource = "from LVQ_BROKER";
  } else if (config.broker !== undefined) {
    broker = config.broker;
    brokerSource = `from ${configPath}`;
  } else {
    broker = DEFAULT_BROKER;
    brokerSource = "the default";
  }
  checkBrokerUrl(broker, brokerSource);
  if (config.broker !== undefined && hasPassword(config.broker)) {
    if (await isWorldReadable(configPath)) {
      warnOnce(worldReadableWarning(configPath, "a broker password"));
    }
  }
  const tls = tlsSettings(opts, config);
  const passwordFile =
    opts.brokerPasswordFile ??
    (process.env.LVQ_BROKER_PASSWORD_FILE || undefined) ??
    config.brokerPasswordFile;
  try {
    broker = await resolveBrokerAccess(
      { broker, ...(tls ? { tls } : {}), ...(passwordFile !== undefined ? { passwordFile } : {}) },
      { ...ACCESS_NAMES, broker: brokerSource },
      warnOnce,
    );
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const agentUsers = envUserMap() ?? config.agentUsers;
  const timeoutSeconds = opts.timeout ?? config.timeout ?? 10;
  const settleMs =
    opts.settle ??
    envNumber("LVQ_SETTLE_MS", "a positive number of milliseconds") ??
    config.settleMs;
  const expectAgents =
    opts.expectAgents ??
    envNumber("LVQ_EXPECT_AGENTS", "a positive integer", true) ??
    config.expectAgents;
  const discoveryMs = envNumber("LVQ_DISCOVERY_MS", "a positive number of milliseconds");
  return {
    broker,
    brokerSource,
    json: opts.json === true,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    timeoutGiven: opts.timeout !== undefined || config.timeout !== undefined,
    ...(settleMs !== undefined ? { settleMs } : {}),
    ...(expectAgents !== undefined ? { expectAgents } : {}),
    ...(discoveryMs !== undefined ? { discoveryMs } : {}),
    ...(tls ? { tls } : {}),
    ...(agentUsers ? { agentUsers } : {}),
  };
}

/** LVQ_AGENT_USERS: a JSON object of agent names to broker users; undefined when unset. */
function envUserMap(): Record<string, string> | undefined {
  const text = process.env.LVQ_AGENT_USERS;
  if (text === undefined || text === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const map = aUserMap(parsed);
  if (!map) {
    throw new UsageError(
      `LVQ_AGENT_USERS: expected a JSON object of agent names to broker users, like {"libvirt-qmf:libvirt:host1": "agent-host1"}`,
    );
  }
  return map;
}

/** Each TLS setting from its flag, else LVQ_TLS_*, else the config file; undefined if none. */
function tlsSettings(opts: GlobalOptions, config: Partial<LvqConfig>): TlsOptions | undefined {
  const env = (name: string) => process.env[name] || undefined;
  const tls: TlsOptions = {};
  const caFile = opts.tlsCa ?? env("LVQ_TLS_CA") ?? config.tlsCa;
  const certFile = opts.tlsCert ?? env("LVQ_TLS_CERT") ?? config.tlsCert;
  const keyFile = opts.tlsKey ?? env("LVQ_TLS_KEY") ?? config.tlsKey;
  const servername = opts.tlsServername ?? env("LVQ_TLS_SERVERNAME") ?? config.tlsServername;
  const externalEnv = env("LVQ_TLS_EXTERNAL_LOGIN");
  if (externalEnv !== undefined && !/^(1|0|true|false|yes|no)$/i.test(externalEnv)) {
    throw new UsageError(`LVQ_TLS_EXTERNAL_LOGIN="${externalEnv}": expected true or false`);
  }
  const externalLogin =
    opts.tlsExternalLogin ??
    (externalEnv === undefined ? undefined : /^(1|true|yes)$/i.test(externalEnv)) ??
    config.tlsExternalLogin;
  if (caFile !== undefined) tls.caFile = caFile;
  if (certFile !== undefined) tls.certFile = certFile;
  if (keyFile !== undefined) tls.keyFile = keyFile;
  if (servername !== undefined) tls.servername = servername;
  if (externalLogin) tls.externalLogin = true;
  return Object.keys(tls).length === 0 ? undefined : tls;
}

/** How lvq's broker-access settings are named in messages: by their options. */
const ACCESS_NAMES: Omit<BrokerAccessNames, "broker"> = {
  requireTls: "requireTls",
  externalLogin: "EXTERNAL login (--tls-external-login)",
  caFile: "the CA file (--tls-ca)",
  certFile: "the client certificate (--tls-cert)",
  keyFile: "the client key (--tls-key)",
};

/** Warnings already written (settings may be resolved more than once per run). */
const warned = new Set<string>();

/** A warning on stderr, each once per run. */
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`lvq: warning: ${message}\n`);
}

/** `text` as a positive number (a positive integer when `integer`); undefined when it is not. */
export function parsePositive(text: string, integer = false): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n)) ? n : undefined;
}

/** A positive number from the environment (`what` says which), or a usage error. */
function envNumber(name: string, what: string, integer = false): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const n = parsePositive(text, integer);
  if (n === undefined) throw new UsageError(`${name}="${text}": expected ${what}`);
  return n;
}

// Where lvq finds its broker: the --broker flag, else LVQ_BROKER, else the config file
// (--config, else ~/.config/lvq/config.json), else the local RabbitMQ with guest/guest.
import { homedir } from "node:os";
import { join } from "node:path";
import { brokerUrlProblem, redactUrl } from "../qmf/transport/broker-url.js";
import {
  aPositive,
  aString,
  type ConfigFileFormat,
  DEFAULT_BROKER,
  readConfigFile,
} from "../util/config-file.js";
import { UsageError } from "./errors.js";

export { DEFAULT_BROKER, redactUrl };

/** Settings read from the config file. Unknown keys are refused, so a typo is noticed. */
export interface LvqConfig {
  broker?: string;
  timeout?: number;
  /** Least quiet time that ends discovery, in ms (see {@link Settings.settleMs}). */
  settleMs?: number;
  /** How many agents the fleet has (see {@link Settings.expectAgents}). */
  expectAgents?: number;
  /** `lvq web`'s own section, read and checked by that command (src/cli/commands/web.ts). */
  web?: Record<string, unknown>;
}

/** The global options every command accepts (set on the root program). */
export interface GlobalOptions {
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

/** lvq's config file: each key with the type of its value. */
const CONFIG_FILE: ConfigFileFormat<LvqConfig> = {
  keys: {
    broker: aBrokerList,
    timeout: aPositive(),
    settleMs: aPositive(),
    expectAgents: aPositive(true),
    web: (v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : undefined,
  },
  refused: "unknown or mistyped key",
  expected:
    '(expected "broker": a URL or an array of URLs, "timeout": seconds, "settleMs": milliseconds, "expectAgents": a positive integer, "web": an object)',
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
  };
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

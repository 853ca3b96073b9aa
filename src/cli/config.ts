// Where lvq finds its broker: the --broker flag, else LVQ_BROKER, else the config file
// (--config, else ~/.config/lvq/config.json), else the local RabbitMQ with guest/guest.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { brokerUrlProblem, redactUrl } from "../console/broker-url.js";
import { UsageError } from "./errors.js";

export { redactUrl };

/** The broker used when nothing else says: a local RabbitMQ with its default user. */
export const DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672";

/** Settings read from the config file. Unknown keys are refused, so a typo is noticed. */
export interface LvqConfig {
  broker?: string;
  timeout?: number;
  /** Least quiet time that ends discovery, in ms (see {@link Settings.settleMs}). */
  settleMs?: number;
  /** How many agents the fleet has (see {@link Settings.expectAgents}). */
  expectAgents?: number;
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

async function readConfig(path: string, explicit: boolean): Promise<LvqConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object like {"broker": "amqp://…"}`);
  }
  const config: LvqConfig = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === "broker" && typeof value === "string") config.broker = value;
    else if (key === "timeout" && typeof value === "number" && value > 0) config.timeout = value;
    else if (key === "settleMs" && typeof value === "number" && value > 0) config.settleMs = value;
    else if (key === "expectAgents" && Number.isInteger(value) && (value as number) > 0)
      config.expectAgents = value as number;
    // `lvq web`'s own section: read and checked by that command (src/cli/commands/web.ts).
    else if (key === "web" && value && typeof value === "object" && !Array.isArray(value)) continue;
    else
      throw new UsageError(
        `config file ${path}: unknown or mistyped key "${key}" (expected "broker": string, "timeout": seconds, "settleMs": milliseconds, "expectAgents": a positive integer)`,
      );
  }
  return config;
}

/** Checks that `url` is an amqp:// or amqps:// URL; returns it unchanged. */
export function checkBrokerUrl(url: string, source: string): string {
  const problem = brokerUrlProblem(url, source);
  if (problem) throw new UsageError(problem);
  return url;
}

/** Resolves the settings from the global options, the environment and the config file. */
export async function resolveSettings(opts: GlobalOptions): Promise<Settings> {
  const configPath = opts.config ?? defaultConfigPath();
  const config = await readConfig(configPath, opts.config !== undefined);
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

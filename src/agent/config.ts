// The agent's settings: defaults, then a JSON config file, then LVQ_* environment variables,
// then command-line flags (each overrides the one before). Every value is checked here, so a
// typo stops the agent at start with a message naming the setting and where it came from.
import { type BrokerAccessNames, resolveBrokerAccess } from "../qmf/transport/broker-access.js";
import { brokerUrlProblem, hasPassword } from "../qmf/transport/broker-url.js";
import type { TlsOptions } from "../qmf/transport/tls-options.js";
import {
  anyValue,
  type ConfigFileFormat,
  DEFAULT_BROKER,
  readConfigFile,
} from "../util/config-file.js";
import { isWorldReadable, worldReadableWarning } from "../util/secret-file.js";
import { canonicalUuid } from "./identity.js";
import { type LogLevel, parseLogLevel } from "./log.js";
import { isRole, ROLES, type Role, type RoleUsers } from "./roles.js";

/** The settings `lvq agent` runs with. Intervals in milliseconds. */
export interface AgentConfig {
  /** AMQP URL of the broker. Default amqp://guest:guest@127.0.0.1:5672. */
  broker: string;
  /** libvirt URI the agent connects to. Default qemu:///system. */
  uri: string;
  /**
   * The URI other hosts' libvirtd use to reach this one (published as Node.uri, used as the
   * destination of a migration). Default: `uri`.
   */
  publicUri?: string;
  /** QMF instance name; default the host UUID (so the agent name survives restarts). */
  instance?: string;
  /**
   * The host's UUID (names the agent and the Node). Default: the one recorded in the state
   * file at the first start, taken from libvirt's capabilities.
   */
  hostUuid?: string;
  /**
   * The broker users of each role (viewer, operator, admin; a higher role includes the lower
   * ones). Once this or `controlUsers` is set, a user with no role gets nothing: no query is
   * answered and no method runs. Neither set: every user may do everything. The user is the
   * one RabbitMQ checked for the request (its `user_id`), so it cannot be forged.
   */
  roles?: RoleUsers;
  /** A shorthand for admins: these users are added to `roles.admin`. */
  controlUsers?: string[];
  /**
   * Method calls and queries (together) each broker user may send a second, on average; up to
   * twice as many (at least 1) at once after a quiet time. One more is refused at once.
   * 0: no limit. Default 50.
   */
  maxRequestsPerSecond: number;
  /**
   * Long jobs (save, restore, managed save, migrate, snapshot create and revert) the agent
   * runs at a time; one more is refused at once, not queued. Default 2.
   */
  maxLongJobs: number;
  /** Where the epoch (restart counter) is kept. Default /var/lib/lvq (root) or ~/.local/state/lvq. */
  stateDir: string;
  /** QMF heartbeat interval. Default 10 s. */
  heartbeatIntervalMs: number;
  /** DomainInfo statistics sweep interval (one bulk stats call per sweep). Default 10 s. */
  statsIntervalMs: number;
  /** Full resync with libvirt (catches what events cannot tell, e.g. new volumes). Default 5 min. */
  resyncIntervalMs: number;
  /** libvirt per-call timeout. Default 30 s (migration has none). */
  libvirtCallTimeoutMs: number;
  /** libvirt keepalive: PING after this much silence (default 5 s, as virsh). */
  libvirtKeepaliveIntervalMs?: number;
  /** libvirt keepalive: unanswered PINGs before the daemon is declared dead (default 6). */
  libvirtKeepaliveCount?: number;
  /** Longest wait between libvirt reconnection attempts. Default 5 s. */
  reconnectMaxDelayMs: number;
  /**
   * The balloon stats period (whole seconds) the agent sets on running QEMU domains whose
   * balloon has none, so that libvirt reports their memory statistics (cockpit does the same).
   * 0: the agent leaves every balloon alone. Default 5.
   */
  balloonStatsPeriodSeconds: number;
  /**
   * Stats samples kept per domain, one per sweep, for Domain.stats_history (56 bytes each).
   * 0: none. Default 90 (15 minutes at the default 10 s interval: ~50 MB at 10,000 domains;
   * raise it on hosts with fewer domains).
   */
  statsHistory: number;
  logLevel: LogLevel;
  /**
   * TLS for amqps:// brokers: CA file, client certificate and key, server name to verify,
   * EXTERNAL login by client certificate. Chain and name are always verified.
   */
  tls?: TlsOptions;
  /** Refuse a plain amqp:// broker URL at start. */
  requireTls?: boolean;
  /**
   * A file holding the broker password (set into every broker URL when the config is resolved,
   * so it is never on the command line).
   */
  brokerPasswordFile?: string;
}

/** Where each setting may come from, for messages. */
export type ConfigSource = "default" | "config file" | "environment" | "flag";

/** The defaults (stateDir depends on the user). */
export function defaultConfig(): AgentConfig {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const home = process.env.HOME ?? "/tmp";
  return {
    broker: DEFAULT_BROKER,
    uri: "qemu:///system",
    stateDir: root ? "/var/lib/lvq" : `${process.env.XDG_STATE_HOME ?? `${home}/.local/state`}/lvq`,
    heartbeatIntervalMs: 10_000,
    statsIntervalMs: 10_000,
    resyncIntervalMs: 300_000,
    libvirtCallTimeoutMs: 30_000,
    reconnectMaxDelayMs: 5_000,
    balloonStatsPeriodSeconds: 5,
    maxRequestsPerSecond: 50,
    maxLongJobs: 2,
    statsHistory: 90,
    logLevel: "info",
  };
}

/** The default config file: used only if it exists. */
export const DEFAULT_CONFIG_FILE = "/etc/lvq/agent.json";

/**
 * Settings as people write them: strings from flags/env, or JSON values from the file.
 * Intervals are in seconds (fractions allowed).
 */
export interface RawSettings {
  broker?: unknown;
  uri?: unknown;
  publicUri?: unknown;
  instance?: unknown;
  hostUuid?: unknown;
  roles?: unknown;
  controlUsers?: unknown;
  maxRequestsPerSecond?: unknown;
  maxLongJobs?: unknown;
  stateDir?: unknown;
  heartbeatInterval?: unknown;
  statsInterval?: unknown;
  resyncInterval?: unknown;
  libvirtTimeout?: unknown;
  balloonStatsPeriod?: unknown;
  statsHistory?: unknown;
  logLevel?: unknown;
  tlsCa?: unknown;
  tlsCert?: unknown;
  tlsKey?: unknown;
  tlsServername?: unknown;
  tlsExternalLogin?: unknown;
  requireTls?: unknown;
  brokerPasswordFile?: unknown;
}

/** The environment variable of each setting. */
export const ENV_VARS: Record<keyof RawSettings, string> = {
  broker: "LVQ_BROKER",
  uri: "LVQ_URI",
  publicUri: "LVQ_PUBLIC_URI",
  instance: "LVQ_INSTANCE",
  hostUuid: "LVQ_HOST_UUID",
  roles: "LVQ_ROLES",
  controlUsers: "LVQ_CONTROL_USERS",
  maxRequestsPerSecond: "LVQ_MAX_REQUESTS_PER_SECOND",
  maxLongJobs: "LVQ_MAX_LONG_JOBS",
  stateDir: "LVQ_STATE_DIR",
  heartbeatInterval: "LVQ_HEARTBEAT_INTERVAL",
  statsInterval: "LVQ_STATS_INTERVAL",
  resyncInterval: "LVQ_RESYNC_INTERVAL",
  libvirtTimeout: "LVQ_LIBVIRT_TIMEOUT",
  balloonStatsPeriod: "LVQ_BALLOON_STATS_PERIOD",
  statsHistory: "LVQ_STATS_HISTORY",
  logLevel: "LVQ_LOG_LEVEL",
  tlsCa: "LVQ_TLS_CA",
  tlsCert: "LVQ_TLS_CERT",
  tlsKey: "LVQ_TLS_KEY",
  tlsServername: "LVQ_TLS_SERVERNAME",
  tlsExternalLogin: "LVQ_TLS_EXTERNAL_LOGIN",
  requireTls: "LVQ_REQUIRE_TLS",
  brokerPasswordFile: "LVQ_BROKER_PASSWORD_FILE",
};

const KEYS = Object.keys(ENV_VARS) as (keyof RawSettings)[];

/** A setting that cannot be used; the message names the setting and its source. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID";
}

/** Settings from the environment (only the LVQ_* variables that are set and non-empty). */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): RawSettings {
  const out: RawSettings = {};
  for (const k of KEYS) {
    const v = env[ENV_VARS[k]];
    if (v !== undefined && v !== "") out[k] = v;
  }
  return out;
}

/**
 * The agent's config file: {@link RawSettings} keys, any JSON value (each is checked when it is
 * applied, naming the setting and "config file"); unknown keys are refused.
 */
const CONFIG_FILE: ConfigFileFormat<RawSettings> = {
  keys: Object.fromEntries(KEYS.map((k) => [k, anyValue])) as ConfigFileFormat<RawSettings>["keys"],
  refused: "unknown key",
  expected: `(known: ${KEYS.join(", ")})`,
  error: (message) => new ConfigError(message),
};

/**
 * Reads a JSON config file of {@link RawSettings} keys. A missing file is an error only when
 * `required` (an explicit --config); unknown keys are refused so a typo is noticed.
 */
function settingsFromFile(path: string, required: boolean): Promise<RawSettings> {
  return readConfigFile(path, CONFIG_FILE, required);
}

function text(v: unknown, what: string, src: ConfigSource): string {
  if (typeof v !== "string" || v.trim() === "") {
    throw new ConfigError(`${what} (${src}) must be a non-empty string`);
  }
  return v.trim();
}

/** A number of seconds of at least `min` (fractions allowed), in milliseconds. */
function seconds(v: unknown, what: string, src: ConfigSource, min: number): number {
  return Math.round(numberSetting(v, what, src, { min, unit: "seconds" }) * 1000);
}

/**
 * Checks an amqp(s):// URL, or the nodes of a cluster: a comma-separated list (flag,
 * environment) or an array of URLs (config file). Kept as one comma-separated text.
 */
function brokerUrl(v: unknown, src: ConfigSource): string {
  const s =
    Array.isArray(v) && v.length > 0 && v.every((u) => typeof u === "string")
      ? v.join(",")
      : text(v, "broker", src);
  const problem = brokerUrlProblem(s, src);
  if (problem) throw new ConfigError(problem);
  return s;
}

/** A yes/no setting: a JSON boolean, or true/false, yes/no, 1/0 (flags, environment). */
function flag(v: unknown, what: string, src: ConfigSource): boolean {
  if (typeof v === "boolean") return v;
  const s = typeof v === "string" ? v.trim().toLowerCase() : "";
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off"].includes(s)) return false;
  throw new ConfigError(`${what} (${src}) must be true or false, got ${JSON.stringify(v)}`);
}

/** The TLS settings of one layer, merged over those before it. */
function applyTls(
  tls: TlsOptions | undefined,
  raw: RawSettings,
  src: ConfigSource,
): TlsOptions | undefined {
  const out: TlsOptions = { ...tls };
  if (raw.tlsCa !== undefined) out.caFile = text(raw.tlsCa, "tlsCa", src);
  if (raw.tlsCert !== undefined) out.certFile = text(raw.tlsCert, "tlsCert", src);
  if (raw.tlsKey !== undefined) out.keyFile = text(raw.tlsKey, "tlsKey", src);
  if (raw.tlsServername !== undefined) {
    out.servername = text(raw.tlsServername, "tlsServername", src);
  }
  if (raw.tlsExternalLogin !== undefined) {
    out.externalLogin = flag(raw.tlsExternalLogin, "tlsExternalLogin", src);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Whether `s` has the shape of a libvirt URI (`driver[+transport]://…`); the daemon judges the rest. */
export function isLibvirtUri(s: string): boolean {
  return /^[a-z][a-z0-9]*(\+[a-z0-9]+)?:\/\//i.test(s);
}

function libvirtUri(v: unknown, what: string, src: ConfigSource): string {
  const s = text(v, what, src);
  if (!isLibvirtUri(s)) {
    throw new ConfigError(
      `${what} (${src}) is not a libvirt URI such as qemu:///system: ${JSON.stringify(s)}`,
    );
  }
  return s;
}

/**
 * A number of at least `min` (and at most `max`; a whole number when `integer`), from a string
 * or a JSON number; the message names its `unit` and gives the `hint`.
 */
function numberSetting(v: unknown, what: string, src: ConfigSource, opts: NumberRules): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  const { min, integer = false, max = Number.POSITIVE_INFINITY } = opts;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const kind = `${integer ? "a whole number" : "a number"}${opts.unit ? ` of ${opts.unit}` : ""}`;
    const hint = opts.hint ? ` (${opts.hint})` : "";
    throw new ConfigError(
      `${what} (${src}) must be ${kind} ≥ ${min}${hint}, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}

/** What {@link numberSetting} accepts. */
interface NumberRules {
  min: number;
  integer?: boolean;
  unit?: string;
  hint?: string;
  max?: number;
}

/** The config fields that hold a number. */
type NumberField = {
  [K in keyof AgentConfig]-?: AgentConfig[K] extends number ? K : never;
}[keyof AgentConfig];

/**
 * The numeric settings, in the order they are checked: the raw key, the config field it sets,
 * and its rules; a bare number is a duration given in seconds (at least that many), kept in ms.
 */
const NUMBER_SETTINGS: readonly [keyof RawSettings, NumberField, NumberRules | number][] = [
  [
    "maxRequestsPerSecond",
    "maxRequestsPerSecond",
    { min: 0, hint: "per broker user; 0: no limit" },
  ],
  [
    "maxLongJobs",
    "maxLongJobs",
    { min: 1, integer: true, hint: "save, restore, migrate… at a time" },
  ],
  ["heartbeatInterval", "heartbeatIntervalMs", 0.1],
  ["statsInterval", "statsIntervalMs", 0.1],
  ["resyncInterval", "resyncIntervalMs", 1],
  ["libvirtTimeout", "libvirtCallTimeoutMs", 0.1],
  [
    "balloonStatsPeriod",
    "balloonStatsPeriodSeconds",
    { min: 0, integer: true, unit: "seconds", hint: "0: leave balloons alone", max: 0x7fffffff },
  ],
  // The upper bound keeps a typo from reserving gigabytes: a day at a 1 s interval.
  [
    "statsHistory",
    "statsHistory",
    { min: 0, integer: true, unit: "samples", hint: "0: keep none", max: 86_400 },
  ],
];

/** An example of the `roles` setting, for messages and help. */
export const ROLES_EXAMPLE = '{"viewer":["ann"],"operator":["bob"],"admin":["lvq"]}';

/**
 * The `roles` setting: a JSON object (text from a flag or the environment) of role → list of
 * broker users. At least one user: roles that name nobody would refuse everyone.
 */
function roleUsers(v: unknown, src: ConfigSource): RoleUsers {
  let parsed = v;
  if (typeof v === "string") {
    try {
      parsed = JSON.parse(v);
    } catch (e) {
      throw new ConfigError(
        `roles (${src}) is not JSON such as ${ROLES_EXAMPLE}: ${(e as Error).message}`,
      );
    }
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`roles (${src}) must be an object such as ${ROLES_EXAMPLE}`);
  }
  const out: { [R in Role]?: string[] } = {};
  let count = 0;
  for (const [role, users] of Object.entries(parsed)) {
    if (!isRole(role)) {
      throw new ConfigError(
        `roles (${src}): unknown role ${JSON.stringify(role)} (the roles are ${ROLES.join(", ")})`,
      );
    }
    if (!Array.isArray(users) || users.some((u) => typeof u !== "string" || u.trim() === "")) {
      throw new ConfigError(`roles (${src}): ${role} must be a list of broker user names`);
    }
    out[role] = users.map((u: string) => u.trim());
    count += users.length;
  }
  if (count === 0) {
    throw new ConfigError(
      `roles (${src}) names no user, so every request would be refused; leave it out to let every user do everything`,
    );
  }
  return out;
}

/** Applies one layer of raw settings onto a config. */
export function applySettings(cfg: AgentConfig, raw: RawSettings, src: ConfigSource): AgentConfig {
  const out = { ...cfg };
  if (raw.broker !== undefined) out.broker = brokerUrl(raw.broker, src);
  if (raw.uri !== undefined) out.uri = libvirtUri(raw.uri, "uri", src);
  if (raw.publicUri !== undefined) out.publicUri = libvirtUri(raw.publicUri, "publicUri", src);
  if (raw.instance !== undefined) {
    const s = text(raw.instance, "instance", src);
    if (s.includes(":")) throw new ConfigError(`instance (${src}) must not contain ':'`);
    out.instance = s;
  }
  if (raw.hostUuid !== undefined) {
    const u = canonicalUuid(text(raw.hostUuid, "hostUuid", src));
    if (!u)
      throw new ConfigError(`hostUuid (${src}) is not a UUID: ${JSON.stringify(raw.hostUuid)}`);
    out.hostUuid = u;
  }
  if (raw.roles !== undefined) out.roles = roleUsers(raw.roles, src);
  if (raw.controlUsers !== undefined) {
    const v = raw.controlUsers;
    const list = Array.isArray(v) ? v : typeof v === "string" ? v.split(",") : undefined;
    if (!list || list.some((u) => typeof u !== "string")) {
      throw new ConfigError(`controlUsers (${src}) must be a list of broker user names (or "a,b")`);
    }
    const users = (list as string[]).map((u) => u.trim()).filter((u) => u !== "");
    if (users.length === 0) {
      throw new ConfigError(
        `controlUsers (${src}) is empty; leave it out to let every user call methods`,
      );
    }
    out.controlUsers = users;
  }
  if (raw.stateDir !== undefined) out.stateDir = text(raw.stateDir, "stateDir", src);
  for (const [key, field, rules] of NUMBER_SETTINGS) {
    const v = raw[key];
    if (v === undefined) continue;
    out[field] =
      typeof rules === "number" ? seconds(v, key, src, rules) : numberSetting(v, key, src, rules);
  }
  if (raw.logLevel !== undefined) {
    try {
      out.logLevel = parseLogLevel(text(raw.logLevel, "logLevel", src));
    } catch (e) {
      throw new ConfigError(`logLevel (${src}): ${(e as Error).message}`);
    }
  }
  const tls = applyTls(out.tls, raw, src);
  if (tls) out.tls = tls;
  if (raw.requireTls !== undefined) out.requireTls = flag(raw.requireTls, "requireTls", src);
  if (raw.brokerPasswordFile !== undefined) {
    out.brokerPasswordFile = text(raw.brokerPasswordFile, "brokerPasswordFile", src);
  }
  return out;
}

/**
 * The effective configuration: defaults ← config file (`configFile`, else
 * {@link DEFAULT_CONFIG_FILE} if it exists) ← environment ← flags.
 */
export async function resolveAgentConfig(opts: {
  flags?: RawSettings;
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Told about settings that work but are unsafe (a password every user may read). */
  warn?: (message: string) => void;
}): Promise<AgentConfig> {
  let cfg = defaultConfig();
  const file = opts.configFile ?? DEFAULT_CONFIG_FILE;
  const fromFile = await settingsFromFile(file, opts.configFile !== undefined);
  const warn = opts.warn ?? (() => {});
  if (typeof fromFile.broker === "string" || Array.isArray(fromFile.broker)) {
    if (hasPassword(fromFile.broker as string | string[]) && (await isWorldReadable(file))) {
      warn(worldReadableWarning(file, "a broker password"));
    }
  }
  cfg = applySettings(cfg, fromFile, "config file");
  cfg = applySettings(cfg, settingsFromEnv(opts.env ?? process.env), "environment");
  cfg = applySettings(cfg, opts.flags ?? {}, "flag");
  try {
    const access = { ...cfg, passwordFile: cfg.brokerPasswordFile };
    return { ...cfg, broker: await resolveBrokerAccess(access, ACCESS_NAMES, warn) };
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

/** How the agent's broker-access settings are named in messages: by their config keys. */
const ACCESS_NAMES: BrokerAccessNames = {
  requireTls: "requireTls",
  externalLogin: "tlsExternalLogin",
  caFile: "tlsCa: the CA file",
  certFile: "tlsCert: the client certificate",
  keyFile: "tlsKey: the client key",
  passwordFile: "brokerPasswordFile: the password file",
  broker: "broker",
};

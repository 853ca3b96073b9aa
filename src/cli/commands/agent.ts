import type { Command } from "commander";
// Only the light config module is loaded up front (help text); the agent itself (libvirt
// client, QMF sessions) is imported when the command runs, so other lvq commands start fast.
import {
  type AgentConfig,
  ConfigError,
  DEFAULT_CONFIG_FILE,
  ENV_VARS,
  type RawSettings,
  ROLES_EXAMPLE,
  resolveAgentConfig,
} from "../../agent/config.js";
import { addBrokerAccessOptions, type BrokerAccessFlags } from "../broker-options.js";
import { UsageError } from "../errors.js";

interface AgentFlags extends BrokerAccessFlags {
  requireTls?: boolean;
  broker?: string;
  uri?: string;
  publicUri?: string;
  instance?: string;
  hostUuid?: string;
  roles?: string;
  controlUsers?: string;
  maxRequestsPerSecond?: string;
  maxLongJobs?: string;
  stateDir?: string;
  heartbeatInterval?: string;
  statsInterval?: string;
  resyncInterval?: string;
  libvirtTimeout?: string;
  balloonStatsPeriod?: string;
  statsHistory?: string;
  logLevel?: string;
  config?: string;
}

/**
 * `lvq agent`: runs the managed-node agent in the foreground until SIGTERM/SIGINT.
 * Settings: flags > LVQ_* environment variables > config file (--config, else
 * /etc/lvq/agent.json if present) > defaults (local broker, qemu:///system).
 */
export function registerAgentCommand(program: Command): void {
  // lvq's root program already has --broker and --config (options of every command); the
  // agent reads them from there and only declares them itself on a program without them.
  const has = (long: string) => program.options.some((o) => o.long === long);
  const cmd = program
    .command("agent")
    .description("publish this host's libvirt (node, domains, pools, volumes) as QMF objects");
  if (!has("--broker")) {
    cmd.option(
      "--broker <url>",
      `AMQP broker URL [${ENV_VARS.broker}] (default amqp://guest:guest@127.0.0.1:5672)`,
    );
  }
  if (!has("--config")) {
    cmd.option("--config <file>", `JSON config file (default ${DEFAULT_CONFIG_FILE} if present)`);
  }
  cmd
    .option("--uri <uri>", `libvirt URI [${ENV_VARS.uri}] (default qemu:///system)`)
    .option(
      "--public-uri <uri>",
      `libvirt URI other hosts use to reach this one, published as Node.uri (migration target) [${ENV_VARS.publicUri}] (default: --uri)`,
    )
    .option(
      "--instance <name>",
      `QMF instance name, for several agents on one machine [${ENV_VARS.instance}] (default: the host UUID)`,
    )
    .option(
      "--host-uuid <uuid>",
      `this host's UUID, naming the agent and its Node [${ENV_VARS.hostUuid}] (default: libvirt's, recorded in the state dir at the first start)`,
    )
    .option(
      "--roles <json>",
      `the broker users of each role, e.g. '${ROLES_EXAMPLE}'; a user with no role gets nothing (see lvq schema --roles) [${ENV_VARS.roles}] (default: every user may do everything)`,
    )
    .option(
      "--control-users <users>",
      `broker users (comma-separated) who are admins, as if listed under admin in --roles [${ENV_VARS.controlUsers}]`,
    )
    .option(
      "--max-requests-per-second <n>",
      `method calls and queries each broker user may send a second (bursts of twice as many); more are refused; 0: no limit [${ENV_VARS.maxRequestsPerSecond}] (default 50)`,
    )
    .option(
      "--max-long-jobs <n>",
      `save, restore, managed save, migrate, snapshot create/revert run at a time; one more is refused [${ENV_VARS.maxLongJobs}] (default 2)`,
    )
    .option(
      "--state-dir <dir>",
      `where the epoch (restart counter) is kept [${ENV_VARS.stateDir}] (default /var/lib/lvq as root)`,
    )
    .option(
      "--heartbeat-interval <seconds>",
      `QMF heartbeat interval [${ENV_VARS.heartbeatInterval}] (default 10)`,
    )
    .option(
      "--stats-interval <seconds>",
      `domain statistics sweep interval [${ENV_VARS.statsInterval}] (default 10)`,
    )
    .option(
      "--resync-interval <seconds>",
      `full resync with libvirt [${ENV_VARS.resyncInterval}] (default 300)`,
    )
    .option(
      "--libvirt-timeout <seconds>",
      `libvirt per-call timeout [${ENV_VARS.libvirtTimeout}] (default 30)`,
    )
    .option(
      "--balloon-stats-period <seconds>",
      `balloon stats period set on running QEMU domains that have none, so their memory statistics are reported; 0 leaves balloons alone [${ENV_VARS.balloonStatsPeriod}] (default 5)`,
    )
    .option(
      "--stats-history <samples>",
      `stats samples kept per domain for Domain.stats_history, one per sweep; 0 keeps none [${ENV_VARS.statsHistory}] (default 90: 15 minutes at 10 s)`,
    )
    .option(
      "--log-level <level>",
      `debug, info, warn or error [${ENV_VARS.logLevel}] (default info)`,
    )
    .option(
      "--require-tls",
      `refuse a plain amqp:// broker URL: only amqps:// [${ENV_VARS.requireTls}]`,
    );
  // lvq's root program has these already (options of every command).
  addBrokerAccessOptions(cmd, program)
    .addHelpText(
      "after",
      `
Also (options of every lvq command):
  --broker <url>   AMQP broker URL [${ENV_VARS.broker}] (default amqp://guest:guest@127.0.0.1:5672)
  --config <file>  JSON config file (default ${DEFAULT_CONFIG_FILE} if present), keys:
                   broker, uri, publicUri, instance, hostUuid, roles, controlUsers,
                   maxRequestsPerSecond, maxLongJobs, stateDir, heartbeatInterval, statsInterval,
                   resyncInterval, libvirtTimeout, balloonStatsPeriod (seconds),
                   statsHistory (samples), logLevel, tlsCa, tlsCert, tlsKey, tlsServername, tlsExternalLogin, requireTls,
                   brokerPasswordFile
  --tls-ca, --tls-cert, --tls-key, --tls-servername, --tls-external-login,
  --broker-password-file   TLS and the broker password file [LVQ_TLS_CA, LVQ_TLS_CERT,
                   LVQ_TLS_KEY, LVQ_TLS_SERVERNAME, LVQ_TLS_EXTERNAL_LOGIN, LVQ_BROKER_PASSWORD_FILE]
Precedence: flags, then LVQ_* environment variables, then the config file, then defaults.
Logs are JSON lines on stderr. SIGTERM or SIGINT stops the agent cleanly.

Example:
  lvq agent --broker amqp://guest:guest@127.0.0.1:5672 --uri test:///default`,
    )
    .action(async (_local: AgentFlags, self: Command) => {
      const flags = self.optsWithGlobals<AgentFlags>();
      const raw: RawSettings = {
        broker: flags.broker,
        uri: flags.uri,
        publicUri: flags.publicUri,
        instance: flags.instance,
        hostUuid: flags.hostUuid,
        roles: flags.roles,
        controlUsers: flags.controlUsers,
        maxRequestsPerSecond: flags.maxRequestsPerSecond,
        maxLongJobs: flags.maxLongJobs,
        stateDir: flags.stateDir,
        heartbeatInterval: flags.heartbeatInterval,
        statsInterval: flags.statsInterval,
        resyncInterval: flags.resyncInterval,
        libvirtTimeout: flags.libvirtTimeout,
        balloonStatsPeriod: flags.balloonStatsPeriod,
        statsHistory: flags.statsHistory,
        logLevel: flags.logLevel,
        tlsCa: flags.tlsCa,
        tlsCert: flags.tlsCert,
        tlsKey: flags.tlsKey,
        tlsServername: flags.tlsServername,
        tlsExternalLogin: flags.tlsExternalLogin,
        requireTls: flags.requireTls,
        brokerPasswordFile: flags.brokerPasswordFile,
      };
      for (const k of Object.keys(raw) as (keyof RawSettings)[]) {
        if (raw[k] === undefined) delete raw[k];
      }
      let config: AgentConfig;
      const warnings: string[] = [];
      try {
        config = await resolveAgentConfig({
          flags: raw,
          configFile: flags.config,
          warn: (m) => warnings.push(m),
        });
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(e.message);
        throw e;
      }
      await runAgent(config, warnings);
    });
}

/** Runs the agent until a stop signal; exits non-zero if it could not start. */
async function runAgent(config: AgentConfig, warnings: readonly string[]): Promise<void> {
  // The libvirt connection is opened before the rest of the agent is loaded: the daemon reads
  // its host (seconds on a large one) while the QMF and AMQP code loads.
  const [{ createLogger }, { connectLibvirt }] = await Promise.all([
    import("../../agent/log.js"),
    import("../../agent/connect.js"),
  ]);
  const log = createLogger({ level: config.logLevel });
  for (const w of warnings) log.warn(w);
  const libvirt = connectLibvirt(config, log);
  const { LibvirtAgent } = await import("../../agent/index.js");
  let agent: import("../../agent/index.js").LibvirtAgent | undefined;
  let stopRequested = false;
  const stop = (signal: string) => {
    if (stopRequested) return;
    stopRequested = true;
    log.info("stopping", { signal });
    void (agent ? agent.stop() : Promise.resolve()).then(() => {
      process.exit(0);
    });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  try {
    agent = await LibvirtAgent.start(config, log, { libvirt });
  } catch (e) {
    log.error("agent could not start", { err: e });
    throw e;
  }
  if (stopRequested) {
    await agent.stop();
    process.exit(0);
  }
  log.info("agent running", {
    agent: agent.name,
    epoch: agent.epoch,
    uri: config.uri,
    statsIntervalS: config.statsIntervalMs / 1000,
    heartbeatIntervalS: config.heartbeatIntervalMs / 1000,
  });
  // Keep the process alive until a signal (the agent's own timers are unref'd).
  await new Promise<never>(() => {
    setInterval(() => {}, 1 << 30);
  });
}

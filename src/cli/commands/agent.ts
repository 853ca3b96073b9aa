import type { Command } from "commander";
// Only the light config module is loaded up front (help text); the agent itself (libvirt
// client, QMF sessions) is imported when the command runs, so other lvq commands start fast.
import {
  type AgentConfig,
  ConfigError,
  DEFAULT_CONFIG_FILE,
  ENV_VARS,
  type RawSettings,
  resolveAgentConfig,
} from "../../agent/config.js";
import { UsageError } from "../errors.js";

interface AgentFlags {
  broker?: string;
  uri?: string;
  publicUri?: string;
  instance?: string;
  hostUuid?: string;
  controlUsers?: string;
  stateDir?: string;
  heartbeatInterval?: string;
  statsInterval?: string;
  resyncInterval?: string;
  libvirtTimeout?: string;
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
      "--control-users <users>",
      `broker users (comma-separated) allowed to call methods that change libvirt; others may only read [${ENV_VARS.controlUsers}] (default: every user)`,
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
      "--log-level <level>",
      `debug, info, warn or error [${ENV_VARS.logLevel}] (default info)`,
    )
    .addHelpText(
      "after",
      `
Also (options of every lvq command):
  --broker <url>   AMQP broker URL [${ENV_VARS.broker}] (default amqp://guest:guest@127.0.0.1:5672)
  --config <file>  JSON config file (default ${DEFAULT_CONFIG_FILE} if present), keys:
                   broker, uri, publicUri, instance, hostUuid, controlUsers, stateDir, heartbeatInterval,
                   statsInterval, resyncInterval, libvirtTimeout (seconds), logLevel
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
        controlUsers: flags.controlUsers,
        stateDir: flags.stateDir,
        heartbeatInterval: flags.heartbeatInterval,
        statsInterval: flags.statsInterval,
        resyncInterval: flags.resyncInterval,
        libvirtTimeout: flags.libvirtTimeout,
        logLevel: flags.logLevel,
      };
      for (const k of Object.keys(raw) as (keyof RawSettings)[]) {
        if (raw[k] === undefined) delete raw[k];
      }
      let config: AgentConfig;
      try {
        config = await resolveAgentConfig({ flags: raw, configFile: flags.config });
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(e.message);
        throw e;
      }
      await runAgent(config);
    });
}

/** Runs the agent until a stop signal; exits non-zero if it could not start. */
async function runAgent(config: AgentConfig): Promise<void> {
  // The libvirt connection is opened before the rest of the agent is loaded: the daemon reads
  // its host (seconds on a large one) while the QMF and AMQP code loads.
  const [{ createLogger }, { connectLibvirt }] = await Promise.all([
    import("../../agent/log.js"),
    import("../../agent/connect.js"),
  ]);
  const log = createLogger({ level: config.logLevel });
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

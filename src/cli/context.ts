// What a broker command needs: the resolved settings and a connected fleet, closed whatever
// happens. The SDK (and with it amqplib and the QMF session) is imported only here, on first
// use, so `lvq --help`, `lvq schema` and usage errors never load it.
import type { Command } from "commander";
import type { Fleet } from "../console/index.js";
import { type GlobalOptions, resolveSettings, type Settings } from "./config.js";

/** The SDK module, loaded lazily. */
export type ConsoleModule = typeof import("../console/index.js");

let consoleModule: Promise<ConsoleModule> | undefined;

/** Loads the console SDK once. */
export function loadConsole(): Promise<ConsoleModule> {
  consoleModule ??= import("../console/index.js");
  return consoleModule;
}

/** The settings for a command, from its global options, the environment and the config file. */
export function settingsOf(cmd: Command): Promise<Settings> {
  return resolveSettings(cmd.optsWithGlobals<GlobalOptions>());
}

/** Everything a broker command's body gets. */
export interface FleetContext {
  fleet: Fleet;
  sdk: ConsoleModule;
  settings: Settings;
}

/**
 * Runs `body` with a fleet connected to the configured broker. With `requireAgents` (the
 * default) it fails with AgentUnreachableError (exit 4) when no agent answered discovery.
 */
export async function withFleet<T>(
  cmd: Command,
  body: (ctx: FleetContext) => Promise<T>,
  opts: { requireAgents?: boolean } = {},
): Promise<T> {
  const settings = await settingsOf(cmd);
  const sdk = await loadConsole();
  const discoveryEnv = Number(process.env.LVQ_DISCOVERY_MS);
  const fleet = await sdk.connectFleet({
    broker: settings.broker,
    timeoutMs: settings.timeoutMs,
    ...(discoveryEnv > 0 ? { discoveryMs: discoveryEnv } : {}),
  });
  try {
    if (opts.requireAgents !== false && fleet.agents().length === 0) {
      throw new sdk.AgentUnreachableError(
        `no agent answered on the broker (${settings.brokerSource}): is \`lvq agent\` running on the hosts?`,
      );
    }
    return await body({ fleet, sdk, settings });
  } finally {
    await fleet.close().catch(() => {});
  }
}

// What a broker command needs: the resolved settings and a connected fleet, closed whatever
// happens. The SDK (and with it amqplib and the QMF session) is imported only here, on first
// use, so `lvq --help`, `lvq schema` and usage errors never load it.
import type { Command } from "commander";
import type { Fleet } from "../console/index.js";
import { type GlobalOptions, resolveSettings, type Settings } from "./config.js";
import { errColours, safeText } from "./output.js";

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
  /**
   * Waits for discovery to end and fails with AgentUnreachableError (exit 4) when no agent
   * answered. Already done before `body` runs unless the command asked for `early`.
   */
  requireAgents(): Promise<void>;
}

/**
 * Runs `body` with a fleet connected to the configured broker. With `requireAgents` (the
 * default) it fails with AgentUnreachableError (exit 4) when no agent answered discovery.
 * With `early`, `body` starts while discovery still runs (its whole-fleet queries start on
 * each agent as it answers) and must call `ctx.requireAgents()` itself before printing.
 * An agent left out of a result is a warning on stderr; with `completeOrFail` (listings, whose
 * output would silently lack objects) it also makes the command exit 4 after printing. With
 * `announce` (whole-fleet listings) a line on a terminal's stderr says how many agents
 * answered discovery, so a missing host shows. Fewer agents than `--expect-agents` is
 * AgentUnreachableError (exit 4): before `body` when agents are required, else after it.
 */
export async function withFleet<T>(
  cmd: Command,
  body: (ctx: FleetContext) => Promise<T>,
  opts: {
    requireAgents?: boolean;
    completeOrFail?: boolean;
    early?: boolean;
    announce?: boolean;
  } = {},
): Promise<T> {
  // LVQ_TRACE=1 prints where the time goes (start-up, connect, discovery, command) on stderr.
  const trace = process.env.LVQ_TRACE
    ? (what: string) =>
        process.stderr.write(`lvq: trace ${Math.round(performance.now())} ms ${what}\n`)
    : () => {};
  trace("command start");
  const settings = await settingsOf(cmd);
  const sdk = await loadConsole();
  trace("SDK loaded");
  const fleet = await sdk.connectFleet({
    broker: settings.broker,
    ...(settings.tls ? { tls: settings.tls } : {}),
    ...(settings.agentUsers ? { agentUsers: settings.agentUsers } : {}),
    timeoutMs: settings.timeoutMs,
    ...(settings.discoveryMs !== undefined ? { discoveryMs: settings.discoveryMs } : {}),
    ...(settings.settleMs !== undefined ? { settleMs: settings.settleMs } : {}),
    ...(settings.expectAgents !== undefined ? { expectAgents: settings.expectAgents } : {}),
    awaitDiscovery: opts.early !== true,
  });
  // Fewer agents than --expect-agents: the fleet is not whole, and anything lvq would say about
  // it (a listing, or that a name is unique) could be wrong.
  const checkExpected = (): void => {
    const found = fleet.agents().length;
    if (settings.expectAgents !== undefined && found < settings.expectAgents) {
      const r = fleet.discoveryResult;
      throw new sdk.AgentUnreachableError(
        `only ${found} of the ${settings.expectAgents} expected agents answered discovery${r ? ` (waited ${r.elapsedMs} ms)` : ""}`,
      );
    }
  };
  let required = false;
  const requireAgents = async (): Promise<void> => {
    await fleet.whenDiscovered();
    required = true;
    trace(`discovery over: ${describeDiscovery(fleet)}`);
    if (fleet.agents().length === 0) {
      throw new sdk.AgentUnreachableError(
        `no agent answered on the broker (${settings.brokerSource}): is \`lvq agent\` running on the hosts?`,
      );
    }
    checkExpected();
  };
  trace("connected");
  try {
    if (opts.early !== true && opts.requireAgents !== false) await requireAgents();
    // One warning per agent that was left out of a result: the output lacks its objects.
    const warned = new Set<string>();
    const warnLeftOut = (agentName: string, why: string): void => {
      if (warned.has(agentName)) return;
      warned.add(agentName);
      process.stderr.write(`lvq: warning: ${safeText(agentName)} left out: ${why}\n`);
    };
    fleet.on("agentError", ({ agentName, error }: { agentName: string; error: Error }) =>
      warnLeftOut(agentName, safeText(error.message)),
    );
    if (opts.completeOrFail) {
      // A listing lacks the objects of an agent heard only after its queries went out.
      fleet.on("agentLate", ({ agentName }: { agentName: string }) =>
        warnLeftOut(
          agentName,
          "it answered only after the queries went out (raise --settle, or give --expect-agents)",
        ),
      );
    }
    const result = await body({ fleet, sdk, settings, requireAgents });
    trace("command done");
    if (opts.announce && process.stderr.isTTY === true) {
      process.stderr.write(`${errColours.dim(`lvq: ${describeDiscovery(fleet)}`)}\n`);
    }
    if (!required) {
      await fleet.whenDiscovered();
      checkExpected();
    }
    if (opts.completeOrFail && fleet.incompleteAgents.length) {
      throw new sdk.AgentUnreachableError(
        `the output lacks the objects of ${fleet.incompleteAgents.length} agent(s) that did not answer in time (see --timeout, --settle and --expect-agents)`,
      );
    }
    return result;
  } finally {
    // Closing waits for the broker to confirm; a broker that went away must not keep lvq
    // hanging after its work is done (the process exits right after this).
    await Promise.race([
      fleet.close().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
  }
}

/** "6 agents answered discovery in 210 ms" (how long it waited, and for how much quiet). */
function describeDiscovery(fleet: Fleet): string {
  const n = fleet.agents().length;
  const r = fleet.discoveryResult;
  const agents = `${n} agent${n === 1 ? "" : "s"} answered discovery`;
  if (!r) return agents;
  const end = r.quietMs === null ? "the time limit" : `${r.quietMs} ms without a new answer`;
  return `${agents} in ${r.elapsedMs} ms (ended after ${end})`;
}

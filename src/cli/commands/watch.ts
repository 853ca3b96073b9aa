import type { Command } from "commander";
import type { FleetChange, ManagedObject } from "../../console/index.js";
import { labelProperty } from "../../console/metadata.js";
import { type ConsoleModule, loadConsole, withFleet } from "../context.js";
import { UsageError } from "../errors.js";
import { agentsOption } from "../hosts.js";
import { colours, displayValue, toJsonText } from "../output.js";
import { cell, metaOf } from "../present.js";

type AnyObject = ManagedObject<object>;

function timeOf(ns: bigint | undefined): string {
  const ms = ns && ns > 0n ? Number(ns / 1_000_000n) : Date.now();
  return new Date(ms).toISOString().slice(11, 23);
}

/** A changed object for people: its class, its label, then its short properties. */
function describeObject(sdk: ConsoleModule, o: AnyObject): string {
  const meta = metaOf(o);
  const props = o.props as Record<string, unknown>;
  const label = labelProperty(meta);
  const fields = meta.properties
    .filter((p) => p.type !== "objId" && p.type !== "lstr" && p.name !== label)
    .map((p) => `${p.name}=${cell(sdk, props[p.name])}`)
    .join(" ");
  return `${meta.name} ${displayValue(o.label)} ${fields}`.trimEnd();
}

/** The JSON line for one change. */
function changeJson(sdk: ConsoleModule, c: FleetChange): unknown {
  if (c.kind === "event") {
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.args)) args[k] = sdk.refText(v);
    return {
      kind: "event",
      event: c.name,
      agent: c.agentName,
      host: c.host,
      severity: c.severity,
      timestamp: c.timestamp,
      args,
    };
  }
  if (c.kind === "reconnected") return c;
  return { kind: c.kind, ...c.object.toJSON() };
}

/** One change as a line of output: JSON, or time, host, what and its values for people. */
function changeLine(sdk: ConsoleModule, c: FleetChange, json: boolean): string {
  if (json) return toJsonText(changeJson(sdk, c), 0);
  if (c.kind === "event") {
    const args = Object.entries(c.args)
      .map(([k, v]) => `${k}=${cell(sdk, v)}`)
      .join(" ");
    return `${timeOf(c.timestamp)} ${displayValue(c.host)} ${colours.cyan(`event ${c.name}`)} ${args}`;
  }
  if (c.kind === "reconnected") {
    return `${timeOf(undefined)} ${colours.yellow("reconnected")} to the broker at ${displayValue(c.node)}; resynced: ${c.agents} agent(s) answering (changes made meanwhile were not seen)`;
  }
  const tag = c.kind === "deleted" ? colours.red("deleted") : colours.green("changed");
  return `${timeOf(c.object.updateTs)} ${displayValue(c.object.host)} ${tag} ${describeObject(sdk, c.object)}`;
}

/** `lvq watch [class]`: live changes and events as they arrive. */
export function registerWatchCommand(program: Command): void {
  program
    .command("watch")
    .argument("[class]", "only changes of this class (events are always shown)")
    .option("--count <n>", "stop after this many changes and events")
    .option("--for <seconds>", "stop after this many seconds")
    .option("--agent <host>", "only changes and events of this host")
    .option("--no-events", "do not show schema events (such as DomainLifecycle)")
    .description("print object changes and events as the agents publish them (Ctrl-C stops)")
    .addHelpText(
      "after",
      `
With --json each change is one JSON object per line.

Examples:
  $ lvq watch
  $ lvq watch Domain --no-events
  $ lvq --json watch DomainInfo --count 10`,
    )
    .action(
      async (
        className: string | undefined,
        opts: { count?: string; for?: string; events: boolean; agent?: string },
        cmd: Command,
      ) => {
        const count = opts.count === undefined ? undefined : Number(opts.count);
        if (count !== undefined && (!Number.isInteger(count) || count <= 0)) {
          throw new UsageError(`--count: "${opts.count}" is not a positive integer`);
        }
        const seconds = opts.for === undefined ? undefined : Number(opts.for);
        if (seconds !== undefined && (!Number.isFinite(seconds) || seconds <= 0)) {
          throw new UsageError(`--for: "${opts.for}" is not a positive number of seconds`);
        }
        const meta =
          className === undefined ? undefined : (await loadConsole()).classByName(className).meta;
        await withFleet(
          cmd,
          async ({ fleet, sdk, settings }) => {
            const agents = agentsOption(fleet, opts.agent);
            const watch = fleet.watch({
              ...(meta ? { class: meta.name } : {}),
              ...(agents ? { agents } : {}),
              events: opts.events,
            });
            const stop = (): void => watch.close();
            const timer = seconds === undefined ? undefined : setTimeout(stop, seconds * 1000);
            process.on("SIGINT", stop);
            process.on("SIGTERM", stop);
            process.stderr.write(
              `watching ${meta?.name ?? "every class"} on ${fleet.agents().length} agent(s) through the broker at ${fleet.session.brokerNode ?? "?"} (Ctrl-C stops)\n`,
            );
            let seen = 0;
            try {
              for await (const c of watch) {
                process.stdout.write(`${changeLine(sdk, c, settings.json)}\n`);
                if (count !== undefined && ++seen >= count) break;
              }
            } finally {
              clearTimeout(timer);
              process.off("SIGINT", stop);
              process.off("SIGTERM", stop);
            }
          },
          { requireAgents: false },
        );
      },
    );
}

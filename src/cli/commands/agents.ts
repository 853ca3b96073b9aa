import type { Command } from "commander";
import { withFleet } from "../context.js";
import { type Column, displayValue, printJson, printTable } from "../output.js";

/**
 * `lvq agents`: every agent on the broker with its host, libvirt state and how many objects of
 * each class people name it publishes.
 */
export function registerAgentsCommand(program: Command): void {
  program
    .command("agents")
    .description(
      "list the agents on the broker: host, libvirt connection state, heartbeat age, epoch, the broker node each is on, object counts",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ lvq agents
  $ lvq --json agents | jq '.[] | select(.libvirt_state != "connected")'`,
    )
    .action(async (_opts, cmd: Command) => {
      await withFleet(
        cmd,
        async ({ fleet, sdk, settings }) => {
          const agents = fleet.agents();
          const names = agents.map((a) => a.name);
          // Counted: the objects people name, the host itself left out (one per agent).
          const counted = sdk.namedClasses().filter((c) => c !== sdk.HOST_CLASS);
          const [nodes, counts] = await Promise.all([
            fleet.nodes(undefined, { agents: names }),
            Promise.all(counted.map((c) => fleet.countObjects(c, { agents: names }))),
          ]);
          const nodeOf = new Map(nodes.map((n) => [n.agentName, n]));
          const rows = agents.map((a) => {
            const node = nodeOf.get(a.name);
            return {
              name: a.name,
              host: a.host,
              node_hostname: node?.hostname ?? null,
              libvirt_state: node?.libvirt_state ?? attr(a.attributes, "libvirt_state"),
              heartbeat_age_ms: a.heartbeatAgeMs,
              broker_node: attr(a.attributes, "broker_node"),
              epoch: a.epoch,
              objects: Object.fromEntries(
                counted.map((c, i) => [c.meta.name, counts[i]!.get(a.name) ?? null]),
              ),
            };
          });
          if (settings.json) return printJson(rows);
          printTable(
            [
              { header: "AGENT" },
              { header: "HOST" },
              { header: "LIBVIRT" },
              { header: "HEARTBEAT", align: "right" },
              { header: "EPOCH", align: "right" },
              { header: "BROKER" },
              ...counted.map(
                (c): Column => ({ header: `${c.meta.name.toUpperCase()}S`, align: "right" }),
              ),
            ],
            rows.map((r) => [
              displayValue(r.name),
              displayValue(r.host),
              displayValue(r.libvirt_state ?? "?"),
              `${(r.heartbeat_age_ms / 1000).toFixed(1)} s`,
              String(r.epoch),
              displayValue(nodeAddress(r.broker_node)),
              ...counted.map((c) => String(r.objects[c.meta.name] ?? "?")),
            ]),
          );
        },
        { requireAgents: false, announce: true },
      );
    });
}

function attr(attrs: Record<string, unknown>, key: string): string | null {
  const v = attrs[key];
  return typeof v === "string" ? v : Buffer.isBuffer(v) ? v.toString("utf8") : null;
}

/** `host:port` of a broker node's URL (the user and scheme add nothing in a table); "?" if unknown. */
function nodeAddress(url: string | null): string {
  if (!url) return "?";
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

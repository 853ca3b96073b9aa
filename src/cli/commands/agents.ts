import type { Command } from "commander";
import { withFleet } from "../context.js";
import { displayValue, printJson, printTable } from "../output.js";

/** `lvq agents`: every agent on the broker with its host, libvirt state and object counts. */
export function registerAgentsCommand(program: Command): void {
  program
    .command("agents")
    .description(
      "list the agents on the broker: host, libvirt connection state, heartbeat age, epoch, object counts",
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
          const [nodes, domains, pools, volumes] = await Promise.all([
            fleet.nodes(undefined, { agents: names }),
            fleet.countObjects(sdk.Domain, { agents: names }),
            fleet.countObjects(sdk.Pool, { agents: names }),
            fleet.countObjects(sdk.Volume, { agents: names }),
          ]);
          const count = (counts: Map<string, number>, agent: string): number | null =>
            counts.get(agent) ?? null;
          const rows = agents.map((a) => {
            const node = nodes.find((n) => n.agentName === a.name);
            return {
              name: a.name,
              host: a.host,
              node_hostname: node?.hostname ?? null,
              libvirt_state: node?.libvirt_state ?? attr(a.attributes, "libvirt_state"),
              heartbeat_age_ms: a.heartbeatAgeMs,
              epoch: a.epoch,
              objects: {
                Domain: count(domains, a.name),
                Pool: count(pools, a.name),
                Volume: count(volumes, a.name),
              },
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
              { header: "DOMAINS", align: "right" },
              { header: "POOLS", align: "right" },
              { header: "VOLUMES", align: "right" },
            ],
            rows.map((r) => [
              displayValue(r.name),
              displayValue(r.host),
              displayValue(r.libvirt_state ?? "?"),
              `${(r.heartbeat_age_ms / 1000).toFixed(1)} s`,
              String(r.epoch),
              String(r.objects.Domain ?? "?"),
              String(r.objects.Pool ?? "?"),
              String(r.objects.Volume ?? "?"),
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

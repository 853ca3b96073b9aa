// The virsh verbs for virtual networks: net-list, net-define, net-start, net-destroy,
// net-undefine, net-autostart, net-dhcp-leases. Each is a query or a QMF method call on the
// network a reference names (a name, UUID, host/name or object id), wherever it lives.
import type { Command } from "commander";
import type { Fleet, Network } from "../../console/index.js";
import { type ConsoleModule, withFleet } from "../context.js";
import { agentsOption } from "../hosts.js";
import { displayValue, printJson, printTable } from "../output.js";
import { addAutostartCommand, addDefineCommand, printObjects, reportDone } from "../verbs.js";

const NETWORK_REF = "a network name, UUID, host/name or object id";

function findNetwork(sdk: ConsoleModule, fleet: Fleet, text: string): Promise<Network> {
  return fleet.resolve(sdk.Network, text);
}

/** The verbs that are one method without arguments, and what they print when done. */
const SIMPLE_VERBS = [
  { verb: "net-start", method: "create", done: "started", desc: "start a defined network" },
  { verb: "net-destroy", method: "destroy", done: "destroyed", desc: "stop a network" },
  {
    verb: "net-undefine",
    method: "undefine",
    done: "undefined",
    desc: "remove a network's persistent definition",
  },
];

/** A lease's expiry (seconds since the epoch) as `YYYY-MM-DD HH:MM:SS` UTC; "" for none. */
function expiryText(v: unknown): string {
  const s = typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : 0;
  return s > 0 ? new Date(s * 1000).toISOString().slice(0, 19).replace("T", " ") : "";
}

/** `lvq net-list|net-define|net-start|net-destroy|net-undefine|net-autostart|net-dhcp-leases`. */
export function registerNetworkCommands(program: Command): void {
  program
    .command("net-list")
    .option("--all", "inactive networks too")
    .option("--inactive", "only inactive networks")
    .option("--agent <host>", "only the networks of this host")
    .description("list the active virtual networks of every host")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq net-list\n  $ lvq net-list --all --agent host1\n  $ lvq --json net-list --all",
    )
    .action(async (opts: { all?: boolean; inactive?: boolean; agent?: string }, cmd: Command) => {
      await withFleet(
        cmd,
        async ({ fleet, sdk, settings }) => {
          const agents = agentsOption(fleet, opts.agent);
          const filter = opts.inactive
            ? { active: false }
            : opts.all
              ? undefined
              : { active: true };
          const nets = await fleet.objects(sdk.Network, filter, agents ? { agents } : {});
          printObjects({ sdk, settings }, sdk.Network.meta, nets);
        },
        { completeOrFail: true, announce: true },
      );
    });

  addDefineCommand(program, {
    verb: "net-define",
    noun: "network",
    description: "define a virtual network from an XML file (it is not started)",
    example: "isolated.xml",
    define: (node, xml) => node.network_define_xml({ xml_desc: xml }),
  });

  for (const v of SIMPLE_VERBS) {
    program
      .command(v.verb)
      .argument("<network>", NETWORK_REF)
      .description(v.desc)
      .addHelpText(
        "after",
        `\nExamples:\n  $ lvq ${v.verb} default\n  $ lvq ${v.verb} host1/default`,
      )
      .action(async (text: string, _opts, cmd: Command) => {
        await withFleet(cmd, async ({ fleet, sdk, settings }) => {
          const n = await findNetwork(sdk, fleet, text);
          await fleet.callMethod(n, v.method, {});
          reportDone(settings.json, n, v.verb, v.done);
        });
      });
  }

  addAutostartCommand(program, {
    verb: "net-autostart",
    noun: "network",
    ref: NETWORK_REF,
    example: "default",
    find: ({ fleet, sdk }, text) => findNetwork(sdk, fleet, text),
  });

  program
    .command("net-dhcp-leases")
    .argument("<network>", NETWORK_REF)
    .option("--mac <mac>", "only the leases of this MAC address")
    .description("list the DHCP leases a network's DHCP server handed out")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq net-dhcp-leases default\n  $ lvq --json net-dhcp-leases host1/default --mac 52:54:00:aa:bb:01",
    )
    .action(async (text: string, opts: { mac?: string }, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const n = await findNetwork(sdk, fleet, text);
        const leases = (await n.dhcp_leases(
          opts.mac === undefined ? {} : { mac: opts.mac },
        )) as Record<string, unknown>[];
        if (settings.json) {
          return printJson({ object_id: n.objectIdText, host: n.host, name: n.name, leases });
        }
        printTable(
          ["EXPIRY TIME", "MAC ADDRESS", "PROTOCOL", "IP ADDRESS", "HOSTNAME"].map((header) => ({
            header,
          })),
          leases.map((l) => [
            expiryText(l.expiry),
            displayValue(l.mac),
            displayValue(l.type),
            `${displayValue(l.ip)}/${displayValue(l.prefix)}`,
            displayValue(l.hostname),
          ]),
        );
      });
    });
}

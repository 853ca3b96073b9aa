import type { Command } from "commander";
import { withFleet } from "../context.js";
import { agentsOption } from "../hosts.js";
import { printJson } from "../output.js";
import { sortObjects, tableColumns, tableRow } from "../present.js";
import { printTable } from "../table.js";

/** `lvq pools` and `lvq vols <pool>`. */
export function registerStorageCommands(program: Command): void {
  program
    .command("pools")
    .option("--agent <host>", "only the pools of this host")
    .description("list the storage pools of every host")
    .addHelpText("after", "\nExamples:\n  $ lvq pools\n  $ lvq --json pools --agent host1")
    .action(async (opts: { agent?: string }, cmd: Command) => {
      await withFleet(
        cmd,
        async ({ fleet, sdk, settings }) => {
          const agents = agentsOption(fleet, opts.agent);
          const pools = sortObjects(await fleet.pools(undefined, agents ? { agents } : {}));
          if (settings.json) return printJson(pools);
          printTable(
            tableColumns(sdk.Pool.meta),
            pools.map((p) => tableRow(sdk, p)),
          );
        },
        { completeOrFail: true, announce: true },
      );
    });

  program
    .command("vols")
    .argument("<pool>", "a pool name, UUID, host/name or object id")
    .description("list the volumes of one storage pool")
    .addHelpText("after", "\nExamples:\n  $ lvq vols default\n  $ lvq --json vols host1/default")
    .action(async (text: string, _opts, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const pool = await fleet.resolve(sdk.Pool, text);
        const all = await fleet.volumes(undefined, { agents: [pool.agentName] });
        const vols = sortObjects(
          all.filter((v) => {
            const ref = sdk.toObjectRef(v.props.storage_pool);
            return ref !== null && ref.objectName === pool.objectId.objectName;
          }),
        );
        if (settings.json) return printJson(vols);
        printTable(
          tableColumns(sdk.Volume.meta),
          vols.map((v) => tableRow(sdk, v)),
        );
      });
    });
}

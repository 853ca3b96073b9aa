import type { Command } from "commander";
import type { Filter } from "../../console/index.js";
import { loadConsole, withFleet } from "../context.js";
import { agentsOption } from "../hosts.js";
import { printJson, printTable } from "../output.js";
import { sortObjects, stateDetails, tableColumns, tableRow } from "../present.js";
import { filterFromWords, parseWhere } from "../selection.js";

/** `lvq list <class> [prop=value …] [--where predicate] [--agent A]`. */
export function registerListCommand(program: Command): void {
  program
    .command("list")
    .argument("<class>", "a class name, e.g. Domain (`lvq schema` lists them)")
    .argument("[filters...]", "property=value equalities (a Domain's state=running works too)")
    .option(
      "--where <predicate>",
      'a QMF predicate as JSON, e.g. \'["re_match","name",["quote","^web"]]\'',
    )
    .option(
      "--agent <host>",
      "only the objects of this host (host name, agent instance or agent name)",
    )
    .description("list the objects of a class across every agent")
    .addHelpText(
      "after",
      `
Examples:
  $ lvq list Domain
  $ lvq list Domain state=running --agent host1
  $ lvq list Domain --where '["and",["re_match","name",["quote","^web"]],["ne","id",["quote","-1"]]]'
  $ lvq --json list Pool name=default`,
    )
    .action(
      async (
        className: string,
        words: string[],
        opts: { where?: string; agent?: string },
        cmd: Command,
      ) => {
        const cls = (await loadConsole()).classByName(className);
        const meta = cls.meta;
        const where = opts.where !== undefined ? await parseWhere(opts.where) : undefined;
        await withFleet(
          cmd,
          async ({ fleet, sdk, settings, requireAgents }) => {
            const eqs = filterFromWords(sdk, meta, words);
            // Without --agent the queries start while discovery still runs (see withFleet).
            if (opts.agent !== undefined) await requireAgents();
            const agents = agentsOption(fleet, opts.agent);
            const filter: Filter | undefined = Object.keys(eqs).length ? eqs : undefined;
            // A human table of a class whose state is kept in its details (a Domain's, in its
            // DomainInfo) shows that state too.
            const details = settings.json ? [] : stateDetails(sdk, meta);
            const [objects, detailObjects] = await Promise.all([
              fleet.objects(cls, filter, {
                ...(agents ? { agents } : {}),
                ...(where ? { where } : {}),
              }),
              Promise.all(
                details.map((d) => fleet.objects(d.target, undefined, agents ? { agents } : {})),
              ),
            ]);
            await requireAgents();
            sortObjects(objects);
            if (settings.json) return printJson(objects);
            const states = detailObjects.map(
              (found) =>
                new Map(found.map((o) => [o.objectIdText, (o.props as { state?: unknown }).state])),
            );
            printTable(
              tableColumns(
                meta,
                details.map(() => "state"),
              ),
              objects.map((o) => {
                const props = o.props as Record<string, unknown>;
                const shown = details.map((d, i) => {
                  const ref = sdk.toObjectRef(props[d.via.name]);
                  return String((ref && states[i]!.get(sdk.objectIdText(ref))) ?? "?");
                });
                return tableRow(sdk, o, shown);
              }),
            );
          },
          { completeOrFail: true, early: true, announce: true },
        );
      },
    );
}

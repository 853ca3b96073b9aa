import type { Command } from "commander";
import type { ManagedObject } from "../../console/index.js";
import { withFleet } from "../context.js";
import { colours, displayValue, formatKeyValues, printJson } from "../output.js";
import { metaOf, propertyPairs, resolveAny } from "../present.js";

type AnyObject = ManagedObject<object>;

/** `lvq show <ref>`: every property of one object, with its details (DomainInfo, …) followed. */
export function registerShowCommand(program: Command): void {
  program
    .command("show")
    .argument("<ref>", "a name, UUID, host/name or object id (agent/object name)")
    .option("--class <class>", "look only among objects of this class")
    .description(
      "show every property of one object, with its details (a Domain's domain_info, a Node's host_info)",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ lvq show web1
  $ lvq show host1/web1
  $ lvq show 6f1c1e9a-5b8e-4e3e-9d0c-3c5e2f1b7a10
  $ lvq show --class Pool default
  $ lvq --json show 'org.libvirt:lvq:host1/Domain:6f1c1e9a-5b8e-4e3e-9d0c-3c5e2f1b7a10'`,
    )
    .action(async (text: string, opts: { class?: string }, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const obj = await resolveAny(sdk, fleet, text, opts.class);
        const meta = metaOf(obj);
        // The details carry the object's state and statistics: show them inline.
        const related: [string, AnyObject][] = [];
        for (const { via, target } of sdk.detailReferences(meta)) {
          const ref = sdk.toObjectRef((obj.props as Record<string, unknown>)[via.name]);
          if (!ref) continue;
          try {
            related.push([via.name, await fleet.get(ref, target)]);
          } catch (err) {
            if (!sdk.isNotFound(err)) throw err;
          }
        }
        if (settings.json) {
          return printJson({
            ...obj.toJSON(),
            related: Object.fromEntries(related.map(([k, o]) => [k, o.toJSON()])),
          });
        }
        const head = `${meta.name} ${displayValue(obj.objectIdText)}`;
        process.stdout.write(`${colours.bold(head)}\n`);
        process.stdout.write(
          formatKeyValues([["host", displayValue(obj.host)], ...propertyPairs(sdk, obj)]),
        );
        for (const [name, o] of related) {
          process.stdout.write(
            `\n${colours.bold(`${name} (${o.className} ${displayValue(o.objectIdText)})`)}\n`,
          );
          process.stdout.write(formatKeyValues(propertyPairs(sdk, o)));
        }
      });
    });
}

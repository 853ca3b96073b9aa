import type { Command } from "commander";
import type { EventMeta, FieldMeta, MethodMeta } from "../../console/index.js";
import { loadConsole } from "../context.js";
import { colours, displayValue, printJson, printTable } from "../output.js";

/**
 * The second table of a listing, after a blank line: events or methods, each with its
 * arguments (as `argText` shows one) and its description.
 */
function printWithArguments(
  title: string,
  items: readonly (EventMeta | MethodMeta)[],
  argText: (a: FieldMeta) => string,
): void {
  process.stdout.write("\n");
  printTable(
    [{ header: title }, { header: "ARGUMENTS" }, { header: "DESCRIPTION" }],
    items.map((i) => [i.name, i.args.map(argText).join(", "), displayValue(i.desc ?? "")]),
  );
}

/** `lvq schema [class]`: the schema the agents publish, like qpid-tool's `schema`. */
export function registerSchemaCommand(program: Command): void {
  program
    .command("schema")
    .argument("[class]", "a class name, e.g. Domain")
    .option("--roles", "show the role each method needs (viewer, operator, admin)")
    .description("show the schema: its classes, or one class's properties and methods")
    .addHelpText(
      "after",
      `
The schema is the one this lvq was built with (schema/libvirt.xml), the same the agents publish.
With --roles: the role an agent requires of the broker user calling each method, when the agent
has roles (a viewer may also query; a higher role includes the lower ones).

Examples:
  $ lvq schema
  $ lvq schema Domain
  $ lvq --json schema Pool
  $ lvq schema --roles`,
    )
    .action(async (className: string | undefined, opts: { roles?: boolean }, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      const { SCHEMA, classByName } = await loadConsole();
      if (opts.roles) {
        const classes = className === undefined ? SCHEMA.classes : [classByName(className).meta];
        const { METHOD_ROLES } = await import("../../agent/methods.js");
        const rows = classes.flatMap((c) =>
          c.methods.map((m) => {
            const method = `${c.name}.${m.name}`;
            return [method, METHOD_ROLES.get(method) ?? "admin"];
          }),
        );
        if (json) return printJson(Object.fromEntries(rows));
        return printTable([{ header: "METHOD" }, { header: "ROLE" }], rows);
      }
      if (className === undefined) {
        if (json) return printJson(SCHEMA);
        printTable(
          [
            { header: "CLASS" },
            { header: "PROPERTIES", align: "right" },
            { header: "METHODS", align: "right" },
            { header: "DESCRIPTION" },
          ],
          SCHEMA.classes.map((c) => [
            c.name,
            String(c.properties.length),
            String(c.methods.length),
            displayValue(c.desc ?? ""),
          ]),
        );
        printWithArguments("EVENT", SCHEMA.events, (a) => a.name);
        return;
      }
      const meta = classByName(className).meta;
      if (json) return printJson(meta);
      process.stdout.write(
        `${colours.bold(`class ${meta.name}`)}${meta.desc ? `: ${meta.desc}` : ""}\n\n`,
      );
      printTable(
        [
          { header: "PROPERTY" },
          { header: "TYPE" },
          { header: "ACCESS" },
          { header: "UNIT" },
          { header: "DESCRIPTION" },
        ],
        meta.properties.map((p) => [
          p.name,
          p.references ? `${p.type} → ${p.references}` : p.type,
          p.access ?? "RO",
          p.unit ?? "",
          displayValue(p.desc ?? ""),
        ]),
      );
      printWithArguments(
        "METHOD",
        meta.methods,
        (a) => `${a.dir === "O" ? "→ " : a.dir === "IO" ? "↔ " : ""}${a.name}: ${a.type}`,
      );
    });
}

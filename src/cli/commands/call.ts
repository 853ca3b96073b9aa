import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { Fleet, ManagedObject, MethodMeta } from "../../console/index.js";
import { type ConsoleModule, withFleet } from "../context.js";
import { UsageError } from "../errors.js";
import { formatKeyValues, printJson, terminalText, withSpinner } from "../output.js";
import { cell, metaOf, resolveAny } from "../present.js";

type AnyObject = ManagedObject<object>;

/**
 * Parses `arg=value` words for a method: each value by its argument's schema type, `@file`
 * reads the file (`@@…` is a literal `@…`), references are resolved like any `<ref>`.
 * Missing and unknown arguments are usage errors naming them.
 */
export async function parseMethodArgs(
  sdk: ConsoleModule,
  fleet: Fleet,
  className: string,
  method: MethodMeta,
  words: string[],
): Promise<Record<string, unknown>> {
  const inputs = method.args.filter((a) => a.dir !== "O");
  const args: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new UsageError(`argument "${w}": expected name=value`);
    const name = w.slice(0, eq);
    let text = w.slice(eq + 1);
    const field = inputs.find((a) => a.name === name);
    if (!field) {
      const known = inputs.map((a) => a.name).join(", ") || "none";
      throw new UsageError(
        `${className}.${method.name} has no argument "${name}" (its arguments: ${known})`,
      );
    }
    if (name in args) throw new UsageError(`argument "${name}" given twice`);
    if (text.startsWith("@@")) text = text.slice(1);
    else if (text.startsWith("@")) {
      try {
        text = await readFile(text.slice(1), "utf8");
      } catch (err) {
        throw new UsageError(
          `argument "${name}": cannot read ${text.slice(1)}: ${(err as Error).message}`,
        );
      }
    }
    if (field.type === "objId") {
      const target = await resolveAny(sdk, fleet, text, field.references);
      args[name] = target.objectId;
    } else {
      args[name] = sdk.parseFieldText(field, text, `argument "${name}"`);
    }
  }
  const missing = inputs.filter((a) => !(a.name in args)).map((a) => a.name);
  if (missing.length) {
    throw new UsageError(
      `${className}.${method.name}: missing argument${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (see \`lvq schema ${className}\`)`,
    );
  }
  return args;
}

/** The method of an object's class, or a usage error listing the methods. */
export function methodOf(obj: AnyObject, name: string): MethodMeta {
  const meta = metaOf(obj);
  const m = meta.methods.find((x) => x.name === name);
  if (!m) {
    const known = meta.methods.map((x) => x.name).join(", ") || "none";
    throw new UsageError(`${meta.name} has no method "${name}" (its methods: ${known})`);
  }
  return m;
}

/** Out arguments for JSON: references as object id text. */
export function outArgsJson(
  sdk: ConsoleModule,
  out: Record<string, unknown>,
): Record<string, unknown> {
  const res: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(out)) res[k] = sdk.refText(v);
  return res;
}

/** `lvq call <ref> <method> [arg=value …]`. */
export function registerCallCommand(program: Command): void {
  program
    .command("call")
    .argument("<ref>", "the object: a name, UUID, host/name or object id")
    .argument("<method>", "a method of the object's class (see `lvq schema <class>`)")
    .argument("[args...]", "arguments as name=value; name=@file reads the value from a file")
    .option("--class <class>", "look for <ref> only among objects of this class")
    .description("call a method of one object, with arguments parsed by their schema types")
    .addHelpText(
      "after",
      `
Examples:
  $ lvq call host1/web1 suspend
  $ lvq call --class Node host1 define_domain_xml xml_desc=@web2.xml
  $ lvq call web1 migrate destination_node=host2 flags=0 new_domain_name= uri= bandwidth=0
  $ lvq --json call --class Node host1 get_free_memory`,
    )
    .action(
      async (
        text: string,
        methodName: string,
        words: string[],
        opts: { class?: string },
        cmd: Command,
      ) => {
        await withFleet(cmd, async ({ fleet, sdk, settings }) => {
          const obj = await resolveAny(sdk, fleet, text, opts.class);
          const method = methodOf(obj, methodName);
          const args = await parseMethodArgs(sdk, fleet, obj.className, method, words);
          const out = await withSpinner(`${obj.className}.${method.name} on ${obj.host}`, () =>
            fleet.callMethod(obj, method.name, args),
          );
          if (settings.json) return printJson(outArgsJson(sdk, out));
          const pairs = Object.entries(out).map(([k, v]): [string, string] => [k, cell(sdk, v)]);
          if (pairs.length === 0) process.stdout.write("done\n");
          else if (pairs.length === 1 && typeof out[pairs[0]![0]] === "string") {
            // A single text result (an XML description) prints as it is, ready for a file.
            const v = out[pairs[0]![0]] as string;
            process.stdout.write(terminalText(v.endsWith("\n") ? v : `${v}\n`));
          } else process.stdout.write(formatKeyValues(pairs));
        });
      },
    );
}

// What the virsh-named verbs share (commands/network.ts, snapshot.ts, resize.ts, domain.ts,
// storage.ts): reading a file named on the command line, saying what was done (a line for
// people, an object with --json), calls that move a guest's memory and so get a long timeout
// and a spinner, listings, and the verbs that are the same for domains and networks (define
// from XML, autostart).
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { ClassMeta, Fleet, ManagedObject, Node } from "../console/index.js";
import type { Settings } from "./config.js";
import { type FleetContext, withFleet } from "./context.js";
import { UsageError } from "./errors.js";
import { oneAgent } from "./hosts.js";
import { displayValue, printJson, printTable, withSpinner } from "./output.js";
import { sortObjects, tableColumns, tableRow } from "./present.js";

/**
 * How long a call that moves a guest's memory (managed save, a snapshot of a running guest, a
 * revert) may take: the per-request default (10 s) does not apply; an explicit --timeout does.
 */
export const LONG_CALL_MS = 600_000;

/** A method call that moves a guest's memory: the long timeout, a spinner on a terminal. */
export function longCall(
  fleet: Fleet,
  settings: Pick<Settings, "timeoutMs" | "timeoutGiven">,
  label: string,
  target: ManagedObject<object>,
  method: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const timeoutMs = settings.timeoutGiven ? settings.timeoutMs : LONG_CALL_MS;
  return withSpinner(label, () => fleet.callMethod(target, method, args, { timeoutMs }));
}

/** The text of a file named on the command line; a usage error when it cannot be read. */
export async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Says what was done to an object: `<Class> <name> <message> on <host>` for people, or with
 * --json `{object_id, host, name, action, …extra}`.
 */
export function reportDone(
  json: boolean,
  obj: ManagedObject<object>,
  action: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  if (json) {
    printJson({ object_id: obj.objectIdText, host: obj.host, name: obj.label, action, ...extra });
    return;
  }
  process.stdout.write(
    `${obj.className} ${displayValue(obj.label)} ${message} on ${displayValue(obj.host)}\n`,
  );
}

/** Prints objects of one class sorted: as JSON with --json, else as a table of its columns. */
export function printObjects(
  ctx: Pick<FleetContext, "sdk" | "settings">,
  meta: ClassMeta,
  objects: ManagedObject<object>[],
): void {
  sortObjects(objects);
  if (ctx.settings.json) {
    printJson(objects);
    return;
  }
  printTable(
    tableColumns(meta),
    objects.map((o) => tableRow(ctx.sdk, o)),
  );
}

/**
 * `lvq define` / `lvq net-define`: defines an object from an XML file on the one host `--host`
 * names (or the only host), and prints it (`<Class> <name> defined on <host> (<id>)`).
 */
export function addDefineCommand(
  program: Command,
  spec: {
    verb: string;
    /** What the file holds, for the help: "domain", "network". */
    noun: string;
    description: string;
    /** The example file name. */
    example: string;
    define: (node: Node, xml: string) => Promise<ManagedObject<object> & { name: string }>;
  },
): void {
  const { verb, noun, example } = spec;
  program
    .command(verb)
    .argument("<file>", `a libvirt ${noun} XML file`)
    .option("--host <host>", "the host to define it on (needed when several hosts answer)")
    .description(spec.description)
    .addHelpText(
      "after",
      `\nExamples:\n  $ lvq ${verb} ${example} --host host1\n  $ lvq --json ${verb} ${example} --host host1`,
    )
    .action(async (file: string, opts: { host?: string }, cmd: Command) => {
      const xml = await readTextFile(file);
      await withFleet(cmd, async ({ fleet, settings }) => {
        const node = await fleet.nodeOf(oneAgent(fleet, opts.host, verb));
        const o = await spec.define(node, xml);
        if (settings.json) return printJson(o.toJSON());
        process.stdout.write(
          `${o.className} ${displayValue(o.name)} defined on ${displayValue(o.host)} (${displayValue(o.objectIdText)})\n`,
        );
      });
    });
}

/**
 * `lvq autostart` / `lvq net-autostart`: whether libvirt starts the object a reference names
 * when its host boots (`--disable`: not).
 */
export function addAutostartCommand(
  program: Command,
  spec: {
    verb: string;
    /** What the reference names, for the help: "domain", "network". */
    noun: string;
    /** The help of the reference argument. */
    ref: string;
    /** The example name. */
    example: string;
    find: (
      ctx: FleetContext,
      text: string,
    ) => Promise<
      ManagedObject<object> & { set_autostart(args: { autostart: boolean }): Promise<void> }
    >;
  },
): void {
  const { verb, noun, example } = spec;
  program
    .command(verb)
    .argument(`<${noun}>`, spec.ref)
    .option("--disable", "do not start it when the host boots")
    .description(`start a ${noun} when its host boots (or, with --disable, not)`)
    .addHelpText(
      "after",
      `\nExamples:\n  $ lvq ${verb} ${example}\n  $ lvq ${verb} host1/${example} --disable`,
    )
    .action(async (text: string, opts: { disable?: boolean }, cmd: Command) => {
      await withFleet(cmd, async (ctx) => {
        const o = await spec.find(ctx, text);
        const autostart = opts.disable !== true;
        await o.set_autostart({ autostart });
        const done = autostart ? "marked as autostarted" : "unmarked as autostarted";
        reportDone(ctx.settings.json, o, verb, done, { autostart });
      });
    });
}

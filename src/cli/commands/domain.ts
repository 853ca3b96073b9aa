// The virsh-like verbs for daily work on domains. Each one is a QMF method call on the object
// the reference names, wherever in the fleet it lives; the simple verbs also act on every
// domain a selection picks (see ../batch.ts).
import { open } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_CONCURRENCY } from "../../console/for-each.js";
import type { Domain, Fleet } from "../../console/index.js";
import { runBatch, type Selection } from "../batch.js";
import { parsePositive } from "../config.js";
import { type ConsoleModule, type FleetContext, loadConsole, withFleet } from "../context.js";
import { UsageError } from "../errors.js";
import { oneAgent } from "../hosts.js";
import { displayValue, printJson, terminalText, withSpinner } from "../output.js";
import { filterFromWords, isFilterWord, parseWhere } from "../selection.js";
import { addDefineCommand, reportDone } from "../verbs.js";

/**
 * How long save, restore and migrate may take: they move a guest's whole memory, so the
 * per-request default (10 s) does not apply; an explicit --timeout does.
 */
const LONG_CALL_MS = 600_000;

/**
 * A call that moves a guest's memory (save, restore, migrate): the long timeout unless
 * --timeout was given, and a spinner with the elapsed time on a terminal.
 */
function longCall(
  fleet: Fleet,
  settings: { timeoutMs: number; timeoutGiven: boolean },
  label: string,
  d: Domain,
  method: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const timeoutMs = settings.timeoutGiven ? settings.timeoutMs : LONG_CALL_MS;
  return withSpinner(label, () => fleet.callMethod(d, method, args, { timeoutMs }));
}

/** The verbs that are one method without arguments, and what they print when done. */
const SIMPLE_VERBS: { verb: string; method: string; done: string; desc: string }[] = [
  { verb: "start", method: "create", done: "started", desc: "start a defined domain" },
  {
    verb: "shutdown",
    method: "shutdown",
    done: "is being shut down",
    desc: "ask a domain's guest to shut down",
  },
  {
    verb: "reboot",
    method: "reboot",
    done: "is being rebooted",
    desc: "ask a domain's guest to reboot",
  },
  {
    verb: "destroy",
    method: "destroy",
    done: "destroyed",
    desc: "stop a domain at once (like pulling the plug)",
  },
  { verb: "suspend", method: "suspend", done: "suspended", desc: "pause a running domain" },
  { verb: "resume", method: "resume", done: "resumed", desc: "resume a paused domain" },
  { verb: "undefine", method: "undefine", done: "undefined", desc: "remove a domain's definition" },
];

function findDomain(sdk: ConsoleModule, fleet: Fleet, text: string): Promise<Domain> {
  return fleet.resolve(sdk.Domain, text);
}

/** The words of the two verbs that move a domain's memory to or from a file on its host. */
const FILE_VERBS = {
  save: { doing: "saving", done: "saved", where: "to" },
  restore: { doing: "restoring", done: "restored", where: "from" },
} as const;

/** `save` / `restore`: the call with the file (long, with a spinner), then what was done. */
async function fileCall(
  ctx: Pick<FleetContext, "fleet" | "settings">,
  d: Domain,
  verb: keyof typeof FILE_VERBS,
  path: string,
): Promise<void> {
  const { doing, done, where } = FILE_VERBS[verb];
  const label = `${doing} ${displayValue(d.name)} ${where} ${displayValue(path)}`;
  await longCall(ctx.fleet, ctx.settings, label, d, verb, { filename: path });
  reportDone(ctx.settings.json, d, verb, `${done} ${where} ${displayValue(path)}`);
}

/** Reads the domain UUID recorded in a save image (QEMU and test driver images carry the XML). */
async function uuidInSaveImage(path: string): Promise<string | undefined> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const m = /<uuid>\s*([0-9a-fA-F-]{36})\s*<\/uuid>/.exec(
      buf.subarray(0, bytesRead).toString("latin1"),
    );
    return m?.[1]?.toLowerCase();
  } finally {
    await fh.close();
  }
}

/** The options of a verb that acts on one domain or on a selection of many. */
interface VerbOptions {
  where?: string;
  host?: string;
  agent?: string;
  all?: boolean;
  yes?: boolean;
  parallel: number;
}

/** What a verb's words and options mean: one domain by reference, or a selection. */
type VerbTarget = { ref: string } | { selection: Selection };

/**
 * Reads a verb's words: one word that is not a `prop=value` filter, with no selection
 * option, is a reference to one domain (as ever); anything else is a selection, parsed as
 * `lvq list` parses its filters.
 */
async function verbTarget(verb: string, words: string[], opts: VerbOptions): Promise<VerbTarget> {
  if (opts.host !== undefined && opts.agent !== undefined && opts.host !== opts.agent) {
    throw new UsageError(`${verb}: --host and --agent name different hosts; give one`);
  }
  const host = opts.host ?? opts.agent;
  const selecting = opts.all === true || opts.where !== undefined || host !== undefined;
  const sdk = await loadConsole();
  const meta = sdk.Domain.meta;
  if (!selecting && words.length === 1 && !isFilterWord(sdk, meta, words[0]!)) {
    return { ref: words[0]! };
  }
  if (words.length === 0 && opts.all !== true && opts.where === undefined) {
    throw new UsageError(
      host === undefined
        ? `${verb}: name a domain, or select domains with prop=value filters, --where or --all`
        : `${verb}: --host only narrows a selection: add prop=value filters, --where, or --all for every domain of ${host}`,
    );
  }
  for (const w of words) {
    if (!w.includes("=")) {
      throw new UsageError(
        `${verb}: "${w}" is not a property=value filter (a single domain is named alone, as host/name to pick its host)`,
      );
    }
  }
  const eqs = filterFromWords(sdk, meta, words);
  const where = opts.where !== undefined ? await parseWhere(opts.where) : undefined;
  const text = [
    ...words,
    ...(opts.where !== undefined ? [`--where '${opts.where}'`] : []),
    ...(host !== undefined ? [`--host ${host}`] : []),
    ...(opts.all === true ? ["--all"] : []),
  ].join(" ");
  return {
    selection: { filter: Object.keys(eqs).length ? eqs : undefined, where, host, text },
  };
}

/** `--parallel`'s value: a positive integer. */
function parallelOption(v: string): number {
  const n = parsePositive(v, true);
  if (n === undefined) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

/** `lvq start|shutdown|reboot|destroy|suspend|resume|undefine|define|save|restore|dumpxml|migrate`. */
export function registerDomainCommands(program: Command): void {
  for (const v of SIMPLE_VERBS) {
    program
      .command(v.verb)
      .argument(
        "[domain|filters...]",
        "a domain name, UUID, host/name or object id; or property=value filters selecting several (as `lvq list Domain` takes)",
      )
      .option("--where <predicate>", "select the domains a QMF predicate (JSON) matches")
      .option("--host <host>", "select only the domains of this host")
      .addOption(
        new Option("--agent <host>", "the same as --host (as `lvq list` names it)").hideHelp(),
      )
      .option("--all", "select every domain (of --host, when given)")
      .option("-y, --yes", "act on more than one domain without asking")
      .addOption(
        new Option("--parallel <n>", "how many calls run at once")
          .argParser(parallelOption)
          .default(DEFAULT_CONCURRENCY),
      )
      .description(`${v.desc} (or each domain a selection picks)`)
      .addHelpText(
        "after",
        `
A selection acts on many domains at once: the calls run --parallel at a time, with a progress
bar on a terminal, and lvq prints one line per domain (sorted by host, then name): ok, or
libvirt's error. It exits 1 when any of them failed, 3 when the selection picks nothing. More
than one domain asks for confirmation on a terminal; without one, --yes is required.
--json prints [{host, name, uuid, ok, error?: {code, message}}] (code: libvirt's error number,
or the name of the condition, such as CONNECTION_LOST).

Examples:
  $ lvq ${v.verb} web1
  $ lvq ${v.verb} host1/web1
  $ lvq ${v.verb} state=running --host host1
  $ lvq ${v.verb} --where '["re_match","name",["quote","^web-"]]' --yes
  $ lvq --json ${v.verb} --all --host host1 --yes --parallel 32`,
      )
      .action(async (words: string[], opts: VerbOptions, cmd: Command) => {
        const target = await verbTarget(v.verb, words, opts);
        if ("selection" in target) {
          const batch = { yes: opts.yes === true, parallel: opts.parallel };
          await withFleet(cmd, (ctx) => runBatch(ctx, v.verb, v.method, target.selection, batch));
          return;
        }
        await withFleet(cmd, async ({ fleet, sdk, settings }) => {
          const d = await findDomain(sdk, fleet, target.ref);
          await fleet.callMethod(d, v.method, {});
          reportDone(settings.json, d, v.verb, v.done);
        });
      });
  }

  addDefineCommand(program, {
    verb: "define",
    noun: "domain",
    description: "define a domain from an XML file (it is not started)",
    example: "web2.xml",
    define: (node, xml) => node.define_domain_xml({ xml_desc: xml }),
  });

  program
    .command("save")
    .argument("<domain>", "a domain name, UUID, host/name or object id")
    .argument("<file>", "where to save it, a path on the domain's host (made absolute)")
    .description("save a running domain's memory to a file on its host; the domain stops")
    .addHelpText("after", "\nExamples:\n  $ lvq save web1 /var/lib/libvirt/save/web1.save")
    .action(async (text: string, file: string, _opts, cmd: Command) => {
      const path = resolvePath(file);
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await findDomain(sdk, fleet, text);
        await fileCall({ fleet, settings }, d, "save", path);
      });
    });

  program
    .command("restore")
    .argument("<file>", "a file written by `lvq save`, a path on the host")
    .option("--host <host>", "the host the file is on (needed when several hosts answer)")
    .option("--domain <domain>", "the saved domain, when the file cannot be read here")
    .description("restore a domain saved with `lvq save`")
    .addHelpText(
      "after",
      `
The domain is found by the UUID inside the save image (read here), or given with --domain.

Examples:
  $ lvq restore /var/lib/libvirt/save/web1.save --host host1
  $ lvq restore /srv/save/web1.save --host host1 --domain web1`,
    )
    .action(async (file: string, opts: { host?: string; domain?: string }, cmd: Command) => {
      const path = resolvePath(file);
      let uuid: string | undefined;
      if (opts.domain === undefined) {
        try {
          uuid = await uuidInSaveImage(path);
        } catch (err) {
          throw new UsageError(
            `cannot read ${path} here (${(err as Error).message}): name the domain with --domain`,
          );
        }
        if (!uuid)
          throw new UsageError(`${path} holds no domain UUID: name the domain with --domain`);
      }
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const agent = oneAgent(fleet, opts.host, "restore");
        // The image names its domain by UUID: look for it on the host the file is on.
        const d = opts.domain
          ? await findDomain(sdk, fleet, opts.domain)
          : (await fleet.find(sdk.Domain, `${agent}/${uuid}`))[0];
        if (!d) {
          const what = `no domain with UUID ${uuid} (from ${path}) on ${agent}`;
          throw new sdk.NotFoundError(what, "Domain", `${agent}/${uuid}`);
        }
        await fileCall({ fleet, settings }, d, "restore", path);
      });
    });

  program
    .command("dumpxml")
    .argument("<domain>", "a domain name, UUID, host/name or object id")
    .description("print a domain's XML description")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq dumpxml web1 > web1.xml\n  $ lvq --json dumpxml host1/web1",
    )
    .action(async (text: string, _opts, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await findDomain(sdk, fleet, text);
        const xml = await d.xml_desc();
        if (settings.json)
          return printJson({ object_id: d.objectIdText, host: d.host, name: d.name, xml });
        process.stdout.write(terminalText(xml.endsWith("\n") ? xml : `${xml}\n`));
      });
    });

  program
    .command("migrate")
    .argument("<domain>", "a domain name, UUID, host/name or object id")
    .argument("<host>", "the destination host")
    .option("--flags <n>", "virDomainMigrateFlags (0 = live; peer-to-peer is always added)", "0")
    .option("--bandwidth <MiBps>", "bandwidth limit (0 = none)", "0")
    .option("--new-name <name>", "rename the domain on the destination", "")
    .option(
      "--uri <uri>",
      "destination libvirt URI as the source host sees it (default: the destination Node's uri)",
      "",
    )
    .description("migrate a domain to another host")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq migrate web1 host2\n  $ lvq migrate host1/web1 host2 --bandwidth 100",
    )
    .action(
      async (
        text: string,
        host: string,
        opts: { flags: string; bandwidth: string; newName: string; uri: string },
        cmd: Command,
      ) => {
        await withFleet(cmd, async ({ fleet, sdk, settings }) => {
          const d = await findDomain(sdk, fleet, text);
          const destAgent = oneAgent(fleet, host, "migrate");
          if (destAgent === d.agentName) {
            throw new UsageError(`${displayValue(d.name)} is already on ${displayValue(host)}`);
          }
          const dest = await fleet.nodeOf(destAgent);
          const migrate = sdk.Domain.meta.methods.find((m) => m.name === "migrate")!;
          const field = (n: string) => migrate.args.find((a) => a.name === n)!;
          const args = {
            destination_node: dest.objectId,
            flags: sdk.parseFieldText(field("flags"), opts.flags, "--flags"),
            bandwidth: sdk.parseFieldText(field("bandwidth"), opts.bandwidth, "--bandwidth"),
            new_domain_name: sdk.parseFieldText(
              field("new_domain_name"),
              opts.newName,
              "--new-name",
            ),
            uri: sdk.parseFieldText(field("uri"), opts.uri, "--uri"),
          };
          const label = `migrating ${displayValue(d.name)} to ${displayValue(dest.host)}`;
          const out = await longCall(fleet, settings, label, d, "migrate", args);
          const ref = sdk.toObjectRef(out.domain);
          const newId = ref ? sdk.objectIdText(ref) : null;
          if (settings.json) {
            return printJson({
              object_id: newId,
              host: dest.host,
              name: opts.newName || d.name,
              action: "migrate",
              from: d.objectIdText,
            });
          }
          process.stdout.write(
            `Domain ${displayValue(d.name)} migrated to ${displayValue(dest.host)}${newId ? ` (${displayValue(newId)})` : ""}\n`,
          );
        });
      },
    );
}

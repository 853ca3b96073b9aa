// The virsh verbs for a domain's settings and guest facts: setvcpus, setmem, autostart,
// domifaddr and managedsave. Each is a QMF method call on the domain a reference names; the
// flags keep virsh's names (--live, --config, --current) and libvirt's meaning.
import { type Command, Option } from "commander";
import type { Domain } from "../../console/index.js";
import { CONFIG_FLAG } from "../command-table.js";
import { withFleet } from "../context.js";
import { UsageError } from "../errors.js";
import { displayValue, printJson, printTable } from "../output.js";
import { addAutostartCommand, longCall, reportDone } from "../verbs.js";

const DOMAIN_REF = "a domain name, UUID, host/name or object id";

/** --live / --config / --current as the `flags` argument: "live,config", or "" for current. */
function impactFlags(opts: { live?: boolean; configFlag?: boolean; current?: boolean }): string {
  const words = [opts.live && "live", opts.configFlag && "config"].filter((w): w is string => !!w);
  if (opts.current && words.length > 0) {
    throw new UsageError("--current cannot be given with --live or --config");
  }
  return words.join(",");
}

/** Adds virsh's --live, --config and --current to a command. */
function withImpact(cmd: Command): Command {
  return (
    cmd
      .option("--live", "change the running domain")
      // Shown in the help as virsh spells it; parsed as CONFIG_FLAG.
      .option("--config", "change the persistent definition (from the next start)")
      .addOption(new Option(CONFIG_FLAG).hideHelp())
      .option("--current", "change the running domain if it runs, else its definition (default)")
  );
}

const SCALE: Record<string, bigint> = {
  b: 1n,
  k: 1024n,
  kib: 1024n,
  kb: 1000n,
  m: 1024n ** 2n,
  mib: 1024n ** 2n,
  mb: 1000n ** 2n,
  g: 1024n ** 3n,
  gib: 1024n ** 3n,
  gb: 1000n ** 3n,
  t: 1024n ** 4n,
  tib: 1024n ** 4n,
  tb: 1000n ** 4n,
};

/**
 * A memory size as virsh reads one: an integer with an optional unit (b, k/KiB, KB, M/MiB, MB,
 * G/GiB, GB, T/TiB, TB; none means KiB), in KiB, rounded up.
 */
export function parseKiB(text: string): bigint {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const scale = m ? (m[2] === "" ? 1024n : SCALE[m[2]!.toLowerCase()]) : undefined;
  if (!m || scale === undefined) {
    throw new UsageError(
      `size "${text}": expected an integer with an optional unit (KiB by default; b, K, M, G, T, KB, MB, GB, TB)`,
    );
  }
  return (BigInt(m[1]!) * scale + 1023n) / 1024n;
}

/** The `flags` words for people: "(live, config)", "(current)". */
const impactText = (flags: string) => `(${flags === "" ? "current" : flags.replace(",", ", ")})`;

/**
 * A verb that sets one value of a domain, as a change to the running domain, its persistent
 * definition or both (--live, --config, --current): the value is parsed before connecting,
 * and reported (with --json under `key`, with the flags).
 */
function addSettingCommand<V>(
  program: Command,
  spec: {
    verb: string;
    argument: [name: string, description: string];
    description: string;
    examples: string[];
    key: string;
    parse: (text: string) => V;
    set: (d: Domain, value: V, flags: string) => Promise<void>;
    done: (value: V) => string;
  },
): void {
  const { verb, key } = spec;
  withImpact(
    program
      .command(verb)
      .argument("<domain>", DOMAIN_REF)
      .argument(...spec.argument),
  )
    .description(spec.description)
    .addHelpText(
      "after",
      `\nExamples:\n${spec.examples.map((e) => `  $ lvq ${verb} ${e}`).join("\n")}`,
    )
    .action(async (text: string, given: string, opts: Record<string, boolean>, cmd: Command) => {
      const value = spec.parse(given);
      const flags = impactFlags(opts);
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        await spec.set(d, value, flags);
        const done = `${spec.done(value)} ${impactText(flags)}`;
        reportDone(settings.json, d, verb, done, { [key]: value, flags });
      });
    });
}

/** `lvq setvcpus|setmem|autostart|domifaddr|managedsave`. */
export function registerResizeCommands(program: Command): void {
  addSettingCommand(program, {
    verb: "setvcpus",
    argument: ["<count>", "the number of virtual CPUs"],
    description: "set the number of virtual CPUs of a domain",
    examples: ["web1 4 --live --config", "host1/web1 2"],
    key: "count",
    parse: (count) => {
      if (!/^\d+$/.test(count) || Number(count) > 0xffffffff) {
        throw new UsageError(`count "${count}": expected a whole number of vCPUs`);
      }
      return Number(count);
    },
    set: (d, count, flags) => d.set_vcpus({ count, flags }),
    done: (count) => `set to ${count} vCPUs`,
  });

  addSettingCommand(program, {
    verb: "setmem",
    argument: ["<size>", "the memory size (KiB, or with a unit: 512M, 2G)"],
    description: "set the memory a domain's guest may use (its balloon while it runs)",
    examples: ["web1 1G --live", "host1/web1 524288 --config"],
    key: "memory",
    parse: parseKiB,
    set: (d, memory, flags) => d.set_memory({ memory, flags }),
    done: (memory) => `memory set to ${memory} KiB`,
  });

  addAutostartCommand(program, {
    verb: "autostart",
    noun: "domain",
    ref: DOMAIN_REF,
    example: "web1",
    find: ({ fleet, sdk }, text) => fleet.resolve(sdk.Domain, text),
  });

  program
    .command("domifaddr")
    .argument("<domain>", DOMAIN_REF)
    .option(
      "--source <source>",
      "lease (libvirt's DHCP leases), agent (the guest agent) or arp",
      "lease",
    )
    .description("list a running domain's network interfaces and their IP addresses")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq domifaddr web1\n  $ lvq --json domifaddr host1/web1 --source agent",
    )
    .action(async (text: string, opts: { source: string }, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        const ifaces = (await d.interface_addresses({ source: opts.source })) as {
          name: string;
          hwaddr: string;
          addrs: { type: string; addr: string; prefix: number }[];
        }[];
        if (settings.json) {
          return printJson({
            object_id: d.objectIdText,
            host: d.host,
            name: d.name,
            interfaces: ifaces,
          });
        }
        // As virsh: one row per address, the interface named on its first.
        const rows = ifaces.flatMap((i) =>
          (i.addrs.length > 0 ? i.addrs : [undefined]).map((a, n) => [
            n === 0 ? displayValue(i.name) : "-",
            n === 0 ? displayValue(i.hwaddr) : "-",
            a ? displayValue(a.type) : "N/A",
            a ? `${displayValue(a.addr)}/${a.prefix}` : "N/A",
          ]),
        );
        printTable(
          ["NAME", "MAC ADDRESS", "PROTOCOL", "ADDRESS"].map((header) => ({ header })),
          rows,
        );
      });
    });

  program
    .command("managedsave")
    .argument("<domain>", DOMAIN_REF)
    .description(
      "save a running domain's memory where libvirt keeps it and stop it; its next start resumes",
    )
    .addHelpText("after", "\nExamples:\n  $ lvq managedsave web1\n  $ lvq managedsave host1/web1")
    .action(async (text: string, _opts, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        await longCall(fleet, settings, `saving ${displayValue(d.name)}`, d, "managed_save", {});
        reportDone(settings.json, d, "managedsave", "state saved by libvirt");
      });
    });
}

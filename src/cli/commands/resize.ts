// The virsh verbs for a domain's settings and guest facts: setvcpus, setmem, autostart,
// domifaddr and managedsave. Each is a QMF method call on the domain a reference names; the
// flags keep virsh's names (--live, --config, --current) and libvirt's meaning.
import { type Command, Option } from "commander";
import type { Domain } from "../../console/index.js";
import { CONFIG_FLAG } from "../command-table.js";
import { withFleet } from "../context.js";
import { UsageError } from "../errors.js";
import { displayValue, printJson } from "../output.js";
import { printTable } from "../table.js";
import { longCall, reportDone } from "../verbs.js";

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

/** `lvq setvcpus|setmem|autostart|domifaddr|managedsave`. */
export function registerResizeCommands(program: Command): void {
  withImpact(
    program
      .command("setvcpus")
      .argument("<domain>", DOMAIN_REF)
      .argument("<count>", "the number of virtual CPUs"),
  )
    .description("set the number of virtual CPUs of a domain")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq setvcpus web1 4 --live --config\n  $ lvq setvcpus host1/web1 2",
    )
    .action(async (text: string, count: string, opts: Record<string, boolean>, cmd: Command) => {
      if (!/^\d+$/.test(count) || Number(count) > 0xffffffff) {
        throw new UsageError(`count "${count}": expected a whole number of vCPUs`);
      }
      const flags = impactFlags(opts);
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d: Domain = await fleet.resolve(sdk.Domain, text);
        await d.set_vcpus({ count: Number(count), flags });
        const done = `set to ${count} vCPUs ${impactText(flags)}`;
        reportDone(settings.json, d, "setvcpus", done, { count: Number(count), flags });
      });
    });

  withImpact(
    program
      .command("setmem")
      .argument("<domain>", DOMAIN_REF)
      .argument("<size>", "the memory size (KiB, or with a unit: 512M, 2G)"),
  )
    .description("set the memory a domain's guest may use (its balloon while it runs)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq setmem web1 1G --live\n  $ lvq setmem host1/web1 524288 --config",
    )
    .action(async (text: string, size: string, opts: Record<string, boolean>, cmd: Command) => {
      const memory = parseKiB(size);
      const flags = impactFlags(opts);
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        await d.set_memory({ memory, flags });
        const done = `memory set to ${memory} KiB ${impactText(flags)}`;
        reportDone(settings.json, d, "setmem", done, { memory, flags });
      });
    });

  program
    .command("autostart")
    .argument("<domain>", DOMAIN_REF)
    .option("--disable", "do not start it when the host boots")
    .description("start a domain when its host boots (or, with --disable, not)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq autostart web1\n  $ lvq autostart host1/web1 --disable",
    )
    .action(async (text: string, opts: { disable?: boolean }, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        const autostart = opts.disable !== true;
        await d.set_autostart({ autostart });
        const done = autostart ? "marked as autostarted" : "unmarked as autostarted";
        reportDone(settings.json, d, "autostart", done, { autostart });
      });
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

// The virsh verbs for domain snapshots: snapshot-create, snapshot-list, snapshot-revert,
// snapshot-delete. A snapshot is named by its domain (a fleet reference) and its name, as in
// virsh; the calls are QMF methods of the Domain and Snapshot objects the agent publishes.
import type { Command } from "commander";
import type { Domain, Fleet, Snapshot } from "../../console/index.js";
import { DomainSnapshotCreateFlags } from "../../libvirt/constants.js";
import { type ConsoleModule, withFleet } from "../context.js";
import { displayValue, printJson, printTable } from "../output.js";
import { sortObjects, tableColumns, tableRow } from "../present.js";
import { longCall, readTextFile, reportDone } from "../verbs.js";

const DOMAIN_REF = "a domain name, UUID, host/name or object id";

/** The snapshot-create options, as virsh names them, and their virDomainSnapshotCreateFlags. */
const CREATE_FLAGS = [
  ["halt", "stop the domain once the snapshot is taken", DomainSnapshotCreateFlags.HALT],
  ["disk-only", "the disks only, not the memory", DomainSnapshotCreateFlags.DISK_ONLY],
  ["live", "take it while the guest keeps running", DomainSnapshotCreateFlags.LIVE],
  ["atomic", "all disks or none", DomainSnapshotCreateFlags.ATOMIC],
  [
    "quiesce",
    "quiesce the guest's file systems first (guest agent)",
    DomainSnapshotCreateFlags.QUIESCE,
  ],
  ["validate", "validate the XML against libvirt's schema", DomainSnapshotCreateFlags.VALIDATE],
] as const;

/** `--disk-only` → `diskOnly`, as commander names the option's value. */
const camel = (flag: string): string =>
  flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The snapshots of one domain (the agent publishes them with a reference to it). */
async function snapshotsOf(
  sdk: ConsoleModule,
  fleet: Fleet,
  d: Domain,
  filter?: Record<string, unknown>,
): Promise<Snapshot[]> {
  const all = await fleet.objects(sdk.Snapshot, filter, { agents: [d.agentName] });
  return all.filter((s) => sdk.toObjectRef(s.props.domain)?.objectName === d.objectId.objectName);
}

/** The snapshot `name` of domain `d`; NotFoundError (exit 3) when it has none of that name. */
async function findSnapshot(sdk: ConsoleModule, fleet: Fleet, d: Domain, name: string) {
  const [s] = await snapshotsOf(sdk, fleet, d, { name });
  if (!s) {
    throw new sdk.NotFoundError(
      `domain ${d.name} on ${d.host} has no snapshot "${name}"`,
      "Snapshot",
      name,
    );
  }
  return s;
}

/** A snapshot's creation time for people (UTC, to the second). */
function timeText(ns: unknown): string {
  return typeof ns === "bigint" && ns > 0n
    ? new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19).replace("T", " ")
    : "";
}

/** `lvq snapshot-create|snapshot-list|snapshot-revert|snapshot-delete`. */
export function registerSnapshotCommands(program: Command): void {
  const create = program
    .command("snapshot-create")
    .argument("<domain>", DOMAIN_REF)
    .option("--xmlfile <file>", "the snapshot's XML description (default: libvirt names it)");
  for (const [flag, desc] of CREATE_FLAGS) create.option(`--${flag}`, desc);
  create
    .description("take a snapshot of a domain")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq snapshot-create web1\n  $ lvq snapshot-create host1/web1 --xmlfile before-upgrade.xml --halt",
    )
    .action(async (text: string, opts: Record<string, unknown>, cmd: Command) => {
      const xml = opts.xmlfile ? await readTextFile(String(opts.xmlfile)) : "<domainsnapshot/>";
      let flags = 0;
      for (const [flag, , bit] of CREATE_FLAGS) if (opts[camel(flag)] === true) flags |= bit;
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        const label = `taking a snapshot of ${displayValue(d.name)}`;
        const out = await longCall(fleet, settings, label, d, "snapshot_create_xml", {
          xml_desc: xml,
          flags,
        });
        const ref = sdk.toObjectRef(out.snapshot);
        const s = ref ? await fleet.get(ref, sdk.Snapshot) : undefined;
        const name = s?.name ?? ref?.objectName ?? "";
        reportDone(settings.json, d, "snapshot-create", `snapshot ${displayValue(name)} created`, {
          snapshot: name,
          snapshot_id: ref ? sdk.objectIdText(ref) : null,
        });
      });
    });

  program
    .command("snapshot-list")
    .argument("<domain>", DOMAIN_REF)
    .description("list the snapshots of a domain")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq snapshot-list web1\n  $ lvq --json snapshot-list host1/web1",
    )
    .action(async (text: string, _opts, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        const snaps = sortObjects(await snapshotsOf(sdk, fleet, d));
        if (settings.json) return printJson(snaps);
        const names = new Map(snaps.map((s) => [s.objectId.objectName, s.name]));
        const parentOf = (s: Snapshot) => {
          const ref = sdk.toObjectRef(s.props.parent);
          return ref ? (names.get(ref.objectName) ?? ref.objectName) : "";
        };
        printTable(
          tableColumns(sdk.Snapshot.meta, ["creation_time", "parent"]),
          snaps.map((s) => tableRow(sdk, s, [timeText(s.creation_time), parentOf(s)])),
        );
      });
    });

  program
    .command("snapshot-revert")
    .argument("<domain>", DOMAIN_REF)
    .argument("<snapshot>", "the snapshot's name")
    .description("revert a domain to one of its snapshots")
    .addHelpText("after", "\nExamples:\n  $ lvq snapshot-revert web1 before-upgrade")
    .action(async (text: string, name: string, _opts, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        const s = await findSnapshot(sdk, fleet, d, name);
        const label = `reverting ${displayValue(d.name)} to ${displayValue(name)}`;
        await longCall(fleet, settings, label, s, "revert", {});
        reportDone(
          settings.json,
          d,
          "snapshot-revert",
          `reverted to snapshot ${displayValue(name)}`,
          {
            snapshot: name,
          },
        );
      });
    });

  program
    .command("snapshot-delete")
    .argument("<domain>", DOMAIN_REF)
    .argument("<snapshot>", "the snapshot's name")
    .option("--children", "delete its descendants too")
    .description("delete a snapshot of a domain")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lvq snapshot-delete web1 before-upgrade\n  $ lvq snapshot-delete host1/web1 base --children",
    )
    .action(async (text: string, name: string, opts: { children?: boolean }, cmd: Command) => {
      await withFleet(cmd, async ({ fleet, sdk, settings }) => {
        const d = await fleet.resolve(sdk.Domain, text);
        const s = await findSnapshot(sdk, fleet, d, name);
        const children = opts.children === true;
        await s.delete({ children });
        const what = children ? "and its children deleted" : "deleted";
        reportDone(settings.json, s, "snapshot-delete", what, { domain: d.name, children });
      });
    });
}

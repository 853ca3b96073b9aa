// Which module registers which lvq command. main.ts loads only the module the command line
// names: `lvq agent` runs for weeks on every host, and loading the fleet commands and their
// output libraries with it cost memory it never uses; `lvq list`, run often from scripts,
// starts faster without the agent and libvirt. test/cli/command-table.test.ts checks every
// row against what its module registers.
import type { Command } from "commander";

/**
 * The verbs that take virsh's --config (change the persistent definition). lvq's own
 * `--config <file>` is an option of every command and would take the word, so main.ts hands a
 * --config written after one of these verbs to it as {@link CONFIG_FLAG}.
 */
export const VERBS_WITH_CONFIG_FLAG: ReadonlySet<string> = new Set(["setvcpus", "setmem"]);
/** What virsh's --config is called inside lvq (never typed; see VERBS_WITH_CONFIG_FLAG). */
export const CONFIG_FLAG = "--config-flag";

/** Registers one module's commands on the program. */
export type Register = (program: Command) => void;

/** One command module: the words (names and aliases) it registers, and how to load it. */
export interface CommandModule {
  readonly words: readonly string[];
  load(): Promise<Register>;
}

/** Every command module, in the order `lvq --help` lists their commands. */
export const COMMAND_MODULES: readonly CommandModule[] = [
  {
    words: ["agents"],
    load: async () => (await import("./commands/agents.js")).registerAgentsCommand,
  },
  {
    words: ["schema"],
    load: async () => (await import("./commands/schema.js")).registerSchemaCommand,
  },
  { words: ["list"], load: async () => (await import("./commands/list.js")).registerListCommand },
  { words: ["show"], load: async () => (await import("./commands/show.js")).registerShowCommand },
  { words: ["call"], load: async () => (await import("./commands/call.js")).registerCallCommand },
  {
    words: [
      "start",
      "shutdown",
      "reboot",
      "destroy",
      "suspend",
      "resume",
      "undefine",
      "define",
      "save",
      "restore",
      "dumpxml",
      "migrate",
    ],
    load: async () => (await import("./commands/domain.js")).registerDomainCommands,
  },
  {
    words: ["pools", "vols"],
    load: async () => (await import("./commands/storage.js")).registerStorageCommands,
  },
  {
    words: [
      "net-list",
      "net-define",
      "net-start",
      "net-destroy",
      "net-undefine",
      "net-autostart",
      "net-dhcp-leases",
    ],
    load: async () => (await import("./commands/network.js")).registerNetworkCommands,
  },
  {
    words: ["snapshot-create", "snapshot-list", "snapshot-revert", "snapshot-delete"],
    load: async () => (await import("./commands/snapshot.js")).registerSnapshotCommands,
  },
  {
    words: ["setvcpus", "setmem", "autostart", "domifaddr", "managedsave"],
    load: async () => (await import("./commands/resize.js")).registerResizeCommands,
  },
  {
    words: ["watch"],
    load: async () => (await import("./commands/watch.js")).registerWatchCommand,
  },
  { words: ["web"], load: async () => (await import("./commands/web.js")).registerWebCommand },
  {
    words: ["inventory"],
    load: async () => (await import("./commands/inventory.js")).registerInventoryCommand,
  },
  {
    words: ["agent"],
    load: async () => (await import("./commands/agent.js")).registerAgentCommand,
  },
];

/**
 * The registrations a command word needs: its module's alone, or, for a word no row names
 * (a typo, or a command added to a module without its row), every module's, so commander
 * still finds it or suggests the nearest command.
 */
export async function registrationsFor(word: string | undefined): Promise<Register[]> {
  const row = word === undefined ? undefined : COMMAND_MODULES.find((m) => m.words.includes(word));
  return Promise.all((row ? [row] : COMMAND_MODULES).map((m) => m.load()));
}

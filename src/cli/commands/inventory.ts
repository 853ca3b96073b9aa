import type { Command } from "commander";

/** `lvq inventory`: one host's inventory read straight from libvirt (no broker). */
export function registerInventoryCommand(program: Command): void {
  program
    .command("inventory")
    .description("print one libvirt host's node info, domains, pools and volumes")
    .option("--uri <uri>", "libvirt URI", "test:///default")
    .action(async () => {
      throw new Error("not implemented yet");
    });
}

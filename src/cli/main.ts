#!/usr/bin/env node
// lvq: the libvirt-qmf command line. Each command lives in its own file under commands/ and
// registers itself on the program; this file only wires them together and maps failures to
// exit codes.
import { Command } from "commander";
import { registerInventoryCommand } from "./commands/inventory.js";

const program = new Command("lvq")
  .description("Run a fleet of libvirt hosts from one place, over QMFv2 on AMQP.")
  .showHelpAfterError();

registerInventoryCommand(program);

await program.parseAsync(process.argv);

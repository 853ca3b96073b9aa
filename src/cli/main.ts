#!/usr/bin/env node
// lvq: the libvirt-qmf command line. Each command lives in its own file under commands/ and
// registers itself on the program; this file only wires them together and maps failures to
// exit codes (see errors.ts). Only the command module the command line names is loaded
// (command-table.ts), and command files import the console SDK lazily, inside their actions,
// so start-up stays short and `lvq agent` holds only the agent.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { addBrokerAccessOptions } from "./broker-options.js";
import { CONFIG_FLAG, registrationsFor, VERBS_WITH_CONFIG_FLAG } from "./command-table.js";
import { parsePositive } from "./config.js";
import { describeError, ExitCode, exitCodeFor } from "./errors.js";
import { errColours } from "./terminal.js";

/** An option value parser for positive numbers (integers when `integer`). */
function positive(what: string, integer = false): (v: string) => number {
  return (v) => {
    const n = parsePositive(v, integer);
    if (n === undefined) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
}

const program = new Command("lvq")
  .description("Run a fleet of libvirt hosts from one place, over QMFv2 on AMQP.")
  .addOption(
    new Option(
      "--broker <url>",
      "AMQP broker URL (else $LVQ_BROKER, the config file, or amqp://guest:guest@127.0.0.1:5672)",
    ),
  )
  .addOption(new Option("--config <file>", "config file (default ~/.config/lvq/config.json)"))
  .addOption(new Option("--json", "print JSON instead of tables"))
  .addOption(
    new Option(
      "--timeout <seconds>",
      "timeout of connecting to the broker and of each request",
    ).argParser(positive("a positive number of seconds")),
  )
  .addOption(
    new Option(
      "--settle <ms>",
      "discovery ends once no new agent answered for this long, or for twice as long as the latest answer took (default 150; else $LVQ_SETTLE_MS or the config file)",
    ).argParser(positive("a positive number of milliseconds")),
  )
  .addOption(
    new Option(
      "--expect-agents <n>",
      "the fleet has n agents: wait for them (up to 3 s) and exit 4 when fewer answer (else $LVQ_EXPECT_AGENTS or the config file)",
    ).argParser(positive("a positive integer", true)),
  )
  .exitOverride()
  .showHelpAfterError("(run with --help for usage)")
  .configureOutput({
    outputError: (text, write) => write(errColours.red(text)),
  })
  .addHelpText(
    "after",
    `
Exit codes: 0 done, 1 the method failed, 2 usage, 3 not found or ambiguous,
            4 broker or agent unreachable.

Discovery: lvq asks the broker which agents are there and takes those that answer until no
new one has for --settle ms (longer when they answer slowly). On a terminal, agents, list and
pools say how many answered; --expect-agents makes a missing agent an error.

Examples:
  $ lvq agents
  $ lvq list Domain state=running
  $ lvq show host1/web1
  $ lvq start web1
  $ lvq --expect-agents 10 --json list Domain   # exit 4 unless all ten hosts answered
  $ LVQ_BROKER=amqp://user:pass@broker:5672 lvq --json list Pool`,
  );

addBrokerAccessOptions(program);
/** The global options that take a value, whose value is therefore not the command word. */
const VALUE_OPTIONS = new Set(
  program.options
    .filter((o) => o.required || o.optional)
    .flatMap((o) => [o.long, o.short])
    .filter((f): f is string => f !== undefined),
);

/** Where the command word of an argument list is: the first word that is not a global option. */
function commandIndex(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return i + 1;
    if (a.startsWith("-")) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    return i;
  }
  return args.length;
}

const given = process.argv.slice(2);
const at = commandIndex(given);
const word: string | undefined = given[at];
// After setvcpus or setmem, --config is virsh's flag, not lvq's --config <file>.
const argv = VERBS_WITH_CONFIG_FLAG.has(word ?? "")
  ? given.map((a, i) => (i > at && a === "--config" ? CONFIG_FLAG : a))
  : given;
// Help lists every command, so it loads every module.
const asksHelp = argv.includes("--help") || argv.includes("-h");
for (const register of await registrationsFor(asksHelp ? undefined : word)) {
  register(program);
}

let code: number = ExitCode.OK;
try {
  await program.parseAsync(argv, { from: "user" });
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version end with exitCode 0; everything else commander refuses is usage.
    code = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  } else {
    code = exitCodeFor(err);
    process.stderr.write(`${errColours.red("lvq:")} ${describeError(err)}\n`);
    if (process.env.LVQ_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
}
// Exit only once stdout and stderr are flushed: to a pipe they are written asynchronously, and
// a large `--json` listing would otherwise be cut short.
process.exitCode = code;
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));

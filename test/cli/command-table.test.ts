// main.ts loads only the command module a command line names, by the table in
// command-table.ts: each row must name exactly the words its module registers, and no word
// may belong to two rows (a command whose row is missing would still run, loading everything).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Command } from "commander";
import { COMMAND_MODULES, registrationsFor } from "../../src/cli/command-table.js";

/** The names and aliases a registration adds to a fresh program. */
function wordsOf(register: (p: Command) => void): string[] {
  const program = new Command("lvq");
  register(program);
  return program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}

describe("the command table", () => {
  test("each row names exactly the commands and aliases its module registers", async () => {
    for (const row of COMMAND_MODULES) {
      assert.deepEqual(wordsOf(await row.load()).sort(), [...row.words].sort());
    }
  });

  test("no word is in two rows", () => {
    const words = COMMAND_MODULES.flatMap((m) => m.words);
    assert.equal(new Set(words).size, words.length);
  });

  test("a known word loads its module alone; an unknown word or none loads every module", async () => {
    const agent = await registrationsFor("agent");
    assert.equal(agent.length, 1);
    assert.deepEqual(wordsOf(agent[0]!), ["agent"]);
    assert.equal((await registrationsFor("pools")).length, 1);
    assert.equal((await registrationsFor("lisst")).length, COMMAND_MODULES.length);
    assert.equal((await registrationsFor(undefined)).length, COMMAND_MODULES.length);
  });
});

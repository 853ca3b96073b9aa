/** The drop counter on its own: every bad message counted, each reason logged at a limited rate. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DropCounter, type Logger } from "../../src/qmf/transport/index.js";

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (msg: string) => {
    lines.push(msg);
  };
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

describe("drop counter", () => {
  it("counts every drop but logs each reason once per interval, with the count so far", (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
    const log = collectingLogger();
    const drops = new DropCounter(log, "agent x:", undefined, 10_000);
    for (let i = 0; i < 1000; i++) drops.note("malformed body", `garbage #${i}`);
    drops.note("unknown opcode", 'qmf.opcode "_x"');
    assert.deepEqual(drops.counts, { "malformed body": 1000, "unknown opcode": 1 });
    assert.deepEqual(log.lines, [
      "agent x: malformed body (1 so far): garbage #0",
      'agent x: unknown opcode (1 so far): qmf.opcode "_x"',
    ]);
    t.mock.timers.tick(9_999);
    drops.note("malformed body", "garbage #1000");
    assert.equal(log.lines.length, 2);
    t.mock.timers.tick(1);
    drops.note("malformed body", "garbage #1001");
    assert.deepEqual(log.lines.slice(2), ["agent x: malformed body (1002 so far): garbage #1001"]);
    assert.equal(drops.counts["malformed body"], 1002);
  });

  it("counts without a logger", () => {
    const drops = new DropCounter(undefined, "console:");
    drops.note("no reply address", "a");
    drops.note("no reply address", "b");
    assert.deepEqual(drops.counts, { "no reply address": 2 });
  });
});

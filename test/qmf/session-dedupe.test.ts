/** The agent's at-most-once table on its own: first result kept, bounded in size and age. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DedupeTable, FORGOTTEN, type RecordedResponse } from "../../src/qmf/agent/dedupe.js";

const response = (n: number): RecordedResponse => ({
  opcode: "_method_response",
  content: undefined,
  body: Buffer.from([n]),
});

describe("dedupe table", () => {
  it("answers a repeated id from the first result and counts duplicates that came early", () => {
    const t = new DedupeTable(10, 60_000);
    assert.equal(t.begin("a", 0), "new");
    assert.equal(t.begin("a", 1), "running");
    assert.equal(t.begin("a", 2), "running");
    assert.equal(t.finish("a", response(1), 3), 2);
    assert.deepEqual(t.begin("a", 3), response(1));
    assert.equal(t.finish("a", response(2), 4), 0);
    assert.equal(t.size, 1);
  });

  it("forgets the oldest ids beyond its size", () => {
    const t = new DedupeTable(3, 60_000);
    for (const k of ["a", "b", "c", "d"]) {
      assert.equal(t.begin(k, 0), "new");
      t.finish(k, response(k.charCodeAt(0)), 0);
    }
    assert.equal(t.size, 3);
    assert.equal(t.begin("a", 0), "new"); // forgotten: would run again
    assert.deepEqual(t.begin("d", 0), response(100));
  });

  it("forgets ids older than its time to live, counted from the end of the execution", () => {
    const t = new DedupeTable(100, 1000);
    t.begin("old", 0);
    t.finish("old", response(1), 100);
    t.begin("young", 900);
    t.finish("young", response(2), 900);
    assert.deepEqual(t.begin("old", 1100), response(1)); // exactly at the limit: kept
    assert.deepEqual(t.begin("young", 1500), response(2));
    assert.equal(t.begin("old", 1601), "new");
    assert.equal(t.size, 2); // young (900) and the new old (1601)
  });

  it("never forgets an execution that is still running", () => {
    const t = new DedupeTable(2, 1000);
    t.begin("slow", 0); // runs for a long time
    for (const k of ["a", "b", "c"]) {
      t.begin(k, 10);
      t.finish(k, response(1), 10);
    }
    assert.equal(t.size, 2);
    assert.equal(t.begin("slow", 20), "running");
    assert.equal(t.begin("slow", 60_000), "running"); // far past the time to live
    assert.equal(t.finish("slow", response(9), 60_001), 2);
    assert.deepEqual(t.begin("slow", 60_002), response(9));
  });

  it("under byte pressure drops old response bodies but never the ids", () => {
    const t = new DedupeTable(100, 60_000, 10);
    const big = (n: number): RecordedResponse => ({ ...response(n), body: Buffer.alloc(6, n) });
    t.begin("a", 0);
    t.finish("a", big(1), 0);
    t.begin("b", 1);
    t.finish("b", big(2), 1); // 12 bytes > 10: a's body goes
    assert.equal(t.heldBytes, 6);
    assert.equal(t.begin("a", 2), FORGOTTEN);
    assert.deepEqual(t.begin("b", 2), big(2));
    assert.equal(t.size, 2);
  });
});

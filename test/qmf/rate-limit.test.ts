// The per-caller token buckets of the agent session's rate limit, on a clock the test moves.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TokenBuckets } from "../../src/qmf/agent/rate-limit.js";

describe("rate limit", () => {
  test("a burst, then the rate; each caller has its own bucket", () => {
    let now = 0;
    const b = new TokenBuckets({ perSecond: 2, burst: 4 }, () => now);
    const takes = (caller: string, n: number) =>
      Array.from({ length: n }, () => b.take(caller)).filter(Boolean).length;
    assert.equal(takes("ann", 10), 4);
    assert.equal(takes("bob", 1), 1);
    now = 499;
    assert.equal(takes("ann", 1), 0);
    now = 500;
    assert.equal(takes("ann", 3), 1);
    now = 10_000;
    assert.equal(takes("ann", 10), 4, "never more than the burst saved up");
  });
});

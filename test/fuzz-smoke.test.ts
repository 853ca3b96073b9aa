// The fuzz harness behind `npm run fuzz` (bench/fuzz) kept from rotting: its core loop on
// 2,000 inputs per decoder with a fixed seed finds no crash, its seeds still decode, and it
// does notice a decoder that throws something else or takes too long.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Failure, inputAt, runCampaign } from "../bench/fuzz/campaign.js";
import { decodeSeed } from "../bench/fuzz/libvirt.js";
import { loadSeeds } from "../bench/fuzz/seeds.js";
import { type FuzzTarget, makeTarget, TARGET_NAMES } from "../bench/fuzz/target.js";
import { decodeList, decodeMap } from "../src/qmf/codec/index.js";

const SEED = 12345;
const INPUTS = 2000;

function run(target: FuzzTarget, inputs: number, timeBoundMs = 100) {
  const failures: Failure[] = [];
  const result = runCampaign(target, {
    seed: SEED,
    inputs,
    timeBoundMs,
    onFailure: (f) => failures.push(f),
  });
  return { result, failures };
}

describe("fuzz harness", () => {
  it("every captured seed decodes with the codec its header names", () => {
    for (const s of loadSeeds("xdr")) assert.doesNotThrow(() => decodeSeed(s.bytes), s.name);
    for (const s of loadSeeds("map")) assert.doesNotThrow(() => decodeMap(s.bytes), s.name);
    for (const s of loadSeeds("list")) assert.doesNotThrow(() => decodeList(s.bytes), s.name);
  });

  for (const name of TARGET_NAMES) {
    it(`${name}: ${INPUTS} inputs of seed ${SEED} give no crash and reach both outcomes`, () => {
      const { result, failures } = run(makeTarget(name), INPUTS);
      assert.deepEqual(
        failures.map((f) => `${f.kind} at ${f.index}: ${f.error}`),
        [],
      );
      assert.equal(result.inputs, INPUTS);
      assert.equal(result.crashes, 0);
      assert.equal(result.decoded + result.refused, INPUTS);
      assert.ok(result.decoded > 0, "some mutated inputs still decode");
      assert.ok(result.refused > 0, "some are refused with the typed error");
    });
  }

  it("draws the same input for the same seed and index", () => {
    const target = makeTarget("frame");
    assert.deepEqual(inputAt(target, SEED, 7).input, inputAt(target, SEED, 7).input);
    assert.notDeepEqual(inputAt(target, SEED, 7).input, inputAt(target, SEED + 1, 7).input);
  });

  it("counts an exception other than the typed refusal as a crash, with its input", () => {
    const map = makeTarget("map");
    const broken: FuzzTarget = {
      ...map,
      run(input) {
        if (input.length % 2 === 1) throw new TypeError("odd length");
        map.run(input, undefined as never);
      },
    };
    const odd = Array.from({ length: 300 }, (_, i) => inputAt(map, SEED, i).input).filter(
      (b) => b.length % 2 === 1,
    ).length;
    const { result, failures } = run(broken, 300);
    assert.ok(odd > 0);
    assert.equal(result.crashes, odd);
    assert.equal(failures.length, odd);
    for (const f of failures) {
      assert.equal(f.kind, "exception");
      assert.match(f.error, /^TypeError: odd length/);
      assert.equal(f.input.length % 2, 1);
      assert.deepEqual(f.input, inputAt(map, SEED, f.index).input);
    }
  });

  it("counts an input slower than the bound on every rerun as a hang", () => {
    const list = makeTarget("list");
    const slow: FuzzTarget = {
      ...list,
      run(input) {
        if (input.length % 10 === 3) {
          const until = performance.now() + 20;
          while (performance.now() < until) {}
        }
      },
    };
    const expected = Array.from({ length: 60 }, (_, i) => inputAt(list, SEED, i).input).filter(
      (b) => b.length % 10 === 3,
    ).length;
    const { result, failures } = run(slow, 60, 10);
    assert.ok(expected > 0);
    assert.equal(result.hangs, expected);
    assert.deepEqual(
      failures.map((f) => f.kind),
      Array(expected).fill("hang"),
    );
    assert.ok(result.slowestMs >= 20);
  });
});

// The core loop: draw an input, decode it, classify the outcome, time it. Runs in whatever
// thread calls it (a worker of main.ts, or the smoke test), and never stops early: every
// failing input is counted and handed to `onFailure`.
import { inputSeed, Rng } from "./prng.js";
import type { FuzzTarget } from "./target.js";

export interface CampaignOptions {
  /** The run seed; with the target's salt and an index it names each input. */
  seed: number;
  /** Inputs to draw. */
  inputs: number;
  /**
   * An input whose decoding takes longer than this (ms) on each of three reruns is a hang.
   * Reruns (of any input over 1 ms) keep a pause of the process (a GC, a busy machine) from
   * counting as one, or as the slowest input.
   */
  timeBoundMs: number;
  /** Stop after this many hangs (each costs four slow runs); default: never. */
  maxHangs?: number;
  /** Called for each failing input, in order. */
  onFailure?: (failure: Failure) => void;
  /** Slot 0 receives the index of the input being decoded (main.ts's watchdog reads it). */
  progress?: Int32Array;
}

/**
 * An input the decoder failed on: an exception other than its typed refusal, or a hang; or,
 * found by main.ts's watch over a worker, a stall or memory over the bound.
 */
export interface Failure {
  target: string;
  index: number;
  kind: "exception" | "hang" | "memory";
  input: Buffer;
  /** The exception with its stack, or the time taken. */
  error: string;
}

export interface CampaignResult {
  target: string;
  inputs: number;
  /** Inputs the decoder accepted. */
  decoded: number;
  /** Inputs it refused with its typed error. */
  refused: number;
  /** Failing inputs of either kind (hangs included). */
  crashes: number;
  hangs: number;
  /** The slowest input's decoding time (ms; for a slow one, the fastest of its reruns). */
  slowestMs: number;
  maxRssMb: number;
  seconds: number;
}

/** Input `index` of `target` in the run seeded `seed`, and its generator to run it with. */
export function inputAt(target: FuzzTarget, seed: number, index: number) {
  const rng = new Rng(inputSeed(seed, target.salt, index));
  return { input: target.generate(rng), rng };
}

type Outcome = "decoded" | "refused" | { error: unknown };

function attempt(target: FuzzTarget, input: Buffer, rng: Rng): Outcome {
  try {
    target.run(input, rng);
    return "decoded";
  } catch (err) {
    return target.expected(err, input) ? "refused" : { error: err };
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return `non-Error thrown: ${String(err)}`;
}

const RSS_EVERY = 4096;
const RERUNS = 3;
/** Inputs decode in microseconds: one that took over this (ms) is timed again. */
const RERUN_ABOVE_MS = 1;

/** Runs `opts.inputs` inputs of `target`; see {@link CampaignOptions}. */
export function runCampaign(target: FuzzTarget, opts: CampaignOptions): CampaignResult {
  const started = performance.now();
  const result: CampaignResult = {
    target: target.name,
    inputs: 0,
    decoded: 0,
    refused: 0,
    crashes: 0,
    hangs: 0,
    slowestMs: 0,
    maxRssMb: process.memoryUsage.rss() / 2 ** 20,
    seconds: 0,
  };
  const fail = (index: number, kind: "exception" | "hang", input: Buffer, error: string) => {
    result.crashes++;
    if (kind === "hang") result.hangs++;
    opts.onFailure?.({ target: target.name, index, kind, input, error });
  };
  for (let i = 0; i < opts.inputs; i++) {
    if (opts.progress) opts.progress[0] = i;
    const { input, rng } = inputAt(target, opts.seed, i);
    const t0 = performance.now();
    const outcome = attempt(target, input, rng);
    let ms = performance.now() - t0;
    result.inputs++;
    // A slow input is timed again: its fastest run is its cost, the rest was a pause of the
    // process (a GC, the scheduler of a busy machine), not the decoder.
    if (ms > RERUN_ABOVE_MS) {
      for (let k = 0; k < RERUNS && ms > RERUN_ABOVE_MS; k++) {
        const again = inputAt(target, opts.seed, i);
        const t1 = performance.now();
        attempt(target, again.input, again.rng);
        ms = Math.min(ms, performance.now() - t1);
      }
      if (ms > opts.timeBoundMs) {
        fail(
          i,
          "hang",
          input,
          `took ${ms.toFixed(1)} ms at best of four runs (bound ${opts.timeBoundMs} ms)`,
        );
      }
    }
    if (ms > result.slowestMs) result.slowestMs = ms;
    if (outcome === "decoded") result.decoded++;
    else if (outcome === "refused") result.refused++;
    else fail(i, "exception", input, describe(outcome.error));
    if (result.hangs >= (opts.maxHangs ?? Number.POSITIVE_INFINITY)) break;
    if (i % RSS_EVERY === 0) {
      result.maxRssMb = Math.max(result.maxRssMb, process.memoryUsage.rss() / 2 ** 20);
    }
  }
  result.maxRssMb = Math.max(result.maxRssMb, process.memoryUsage.rss() / 2 ** 20);
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

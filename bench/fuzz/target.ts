// What the campaign loop needs to know of a decoder under test, and the four targets.
import { frameTarget, xdrTarget } from "./libvirt.js";
import type { Rng } from "./prng.js";
import { listTarget, mapTarget } from "./qmf.js";
import { loadSeeds } from "./seeds.js";

/** One decoder (or a pipeline of them) fed untrusted bytes. */
export interface FuzzTarget {
  /** Its name in reports; the summary counts its inputs as `<name>_inputs`. */
  readonly name: string;
  /** Keeps its inputs apart from other targets' in one run (see inputSeed). */
  readonly salt: number;
  /** The input drawn from `rng`: a mutated seed, mostly. */
  generate(rng: Rng): Buffer;
  /**
   * Decodes `input`; returns or throws. `rng` continues the input's own generator, for
   * choices of the run itself (how a stream is sliced), so a rerun repeats them.
   */
  run(input: Buffer, rng: Rng): void;
  /** Whether `err` is the decoder's own typed refusal of `input` (anything else is a crash). */
  expected(err: unknown, input: Buffer): boolean;
}

/** Every target, in the order of a run and of the summary. */
export const TARGET_NAMES = ["xdr", "frame", "map", "list"] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** A target over the committed seeds. */
export function makeTarget(name: TargetName): FuzzTarget {
  switch (name) {
    case "xdr":
      return xdrTarget(loadSeeds("xdr"));
    case "frame":
      return frameTarget(loadSeeds("xdr"));
    case "map":
      return mapTarget(loadSeeds("map"));
    case "list":
      return listTarget(loadSeeds("list"));
  }
}

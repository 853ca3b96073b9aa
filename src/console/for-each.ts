// One call per object over many objects of the fleet, a bounded number at a time, each
// target's outcome kept apart: one target's failure is its result, never the batch's.
import { ArgumentError } from "./errors.js";
import type { Filter } from "./filters.js";
import type { ManagedClass, ManagedObject } from "./managed-object.js";

type AnyObject = ManagedObject<object>;

/** How many calls {@link Fleet.forEach} runs at once unless told otherwise. */
export const DEFAULT_CONCURRENCY = 16;

/**
 * The objects {@link Fleet.forEach} acts on, as a query: every object of `class` that matches
 * `filter` (and `where`), on every agent or on `agents` only.
 */
export interface ForEachQuery<T extends AnyObject> {
  class: ManagedClass<T>;
  filter?: Filter;
  /** Only objects of these agents (agent names). */
  agents?: string[];
  /** A further QMF predicate over the class's own properties, and-ed with the filter. */
  where?: unknown[];
}

/** The outcome of one target of {@link Fleet.forEach}: its value, or the error it failed with. */
export type ForEachResult<T extends AnyObject, R> =
  | { object: T; ok: true; value: R }
  | { object: T; ok: false; error: Error };

/** Options of {@link Fleet.forEach}. */
export interface ForEachOptions<T extends AnyObject, R> {
  /** How many calls run at once (a positive integer; default 16). */
  concurrency?: number;
  /**
   * Called as each target's call settles (in the order they settle), with how many have
   * settled so far and how many there are: for progress reports. If it throws, no further
   * call starts and forEach rejects with that error once the calls in flight have settled.
   */
  onResult?: (result: ForEachResult<T, R>, settled: number, total: number) => void;
}

/**
 * Runs `fn` once on each target, at most `concurrency` at a time, and resolves to one result
 * per target in the targets' order. A call that throws or rejects becomes that target's
 * `{ ok: false, error }`; nothing is retried.
 */
export async function runEach<T extends AnyObject, R>(
  targets: readonly T[],
  fn: (obj: T) => R | Promise<R>,
  opts: ForEachOptions<T, R> = {},
): Promise<ForEachResult<T, R>[]> {
  const concurrency = concurrencyOf(opts);
  const results = new Array<ForEachResult<T, R>>(targets.length);
  let next = 0;
  let settled = 0;
  let stopped: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (stopped === undefined && next < targets.length) {
      const i = next++;
      const object = targets[i]!;
      let result: ForEachResult<T, R>;
      try {
        result = { object, ok: true, value: await fn(object) };
      } catch (err) {
        result = { object, ok: false, error: asError(err) };
      }
      results[i] = result;
      settled++;
      try {
        opts.onResult?.(result, settled, targets.length);
      } catch (err) {
        stopped ??= { error: err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  if (stopped) throw stopped.error;
  return results;
}

/** The concurrency the options ask for; ArgumentError unless it is a positive integer. */
export function concurrencyOf(opts: { concurrency?: number }): number {
  const n = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(n) || n < 1) {
    throw new ArgumentError(`forEach: concurrency must be a positive integer, not ${n}`);
  }
  return n;
}

/** Orders objects by host, then label, then object id (how lvq lists them). */
export function compareObjects(a: AnyObject, b: AnyObject): number {
  return cmp(a.host, b.host) || cmp(a.label, b.label) || cmp(a.objectIdText, b.objectIdText);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A thrown value as an Error (a non-Error is wrapped, and kept as the cause). */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err), { cause: err });
}

// The one way the tests wait for something that happens on its own (an event arriving, an
// agent publishing, a process logging): poll a check until it gives a value, or fail naming
// what was awaited.

/** What {@link waitFor} resolves with: the check's value, once it is a value. */
export type Found<T> = Exclude<T, undefined | null | false>;

/**
 * Polls `check` (sync or async) every `everyMs` (default 20 ms) until it returns something
 * other than undefined, null or false, and resolves with that. A check that throws is asked
 * again; after `timeoutMs` the wait fails naming `what` and the last error.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => T | Promise<T>,
  everyMs = 20,
): Promise<Found<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v as Found<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? "" : ` (last error: ${String(last)})`}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

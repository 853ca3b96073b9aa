// Checking the events a step caused, exactly: no fewer, no more, in order.
import assert from "node:assert/strict";
import { waitFor } from "./wait.js";

/** How long {@link expectEvents} waits for the events, and for any extra one after them. */
export interface ExpectEventsTiming {
  /** Default 3 s. */
  timeoutMs?: number;
  /** Default 20 ms: an extra event that follows within this is caught. */
  quietMs?: number;
}

/**
 * Waits until `events` holds `want.length` entries, a little longer for any extra one, then
 * takes them all out and checks they are exactly `want` (failing with `step`).
 */
export async function expectEvents<T>(
  events: T[],
  step: string,
  want: T[],
  { timeoutMs = 3000, quietMs = 20 }: ExpectEventsTiming = {},
): Promise<void> {
  await waitFor(`${step} events`, timeoutMs, () => events.length >= want.length);
  await new Promise((r) => setTimeout(r, quietMs));
  assert.deepEqual(events.splice(0), want, step);
}

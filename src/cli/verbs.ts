// What the virsh-named verbs share (commands/network.ts, snapshot.ts, resize.ts): reading a
// file named on the command line, saying what was done (a line for people, an object with
// --json), and calls that move a guest's memory and so get a long timeout and a spinner.
import { readFile } from "node:fs/promises";
import type { Fleet, ManagedObject } from "../console/index.js";
import type { Settings } from "./config.js";
import { UsageError } from "./errors.js";
import { displayValue, printJson, withSpinner } from "./output.js";

/**
 * How long a call that moves a guest's memory (managed save, a snapshot of a running guest, a
 * revert) may take: the per-request default (10 s) does not apply; an explicit --timeout does.
 */
export const LONG_CALL_MS = 600_000;

/** A method call that moves a guest's memory: the long timeout, a spinner on a terminal. */
export function longCall(
  fleet: Fleet,
  settings: Pick<Settings, "timeoutMs" | "timeoutGiven">,
  label: string,
  target: ManagedObject<object>,
  method: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const timeoutMs = settings.timeoutGiven ? settings.timeoutMs : LONG_CALL_MS;
  return withSpinner(label, () => fleet.callMethod(target, method, args, { timeoutMs }));
}

/** The text of a file named on the command line; a usage error when it cannot be read. */
export async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Says what was done to an object: `<Class> <name> <message> on <host>` for people, or with
 * --json `{object_id, host, name, action, …extra}`.
 */
export function reportDone(
  json: boolean,
  obj: ManagedObject<object>,
  action: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  if (json) {
    printJson({ object_id: obj.objectIdText, host: obj.host, name: obj.label, action, ...extra });
    return;
  }
  process.stdout.write(
    `${obj.className} ${displayValue(obj.label)} ${message} on ${displayValue(obj.host)}\n`,
  );
}

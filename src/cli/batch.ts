// One verb over many domains: the domains a selection picks, confirmed by the person at the
// terminal (or by --yes), called through fleet.forEach a bounded number at a time with a
// progress bar on a terminal, then one result line per target. Each call is one QMF method
// request: nothing is retried, and a call that fails is that target's result.
import stringWidth from "string-width";
import type { Domain, ForEachResult } from "../console/index.js";
import { libvirtCodeOf, QmfStatus } from "../qmf/errors.js";
import { confirm } from "./confirm.js";
import type { FleetContext } from "./context.js";
import { describeError, UsageError } from "./errors.js";
import { agentsOption } from "./hosts.js";
import { colours, displayValue, printJson } from "./output.js";
import { sortObjects } from "./present.js";
import { startProgress } from "./progress.js";

/** The domains a batch acts on, and how the command line said it (for messages). */
export interface Selection {
  /** `prop=value` equalities (undefined: none). */
  filter: Record<string, unknown> | undefined;
  /** A `--where` predicate. */
  where: unknown[] | undefined;
  /** Only the domains of this host (`--host`). */
  host: string | undefined;
  /** The selection as typed, e.g. `state=running --host h1`. */
  text: string;
}

/** How a batch runs. */
export interface BatchOptions {
  /** Act on more than one domain without asking. */
  yes: boolean;
  /** How many calls run at once. */
  parallel: number;
}

/** One target's result in `--json` output. */
export interface BatchResultJson {
  host: string;
  name: string;
  uuid: string;
  ok: boolean;
  /** `code`: libvirt's error number (a number), else the condition's name (a string). */
  error?: { code: number | string; message: string };
}

/** Some targets failed (exit 1); each one's error is on its own line. */
class BatchFailedError extends Error {
  override name = "BatchFailedError";
}

/** The person at the terminal said no (exit 1): nothing was done. */
class CancelledError extends Error {
  override name = "CancelledError";
}

/** How many targets the confirmation names. */
const NAMED_IN_PROMPT = 5;

/**
 * Runs `method` on every domain `sel` picks, `opts.parallel` at a time, and prints one line
 * (or JSON object) per target, sorted by host then name. A selection that picks nothing is
 * NotFoundError (exit 3); any failed target makes it end with exit 1.
 */
export async function runBatch(
  { fleet, sdk, settings }: FleetContext,
  verb: string,
  method: string,
  sel: Selection,
  opts: BatchOptions,
): Promise<void> {
  const agents = agentsOption(fleet, sel.host);
  const targets = sortObjects(
    await fleet.objects(sdk.Domain, sel.filter, {
      ...(agents ? { agents } : {}),
      ...(sel.where ? { where: sel.where } : {}),
    }),
  );
  if (targets.length === 0) {
    throw new sdk.NotFoundError(`no domain matches ${sel.text}`, "Domain", sel.text);
  }
  if (targets.length > 1 && !opts.yes) await confirmTargets(verb, targets);
  const progress = await startProgress(verb, targets.length);
  const results = await fleet.forEach(targets, (d) => fleet.callMethod(d, method, {}), {
    concurrency: opts.parallel,
    onResult: (r) => progress.settled(!r.ok),
  });
  progress.end();
  if (settings.json) printJson(results.map(resultJson));
  else process.stdout.write(resultLines(results));
  const failed = results.filter((r) => !r.ok).length;
  if (failed > 0) {
    throw new BatchFailedError(`${verb} failed on ${failed} of ${count(results.length, "domain")}`);
  }
}

/**
 * Asks before acting on several domains: on a terminal, a y/N question naming how many
 * domains on how many hosts and the first few of them; without one, a usage error (exit 2)
 * asking for --yes.
 */
async function confirmTargets(verb: string, targets: Domain[]): Promise<void> {
  const hosts = new Set(targets.map((d) => d.host)).size;
  const what = `${count(targets.length, "domain")} on ${count(hosts, "host")}`;
  if (process.stdin.isTTY !== true) {
    throw new UsageError(
      `${verb} selects ${what}: add --yes to act on them (stdin is not a terminal, so lvq cannot ask)`,
    );
  }
  const named = targets.slice(0, NAMED_IN_PROMPT).map((d) => `  ${refOf(d)}\n`);
  const more = targets.length - named.length;
  process.stderr.write(
    `${verb} ${what}:\n${named.join("")}${more > 0 ? `  … and ${more} more\n` : ""}`,
  );
  if (!(await confirm("Go ahead? [y/N] "))) {
    throw new CancelledError(`${verb}: not confirmed, nothing done`);
  }
}

/** `host/name`, escaped: how lvq names a domain on one host. */
function refOf(d: Domain): string {
  return `${displayValue(d.host)}/${displayValue(d.name)}`;
}

/** One line per target: its `host/name`, then `ok` or the error (on one line). */
function resultLines(results: ForEachResult<Domain, unknown>[]): string {
  const refs = results.map((r) => refOf(r.object));
  const width = Math.max(...refs.map((t) => stringWidth(t)));
  return results
    .map((r, i) => {
      const pad = " ".repeat(width - stringWidth(refs[i]!));
      const outcome = r.ok
        ? colours.green("ok")
        : colours.red(describeError(r.error).replace(/\n/g, " "));
      return `${refs[i]}${pad}  ${outcome}\n`;
    })
    .join("");
}

function resultJson(r: ForEachResult<Domain, unknown>): BatchResultJson {
  const d = r.object;
  const out: BatchResultJson = { host: d.host, name: d.name, uuid: d.uuid, ok: r.ok };
  if (!r.ok) out.error = errorJson(r.error);
  return out;
}

/**
 * A failure as `{ code, message }`: libvirt's error number and message for a libvirt failure;
 * else the name of the condition (a QMF status such as FORBIDDEN, or the error's code such
 * as CONNECTION_LOST or TIMEOUT) and its message.
 */
export function errorJson(err: Error): { code: number | string; message: string } {
  const e = err as Error & { code?: unknown; text?: string };
  if (e.name === "MethodError" && typeof e.code === "number") {
    const message = e.text ?? e.message;
    const libvirtCode = libvirtCodeOf(e.code);
    if (libvirtCode !== undefined) return { code: libvirtCode, message };
    const status = Object.entries(QmfStatus).find(([, v]) => v === e.code)?.[0];
    return { code: status ?? e.code, message };
  }
  return { code: typeof e.code === "string" ? e.code : e.name, message: e.message };
}

/** "1 domain", "3 domains". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

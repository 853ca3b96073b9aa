// Shared by the CLI and SDK tests: build the real binary once, run it as a subprocess, and
// bring up agents on private test-driver files.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { BROKER } from "../support/broker.js";

/** bench/console.ts reads the test broker from here. */

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "dist", "cli", "main.js");

/** Runs `npm run build` (tsc → dist/). Type errors elsewhere in the tree still emit JS. */
export async function buildOnce(): Promise<void> {
  await new Promise<void>((resolve) => {
    execFile("npm", ["run", "build"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, () => resolve());
  });
  if (!existsSync(BIN)) throw new Error(`npm run build produced no ${BIN}`);
}

/** What one run of the binary did. */
export interface LvqResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a run: the test broker, no config file, no colour, then `env`. */
const runEnv = (env: Record<string, string | undefined>) => ({
  ...process.env,
  LVQ_BROKER: BROKER,
  XDG_CONFIG_HOME: "/nonexistent-lvq-test-config",
  NO_COLOR: "1",
  ...env,
});

/**
 * Runs `node dist/cli/main.js …args` with the test broker in LVQ_BROKER (unless `env`
 * overrides it), no config file, and no colour.
 */
export function lvq(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<LvqResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: runEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

/** What one run of the binary on a terminal showed. */
export interface TtyResult {
  code: number;
  /** Everything the terminal got (stdout and stderr), control sequences and all. */
  out: string;
  /** `out` without control sequences (cursor moves, redraws, colours), with `\n` line ends. */
  text: string;
}

/**
 * Runs the binary as {@link lvq} does, but on a pseudo-terminal (util-linux `script`), as a
 * person would: with spinners, progress bars, colours unless NO_COLOR, and prompts; `answer`
 * is typed once it asks "[y/N] ".
 */
export function lvqOnTty(
  args: string[],
  env: Record<string, string | undefined> = {},
  answer?: string,
): Promise<TtyResult> {
  return new Promise((resolve, reject) => {
    const cmd = [process.execPath, BIN, ...args]
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(" ");
    const child = spawn("script", ["-qfec", cmd, "/dev/null"], {
      cwd: ROOT,
      env: runEnv(env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let answered = answer === undefined;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (!answered && out.includes("[y/N] ")) {
        answered = true;
        child.stdin.write(answer);
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const text = stripVTControlCharacters(out).replace(/\r\n/g, "\n");
      resolve({ code: code ?? -1, out, text });
    });
  });
}

/** Parses a run's stdout as JSON, failing with its stderr when it exited non-zero. */
export function jsonOf(r: LvqResult): unknown {
  if (r.code !== 0) throw new Error(`lvq exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * A run's stderr without warnings about agents other than `own`: a whole-fleet lookup also
 * asks the agents of tests running at the same time, which may be stopped or lost meanwhile
 * ("lvq: warning: <agent> left out: …"). Warnings about our own agents stay.
 */
export function stderrOf(r: { stderr: string }, own: string[]): string {
  return r.stderr
    .split(/(?<=\n)/)
    .filter((line) => {
      const m = /^lvq: warning: (\S+) left out: /.exec(line);
      return !m || own.includes(m[1]!);
    })
    .join("");
}

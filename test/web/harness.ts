// What the browser tests of `lvq web` (and bench:web) share: a private broker vhost, agents on
// private test-driver hosts, the real `lvq web` process, and Debian's chromium driven by
// playwright-core (scripts/chromium.sh installs it when missing; no browser is downloaded).
import { execFile, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { BIN, ROOT } from "../cli/harness.js";

const run = promisify(execFile);

/** Where the screenshots go (git-ignored). */
export const SHOTS = join(ROOT, "test-output", "web");

/** A running `lvq web`. */
export interface WebProcess {
  url: string;
  pid: number;
  stderr: string[];
  stop(): Promise<void>;
}

/**
 * Starts `node dist/cli/main.js web …args` on the broker `broker`; resolves with its URL once
 * it prints it. Rejects (with its stderr) when it exits first.
 */
export function startWeb(
  broker: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<WebProcess> {
  const child = spawn(process.execPath, [BIN, "web", "--listen", "127.0.0.1:0", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      LVQ_BROKER: broker,
      XDG_CONFIG_HOME: "/nonexistent-lvq-test-config",
      NO_COLOR: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr.setEncoding("utf8").on("data", (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /serving (\S+)/.exec(out);
      if (m) {
        resolve({
          url: m[1]!,
          pid: child.pid!,
          stderr,
          async stop() {
            if (child.exitCode === null) child.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
    exited.then((code) => reject(new Error(`lvq web exited ${code}: ${stderr.join("")}`)));
  });
}

/** Runs `lvq web` with `args` to its end: exit code and output (for refusals at start). */
export function runWeb(
  broker: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, "web", ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          LVQ_BROKER: broker,
          XDG_CONFIG_HOME: "/nonexistent-lvq-test-config",
          NO_COLOR: "1",
          ...env,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Debian's chromium, installed by scripts/chromium.sh when missing. */
export async function launchBrowser(): Promise<Browser> {
  const { stdout } = await run("bash", [join(ROOT, "scripts", "chromium.sh")], {
    timeout: 600_000,
  });
  return chromium.launch({
    executablePath: stdout.trim(),
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

/** Saves a screenshot of `page` as test-output/web/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

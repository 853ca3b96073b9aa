// `lvq web`: the dashboard and /metrics, one console session for every browser tab.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { defaultConfigPath, type GlobalOptions } from "../config.js";
import { withFleet } from "../context.js";
import { UsageError } from "../errors.js";

interface WebOptions {
  listen?: string;
  token?: string;
  httpsCert?: string;
  httpsKey?: string;
  statsInterval?: string;
  hashPassword?: boolean;
}

/** The config file's `web` section (the rest of the file is read by config.ts). */
async function webSection(cmd: Command): Promise<import("../../web/settings.js").WebConfig> {
  const { parseWebConfig } = await import("../../web/settings.js");
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  const path = globals.config ?? defaultConfigPath();
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return {}; // a missing or unreadable file is reported by the broker settings
  }
  let parsed: { web?: unknown };
  try {
    parsed = JSON.parse(text) as { web?: unknown };
  } catch {
    return {};
  }
  const web = parseWebConfig(parsed?.web);
  if (typeof web === "string") throw new UsageError(`config file ${path}: ${web}`);
  return web;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

async function readPem(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

/** `lvq web [--listen host:port] [--token T] [--https-cert F --https-key F]`. */
export function registerWebCommand(program: Command): void {
  program
    .command("web")
    .description("serve the fleet dashboard and Prometheus /metrics over HTTP (Ctrl-C stops)")
    .option(
      "--listen <host:port>",
      "where to listen (default 127.0.0.1:8080; elsewhere needs a token or users)",
    )
    .option(
      "--token <token>",
      "a token that lets requests in (else $LVQ_WEB_TOKEN or the config's web.token)",
    )
    .option("--https-cert <file>", "serve HTTPS with this PEM certificate (with --https-key)")
    .option("--https-key <file>", "the PEM key of --https-cert")
    .option(
      "--stats-interval <seconds>",
      "the agents' --stats-interval (default 10): no change for longer means idle",
    )
    .option(
      "--hash-password",
      "read a password on stdin, print its hash for the config's web.users, and exit",
    )
    .addHelpText(
      "after",
      `
Pages: Fleet, Domains, a page per domain (live charts, actions, XML), Storage, Events.
/metrics serves Prometheus' text format from the console's cache.

On 127.0.0.1 nobody logs in. Anywhere else a token or a user is required; the config file's
"web" section: {"listen": "0.0.0.0:8443", "token": "…", "users": [{"name": "ops",
"password": "scrypt$…"}], "httpsCert": "cert.pem", "httpsKey": "key.pem"}.

Examples:
  $ lvq web
  $ LVQ_WEB_TOKEN=$(openssl rand -hex 16) lvq web --listen 0.0.0.0:8443 --https-cert c.pem --https-key k.pem
  $ echo -n 'secret' | lvq web --hash-password`,
    )
    .action(async (opts: WebOptions, cmd: Command) => {
      const web = await import("../../web/index.js");
      const { parseListen } = await import("../../web/settings.js");
      if (opts.hashPassword) {
        const password = await readStdin();
        if (!password) throw new UsageError("--hash-password: no password on stdin");
        process.stdout.write(`${await web.hashPassword(password)}\n`);
        return;
      }
      const config = await webSection(cmd);
      const listen = parseListen(opts.listen ?? config.listen ?? "127.0.0.1:8080");
      if (typeof listen === "string") throw new UsageError(`--listen: ${listen}`);
      const token = opts.token ?? (process.env.LVQ_WEB_TOKEN || undefined) ?? config.token;
      const users = config.users ?? [];
      if (!web.isLoopbackHost(listen.host) && !token && users.length === 0) {
        throw new UsageError(
          `listening on ${listen.host} needs authentication: give --token (or LVQ_WEB_TOKEN), or users in the config file's "web" section`,
        );
      }
      const certFile = opts.httpsCert ?? config.httpsCert;
      const keyFile = opts.httpsKey ?? config.httpsKey;
      if (!certFile !== !keyFile) throw new UsageError("--https-cert and --https-key go together");
      const tls =
        certFile && keyFile
          ? { cert: await readPem(certFile, "certificate"), key: await readPem(keyFile, "key") }
          : undefined;
      const statsS = opts.statsInterval === undefined ? undefined : Number(opts.statsInterval);
      if (statsS !== undefined && !(statsS > 0)) {
        throw new UsageError(
          `--stats-interval: "${opts.statsInterval}" is not a positive number of seconds`,
        );
      }
      await withFleet(
        cmd,
        async ({ fleet }) => {
          const server = await web.startWebServer({
            fleet,
            host: listen.host,
            port: listen.port,
            ...(token ? { tokens: [token] } : {}),
            users,
            ...(tls ? { tls } : {}),
            ...(statsS ? { statsIntervalMs: Math.round(statsS * 1000) } : {}),
            log: (msg) => process.stderr.write(`lvq web: ${msg}\n`),
          });
          const n = fleet.agents().length;
          process.stdout.write(
            `lvq web: serving ${server.url} (${n} agent${n === 1 ? "" : "s"})\n`,
          );
          await new Promise<void>((resolve) => {
            process.once("SIGINT", resolve);
            process.once("SIGTERM", resolve);
          });
          await server.close();
        },
        { requireAgents: false },
      );
    });
}

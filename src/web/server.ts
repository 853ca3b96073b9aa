// `lvq web`'s HTTP server: one fleet (one console session) behind every page, the event
// stream, the JSON API and /metrics, with the access rules of auth.ts and guard.ts.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Fleet } from "../console/index.js";
import { registerActions } from "./actions.js";
import { registerReadApi } from "./api.js";
import { Access, type WebUser } from "./auth.js";
import { FleetCache } from "./cache.js";
import { errorResponse, HttpError } from "./errors.js";
import { checkHost, checkOrigin, isLoopbackHost } from "./guard.js";
import { Router, readForm, sendJson } from "./http.js";
import { fleetMetrics } from "./metrics.js";
import { StaticFiles } from "./static.js";
import { StreamHub } from "./stream.js";
import { FleetSync } from "./sync.js";

/** Options of {@link startWebServer}. */
export interface WebServerOptions {
  /** The fleet every page shows; the caller closes it after the server. */
  fleet: Fleet;
  /** Address to listen on (default 127.0.0.1). Anything but loopback needs a credential. */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** Tokens that let a request in (a bearer header, or a login with the token). */
  tokens?: string[];
  /** Users who may log in with a password. */
  users?: WebUser[];
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * The agents' statistics interval (default 10000 ms, the agent's default): a running domain
   * whose DomainInfo did not change for longer used no CPU and did no I/O.
   */
  statsIntervalMs?: number;
  /** Where to report what goes wrong. */
  log?: (msg: string) => void;
}

/** A running web server. */
export interface WebServer {
  /** The URL of its front page. */
  url: string;
  readonly cache: FleetCache;
  readonly sync: FleetSync;
  /** Stops serving (open streams end); the fleet stays open. */
  close(): Promise<void>;
}

/** Pages of the single-page front-end: each answers with index.html. */
const PAGES = [/^\/$/, /^\/domains$/, /^\/domain\/[^/]+$/, /^\/storage$/, /^\/events$/];

/**
 * Starts the web server: reads every agent's objects, follows the fleet, and listens.
 * Throws when asked to listen beyond loopback with no credential configured.
 */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? "127.0.0.1";
  const access = new Access({
    tokens: opts.tokens ?? [],
    users: opts.users ?? [],
    secure: !!opts.tls,
  });
  if (!isLoopbackHost(host) && !access.required) {
    throw new HttpError(
      400,
      `listening on ${host} needs authentication: give a token (--token, LVQ_WEB_TOKEN) or users in the config file`,
    );
  }
  const log = opts.log ?? (() => {});
  const scheme = opts.tls ? "https" : "http";
  let hub: StreamHub | undefined;
  const cache = new FleetCache(() => hub?.scheduleFlush());
  hub = new StreamHub(cache);
  const sync = new FleetSync(opts.fleet, cache, log);
  const files = new StaticFiles();
  const metrics = fleetMetrics(cache);
  const router = new Router();
  registerReadApi(router, cache, hub, access.required);
  registerActions(router, opts.fleet, cache);
  router.get("/metrics", async ({ res }) => {
    const t0 = performance.now();
    const body = await metrics.render();
    res.writeHead(200, {
      "Content-Type": metrics.contentType,
      "Cache-Control": "no-store",
      "Server-Timing": `render;dur=${(performance.now() - t0).toFixed(1)}`,
    });
    res.end(body);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    securityHeaders(res);
    const url = new URL(req.url ?? "/", `${scheme}://${req.headers.host ?? "localhost"}`);
    const path = url.pathname;
    const method = req.method ?? "GET";
    if ((method === "GET" || method === "HEAD") && (await files.serve(req, res, path))) return;
    checkHost(req, access.required);
    if (path === "/login") return login(req, res, url, method);
    if (path === "/api/login-options") return sendJson(res, 200, { users: access.hasUsers });
    const who = access.who(req);
    if (!who) {
      if (path.startsWith("/api/") || path === "/metrics") {
        res.setHeader("WWW-Authenticate", 'Bearer realm="lvq web"');
        return sendJson(res, 401, { error: { message: "log in first", kind: "Unauthorized" } });
      }
      return files.page(req, res, "login.html", 401);
    }
    if (method !== "GET" && method !== "HEAD") checkOrigin(req, scheme, who.via === "bearer");
    if (path === "/logout" && method === "POST") {
      res.writeHead(303, { "Set-Cookie": access.logout(req), Location: "/login" });
      return void res.end();
    }
    const route = router.match(method, path);
    if (route) {
      await route.handler({ req, res, url, params: route.params, who });
      return;
    }
    if ((method === "GET" || method === "HEAD") && PAGES.some((p) => p.test(path))) {
      return files.page(req, res, "index.html");
    }
    throw new HttpError(404, `nothing at ${path}`);
  };

  const login = async (req: IncomingMessage, res: ServerResponse, url: URL, method: string) => {
    if (method === "GET" || method === "HEAD") return files.page(req, res, "login.html");
    if (method !== "POST") throw new HttpError(405, `${method} is not allowed here`);
    checkOrigin(req, scheme, false);
    const form = await readForm(req);
    const cookie = access.required ? await access.login(form) : null;
    const next = url.searchParams.get("next") ?? form.next ?? "/";
    const safeNext = next.startsWith("/") && !next.startsWith("//") ? next : "/";
    if (!cookie) {
      res.writeHead(303, { Location: `/login?failed=1&next=${encodeURIComponent(safeNext)}` });
      return void res.end();
    }
    res.writeHead(303, { "Set-Cookie": cookie, Location: safeNext });
    res.end();
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      const { status, body } = errorResponse(err);
      if (status >= 500 && body.error.kind !== "TimeoutError")
        log(`${req.method} ${req.url}: ${body.error.message}`);
      if (res.headersSent) return void res.destroy();
      sendJson(res, status, body);
    });
  };
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest)
    : createHttpServer(onRequest);
  // Streams stay open for hours: no request timeout for them (set per request elsewhere).
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;

  await sync.start();
  const statsIntervalMs = opts.statsIntervalMs ?? 10_000;
  const idle = setInterval(() => cache.sampleIdle(statsIntervalMs), statsIntervalMs);
  idle.unref();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8080, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${scheme}://${urlHost}:${port}/`,
    cache,
    sync,
    async close() {
      clearInterval(idle);
      sync.stop();
      hub?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Headers every answer carries: only this server's own scripts and styles, no framing. */
function securityHeaders(res: ServerResponse): void {
  res.setHeader(
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "same-origin");
  res.setHeader("X-Frame-Options", "DENY");
}

// The front-end's files: src/web/public (copied to dist/web/public by the build) and uPlot,
// served from its npm package. No build step: the browser loads the ES modules as they are.
// Files are read once, then kept with their gzip form and an ETag.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));
const require = createRequire(import.meta.url);

/** Files outside public/ served under /vendor/. */
const VENDOR: Record<string, () => string> = {
  "uPlot.esm.js": () => require.resolve("uplot/dist/uPlot.esm.js"),
  "uPlot.min.css": () => require.resolve("uplot/dist/uPlot.min.css"),
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
};

interface Loaded {
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
  type: string;
}

/** Serves the front-end's files; a missing file is a 404. */
export class StaticFiles {
  private readonly cache = new Map<string, Promise<Loaded | null>>();

  /** Answers a GET for `/app/<file>` or `/vendor/<file>`; false when it is neither. */
  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    let file: string | null = null;
    if (pathname.startsWith("/app/")) file = safeJoin(PUBLIC_DIR, pathname.slice(5));
    else if (pathname.startsWith("/vendor/")) file = VENDOR[pathname.slice(8)]?.() ?? null;
    if (file === null) return false;
    const f = await this.load(file);
    if (!f) return false;
    this.send(req, res, f);
    return true;
  }

  /** Answers with a page of public/ (index.html, login.html), with `status`. */
  async page(req: IncomingMessage, res: ServerResponse, name: string, status = 200): Promise<void> {
    const f = await this.load(join(PUBLIC_DIR, name));
    if (!f) throw new Error(`${name} is missing from ${PUBLIC_DIR}`);
    this.send(req, res, f, status);
  }

  private load(file: string): Promise<Loaded | null> {
    let p = this.cache.get(file);
    if (!p) {
      p = readFile(file).then(
        (body) => ({
          body,
          gzip: body.length > 1024 ? gzipSync(body) : null,
          etag: `"${createHash("sha1").update(body).digest("base64url").slice(0, 20)}"`,
          type: TYPES[extname(file)] ?? "application/octet-stream",
        }),
        () => null,
      );
      this.cache.set(file, p);
    }
    return p;
  }

  private send(req: IncomingMessage, res: ServerResponse, f: Loaded, status = 200): void {
    const headers: Record<string, string> = {
      "Content-Type": f.type,
      // Revalidated each time (cheap: an ETag), so a new version shows at once.
      "Cache-Control": "no-cache",
      ETag: f.etag,
      Vary: "Accept-Encoding",
    };
    if (status === 200 && req.headers["if-none-match"] === f.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = f.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    if (gzip) headers["Content-Encoding"] = "gzip";
    const body = gzip ? f.gzip! : f.body;
    headers["Content-Length"] = String(body.length);
    res.writeHead(status, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  }
}

/** `rel` inside `dir`, or null when it would leave it. */
function safeJoin(dir: string, rel: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  const full = normalize(join(dir, decoded));
  return full.startsWith(dir.endsWith(sep) ? dir : dir + sep) ? full : null;
}

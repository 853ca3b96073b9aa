// A small router and the helpers every handler uses: JSON in and out, bounded bodies.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "./auth.js";
import { HttpError } from "./errors.js";

/** What a handler gets. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path's `:name` segments, decoded. */
  params: Record<string, string>;
  who: Principal;
}

export type Handler = (ctx: RequestContext) => unknown;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

/** Routes by method and path; `:name` segments match one path segment. */
export class Router {
  private readonly routes: Route[] = [];

  get(path: string, handler: Handler): this {
    return this.add("GET", path, handler);
  }

  post(path: string, handler: Handler): this {
    return this.add("POST", path, handler);
  }

  private add(method: string, path: string, handler: Handler): this {
    this.routes.push({ method, segments: path.split("/").slice(1), handler });
    return this;
  }

  /**
   * The handler for a request and its parameters; undefined when no path matches. A path
   * that matches with another method is a 405.
   */
  match(
    method: string,
    pathname: string,
  ): { handler: Handler; params: Record<string, string> } | undefined {
    const parts = pathname.split("/").slice(1);
    let otherMethod = false;
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (!params) continue;
      if (r.method === method || (method === "HEAD" && r.method === "GET")) {
        return { handler: r.handler, params };
      }
      otherMethod = true;
    }
    if (otherMethod) throw new HttpError(405, `${method} is not allowed here`);
    return undefined;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = parts[i]!;
    if (p.startsWith(":")) {
      if (!s) return null;
      try {
        params[p.slice(1)] = decodeURIComponent(s);
      } catch {
        return null;
      }
    } else if (p !== s) return null;
  }
  return params;
}

/** Answers with JSON (bigints as numbers). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? Number(v) : v));
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
  });
  res.end(text);
}

/** Reads a request body of at most `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The JSON object a request carries ({} for an empty body). */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, "the request body is not JSON");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    throw new HttpError(400, "the request body must be a JSON object");
  }
  return v as Record<string, unknown>;
}

/** A form (application/x-www-form-urlencoded) a request carries. */
export async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  return Object.fromEntries(new URLSearchParams(await readBody(req, 64 * 1024)));
}

/** A string member of a request body, or a 400 naming it. */
export function stringField(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== "string" || v === "") throw new HttpError(400, `"${name}" is required`);
  return v;
}

// Checks every request before it reaches a handler: the Host it names (a server nobody logs in
// to answers only to loopback names, so a web page cannot reach it through DNS rebinding) and,
// for a request that changes something, the Origin it comes from (so another site cannot make
// a logged-in browser act: cross-site request forgery).
import type { IncomingMessage } from "node:http";
import { HttpError } from "./errors.js";

const LOOPBACK_NAMES = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

/** True for an address the default listener may use without authentication. */
export function isLoopbackHost(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost";
}

/** Refuses a Host header that is not a loopback name when nobody logs in. */
export function checkHost(req: IncomingMessage, authenticated: boolean): void {
  if (authenticated) return;
  const host = req.headers.host ?? "";
  if (!LOOPBACK_NAMES.test(host)) {
    throw new HttpError(421, `this server answers only to loopback names, not "${host}"`);
  }
}

/**
 * Refuses a state-changing request that does not come from this server's own pages: its
 * Origin (or, without one, its Referer) must be this server. A request authenticated with a
 * bearer token carries no ambient credential and may come without either (scripts).
 */
export function checkOrigin(req: IncomingMessage, scheme: "http" | "https", bearer: boolean): void {
  const self = `${scheme}://${req.headers.host ?? ""}`;
  const site = req.headers["sec-fetch-site"];
  if (site && site !== "same-origin" && site !== "none") {
    throw new HttpError(403, `cross-site request refused (${site})`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "null") {
    if (origin !== self) throw new HttpError(403, `request from origin ${origin} refused`);
    return;
  }
  const referer = req.headers.referer;
  if (referer) {
    let from = "";
    try {
      from = new URL(referer).origin;
    } catch {
      // not a URL: refused below
    }
    if (from !== self) throw new HttpError(403, "request from another site refused");
    return;
  }
  if (!bearer) throw new HttpError(403, "a request that changes something needs an Origin header");
}

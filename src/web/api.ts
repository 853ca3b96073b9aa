// The JSON API the pages read: all of it from the cache, except a domain's XML and its chart
// history (read-only methods on its agent, asked only when someone opens the page).
import type { FleetCache } from "./cache.js";
import { HttpError } from "./errors.js";
import { historyColumns } from "./history.js";
import { type RequestContext, type Router, sendJson } from "./http.js";
import type { StreamHub } from "./stream.js";
import { topicsOf } from "./stream.js";

/** Registers the read-only API on `router`. */
export function registerReadApi(
  router: Router,
  cache: FleetCache,
  hub: StreamHub,
  authRequired: boolean,
): void {
  const domainOf = (ctx: RequestContext) => {
    const e = cache.domains.get(ctx.params.id!);
    if (!e?.domain)
      throw new HttpError(404, `no domain ${ctx.params.id} (undefined, or its host forgot it)`);
    return e;
  };
  router
    .get("/api/whoami", ({ res, who }) =>
      sendJson(res, 200, { name: who.name, via: who.via, authRequired }),
    )
    .get("/api/fleet", ({ res }) =>
      sendJson(res, 200, { now: Date.now(), broker: cache.broker, hosts: cache.hostRows() }),
    )
    .get("/api/domains", ({ res }) =>
      sendJson(res, 200, { now: Date.now(), domains: cache.domainRows() }),
    )
    .get("/api/domains/:id", (ctx) => {
      const e = domainOf(ctx);
      sendJson(ctx.res, 200, {
        now: Date.now(),
        domain: cache.domainRow(e.id),
        host: cache.hostRows().find((h) => h.agent === e.agent) ?? null,
      });
    })
    .get("/api/domains/:id/history", async (ctx) => {
      const e = domainOf(ctx);
      // `since` in ms since the epoch, as the page counts; the agent counts in ns.
      const sinceMs = Math.trunc(Number(ctx.url.searchParams.get("since") ?? 0) || 0);
      const samples = await e.domain!.stats_history(
        sinceMs > 0 ? { since: BigInt(sinceMs) * 1_000_000n } : {},
      );
      sendJson(ctx.res, 200, {
        source: "agent",
        series: historyColumns(samples, e.info?.props.num_vcpus ?? 1),
      });
    })
    .get("/api/domains/:id/xml", async (ctx) => {
      const e = domainOf(ctx);
      sendJson(ctx.res, 200, { xml: await e.domain!.xml_desc() });
    })
    .get("/api/storage", ({ res }) =>
      sendJson(res, 200, { now: Date.now(), pools: cache.poolRows(), volumes: cache.volumeRows() }),
    )
    .get("/api/events", ({ res }) => sendJson(res, 200, { events: cache.feed.all() }))
    .get("/api/stream", ({ req, res, url }) => hub.attach(req, res, topicsOf(url)));
}

/**
 * The web dashboard and Prometheus endpoint of `lvq web`: one console session on the broker
 * (a {@link Fleet}), kept in a cache from the agents' published objects and events, served to
 * every browser tab as pages, a JSON API and a Server-Sent Events stream, and to Prometheus as
 * `/metrics`. Nothing a page or a scrape does asks the agents, except the actions (POST) and a
 * domain's XML.
 *
 * ```ts
 * const fleet = await connectFleet({ broker });
 * const web = await startWebServer({ fleet, port: 8080 });
 * console.log(web.url);
 * // … later
 * await web.close();
 * await fleet.close();
 * ```
 *
 * @module
 */
export { hashPassword, passwordHashProblem, verifyPassword, type WebUser } from "./auth.js";
export type { BrokerState, FleetCache } from "./cache.js";
export type { FeedEvent } from "./feed.js";
export { isLoopbackHost } from "./guard.js";
export type { HistoryColumns } from "./history.js";
export { DOMAIN_STATE_CODES, METRIC_NAMES } from "./metrics.js";
export type { DomainRow, HostRow, PoolRow, VolumeRow } from "./rows.js";
export { startWebServer, type WebServer, type WebServerOptions } from "./server.js";

// npm run bench:web — `lvq web` in front of 10 agents × 1,000 domains (private test-driver
// hosts of the real libvirtd, a private vhost of the real RabbitMQ), seen by Debian's chromium.
// Measured:
//   event_to_dom_p50_ms / _p99_ms  a domain suspended or resumed through the SDK: from the
//       agent's DomainLifecycle event (its timestamp) to the row's state changing in the
//       Domains page (a MutationObserver in the page; one machine, one clock)
//   domains_first_paint_ms  the Domains page with 10,000 rows, from navigation start to the
//       first rows painted (median of RUNS)
//   metrics_scrape_ms       one /metrics scrape of 10,000 domains, median of RUNS
//   web_rss_mb              resident memory of the `lvq web` process at the end
// The last line is one JSON object with the five figures.
import { readFileSync } from "node:fs";
import { connectFleet, Domain, type SchemaEvent } from "../src/console/index.js";
import { privateVhost } from "../test/support/broker.js";
import { startFleet } from "../test/support/fleet.js";
import { launchBrowser, startWeb } from "../test/web/harness.js";

const HOSTS = 10;
const DOMAINS = 1000;
const RUNS = 5;
const TRANSITIONS = 40;

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const round = (x: number) => Math.round(x * 10) / 10;
const log = (msg: string) => process.stderr.write(`bench:web: ${msg}\n`);

/** Records, in the page, when each row's state badge changes (Date.now(), same clock as the agent). */
const OBSERVE = `(() => {
  window.__marks = [];
  const last = new Map();
  const canvas = document.querySelector("#domains-table .vt-canvas");
  new MutationObserver(() => {
    const now = Date.now();
    for (const row of canvas.querySelectorAll(".vt-row:not([hidden])")) {
      const s = row.querySelector(".badge")?.textContent;
      const id = row.dataset.id;
      if (last.get(id) !== s) {
        last.set(id, s);
        window.__marks.push({ id, s, t: now });
      }
    }
  }).observe(canvas, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

async function main(): Promise<void> {
  const started = performance.now();
  const vhost = await privateVhost("bench-web");
  const prefix = `bw${Date.now().toString(36)}`;
  log(`starting ${HOSTS} agents × ${DOMAINS} domains`);
  const agents = await startFleet({
    agents: HOSTS,
    domainsPerAgent: DOMAINS,
    brokers: [vhost.url],
    prefix,
    heartbeatIntervalS: 2,
    statsIntervalS: 10,
    startConcurrency: 2,
  });
  log(`agents up after ${Math.round(performance.now() - started)} ms; starting lvq web`);
  const web = await startWeb(vhost.url);
  const browser = await launchBrowser();
  const fleet = await connectFleet({ broker: vhost.url, expectAgents: HOSTS, timeoutMs: 60_000 });
  try {
    // lvq web has read every agent before it listens: its cache holds the 10,000 domains.
    const fleetJson = (await (await fetch(new URL("/api/fleet", web.url))).json()) as {
      hosts: { domains: number }[];
    };
    const total = fleetJson.hosts.reduce((s, h) => s + h.domains, 0);
    if (total !== HOSTS * DOMAINS) throw new Error(`lvq web holds ${total} domains`);

    const paints: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      await page.goto(new URL("/domains", web.url).href);
      // (Polled from here: the page's CSP forbids the string predicates waitForFunction runs.)
      const until = Date.now() + 60_000;
      while ((await page.evaluate("window.__lvqRowsPainted === undefined")) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 10));
      }
      // Navigation start is the page's time origin: the mark is ms since it.
      paints.push((await page.evaluate("window.__lvqRowsPainted")) as number);
      const rows = (await page.evaluate(
        'document.querySelectorAll("#domains-table .vt-row:not([hidden])").length',
      )) as number;
      const summary = await page.textContent("#domains-summary");
      log(`first paint ${Math.round(paints.at(-1)!)} ms (${rows} row elements for ${summary})`);
      await page.close();
    }

    // event → DOM: one domain per host suspended, then resumed, in turn.
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    // "-dom-999" names one domain per host: the ten rows are all in view.
    await page.goto(new URL("/domains?q=-dom-999", web.url).href);
    await page.waitForSelector("#domains-table .vt-row");
    await page.evaluate(OBSERVE);
    const events = new Map<string, number>();
    fleet.on("schemaEvent", (e: SchemaEvent) => {
      if (e.name !== "DomainLifecycle" || !e.timestamp) return;
      events.set(`${e.args.uuid}/${e.args.event}`, Number(e.timestamp / 1_000_000n));
    });
    const latencies: number[] = [];
    for (let i = 0; i < TRANSITIONS; i++) {
      const host = i % HOSTS;
      const d = await fleet.resolve(Domain, `${prefix}-h${host}/${prefix}-h${host}-dom-999`);
      const suspend = Math.floor(i / HOSTS) % 2 === 0;
      const marksBefore = ((await page.evaluate("window.__marks.length")) as number) ?? 0;
      if (suspend) await d.suspend();
      else await d.resume();
      const want = suspend ? "paused" : "running";
      const key = `${d.uuid}/${suspend ? "suspended" : "resumed"}`;
      const deadline = Date.now() + 15_000;
      let shown: number | undefined;
      while (Date.now() < deadline && shown === undefined) {
        const marks = (await page.evaluate("window.__marks")) as {
          id: string;
          s: string;
          t: number;
        }[];
        shown = marks.slice(marksBefore).find((m) => m.id === d.objectIdText && m.s === want)?.t;
        if (shown === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      const at = events.get(key);
      if (shown === undefined || at === undefined)
        throw new Error(`no ${key} seen (dom ${shown}, event ${at})`);
      latencies.push(shown - at);
    }
    log(`event→DOM ms: ${latencies.map((x) => Math.round(x)).join(" ")}`);
    await page.close();
    // This process's own fleet session takes in every agent's statistics (10,000 domains); it
    // is done, and would otherwise delay this process's reading of the scrapes.
    await fleet.close();

    const scrapes: number[] = [];
    let size = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const res = await fetch(new URL("/metrics", web.url));
      const text = await res.text();
      scrapes.push(performance.now() - t0);
      size = text.length;
      log(`/metrics ${res.headers.get("server-timing")}`);
    }
    log(
      `/metrics: ${Math.round(size / 1024)} KiB, ${scrapes.map((x) => Math.round(x)).join(" ")} ms`,
    );

    const status = readFileSync(`/proc/${web.pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    log(`done in ${Math.round((performance.now() - started) / 1000)} s`);
    process.stdout.write(
      `${JSON.stringify({
        event_to_dom_p50_ms: round(median(latencies)),
        event_to_dom_p99_ms: round(quantile(latencies, 0.99)),
        domains_first_paint_ms: round(median(paints)),
        metrics_scrape_ms: round(median(scrapes)),
        web_rss_mb: round(rssKb / 1024),
      })}\n`,
    );
  } finally {
    await browser.close().catch(() => {});
    await fleet.close().catch(() => {});
    await web.stop();
    await agents.stop();
    await vhost.remove();
  }
}

const watchdog = setTimeout(() => {
  log("gave up after 30 minutes");
  process.exit(1);
}, 30 * 60_000);
watchdog.unref();
await main();
process.exit(0);

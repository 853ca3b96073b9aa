// `lvq web` in a real browser (Debian's chromium through playwright-core), against the real
// broker (a private vhost) and real agents on private test-driver hosts. Each test saves a
// screenshot of its page in test-output/web/.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { connectFleet, Domain, type Fleet } from "../../src/console/index.js";
import type { MethodError } from "../../src/qmf/index.js";
import { buildOnce, jsonOf, lvq } from "../cli/harness.js";
import { type PrivateVhost, privateVhost, rabbitmqctl } from "../support/broker.js";
import { type Fleet as AgentFleet, startFleet } from "../support/fleet.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";
import { launchBrowser, runWeb, screenshot, startWeb, type WebProcess } from "./harness.js";
import { parseMetrics } from "./metrics-text.js";

const PREFIX = uniqueName("web");
let vhost: PrivateVhost;
let agents: AgentFleet;
let web: WebProcess;
let browser: Browser;
let fleet: Fleet;
const env = () => ({ LVQ_BROKER: vhost.url });
/** The test-driver names of host `i` (startFleet names its hosts `<prefix>-h<i>`). */
const names = (i: number) =>
  testDriverNames({ domains: 3, pools: 1, volumesPerPool: 2, namePrefix: `${PREFIX}-h${i}-` });
const hostName = (i: number) => `${PREFIX}-h${i}`;

before(async () => {
  await buildOnce();
  vhost = await privateVhost("web");
  agents = await startFleet({
    agents: 2,
    domainsPerAgent: 3,
    runningDomains: false,
    brokers: [vhost.url],
    prefix: PREFIX,
    heartbeatIntervalS: 1,
    // No statistics sweep during the tests: /metrics and `lvq list` then read the same values.
    statsIntervalS: 3600,
  });
  web = await startWeb(vhost.url, ["--stats-interval", "3600"]);
  fleet = await connectFleet({ broker: vhost.url, expectAgents: 2 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await fleet?.close();
  await web?.stop();
  await agents?.stop();
  await vhost?.remove();
});

async function openPage(path: string, viewport = { width: 1360, height: 860 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  (page as unknown as { errors: string[] }).errors = errors;
  await page.goto(new URL(path, web.url).href);
  return page;
}

/** The status of a GET sent with its own Host header (fetch does not let one set it). */
function statusWithHost(url: URL, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

/**
 * No script error and no refused resource (CSP) on the page; `expected` are the failed
 * requests the test caused on purpose (the browser logs each).
 */
function assertClean(page: Page, expected: number[] = []): void {
  const errors = (page as unknown as { errors: string[] }).errors.filter(
    (e) =>
      !expected.some(
        (status) =>
          e ===
          `Failed to load resource: the server responded with a status of ${status} (${STATUS_TEXT[status]})`,
      ),
  );
  assert.deepEqual(errors, []);
}
const STATUS_TEXT: Record<number, string> = { 404: "Not Found", 409: "Conflict" };

/** The domain `name` of host `i` as the SDK sees it now (a fresh query). */
async function domainState(i: number, name: string): Promise<string> {
  const d = await fleet.resolve(Domain, `${hostName(i)}/${name}`);
  return (await d.domain_info).state;
}

describe("lvq web in a browser", () => {
  test("the fleet page lists the agents, up and connected", async () => {
    const page = await openPage("/");
    await page.waitForSelector("#hosts tbody tr");
    const rows = await page.$$eval("#hosts tbody tr", (trs) =>
      trs.map((tr) => ({
        agent: tr.getAttribute("data-agent"),
        cells: [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim()),
      })),
    );
    assert.deepEqual(
      rows.map((r) => r.agent),
      [0, 1].map((i) => `libvirt-qmf:libvirt:${hostName(i)}`),
    );
    for (const [i, r] of rows.entries()) {
      assert.ok(r.cells[0]?.startsWith(hostName(i)), r.cells[0]);
      assert.equal(r.cells[1], "up");
      assert.equal(r.cells[2], "connected");
      assert.equal(r.cells[4], "1");
      assert.equal(r.cells[7], "0 / 3");
    }
    await screenshot(page, "fleet");
    await page.setViewportSize({ width: 420, height: 860 });
    await page.waitForTimeout(200);
    await screenshot(page, "fleet-narrow");
    assertClean(page);
    await page.close();
  });

  test("a domain started with `lvq start` shows as running without a reload", async () => {
    const name = names(0).domains[0]!.name;
    const page = await openPage(`/domains?q=${encodeURIComponent(name)}`);
    const state = `#domains-table .vt-row[data-id$="${names(0).domains[0]!.uuid}"] .badge`;
    await page.waitForSelector(`${state}.shutoff`);
    await page.evaluate("window.notReloaded = true");
    const r = await lvq(["start", `${hostName(0)}/${name}`], env());
    assert.equal(r.code, 0, r.stderr);
    await page.waitForSelector(`${state}.running`, { timeout: 15_000 });
    assert.equal(await page.evaluate("window.notReloaded"), true);
    assert.equal(await page.textContent("#domains-summary"), "1 of 6 domains");
    await page.fill("input.search", "");
    await waitFor(
      "all six rows",
      10_000,
      async () => (await page.locator("#domains-table .vt-row:not([hidden])").count()) === 6,
    );
    await screenshot(page, "domains");
    assertClean(page);
    await page.close();
  });

  test("suspend from the Domain page: the agent reports the domain paused", async () => {
    const { name, uuid } = names(0).domains[1]!;
    await (await fleet.resolve(Domain, `${hostName(0)}/${name}`)).create();
    const id = `libvirt-qmf:libvirt:${hostName(0)}/Domain:${uuid}`;
    const page = await openPage(`/domain/${encodeURIComponent(id)}`);
    await page.waitForSelector('.dom-head [data-state="running"]');
    await page.click('[data-action="suspend"]');
    await page.waitForSelector('.dom-head [data-state="paused"]', { timeout: 15_000 });
    assert.equal(await domainState(0, name), "paused");
    await page.waitForSelector(".action-ok");
    await screenshot(page, "domain");
    assertClean(page);
    await page.close();
  });

  test("a failed method shows libvirt's error next to the action", async () => {
    const { name, uuid } = names(0).domains[1]!; // paused by the test before
    const bad = `/nonexistent-${PREFIX}/x.save`;
    let expected: MethodError | undefined;
    try {
      await (await fleet.resolve(Domain, `${hostName(0)}/${name}`)).save({ filename: bad });
    } catch (e) {
      expected = e as MethodError;
    }
    assert.ok(expected && expected.code > 0x10000, `the save must fail in libvirt: ${expected}`);
    const id = `libvirt-qmf:libvirt:${hostName(0)}/Domain:${uuid}`;
    const page = await openPage(`/domain/${encodeURIComponent(id)}`);
    await page.waitForSelector('.dom-head [data-state="paused"]');
    await page.click('[data-action="save"]');
    await page.fill('dialog input[name="filename"]', bad);
    await page.click('dialog button[type="submit"]');
    const err = await page.waitForSelector("#action-result .action-error", { timeout: 15_000 });
    assert.equal(
      await err.textContent(),
      `Save failed. libvirt error ${expected.code - 0x10000}: ${expected.text}`,
    );
    assert.equal(await domainState(0, name), "paused");
    await screenshot(page, "domain-error");
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(300);
    await screenshot(page, "domain-narrow");
    assertClean(page, [409]);
    await page.close();
  });

  test("storage: a volume created and deleted from the page", async () => {
    const pool = names(1).pools[0]!;
    const vol = `${PREFIX}-new.img`;
    const page = await openPage("/storage");
    const poolRow = `tr.pool-row[data-pool="${pool.name}"]`;
    await page.waitForSelector(poolRow);
    await page.click(`${poolRow} .expander`);
    await page.click(`${poolRow} button:has-text("New volume")`);
    await page.fill('dialog input[name="name"]', vol);
    await page.fill('dialog input[name="size"]', "1");
    await page.selectOption('dialog select[name="unit"]', "MiB");
    await page.selectOption('dialog select[name="format"]', "raw");
    await page.click('dialog button[type="submit"]');
    await page.waitForSelector(`tr[data-volume="${vol}"]`, { timeout: 15_000 });
    const found = await fleet.volumes(
      { name: vol },
      { agents: [`libvirt-qmf:libvirt:${hostName(1)}`] },
    );
    assert.equal(found.length, 1);
    assert.equal(found[0]!.props.capacity, 1024n * 1024n);
    await screenshot(page, "storage");
    await page.click(`tr[data-volume="${vol}"] button:has-text("Delete")`);
    await page.click('dialog button[type="submit"]');
    await page.waitForSelector(`tr[data-volume="${vol}"]`, { state: "detached", timeout: 15_000 });
    assert.equal((await fleet.volumes({ name: vol })).length, 0);
    assertClean(page);
    await page.close();
  });

  test("the events page shows a lifecycle event as it happens", async () => {
    const { name } = names(0).domains[1]!;
    const page = await openPage("/events");
    await page.waitForSelector(".page-head .sub");
    await (await fleet.resolve(Domain, `${hostName(0)}/${name}`)).resume();
    const item = await page.waitForSelector('#feed li[data-event="resumed"]', { timeout: 15_000 });
    assert.match((await item.textContent()) ?? "", new RegExp(`${hostName(0)}${name} resumed`));
    await screenshot(page, "events");
    assertClean(page);
    await page.close();
  });

  test("/metrics parses, and its values equal `lvq list --json`", async () => {
    const res = await fetch(new URL("/metrics", web.url));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(await res.text());
    const doms = jsonOf(await lvq(["--json", "list", "Domain"], env())) as {
      host: string;
      object_id: string;
      properties: { name: string; uuid: string; domain_info: string };
    }[];
    const infos = new Map(
      (
        jsonOf(await lvq(["--json", "list", "DomainInfo"], env())) as {
          object_id: string;
          properties: Record<string, number | string>;
        }[]
      ).map((i) => [i.object_id, i.properties]),
    );
    assert.equal(doms.length, 6);
    const STATES: Record<string, number> = { running: 1, paused: 3, shutoff: 5 };
    for (const d of doms) {
      const i = infos.get(d.properties.domain_info)!;
      const labels = { host: d.host, domain: d.properties.name, uuid: d.properties.uuid };
      const v = (name: string) => m.value(name, labels);
      assert.equal(v("libvirt_domain_info_state"), STATES[i.state as string]);
      assert.equal(v("libvirt_domain_info_virtual_cpus"), i.num_vcpus);
      assert.equal(v("libvirt_domain_info_memory_usage_bytes"), (i.memory as number) * 1024);
      assert.equal(
        v("libvirt_domain_info_maximum_memory_bytes"),
        (i.maximum_memory as number) * 1024,
      );
      assert.equal(v("libvirt_domain_info_cpu_time_seconds_total"), (i.cpu_time as number) / 1e9);
      assert.equal(v("libvirt_domain_block_stats_read_bytes_total"), i.block_rd_bytes);
      assert.equal(v("libvirt_domain_interface_stats_transmit_bytes_total"), i.net_tx_bytes);
    }
    const pools = jsonOf(await lvq(["--json", "list", "Pool"], env())) as {
      host: string;
      properties: Record<string, number | string>;
    }[];
    assert.equal(pools.length, 2);
    for (const p of pools) {
      const labels = {
        host: p.host,
        storage_pool: p.properties.name as string,
        uuid: p.properties.uuid as string,
      };
      assert.equal(m.value("libvirt_storage_pool_capacity_bytes", labels), p.properties.capacity);
      assert.equal(
        m.value("libvirt_storage_pool_allocation_bytes", labels),
        p.properties.allocation,
      );
      assert.equal(m.value("libvirt_storage_pool_available_bytes", labels), p.properties.available);
    }
    for (const i of [0, 1]) {
      const labels = { host: hostName(i), agent: `libvirt-qmf:libvirt:${hostName(i)}` };
      assert.equal(m.value("libvirt_qmf_agent_up", labels), 1);
      assert.equal(m.value("libvirt_up", labels), 1);
      assert.ok(m.value("libvirt_qmf_agent_heartbeat_age_seconds", labels)! < 5);
    }
    assert.equal(m.value("libvirt_qmf_broker_up", {}), 1);
    assert.equal(m.types.get("libvirt_domain_info_cpu_time_seconds_total"), "counter");
    assert.equal(m.types.get("libvirt_domain_info_memory_usage_bytes"), "gauge");
  });

  test("/metrics follows changes: a started domain's state, then a domain undefined", async () => {
    const scrape = async () =>
      parseMetrics(await (await fetch(new URL("/metrics", web.url))).text());
    // host 1's third domain is defined and shut off (no test before this one touches it).
    const { name, uuid } = names(1).domains[2]!;
    const labels = { host: hostName(1), domain: name, uuid };
    const other = {
      host: hostName(1),
      domain: names(1).domains[0]!.name,
      uuid: names(1).domains[0]!.uuid,
    };
    const before = await scrape();
    assert.equal(before.value("libvirt_domain_info_state", labels), 5);
    const otherState = before.value("libvirt_domain_info_state", other);
    await (await fleet.resolve(Domain, `${hostName(1)}/${name}`)).create();
    await waitFor("state 1 (running) in /metrics", 10_000, async () => {
      return (await scrape()).value("libvirt_domain_info_state", labels) === 1;
    });
    const d = await fleet.resolve(Domain, `${hostName(1)}/${name}`);
    await d.destroy();
    await d.undefine();
    const after = await waitFor("the undefined domain gone from /metrics", 10_000, async () => {
      const m = await scrape();
      return m.value("libvirt_domain_info_state", labels) === undefined && m;
    });
    // The host's other domains are still there, with their values.
    assert.equal(after.value("libvirt_domain_info_state", other), otherState);
  });

  test("the broker goes away: the banner shows, then goes by itself", async () => {
    const page = await openPage("/");
    await page.waitForSelector("#hosts tbody tr");
    assert.equal(await page.isVisible("#banner"), false);
    // Every connection of the private vhost is closed (agents' and lvq web's): the web
    // server's session reconnects by itself after a short while.
    await rabbitmqctl("close_all_connections", "-p", vhost.name, "lvq web test");
    await page.waitForSelector('#banner[data-state="down"]', {
      timeout: 15_000,
      state: "attached",
    });
    await screenshot(page, "banner");
    await page.waitForSelector("#banner", { state: "hidden", timeout: 30_000 });
    // The feed says what happened, in order.
    const feed = await (await fetch(new URL("/api/events", web.url))).json();
    const broker = (feed as { events: { kind: string; event: string }[] }).events
      .filter((e) => e.kind === "broker")
      .map((e) => e.event);
    assert.deepEqual(broker.slice(-2), ["lost", "back"]);
    // The agents are back too, and the page shows them up without a reload.
    await waitFor("both hosts up again", 30_000, async () => {
      const cells = await page.$$eval("#hosts tbody tr td:nth-child(2)", (tds) =>
        tds.map((td) => td.textContent),
      );
      return cells.length === 2 && cells.every((c) => c === "up");
    });
    assertClean(page);
    await page.close();
  });

  test("without a token a non-loopback listener refuses to start, and with one refuses the page until login", async () => {
    const refused = await runWeb(vhost.url, ["--listen", "127.0.0.2:0"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /listening on 127\.0\.0\.2 needs authentication/);

    const token = `t-${PREFIX}`;
    const guarded = await startWeb(vhost.url, ["--listen", "127.0.0.2:0"], {
      LVQ_WEB_TOKEN: token,
    });
    try {
      assert.match(guarded.url, /^http:\/\/127\.0\.0\.2:\d+\/$/);
      const page = await fetch(guarded.url);
      assert.equal(page.status, 401);
      assert.match(await page.text(), /Log in to the fleet dashboard/);
      assert.equal((await fetch(new URL("/api/fleet", guarded.url))).status, 401);
      assert.equal((await fetch(new URL("/metrics", guarded.url))).status, 401);
      const withBearer = await fetch(new URL("/metrics", guarded.url), {
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(withBearer.status, 200);
      const wrong = await fetch(new URL("/metrics", guarded.url), {
        headers: { Authorization: "Bearer nope" },
      });
      assert.equal(wrong.status, 401);

      const p = await browser.newPage({ viewport: { width: 1000, height: 700 } });
      await p.goto(guarded.url);
      await p.waitForSelector("#login-form");
      await screenshot(p, "login");
      await p.fill('input[name="token"]', "not-it");
      await p.click('button[type="submit"]');
      await p.waitForSelector("#login-failed:not([hidden])");
      await p.fill('input[name="token"]', token);
      await p.click('button[type="submit"]');
      await p.waitForSelector("#hosts tbody tr");
      // A state-changing request from another origin is refused, even with the session cookie.
      const status = await p.evaluate(async () => {
        const r = await fetch("/api/volumes/x/delete", { method: "POST" });
        return r.status;
      });
      assert.equal(status, 404); // same origin: through the guard to the handler
      const cookies = await p.context().cookies();
      const cookie = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
      const forged = await fetch(new URL("/api/volumes/x/delete", guarded.url), {
        method: "POST",
        headers: { Cookie: cookie, Origin: "http://evil.example" },
      });
      assert.equal(forged.status, 403);
      await p.close();
    } finally {
      await guarded.stop();
    }
    // The loopback server answers only to loopback names (no DNS rebinding).
    assert.equal(await statusWithHost(new URL("/api/fleet", web.url), "evil.example"), 421);
    assert.equal(await statusWithHost(new URL("/api/fleet", web.url), "localhost"), 200);
  });
});

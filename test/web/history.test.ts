// GET /api/domains/:id/history: the Domain page's chart columns come from the agent's own
// samples (Domain.stats_history) turned into rates, not from what the web server saw.
// An in-process agent and web server on a private vhost; sweeps driven one at a time, 1.1 s
// apart (rates need samples at least a second apart).
import assert from "node:assert/strict";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connectFleet, type Fleet } from "../../src/console/index.js";
import { startWebServer, type WebServer } from "../../src/web/index.js";
import { type AgentHandle, startTestAgent, tempDir } from "../support/agent.js";
import { type PrivateVhost, privateVhost } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { waitFor } from "../support/wait.js";

const dir = tempDir("webhist");
const spec = { domains: 1, pools: 0, volumesPerPool: 0, namePrefix: `${uniqueName("wh")}-` };
const { uuid } = testDriverNames(spec).domains[0]!;
const uri = writeTestDriverFile(join(dir.path, "node.xml"), spec);

let vhost: PrivateVhost;
let h: AgentHandle;
let fleet: Fleet;
let web: WebServer;

before(async () => {
  vhost = await privateVhost("webhist");
  h = await startTestAgent({ uri, broker: vhost.url, statsIntervalMs: 3_600_000 });
  fleet = await connectFleet({ broker: vhost.url, expectAgents: 1 });
  web = await startWebServer({ fleet, port: 0, statsIntervalMs: 3_600_000 });
});

after(async () => {
  await web?.close();
  await fleet?.close();
  await h?.stop();
  await vhost?.remove();
  dir.remove();
});

test("the history endpoint returns the rates between the agent's samples", async () => {
  const id = `${h.name}/Domain:${uuid}`;
  await waitFor("the web server knows the domain", 5000, () => web.cache.domains.get(id)?.domain);
  const domain = web.cache.domains.get(id)!.domain!;
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1100);
    await domain.set_memory({ memory: BigInt(60_000 + i * 1024), flags: "live" });
    const swept = once(h.agent, "swept");
    h.agent.sweepNow();
    await swept;
  }
  const samples = (await domain.stats_history({})) as Record<string, bigint | boolean>[];
  assert.equal(samples.length, 3);

  const get = async (query: string) => {
    const res = await fetch(
      new URL(`/api/domains/${encodeURIComponent(id)}/history${query}`, web.url),
    );
    assert.equal(res.status, 200);
    return (await res.json()) as { source: string; series: Record<string, (number | null)[]> };
  };
  // What the page must plot, worked out here from the samples (one vCPU).
  const ms = (s: Record<string, unknown>) => Number((s.t as bigint) / 1_000_000n);
  const rate = (a: Record<string, unknown>, b: Record<string, unknown>, k: string) =>
    (Number((b[k] as bigint) - (a[k] as bigint)) * 1000) / (ms(b) - ms(a));
  const pairs = [samples.slice(0, 2), samples.slice(1, 3)] as [
    Record<string, unknown>,
    Record<string, unknown>,
  ][];
  const body = await get("");
  assert.equal(body.source, "agent");
  assert.deepEqual(body.series, {
    t: pairs.map(([, b]) => ms(b) / 1000),
    cpu: pairs.map(([a, b]) => Math.min(100, Math.max(0, rate(a, b, "cpu_time") / 1e7))),
    mem: [61_024 * 1024, 62_048 * 1024],
    rd: pairs.map(([a, b]) => rate(a, b, "block_rd_bytes")),
    wr: pairs.map(([a, b]) => rate(a, b, "block_wr_bytes")),
    rx: pairs.map(([a, b]) => rate(a, b, "net_rx_bytes")),
    tx: pairs.map(([a, b]) => rate(a, b, "net_tx_bytes")),
  });
  // `since` (ms) is passed on: from the second sample on, one rate is left.
  const later = await get(`?since=${ms(samples[1]!)}`);
  assert.deepEqual(later.series.t, [ms(samples[2]!) / 1000]);
});

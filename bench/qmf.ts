/**
 * QMF sessions benchmark (`npm run bench:qmf`), on the test broker (LVQ_TEST_BROKER, default the
 * local RabbitMQ), in one run:
 *  - method round trip console → agent → console of a no-op method, p50/p99 over ≥ 10,000
 *    calls, side by side with a bare amqplib request/reply carrying the same body sizes over
 *    the same broker, and with that bare pair wrapped in the QMF envelope (calls interleave,
 *    so drift hits all three alike); with BENCH_ENVELOPE_PARTS=1 also each part of that
 *    envelope alone and the envelope without each part;
 *  - time for one console to receive a 10,000-object query;
 *  - codec encode/decode throughput on query-response bodies.
 * The last line is one JSON object with the figures.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import {
  AgentSession,
  ConsoleSession,
  decodeList,
  encodeList,
  encodeMap,
  loadSchemaFile,
  type QmfValue,
  Uuid,
} from "../src/qmf/index.js";
import { BROKER } from "../test/support/broker.js";

const CALLS = Number(process.env.BENCH_CALLS ?? 10_000);
const OBJECTS = 10_000;

const schemaPath = fileURLToPath(new URL("../test/qmf/fixtures/widgets.xml", import.meta.url));
const tag = randomBytes(4).toString("hex");

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number, d = 3) => Number(x.toFixed(d));

function widget(i: number, agentName: string): Record<string, unknown> {
  return {
    name: `widget-${i}`,
    shelf: { agentName, objectName: `Shelf:${i % 10}` },
    color: i % 2 ? "red" : "blue",
    size: i,
    weight: i * 1.25,
    serial: 10n ** 12n + BigInt(i),
    offset: -BigInt(i),
    active: i % 3 === 0,
    notes: `note for widget ${i}: ${"lorem ipsum ".repeat(4)}`,
    id: Uuid.random(),
    created: 1_700_000_000_000_000_000n + BigInt(i),
    polls: BigInt(i * 7),
  };
}

/** The parts of the QMF envelope (QMF.md "Transport mapping"), each of which can be left off. */
interface EnvelopeParts {
  /** Through `qmf.default.direct` (queues bound by name) instead of the default exchange. */
  directExchange?: boolean;
  /** `user_id` (the broker checks it against the connection's user). */
  userId?: boolean;
  /** The `qmf.opcode`, `qmf.agent`, `method` and `x-amqp-0-10.app-id` headers. */
  headers?: boolean;
  /** `expiration` (a per-message TTL) on the request. */
  requestTtl?: boolean;
  /** `app_id` and `content_type`. */
  appIdContentType?: boolean;
}
const FULL_ENVELOPE: EnvelopeParts = {
  directExchange: true,
  userId: true,
  headers: true,
  requestTtl: true,
  appIdContentType: true,
};

/**
 * A bare amqplib request/reply pair: a server on its own queue answering every request with a
 * `replyBody`. `parts` adds what QMF puts around a message (all of it: {@link FULL_ENVELOPE}):
 * the same broker work as a QMF call without any of our code, to show how much of the gap is
 * the protocol's envelope, and which part of it.
 */
async function bareRoundTrip(requestBody: Buffer, replyBody: Buffer, parts: EnvelopeParts) {
  // The same socket options as the QMF transport (TCP_NODELAY), so only the layer differs.
  const conn = await amqp.connect(BROKER, { noDelay: true });
  const serverConn = await amqp.connect(BROKER, { noDelay: true });
  const sch = await serverConn.createChannel();
  const q = await sch.assertQueue("", { exclusive: true, autoDelete: true });
  const exchange = parts.directExchange ? "qmf.default.direct" : "";
  if (parts.directExchange) await sch.bindQueue(q.queue, exchange, q.queue);
  await sch.prefetch(64);
  const ch = await conn.createChannel();
  const rq = await ch.assertQueue("", { exclusive: true, autoDelete: true });
  if (parts.directExchange) await ch.bindQueue(rq.queue, exchange, rq.queue);
  const qmfProps = (opcode: string, method: string, agent: boolean) => ({
    ...(parts.appIdContentType ? { appId: "qmf2", contentType: "amqp/map" } : {}),
    ...(parts.userId ? { userId: "guest" } : {}),
    ...(parts.headers
      ? {
          headers: {
            "qmf.opcode": opcode,
            "x-amqp-0-10.app-id": "qmf2",
            method,
            ...(agent ? { "qmf.agent": `example.org:bench:bench-${tag}` } : {}),
          },
        }
      : {}),
  });
  const replyProps = qmfProps("_method_response", "response", true);
  const requestProps = {
    ...qmfProps("_method_request", "request", false),
    ...(parts.requestTtl ? { expiration: "30000" } : {}),
  };
  await sch.consume(q.queue, (m) => {
    if (!m) return;
    sch.publish(exchange, m.properties.replyTo, replyBody, {
      ...replyProps,
      correlationId: m.properties.correlationId,
    });
    sch.ack(m);
  });
  let waiting: ((id: string) => void) | null = null;
  await ch.consume(rq.queue, (m) => m && waiting?.(m.properties.correlationId), { noAck: true });
  let n = 0;
  return {
    async call(): Promise<number> {
      const id = String(++n);
      const t0 = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        waiting = (got) => got === id && resolve();
        ch.publish(exchange, q.queue, requestBody, {
          ...requestProps,
          correlationId: id,
          replyTo: rq.queue,
        });
      });
      return Number(process.hrtime.bigint() - t0) / 1e6;
    },
    async close() {
      await conn.close();
      await serverConn.close();
    },
  };
}

/**
 * `BENCH_ENVELOPE_PARTS=1`: what each part of the envelope costs on its own, and the whole
 * without each part, against the bare pair (interleaved, like the main comparison).
 */
async function envelopeParts(
  bare: Awaited<ReturnType<typeof bareRoundTrip>>,
  reqSize: number,
  respSize: number,
): Promise<void> {
  const names = Object.keys(FULL_ENVELOPE) as (keyof EnvelopeParts)[];
  const variants: [string, EnvelopeParts][] = [
    ...names.map((n): [string, EnvelopeParts] => [`only ${n}`, { [n]: true }]),
    ...names.map((n): [string, EnvelopeParts] => [
      `all but ${n}`,
      { ...FULL_ENVELOPE, [n]: false },
    ]),
    ["full envelope", FULL_ENVELOPE],
  ];
  const pairs = await Promise.all(
    variants.map(([, parts]) => bareRoundTrip(randomBytes(reqSize), randomBytes(respSize), parts)),
  );
  const calls = Math.max(1000, Math.floor(CALLS / 2));
  const bareMs: number[] = [];
  const ms: number[][] = variants.map(() => []);
  for (let i = 0; i < 500; i++) for (const p of [bare, ...pairs]) await p.call();
  for (let i = 0; i < calls; i++) {
    bareMs.push(await bare.call());
    for (let j = 0; j < pairs.length; j++) ms[j]!.push(await pairs[j]!.call());
  }
  for (const p of pairs) await p.close();
  bareMs.sort((x, y) => x - y);
  const base = percentile(bareMs, 50);
  console.log(`envelope parts, ${calls} calls each, interleaved; bare p50 ${base.toFixed(3)} ms:`);
  for (let j = 0; j < variants.length; j++) {
    const sorted = ms[j]!.sort((x, y) => x - y);
    const p50 = percentile(sorted, 50);
    console.log(
      `  ${variants[j]![0].padEnd(26)} p50 ${p50.toFixed(3)} ms  p99 ${percentile(sorted, 99).toFixed(3)} ms  ratio ${(p50 / base).toFixed(3)}`,
    );
  }
}

async function main(): Promise<void> {
  const schema = await loadSchemaFile(schemaPath);
  const agent = new AgentSession({
    url: BROKER,
    vendor: "example.org",
    product: "bench",
    instance: `bench-${tag}`,
    schemas: [schema],
    onMethod: async () => ({}),
  });
  const consoleS = new ConsoleSession({ url: BROKER, defaultTimeoutMs: 30_000 });
  await consoleS.open();
  await agent.open();
  agent.setObject("Widget", "Widget:noop", { name: "noop" });
  await consoleS.waitForAgent(agent.name, 15_000);
  const target = agent.objectId("Widget:noop");

  // The same body sizes for the baseline: what our request and response weigh on the wire.
  const reqSize = encodeMap({
    _object_id: {
      _agent_name: target.agentName,
      _object_name: target.objectName,
      _agent_epoch: agent.epoch,
    },
    _method_name: "noop",
    _arguments: {},
  }).length;
  const respSize = encodeMap({ _arguments: {} }).length;
  const bare = await bareRoundTrip(randomBytes(reqSize), randomBytes(respSize), {});
  const enveloped = await bareRoundTrip(randomBytes(reqSize), randomBytes(respSize), FULL_ENVELOPE);

  const qmf = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await consoleS.callMethod(target, "noop");
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  // One call of each in turn: the machine's load (other processes, the broker's scheduling)
  // changes from second to second and must weigh on all three alike.
  for (let i = 0; i < 2000; i++) {
    await qmf();
    await bare.call();
    await enveloped.call();
  }
  const qmfMs: number[] = [];
  const bareMs: number[] = [];
  const envMs: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    qmfMs.push(await qmf());
    bareMs.push(await bare.call());
    envMs.push(await enveloped.call());
  }
  if (process.env.BENCH_ENVELOPE_PARTS === "1") {
    await envelopeParts(bare, reqSize, respSize);
  }
  await bare.close();
  await enveloped.close();
  for (const a of [qmfMs, bareMs, envMs]) a.sort((x, y) => x - y);
  const rttP50 = percentile(qmfMs, 50);
  const rttP99 = percentile(qmfMs, 99);
  const bareP50 = percentile(bareMs, 50);
  const bareP99 = percentile(bareMs, 99);
  const envP50 = percentile(envMs, 50);
  const envP99 = percentile(envMs, 99);
  console.log(
    `method round trip, ${qmfMs.length} calls each, interleaved (request ${reqSize} B, response ${respSize} B):`,
  );
  console.log(
    `  qmf  callMethod (no-op)          p50 ${rttP50.toFixed(3)} ms  p99 ${rttP99.toFixed(3)} ms`,
  );
  console.log(
    `  bare amqplib request/reply       p50 ${bareP50.toFixed(3)} ms  p99 ${bareP99.toFixed(3)} ms`,
  );
  console.log(
    `  bare + QMF envelope, no QMF code p50 ${envP50.toFixed(3)} ms  p99 ${envP99.toFixed(3)} ms`,
  );
  console.log(
    `  ratio p50 qmf/bare ${(rttP50 / bareP50).toFixed(3)}, envelope/bare ${(envP50 / bareP50).toFixed(3)}, qmf/envelope ${(rttP50 / envP50).toFixed(3)}`,
  );

  // 10,000-object query.
  for (let i = 0; i < OBJECTS; i++) agent.setObject("Widget", `Widget:${i}`, widget(i, agent.name));
  // Let the 10,000 data indications of the new objects arrive first: they would compete.
  const settleBy = Date.now() + 60_000;
  while (consoleS.cachedObjects({ agentName: agent.name }).length < OBJECTS + 1) {
    if (Date.now() > settleBy) throw new Error("data indications did not arrive within 60 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  const times: number[] = [];
  let received = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    const objs = await consoleS.query({ agentName: agent.name, className: "Widget" });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    received = objs.length;
  }
  times.sort((a, b) => a - b);
  const query10k = times[2]!;
  console.log(
    `query of ${received} objects: median of 5 ${query10k.toFixed(1)} ms (${times.map((t) => t.toFixed(1)).join(", ")})`,
  );
  await consoleS.close();
  await agent.close();

  // Codec throughput on 100-object `_data` batches, as the agent sends them.
  const batch: QmfValue[] = [];
  for (let i = 0; i < 100; i++) {
    const w = widget(i, "example.org:bench:x");
    batch.push({
      _values: {
        ...w,
        shelf: { _agent_name: "example.org:bench:x", _object_name: `Shelf:${i}` },
      } as never,
      _object_id: {
        _agent_name: "example.org:bench:x",
        _object_name: `Widget:${i}`,
        _agent_epoch: 1,
      },
      _schema_id: {
        _package_name: "org.example.widgets",
        _class_name: "Widget",
        _type: "_data",
        _hash: Uuid.random(),
      },
      _create_ts: 1n,
      _update_ts: 2n,
      _delete_ts: 0n,
    });
  }
  const encoded = encodeList(batch);
  const measure = (fn: () => void): number => {
    for (let i = 0; i < 50; i++) fn();
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 1.5) {
      for (let i = 0; i < 20; i++) fn();
      bytes += 20 * encoded.length;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    }
    return bytes / elapsed / 1e6;
  };
  const encodeMbS = measure(() => encodeList(batch));
  const decodeMbS = measure(() => decodeList(encoded));
  console.log(
    `codec on a ${encoded.length}-byte 100-object batch: encode ${encodeMbS.toFixed(1)} MB/s, decode ${decodeMbS.toFixed(1)} MB/s`,
  );

  console.log(
    JSON.stringify({
      rtt_p50_ms: round(rttP50),
      rtt_p99_ms: round(rttP99),
      bare_p50_ms: round(bareP50),
      rtt_ratio: round(rttP50 / bareP50),
      query10k_ms: round(query10k, 1),
      encode_mb_s: round(encodeMbS, 1),
      decode_mb_s: round(decodeMbS, 1),
    }),
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

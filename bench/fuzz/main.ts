// `npm run fuzz`: a million random and mutated inputs (LVQ_FUZZ_INPUTS) for each decoder that
// reads untrusted bytes, seeded from real captured messages (seeds/, see capture.ts):
//
//   xdr    decodePacket on one libvirt packet, then its payload with the codec its header names
//   frame  FrameDecoder fed a stream of packets in random slices, each packet's payload decoded
//   map    decodeMap on an amqp/map body
//   list   decodeList on an amqp/list body
//
// Checks: nothing thrown but the decoder's typed refusal (libvirt ProtocolError, QMF
// CodecError); no input slower than TIME_BOUND_MS; the process's RSS under RSS_LIMIT_MB.
// Each target runs in a worker thread, so this thread can sample memory and stop a worker
// that makes no progress at all (a loop that never returns). A failing input is saved to a
// file, and its path and hex are printed. The last line of output is one JSON object.
//
// LVQ_FUZZ_SEED (a run's inputs are a function of its seed: the same seed repeats the run),
// LVQ_FUZZ_INPUTS (per target), LVQ_FUZZ_TARGETS (comma-separated), LVQ_FUZZ_OUT (where
// failing inputs go; default a folder in the temp dir).
import { randomInt } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { type Failure, inputAt } from "./campaign.js";
import { loadSeeds } from "./seeds.js";
import { makeTarget, TARGET_NAMES, type TargetName } from "./target.js";
import type { WorkerJob, WorkerReport } from "./worker.js";

/** Per-input bound (ms). Inputs decode in microseconds; a pause of the process is ruled out by reruns (campaign.ts). */
const TIME_BOUND_MS = 100;
/**
 * The whole process's RSS bound. A full run peaks at 230–280 MB (node and tsx, this thread's
 * isolate, one worker's, and the worker's garbage between collections).
 * Inputs are at most 256 KiB and the decoders check every length against the bytes present
 * before allocating, so one input costs at most a few MB, and is garbage once decoded. A
 * decoder that allocated from a length it had not checked (up to 4 GiB from one word) or
 * kept its inputs alive would pass 512 MB within seconds.
 */
const RSS_LIMIT_MB = 512;
/** A worker's JS heap cap: a heap blow-up ends the worker, reported against its input. */
const WORKER_HEAP_MB = 256;
/** A worker whose input index has not moved for this long is stuck in a decoder. */
const STALL_MS = 10_000;
/** Failures printed in full per target (the rest are counted); also the hangs a target may have before it is stopped. */
const SHOWN_FAILURES = 10;

interface Settings {
  seed: number;
  inputs: number;
  targets: TargetName[];
  outDir: string;
}

function settings(): Settings {
  const env = process.env;
  const seed = env.LVQ_FUZZ_SEED ? Number(env.LVQ_FUZZ_SEED) : randomInt(0, 2 ** 32 - 1);
  const inputs = env.LVQ_FUZZ_INPUTS ? Number(env.LVQ_FUZZ_INPUTS) : 1_000_000;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`LVQ_FUZZ_SEED must be an integer in 0..2^32-1, got ${env.LVQ_FUZZ_SEED}`);
  }
  if (!Number.isInteger(inputs) || inputs < 0) {
    throw new Error(`LVQ_FUZZ_INPUTS must be a whole number, got ${env.LVQ_FUZZ_INPUTS}`);
  }
  const targets = (env.LVQ_FUZZ_TARGETS?.split(",") ?? [...TARGET_NAMES]).map((t) => t.trim());
  for (const t of targets) {
    if (!(TARGET_NAMES as readonly string[]).includes(t)) {
      throw new Error(`LVQ_FUZZ_TARGETS: unknown target ${t} (${TARGET_NAMES.join(", ")})`);
    }
  }
  const outDir = env.LVQ_FUZZ_OUT ?? join(tmpdir(), `lvq-fuzz-${seed}`);
  return { seed, inputs, targets: targets as TargetName[], outDir };
}

/** How one target's run went, from its worker's result or from what this thread saw. */
interface TargetReport {
  inputs: number;
  crashes: number;
  hangs: number;
  slowestMs: number;
  line: string;
}

/**
 * A worker thread does not inherit tsx's loader (it hooks only the thread that registered
 * it), so each worker registers it first and imports worker.ts through it.
 */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) =>
  tsx.tsImport(${JSON.stringify(new URL("./worker.ts", import.meta.url).href)}, ${JSON.stringify(import.meta.url)}))`;

const rss = () => process.memoryUsage.rss() / 2 ** 20;

class Run {
  maxRssMb = rss();
  rssExceeded = false;
  private readonly shown = new Map<string, number>();

  constructor(readonly s: Settings) {}

  /** Saves the input, prints where and its hex, and how to rerun up to it. */
  report(f: Failure): void {
    const shown = (this.shown.get(f.target) ?? 0) + 1;
    this.shown.set(f.target, shown);
    if (shown > SHOWN_FAILURES) return;
    mkdirSync(this.s.outDir, { recursive: true });
    const file = join(this.s.outDir, `${f.target}-${f.index}.bin`);
    writeFileSync(file, f.input);
    const hex = Buffer.from(f.input.subarray(0, 4096)).toString("hex");
    console.log(`FAIL ${f.target} input ${f.index} (${f.kind}): ${f.error}`);
    console.log(`  saved ${file} (${f.input.length} bytes)`);
    console.log(`  hex ${hex}${f.input.length > 4096 ? " … (the file has all of it)" : ""}`);
    console.log(
      `  rerun: LVQ_FUZZ_SEED=${this.s.seed} LVQ_FUZZ_TARGETS=${f.target} LVQ_FUZZ_INPUTS=${f.index + 1} npm run fuzz`,
    );
  }

  hiddenFailures(target: string): number {
    return Math.max(0, (this.shown.get(target) ?? 0) - SHOWN_FAILURES);
  }

  /** One target in a worker, watched: memory, progress, a worker that dies. */
  runTarget(name: TargetName): Promise<TargetReport> {
    const started = performance.now();
    const progress = new SharedArrayBuffer(4);
    const slot = new Int32Array(progress);
    const job: WorkerJob = {
      target: name,
      seed: this.s.seed,
      inputs: this.s.inputs,
      timeBoundMs: TIME_BOUND_MS,
      maxHangs: SHOWN_FAILURES,
      progress,
    };
    const worker = new Worker(WORKER_BOOT, {
      eval: true,
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    let failures = 0;
    let hangs = 0;
    let stopped: Failure | null = null;
    let settled = false;
    return new Promise((resolve, reject) => {
      let lastIndex = -1;
      let lastMove = performance.now();
      /** Ends the worker and blames the input it is on. */
      const stop = (kind: Failure["kind"], error: string) => {
        if (stopped) return;
        const index = Atomics.load(slot, 0);
        const { input } = inputAt(makeTarget(name), this.s.seed, index);
        stopped = { target: name, index, kind, input, error };
        worker.terminate();
      };
      const watch = setInterval(() => {
        const mb = rss();
        this.maxRssMb = Math.max(this.maxRssMb, mb);
        if (mb > RSS_LIMIT_MB) {
          this.rssExceeded = true;
          stop(
            "memory",
            `process RSS ${mb.toFixed(0)} MB is over ${RSS_LIMIT_MB} MB (while decoding this input)`,
          );
        }
        const index = Atomics.load(slot, 0);
        if (index !== lastIndex) {
          lastIndex = index;
          lastMove = performance.now();
        } else if (performance.now() - lastMove > STALL_MS) {
          stop("hang", `no progress for ${STALL_MS / 1000} s: stopped`);
        }
      }, 100);
      worker.on("message", (r: WorkerReport) => {
        if (r.type === "failure") {
          failures++;
          if (r.failure.kind === "hang") hangs++;
          this.report({ ...r.failure, input: Buffer.from(r.failure.input) });
          return;
        }
        const x = r.result;
        settled = true;
        clearInterval(watch);
        this.maxRssMb = Math.max(this.maxRssMb, x.maxRssMb);
        resolve({
          inputs: x.inputs,
          crashes: x.crashes,
          hangs: x.hangs,
          slowestMs: x.slowestMs,
          line: `${x.inputs} inputs: ${x.decoded} decoded, ${x.refused} refused, ${x.crashes} crashes (${x.hangs} hangs); slowest ${x.slowestMs.toFixed(2)} ms; ${x.seconds.toFixed(1)} s`,
        });
      });
      worker.on("error", (err: Error & { code?: string }) => {
        if (err.code === "ERR_WORKER_OUT_OF_MEMORY") {
          stop("memory", `worker out of JS heap (${WORKER_HEAP_MB} MB): ${err.message}`);
        } else {
          // A fault of the harness, not of an input: the run cannot go on.
          clearInterval(watch);
          reject(err);
        }
      });
      worker.on("exit", () => {
        clearInterval(watch);
        if (settled || !stopped) return; // the result came first
        failures++;
        if (stopped.kind === "hang") hangs++;
        this.report(stopped);
        const inputs = stopped.index + 1;
        const seconds = (performance.now() - started) / 1000;
        resolve({
          inputs,
          crashes: failures,
          hangs,
          slowestMs: stopped.kind === "hang" ? STALL_MS : 0,
          line: `stopped at input ${stopped.index} (${stopped.kind}) after ${seconds.toFixed(1)} s`,
        });
      });
    });
  }
}

async function main(): Promise<void> {
  const s = settings();
  const started = performance.now();
  console.log(
    `lvq fuzz: seed ${s.seed} (LVQ_FUZZ_SEED=${s.seed} repeats this run), ${s.inputs} inputs per decoder, ` +
      `${TIME_BOUND_MS} ms per input (one over 1 ms is timed again, best of four), RSS under ${RSS_LIMIT_MB} MB`,
  );
  console.log(
    `seeds: ${loadSeeds("xdr").length} libvirt packets, ${loadSeeds("map").length} amqp/map bodies, ` +
      `${loadSeeds("list").length} amqp/list bodies (bench/fuzz/seeds)`,
  );
  const run = new Run(s);
  const reports = new Map<TargetName, TargetReport>();
  for (const name of s.targets) {
    if (run.rssExceeded) break;
    const r = await run.runTarget(name);
    reports.set(name, r);
    const hidden = run.hiddenFailures(name);
    console.log(`${name.padEnd(5)} ${r.line}${hidden ? ` (${hidden} failures not shown)` : ""}`);
  }
  const sum = (f: (r: TargetReport) => number) =>
    [...reports.values()].reduce((n, r) => n + f(r), 0);
  const summary = {
    xdr_inputs: reports.get("xdr")?.inputs ?? 0,
    frame_inputs: reports.get("frame")?.inputs ?? 0,
    map_inputs: reports.get("map")?.inputs ?? 0,
    list_inputs: reports.get("list")?.inputs ?? 0,
    crashes: sum((r) => r.crashes),
    hangs: sum((r) => r.hangs),
    slowest_ms: Number(Math.max(0, ...[...reports.values()].map((r) => r.slowestMs)).toFixed(2)),
    max_rss_mb: Math.round(run.maxRssMb),
    rss_limit_mb: RSS_LIMIT_MB,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    seed: s.seed,
  };
  if (summary.crashes > 0 || run.rssExceeded) process.exitCode = 1;
  console.log(JSON.stringify(summary));
}

await main();

// `npm run bench:libvirt`: our TypeScript libvirt client side by side with Debian's
// python3-libvirt (the official C library, run with /usr/bin/python3) against the same
// libvirtd in the same run.
//   1. DOMAIN_GET_INFO calls/s, one at a time (goal ≥ 1.1× Python)
//   2. the same with 16 calls in flight vs 16 Python threads on one connection (goal ≥ 1.2×)
//   3. a 10,000-domain test-driver host: list all + one bulk stats call, vs one GET_INFO per
//      domain (the 2008 design) — goal ≤ 1 s and ≥ 5× faster; plus our client's RSS.
// The last output line is one JSON object with the figures.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, type Domain, type LibvirtClient, StatsTypes } from "../src/libvirt/index.js";
import { writeTestDriverFile } from "../test/support/testdriver.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IN_FLIGHT = 16;
const BIG = 10_000;
const PYTHON = "/usr/bin/python3";
const here = dirname(fileURLToPath(import.meta.url));

function ensurePythonLibvirt(): void {
  const probe = spawnSync(PYTHON, ["-c", "import libvirt"], { stdio: "ignore" });
  if (probe.status === 0) return;
  console.log("python3-libvirt is missing: installing it with apt-get …");
  if (process.getuid?.() !== 0) {
    throw new Error(
      "python3-libvirt is not installed; run as root or: apt-get install python3-libvirt",
    );
  }
  execFileSync("apt-get", ["install", "-y", "-q", "python3-libvirt"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

async function seqCallsPerSecond(c: LibvirtClient, d: Domain, seconds: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await c.domainGetInfo(d);
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

async function parCallsPerSecond(
  c: LibvirtClient,
  d: Domain,
  seconds: number,
  inFlight: number,
): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      await c.domainGetInfo(d);
      n++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return n / ((performance.now() - start) / 1000);
}

const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(10);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  ensurePythonLibvirt();
  const dir = mkdtempSync(join(tmpdir(), "lvq-bench-libvirt-"));
  try {
    // A private one-domain host for the call-rate measurements, a 10k-domain host for (3).
    const smallUri = writeTestDriverFile(join(dir, "small.xml"), {
      domains: 1,
      pools: 0,
      volumesPerPool: 0,
      namePrefix: "bench-",
    });
    const bigUri = writeTestDriverFile(join(dir, "big.xml"), {
      domains: BIG,
      pools: 0,
      volumesPerPool: 0,
      namePrefix: "big-",
    });
    // Python gets the same test+unix:// URIs: a plain test:/// URI would run the test driver
    // inside the Python process instead of going through libvirtd.

    console.log(
      `libvirt RPC benchmark: ${ROUNDS} interleaved rounds of ${SECONDS} s per call-rate measurement (medians), same libvirtd`,
    );
    const python = (args: string[]) => {
      const r = spawnSync(PYTHON, [join(here, "libvirt-baseline.py"), ...args], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
      });
      if (r.status !== 0) throw new Error(`python baseline failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split("\n").pop() as string) as Record<string, number>;
    };
    const pyCalls = (threads: number) =>
      python(["calls", smallUri, "bench-dom-0", String(SECONDS), String(threads)]);

    const c = await connect(smallUri, { maxInFlight: IN_FLIGHT });
    const d = await c.domainLookupByName("bench-dom-0");
    for (let i = 0; i < 200; i++) await c.domainGetInfo(d); // warm-up (JIT)
    // Alternate the two clients so that load from anything else on the machine hits both.
    const seqOurs: number[] = [];
    const seqPy: number[] = [];
    const parOurs: number[] = [];
    const parPy: number[] = [];
    let pyVersion = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const p1 = pyCalls(1);
      pyVersion = p1.version as number;
      seqPy.push(p1.calls_s as number);
      seqOurs.push(await seqCallsPerSecond(c, d, SECONDS));
      parPy.push(pyCalls(IN_FLIGHT).calls_s as number);
      parOurs.push(await parCallsPerSecond(c, d, SECONDS, IN_FLIGHT));
    }
    await c.close();
    const seq = median(seqOurs);
    const par = median(parOurs);
    const pyInventory = python(["inventory", bigUri]);
    const pyOut = {
      seq_calls_s: median(seqPy),
      par_calls_s: median(parPy),
      inventory10k_ms: pyInventory.inventory10k_ms as number,
      per_domain10k_ms: pyInventory.per_domain10k_ms as number,
      version: pyVersion,
    };

    // The 10k-domain host: each way three times, medians. The per-domain way is the 2008
    // design: list, then one GET_INFO per domain, one at a time.
    const big = await connect(bigUri, { callTimeoutMs: 120_000 });
    const inventoryRuns: number[] = [];
    const perDomainRuns: number[] = [];
    for (let round = 0; round < 3; round++) {
      let t = performance.now();
      const doms = await big.listAllDomains();
      const stats = await big.getAllDomainStats([], StatsTypes.STATE);
      inventoryRuns.push(performance.now() - t);
      if (doms.length !== BIG || stats.length !== BIG) {
        throw new Error(
          `expected ${BIG} domains, got ${doms.length} listed, ${stats.length} stats`,
        );
      }
      t = performance.now();
      const again = await big.listAllDomains();
      for (const dom of again) await big.domainGetInfo(dom);
      perDomainRuns.push(performance.now() - t);
    }
    const inventoryMs = median(inventoryRuns);
    const perDomainMs = median(perDomainRuns);
    const rssMb = process.memoryUsage().rss / (1024 * 1024);
    await big.close();

    const seqRatio = seq / pyOut.seq_calls_s;
    const parRatio = par / pyOut.par_calls_s;
    console.log(
      `python3-libvirt ${pyOut.version} (C library) via ${PYTHON}; Node ${process.version}`,
    );
    const rounds = (xs: number[]) => xs.map((x) => Math.round(x)).join(" / ");
    console.log(`rounds, one at a time: ours ${rounds(seqOurs)}; python ${rounds(seqPy)}`);
    console.log(
      `rounds, ${IN_FLIGHT} in flight:  ours ${rounds(parOurs)}; python ${rounds(parPy)}`,
    );
    console.log("measurement                                      ours      python     ratio");
    console.log(
      `1. DOMAIN_GET_INFO calls/s, one at a time  ${fmt(seq)}  ${fmt(pyOut.seq_calls_s)}  ${fmt(seqRatio, 2)}x  (goal >= 1.1x)`,
    );
    console.log(
      `2. DOMAIN_GET_INFO calls/s, ${IN_FLIGHT} in flight   ${fmt(par)}  ${fmt(pyOut.par_calls_s)}  ${fmt(parRatio, 2)}x  (goal >= 1.2x; python: ${IN_FLIGHT} threads)`,
    );
    console.log(
      `3. ${BIG} domains: list + 1 bulk stats call   ${fmt(inventoryMs, 1)} ms ${fmt(pyOut.inventory10k_ms, 1)} ms`,
    );
    console.log(
      `   ${BIG} domains: list + GET_INFO each      ${fmt(perDomainMs, 1)} ms ${fmt(pyOut.per_domain10k_ms, 1)} ms`,
    );
    console.log(
      `   bulk vs per-domain (ours): ${(perDomainMs / inventoryMs).toFixed(1)}x faster (goal <= 1000 ms and >= 5x); client RSS ${rssMb.toFixed(1)} MB`,
    );
    const round = (n: number, digits: number) => Number(n.toFixed(digits));
    console.log(
      JSON.stringify({
        seq_calls_s: Math.round(seq),
        seq_ratio: round(seqRatio, 2),
        par_calls_s: Math.round(par),
        par_ratio: round(parRatio, 2),
        inventory10k_ms: round(inventoryMs, 1),
        per_domain10k_ms: round(perDomainMs, 1),
        rss_mb: round(rssMb, 1),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

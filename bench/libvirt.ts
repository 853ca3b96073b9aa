// `npm run bench:libvirt`: our TypeScript libvirt client side by side with Debian's
// python3-libvirt (the official C library, run with /usr/bin/python3) against the same
// libvirtd in the same run.
//   1. DOMAIN_GET_INFO calls/s, one at a time (goal ≥ 1.1× Python)
//   2. the same with 16 calls in flight on one connection vs 16 Python threads on one
//      connection (goal ≥ 1.2×); our client's in-flight bound is raised to 16 so that all 16
//      are on the wire, as the C library puts every thread's call on the wire
//   For 1 and 2 both sides also report CPU time (user + sys of their own process) per call,
//   which other load on the machine disturbs much less than calls/s, and libvirtd's CPU time
//   per call while serving them (it counts whatever else the daemon serves meanwhile).
//   3. a 10,000-domain test-driver host: list all + one bulk stats call, vs one GET_INFO per
//      domain (the 2008 design) — goal ≤ 1 s and ≥ 5× faster; plus our client's RSS.
// The last output line is one JSON object with the figures.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, type Domain, type LibvirtClient, StatsTypes } from "../src/libvirt/index.js";
import { writeTestDriverFile } from "../test/support/testdriver.js";
import { loadAverage, median, procCpuMs } from "./measure.js";

// Many short rounds rather than a few long ones: the medians then shrug off the bursts of
// load that other work on a small machine brings.
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
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

/**
 * One timed run: calls/s, the client process's CPU time (user + sys, all threads) per call,
 * and libvirtd's CPU time per call over the same time (NaN when it cannot be read).
 */
interface CallRun {
  calls_s: number;
  cpu_us_per_call: number;
  daemon_cpu_us_per_call: number;
  /** The whole machine's idle share over the run, % (NaN if /proc/stat cannot be read). */
  idle_pct: number;
  /** Rescheduling IPIs (one CPU waking a thread on another) per call, machine-wide. */
  ipis_per_call: number;
}

/**
 * Machine-wide counters that explain a call rate on a small machine: idle and total CPU ticks
 * (/proc/stat) and rescheduling interrupts (/proc/interrupts, RES). On a virtual machine
 * each rescheduling IPI to an idle vCPU is an exit to the hypervisor and a wake from halt,
 * and that cost lands on whichever process sends or receives it, libvirtd included.
 */
function machineCounters(): { idle: number; total: number; ipis: number } {
  try {
    const cpu = (readFileSync("/proc/stat", "utf8").split("\n")[0] as string)
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const res = readFileSync("/proc/interrupts", "utf8")
      .split("\n")
      .find((l) => l.trimStart().startsWith("RES:"));
    const ipis = res
      ? res
          .trim()
          .split(/\s+/)
          .slice(1)
          .filter((f) => /^\d+$/.test(f))
          .reduce((a, b) => a + Number(b), 0)
      : Number.NaN;
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0); // idle + iowait
    return { idle, total: cpu.slice(0, 8).reduce((a, b) => a + b, 0), ipis };
  } catch {
    return { idle: Number.NaN, total: Number.NaN, ipis: Number.NaN };
  }
}

/** libvirtd's pid from its pid file, for reading its CPU time; undefined if unknown. */
function libvirtdPid(): string | undefined {
  try {
    const pid = readFileSync("/run/libvirtd.pid", "utf8").trim();
    return /^\d+$/.test(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
const LIBVIRTD_PID = libvirtdPid();

/** libvirtd's user + sys CPU time in µs (all threads), NaN if it cannot be read. */
function daemonCpuMicros(): number {
  if (!LIBVIRTD_PID) return Number.NaN;
  try {
    return procCpuMs(Number(LIBVIRTD_PID)) * 1000;
  } catch {
    return Number.NaN;
  }
}

/**
 * Calls DOMAIN_GET_INFO for `seconds` from `inFlight` loops on one connection, each awaiting
 * its reply before the next call (inFlight 1 = one at a time).
 */
async function timedCalls(
  c: LibvirtClient,
  d: Domain,
  seconds: number,
  inFlight: number,
): Promise<CallRun> {
  let n = 0;
  const cpu = process.cpuUsage();
  const daemon = daemonCpuMicros();
  const machine = machineCounters();
  const start = performance.now();
  const end = start + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      await c.domainGetInfo(d);
      n++;
    }
  };
  if (inFlight === 1) await loop();
  else await Promise.all(Array.from({ length: inFlight }, loop));
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const daemonUsed = daemonCpuMicros() - daemon;
  const after = machineCounters();
  return {
    calls_s: n / elapsed,
    cpu_us_per_call: (used.user + used.system) / n,
    daemon_cpu_us_per_call: daemonUsed / n,
    idle_pct: ((after.idle - machine.idle) / (after.total - machine.total)) * 100,
    ipis_per_call: (after.ipis - machine.ipis) / n,
  };
}

/** libvirtd's per-client limit of calls it runs at once, as its config file sets it. */
function maxClientRequests(): string {
  try {
    const conf = readFileSync("/etc/libvirt/libvirtd.conf", "utf8");
    const m = /^\s*max_client_requests\s*=\s*(\d+)/m.exec(conf);
    return m ? `${m[1]} (libvirtd.conf)` : "5 (libvirtd's default)";
  } catch {
    return "5 (libvirtd's default; libvirtd.conf not readable)";
  }
}

const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(10);

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
    console.log(`load average at start: ${loadAverage()}`);
    const python = (args: string[]) => {
      const r = spawnSync(PYTHON, [join(here, "libvirt-baseline.py"), ...args], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
        env: { ...process.env, LIBVIRTD_PID: LIBVIRTD_PID ?? "" },
      });
      if (r.status !== 0) throw new Error(`python baseline failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split("\n").pop() as string) as Record<string, number>;
    };
    let pyVersion = 0;
    const pyCalls = (threads: number): CallRun => {
      const r = python(["calls", smallUri, "bench-dom-0", String(SECONDS), String(threads)]);
      pyVersion = r.version as number;
      return {
        calls_s: r.calls_s as number,
        cpu_us_per_call: r.cpu_us_per_call as number,
        daemon_cpu_us_per_call: (r.daemon_cpu_us_per_call as number | undefined) ?? Number.NaN,
        idle_pct: (r.idle_pct as number | undefined) ?? Number.NaN,
        ipis_per_call: (r.ipis_per_call as number | undefined) ?? Number.NaN,
      };
    };

    const c = await connect(smallUri, { maxInFlight: IN_FLIGHT });
    const d = await c.domainLookupByName("bench-dom-0");
    for (let i = 0; i < 200; i++) await c.domainGetInfo(d); // warm-up (JIT)
    // Alternate the two clients so that load from anything else on the machine hits both.
    const seqOurs: CallRun[] = [];
    const seqPy: CallRun[] = [];
    const parOurs: CallRun[] = [];
    const parPy: CallRun[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Who goes first alternates too, so neither side always runs right after the other.
      if (round % 2 === 0) {
        seqPy.push(pyCalls(1));
        seqOurs.push(await timedCalls(c, d, SECONDS, 1));
        parPy.push(pyCalls(IN_FLIGHT));
        parOurs.push(await timedCalls(c, d, SECONDS, IN_FLIGHT));
      } else {
        seqOurs.push(await timedCalls(c, d, SECONDS, 1));
        seqPy.push(pyCalls(1));
        parOurs.push(await timedCalls(c, d, SECONDS, IN_FLIGHT));
        parPy.push(pyCalls(IN_FLIGHT));
      }
    }
    await c.close();
    const rate = (runs: CallRun[]) => median(runs.map((r) => r.calls_s));
    const cpuPerCall = (runs: CallRun[]) => median(runs.map((r) => r.cpu_us_per_call));
    const daemonPerCall = (runs: CallRun[]) => median(runs.map((r) => r.daemon_cpu_us_per_call));
    const idlePct = (runs: CallRun[]) => median(runs.map((r) => r.idle_pct));
    const ipisPerCall = (runs: CallRun[]) => median(runs.map((r) => r.ipis_per_call));
    const seq = rate(seqOurs);
    const par = rate(parOurs);
    const pyInventory = python(["inventory", bigUri]);
    const pyOut = {
      seq_calls_s: rate(seqPy),
      par_calls_s: rate(parPy),
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
    // Each round runs both clients back to back, under about the same load: the median of the
    // rounds' own ratios is the steadier comparison when the load comes and goes.
    const pairedRatio = (ours: CallRun[], py: CallRun[]) =>
      median(ours.map((r, i) => r.calls_s / (py[i] as CallRun).calls_s));
    const seqPaired = pairedRatio(seqOurs, seqPy);
    const parPaired = pairedRatio(parOurs, parPy);
    const seqCpu = cpuPerCall(seqOurs);
    const pySeqCpu = cpuPerCall(seqPy);
    const parCpu = cpuPerCall(parOurs);
    const pyParCpu = cpuPerCall(parPy);
    console.log(
      `python3-libvirt ${pyOut.version} (C library) via ${PYTHON}; Node ${process.version}; load average at end: ${loadAverage()}`,
    );
    const rounds = (runs: CallRun[]) => runs.map((r) => Math.round(r.calls_s)).join(" / ");
    const cpuRounds = (runs: CallRun[]) =>
      runs.map((r) => r.cpu_us_per_call.toFixed(1)).join(" / ");
    console.log(
      `in flight for 2.: ${IN_FLIGHT} calls on one connection, all on the wire (our maxInFlight = ${IN_FLIGHT}; python: ${IN_FLIGHT} threads sharing one connection); libvirtd runs at most max_client_requests = ${maxClientRequests()} of them at a time`,
    );
    console.log(`rounds, one at a time, calls/s: ours ${rounds(seqOurs)}; python ${rounds(seqPy)}`);
    console.log(
      `rounds, ${IN_FLIGHT} in flight, calls/s:  ours ${rounds(parOurs)}; python ${rounds(parPy)}`,
    );
    console.log(
      `rounds, one at a time, CPU us/call: ours ${cpuRounds(seqOurs)}; python ${cpuRounds(seqPy)}`,
    );
    console.log(
      `rounds, ${IN_FLIGHT} in flight, CPU us/call:  ours ${cpuRounds(parOurs)}; python ${cpuRounds(parPy)}`,
    );
    console.log("measurement (medians)                            ours      python     ratio");
    console.log(
      `1. DOMAIN_GET_INFO calls/s, one at a time  ${fmt(seq)}  ${fmt(pyOut.seq_calls_s)}  ${fmt(seqRatio, 2)}x  (goal >= 1.1x)`,
    );
    console.log(
      `   median of the rounds' own ratios                              ${fmt(seqPaired, 2)}x`,
    );
    console.log(
      `   CPU us per call (user+sys, client)      ${fmt(seqCpu, 1)}  ${fmt(pySeqCpu, 1)}  ${fmt(pySeqCpu / seqCpu, 2)}x  (python / ours: above 1 = ours cheaper)`,
    );
    console.log(
      `   libvirtd CPU us per call meanwhile      ${fmt(daemonPerCall(seqOurs), 1)}  ${fmt(daemonPerCall(seqPy), 1)}`,
    );
    console.log(
      `   machine idle % / rescheduling IPIs per call ${fmt(idlePct(seqOurs), 1)}  ${fmt(idlePct(seqPy), 1)}   ${ipisPerCall(seqOurs).toFixed(3)} vs ${ipisPerCall(seqPy).toFixed(3)}`,
    );
    console.log(
      `2. DOMAIN_GET_INFO calls/s, ${IN_FLIGHT} in flight   ${fmt(par)}  ${fmt(pyOut.par_calls_s)}  ${fmt(parRatio, 2)}x  (goal >= 1.2x; python: ${IN_FLIGHT} threads)`,
    );
    console.log(
      `   median of the rounds' own ratios                              ${fmt(parPaired, 2)}x`,
    );
    console.log(
      `   CPU us per call (user+sys, client)      ${fmt(parCpu, 1)}  ${fmt(pyParCpu, 1)}  ${fmt(pyParCpu / parCpu, 2)}x  (python / ours)`,
    );
    console.log(
      `   libvirtd CPU us per call meanwhile      ${fmt(daemonPerCall(parOurs), 1)}  ${fmt(daemonPerCall(parPy), 1)}`,
    );
    console.log(
      `   machine idle % / rescheduling IPIs per call ${fmt(idlePct(parOurs), 1)}  ${fmt(idlePct(parPy), 1)}   ${ipisPerCall(parOurs).toFixed(3)} vs ${ipisPerCall(parPy).toFixed(3)}`,
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
        seq_ratio_paired: round(seqPaired, 2),
        par_ratio_paired: round(parPaired, 2),
        seq_cpu_us: round(seqCpu, 1),
        py_seq_cpu_us: round(pySeqCpu, 1),
        par_cpu_us: round(parCpu, 1),
        py_par_cpu_us: round(pyParCpu, 1),
        par_daemon_cpu_us: round(daemonPerCall(parOurs), 1),
        py_par_daemon_cpu_us: round(daemonPerCall(parPy), 1),
        par_idle_pct: round(idlePct(parOurs), 1),
        py_par_idle_pct: round(idlePct(parPy), 1),
        par_ipis_per_call: round(ipisPerCall(parOurs), 3),
        py_par_ipis_per_call: round(ipisPerCall(parPy), 3),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

// A second libvirt host on this machine for migration tests, through scripts/two-hosts.sh
// (see shared/design/TWO-HOSTS.md). Several test files (and runs) may use it at once, so each
// takes a lease; the last one to release it takes it down, and only if a test brought it up
// (a second host someone started by hand is left as it was).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/two-hosts.sh", import.meta.url));
const DIR = process.env.LVQ_HOST2_DIR ?? "/var/tmp/lvq-host2";
const LEASES = join(DIR, "leases");
const STARTED_BY_TEST = join(DIR, "started-by-test");

/** The running second host. */
export interface SecondHost {
  /** Its libvirt URI, as the machine's own libvirtd reaches it: qemu+tcp://127.0.0.1:16510/system. */
  uri: string;
  /** The same daemon through its unix socket (what an agent on that "host" connects to). */
  localUri: string;
  /** Whether this call started it. */
  startedHere: boolean;
  /** Its libvirtd's pid (from the pid file in its folder, LVQ_HOST2_DIR). */
  daemonPid(): number;
  /** Drops this lease; the last lease holder stops a second host that a test started. */
  release(): Promise<void>;
}

type Verb = "up" | "down" | "status" | "socket" | "stop-daemon" | "start-daemon";

/** Runs scripts/two-hosts.sh with one verb. */
export async function twoHosts(verb: Verb): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run("bash", [SCRIPT, verb], { timeout: 120_000 });
    return { code: 0, stdout: stdout.trim() };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (verb === "status") return { code: e.code ?? 1, stdout: (e.stdout ?? "").trim() };
    throw new Error(`scripts/two-hosts.sh ${verb} failed: ${e.stderr ?? String(err)}`);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Leases of live processes (a crashed test's lease is dropped). */
function liveLeases(): string[] {
  if (!existsSync(LEASES)) return [];
  return readdirSync(LEASES).filter((f) => {
    const pid = Number(f.split("-")[0]);
    if (Number.isInteger(pid) && alive(pid)) return true;
    rmSync(join(LEASES, f), { force: true });
    return false;
  });
}

/** Brings the second host up (idempotent), takes a lease and returns it. */
export async function secondHostUp(): Promise<SecondHost> {
  mkdirSync(LEASES, { recursive: true });
  const lease = join(LEASES, `${process.pid}-${randomBytes(4).toString("hex")}`);
  writeFileSync(lease, "");
  const before = await twoHosts("status");
  const { stdout } = await twoHosts("up");
  const uri = stdout.split("\n").pop() ?? "";
  const startedHere = before.code !== 0;
  if (startedHere) writeFileSync(STARTED_BY_TEST, "");
  const socket = (await twoHosts("socket")).stdout;
  return {
    uri,
    localUri: `qemu+unix:///system?socket=${socket}`,
    startedHere,
    daemonPid: () => Number(readFileSync(join(DIR, "libvirtd.pid"), "utf8").trim()),
    async release() {
      rmSync(lease, { force: true });
      if (liveLeases().length === 0 && existsSync(STARTED_BY_TEST)) {
        rmSync(STARTED_BY_TEST, { force: true });
        await twoHosts("down");
      }
    },
  };
}

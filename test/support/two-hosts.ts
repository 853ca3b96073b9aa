// A second libvirt host on this machine for migration tests, through scripts/two-hosts.sh
// (see shared/design/TWO-HOSTS.md). A test brings it up and, if it was the one that brought it
// up, takes it down again; a second host that was already running is left as it was.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/two-hosts.sh", import.meta.url));

/** The running second host. */
export interface SecondHost {
  /** Its libvirt URI, as the machine's own libvirtd reaches it: qemu+tcp://127.0.0.1:16510/system. */
  uri: string;
  /** The same daemon through its unix socket (what an agent on that "host" connects to). */
  localUri: string;
  /** Whether this call started it (and `release` will stop it). */
  startedHere: boolean;
  /** Stops the second host if this call started it; otherwise does nothing. */
  release(): Promise<void>;
}

async function script(arg: "up" | "down" | "status" | "socket"): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run("bash", [SCRIPT, arg], { timeout: 120_000 });
    return { code: 0, stdout: stdout.trim() };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (arg === "status") return { code: e.code ?? 1, stdout: (e.stdout ?? "").trim() };
    throw new Error(`scripts/two-hosts.sh ${arg} failed: ${e.stderr ?? String(err)}`);
  }
}

/** Brings the second host up (idempotent) and returns it. */
export async function secondHostUp(): Promise<SecondHost> {
  const before = await script("status");
  const { stdout } = await script("up");
  const uri = stdout.split("\n").pop() ?? "";
  const startedHere = before.code !== 0;
  const socket = (await script("socket")).stdout;
  return {
    uri,
    localUri: `qemu+unix:///system?socket=${socket}`,
    startedHere,
    async release() {
      if (startedHere) await script("down");
    },
  };
}

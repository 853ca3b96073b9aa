// The 3-node RabbitMQ cluster of scripts/cluster.sh, for the tests and bench:fleet: its URLs,
// which node a connection is on, and the faults (kill -9, graceful stop, start, partition).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/cluster.sh", import.meta.url));

/** Node numbers of the cluster. */
export type NodeNo = 1 | 2 | 3;
export const NODES: readonly NodeNo[] = [1, 2, 3];

/** The AMQP URL of one node (guest may log in from 127.0.0.1 on these nodes). */
export const nodeUrl = (n: NodeNo): string => `amqp://guest:guest@127.0.0.1:${5680 + n}`;

/** Every node's URL, node 1 first. */
export const CLUSTER_URLS: readonly string[] = NODES.map(nodeUrl);

/** The node a URL (or a redacted one, `amqp://guest:***@127.0.0.1:5682`) points at. */
export function nodeOfUrl(url: string): NodeNo {
  const port = Number(new URL(url).port);
  const n = port - 5680;
  if (n !== 1 && n !== 2 && n !== 3) throw new Error(`${url} is not a node of the test cluster`);
  return n;
}

/** Runs `scripts/cluster.sh <args>`; its stdout. */
export async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [SCRIPT, ...args], {
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** Brings the cluster up (idempotent) and checks every node serves. */
export async function clusterUp(): Promise<void> {
  await cluster("up");
  for (const n of NODES) await cluster("start", String(n));
}

/** kill -9 of one node's Erlang VM (a crash: connections drop, nothing is handed over). */
export async function killNode(n: NodeNo): Promise<void> {
  const pid = Number((await cluster("pid", String(n))).trim());
  if (!pid) throw new Error(`node ${n} is not running`);
  process.kill(pid, "SIGKILL");
  // Gone once the pid is; the other nodes notice at once (the distribution link drops).
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`node ${n} (pid ${pid}) did not die`);
}

/** Starts a node again (after a kill or stop) and waits until it serves. */
export const startNode = (n: NodeNo): Promise<string> => cluster("start", String(n));

/** A graceful stop of one node (`rabbitmqctl stop`): clients see their connection closed. */
export const stopNode = (n: NodeNo): Promise<string> => cluster("ctl", String(n), "stop");

/** Cuts node `n` off from the other two (pause_minority pauses it); `healNode` undoes it. */
export const partitionNode = (n: NodeNo): Promise<string> => cluster("partition", String(n));
export const healNode = (n: NodeNo): Promise<string> => cluster("heal", String(n));

/** Whether node `n` accepts AMQP connections now. */
export async function serving(n: NodeNo): Promise<boolean> {
  const lines = (await cluster("status")).split("\n");
  return lines.some((l) => l.startsWith(`lvq${n}@`) && l.endsWith(" running"));
}

// A simulated fleet on this one machine: N `lvq agent` processes, each on its own libvirt
// test-driver file served by the one real libvirtd (a private host of D domains per agent),
// each with its own instance name, host UUID and state folder. The product stays one agent
// process per host; this only runs many of them side by side (tests and bench:fleet).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type SpawnedAgent, spawnAgent, tempDir } from "./agent.js";
import { testUuid, writeTestDriverFile } from "./testdriver.js";

/** The built CLI: agents run as deployed (plain JavaScript, no tsx in the process). */
export const BUILT_MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** How many agents (hosts). */
  agents: number;
  /** Domains per host (all running unless `runningDomains` is false). */
  domainsPerAgent: number;
  runningDomains?: boolean;
  /** Pools and volumes per host (default 1 pool of 2 volumes). */
  pools?: number;
  volumesPerPool?: number;
  /** Broker URLs (the agent's --broker list). */
  brokers: string[];
  /** Prefix of instance names and test-driver names (unique per run). */
  prefix: string;
  /** Seconds (default 2). */
  heartbeatIntervalS?: number;
  /** Seconds (default 10). */
  statsIntervalS?: number;
  /** Agents started at once (default 8: each start reads its whole host). */
  startConcurrency?: number;
  /** Extra arguments for every agent. */
  extraArgs?: string[];
}

/** One simulated host. */
export interface FleetHost {
  index: number;
  /** QMF instance name (also the host's name in `lvq`). */
  instance: string;
  hostUuid: string;
  /** The libvirt URI of its test-driver file. */
  uri: string;
  /** The file itself (virsh can open a private copy of it as `test:///<file>`). */
  file: string;
  agent: SpawnedAgent;
}

/** A running fleet; `stop()` ends every agent and removes the files. */
export interface Fleet {
  hosts: FleetHost[];
  dir: string;
  stop(): Promise<void>;
}

/** Starts the fleet; resolves once every agent has logged its first completed resync. */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const dir = tempDir("fleet");
  const hosts: FleetHost[] = [];
  const stop = async () => {
    await Promise.all(hosts.map((h) => h.agent.stop()));
    dir.remove();
  };
  try {
    const indexes = Array.from({ length: opts.agents }, (_, i) => i);
    const concurrency = opts.startConcurrency ?? 8;
    for (let at = 0; at < indexes.length; at += concurrency) {
      await Promise.all(
        indexes.slice(at, at + concurrency).map(async (i) => {
          const instance = `${opts.prefix}-h${i}`;
          const file = join(dir.path, `${instance}.xml`);
          const uri = writeTestDriverFile(file, {
            domains: opts.domainsPerAgent,
            pools: opts.pools ?? 1,
            volumesPerPool: opts.volumesPerPool ?? 2,
            runningDomains: opts.runningDomains ?? true,
            namePrefix: `${instance}-`,
            hostName: instance,
          });
          const hostUuid = testUuid(`${instance}-host`);
          const stateDir = join(dir.path, `${instance}.state`);
          const agent = spawnAgent(
            [
              "--uri",
              uri,
              "--broker",
              opts.brokers.join(","),
              "--instance",
              instance,
              "--host-uuid",
              hostUuid,
              "--state-dir",
              stateDir,
              "--heartbeat-interval",
              String(opts.heartbeatIntervalS ?? 2),
              "--stats-interval",
              String(opts.statsIntervalS ?? 10),
              "--log-level",
              "info",
              ...(opts.extraArgs ?? []),
            ],
            {},
            { main: BUILT_MAIN },
          );
          hosts[i] = { index: i, instance, hostUuid, uri, file, agent };
          await agent.waitForLog("resync done", 120_000);
        }),
      );
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { hosts, dir: dir.path, stop };
}

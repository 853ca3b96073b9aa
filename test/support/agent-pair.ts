// Two in-process agents (A and B) on private test-driver files and a fleet that sees both: the
// setup of the SDK, forEach and batch-verb tests.
import { join } from "node:path";
import { connectFleet, type Fleet } from "../../src/console/index.js";
import { type AgentHandle, startTestAgent, tempDir } from "./agent.js";
import { BROKER } from "./broker.js";
import { type TestDriverSpec, writeTestDriverFile } from "./testdriver.js";
import { waitFor } from "./wait.js";

/** Agents A and B and a fleet on the test broker. */
export interface AgentPair {
  agentA: AgentHandle;
  agentB: AgentHandle;
  fleet: Fleet;
  /** Both agents' QMF names: scope every fleet call with them, other runs share the broker. */
  ours: string[];
  /** The folder of the test-driver files (removed by stop). */
  dir: string;
  /** Closes the fleet, stops both agents, removes the folder. */
  stop(): Promise<void>;
}

/**
 * Starts agent A on a file of `specA` (instance `<prefix>-a`) and B on one of `specB`
 * (`<prefix>-b`), connects a fleet and resolves once it sees every domain of both.
 */
export async function startAgentPair(
  prefix: string,
  specA: TestDriverSpec,
  specB: TestDriverSpec,
): Promise<AgentPair> {
  const dir = tempDir(prefix);
  const started = await Promise.allSettled(
    [specA, specB].map((spec, i) => {
      const ab = "ab"[i]!;
      return startTestAgent({
        uri: writeTestDriverFile(join(dir.path, `${ab}.xml`), spec),
        instance: `${prefix}-${ab}`,
        broker: BROKER,
      });
    }),
  );
  const agents = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  let fleet: Fleet | undefined;
  const stop = async () => {
    await fleet?.close();
    await Promise.allSettled(agents.map((a) => a.stop()));
    dir.remove();
  };
  try {
    for (const r of started) if (r.status === "rejected") throw r.reason;
    const [agentA, agentB] = agents as [AgentHandle, AgentHandle];
    const ours = [agentA.name, agentB.name];
    const f = await connectFleet({ broker: BROKER });
    fleet = f;
    await waitFor(
      "both agents' domains",
      20_000,
      async () =>
        (await f.domains(undefined, { agents: ours })).length === specA.domains + specB.domains,
    );
    return { agentA, agentB, fleet: f, ours, dir: dir.path, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

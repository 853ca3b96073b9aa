// Agents for the console tests and the benchmark: H4's test agents (test/support/agent.ts),
// plus the host name the fleet shows for each (its hand-chosen instance name).
import { startTestAgent as startAgent, type TestAgentOptions } from "../support/agent.js";

/** A running agent as the console tests use it. */
export interface AgentHandle {
  /** QMF agent name, `vendor:product:instance`. */
  name: string;
  /** The host name lvq shows for it (the instance name, chosen by hand in tests). */
  host: string;
  stop(): Promise<void>;
}

/** Starts an in-process agent on `uri`; resolves once its objects are published. */
export async function startTestAgent(
  opts: TestAgentOptions & { instance: string },
): Promise<AgentHandle> {
  const h = await startAgent(opts);
  return { name: h.name, host: h.instance, stop: () => h.stop() };
}

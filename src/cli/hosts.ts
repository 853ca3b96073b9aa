// The agents a host option means: `--agent` (every agent of a host) and `--host` (exactly one),
// each given as a host name, an agent's instance name or its full name.
import type { Fleet } from "../console/index.js";
import { UsageError } from "./errors.js";

/** The agents `--agent` names; undefined when it was not given. NotFoundError for no agent. */
export function agentsOption(fleet: Fleet, agent: string | undefined): string[] | undefined {
  return agent === undefined ? undefined : fleet.agentsForHost(agent).map((a) => a.name);
}

/**
 * The one agent a `--host` (or a destination host) means: without one, the only agent there
 * is. A usage error names the choices when there are several.
 */
export function oneAgent(fleet: Fleet, host: string | undefined, what: string): string {
  if (host === undefined) {
    const all = fleet.agents();
    if (all.length === 1) return all[0]!.name;
    throw new UsageError(
      `${what}: ${all.length} hosts answer (${all.map((a) => a.host).join(", ")}); choose one with --host`,
    );
  }
  const agents = fleet.agentsForHost(host);
  if (agents.length > 1) {
    throw new UsageError(
      `${what}: host "${host}" has ${agents.length} agents (${agents.map((a) => a.name).join(", ")}); give the agent name`,
    );
  }
  return agents[0]!.name;
}

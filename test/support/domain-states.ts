// Domain states as the agents publish them (each domain's DomainInfo), read through the SDK:
// how the tests check what a call did, the way `virsh domstate` would on each host.
import type { Fleet } from "../../src/console/index.js";
import { waitFor } from "./wait.js";

/** Each domain's state by name, sorted by name, of the domains of `agents`. */
export async function domainStates(
  fleet: Fleet,
  agents: string[],
): Promise<Record<string, string>> {
  const found = await fleet.domains(undefined, { agents });
  const pairs = await Promise.all(found.map(async (d) => [d.name, (await d.domain_info).state]));
  return Object.fromEntries(pairs.sort(([a], [b]) => (a! < b! ? -1 : 1)));
}

/**
 * Waits (up to 5 s: agents publish right after each call) until the states of the domains
 * of `agents` are exactly `want`; the error says what was seen last.
 */
export async function statesBecome(
  fleet: Fleet,
  agents: string[],
  want: Record<string, string>,
): Promise<void> {
  const sorted = JSON.stringify(
    Object.fromEntries(Object.entries(want).sort(([a], [b]) => (a < b ? -1 : 1))),
  );
  let last = "";
  await waitFor(`states ${sorted}`, 5000, async () => {
    last = JSON.stringify(await domainStates(fleet, agents));
    return last === sorted;
  }).catch((e) => {
    throw new Error(`${(e as Error).message}; last seen ${last}`);
  });
}

/** `want` with these domains in `state`. */
export function withStates(
  want: Record<string, string>,
  domains: { name: string }[],
  state: string,
): Record<string, string> {
  return { ...want, ...Object.fromEntries(domains.map((d) => [d.name, state])) };
}

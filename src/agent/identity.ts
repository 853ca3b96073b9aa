// Who this agent is, across restarts: its instance name comes from the host's UUID (so the
// agent name stays the same), and its epoch (restart counter) is kept in a state file and
// incremented at every start, so consoles can tell a restart from a glitch.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { xmlText } from "../util/xml.js";

// This module loads no QMF code: the settings (config.ts) use it, and `lvq agent` reads them
// before it loads the rest of the agent.

/** Canonical lowercase UUID text, or undefined when `s` is not a UUID (with or without dashes). */
export function canonicalUuid(s: string): string | undefined {
  const hex = s.trim().toLowerCase().replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The host UUID in a capabilities document (`/capabilities/host/uuid`). */
export function hostUuidFromCapabilities(capsXml: string): string | undefined {
  const t = xmlText(capsXml, ["capabilities", "host", "uuid"]);
  return t === undefined ? undefined : canonicalUuid(t);
}

/** What the agent keeps between runs. */
export interface AgentState {
  /** Restart counter: 1 at the first start. */
  epoch: number;
  /** The host UUID last seen (lets the agent start with its name while libvirtd is down). */
  hostUuid?: string;
}

/** The state file of one agent instance (`<stateDir>/agent-<key>.json`). */
export function stateFile(stateDir: string, key: string): string {
  return join(stateDir, `agent-${key.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
}

/** Reads the state file (an absent file is a first start). */
export async function readAgentState(file: string): Promise<AgentState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const v = JSON.parse(text) as Partial<AgentState>;
  if (!Number.isInteger(v.epoch) || (v.epoch as number) < 0) {
    throw new Error(`${file}: "epoch" is not a non-negative integer`);
  }
  return {
    epoch: v.epoch as number,
    hostUuid: typeof v.hostUuid === "string" ? v.hostUuid : undefined,
  };
}

/** Writes the state file atomically (write a temporary file, then rename over). */
async function writeAgentState(file: string, state: AgentState): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state)}\n`, { mode: 0o644 });
  await rename(tmp, file);
}

/** Reads the last epoch, stores epoch + 1 (and the host UUID), returns the new state. */
export async function nextEpoch(file: string, hostUuid: string | undefined): Promise<AgentState> {
  const prev = await readAgentState(file);
  const next: AgentState = {
    epoch: ((prev?.epoch ?? 0) % 0x7fffffff) + 1,
    hostUuid: hostUuid ?? prev?.hostUuid,
  };
  await writeAgentState(file, next);
  return next;
}

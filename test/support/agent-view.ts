// One agent's objects and methods as a console sees them, for the agent tests: read one
// object, wait until it satisfies a condition or is gone, call a method, catch a refusal; and
// an agent on a private test-driver file with a console session of its own to see it by.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LibvirtClient } from "../../src/libvirt/index.js";
import {
  type ConsoleSession,
  isMethodError,
  type ObjectIdLike,
  type QmfObject,
} from "../../src/qmf/index.js";
import { type AgentHandle, openConsole, startTestAgent, tempDir } from "./agent.js";
import { type TestDriverSpec, writeTestDriverFile } from "./testdriver.js";
import { waitFor } from "./wait.js";

/** The object name a reference points at. */
export const refName = (v: unknown): string => (v as ObjectIdLike).objectName;

/** One agent seen through a console session. */
export interface AgentView {
  /** The object `objectName` of `className`, as the agent publishes it now. */
  one(className: string, objectName: string): Promise<QmfObject | undefined>;
  /** Calls a method (15 s timeout). */
  call(
    objectName: string,
    method: string,
    args?: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  /** The object's values once `pred` holds for them (within the view's wait). */
  when(
    className: string,
    objectName: string,
    pred: (v: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>>;
  /** Resolves once the agent no longer publishes the object (within the view's wait). */
  gone(className: string, objectName: string, what: string): Promise<unknown>;
  /** The values of domain `uuid`'s DomainInfo as published now. */
  info(uuid: string): Promise<Record<string, unknown> | undefined>;
  /** The values of domain `uuid`'s DomainInfo once `pred` holds for them (within the view's wait). */
  infoWhen(
    uuid: string,
    pred: (v: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>>;
}

/** The view of agent `agentName` through `qc`; `when`, `infoWhen` and `gone` wait up to `waitMs`. */
export function agentView(qc: ConsoleSession, agentName: string, waitMs = 5000): AgentView {
  const one = async (className: string, objectName: string) =>
    (
      await qc.query({
        agentName,
        packageName: "Libvirt",
        className,
        objectId: { agentName, objectName },
      })
    )[0];
  const when: AgentView["when"] = (className, objectName, pred, what) =>
    waitFor(what, waitMs, async () => {
      const o = await one(className, objectName);
      return o && pred(o.values) ? o.values : undefined;
    });
  return {
    one,
    call: (objectName, method, args = {}) =>
      qc.callMethod({ agentName, objectName }, method, args, { timeoutMs: 15_000 }),
    when,
    gone: (className, objectName, what) =>
      waitFor(what, waitMs, async () => (await one(className, objectName)) === undefined),
    info: async (uuid) => (await one("DomainInfo", `DomainInfo:${uuid}`))?.values,
    infoWhen: (uuid, pred, what) => when("DomainInfo", `DomainInfo:${uuid}`, pred, what),
  };
}

/** The MethodError a call fails with (fails the test if it succeeds). */
export async function refused(p: Promise<unknown>): Promise<{ code: number; text: string }> {
  try {
    await p;
  } catch (e) {
    if (isMethodError(e)) return { code: e.code, text: e.text };
    throw e;
  }
  assert.fail("the call succeeded but should have been refused");
}

/** An agent on a private test-driver file, and a console session that sees it. */
export interface ViewedAgent {
  h: AgentHandle;
  qc: ConsoleSession;
  /** The agent's own libvirt connection (the only one that sees its copy of the host). */
  lv: LibvirtClient;
  view: AgentView;
  /** Folder of the test's files (removed by stop). */
  dir: string;
  /** Closes the console, stops the agent, removes the folder. */
  stop(): Promise<void>;
}

/** Starts an agent on a fresh test-driver file of `spec`, and a console that sees it. */
export async function viewedTestAgent(tag: string, spec: TestDriverSpec): Promise<ViewedAgent> {
  const dir = tempDir(tag);
  const h = await startTestAgent({ uri: writeTestDriverFile(join(dir.path, "node.xml"), spec) });
  const qc = await openConsole();
  await qc.waitForAgent(h.name, 10_000);
  return {
    h,
    qc,
    lv: h.agent.libvirt.client,
    view: agentView(qc, h.name),
    dir: dir.path,
    async stop() {
      await qc.close();
      await h.stop();
      dir.remove();
    },
  };
}

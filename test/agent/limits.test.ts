// The bounds an agent keeps against a hostile console, each with its error, on a real agent
// called by real RabbitMQ users (created for the test in a private vhost, deleted after):
// requests a second per user (a flood is refused while another user is served), long jobs at
// a time (one more refused at once, short calls served), the size of a request body and of
// an argument.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { methodArgsToWire } from "../../src/qmf/console/wire.js";
import { ConsoleSession, encodeMap, isMethodError, QmfStatus } from "../../src/qmf/index.js";
import { LSTR_MAX_BYTES } from "../../src/qmf/schema/wire-values.js";
import { objectIdToWire } from "../../src/qmf/transport/index.js";
import { type AgentHandle, openConsole, startTestAgent, tempDir } from "../support/agent.js";
import { type BrokerUsers, brokerUsers } from "../support/broker-users.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";

const dir = tempDir("limits");
const spec = { domains: 3, pools: 0, volumesPerPool: 0, namePrefix: "limits-" };
const doms = testDriverNames(spec).domains.map((d) => `Domain:${d.uuid}`);
let users: BrokerUsers;
const consoles: Record<string, ConsoleSession> = {};
const agents: AgentHandle[] = [];

before(async () => {
  users = await brokerUsers("limits", ["ann", "bob", "adm"]);
  for (const u of ["ann", "bob", "adm"]) consoles[u] = await openConsole(users.url(u));
});

after(async () => {
  await Promise.allSettled(Object.values(consoles).map((c) => c.close()));
  await Promise.allSettled(agents.map((a) => a.stop()));
  await users?.remove();
  dir.remove();
});

/** An agent in the private vhost whose log lines go to `lines`. */
async function agent(
  tag: string,
  lines: string[],
  opts: { maxRequestsPerSecond?: number; maxLongJobs?: number },
): Promise<AgentHandle> {
  const n = users.names;
  const h = await startTestAgent({
    uri: writeTestDriverFile(join(dir.path, `${tag}.xml`), spec),
    broker: users.url("guest"),
    roles: { viewer: [n.ann!, n.bob!], admin: [n.adm!] },
    logSink: (l) => lines.push(l),
    ...opts,
  });
  agents.push(h);
  await consoles.adm!.waitForAgent(h.name, 10_000);
  return h;
}

type Outcome = { code: number; text: string };

/** Calls a method as `user`; resolves with QMF status 0 or the error's code and text. */
async function call(
  user: string,
  h: AgentHandle,
  objectName: string,
  method: string,
  args: Record<string, unknown> = {},
): Promise<Outcome> {
  try {
    await consoles[user]!.callMethod({ agentName: h.name, objectName }, method, args, {
      timeoutMs: 20_000,
    });
    return { code: QmfStatus.OK, text: "" };
  } catch (e) {
    if (isMethodError(e)) return { code: e.code, text: e.text };
    throw e;
  }
}

/** The audit lines among `lines`, parsed, without time stamps and durations. */
function audit(lines: string[]): Record<string, unknown>[] {
  return lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.level === "audit")
    .map(
      ({
        ts: _ts,
        ms: _ms,
        request: _r,
        level: _l,
        msg: _m,
        instance: _i,
        component: _c,
        ...rest
      }) => rest,
    );
}

const tally = (rs: Outcome[]) => {
  const out: Record<string, number> = {};
  for (const r of rs)
    out[r.code === 0 ? "ok" : r.text] = (out[r.code === 0 ? "ok" : r.text] ?? 0) + 1;
  return out;
};

describe("bounds against a hostile console", () => {
  test("requests a second per user: a flood is refused, another user is served in the same second; refused lines are written once a second", async () => {
    const lines: string[] = [];
    const h = await agent("rate", lines, { maxRequestsPerSecond: 1 });
    const ann = users.names.ann!;
    const tooMany = `too many requests: user ${ann} may send 1 a second (2 at once); try again later`;
    // ann's bucket holds 2 requests; 20 at once.
    const flood = await Promise.all(
      Array.from({ length: 20 }, () => call("ann", h, doms[0]!, "xml_desc")),
    );
    assert.deepEqual(tally(flood), { ok: 2, [tooMany]: 18 });
    assert.ok(flood.every((r) => r.code === 0 || r.code === QmfStatus.EXCEPTION));
    // bob, meanwhile: served (his own bucket), a method and a query.
    assert.deepEqual(await call("bob", h, doms[0]!, "xml_desc"), { code: 0, text: "" });
    const seen = await consoles.bob!.query({
      agentName: h.name,
      packageName: "Libvirt",
      className: "Domain",
    });
    assert.equal(seen.length, 3);
    // ann's queries count too.
    await assert.rejects(
      consoles.ann!.query({ agentName: h.name, packageName: "Libvirt", className: "Domain" }),
      (e: unknown) => isMethodError(e) && e.code === QmfStatus.EXCEPTION && e.text === tooMany,
    );
    // 1.2 s later ann's bucket has one request again; the first refusal after it is written,
    // counting the 17 refusals of the flood that were not.
    await sleep(1200);
    const again = await Promise.all(
      Array.from({ length: 5 }, () => call("ann", h, doms[0]!, "xml_desc")),
    );
    const passed = again.filter((r) => r.code === 0).length;
    assert.ok(passed >= 1 && passed <= 2, `${passed} passed`);
    const limited = audit(lines).filter((a) => a.error === tooMany);
    const refusedLine = {
      user: ann,
      role: "viewer",
      method: null,
      object: null,
      args: null,
      result: "error",
      code: QmfStatus.EXCEPTION,
      status: "EXCEPTION",
      error: tooMany,
    };
    assert.deepEqual(limited, [
      { ...refusedLine, suppressed: 0 },
      { ...refusedLine, suppressed: 17 },
    ]);
    const served = audit(lines).filter((a) => a.result === "ok");
    assert.deepEqual(
      served.map((a) => a.user),
      [ann, ann, users.names.bob, ...Array(passed).fill(ann)],
    );
  });

  test("long jobs: a third at once is refused with the two running named; short calls are served meanwhile; once they end, long jobs run again", async () => {
    const lines: string[] = [];
    const h = await agent("jobs", lines, {});
    // A migration to a host no agent publishes holds its slot while it looks (1.5 s).
    const uri = "qemu+tcp://nowhere.invalid/system";
    const m0 = call("adm", h, doms[0]!, "migrate", { uri });
    const m1 = call("adm", h, doms[1]!, "migrate", { uri });
    const save = call("adm", h, doms[2]!, "save", { filename: "/nonexistent/lvq-limits.img" });
    assert.deepEqual(await save, {
      code: QmfStatus.EXCEPTION,
      text: `Domain.save refused: this agent runs at most 2 long jobs at a time (its maxLongJobs) and is running Domain.migrate on ${doms[0]}, Domain.migrate on ${doms[1]}; try again when one has ended`,
    });
    const t0 = performance.now();
    assert.deepEqual(await call("ann", h, doms[2]!, "xml_desc"), { code: 0, text: "" });
    assert.ok(performance.now() - t0 < 1000, "a short call does not wait for the long jobs");
    const noAgent = `migrate: argument uri names a host no agent publishes (no agent has libvirt_uri "${uri}"), so the migrated domain could not be returned; give destination_node`;
    assert.deepEqual(await m0, { code: QmfStatus.PARAMETER_INVALID, text: noAgent });
    assert.deepEqual(await m1, { code: QmfStatus.PARAMETER_INVALID, text: noAgent });
    // The slots are free again: the save gets as far as libvirt.
    const later = await call("adm", h, doms[2]!, "save", {
      filename: "/nonexistent/lvq-limits.img",
    });
    assert.equal(later.code > QmfStatus.USER, true, later.text);
  });

  test("sizes: a request body over the limit, and an argument longer than its type allows, are refused and audited", async () => {
    const lines: string[] = [];
    const h = await agent("size", lines, {});
    const node = `Node:${h.agent.hostUuid}`;
    const ref = { agentName: h.name, objectName: node };
    // A console that sends larger bodies than agents accept (16 MiB).
    const big = new ConsoleSession({
      url: users.url("adm"),
      name: uniqueName("big"),
      maxBodyBytes: 32 * 1024 * 1024,
    });
    await big.open();
    try {
      const args = { xml_desc: "x".repeat(16 * 1024 * 1024) };
      const size = encodeMap({
        _object_id: objectIdToWire(ref),
        _method_name: "define_domain_xml",
        _arguments: methodArgsToWire(args),
      }).length;
      const tooLarge = `body too large: ${size} bytes, limit ${16 * 1024 * 1024}`;
      await assert.rejects(
        big.callMethod(ref, "define_domain_xml", args, { timeoutMs: 30_000 }),
        (e: unknown) =>
          isMethodError(e) && e.code === QmfStatus.PARAMETER_INVALID && e.text === tooLarge,
      );
      assert.deepEqual(audit(lines).at(-1), {
        user: users.names.adm,
        role: "admin",
        method: null,
        object: null,
        args: null,
        result: "error",
        code: QmfStatus.PARAMETER_INVALID,
        status: "PARAMETER_INVALID",
        error: tooLarge,
      });
    } finally {
      await big.close();
    }
    // One byte over an lstr (4 MiB), and over an sstr (255 bytes).
    const huge = "x".repeat(LSTR_MAX_BYTES + 1);
    const tooLong = `define_domain_xml: argument xml_desc must be at most ${LSTR_MAX_BYTES} bytes (lstr), got ${LSTR_MAX_BYTES + 1} bytes`;
    assert.deepEqual(await call("adm", h, node, "define_domain_xml", { xml_desc: huge }), {
      code: QmfStatus.PARAMETER_INVALID,
      text: tooLong,
    });
    assert.deepEqual(audit(lines).at(-1), {
      user: users.names.adm,
      role: "admin",
      method: "Node.define_domain_xml",
      object: node,
      args: {
        xml_desc: {
          head: "x".repeat(80),
          bytes: LSTR_MAX_BYTES + 1,
          sha256: createHash("sha256").update(huge).digest("hex"),
        },
      },
      result: "error",
      code: QmfStatus.PARAMETER_INVALID,
      status: "PARAMETER_INVALID",
      error: tooLong,
    });
    assert.deepEqual(await call("adm", h, doms[0]!, "migrate", { uri: "u".repeat(256) }), {
      code: QmfStatus.PARAMETER_INVALID,
      text: "migrate: argument uri must be at most 255 bytes (sstr), got 256 bytes",
    });
    assert.equal(h.agent.session.methodsExecuted, 0, "no handler ran");
  });
});

// The audit trail of a real agent, called by real RabbitMQ users (created for the test in a
// private vhost, deleted after): one JSON line per method request with exact fields, refused
// requests included, long XML cut with its length and hash, passwords never written.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ConsoleSession, isMethodError } from "../../src/qmf/index.js";
import { type AgentHandle, openConsole, startTestAgent, tempDir } from "../support/agent.js";
import { type BrokerUsers, brokerUsers } from "../support/broker-users.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";

const dir = tempDir("audit");
const spec = { domains: 1, pools: 0, volumesPerPool: 0, namePrefix: "audit-" };
const dom = testDriverNames(spec).domains[0]!;
const domainObject = `Domain:${dom.uuid}`;
let users: BrokerUsers;
let h: AgentHandle;
const lines: string[] = [];
const consoles: Record<string, ConsoleSession> = {};

before(async () => {
  // The agent logs in as a user with a password of its own, to show that it is never logged.
  users = await brokerUsers("audit", ["agt", "ann", "adm", "eve"]);
  h = await startTestAgent({
    uri: writeTestDriverFile(join(dir.path, "node.xml"), spec),
    broker: users.url("agt"),
    roles: { viewer: [users.names.ann!], admin: [users.names.adm!] },
    logLevel: "debug",
    logSink: (line) => lines.push(line),
  });
  for (const u of ["ann", "adm", "eve"]) consoles[u] = await openConsole(users.url(u));
  await consoles.adm!.waitForAgent(h.name, 10_000);
});

after(async () => {
  await Promise.allSettled(Object.values(consoles).map((c) => c.close()));
  await h?.stop();
  await users?.remove();
  dir.remove();
});

/** Calls a method as `user`; resolves with the output, or the error's code and text. */
async function call(
  user: string,
  objectName: string,
  method: string,
  args: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  try {
    return await consoles[user]!.callMethod({ agentName: h.name, objectName }, method, args);
  } catch (e) {
    if (isMethodError(e)) return { code: e.code, text: e.text };
    throw e;
  }
}

/** The audit lines written since line `from`, parsed, without their time stamps. */
function auditSince(from: number): Record<string, unknown>[] {
  return lines
    .slice(from)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.level === "audit")
    .map(({ ts, ...rest }) => {
      assert.equal(typeof ts, "string");
      return rest;
    });
}

/** The one audit line of the call `fn` makes, its `ms` and `request` checked and taken out. */
async function auditOf(fn: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const from = lines.length;
  await fn();
  const found = auditSince(from);
  assert.equal(found.length, 1, JSON.stringify(found));
  const { ms, request, ...rest } = found[0]!;
  assert.ok(typeof ms === "number" && ms >= 0, `ms ${ms}`);
  assert.match(request as string, /^[0-9a-z]+$/);
  return rest;
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
const cut = (s: string) => ({
  head: s.slice(0, 80),
  bytes: Buffer.byteLength(s),
  sha256: sha256(s),
});
const line = { level: "audit", msg: "method request", instance: "", component: "audit" };

describe("the audit trail", () => {
  before(() => {
    line.instance = h.instance;
  });

  test("a call that succeeds: user, role, Class.method, object, arguments, ok with the output (long XML cut)", async () => {
    let out: Record<string, unknown> = {};
    const a = await auditOf(async () => {
      out = await call("ann", domainObject, "xml_desc");
    });
    const xml = out.description as string;
    assert.ok(xml.length > 80);
    assert.deepEqual(a, {
      ...line,
      user: users.names.ann,
      role: "viewer",
      method: "Domain.xml_desc",
      object: domainObject,
      args: {},
      result: "ok",
      output: { description: cut(xml) },
    });
  });

  test("refusals: forbidden (with the role held, or none), an unexpected argument (arguments as received), an unknown method, an unknown object", async () => {
    assert.deepEqual(await auditOf(() => call("ann", domainObject, "undefine")), {
      ...line,
      user: users.names.ann,
      role: "viewer",
      method: "Domain.undefine",
      object: domainObject,
      args: {},
      result: "error",
      code: 6,
      status: "FORBIDDEN",
      error: `user ${users.names.ann} lacks role admin for Domain.undefine`,
    });
    assert.deepEqual(await auditOf(() => call("eve", domainObject, "xml_desc")), {
      ...line,
      user: users.names.eve,
      role: null,
      method: "Domain.xml_desc",
      object: domainObject,
      args: {},
      result: "error",
      code: 6,
      status: "FORBIDDEN",
      error: `user ${users.names.eve} lacks role viewer for Domain.xml_desc`,
    });
    const node = `Node:${h.agent.hostUuid}`;
    const xml = `<domain type='test'><name>audit-long</name>${"<!-- padding -->".repeat(20)}</domain>`;
    assert.deepEqual(
      await auditOf(() => call("adm", node, "define_domain_xml", { xml_desc: xml, extra: true })),
      {
        ...line,
        user: users.names.adm,
        role: "admin",
        method: "Node.define_domain_xml",
        object: node,
        args: { xml_desc: cut(xml), extra: true },
        result: "error",
        code: 4,
        status: "PARAMETER_INVALID",
        error: "define_domain_xml: unexpected argument extra",
      },
    );
    assert.deepEqual(await auditOf(() => call("adm", domainObject, "nosuch", { x: "y" })), {
      ...line,
      user: users.names.adm,
      role: "admin",
      method: "Domain.nosuch",
      object: domainObject,
      args: { x: "y" },
      result: "error",
      code: 2,
      status: "UNKNOWN_METHOD",
      error: "class Domain has no method nosuch",
    });
    assert.deepEqual(await auditOf(() => call("adm", "Domain:nope", "undefine")), {
      ...line,
      user: users.names.adm,
      role: "admin",
      method: "undefine",
      object: "Domain:nope",
      args: {},
      result: "error",
      code: 1,
      status: "UNKNOWN_OBJECT",
      error: "no object Domain:nope",
    });
  });

  test("libvirt's refusal: its code and message", async () => {
    assert.deepEqual(await auditOf(() => call("adm", domainObject, "create")), {
      ...line,
      user: users.names.adm,
      role: "admin",
      method: "Domain.create",
      object: domainObject,
      args: {},
      result: "error",
      code: 0x10000 + 1,
      status: "LIBVIRT",
      error: `virDomainCreate: internal error: Domain '${dom.name}' is already running`,
    });
  });

  test("a password in a URL argument is written as ***; the duration is the call's; no password in any log line", async () => {
    const uri = "qemu+tcp://root:hunter2@nowhere.invalid/system";
    const from = lines.length;
    const r = await call("adm", domainObject, "migrate", { uri });
    assert.equal(r.code, 4);
    const [a] = auditSince(from);
    const { ms, request, ...rest } = a!;
    assert.ok((ms as number) >= 1000, `migrate listened for agents: ${ms} ms`);
    assert.equal(typeof request, "string");
    assert.deepEqual(rest, {
      ...line,
      user: users.names.adm,
      role: "admin",
      method: "Domain.migrate",
      object: domainObject,
      args: { uri: "qemu+tcp://root:***@nowhere.invalid/system" },
      result: "error",
      code: 4,
      status: "PARAMETER_INVALID",
      error:
        'migrate: argument uri names a host no agent publishes (no agent has libvirt_uri "qemu+tcp://root:***@nowhere.invalid/system"), so the migrated domain could not be returned; give destination_node',
    });
    const all = lines.join("");
    // The broker node the agent is on is logged, its password masked.
    assert.ok(all.includes(`"node":"amqp://${users.names.agt}:***@127.0.0.1:5672/`), all);
    for (const secret of [users.passwords.agt!, "hunter2"]) {
      assert.equal(all.includes(secret), false, `${secret} in the log`);
    }
  });

  test("one line per request: 8 requests, 8 lines", () => {
    assert.equal(auditSince(0).length, 8);
  });
});

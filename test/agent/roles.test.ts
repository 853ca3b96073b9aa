// Roles on a real agent, called by real RabbitMQ users (created for the test in a private
// vhost, deleted after): every method of the handler table with the role below the one it
// needs (refused, FORBIDDEN, naming user, role and method, no handler started) and with the
// role it needs and every higher one (authorisation passes: the handler starts; what libvirt
// or the argument checks then say does not matter here). Queries need viewer.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { defaultSchemaPath } from "../../src/agent/index.js";
import { domainKind } from "../../src/agent/kinds/domain.js";
import { METHOD_ROLES } from "../../src/agent/methods.js";
import { ROLES, type Role } from "../../src/agent/roles.js";
import {
  type ConsoleSession,
  isMethodError,
  loadSchemaFile,
  QmfStatus,
  type SchemaMethod,
} from "../../src/qmf/index.js";
import { type AgentHandle, openConsole, startTestAgent, tempDir } from "../support/agent.js";
import { refused } from "../support/agent-view.js";
import { type BrokerUsers, brokerUsers } from "../support/broker-users.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";

/** The users: one per role, one admin through controlUsers, one with no role. */
const ROLE_OF: Record<string, Role | undefined> = {
  ann: "viewer",
  bob: "operator",
  adm: "admin",
  ops: "admin",
  eve: undefined,
};
/** Who is refused a method that needs each role: a user of the role just below it. */
const BELOW: Record<Role, string> = { viewer: "eve", operator: "ann", admin: "bob" };

/** Methods of each class, in table order; each gets an object of its own. */
const byClass = new Map<string, string[]>();
for (const method of METHOD_ROLES.keys()) {
  const [cls, name] = method.split(".") as [string, string];
  byClass.set(cls, [...(byClass.get(cls) ?? []), name]);
}
const count = (cls: string) => byClass.get(cls)?.length ?? 0;

const dir = tempDir("roles");
const prefix = "roles-";
// A domain per Domain method and one for the snapshots; a pool per Pool method and one per
// Volume method (whose volume it holds); a network per Network method.
const spec = {
  domains: count("Domain") + 1,
  pools: count("Pool") + count("Volume"),
  volumesPerPool: 1,
  networks: count("Network"),
  namePrefix: prefix,
};
const names = testDriverNames(spec);
let users: BrokerUsers;
let h: AgentHandle;
const consoles: Record<string, ConsoleSession> = {};
/** The object each method is called on. */
const target = new Map<string, string>();
let schemaMethods: Map<string, SchemaMethod>;

before(async () => {
  users = await brokerUsers("roles", Object.keys(ROLE_OF));
  const n = users.names;
  h = await startTestAgent({
    uri: writeTestDriverFile(join(dir.path, "node.xml"), spec),
    broker: users.url("guest"),
    roles: { viewer: [n.ann!], operator: [n.bob!], admin: [n.adm!] },
    controlUsers: [n.ops!],
  });
  for (const u of Object.keys(ROLE_OF)) consoles[u] = await openConsole(users.url(u));
  await consoles.adm!.waitForAgent(h.name, 10_000);

  // Snapshots (libvirt raises no event for them: the domain is read again).
  const lv = h.agent.libvirt.client;
  const snapDomain = names.domains[count("Domain")]!;
  const d = await lv.domainLookupByName(snapDomain.name);
  for (let i = 0; i < count("Snapshot"); i++) {
    await lv.domainSnapshotCreateXml(d, `<domainsnapshot><name>s${i}</name></domainsnapshot>`, 0);
  }
  await h.agent.mirror.refresh(domainKind, d.uuid);

  const volumes = await consoles.adm!.query({
    agentName: h.name,
    packageName: "Libvirt",
    className: "Volume",
  });
  const volumeOf = (pool: string) =>
    volumes.find(
      (v) => (v.values.storage_pool as { objectName: string }).objectName === `Pool:${pool}`,
    )!.objectId.objectName;
  const objects: Record<string, (i: number) => string> = {
    Node: () => `Node:${h.agent.hostUuid}`,
    Domain: (i) => `Domain:${names.domains[i]!.uuid}`,
    Pool: (i) => `Pool:${names.pools[i]!.uuid}`,
    Volume: (i) => volumeOf(names.pools[count("Pool") + i]!.uuid),
    Network: (i) => `Network:${names.networks[i]!.uuid}`,
    Snapshot: (i) => `Snapshot:${snapDomain.uuid}/s${i}`,
  };
  for (const [cls, methods] of byClass) {
    methods.forEach((m, i) => {
      target.set(`${cls}.${m}`, objects[cls]!(i));
    });
  }
  const schema = await loadSchemaFile(await defaultSchemaPath());
  schemaMethods = new Map(
    schema.classes.flatMap((c) => c.methods.map((m) => [`${c.name}.${m.name}`, m] as const)),
  );
});

after(async () => {
  await Promise.allSettled(Object.values(consoles).map((c) => c.close()));
  await h?.stop();
  await users?.remove();
  dir.remove();
});

/**
 * Arguments that pass the schema's checks, and where possible stop in the handler's own
 * checks (an empty file name or XML is refused before libvirt is called).
 */
function argsOf(method: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of schemaMethods.get(method)!.args) {
    if (a.dir === "O" || a.optional) continue;
    out[a.name] = a.type === "bool" ? false : a.type === "sstr" || a.type === "lstr" ? "" : 0;
  }
  return out;
}

/** Calls `method` as `user`; resolves with the QMF status (0: done) and the text. */
async function callAs(user: string, method: string): Promise<{ code: number; text: string }> {
  const name = method.split(".")[1]!;
  const ref = { agentName: h.name, objectName: target.get(method)! };
  try {
    await consoles[user]!.callMethod(ref, name, argsOf(method), { timeoutMs: 15_000 });
    return { code: QmfStatus.OK, text: "" };
  } catch (e) {
    if (isMethodError(e)) return { code: e.code, text: e.text };
    throw e;
  }
}

const rank = (r: Role | undefined) => (r === undefined ? -1 : ROLES.indexOf(r));

describe("roles on a real agent, with real broker users", () => {
  test("queries: a viewer and every higher role see the objects; a user with no role is refused", async () => {
    for (const u of ["ann", "bob", "adm", "ops"]) {
      const doms = await consoles[u]!.query({
        agentName: h.name,
        packageName: "Libvirt",
        className: "Domain",
      });
      assert.equal(doms.length, spec.domains, u);
    }
    const text = `user ${users.names.eve} lacks role viewer for queries`;
    assert.deepEqual(
      await refused(
        consoles.eve!.query({ agentName: h.name, packageName: "Libvirt", className: "Domain" }),
      ),
      { code: QmfStatus.FORBIDDEN, text },
    );
    assert.deepEqual(await refused(consoles.eve!.schemaIds(h.name)), {
      code: QmfStatus.FORBIDDEN,
      text,
    });
  });

  test("every method: refused to the role below the one it needs, allowed to that role and every higher one", async () => {
    let checked = 0;
    for (const [method, role] of METHOD_ROLES) {
      const below = BELOW[role];
      const before = h.agent.session.methodsExecuted;
      assert.deepEqual(
        await callAs(below, method),
        {
          code: QmfStatus.FORBIDDEN,
          text: `user ${users.names[below]} lacks role ${role} for ${method}`,
        },
        `${method} as ${below}`,
      );
      assert.equal(h.agent.session.methodsExecuted, before, `${method} as ${below}: not started`);
      // Those allowed (admins by controlUsers only where a second call finds its object).
      const allowed = ["ann", "bob", "adm"].filter((u) => rank(ROLE_OF[u]) >= rank(role));
      if (role !== "admin") allowed.push("ops");
      for (const u of allowed) {
        const n = h.agent.session.methodsExecuted;
        const r = await callAs(u, method);
        assert.notEqual(r.code, QmfStatus.FORBIDDEN, `${method} as ${u}: ${r.text}`);
        assert.equal(h.agent.session.methodsExecuted, n + 1, `${method} as ${u}: started`);
      }
      checked++;
    }
    assert.equal(checked, METHOD_ROLES.size);
  });

  test("an admin by controlUsers may call an admin method", async () => {
    const n = h.agent.session.methodsExecuted;
    const r = await callAs("ops", "Node.define_domain_xml");
    assert.deepEqual(r, {
      code: QmfStatus.PARAMETER_INVALID,
      text: "define_domain_xml: argument xml_desc is empty (an XML document is required)",
    });
    assert.equal(h.agent.session.methodsExecuted, n + 1);
  });
});

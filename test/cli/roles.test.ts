// Roles through the built lvq binary: `lvq schema --roles` (text and JSON), and a refusal as
// `lvq` shows it (exit 1, the agent's text), for a real RabbitMQ user in a private vhost.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { METHOD_ROLES } from "../../src/agent/methods.js";
import { type AgentHandle, startTestAgent, tempDir } from "../support/agent.js";
import { type BrokerUsers, brokerUsers } from "../support/broker-users.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import { buildOnce, jsonOf, lvq } from "./harness.js";

/** `lvq schema --roles`, line by line. */
const TABLE = [
  "METHOD                        ROLE",
  "Node.get_free_memory          viewer",
  "Node.define_domain_xml        admin",
  "Node.storage_pool_define_xml  admin",
  "Node.storage_pool_create_xml  admin",
  "Node.network_define_xml       admin",
  "Node.network_create_xml       admin",
  "Domain.create                 operator",
  "Domain.destroy                operator",
  "Domain.undefine               admin",
  "Domain.suspend                operator",
  "Domain.resume                 operator",
  "Domain.save                   operator",
  "Domain.restore                operator",
  "Domain.shutdown               operator",
  "Domain.reboot                 operator",
  "Domain.xml_desc               viewer",
  "Domain.migrate                admin",
  "Domain.set_autostart          admin",
  "Domain.set_vcpus              admin",
  "Domain.set_memory             admin",
  "Domain.interface_addresses    viewer",
  "Domain.stats_history          viewer",
  "Domain.managed_save           admin",
  "Domain.snapshot_create_xml    admin",
  "Pool.xml_desc                 viewer",
  "Pool.create                   admin",
  "Pool.destroy                  admin",
  "Pool.delete                   admin",
  "Pool.create_volume_xml        admin",
  "Pool.lookup_volume_by_name    viewer",
  "Pool.lookup_volume_by_key     viewer",
  "Pool.lookup_volume_by_path    viewer",
  "Pool.build                    admin",
  "Pool.refresh                  admin",
  "Pool.undefine                 admin",
  "Volume.xml_desc               viewer",
  "Volume.delete                 admin",
  "Network.create                admin",
  "Network.destroy               admin",
  "Network.undefine              admin",
  "Network.set_autostart         admin",
  "Network.xml_desc              viewer",
  "Network.dhcp_leases           viewer",
  "Snapshot.revert               admin",
  "Snapshot.delete               admin",
  "Snapshot.xml_desc             viewer",
];

const dir = tempDir("cli-roles");
const spec = { domains: 1, pools: 0, volumesPerPool: 0, namePrefix: "cli-roles-" };
let users: BrokerUsers;
let agent: AgentHandle;

before(async () => {
  users = await brokerUsers("cli-roles", ["bob"]);
  [, agent] = await Promise.all([
    buildOnce(),
    startTestAgent({
      uri: writeTestDriverFile(join(dir.path, "node.xml"), spec),
      instance: "roles-host",
      broker: users.url("guest"),
      roles: { operator: [users.names.bob!] },
    }),
  ]);
});

after(async () => {
  await agent?.stop();
  await users?.remove();
  dir.remove();
});

describe("lvq and roles", () => {
  test("lvq schema --roles prints the role of every method; --json as an object", async () => {
    const text = await lvq(["schema", "--roles"]);
    assert.deepEqual(text, { code: 0, stdout: `${TABLE.join("\n")}\n`, stderr: "" });
    const json = jsonOf(await lvq(["--json", "schema", "--roles"]));
    assert.deepEqual(json, Object.fromEntries(METHOD_ROLES));
    assert.deepEqual(jsonOf(await lvq(["--json", "schema", "Volume", "--roles"])), {
      "Volume.xml_desc": "viewer",
      "Volume.delete": "admin",
    });
  });

  test("an operator's undefine: exit 1 with the agent's refusal; the domain stays", async () => {
    const env = { LVQ_BROKER: users.url("bob") };
    const d = testDriverNames(spec).domains[0]!;
    const r = await lvq(["undefine", `roles-host/${d.name}`], env);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: `lvq: method failed (QMF status 6 FORBIDDEN): user ${users.names.bob} lacks role admin for Domain.undefine\n`,
    });
    const shown = await lvq(["show", `roles-host/${d.name}`], env);
    assert.equal(shown.code, 0, shown.stderr);
  });
});

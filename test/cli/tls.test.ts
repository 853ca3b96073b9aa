// lvq and `lvq agent` over TLS, as real processes against the TLS test node of
// scripts/tls-broker.sh (certificates made with openssl): a good chain lists the agent and
// runs a method; a wrong CA, an expired certificate and a name mismatch exit 4 naming the
// check; settings from the environment and the config file; an EXTERNAL login by client
// certificate; the password from a file, and warnings for secrets every user may read; an agent
// that requires TLS refuses a plain amqp:// URL.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type SpawnedAgent, spawnAgent } from "../support/agent.js";
import { uniqueName } from "../support/names.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";
import {
  certFile,
  EXPIRED_NAME,
  keyFile,
  PLAIN_URL,
  TLS_URL,
  tlsBrokerDown,
  tlsBrokerUp,
  WRONG_NAME,
} from "../support/tls-broker.js";
import { buildOnce, jsonOf, lvq } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "lvq-cli-tls-"));
const spec = { domains: 1, pools: 0, volumesPerPool: 0, namePrefix: `${uniqueName("tls")}-` };
const domain = testDriverNames(spec).domains[0]!;
const instance = uniqueName("tls");
const CA = certFile("ca");
/** lvq's global options for the TLS node, trusting the test CA. */
const OVER_TLS = ["--broker", TLS_URL, "--tls-ca", CA];
const REDACTED = "amqps://guest:***@127.0.0.1:5691";
let agent: SpawnedAgent;
let agentName: string;

/** Agent names in `lvq --json agents` output. */
function agentNames(r: { code: number; stdout: string; stderr: string }): string[] {
  return (jsonOf(r) as { name: string }[]).map((a) => a.name);
}

describe("lvq over TLS (the TLS test node)", { timeout: 170_000 }, () => {
  before(async () => {
    await Promise.all([tlsBrokerUp(), buildOnce()]);
    agent = spawnAgent([
      ...OVER_TLS,
      "--require-tls",
      "--uri",
      writeTestDriverFile(join(dir, "node.xml"), spec),
      "--instance",
      instance,
      "--state-dir",
      join(dir, "state"),
      "--heartbeat-interval",
      "1",
    ]);
    agentName = (await agent.waitForLog("agent running")).agent as string;
  });
  after(async () => {
    await agent?.stop();
    await tlsBrokerDown();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a good chain: lvq finds the agent (which requires TLS) over amqps:// and runs a method", async () => {
    assert.ok(agentNames(await lvq(["--json", ...OVER_TLS, "agents"])).includes(agentName));
    const suspend = await lvq([...OVER_TLS, "suspend", domain.uuid]);
    assert.equal(suspend.code, 0, suspend.stderr);
    const shown = jsonOf(await lvq(["--json", ...OVER_TLS, "show", domain.uuid])) as {
      related: { domain_info: { properties: { state: string } } };
    };
    assert.equal(shown.related.domain_info.properties.state, "paused");
    assert.equal((await lvq([...OVER_TLS, "resume", domain.uuid])).code, 0);
  });

  test("a wrong CA, an expired certificate and a name mismatch exit 4, naming the check", async () => {
    const wrongCa = await lvq(["--broker", TLS_URL, "--tls-ca", certFile("other-ca"), "agents"]);
    assert.equal(wrongCa.code, 4);
    assert.equal(
      wrongCa.stderr,
      `lvq: cannot use the broker at ${REDACTED}: TLS: the broker's certificate is not signed by a CA we trust (check the CA file): self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)\n`,
    );
    const expired = await lvq([...OVER_TLS, "--tls-servername", EXPIRED_NAME, "agents"]);
    assert.equal(expired.code, 4);
    assert.equal(
      expired.stderr,
      `lvq: cannot use the broker at ${REDACTED}: TLS: the broker's certificate has expired: certificate has expired (CERT_HAS_EXPIRED)\n`,
    );
    const mismatch = await lvq([...OVER_TLS, "--tls-servername", WRONG_NAME, "agents"]);
    assert.equal(mismatch.code, 4);
    assert.equal(
      mismatch.stderr,
      `lvq: cannot use the broker at ${REDACTED}: TLS: the broker's certificate does not name the host (or server name) we verify: Hostname/IP does not match certificate's altnames: Host: ${WRONG_NAME}. is not in the cert's altnames: DNS:other.lvq.test (ERR_TLS_CERT_ALTNAME_INVALID)\n`,
    );
  });

  test("TLS settings from the environment and from the config file", async () => {
    const env = await lvq(["--json", "agents"], { LVQ_BROKER: TLS_URL, LVQ_TLS_CA: CA });
    assert.ok(agentNames(env).includes(agentName));
    const config = join(dir, "tls-config.json");
    writeFileSync(config, JSON.stringify({ broker: TLS_URL, tlsCa: CA }), { mode: 0o600 });
    const file = await lvq(["--config", config, "--json", "agents"], { LVQ_BROKER: undefined });
    assert.ok(agentNames(file).includes(agentName));
    assert.equal(file.stderr, "");
  });

  test("a client certificate logs in with EXTERNAL: no password anywhere", async () => {
    const byCertificate = [
      "--tls-cert",
      certFile("client"),
      "--tls-key",
      keyFile("client"),
      "--tls-external-login",
    ];
    const r = await lvq([
      "--json",
      "--broker",
      "amqps://127.0.0.1:5691",
      "--tls-ca",
      CA,
      ...byCertificate,
      "agents",
    ]);
    assert.ok(agentNames(r).includes(agentName));
    const plain = await lvq(["--broker", PLAIN_URL, ...byCertificate, "agents"]);
    assert.equal(plain.code, 2);
    assert.equal(
      plain.stderr,
      "lvq: EXTERNAL login (--tls-external-login) is set, but the broker URL amqp://guest:***@127.0.0.1:5690 is plain amqp://: use amqps:// (TLS)\n",
    );
  });

  test("the password comes from a file; secrets every user may read are warned about", async () => {
    const password = join(dir, "password");
    writeFileSync(password, "guest\n", { mode: 0o600 });
    const user = ["--broker", "amqps://guest@127.0.0.1:5691", "--tls-ca", CA];
    const ok = await lvq(["--json", ...user, "--broker-password-file", password, "agents"]);
    assert.ok(agentNames(ok).includes(agentName));
    assert.equal(ok.stderr, "");
    chmodSync(password, 0o644);
    const open = await lvq(["--json", ...user, "agents"], { LVQ_BROKER_PASSWORD_FILE: password });
    assert.ok(agentNames(open).includes(agentName));
    assert.equal(
      open.stderr,
      `lvq: warning: ${password} is readable by every user and holds the broker password: make it private (chmod 600 ${password})\n`,
    );
    const config = join(dir, "open-config.json");
    writeFileSync(config, JSON.stringify({ broker: TLS_URL, tlsCa: CA }), { mode: 0o644 });
    const shared = await lvq(["--config", config, "--json", "agents"], { LVQ_BROKER: undefined });
    assert.ok(agentNames(shared).includes(agentName));
    assert.equal(
      shared.stderr,
      `lvq: warning: ${config} is readable by every user and holds a broker password: make it private (chmod 600 ${config})\n`,
    );
  });

  test("an agent that requires TLS refuses a plain amqp:// URL at start (exit 2)", async () => {
    const args = ["--uri", "test:///default", "--state-dir", join(dir, "state-plain")];
    const flag = spawnAgent(["--broker", PLAIN_URL, "--require-tls", ...args]);
    assert.equal(await flag.exited, 2);
    const message =
      "lvq: requireTls is set, but the broker URL amqp://guest:***@127.0.0.1:5690 is plain amqp://: use amqps:// (TLS)";
    assert.deepEqual(flag.stderr, [message]);
    const env = spawnAgent(args, { LVQ_BROKER: PLAIN_URL, LVQ_REQUIRE_TLS: "true" });
    assert.equal(await env.exited, 2);
    assert.deepEqual(env.stderr, [message]);
  });
});

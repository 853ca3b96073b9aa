// The agent's broker-access settings, without a broker: TLS files and options from each
// layer, requireTls, the password file (set into the URLs), and the warnings for secrets every
// user may read.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { resolveAgentConfig } from "../../src/agent/config.js";
import { tempDir } from "../support/agent.js";

const dir = tempDir("access");
after(() => dir.remove());

/** A file in the test folder with `text` and `mode`; its path. */
function file(name: string, text: string, mode = 0o600): string {
  const path = join(dir.path, name);
  writeFileSync(path, text, { mode });
  return path;
}

describe("agent broker access settings", () => {
  test("TLS settings come from the config file, the environment and flags, each over the one before", async () => {
    const ca = file("ca.pem", "ca");
    const cert = file("cert.pem", "cert");
    const key = file("key.pem", "key");
    const config = file(
      "tls.json",
      JSON.stringify({ broker: "amqps://h:5671", tlsCa: "/overridden", tlsCert: cert }),
    );
    const cfg = await resolveAgentConfig({
      configFile: config,
      env: { LVQ_TLS_CA: ca, LVQ_TLS_KEY: key, LVQ_TLS_SERVERNAME: "broker.example" },
      flags: { tlsExternalLogin: "true", requireTls: true },
    });
    assert.deepEqual(cfg.tls, {
      caFile: ca,
      certFile: cert,
      keyFile: key,
      servername: "broker.example",
      externalLogin: true,
    });
    assert.equal(cfg.requireTls, true);
    assert.equal(cfg.broker, "amqps://h:5671");
  });

  test("requireTls or an EXTERNAL login with a plain amqp:// URL, a lone key, an unreadable file: refused at start", async () => {
    const cert = file("c.pem", "cert");
    const key = file("k.pem", "key");
    const refused: [Record<string, unknown>, string][] = [
      [
        { broker: "amqps://a:5671,amqp://me:pw@b:5672", requireTls: "yes" },
        "requireTls is set, but the broker URL amqp://me:***@b:5672 is plain amqp://: use amqps:// (TLS)",
      ],
      [
        { broker: "amqp://b", tlsCert: cert, tlsKey: key, tlsExternalLogin: "1" },
        "tlsExternalLogin is set, but the broker URL amqp://b is plain amqp://: use amqps:// (TLS)",
      ],
      [
        { broker: "amqps://b", tlsExternalLogin: "true" },
        "TLS settings: EXTERNAL login needs a client certificate and key",
      ],
      [
        { broker: "amqps://b", tlsKey: key },
        "TLS settings: a client certificate needs its key, and a key its certificate",
      ],
      [
        { broker: "amqps://b", tlsCa: join(dir.path, "absent.pem") },
        `tlsCa: the CA file ${join(dir.path, "absent.pem")} cannot be read: ENOENT`,
      ],
      [{ requireTls: "maybe" }, 'requireTls (flag) must be true or false, got "maybe"'],
    ];
    const empty = file("empty.json", "{}");
    for (const [flags, message] of refused) {
      await assert.rejects(resolveAgentConfig({ flags, env: {}, configFile: empty }), {
        name: "ConfigError",
        message,
      });
    }
  });

  test("the password file's password goes into every broker URL; its absence of a user is refused", async () => {
    const password = file("password", "s3cr:t/%\n");
    const empty = file("empty2.json", "{}");
    const cfg = await resolveAgentConfig({
      configFile: empty,
      env: { LVQ_BROKER_PASSWORD_FILE: password },
      flags: { broker: "amqp://agent1@h1:5672/fleet,amqp://agent1:old@h2:5672" },
    });
    assert.equal(
      cfg.broker,
      "amqp://agent1:s3cr%3At%2F%25@h1:5672/fleet,amqp://agent1:s3cr%3At%2F%25@h2:5672",
    );
    await assert.rejects(
      resolveAgentConfig({
        configFile: empty,
        env: {},
        flags: { broker: "amqp://h1:5672", brokerPasswordFile: password },
      }),
      {
        name: "ConfigError",
        message:
          "broker URL amqp://h1:5672 (broker) names no user for the password of the password file",
      },
    );
    await assert.rejects(
      resolveAgentConfig({
        configFile: empty,
        env: {},
        flags: { broker: "amqp://u@h1", brokerPasswordFile: file("blank", "") },
      }),
      { name: "ConfigError", message: `the password file ${join(dir.path, "blank")} is empty` },
    );
  });

  test("a password or key every user may read is warned about; private ones are not", async () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const open = file("open.json", JSON.stringify({ broker: "amqp://u:pw@h" }), 0o644);
    await resolveAgentConfig({ configFile: open, env: {}, warn });
    const shut = file("shut.json", JSON.stringify({ broker: "amqp://u:pw@h" }), 0o600);
    await resolveAgentConfig({ configFile: shut, env: {}, warn });
    const noPassword = file("nopw.json", JSON.stringify({ broker: "amqp://u@h" }), 0o644);
    const password = file("open-password", "pw", 0o644);
    const cert = file("cert2.pem", "cert");
    const key = file("open-key.pem", "key", 0o644);
    await resolveAgentConfig({
      configFile: noPassword,
      env: {},
      flags: { brokerPasswordFile: password, tlsCert: cert, tlsKey: key },
      warn,
    });
    assert.deepEqual(warnings, [
      `${open} is readable by every user and holds a broker password: make it private (chmod 600 ${open})`,
      `${key} is readable by every user and holds the client key: make it private (chmod 600 ${key})`,
      `${password} is readable by every user and holds the broker password: make it private (chmod 600 ${password})`,
    ]);
  });
});

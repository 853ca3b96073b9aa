/**
 * TLS to the broker, against a real RabbitMQ with a TLS listener (scripts/tls-broker.sh: a
 * node of its own on 5690/5691, certificates made with openssl): a good chain carries an
 * agent, a console and a method call; each failed check (untrusted CA, expired certificate,
 * name mismatch, refused client certificate, a plain port, an unreadable file) is its own
 * TlsError code with a message naming it; verification cannot be turned off; a client
 * certificate logs in with EXTERNAL and becomes the broker user of every message.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AgentSession,
  ConsoleSession,
  describeConnectFailure,
  isTlsError,
  type Schema,
  type TlsErrorCode,
  type TlsOptions,
} from "../../src/qmf/index.js";
import { uniqueName } from "../support/names.js";
import {
  CLIENT_CERT_USER,
  certFile,
  EXPIRED_NAME,
  keyFile,
  PLAIN_URL,
  TLS_URL,
  tlsBrokerDown,
  tlsBrokerUp,
  tlsCtl,
  WRONG_NAME,
} from "../support/tls-broker.js";
import { loadWidgets } from "./fixtures/helpers.js";

let schema: Schema;
const CA: TlsOptions = { caFile: certFile("ca") };

before(async () => {
  await tlsBrokerUp();
  schema = await loadWidgets();
});
after(async () => {
  await tlsBrokerDown();
});

/** An agent serving Widget:1 whose `resize` answers (size, previous 1) and notes the caller's user. */
function widgetAgent(url: string, tls: TlsOptions, users: string[]): AgentSession {
  return new AgentSession({
    url,
    tls,
    vendor: "example.org",
    product: "widgets",
    instance: uniqueName("tls"),
    schemas: [schema],
    heartbeatIntervalMs: 500,
    onMethod: async (call) => {
      if (call.userId !== undefined) users.push(call.userId);
      return { size: call.args.size, previous: 1 };
    },
  });
}

/** Opens an agent and a console on `url` with `tls`, calls `resize` once, and closes both. */
async function roundTrip(url: string, tls: TlsOptions) {
  const users: string[] = [];
  const agent = widgetAgent(url, tls, users);
  const consoleS = new ConsoleSession({ url, tls });
  try {
    await consoleS.open();
    await agent.open();
    agent.setObject("Widget", "Widget:1", { name: "w1" });
    await consoleS.waitForAgent(agent.name, 10_000);
    const out = await consoleS.callMethod(agent.objectId("Widget:1"), "resize", { size: 7 });
    const connections = await tlsCtl("list_connections", "client_properties", "ssl", "user");
    const agentConnection = connections
      .split("\n")
      .find((row) => row.includes(`{"connection_name","qmf-agent ${agent.name}"}`));
    return {
      out,
      users,
      agentUser: agent.userId,
      consoleUser: consoleS.userId,
      agentConnection: agentConnection?.split("\t").slice(-2),
    };
  } finally {
    await consoleS.close();
    await agent.close();
  }
}

describe("TLS to the broker", () => {
  it("a good chain: agent and console over amqps://, a method call answered, TLS on the broker's side", async () => {
    const r = await roundTrip(TLS_URL, CA);
    assert.deepEqual(r.out, { size: 7, previous: 1 });
    assert.deepEqual(r.users, ["guest"]);
    assert.deepEqual(r.agentConnection, ["true", "guest"]);
  });

  it("each failed check is a TlsError with its own code and a message saying which check failed", async () => {
    const cases: [string, string, TlsOptions, TlsErrorCode, string][] = [
      [
        "another CA",
        TLS_URL,
        { caFile: certFile("other-ca") },
        "TLS_UNTRUSTED_CERT",
        "TLS: the broker's certificate is not signed by a CA we trust (check the CA file): self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)",
      ],
      [
        "no CA (Node's public roots)",
        TLS_URL,
        {},
        "TLS_UNTRUSTED_CERT",
        "TLS: the broker's certificate is not signed by a CA we trust (check the CA file): self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)",
      ],
      [
        "an expired certificate",
        TLS_URL,
        { ...CA, servername: EXPIRED_NAME },
        "TLS_CERT_EXPIRED",
        "TLS: the broker's certificate has expired: certificate has expired (CERT_HAS_EXPIRED)",
      ],
      [
        "a certificate for another name",
        TLS_URL,
        { ...CA, servername: WRONG_NAME },
        "TLS_NAME_MISMATCH",
        `TLS: the broker's certificate does not name the host (or server name) we verify: Hostname/IP does not match certificate's altnames: Host: ${WRONG_NAME}. is not in the cert's altnames: DNS:other.lvq.test (ERR_TLS_CERT_ALTNAME_INVALID)`,
      ],
      [
        "a client certificate of an unknown CA",
        TLS_URL,
        { ...CA, certFile: certFile("other-ca"), keyFile: keyFile("other-ca") },
        "TLS_CLIENT_CERT_REFUSED",
        "TLS: the broker refused our client certificate: sslv3 alert bad certificate (ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE)",
      ],
      [
        "amqps:// to the plain port",
        PLAIN_URL.replace("amqp:", "amqps:"),
        CA,
        "TLS_HANDSHAKE_FAILED",
        "TLS handshake failed (is the port a TLS port?): wrong version number (ERR_SSL_WRONG_VERSION_NUMBER)",
      ],
      [
        "a CA file that is not there",
        TLS_URL,
        { caFile: "/nonexistent/ca.pem" },
        "TLS_FILES",
        "TLS: cannot read the CA file /nonexistent/ca.pem: ENOENT: no such file or directory, open '/nonexistent/ca.pem'",
      ],
    ];
    for (const [what, url, tls, code, text] of cases) {
      const c = new ConsoleSession({ url, tls, connectTimeoutMs: 5000 });
      const err = await c.open().then(
        () => undefined,
        (e: unknown) => e,
      );
      await c.close();
      assert.ok(isTlsError(err), `${what}: ${String(err)}`);
      assert.equal(err.code, code, what);
      assert.equal(describeConnectFailure(err), text, what);
      assert.equal(err.url, url.replace(":guest@", ":***@"), what);
    }
  });

  it("NODE_TLS_REJECT_UNAUTHORIZED=0 does not turn verification off", async () => {
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      const c = new ConsoleSession({ url: TLS_URL, tls: { caFile: certFile("other-ca") } });
      await assert.rejects(c.open(), { name: "TlsError", code: "TLS_UNTRUSTED_CERT" });
      await c.close();
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
    }
  });

  it("EXTERNAL login: the client certificate's CN is the broker user, and every message's user_id", async () => {
    const r = await roundTrip("amqps://127.0.0.1:5691", {
      ...CA,
      certFile: certFile("client"),
      keyFile: keyFile("client"),
      externalLogin: true,
    });
    assert.deepEqual(r.out, { size: 7, previous: 1 });
    assert.equal(r.agentUser, CLIENT_CERT_USER);
    assert.equal(r.consoleUser, CLIENT_CERT_USER);
    // The agent saw the console's user_id, which the broker checked against the login.
    assert.deepEqual(r.users, [CLIENT_CERT_USER]);
    assert.deepEqual(r.agentConnection, ["true", CLIENT_CERT_USER]);
  });

  it("TLS options that cannot work are refused when the session is made", () => {
    assert.throws(() => new ConsoleSession({ url: TLS_URL, tls: { ...CA, externalLogin: true } }), {
      name: "TypeError",
      message: "tls: EXTERNAL login needs a client certificate and key",
    });
    assert.throws(
      () => new ConsoleSession({ url: TLS_URL, tls: { ...CA, certFile: certFile("client") } }),
      {
        name: "TypeError",
        message: "tls: a client certificate needs its key, and a key its certificate",
      },
    );
  });
});

/** Broker URL lists, their redaction and checks; the error-code helpers of the QMF layer. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AuthenticationError,
  BrokerConnectError,
  connectErrorCode,
  describeConnectFailure,
  libvirtCodeOf,
  libvirtStatus,
  NameInUseError,
  QmfStatus,
} from "../../src/qmf/errors.js";
import {
  brokerUrlProblem,
  parseBrokerUrls,
  redactUrl,
  userOf,
  vhostOf,
} from "../../src/qmf/transport/broker-url.js";

describe("broker URLs", () => {
  it("a list is an array or one text separated by commas; a comma in a password stays", () => {
    assert.deepEqual(parseBrokerUrls("amqp://a:5672"), ["amqp://a:5672"]);
    assert.deepEqual(parseBrokerUrls(" amqp://a:5672 , amqps://u:p@b:5671/vh ,"), [
      "amqp://a:5672",
      "amqps://u:p@b:5671/vh",
    ]);
    assert.deepEqual(parseBrokerUrls("amqp://u:p,q@a,amqp://u:p,q@b"), [
      "amqp://u:p,q@a",
      "amqp://u:p,q@b",
    ]);
    assert.deepEqual(parseBrokerUrls(["amqp://a", " ", "amqp://b"]), ["amqp://a", "amqp://b"]);
    assert.deepEqual(parseBrokerUrls(""), []);
  });

  it("redacts every password of a list", () => {
    assert.equal(
      redactUrl("amqp://u:one@a:5672,amqp://u:two@b:5672/vh"),
      "amqp://u:***@a:5672,amqp://u:***@b:5672/vh",
    );
  });

  it("names the first bad URL of a list, without its password", () => {
    assert.equal(brokerUrlProblem("amqp://a,amqps://b", "from --broker"), undefined);
    assert.equal(
      brokerUrlProblem("amqp://a,http://u:secret@b", "from --broker"),
      "broker URL http://u:***@b (from --broker) must start with amqp:// or amqps://",
    );
    assert.equal(brokerUrlProblem(" ", "from LVQ_BROKER"), "broker URL (from LVQ_BROKER) is empty");
  });

  it("reads the user and vhost of a URL", () => {
    assert.equal(userOf("amqp://al%40ice:pw@h"), "al@ice");
    assert.equal(userOf("amqp://h"), "guest");
    assert.equal(vhostOf("amqp://h/"), "/");
    assert.equal(vhostOf("amqp://h/my%2Fvhost"), "my/vhost");
  });
});

describe("error codes", () => {
  it("a libvirt failure is QMF status 0x10000 + libvirt's code, and back", () => {
    assert.equal(libvirtStatus(42), 0x10000 + 42);
    assert.equal(libvirtCodeOf(0x10000 + 42), 42);
    assert.equal(libvirtCodeOf(QmfStatus.USER), 0);
    assert.equal(libvirtCodeOf(QmfStatus.FORBIDDEN), undefined);
  });

  it("a connect failure is told by its code, also through a wrapper's cause", () => {
    const refused = new BrokerConnectError("REFUSED", "cannot connect to …", {
      url: "amqp://a",
    });
    const wrapped = new Error("cannot use the broker", { cause: refused });
    assert.equal(connectErrorCode(wrapped), "REFUSED");
    assert.equal(connectErrorCode(new Error("other")), undefined);
    assert.equal(
      describeConnectFailure(wrapped),
      "connection refused (is RabbitMQ running, and is the host and port right?)",
    );
    const vhost = new AuthenticationError("refused", {
      code: "VHOST_DENIED",
      user: "guest",
      vhost: "nope",
    });
    assert.equal(vhost.code, "VHOST_DENIED");
    assert.equal(
      describeConnectFailure(vhost),
      'the broker refused the virtual host "nope" to user "guest": it does not exist or the user has no permissions on it',
    );
    assert.equal(new AuthenticationError("bad password").code, "AUTH_FAILED");
    const held = new NameInUseError("queue held");
    assert.ok(held instanceof BrokerConnectError);
    assert.equal(held.code, "NAME_IN_USE");
    assert.equal(describeConnectFailure(held), "queue held");
    assert.equal(describeConnectFailure(new Error("plain")), "plain");
  });
});

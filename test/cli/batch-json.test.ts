// How a batch target's failure reads in `--json`: libvirt's error number and message for a
// libvirt failure, else the condition's name (a QMF status, or the QMF layer's error code).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errorJson } from "../../src/cli/batch.js";
import {
  AgentLostError,
  ConnectionLostError,
  MethodError,
  QmfStatus,
  TimeoutError,
} from "../../src/qmf/errors.js";

describe("batch --json errors", () => {
  test("a libvirt failure: libvirt's own error number and message", () => {
    const e = new MethodError(
      QmfStatus.USER + 55,
      "Requested operation is not valid: domain is not running",
    );
    assert.deepEqual(errorJson(e), {
      code: 55,
      message: "Requested operation is not valid: domain is not running",
    });
  });
  test("a QMF refusal: the status's name and the agent's text", () => {
    const e = new MethodError(QmfStatus.FORBIDDEN, "user guest may not call Domain.suspend");
    assert.deepEqual(errorJson(e), {
      code: "FORBIDDEN",
      message: "user guest may not call Domain.suspend",
    });
    assert.deepEqual(errorJson(new MethodError(42, "odd")), { code: 42, message: "odd" });
  });
  test("a lost connection, a timeout, a lost agent: the QMF layer's code and message", () => {
    assert.deepEqual(errorJson(new ConnectionLostError("connection to the broker lost")), {
      code: "CONNECTION_LOST",
      message: "connection to the broker lost",
    });
    assert.deepEqual(errorJson(new TimeoutError("suspend on Domain:x", 10_000)), {
      code: "TIMEOUT",
      message: "suspend on Domain:x got no answer within 10000 ms",
    });
    assert.deepEqual(errorJson(new AgentLostError("a:b:c", "restarted")), {
      code: "AGENT_LOST",
      message: "agent a:b:c lost: restarted",
    });
    assert.deepEqual(errorJson(new RangeError("other")), { code: "RangeError", message: "other" });
  });
});

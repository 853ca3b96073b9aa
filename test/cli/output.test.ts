// The CLI's pure pieces: escaping of names from libvirt, table alignment, exact JSON for
// bigints, argument parsing by schema type, and where the broker URL comes from.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { redactUrl, resolveSettings } from "../../src/cli/config.js";
import { describeError, exitCodeFor } from "../../src/cli/errors.js";
import { displayValue, formatTable, safeText, toJsonText } from "../../src/cli/output.js";
import { AmbiguousRefError } from "../../src/console/errors.js";
import { parseFieldText } from "../../src/console/field-values.js";
import type { FieldMeta } from "../../src/console/metadata.js";

describe("safeText", () => {
  test("keeps printable unicode, quotes and < as they are", () => {
    assert.equal(safeText(`web "1" <x> é 日本`), `web "1" <x> é 日本`);
  });
  test("escapes control, bidi and invisible characters and the backslash", () => {
    assert.equal(safeText("a\nb\tc\rd"), "a\\nb\\tc\\rd");
    assert.equal(safeText("\u001b[31mred"), "\\x1b[31mred");
    assert.equal(safeText("x\u202ey"), "x\\u{202e}y");
    assert.equal(safeText("z\u200bw"), "z\\u{200b}w");
    assert.equal(safeText("back\\slash"), "back\\\\slash");
    assert.equal(safeText("\u0085\u007f"), "\\x85\\x7f");
  });
  test("displayValue writes bigints exactly and escapes strings", () => {
    assert.equal(displayValue(18446744073709551615n), "18446744073709551615");
    assert.equal(displayValue("a\u0007"), "a\\x07");
    assert.equal(displayValue(null), "");
  });
});

describe("formatTable", () => {
  test("pads every column to its widest cell, wide characters counting two", () => {
    const text = formatTable(
      [{ header: "NAME" }, { header: "SIZE", align: "right" }, { header: "NOTE" }],
      [
        ["web1", "5", "ok"],
        ["日本", "1234", ""],
      ],
    );
    assert.equal(text, "NAME  SIZE  NOTE\nweb1     5  ok\n日本  1234\n");
  });
});

describe("toJsonText", () => {
  test("writes bigints as exact integer literals", () => {
    assert.equal(
      toJsonText({ a: 9007199254740993n, b: [1n, "x"], c: -5n }, 0),
      '{"a":9007199254740993,"b":[1,"x"],"c":-5}',
    );
  });
  test("leaves a string that looks like the placeholder alone", () => {
    assert.equal(
      toJsonText({ s: "\u0000bigint0\u0000", n: 1n }, 0),
      '{"s":"\\u0000bigint0\\u0000","n":1}',
    );
  });
});

describe("parseFieldText", () => {
  const f = (type: FieldMeta["type"]): FieldMeta => ({ name: "x", type });
  test("parses each schema type", () => {
    assert.equal(parseFieldText(f("int32"), "-12", "x"), -12);
    assert.equal(parseFieldText(f("uint64"), "18446744073709551615", "x"), 18446744073709551615n);
    assert.equal(parseFieldText(f("int64"), "5", "x"), 5n);
    assert.equal(parseFieldText(f("bool"), "yes", "x"), true);
    assert.equal(parseFieldText(f("double"), "1.5", "x"), 1.5);
    assert.equal(parseFieldText(f("sstr"), "web1", "x"), "web1");
    assert.deepEqual(parseFieldText(f("map"), '{"a":1}', "x"), { a: 1 });
  });
  test("refuses values that do not fit, naming the argument", () => {
    assert.throws(() => parseFieldText(f("int32"), "2147483648", 'argument "flags"'), {
      name: "ArgumentError",
      message: 'argument "flags": 2147483648 is out of range for int32 (-2147483648..2147483647)',
    });
    assert.throws(() => parseFieldText(f("uint32"), "1.5", 'argument "n"'), {
      message: 'argument "n": "1.5" is not an integer (type uint32)',
    });
    assert.throws(() => parseFieldText(f("bool"), "maybe", "b"), {
      message: 'b: "maybe" is not a boolean (true or false)',
    });
    assert.throws(() => parseFieldText(f("sstr"), "x".repeat(256), "s"), {
      message: "s: 256 bytes, sstr holds at most 255",
    });
  });
});

describe("exit codes and messages", () => {
  test("map each kind of failure", () => {
    assert.equal(exitCodeFor(Object.assign(new Error("x"), { name: "UsageError" })), 2);
    assert.equal(exitCodeFor(Object.assign(new Error("x"), { name: "NotFoundError" })), 3);
    assert.equal(exitCodeFor(Object.assign(new Error("x"), { name: "BrokerUnreachableError" })), 4);
    assert.equal(exitCodeFor(Object.assign(new Error("x"), { name: "TimeoutError" })), 4);
    assert.equal(
      exitCodeFor(Object.assign(new Error("x"), { name: "MethodError", code: 0x10000 + 55 })),
      1,
    );
    assert.equal(exitCodeFor(Object.assign(new Error("x"), { name: "MethodError", code: 1 })), 3);
  });
  test("a libvirt failure shows libvirt's own error number and text", () => {
    const e = Object.assign(new Error("ignored"), {
      name: "MethodError",
      code: 0x10000 + 55,
      text: "Requested operation is not valid: domain is not running",
    });
    assert.equal(
      describeError(e),
      "libvirt error 55: Requested operation is not valid: domain is not running",
    );
  });
  test("a multi-line libvirt message keeps its lines; other control characters are escaped", () => {
    const e = Object.assign(new Error("ignored"), {
      name: "MethodError",
      code: 0x10000 + 35,
      text: "XML error: tag mismatch\n<domai>\u001b[2J\n-----^",
    });
    assert.equal(
      describeError(e),
      "libvirt error 35: XML error: tag mismatch\n<domai>\\x1b[2J\n-----^",
    );
    const refused = Object.assign(new Error("ignored"), {
      name: "MethodError",
      code: 6,
      text: "user guest may not call Domain.suspend",
    });
    assert.equal(
      describeError(refused),
      "method failed (QMF status 6 FORBIDDEN): user guest may not call Domain.suspend",
    );
  });
  test("an ambiguous reference lists its candidates, escaped", () => {
    const e = new AmbiguousRefError('"twin" names 2 objects', "Domain", "twin", [
      { objectId: "a:b:h1/Domain:1", host: "h1", name: "twin", uuid: "u1" },
      { objectId: "a:b:h2/Domain:2", host: "h\u001b2", name: "twin" },
    ]);
    assert.equal(
      describeError(e),
      '"twin" names 2 objects\n  h1/twin  u1  (a:b:h1/Domain:1)\n  h\\x1b2/twin  (a:b:h2/Domain:2)',
    );
  });
});

describe("settings", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvq-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const saved = process.env.LVQ_BROKER;
  after(() => {
    if (saved === undefined) delete process.env.LVQ_BROKER;
    else process.env.LVQ_BROKER = saved;
  });

  test("flag beats environment beats config file beats the default", async () => {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ broker: "amqp://f:f@127.0.0.3:5672", timeout: 3 }));
    delete process.env.LVQ_BROKER;
    let s = await resolveSettings({ config: file });
    assert.deepEqual(s, {
      broker: "amqp://f:f@127.0.0.3:5672",
      brokerSource: `from ${file}`,
      json: false,
      timeoutMs: 3000,
      timeoutGiven: true,
    });
    process.env.LVQ_BROKER = "amqp://e:e@127.0.0.2:5672";
    s = await resolveSettings({ config: file, json: true });
    assert.equal(s.broker, "amqp://e:e@127.0.0.2:5672");
    assert.equal(s.brokerSource, "from LVQ_BROKER");
    assert.equal(s.json, true);
    s = await resolveSettings({ config: file, broker: "amqp://g:g@127.0.0.1:5672", timeout: 0.5 });
    assert.equal(s.broker, "amqp://g:g@127.0.0.1:5672");
    assert.equal(s.timeoutMs, 500);
    delete process.env.LVQ_BROKER;
    s = await resolveSettings({
      config: join(dir, "absent-but-default.json").replace(
        "absent-but-default.json",
        "config.json",
      ),
    });
    assert.equal(s.broker, "amqp://f:f@127.0.0.3:5672");
  });

  test("a bad config file or URL is a usage error naming the problem", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ brokr: "amqp://x" }));
    await assert.rejects(resolveSettings({ config: bad }), {
      name: "UsageError",
      message: `config file ${bad}: unknown or mistyped key "brokr" (expected "broker": a URL or an array of URLs, "timeout": seconds, "settleMs": milliseconds, "expectAgents": a positive integer, "tlsCa", "tlsCert", "tlsKey", "brokerPasswordFile": file paths, "tlsServername": a host name, "tlsExternalLogin": true or false, "agentUsers": {"agent name": "broker user", …}, "web": an object)`,
    });
    await assert.rejects(resolveSettings({ config: bad.replace("bad", "missing") }), {
      name: "UsageError",
    });
    await assert.rejects(resolveSettings({ config: bad, broker: "http://u:secret@h" }), {
      name: "UsageError",
    });
    await assert.rejects(
      resolveSettings({ broker: "http://u:secret@h", config: join(dir, "config.json") }),
      {
        message: "broker URL http://u:***@h (from --broker) must start with amqp:// or amqps://",
      },
    );
  });

  test("discovery settings: flag beats environment beats config file; bad values are usage errors", async () => {
    const file = join(dir, "discovery.json");
    writeFileSync(file, JSON.stringify({ settleMs: 300, expectAgents: 4 }));
    const env = ["LVQ_SETTLE_MS", "LVQ_EXPECT_AGENTS", "LVQ_DISCOVERY_MS"] as const;
    const before = env.map((k) => process.env[k]);
    try {
      for (const k of env) delete process.env[k];
      let s = await resolveSettings({ config: file });
      assert.deepEqual([s.settleMs, s.expectAgents, s.discoveryMs], [300, 4, undefined]);
      process.env.LVQ_SETTLE_MS = "250";
      process.env.LVQ_EXPECT_AGENTS = "3";
      process.env.LVQ_DISCOVERY_MS = "900";
      s = await resolveSettings({ config: file });
      assert.deepEqual([s.settleMs, s.expectAgents, s.discoveryMs], [250, 3, 900]);
      s = await resolveSettings({ config: file, settle: 50, expectAgents: 2 });
      assert.deepEqual([s.settleMs, s.expectAgents, s.discoveryMs], [50, 2, 900]);
      process.env.LVQ_EXPECT_AGENTS = "2.5";
      await assert.rejects(resolveSettings({ config: file }), {
        name: "UsageError",
        message: 'LVQ_EXPECT_AGENTS="2.5": expected a positive integer',
      });
      delete process.env.LVQ_EXPECT_AGENTS;
      writeFileSync(file, JSON.stringify({ expectAgents: 0 }));
      await assert.rejects(resolveSettings({ config: file }), {
        name: "UsageError",
        message: `config file ${file}: unknown or mistyped key "expectAgents" (expected "broker": a URL or an array of URLs, "timeout": seconds, "settleMs": milliseconds, "expectAgents": a positive integer, "tlsCa", "tlsCert", "tlsKey", "brokerPasswordFile": file paths, "tlsServername": a host name, "tlsExternalLogin": true or false, "agentUsers": {"agent name": "broker user", …}, "web": an object)`,
      });
    } finally {
      env.forEach((k, i) => {
        if (before[i] === undefined) delete process.env[k];
        else process.env[k] = before[i];
      });
    }
  });

  test("redactUrl hides the password, also in a string that is not a URL", () => {
    assert.equal(redactUrl("amqp://guest:guest@127.0.0.1:5672"), "amqp://guest:***@127.0.0.1:5672");
    assert.equal(redactUrl("amqp://me:s3cret@host:notaport"), "amqp://me:***@host:notaport");
    assert.equal(redactUrl("me:s3cret@host"), "me:***@host");
  });

  test("a broker URL that does not parse is refused without echoing its password", async () => {
    await assert.rejects(resolveSettings({ broker: "amqp://me:s3cret@host:notaport" }), {
      name: "UsageError",
      message: 'broker URL "amqp://me:***@host:notaport" (from --broker) is not a URL',
    });
  });
});

describe("toJsonText layout", () => {
  test("indents like JSON.stringify for values without bigints", () => {
    const v = { a: [1, { b: "x", u: undefined }], c: {}, d: [], e: null, f: true };
    assert.equal(toJsonText(v), JSON.stringify(v, null, 2));
    assert.equal(toJsonText(v, 0), JSON.stringify(v));
  });
});

describe("toJsonText buffers", () => {
  test("writes Buffers as base64 with and without bigints around", () => {
    assert.equal(toJsonText({ b: Buffer.from("hi") }, 0), '{"b":"aGk="}');
    assert.equal(toJsonText({ b: Buffer.from("hi"), n: 1n }, 0), '{"b":"aGk=","n":1}');
  });
});

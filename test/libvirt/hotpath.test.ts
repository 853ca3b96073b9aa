// The per-call fast paths: the frame decoder fed from one reused read buffer, UUID text parsed
// by hand, short ASCII strings copied char by char, calls issued in one tick leaving in one
// socket write — checked on exact bytes, and against the real libvirtd (test driver).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import {
  domain,
  encodeToBuffer,
  FrameDecoder,
  nonnullString,
  string,
  uuid,
  uuidFromString,
  XdrReader,
} from "../../src/libvirt/codec/index.js";
import {
  connect,
  InvalidArgumentError,
  type LibvirtClient,
  StatsTypes,
} from "../../src/libvirt/index.js";
import { replyPacket } from "../support/packets.js";
import { testDriverNames, writeTestDriverFile } from "../support/testdriver.js";

describe("frame decoder fed from one reused read buffer", () => {
  it("any chunking decodes to the same packets although every chunk's memory is overwritten after push", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          { minLength: 1, maxLength: 8 },
        ),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const padded = payloads.map((p) =>
            Buffer.concat([p, Buffer.alloc((4 - (p.length % 4)) % 4)]),
          );
          const stream = Buffer.concat(padded.map((p, i) => replyPacket(i, p)));
          // Like a socket read with Node's `onread`: every chunk lands in the same memory, which
          // the next read overwrites. Packets are checked after the whole stream went through.
          const readBuffer = Buffer.alloc(64);
          const got: { serial: number; payload: Buffer }[] = [];
          const dec = new FrameDecoder((p) => got.push({ serial: p.serial, payload: p.payload }));
          const kept: string[] = [];
          let at = 0;
          let k = 0;
          while (at < stream.length) {
            const n = Math.min(cuts[k++ % cuts.length] as number, stream.length - at);
            stream.copy(readBuffer, 0, at, at + n);
            const before = got.length;
            dec.push(readBuffer.subarray(0, n));
            // A consumer that keeps a payload copies it during the callback's turn.
            for (const p of got.slice(before))
              kept.push(`${p.serial}:${p.payload.toString("hex")}`);
            readBuffer.fill(0xee);
            at += n;
          }
          assert.deepEqual(
            kept,
            padded.map((p, i) => `${i}:${p.toString("hex")}`),
          );
          assert.equal(dec.bufferedBytes, 0);
        },
      ),
    );
  });

  it("a packet split across reads is copied, so the reused buffer can change under it", () => {
    const payload = Buffer.from("0102030405060708", "hex");
    const packet = replyPacket(9, payload);
    const readBuffer = Buffer.alloc(packet.length);
    const got: string[] = [];
    const dec = new FrameDecoder((p) => got.push(`${p.serial}:${p.payload.toString("hex")}`));
    packet.copy(readBuffer, 0, 0, 10);
    dec.push(readBuffer.subarray(0, 10));
    assert.equal(dec.bufferedBytes, 10);
    readBuffer.fill(0xff);
    packet.copy(readBuffer, 0, 10);
    dec.push(readBuffer.subarray(0, packet.length - 10));
    assert.deepEqual(got, ["9:0102030405060708"]);
    assert.equal(dec.bufferedBytes, 0);
  });

  it("says which packets are in memory of their own: assembled across reads yes, whole in one read no", () => {
    const first = replyPacket(1, Buffer.from("0a0b0c0d", "hex"));
    const second = replyPacket(2, Buffer.from("01020304", "hex"));
    const stream = Buffer.concat([first, second]);
    const got: { serial: number; owned: boolean; payload: Buffer }[] = [];
    const dec = new FrameDecoder((p, owned) => got.push({ ...p, owned }));
    dec.push(stream.subarray(0, first.length)); // packet 1 whole in this read
    dec.push(stream.subarray(first.length, first.length + 5)); // packet 2 split…
    dec.push(stream.subarray(first.length + 5)); // …and completed here
    stream.fill(0); // the read buffer takes the next read: only a view changes with it
    assert.deepEqual(
      got.map((p) => `${p.serial}:${p.owned}:${p.payload.toString("hex")}`),
      ["1:false:00000000", "2:true:01020304"],
    );
  });
});

describe("UUID text", () => {
  const BYTES = "6695eb01f6a4830479aa97f2502e193f";
  for (const text of [
    "6695eb01-f6a4-8304-79aa-97f2502e193f",
    "6695EB01-F6A4-8304-79AA-97F2502E193F",
    "6695eb01f6a4830479aa97f2502e193f",
    "6695eb01-f6a48304-79aa97f2502e193f",
  ]) {
    it(`accepts ${text}`, () => {
      assert.equal(uuidFromString(text).toString("hex"), BYTES);
      assert.equal(encodeToBuffer(uuid, text).toString("hex"), BYTES);
    });
  }

  for (const text of [
    "",
    "6695eb01-f6a4-8304-79aa-97f2502e193",
    "6695eb01-f6a4-8304-79aa-97f2502e193f0",
    "6695eb01--f6a4-8304-79aa-97f2502e193f",
    "6695eb0-1f6a4-8304-79aa-97f2502e193f",
    "6695eb01-f6a4-8304-79aa-97f2502e193g",
    "6695eb01-f6a4-8304-79aa-97f2502e193f-",
    "6695eb01-f6a4-8304-79aa-97f2502e19é3",
  ]) {
    it(`refuses ${JSON.stringify(text)} naming the text`, () => {
      const expected = `not a UUID: ${JSON.stringify(text)}`;
      assert.throws(
        () => uuidFromString(text),
        (e: unknown) => e instanceof InvalidArgumentError && e.message === expected,
      );
      assert.throws(
        () => encodeToBuffer(uuid, text),
        (e: unknown) => e instanceof InvalidArgumentError && e.message === expected,
      );
    });
  }

  it("refuses a non-string", () => {
    assert.throws(
      () => encodeToBuffer(uuid, 42 as unknown as string),
      (e: unknown) => e instanceof InvalidArgumentError && e.message === "not a UUID: 42",
    );
  });

  it("decodes to canonical lowercase text", () => {
    const r = new XdrReader(Buffer.from(BYTES, "hex"));
    assert.equal(uuid.decode(r), "6695eb01-f6a4-8304-79aa-97f2502e193f");
    assert.equal(r.remaining, 0);
  });
});

describe("strings: the ASCII fast path and the UTF-8 path give libvirt the same bytes", () => {
  /** What XDR says a string is: u32 byte length, UTF-8 bytes, zero padding to 4. */
  const xdrString = (s: string) => {
    const utf8 = Buffer.from(s, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(utf8.length);
    return Buffer.concat([len, utf8, Buffer.alloc((4 - (utf8.length % 4)) % 4)]).toString("hex");
  };

  for (const s of [
    "",
    "a",
    "web-01",
    "x".repeat(255),
    "y".repeat(256),
    "z".repeat(257),
    "caf\u00e9",
    `${"a".repeat(200)}\u00e9`,
    "\ud83d\ude00 vm",
  ]) {
    it(`${JSON.stringify(s.length > 20 ? `${s.slice(0, 8)}…(${s.length} chars)` : s)}`, () => {
      assert.equal(encodeToBuffer(nonnullString, s).toString("hex"), xdrString(s));
      const r = new XdrReader(encodeToBuffer(nonnullString, s));
      assert.equal(nonnullString.decode(r), s);
    });
  }

  it("the byte limit holds on both paths", () => {
    assert.equal(encodeToBuffer(string(4), "abcd").toString("hex"), "0000000461626364");
    assert.throws(
      () => encodeToBuffer(string(4), "abcde"),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message === "string is 5 bytes, over the limit of 4",
    );
    // Four chars but five UTF-8 bytes.
    assert.throws(
      () => encodeToBuffer(string(4), "abc\u00e9"),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message === "string is 5 bytes, over the limit of 4",
    );
  });

  it("a domain handle with a non-ASCII name after an ASCII one in the same buffer", () => {
    const a = { name: "plain", uuid: "6695eb01-f6a4-8304-79aa-97f2502e193f", id: 1 };
    const b = { name: "gr\u00fcn", uuid: "00000000-0000-0000-0000-000000000001", id: -1 };
    const bytes = Buffer.concat([encodeToBuffer(domain, a), encodeToBuffer(domain, b)]);
    const r = new XdrReader(bytes);
    assert.deepEqual([domain.decode(r), domain.decode(r)], [a, b]);
    assert.equal(r.remaining, 0);
  });
});

describe("real libvirtd (test driver): many calls issued in one tick", () => {
  const DOMAINS = 40;
  let dir: string;
  let c: LibvirtClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "lvq-hotpath-"));
    const uri = writeTestDriverFile(join(dir, "node.xml"), {
      domains: DOMAINS,
      pools: 0,
      volumesPerPool: 0,
      namePrefix: "hp-",
    });
    c = await connect(uri, { maxInFlight: 16 });
  });
  after(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("every call gets its own reply: 3 lookups per domain, all issued at once", async () => {
    const expected = testDriverNames({
      domains: DOMAINS,
      pools: 0,
      volumesPerPool: 0,
      namePrefix: "hp-",
    }).domains;
    const byName = await Promise.all(expected.map((d) => c.domainLookupByName(d.name)));
    const byUuid = await Promise.all(expected.map((d) => c.domainLookupByUuid(d.uuid)));
    const infos = await Promise.all(byName.map((d) => c.domainGetInfo(d)));
    assert.deepEqual(
      byName.map((d) => [d.name, d.uuid]),
      expected.map((d) => [d.name, d.uuid]),
    );
    assert.deepEqual(
      byUuid.map((d) => [d.name, d.uuid]),
      expected.map((d) => [d.name, d.uuid]),
    );
    assert.equal(infos.length, DOMAINS);
    assert.deepEqual(
      new Set(infos.map((i) => i.state)),
      new Set([1]), // every generated domain is running
    );
    assert.equal(c.pendingCalls, 0);
  });
});

describe("real libvirtd (test driver): a big call among small ones in one tick", () => {
  let dir: string;
  let c: LibvirtClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "lvq-hotpath-xml-"));
    c = await connect(
      writeTestDriverFile(join(dir, "node.xml"), {
        domains: 1,
        pools: 0,
        volumesPerPool: 0,
        namePrefix: "hx-",
      }),
    );
  });
  after(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an 80 KB define travels with the calls issued beside it, and every reply is right", async () => {
    // Over the 64 KiB under which packets of one tick are copied together: written by writev.
    const description = "d".repeat(80_000);
    const xml = `<domain type='test'><name>hx-big</name><description>${description}</description><memory>65536</memory><os><type>hvm</type></os></domain>`;
    const [defined, ...others] = await Promise.all([
      c.domainDefineXml(xml),
      ...Array.from({ length: 6 }, () => c.domainLookupByName("hx-dom-0")),
    ]);
    assert.equal(defined.name, "hx-big");
    assert.deepEqual(
      others.map((d) => d.name),
      Array.from({ length: 6 }, () => "hx-dom-0"),
    );
    const back = await c.domainGetXmlDesc(defined);
    assert.equal(/<description>([^<]*)<\/description>/.exec(back)?.[1], description);
    await c.domainUndefine(defined);
  });
});

describe("real libvirtd (test driver): a reply bigger than the reused read buffer", () => {
  // 2500 handles of 36 bytes each: a 90 KB list reply, more than one 64 KiB read.
  const spec = { domains: 2500, pools: 0, volumesPerPool: 0, namePrefix: "hb-" };
  let dir: string;
  let c: LibvirtClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "lvq-hotpath-big-"));
    c = await connect(writeTestDriverFile(join(dir, "node.xml"), spec));
  });
  after(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("arrives whole and exact, and the connection goes on", async () => {
    const listed = await c.listAllDomains();
    const expected = testDriverNames(spec).domains;
    assert.equal(listed.length, 2500);
    assert.deepEqual(
      listed.map((d) => [d.name, d.uuid]).sort(),
      expected.map((d) => [d.name, d.uuid]).sort(),
    );
    const info = await c.domainGetInfo(listed[0] as (typeof listed)[0]);
    assert.equal(info.state, 1);
  });
  it("bulk stats decoded lazily after later reads reused the read buffer are exact", async () => {
    // The stats reply spans reads, so it is assembled in memory of its own and its records
    // are decoded from a view of it; the reads that follow reuse the socket's read buffer.
    const stats = await c.getAllDomainStatsLazily([], StatsTypes.STATE);
    await Promise.all([c.listAllDomains(), c.listAllDomains()]);
    const names: string[] = [];
    for (const rec of stats) {
      assert.deepEqual(rec.params, { "state.state": 1, "state.reason": 0 }, rec.domain.name);
      names.push(rec.domain.name);
    }
    assert.deepEqual(
      names.sort(),
      testDriverNames(spec)
        .domains.map((d) => d.name)
        .sort(),
    );
  });
});

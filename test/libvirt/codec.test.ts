// The XDR codec, the wire structs and the framing: annotated golden bytes for each struct
// shape, property round trips, and the frame decoder fed one byte at a time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeFromBuffer,
  decodePacket,
  domain,
  EventFamilies,
  encodePacket,
  encodeToBuffer,
  eventKindOf,
  eventKinds,
  FrameDecoder,
  nodeInfo,
  type Packet,
  PacketStatus,
  PacketType,
  Program,
  RemoteProcedure,
  remoteError,
  remoteString,
  storagePool,
  storageVol,
  type TypedParam,
  typedParam,
  XdrReader,
  XdrWriter,
} from "../../src/libvirt/codec/index.js";
import { InvalidArgumentError, ProtocolError } from "../../src/libvirt/errors.js";
import { decodeAll, golden, hex } from "../support/golden.js";
import { replyPacket } from "../support/packets.js";

const UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f";
const UUID_HEX = "6695eb01f6a4830479aa97f2502e193f";

describe("golden bytes", () => {
  it("remote_nonnull_domain {name; uuid[16]; int id}", () => {
    golden(
      domain,
      { name: "test", uuid: UUID, id: 1 },
      hex(`
        00000004 74657374          # name: length 4, "test" (no padding needed)
        ${UUID_HEX}                # uuid: 16 raw bytes, no length word
        00000001                   # id: int 1
      `),
    );
    golden(
      domain,
      { name: "web", uuid: UUID, id: -1 },
      hex(`
        00000003 77656200          # name: length 3, "web", 1 byte of zero padding
        ${UUID_HEX}
        ffffffff                   # id: -1 (inactive)
      `),
    );
  });

  it("remote_nonnull_storage_pool {name; uuid} and remote_nonnull_storage_vol {pool; name; key}", () => {
    golden(
      storagePool,
      { name: "default", uuid: UUID },
      hex(`
        00000007 64656661756c7400  # "default" + 1 pad byte
        ${UUID_HEX}
      `),
    );
    golden(
      storageVol,
      { pool: "p", name: "v1", key: "/p/v1" },
      hex(`
        00000001 70000000          # pool "p" + 3 pad
        00000002 76310000          # name "v1" + 2 pad
        00000005 2f702f7631000000  # key "/p/v1" + 3 pad
      `),
    );
  });

  it("remote_string: NULL is one zero word, a value is 1 then the string", () => {
    golden(remoteString, null, hex("00000000 # absent"));
    golden(
      remoteString,
      "qemu:///system",
      hex(`
        00000001                                 # present
        0000000e 71656d753a2f2f2f73797374656d 0000 # 14 bytes + 2 pad
      `),
    );
  });

  it("DOMAIN_GET_INFO reply: unsigned char and unsigned short take 4 bytes each (32 bytes)", () => {
    const bytes = hex(`
      00000001                 # state: unsigned char 1 (running) in a full word
      0000000000800000         # maxMem: unsigned hyper 8388608 KiB
      0000000000200000         # memory: unsigned hyper 2097152 KiB
      00000002                 # nrVirtCpu: unsigned short 2 in a full word
      18eb7e8b1a3c2c00         # cpuTime: unsigned hyper
    `);
    assert.equal(bytes.length, 32);
    golden(
      RemoteProcedure.domainGetInfo.ret,
      {
        state: 1,
        maxMem: 8388608n,
        memory: 2097152n,
        nrVirtCpu: 2,
        cpuTime: 0x18eb7e8b1a3c2c00n,
      },
      bytes,
    );
  });

  it("NODE_GET_INFO reply: char model[32] takes 128 bytes (160 in all)", () => {
    const modelWords = [..."i686"].map((c) => c.charCodeAt(0).toString(16).padStart(8, "0"));
    const bytes = hex(`
      ${modelWords.join(" ")}  # model: 'i','6','8','6', one char per 4-byte word
      ${"00000000 ".repeat(28)} # the other 28 chars: NUL words
      0000000000300000         # memory: 3145728 KiB
      00000010                 # cpus 16
      00000578                 # mhz 1400
      00000002 00000002 00000002 00000002 # nodes, sockets, cores, threads
    `);
    assert.equal(bytes.length, 160);
    golden(
      nodeInfo,
      {
        model: "i686",
        memory: 3145728n,
        cpus: 16,
        mhz: 1400,
        nodes: 2,
        sockets: 2,
        cores: 2,
        threads: 2,
      },
      bytes,
    );
  });

  it("STORAGE_VOL_GET_INFO reply: char type in a word (20 bytes)", () => {
    const bytes = hex(`
      00000000          # type: char 0 (file)
      0000000000100000  # capacity 1 MiB
      0000000000001000  # allocation 4 KiB
    `);
    assert.equal(bytes.length, 20);
    golden(
      RemoteProcedure.storageVolGetInfo.ret,
      { type: 0, capacity: 1048576n, allocation: 4096n },
      bytes,
    );
  });

  it("STORAGE_POOL_GET_INFO reply: unsigned char state then three hypers (28 bytes)", () => {
    golden(
      RemoteProcedure.storagePoolGetInfo.ret,
      { state: 2, capacity: 107374182400n, allocation: 0n, available: 107374182400n },
      hex(`
        00000002          # state: running
        0000001900000000  # capacity 100 GiB
        0000000000000000  # allocation 0
        0000001900000000  # available 100 GiB
      `),
    );
  });

  it("remote_typed_param: field, int discriminant, then the arm", () => {
    const cases: [TypedParam, string][] = [
      [{ field: "a", type: 1, value: -2 }, "00000001 61000000 00000001 fffffffe # int -2"],
      [{ field: "a", type: 2, value: 4000000000 }, "00000001 61000000 00000002 ee6b2800 # uint"],
      [
        { field: "a", type: 3, value: -5n },
        "00000001 61000000 00000003 fffffffffffffffb # hyper -5",
      ],
      [
        { field: "a", type: 4, value: 1n << 63n },
        "00000001 61000000 00000004 8000000000000000 # unsigned hyper 2^63",
      ],
      [
        { field: "a", type: 5, value: 1.5 },
        "00000001 61000000 00000005 3ff8000000000000 # IEEE double 1.5",
      ],
      [{ field: "a", type: 6, value: true }, "00000001 61000000 00000006 00000001 # bool"],
      [
        { field: "a", type: 7, value: "xy" },
        "00000001 61000000 00000007 00000002 78790000 # string 'xy' + 2 pad",
      ],
    ];
    for (const [value, bytes] of cases) golden(typedParam, value, hex(bytes));
  });

  it("remote_error as libvirt sends it for a missing domain", () => {
    golden(
      remoteError,
      {
        code: 42,
        domain: 12,
        message: "Domain not found",
        level: 2,
        dom: null,
        str1: "Domain not found",
        str2: null,
        str3: null,
        int1: -1,
        int2: -1,
        net: null,
      },
      hex(`
        0000002a                                   # code 42 (NO_DOMAIN)
        0000000c                                   # domain 12
        00000001 00000010 446f6d61696e206e6f7420666f756e64 # message present, 16 bytes
        00000002                                   # level 2 (error)
        00000000                                   # dom: NULL
        00000001 00000010 446f6d61696e206e6f7420666f756e64 # str1
        00000000 00000000                          # str2, str3: NULL
        ffffffff ffffffff                          # int1, int2: -1
        00000000                                   # net: NULL
      `),
    );
  });

  it("CONNECT_LIST_ALL_DOMAINS reply: counted array, then u ret", () => {
    golden(
      RemoteProcedure.connectListAllDomains.ret,
      { domains: [{ name: "test", uuid: UUID, id: 1 }], ret: 1 },
      hex(`
        00000001                          # 1 domain follows
        00000004 74657374 ${UUID_HEX} 00000001
        00000001                          # ret = 1
      `),
    );
  });

  it("a CALL packet: length word counts itself, then the 24-byte header, then the args", () => {
    const packet = encodePacket(
      {
        program: Program.REMOTE,
        version: 1,
        procedure: RemoteProcedure.connectSupportsFeature.number,
        type: PacketType.CALL,
        serial: 7,
        status: PacketStatus.OK,
      },
      (w) => RemoteProcedure.connectSupportsFeature.args.encode(w, { feature: 10 }),
    );
    assert.equal(
      packet.toString("hex"),
      hex(`
        00000020  # length 32 = 4 + 24 + 4
        20008086  # program REMOTE
        00000001  # version 1
        0000003c  # procedure 60 (CONNECT_SUPPORTS_FEATURE)
        00000000  # type CALL
        00000007  # serial 7
        00000000  # status OK
        0000000a  # feature 10 (keepalive)
      `).toString("hex"),
    );
    const p = decodePacket(Buffer.from(packet));
    assert.deepEqual(
      { ...p, payload: p.payload.toString("hex") },
      {
        program: Program.REMOTE,
        version: 1,
        procedure: 60,
        type: 0,
        serial: 7,
        status: 0,
        payload: "0000000a",
      },
    );
  });
});

describe("event table", () => {
  const { domainLifecycle, poolLifecycle, poolRefresh } = EventFamilies;
  const POOL_HEX = `00000007 64656661756c7400 ${UUID_HEX} # pool "default" + 1 pad, uuid`;

  it("each row: message, register and deregister procedures, event id (libvirt's numbers)", () => {
    assert.deepEqual(
      eventKinds.map((kind) => {
        const row = EventFamilies[kind];
        return [
          kind,
          `0x${row.message.program.toString(16)}`,
          `${row.message.name} ${row.message.number}`,
          `${row.register.name} ${row.register.number}`,
          `${row.deregister.name} ${row.deregister.number}`,
          row.eventId,
        ];
      }),
      [
        [
          "domainLifecycle",
          "0x20008086",
          "DOMAIN_EVENT_CALLBACK_LIFECYCLE 318",
          "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY 316",
          "CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY 317",
          0,
        ],
        [
          "poolLifecycle",
          "0x20008086",
          "STORAGE_POOL_EVENT_LIFECYCLE 370",
          "CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY 368",
          "CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY 369",
          0,
        ],
        [
          "poolRefresh",
          "0x20008086",
          "STORAGE_POOL_EVENT_REFRESH 373",
          "CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY 368",
          "CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY 369",
          1,
        ],
        [
          "networkLifecycle",
          "0x20008086",
          "NETWORK_EVENT_LIFECYCLE 315",
          "CONNECT_NETWORK_EVENT_REGISTER_ANY 313",
          "CONNECT_NETWORK_EVENT_DEREGISTER_ANY 314",
          0,
        ],
      ],
    );
  });

  it("register-any args: the event id, then a NULL handle (every object); deregister: the id", () => {
    golden(
      poolRefresh.register.args,
      { eventID: 1 },
      hex(`
        00000001  # eventID 1 (VIR_STORAGE_POOL_EVENT_ID_REFRESH)
        00000000  # remote_storage_pool: NULL = every pool
      `),
    );
    golden(domainLifecycle.register.args, { eventID: 0 }, hex("00000000 00000000"));
    golden(domainLifecycle.register.ret, { callbackID: 3 }, hex("00000003 # callbackID"));
    golden(poolLifecycle.deregister.args, { callbackID: 3 }, hex("00000003 # callbackID"));
    assert.equal(encodeToBuffer(poolLifecycle.deregister.ret, undefined).length, 0);
    assert.throws(
      () => decodeAll(domainLifecycle.register.args, hex("00000000 00000001 # a handle follows")),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "register-any for one object is not supported" &&
        e.offset === 4,
    );
  });

  it("DOMAIN_EVENT_CALLBACK_LIFECYCLE {int callbackID; domain; int event; int detail}", () => {
    const body = hex(`
      00000001                                  # callbackID 1
      00000004 74657374 ${UUID_HEX} 00000001    # dom "test", uuid, id 1
      00000005                                  # event 5 (STOPPED)
      00000004                                  # detail 4 (SAVED)
    `);
    const dom = { name: "test", uuid: UUID, id: 1 };
    golden(domainLifecycle.message.body, { callbackID: 1, dom, event: 5, detail: 4 }, body);
    assert.deepEqual(domainLifecycle.payload(decodeAll(domainLifecycle.message.body, body)), {
      domain: dom,
      event: 5,
      detail: 4,
    });
  });

  it("STORAGE_POOL_EVENT_LIFECYCLE {callbackID; pool; event; detail} and _REFRESH {callbackID; pool}", () => {
    const pool = { name: "default", uuid: UUID };
    const lifecycle = hex(`
      00000002     # callbackID 2
      ${POOL_HEX}
      00000004     # event 4 (CREATED)
      00000000     # detail 0
    `);
    golden(poolLifecycle.message.body, { callbackID: 2, pool, event: 4, detail: 0 }, lifecycle);
    assert.deepEqual(poolLifecycle.payload(decodeAll(poolLifecycle.message.body, lifecycle)), {
      pool,
      event: 4,
      detail: 0,
    });
    const refresh = hex(`
      00000003     # callbackID 3
      ${POOL_HEX}
    `);
    golden(poolRefresh.message.body, { callbackID: 3, pool }, refresh);
    assert.deepEqual(poolRefresh.payload(decodeAll(poolRefresh.message.body, refresh)), { pool });
    // A refresh body is not a lifecycle body: the two are told apart by procedure, not shape.
    assert.throws(() => decodeAll(poolLifecycle.message.body, refresh), ProtocolError);
  });

  it("a whole event MESSAGE packet routes to its kind by program and procedure", () => {
    const packet = hex(`
      00000038  # length 56 = 4 + 24 + 28
      20008086  # program REMOTE
      00000001  # version 1
      00000175  # procedure 373 (STORAGE_POOL_EVENT_REFRESH)
      00000002  # type MESSAGE
      00000001  # serial 1 (what libvirtd 9.0 sends on events)
      00000000  # status OK
      00000003  # callbackID 3
      00000001 70000000 ${UUID_HEX} # pool "p" + 3 pad, uuid
    `);
    const p = decodePacket(packet);
    assert.equal(p.type, PacketType.MESSAGE);
    const kind = eventKindOf(p.program, p.procedure);
    assert.equal(kind, "poolRefresh");
    const row = EventFamilies.poolRefresh;
    assert.deepEqual(row.payload(decodeFromBuffer(row.message.body, p.payload, "event")), {
      pool: { name: "p", uuid: UUID },
    });
    assert.equal(eventKindOf(Program.QEMU, 373), undefined, "same number, other program");
    assert.equal(eventKindOf(Program.REMOTE, 1), undefined, "CONNECT_OPEN: a call, no event");
  });
});

describe("encoding refuses bad values with a message naming the field", () => {
  it("out-of-range ints, non-bigint hypers, bad UUIDs, over-long strings", () => {
    assert.throws(
      () =>
        encodeToBuffer(RemoteProcedure.domainGetState.args, {
          dom: { name: "x", uuid: UUID, id: 2 ** 31 },
          flags: 0,
        }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message === "dom: id: int must be a 32-bit signed integer, got 2147483648",
    );
    assert.throws(
      () => encodeToBuffer(RemoteProcedure.domainLookupByUuid.args, { uuid: "not-a-uuid" }),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message === 'uuid: not a UUID: "not-a-uuid"',
    );
    assert.throws(
      () =>
        encodeToBuffer(RemoteProcedure.domainDefineXml.args, {
          xml: "x".repeat(4 * 1024 * 1024 + 1),
        }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message === "xml: string is 4194305 bytes, over the limit of 4194304",
    );
    assert.throws(
      () =>
        encodeToBuffer(typedParam, { field: "bandwidth", type: 4, value: 5 as unknown as bigint }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message === "typed parameter bandwidth must be an unsigned 64-bit bigint, got 5",
    );
  });
});

describe("decoding is bounded", () => {
  it("an array count larger than the bytes left is refused before allocating", () => {
    const bytes = hex("00004000 # claims 16384 domains, none follow");
    assert.throws(
      () => decodeAll(RemoteProcedure.connectListAllDomains.ret, bytes),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "XDR array at offset 0 claims 16384 elements but only 0 bytes follow",
    );
  });
  it("an array count over the declared maximum is refused", () => {
    const bytes = hex("00004001 # 16385 > REMOTE_DOMAIN_LIST_MAX");
    assert.throws(
      () => decodeAll(RemoteProcedure.connectListAllDomains.ret, bytes),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "XDR array at offset 0 claims 16385 elements, over 16384",
    );
  });
  it("a string longer than 4 MiB is refused, a truncated one too", () => {
    assert.throws(
      () => decodeAll(remoteString, hex("00000001 00400001")),
      (e: unknown) => e instanceof ProtocolError && e.offset === 4,
    );
    assert.throws(
      () => decodeAll(remoteString, hex("00000001 00000008 6162")),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "truncated XDR: string body needs 8 bytes at offset 8, only 2 left",
    );
  });
  it("trailing bytes after a value are an error", () => {
    assert.throws(
      () => decodeAll(RemoteProcedure.connectGetLibVersion.ret, hex("0000000000895440 00000000")),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "4 unexpected trailing bytes after test value at offset 8",
    );
  });
  it("a lazily decoded array checks its count at once and its elements as they are read", () => {
    const ret = RemoteProcedure.connectGetAllDomainStats.ret;
    assert.throws(
      () => decodeAll(ret, hex("00000002 # two records claimed, no bytes for them")),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "XDR array at offset 0 claims 2 elements but only 0 bytes follow",
    );
    // One well-formed record, then one whose typed parameter has type 9.
    const good = encodeToBuffer(ret, {
      retStats: [
        {
          dom: { name: "a", uuid: "00000000-0000-0000-0000-000000000001", id: 1 },
          params: [{ field: "state.state", type: 1, value: 1 }],
        },
      ],
    });
    const bad = Buffer.concat([
      hex("00000002"),
      good.subarray(4),
      hex(`00000001 62000000 ${"00".repeat(16)} 00000002 # record 2: domain "b", id 2`),
      hex(`00000001 # one param
           00000001 78000000 # field "x"
           00000009 # type 9`),
    ]);
    const { retStats } = decodeAll(ret, bad);
    assert.equal(retStats.length, 2);
    const it = retStats[Symbol.iterator]();
    assert.deepEqual(it.next().value?.params, [{ field: "state.state", type: 1, value: 1 }]);
    assert.throws(
      () => it.next(),
      (e: unknown) =>
        e instanceof ProtocolError && e.message === "typed parameter x has unknown type 9",
    );
  });
  it("a lazily decoded array owns its bytes: reusing the read buffer does not change it", () => {
    const ret = RemoteProcedure.connectGetAllDomainStats.ret;
    const dom = { name: "keep", uuid: "00000000-0000-0000-0000-0000000000aa", id: 3 };
    const bytes = encodeToBuffer(ret, { retStats: [{ dom, params: [] }] });
    const { retStats } = decodeAll(ret, bytes);
    bytes.fill(0xff); // the socket's reused read buffer takes the next read
    assert.deepEqual([...retStats], [{ dom, params: [] }]);
    assert.deepEqual([...retStats], [{ dom, params: [] }], "each iteration decodes afresh");
  });
  it("a lazily decoded array takes a view, not a copy, when the reader owns its buffer", () => {
    const ret = RemoteProcedure.connectGetAllDomainStats.ret;
    const dom = { name: "view", uuid: "00000000-0000-0000-0000-0000000000bb", id: 4 };
    const bytes = encodeToBuffer(ret, { retStats: [{ dom, params: [] }] });
    const { retStats } = ret.decode(new XdrReader(bytes, 0, bytes.length, true));
    assert.deepEqual([...retStats], [{ dom, params: [] }]);
    bytes.write("w", 8, "latin1"); // the name's first byte, after the count and its length
    assert.deepEqual([...retStats], [{ dom: { ...dom, name: "wiew" }, params: [] }]);
  });
  it("an XDR bool other than 0/1 is an error", () => {
    assert.throws(() => decodeAll(remoteString, hex("00000002")), ProtocolError);
  });
});

const arbUuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});
const arbDomain = fc
  .record({
    name: fc.string({ unit: "grapheme", maxLength: 40 }),
    uuid: arbUuid,
    id: fc.integer({ min: -1, max: 0x7fffffff }),
  })
  .map((d) => ({ ...d }));
// fast-check builds records without a prototype; spread them into plain objects.
const plain = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.map((v) => ({ ...v }));
const arbTypedParam: fc.Arbitrary<TypedParam> = fc.oneof(
  plain(
    fc.record({
      field: fc.string({ maxLength: 20 }),
      type: fc.constant(1 as const),
      value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    }),
  ),
  plain(
    fc.record({
      field: fc.string({ maxLength: 20 }),
      type: fc.constant(2 as const),
      value: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    }),
  ),
  plain(
    fc.record({
      field: fc.string({ maxLength: 20 }),
      type: fc.constant(3 as const),
      value: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
    }),
  ),
  plain(
    fc.record({
      field: fc.string({ maxLength: 20 }),
      type: fc.constant(4 as const),
      value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    }),
  ),
  plain(
    fc.record({
      field: fc.string({ maxLength: 20 }),
      type: fc.constant(5 as const),
      value: fc.double({ noNaN: true }),
    }),
  ),
  plain(
    fc.record({
      field: fc.string({ maxLength: 20 }),
      type: fc.constant(6 as const),
      value: fc.boolean(),
    }),
  ),
  plain(
    fc.record({
      field: fc.string({ maxLength: 20 }),
      type: fc.constant(7 as const),
      value: fc.string({ maxLength: 50 }),
    }),
  ),
);

describe("property round trips", () => {
  it("primitives", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.string({ unit: "grapheme", maxLength: 64 }),
        fc.uint8Array({ maxLength: 40 }),
        (i, u, h, uh, s, o) => {
          const w = new XdrWriter(8);
          w.int(i);
          w.uint(u);
          w.hyper(h);
          w.uhyper(uh);
          w.string(s, 1 << 20);
          w.opaque(o, 100);
          assert.equal(w.length % 4, 0);
          const r = new XdrReader(Buffer.from(w.bytes()));
          assert.equal(r.int(), i);
          assert.equal(r.uint(), u);
          assert.equal(r.hyper(), h);
          assert.equal(r.uhyper(), uh);
          assert.equal(r.string(1 << 20), s);
          assert.deepEqual(new Uint8Array(r.opaque(100)), o);
          r.finish("primitives");
        },
      ),
    );
  });
  it("domains and the bulk-stats reply with every typed-param type", () => {
    const codec = RemoteProcedure.connectGetAllDomainStats.ret;
    fc.assert(
      fc.property(
        fc.array(
          plain(fc.record({ dom: arbDomain, params: fc.array(arbTypedParam, { maxLength: 8 }) })),
          {
            maxLength: 6,
          },
        ),
        (retStats) => {
          const bytes = encodeToBuffer(codec, { retStats });
          const got = decodeAll(codec, bytes).retStats;
          assert.equal(got.length, retStats.length);
          assert.deepEqual([...got], retStats);
        },
      ),
    );
  });
  it("migration arguments (optional string, typed params, opaque cookie)", () => {
    const codec = RemoteProcedure.domainMigratePerform3Params.args;
    fc.assert(
      fc.property(
        arbDomain,
        fc.option(fc.string({ maxLength: 30 })),
        fc.array(arbTypedParam, { maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (dom, dconnuri, params, cookie, flags) => {
          const value = { dom, dconnuri, params, cookie_in: Buffer.from(cookie), flags };
          assert.deepEqual(decodeAll(codec, encodeToBuffer(codec, value)), value);
        },
      ),
    );
  });
});

describe("framing", () => {
  it("fed one byte at a time, yields the same packets as fed whole", () => {
    const payloads = [Buffer.alloc(0), Buffer.from("abcd"), Buffer.alloc(4000, 7)];
    const stream = Buffer.concat(payloads.map((p, i) => replyPacket(i + 1, p)));
    const got: Packet[] = [];
    const dec = new FrameDecoder((p) => got.push({ ...p, payload: Buffer.from(p.payload) }));
    for (let i = 0; i < stream.length; i++) dec.push(stream.subarray(i, i + 1));
    assert.equal(got.length, 3);
    assert.deepEqual(
      got.map((p) => [p.serial, p.procedure, p.type, p.payload.toString("hex")]),
      payloads.map((p, i) => [i + 1, 16, 1, p.toString("hex")]),
    );
    assert.equal(dec.bufferedBytes, 0);
  });

  it("any chunking of a stream of packets decodes to the same packets", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          // XDR payloads are whole words; pad the random bytes.
          const padded = payloads.map((p) =>
            Buffer.concat([p, Buffer.alloc((4 - (p.length % 4)) % 4)]),
          );
          const stream = Buffer.concat(padded.map((p, i) => replyPacket(i, p)));
          const got: string[] = [];
          const dec = new FrameDecoder((p) => got.push(`${p.serial}:${p.payload.toString("hex")}`));
          let at = 0;
          let k = 0;
          while (at < stream.length) {
            const n = cuts[k++ % cuts.length] as number;
            dec.push(stream.subarray(at, at + n));
            at += n;
          }
          assert.deepEqual(
            got,
            padded.map((p, i) => `${i}:${p.toString("hex")}`),
          );
        },
      ),
    );
  });

  it("refuses a length over 32 MiB + 4 after reading only the length word", () => {
    const dec = new FrameDecoder(() => assert.fail("no packet expected"));
    assert.throws(
      () => dec.push(hex("02000005")),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "packet length 33554437 is over libvirt's limit of 33554436",
    );
    assert.equal(dec.bufferedBytes, 4);
    // The decoder stays failed: the stream cannot be resynchronised.
    assert.throws(() => dec.push(Buffer.alloc(4)), ProtocolError);
  });

  it("accepts exactly the largest length libvirt allows (header arrives, body pending)", () => {
    const dec = new FrameDecoder(() => assert.fail("no packet expected"));
    dec.push(hex("02000004"));
    assert.equal(dec.bufferedBytes, 4);
  });

  it("refuses a length shorter than the header", () => {
    const dec = new FrameDecoder(() => assert.fail("no packet expected"));
    assert.throws(
      () => dec.push(hex("0000001b")),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "packet length 27 is shorter than the 28-byte header",
    );
  });

  it("refuses to encode a packet over the limit", () => {
    assert.throws(
      () =>
        encodePacket(
          { program: Program.REMOTE, version: 1, procedure: 11, type: 0, serial: 1, status: 0 },
          (w) => w.fixedOpaque(Buffer.alloc(64), 64),
          32,
        ),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.message === "packet of 88 bytes is over libvirt's limit of 32",
    );
  });
});

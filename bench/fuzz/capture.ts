// Records the seed corpus from the real services, once, into bench/fuzz/seeds/ (committed):
// the fuzz run itself needs neither libvirtd nor RabbitMQ.
//
//   npx tsx bench/fuzz/capture.ts
//
// libvirt: a client on a private test-driver node file talks to the real libvirtd through a
// recording unix-socket proxy; every packet the daemon sends (replies of ~50 procedures, error
// replies, lifecycle events of domains, pools and networks) is kept, one per procedure.
// QMF: an agent on its own test-driver file and a console, on the real RabbitMQ, with a tap
// queue bound to what they send each other (heartbeats, locate, queries and their responses,
// schemas, method calls, exceptions, data indications, events); one body per message kind.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect as netConnect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodePacket,
  EventFamilies,
  eventKinds,
  PacketStatus,
  PacketType,
  Program,
  RemoteProcedure,
} from "../../src/libvirt/codec/index.js";
import { connect, type Domain, type LibvirtClient, StatsTypes } from "../../src/libvirt/index.js";
import { DEFAULT_SOCKET_PATH } from "../../src/libvirt/transport/index.js";
import { decodeList, decodeMap } from "../../src/qmf/codec/index.js";
import { ConsoleSession } from "../../src/qmf/index.js";
import {
  AmqpLink,
  ContentType,
  DIRECT_EXCHANGE,
  type InboundMessage,
  RoutingKey,
  TOPIC_EXCHANGE,
} from "../../src/qmf/transport/index.js";
import { agentNameOf, startTestAgent } from "../../test/support/agent.js";
import { BROKER } from "../../test/support/broker.js";
import { uniqueName } from "../../test/support/names.js";
import { writeTestDriverFile } from "../../test/support/testdriver.js";
import { decodeSeed } from "./libvirt.js";
import { type Seed, writeSeeds } from "./seeds.js";

/** Seeds above this size are left out: they slow every mutation and add little. */
const MAX_SEED_BYTES = 64 * 1024;
/** Messages kept per kind (events of one row differ in their event and detail numbers). */
const PER_KIND = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one step; a refusal by the daemon or the agent is fine (its reply is a seed too). */
async function step(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    console.error(`  ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Keeps up to PER_KIND seeds per name, the smallest first seen, suffixed -1, -2, …. */
function keepPerKind(named: { kind: string; bytes: Buffer }[]): Seed[] {
  const counts = new Map<string, number>();
  const out: Seed[] = [];
  for (const { kind, bytes } of named) {
    if (bytes.length > MAX_SEED_BYTES) continue;
    const n = (counts.get(kind) ?? 0) + 1;
    if (n > PER_KIND) continue;
    counts.set(kind, n);
    out.push({ name: `${kind}-${n}`, bytes });
  }
  return out;
}

// ---- libvirt ------------------------------------------------------------------------------

/** A unix-socket proxy to libvirtd that hands every byte the daemon sends to `record`. */
function recordingProxy(listenPath: string, record: (chunk: Buffer) => void): Promise<Server> {
  const server = createServer((client) => {
    const daemon = netConnect(DEFAULT_SOCKET_PATH);
    client.on("data", (c: Buffer) => daemon.write(c));
    daemon.on("data", (c: Buffer) => {
      record(Buffer.from(c));
      client.write(c);
    });
    client.on("close", () => daemon.destroy());
    daemon.on("close", () => client.destroy());
    client.on("error", () => {});
    daemon.on("error", () => {});
  });
  return new Promise((resolve) => server.listen(listenPath, () => resolve(server)));
}

const procedureNames = new Map<number, string>([
  ...Object.values(RemoteProcedure).map((r): [number, string] => [r.number, r.name]),
  ...eventKinds.flatMap((k): [number, string][] => [
    [EventFamilies[k].register.number, EventFamilies[k].register.name],
    [EventFamilies[k].deregister.number, EventFamilies[k].deregister.name],
    [EventFamilies[k].message.number, EventFamilies[k].message.name],
  ]),
]);

/** `reply-NAME`, `error-NAME`, `event-NAME` or `keepalive-N` for a packet. */
function packetKind(bytes: Buffer): string {
  const p = decodePacket(bytes);
  if (p.program === Program.KEEPALIVE) return `keepalive-${p.procedure}`;
  const name = procedureNames.get(p.procedure) ?? `PROC_${p.procedure}`;
  if (p.type === PacketType.MESSAGE) return `event-${name}`;
  return `${p.status === PacketStatus.ERROR ? "error" : "reply"}-${name}`;
}

/** Splits the daemon's byte stream at its length words. */
function splitPackets(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos + 4 <= stream.length; ) {
    const len = stream.readUInt32BE(pos);
    out.push(Buffer.from(stream.subarray(pos, pos + len)));
    pos += len;
  }
  return out;
}

const domainXml = (name: string) =>
  `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>`;

/** Drives a client through the calls whose replies and events become seeds. */
async function exercise(c: LibvirtClient): Promise<void> {
  await step("events", () => c.registerEvents(eventKinds));
  for (const call of [
    () => c.getType(),
    () => c.getHostname(),
    () => c.getUri(),
    () => c.getCapabilities(),
    () => c.getVersion(),
    () => c.getLibVersion(),
    () => c.nodeGetInfo(),
    () => c.nodeGetFreeMemory(),
    () => c.nodeGetCpuStats(),
    () => c.nodeGetMemoryStats(),
  ]) {
    await step("node", call);
  }
  const doms = await c.listAllDomains();
  const d = doms[0] as Domain;
  await step("lookup", () => c.domainLookupByName(d.name));
  await step("lookup uuid", () => c.domainLookupByUuid(d.uuid));
  await step("missing domain", () => c.domainLookupByName("fuzz-no-such-domain"));
  await step("info", () => c.domainGetInfo(d));
  await step("state", () => c.domainGetState(d));
  await step("xml", () => c.domainGetXmlDesc(d));
  await step("autostart", () => c.domainGetAutostart(d));
  await step("vcpus", () => c.domainGetVcpusFlags(d));
  await step("ifaddr", () => c.domainInterfaceAddresses(d, 0));
  await step("stats", () =>
    c.getAllDomainStats(doms, StatsTypes.STATE | StatsTypes.CPU_TOTAL | StatsTypes.BALLOON),
  );
  await step("snapshot", async () => {
    const s = await c.domainSnapshotCreateXml(
      d,
      "<domainsnapshot><name>s1</name></domainsnapshot>",
    );
    await c.domainListAllSnapshots(d);
    await c.domainSnapshotGetXmlDesc(s);
    await c.domainSnapshotCurrent(d);
    await c.domainSnapshotDelete(s);
  });
  await step("lifecycle", async () => {
    const n = await c.domainDefineXml(domainXml("fuzz-new"));
    await c.domainCreate(n);
    await c.domainSuspend(n);
    await c.domainResume(n);
    await c.domainDestroy(n);
    await c.domainUndefine(n);
  });
  await step("pools", async () => {
    const [p] = await c.listAllStoragePools();
    if (!p) return;
    await c.storagePoolLookupByName(p.name);
    await c.storagePoolGetInfo(p);
    await c.storagePoolGetXmlDesc(p);
    const vols = await c.storagePoolListAllVolumes(p);
    if (vols[0]) {
      await c.storageVolGetInfo(vols[0]);
      await c.storageVolGetPath(vols[0]);
      await c.storageVolGetXmlDesc(vols[0]);
    }
    await c.storagePoolRefresh(p);
    await c.storagePoolDestroy(p);
    await c.storagePoolCreate(p);
  });
  await step("networks", async () => {
    await c.listAllNetworks();
    const n = await c.networkDefineXml(
      "<network><name>fuzz-net</name><bridge name='virbrfz0'/><ip address='192.168.199.1' netmask='255.255.255.0'><dhcp><range start='192.168.199.2' end='192.168.199.9'/></dhcp></ip></network>",
    );
    await c.networkCreate(n);
    await c.networkGetXmlDesc(n);
    await c.networkGetDhcpLeases(n);
    await c.networkDestroy(n);
    await c.networkUndefine(n);
  });
  await sleep(500); // the last events
}

async function captureLibvirt(dir: string): Promise<Seed[]> {
  const chunks: Buffer[] = [];
  const proxyPath = join(dir, "libvirt-proxy.sock");
  const proxy = await recordingProxy(proxyPath, (c) => chunks.push(c));
  const uri = writeTestDriverFile(join(dir, "node.xml"), {
    domains: 2,
    pools: 1,
    volumesPerPool: 2,
    namePrefix: "fuzz-",
  });
  const c = await connect(uri, { socketPath: proxyPath });
  try {
    await exercise(c);
  } finally {
    await c.close();
    proxy.close();
  }
  const packets = splitPackets(Buffer.concat(chunks));
  return keepPerKind(packets.map((bytes) => ({ kind: packetKind(bytes), bytes })));
}

// ---- QMF ----------------------------------------------------------------------------------

async function captureQmf(dir: string): Promise<{ map: Seed[]; list: Seed[] }> {
  const uri = writeTestDriverFile(join(dir, "qmf-node.xml"), {
    domains: 2,
    pools: 1,
    volumesPerPool: 1,
    namePrefix: "fuzzq-",
  });
  const consoleName = uniqueName("fuzz-console");
  const instance = uniqueName("fuzz-agent");
  const seen: InboundMessage[] = [];
  let agentName = "";
  // Other helpers' agents share the broker: keep only what our agent and console send.
  const ours = (m: InboundMessage) =>
    m.routingKey === consoleName ||
    m.routingKey === agentName ||
    m.agentName === agentName ||
    (m.replyTo ?? "").endsWith(consoleName);
  const tap = new AmqpLink({
    url: BROKER,
    connectionName: `fuzz capture ${consoleName}`,
    bindings: [
      { exchange: TOPIC_EXCHANGE, key: RoutingKey.AGENT_INDICATIONS },
      { exchange: TOPIC_EXCHANGE, key: RoutingKey.CONSOLE_REQUESTS },
      { exchange: DIRECT_EXCHANGE, key: consoleName },
      { exchange: DIRECT_EXCHANGE, key: agentNameOf(instance) },
    ],
    onMessage: (m) => seen.push(m),
  });
  await tap.open();
  const h = await startTestAgent({
    uri,
    instance,
    heartbeatIntervalMs: 1000,
    statsIntervalMs: 1000,
  });
  agentName = h.name;
  const qc = new ConsoleSession({ url: BROKER, name: consoleName, defaultTimeoutMs: 15_000 });
  try {
    await qc.open();
    await qc.waitForAgent(h.name);
    await step("locate", () => qc.locate());
    const ids = await qc.schemaIds(h.name);
    for (const id of ids) {
      await step("schema", () => qc.schema(h.name, id.packageName, id.className));
      await step("query", () =>
        qc.query({ agentName: h.name, packageName: id.packageName, className: id.className }),
      );
    }
    await step("object ids", () => qc.queryObjectIds({ agentName: h.name }));
    const domains = await qc.query({ agentName: h.name, className: "Domain" });
    const d = domains[0]?.objectId;
    if (d) {
      await step("xml_desc", () => qc.callMethod(d, "xml_desc"));
      await step("suspend", () => qc.callMethod(d, "suspend"));
      await step("resume", () => qc.callMethod(d, "resume"));
      await step("bad method", () => qc.callMethod(d, "no_such_method"));
      await step("bad argument", () => qc.callMethod(d, "save", { filename: 42 }));
    }
    await sleep(2500); // heartbeats, stats data indications, events
  } finally {
    await qc.close();
    await h.stop();
    await tap.close();
  }
  // e.g. `query_response-schema`, `data_indication-data-Domain`, `agent_heartbeat_indication-libvirt`:
  // opcode, content, and for indications the class, event or product word of the routing key.
  const kind = (m: InboundMessage) =>
    [
      m.opcode,
      m.content,
      m.routingKey.startsWith("agent.ind.") ? m.routingKey.split(".")[4] : undefined,
    ]
      .filter((w): w is string => !!w)
      .map((w) => w.replace(/^_/, ""))
      .join("-");
  const mine = seen.filter(ours);
  const map = mine.filter((m) => m.contentType === ContentType.MAP);
  const list = mine.filter((m) => m.contentType === ContentType.LIST);
  for (const m of map) decodeMap(m.body);
  for (const m of list) decodeList(m.body);
  return {
    map: keepPerKind(map.map((m) => ({ kind: kind(m), bytes: m.body }))),
    list: keepPerKind(list.map((m) => ({ kind: kind(m), bytes: m.body }))),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lvq-fuzz-capture-"));
  try {
    const xdr = await captureLibvirt(dir);
    for (const s of xdr) decodeSeed(s.bytes);
    const { map, list } = await captureQmf(dir);
    writeSeeds("xdr", xdr);
    writeSeeds("map", map);
    writeSeeds("list", list);
    for (const [kind, seeds] of [
      ["xdr", xdr],
      ["map", map],
      ["list", list],
    ] as const) {
      const bytes = seeds.reduce((n, s) => n + s.bytes.length, 0);
      console.log(`${kind}: ${seeds.length} seeds, ${bytes} bytes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

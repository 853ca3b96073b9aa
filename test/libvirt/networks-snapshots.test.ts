// Networks, snapshots, domain settings and node stats against the real libvirtd (test driver),
// each test on a private node file: every client method with its exact outcome, checked
// through a second call or the XML, and against virsh running the same steps on the same file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveUri } from "../../src/libvirt/client/uri.js";
import { decodeFromBuffer, networkEventCodecs } from "../../src/libvirt/codec/index.js";
import {
  connect,
  ErrorCode,
  isNoNetwork,
  isNoSupport,
  LibvirtClient,
  LibvirtError,
  ListNetworksFlags,
  NetworkCreateFlags,
  NetworkDefineFlags,
  NetworkEventId,
  NetworkEventType,
  NetworkXmlFlags,
} from "../../src/libvirt/index.js";
import { openUnixConnection, type RpcMessage } from "../../src/libvirt/transport/index.js";
import { writeTestDriverFile } from "../support/testdriver.js";

let dir: string;
const clients: LibvirtClient[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), "lvq-netsnap-"));
});
after(async () => {
  for (const c of clients) await c.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client on a fresh private host with no domains, pools or networks. */
async function open(): Promise<LibvirtClient> {
  const file = join(dir, `node-${clients.length}.xml`);
  const c = await connect(writeTestDriverFile(file, { domains: 0, pools: 0, volumesPerPool: 0 }));
  clients.push(c);
  return c;
}

/** The libvirt error a promise rejects with, as [code, message]. */
async function failure(p: Promise<unknown>): Promise<[number, string]> {
  const err = await p.then(
    () => assert.fail("expected a libvirt error"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof LibvirtError, String(err));
  return [err.libvirtCode, err.message];
}

const sortByName = <T extends { name: string }>(xs: T[]): T[] =>
  [...xs].sort((a, b) => a.name.localeCompare(b.name));

const NETWORK_XML = (name: string, bridge: string) =>
  `<network><name>${name}</name><bridge name='${bridge}'/><ip address='192.168.150.1' netmask='255.255.255.0'><dhcp><range start='192.168.150.2' end='192.168.150.254'/></dhcp></ip></network>`;

/** Waits until `list` has `n` entries, then a little longer to catch extras. */
async function settle(list: unknown[], n: number, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (list.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 20));
}

/**
 * A client on a private host whose socket the test watches for network lifecycle events,
 * registered with the network event codecs (routing them is the client's event layer's job).
 */
async function openWatchingNetworks(): Promise<{ c: LibvirtClient; events: string[] }> {
  const uri = writeTestDriverFile(join(dir, `events-${clients.length}.xml`), {
    domains: 0,
    pools: 0,
    volumesPerPool: 0,
  });
  const { socketPath, openName } = resolveUri(uri);
  const rpc = await openUnixConnection(socketPath);
  const c = new LibvirtClient(uri, rpc);
  clients.push(c);
  await c.open(openName, false);
  const events: string[] = [];
  const ids: number[] = [];
  rpc.on("message", (m: RpcMessage) => {
    if (m.procedure !== NETWORK_EVENT_LIFECYCLE) return;
    const b = decodeFromBuffer(networkEventCodecs.lifecycleMsg, m.payload, "network event");
    assert.deepEqual(ids, [b.callbackID]);
    events.push(`${b.net.name}:${b.event}:${b.detail}`);
  });
  const { callbackID } = await c.call(
    {
      name: "CONNECT_NETWORK_EVENT_REGISTER_ANY",
      number: 313,
      args: networkEventCodecs.registerAnyArgs,
      ret: networkEventCodecs.registerAnyRet,
    },
    { eventID: NetworkEventId.LIFECYCLE, net: null },
  );
  ids.push(callbackID);
  return { c, events };
}
const NETWORK_EVENT_LIFECYCLE = 315;

describe("virtual networks", () => {
  it("define, autostart, start, XML, destroy, undefine: each step as libvirt reports it, with its event", async () => {
    const { c, events } = await openWatchingNetworks();
    const expectEvents = async (step: string, ...want: string[]) => {
      await settle(events, want.length, `${step} events`);
      assert.deepEqual(events.splice(0), want, step);
    };
    assert.deepEqual(await c.listAllNetworks(), []);

    const n = await c.networkDefineXml(NETWORK_XML("ln", "virbr10"));
    assert.equal(n.name, "ln");
    await expectEvents("define", `ln:${NetworkEventType.DEFINED}:0`);
    assert.deepEqual(await c.networkLookupByName("ln"), n);
    assert.deepEqual(await c.networkLookupByUuid(n.uuid.toUpperCase()), n);
    assert.deepEqual(await c.listAllNetworks(), [n]);
    assert.deepEqual(
      [
        await c.networkIsActive(n),
        await c.networkIsPersistent(n),
        await c.networkGetAutostart(n),
        await c.networkGetBridgeName(n),
      ],
      [false, true, false, "virbr10"],
    );
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.INACTIVE), [n]);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.ACTIVE), []);

    await c.networkSetAutostart(n, true);
    assert.equal(await c.networkGetAutostart(n), true);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.AUTOSTART), [n]);
    await c.networkSetAutostart(n, false);
    assert.equal(await c.networkGetAutostart(n), false);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.NO_AUTOSTART), [n]);
    await expectEvents("autostart (no event)");

    await c.networkCreate(n);
    await expectEvents("start", `ln:${NetworkEventType.STARTED}:0`);
    assert.equal(await c.networkIsActive(n), true);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.ACTIVE), [n]);
    assert.deepEqual(await failure(c.networkCreate(n)), [
      ErrorCode.OPERATION_INVALID,
      "Requested operation is not valid: Network 'ln' is already running",
    ]);
    assert.equal(
      await c.networkGetXmlDesc(n),
      [
        "<network>",
        "  <name>ln</name>",
        `  <uuid>${n.uuid}</uuid>`,
        "  <bridge name='virbr10' stp='on' delay='0'/>",
        "  <ip address='192.168.150.1' netmask='255.255.255.0'>",
        "    <dhcp>",
        "      <range start='192.168.150.2' end='192.168.150.254'/>",
        "    </dhcp>",
        "  </ip>",
        "</network>",
        "",
      ].join("\n"),
    );
    // A network name already in use: libvirt's own error, naming the holder's UUID.
    assert.deepEqual(await failure(c.networkDefineXml(NETWORK_XML("ln", "virbr11"))), [
      ErrorCode.OPERATION_FAILED,
      `operation failed: network 'ln' already exists with uuid ${n.uuid}`,
    ]);

    await c.networkDestroy(n);
    await expectEvents("destroy", `ln:${NetworkEventType.STOPPED}:0`);
    assert.equal(await c.networkIsActive(n), false);
    await c.networkUndefine(n);
    await expectEvents("undefine", `ln:${NetworkEventType.UNDEFINED}:0`);
    const gone = await c.networkLookupByName("ln").catch((e: unknown) => e);
    assert.ok(isNoNetwork(gone));
    assert.equal(gone.message, "Network not found: no network with matching name 'ln'");
    assert.deepEqual(await failure(c.networkLookupByUuid(n.uuid)), [
      ErrorCode.NO_NETWORK,
      `Network not found: no network with matching uuid '${n.uuid}'`,
    ]);
    assert.deepEqual(await c.listAllNetworks(), []);
  });

  it("a transient network from XML runs at once and vanishes when destroyed", async () => {
    const { c, events } = await openWatchingNetworks();
    const n = await c.networkCreateXml(
      "<network><name>tn</name><bridge name='virbr12'/></network>",
    );
    await settle(events, 1, "start event");
    assert.deepEqual(events.splice(0), [`tn:${NetworkEventType.STARTED}:0`]);
    assert.deepEqual([await c.networkIsActive(n), await c.networkIsPersistent(n)], [true, false]);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.TRANSIENT), [n]);
    assert.deepEqual(await c.listAllNetworks(ListNetworksFlags.PERSISTENT), []);
    assert.equal(
      await c.networkGetXmlDesc(n),
      `<network>\n  <name>tn</name>\n  <uuid>${n.uuid}</uuid>\n  <bridge name='virbr12' stp='on' delay='0'/>\n</network>\n`,
    );
    assert.deepEqual(await failure(c.networkUndefine(n)), [
      ErrorCode.OPERATION_INVALID,
      "Requested operation is not valid: Network 'tn' is still running",
    ]);
    await c.networkDestroy(n);
    await settle(events, 1, "stop event");
    assert.deepEqual(events.splice(0), [`tn:${NetworkEventType.STOPPED}:0`]);
    assert.deepEqual(await c.listAllNetworks(), []);
    assert.ok(isNoNetwork(await c.networkLookupByUuid(n.uuid).catch((e: unknown) => e)));
  });

  it("the _FLAGS variants validate against libvirt's schema", async () => {
    const c = await open();
    const d = await c.networkDefineXml(NETWORK_XML("vd", "virbr13"), NetworkDefineFlags.VALIDATE);
    assert.deepEqual([await c.networkIsActive(d), await c.networkIsPersistent(d)], [false, true]);
    const t = await c.networkCreateXml(
      "<network><name>vt</name><bridge name='virbr14'/></network>",
      NetworkCreateFlags.VALIDATE,
    );
    assert.deepEqual([await c.networkIsActive(t), await c.networkIsPersistent(t)], [true, false]);
    assert.deepEqual(sortByName(await c.listAllNetworks()), [d, t]);
    const invalid =
      "XML document failed to validate against schema: Unable to validate doc against /usr/share/libvirt/schemas/network.rng\nElement network has extra content: bogus\n";
    const bogus = "<network><name>x</name><bogus/></network>";
    assert.deepEqual(await failure(c.networkDefineXml(bogus, NetworkDefineFlags.VALIDATE)), [
      ErrorCode.XML_INVALID_SCHEMA,
      invalid,
    ]);
    assert.deepEqual(await failure(c.networkCreateXml(bogus, NetworkCreateFlags.VALIDATE)), [
      ErrorCode.XML_INVALID_SCHEMA,
      invalid,
    ]);
    assert.deepEqual(await failure(c.networkDefineXml("<network>")), [
      ErrorCode.XML_DETAIL,
      "(network_definition):1: Premature end of data in tag network line 1\n<network>\n---------^",
    ]);
  });

  it("what the test driver does not support: DHCP leases, the inactive-XML flag", async () => {
    const c = await open();
    const n = await c.networkCreateXml(NETWORK_XML("dl", "virbr15"));
    for (const mac of [null, "52:54:00:aa:bb:01"]) {
      const err = await c.networkGetDhcpLeases(n, mac).catch((e: unknown) => e);
      assert.ok(isNoSupport(err));
      assert.equal(
        err.message,
        "this function is not supported by the connection driver: virNetworkGetDHCPLeases",
      );
    }
    assert.deepEqual(await failure(c.networkGetXmlDesc(n, NetworkXmlFlags.INACTIVE)), [
      ErrorCode.INVALID_ARG,
      "unsupported flags (0x1) in function testNetworkGetXMLDesc",
    ]);
  });
});

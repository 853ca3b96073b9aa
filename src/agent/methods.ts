// The seed's methods (and the additions of schema/libvirt.xml), executed against libvirt.
// Arguments arrive already checked against the schema by the agent session (types, sizes,
// presence); what the schema cannot say (a path must be absolute, XML must not be empty, a
// destination must be another host) is checked here, before any libvirt call, so a refused
// call never changes libvirt state.

import {
  type Domain,
  MigrateFlags,
  type ReconnectingLibvirt,
  type StoragePool,
  type StorageVol,
  type TypedParam,
  TypedParamType,
} from "../libvirt/index.js";
import {
  type ConsoleSession,
  type MethodCall,
  MethodError,
  ObjectId,
  type ObjectIdLike,
  type QmfObject,
  QmfStatus,
} from "../qmf/index.js";
import { isLibvirtUri } from "./config.js";
import { badArgument, libvirtCall, libvirtFailure, notConnected } from "./errors.js";
import { domainKind } from "./kinds/domain.js";
import type { KindRow } from "./kinds/kind.js";
import { poolKind } from "./kinds/pool.js";
import { volumeKind } from "./kinds/volume.js";
import type { AgentLogger } from "./log.js";
import type { Mirror } from "./mirror.js";
import { keyOf, objectName, PACKAGE } from "./names.js";

/** libvirt's REMOTE_STRING_MAX: longer XML is refused by the daemon anyway. */
export const MAX_XML_BYTES = 4 * 1024 * 1024;
/** PATH_MAX. */
const MAX_PATH_BYTES = 4096;
/** How long migrate waits for the destination agent to publish the domain. */
const DESTINATION_WAIT_MS = 30_000;
/** How long migrate (given only a uri) listens for agents answering a locate. */
const LOCATE_MS = 1500;

/** What method handlers use. */
export interface MethodContext {
  libvirt: ReconnectingLibvirt;
  mirror: Mirror;
  /** This agent's name (to tell its own objects from another host's). */
  agentName: string;
  objectId(objectName: string): ObjectIdLike;
  /** A console session on the same broker (opened on first use), for reading other agents. */
  console(): Promise<ConsoleSession>;
  /** Why libvirt is not connected (for the error text). */
  linkError(): string | undefined;
  log: AgentLogger;
}

type Handler = (x: MethodContext, call: MethodCall) => Promise<Record<string, unknown>>;

/** Runs one libvirt call named `name` (e.g. "virDomainCreate"), mapping its failure. */
async function lv<T>(
  x: MethodContext,
  name: string,
  fn: (c: ReconnectingLibvirt["client"]) => Promise<T>,
): Promise<T> {
  if (!x.libvirt.connected) throw notConnected(name, x.linkError());
  return libvirtCall(name, () => fn(x.libvirt.client));
}

// ---- argument checks ------------------------------------------------------------------

function xmlArg(call: MethodCall, name: string): string {
  const v = call.args[name];
  if (typeof v !== "string") throw badArgument(call.methodName, name, "must be a string");
  if (v.trim() === "")
    throw badArgument(call.methodName, name, "is empty (an XML document is required)");
  const bytes = Buffer.byteLength(v, "utf8");
  if (bytes > MAX_XML_BYTES) {
    throw badArgument(
      call.methodName,
      name,
      `is ${bytes} bytes; libvirt accepts at most ${MAX_XML_BYTES}`,
    );
  }
  return v;
}

function pathArg(call: MethodCall, name: string): string {
  const v = call.args[name];
  if (typeof v !== "string" || v === "")
    throw badArgument(call.methodName, name, "must be a non-empty file name");
  if (!v.startsWith("/"))
    throw badArgument(
      call.methodName,
      name,
      `must be an absolute path on the host, got ${JSON.stringify(v)}`,
    );
  if (v.includes("\0")) throw badArgument(call.methodName, name, "must not contain NUL");
  if (Buffer.byteLength(v, "utf8") > MAX_PATH_BYTES) {
    throw badArgument(call.methodName, name, `is longer than ${MAX_PATH_BYTES} bytes`);
  }
  return v;
}

/** An argument the request may leave out (schema `optional`): absent or void → undefined. */
function given(call: MethodCall, name: string): boolean {
  const v = call.args[name];
  return v !== undefined && v !== null;
}

function textArg(call: MethodCall, name: string, allowEmpty: boolean, absent?: string): string {
  if (absent !== undefined && !given(call, name)) return absent;
  const v = call.args[name];
  if (typeof v !== "string") throw badArgument(call.methodName, name, "must be a string");
  if (!allowEmpty && v === "") throw badArgument(call.methodName, name, "must not be empty");
  if (v.includes("\0")) throw badArgument(call.methodName, name, "must not contain NUL");
  return v;
}

function intArg(call: MethodCall, name: string, min: number, absent?: number): number {
  if (absent !== undefined && !given(call, name)) return absent;
  // The schema's int32 arrives as a number (the session converted it); the bound is ours.
  const v = call.args[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw badArgument(call.methodName, name, `must be an integer ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

/** An objId argument: the agent session has already turned the wire map into an ObjectId. */
function refArg(call: MethodCall, name: string): ObjectId {
  const v = call.args[name];
  if (!(v instanceof ObjectId)) throw badArgument(call.methodName, name, "must be an object id");
  return v;
}

// ---- the object a call is made on -----------------------------------------------------

/** The object a call is made on, found through its kind (UNKNOWN_OBJECT when not known). */
function targetOf<H>(
  x: MethodContext,
  call: MethodCall,
  row: KindRow<H, unknown, unknown, unknown>,
): H {
  const e = x.mirror.find(row, call.objectName);
  if (!e) throw new MethodError(QmfStatus.UNKNOWN_OBJECT, `no ${row.name} ${call.objectName}`);
  return e.handle;
}

const domainOf = (x: MethodContext, call: MethodCall): Domain => targetOf(x, call, domainKind);
const poolOf = (x: MethodContext, call: MethodCall): StoragePool => targetOf(x, call, poolKind);
const volumeOf = (x: MethodContext, call: MethodCall): StorageVol => targetOf(x, call, volumeKind);

/**
 * A call without output on one kind of object: find the object, run the libvirt call, then
 * read the object again (its events do too, but the caller should see the new state at once).
 */
function objectAction<T>(
  find: (x: MethodContext, call: MethodCall) => T,
  reread: (x: MethodContext, target: T) => Promise<void>,
) {
  return (name: string, fn: (c: ReconnectingLibvirt["client"], target: T) => Promise<unknown>) =>
    (async (x, call) => {
      const target = find(x, call);
      await lv(x, name, (c) => fn(c, target));
      await reread(x, target);
      return {};
    }) satisfies Handler;
}

const domainAction = objectAction(domainOf, (x, d) => x.mirror.refresh(domainKind, d.uuid));
const poolAction = objectAction(poolOf, (x, p) => x.mirror.refresh(poolKind, p.uuid));

/** Publishes a volume found by a lookup and returns its object id. */
async function volumeResult(x: MethodContext, v: StorageVol): Promise<Record<string, unknown>> {
  await lv(x, "virStorageVolGetInfo", () => x.mirror.readFound(volumeKind, v));
  return { volume: x.objectId(objectName("Volume", v.key)) };
}

/** Volume lookups are host-wide in libvirt; on a Pool object the volume must be in that pool. */
function inPool(call: MethodCall, p: StoragePool, v: StorageVol, arg: string): void {
  if (v.pool !== p.name) {
    throw badArgument(
      call.methodName,
      arg,
      `names a volume of pool ${JSON.stringify(v.pool)}, not of this pool ${JSON.stringify(p.name)}`,
    );
  }
}

// ---- restore --------------------------------------------------------------------------

/**
 * virDomainRestore restores whichever domain the file holds. Called on one Domain object it
 * must restore that domain, so the image's definition is read first and a file saved from
 * another domain is refused (PARAMETER_INVALID naming it) before anything is restored.
 */
async function restore(x: MethodContext, call: MethodCall): Promise<Record<string, unknown>> {
  const d = domainOf(x, call);
  const file = pathArg(call, "filename");
  const saved = await lv(x, "virDomainSaveImageGetXMLDesc", (c) =>
    c.domainSaveImageGetXmlDesc(file),
  );
  const uuid = /<uuid>\s*([^<\s]+)\s*<\/uuid>/.exec(saved)?.[1]?.toLowerCase();
  if (uuid !== d.uuid) {
    const name = /<name>([^<]*)<\/name>/.exec(saved)?.[1];
    throw badArgument(
      call.methodName,
      "filename",
      `holds a saved image of domain ${name === undefined ? "(unnamed)" : JSON.stringify(unescapeXml(name))} (${uuid ?? "no uuid"}), not of this domain ${JSON.stringify(d.name)} (${d.uuid})`,
    );
  }
  await lv(x, "virDomainRestore", (c) => c.domainRestore(file));
  await x.mirror.refresh(domainKind, d.uuid);
  return {};
}

const unescapeXml = (s: string): string =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

// ---- migration ------------------------------------------------------------------------

const MIGRATE_KNOWN_FLAGS = (1 << 30) - 1;

async function migrate(x: MethodContext, call: MethodCall): Promise<Record<string, unknown>> {
  const d = domainOf(x, call);
  const flags = intArg(call, "flags", 0, 0);
  const newName = textArg(call, "new_domain_name", true, "");
  const uriArg = textArg(call, "uri", true, "").trim();
  const bandwidth = intArg(call, "bandwidth", 0, 0);
  const dest = given(call, "destination_node") ? refArg(call, "destination_node") : undefined;
  if (!dest && uriArg === "") {
    throw new MethodError(
      QmfStatus.PARAMETER_INVALID,
      `${call.methodName}: arguments uri and destination_node are both missing; give the destination's libvirt URI (uri) or its Node object (destination_node)`,
    );
  }
  if ((flags & ~MIGRATE_KNOWN_FLAGS) !== 0) {
    throw badArgument(call.methodName, "flags", `has unknown bits: ${flags}`);
  }
  if (uriArg !== "" && !isLibvirtUri(uriArg)) {
    throw badArgument(
      call.methodName,
      "uri",
      `is not a libvirt URI such as qemu+tcp://host/system: ${JSON.stringify(uriArg)}`,
    );
  }
  if (dest?.agentName === x.agentName) {
    throw badArgument(
      call.methodName,
      "destination_node",
      "is this host; a migration needs another one",
    );
  }
  if (dest && keyOf("Node", dest.objectName) === undefined) {
    throw badArgument(
      call.methodName,
      "destination_node",
      `must be a Node object, got ${dest.objectName}`,
    );
  }
  const console = await x.console();
  // The destination's libvirt URI: the argument, else the destination Node's `uri` property.
  const destUri = uriArg !== "" ? uriArg : await nodeUri(call, console, dest as ObjectId);
  // The agents that will publish the domain there: the destination Node's, else every agent
  // (but this one) whose libvirt_uri is that URI. Found before migrating: a migration whose
  // result nobody can return is refused while nothing has changed.
  const destAgents = dest ? [dest.agentName] : await agentsOf(call, console, x.agentName, destUri);

  const params: TypedParam[] = [];
  if (newName !== "")
    params.push({
      field: "destination_name",
      type: TypedParamType.STRING,
      value: newName,
    } as TypedParam);
  if (bandwidth > 0)
    params.push({
      field: "bandwidth",
      type: TypedParamType.ULLONG,
      value: BigInt(bandwidth),
    } as TypedParam);
  const wireFlags = (flags === 0 ? MigrateFlags.LIVE : flags) | MigrateFlags.PEER2PEER;
  x.log.info("migrating", { domain: d.name, uuid: d.uuid, to: destUri, flags: wireFlags });
  await lv(x, "virDomainMigrateToURI3", (c) =>
    c.domainMigratePerform3Params(d, destUri, params, wireFlags),
  );
  void x.mirror.refresh(domainKind, d.uuid);

  // The domain as the destination's agent publishes it (it learns from its own events): its
  // data indication wakes the wait at once; a query each second covers an indication missed
  // (sent before this console listened, or lost with a broker hiccup).
  const objName = objectName("Domain", d.uuid);
  const deadline = Date.now() + DESTINATION_WAIT_MS;
  let published = false; // an indication came since the last query began
  let wake: () => void = () => {};
  const onChanged = (o: QmfObject) => {
    if (o.objectId.objectName !== objName || !destAgents.includes(o.agentName)) return;
    published = true;
    wake();
  };
  console.on("objectChanged", onChanged);
  try {
    while (Date.now() < deadline) {
      published = false;
      for (const agentName of destAgents) {
        const objs = await console
          .query({
            agentName,
            packageName: PACKAGE,
            className: "Domain",
            objectId: { agentName, objectName: objName },
            timeoutMs: 5000,
          })
          .catch(() => []);
        if (objs[0]) return { domain: objs[0].objectId };
      }
      if (published) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now())));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    console.off("objectChanged", onChanged);
  }
  throw new MethodError(
    QmfStatus.EXCEPTION,
    `migrate: libvirt moved ${d.name} to ${destUri}, but ${destAgents.length === 1 ? `agent ${destAgents[0]}` : `none of the agents ${destAgents.join(", ")}`} published ${objName} within ${DESTINATION_WAIT_MS / 1000} s`,
  );
}

/** The `uri` property of a Node object, read through QMF. */
async function nodeUri(call: MethodCall, console: ConsoleSession, node: ObjectId): Promise<string> {
  const found = await console
    .query({
      agentName: node.agentName,
      packageName: PACKAGE,
      className: "Node",
      objectId: node,
      timeoutMs: 10_000,
    })
    .catch((e: Error) => {
      throw badArgument(
        call.methodName,
        "destination_node",
        `could not be read through QMF: ${e.message}`,
      );
    });
  const uri = found[0]?.values.uri;
  if (typeof uri !== "string" || uri === "") {
    throw badArgument(
      call.methodName,
      "destination_node",
      `${node.agentName}/${node.objectName} is not a Node any agent publishes`,
    );
  }
  return uri;
}

/** The agents (other than `self`) that publish the libvirt host `uri`. */
async function agentsOf(
  call: MethodCall,
  console: ConsoleSession,
  self: string,
  uri: string,
): Promise<string[]> {
  const found = await console.locate(["eq", "libvirt_uri", ["quote", uri]], LOCATE_MS);
  const names = found.map((a) => a.name);
  if (names.includes(self) && names.length === 1) {
    throw badArgument(call.methodName, "uri", "is this host; a migration needs another one");
  }
  const others = names.filter((n) => n !== self).sort();
  if (others.length === 0) {
    throw badArgument(
      call.methodName,
      "uri",
      `names a host no agent publishes (no agent has libvirt_uri ${JSON.stringify(uri)}), so the migrated domain could not be returned; give destination_node`,
    );
  }
  return others;
}

// ---- the table ------------------------------------------------------------------------

const HANDLERS: Record<string, Handler> = {
  "Node.get_free_memory": async (x) => {
    const bytes = await lv(x, "virNodeGetFreeMemory", (c) => c.nodeGetFreeMemory());
    return { result: bytes / 1024n };
  },
  "Node.define_domain_xml": async (x, call) => {
    const xml = xmlArg(call, "xml_desc");
    const d = await lv(x, "virDomainDefineXML", (c) => c.domainDefineXml(xml));
    await x.mirror.refresh(domainKind, d.uuid);
    return { domain: x.objectId(objectName("Domain", d.uuid)) };
  },
  "Node.storage_pool_define_xml": async (x, call) => {
    const xml = xmlArg(call, "xml_desc");
    const p = await lv(x, "virStoragePoolDefineXML", (c) => c.storagePoolDefineXml(xml));
    await x.mirror.refresh(poolKind, p.uuid);
    return { pool: x.objectId(objectName("Pool", p.uuid)) };
  },
  "Node.storage_pool_create_xml": async (x, call) => {
    const xml = xmlArg(call, "xml_desc");
    const p = await lv(x, "virStoragePoolCreateXML", (c) => c.storagePoolCreateXml(xml));
    await x.mirror.refresh(poolKind, p.uuid);
    return { pool: x.objectId(objectName("Pool", p.uuid)) };
  },

  "Domain.create": domainAction("virDomainCreate", (c, d) => c.domainCreate(d)),
  "Domain.destroy": domainAction("virDomainDestroy", (c, d) => c.domainDestroy(d)),
  "Domain.undefine": domainAction("virDomainUndefine", (c, d) => c.domainUndefine(d)),
  "Domain.suspend": domainAction("virDomainSuspend", (c, d) => c.domainSuspend(d)),
  "Domain.resume": domainAction("virDomainResume", (c, d) => c.domainResume(d)),
  "Domain.shutdown": domainAction("virDomainShutdown", (c, d) => c.domainShutdown(d)),
  "Domain.reboot": domainAction("virDomainReboot", (c, d) => c.domainReboot(d)),
  "Domain.save": async (x, call) => {
    const d = domainOf(x, call);
    const file = pathArg(call, "filename");
    await lv(x, "virDomainSave", (c) => c.domainSave(d, file));
    await x.mirror.refresh(domainKind, d.uuid);
    return {};
  },
  "Domain.restore": restore,
  "Domain.xml_desc": async (x, call) => {
    const d = domainOf(x, call);
    return { description: await lv(x, "virDomainGetXMLDesc", (c) => c.domainGetXmlDesc(d)) };
  },
  "Domain.migrate": migrate,

  "Pool.xml_desc": async (x, call) => {
    const p = poolOf(x, call);
    return {
      description: await lv(x, "virStoragePoolGetXMLDesc", (c) => c.storagePoolGetXmlDesc(p)),
    };
  },
  "Pool.create": poolAction("virStoragePoolCreate", (c, p) => c.storagePoolCreate(p)),
  "Pool.destroy": poolAction("virStoragePoolDestroy", (c, p) => c.storagePoolDestroy(p)),
  "Pool.delete": poolAction("virStoragePoolDelete", (c, p) => c.storagePoolDelete(p)),
  "Pool.build": poolAction("virStoragePoolBuild", (c, p) => c.storagePoolBuild(p)),
  "Pool.refresh": poolAction("virStoragePoolRefresh", (c, p) => c.storagePoolRefresh(p)),
  "Pool.undefine": poolAction("virStoragePoolUndefine", (c, p) => c.storagePoolUndefine(p)),
  "Pool.create_volume_xml": async (x, call) => {
    const p = poolOf(x, call);
    const xml = xmlArg(call, "xml_desc");
    const v = await lv(x, "virStorageVolCreateXML", (c) => c.storageVolCreateXml(p, xml));
    const out = await volumeResult(x, v);
    void x.mirror.refresh(poolKind, p.uuid); // its allocation changed
    return out;
  },
  "Pool.lookup_volume_by_name": async (x, call) => {
    const p = poolOf(x, call);
    const name = textArg(call, "volume_name", false);
    const v = await lv(x, "virStorageVolLookupByName", (c) => c.storageVolLookupByName(p, name));
    return volumeResult(x, v);
  },
  "Pool.lookup_volume_by_key": async (x, call) => {
    const p = poolOf(x, call);
    const key = textArg(call, "volume_key", false);
    const v = await lv(x, "virStorageVolLookupByKey", (c) => c.storageVolLookupByKey(key));
    inPool(call, p, v, "volume_key");
    return volumeResult(x, v);
  },
  "Pool.lookup_volume_by_path": async (x, call) => {
    const p = poolOf(x, call);
    const path = pathArg(call, "volume_path");
    const v = await lv(x, "virStorageVolLookupByPath", (c) => c.storageVolLookupByPath(path));
    inPool(call, p, v, "volume_path");
    return volumeResult(x, v);
  },

  "Volume.xml_desc": async (x, call) => {
    const v = volumeOf(x, call);
    return {
      description: await lv(x, "virStorageVolGetXMLDesc", (c) => c.storageVolGetXmlDesc(v)),
    };
  },
  "Volume.delete": async (x, call) => {
    const v = volumeOf(x, call);
    await lv(x, "virStorageVolDelete", (c) => c.storageVolDelete(v));
    x.mirror.remove(volumeKind, v.key);
    const poolUuid = x.mirror.parentKey(volumeKind, v);
    if (poolUuid) void x.mirror.refresh(poolKind, poolUuid);
    return {};
  },
};

/** Methods that only read: open to every broker user even when controlUsers is set. */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
  "Node.get_free_memory",
  "Domain.xml_desc",
  "Pool.xml_desc",
  "Pool.lookup_volume_by_name",
  "Pool.lookup_volume_by_key",
  "Pool.lookup_volume_by_path",
  "Volume.xml_desc",
]);

/**
 * The authorisation rule: with `controlUsers` set, a method that changes libvirt may be
 * called only by those broker users. Throws FORBIDDEN naming the permission.
 */
export function authorizeCall(
  controlUsers: readonly string[] | undefined,
  ctx: { userId?: string; className: string; methodName: string },
): void {
  if (!controlUsers) return;
  const method = `${ctx.className}.${ctx.methodName}`;
  if (READ_ONLY_METHODS.has(method)) return;
  if (ctx.userId !== undefined && controlUsers.includes(ctx.userId)) return;
  throw new MethodError(
    QmfStatus.FORBIDDEN,
    `user ${ctx.userId ?? "(unknown)"} may not call ${method}: it changes libvirt, which this agent allows only to its controlUsers (${controlUsers.join(", ")})`,
  );
}

/** Every class.method the agent implements (tests check it equals the schema's). */
export const IMPLEMENTED_METHODS: readonly string[] = Object.keys(HANDLERS);

/** Executes one method request (the AgentSession's onMethod). */
export async function executeMethod(
  x: MethodContext,
  call: MethodCall,
): Promise<Record<string, unknown>> {
  const h = HANDLERS[`${call.className}.${call.methodName}`];
  if (!h) {
    throw new MethodError(
      QmfStatus.UNKNOWN_METHOD,
      `class ${call.className} has no method ${call.methodName}`,
    );
  }
  const t0 = performance.now();
  try {
    const out = await h(x, call);
    x.log.info("method done", {
      object: call.objectName,
      method: call.methodName,
      ms: Math.round(performance.now() - t0),
    });
    return out;
  } catch (e) {
    const err =
      e instanceof MethodError ? e : libvirtFailure(`${call.className}.${call.methodName}`, e);
    x.log.info("method failed", {
      object: call.objectName,
      method: call.methodName,
      code: err.code,
      text: err.text,
    });
    throw err;
  }
}

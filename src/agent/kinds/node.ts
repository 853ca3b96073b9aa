// The host itself: a Node object (libvirt's connection and the agent's own link to it) and its
// NodeInfo (virNodeGetInfo), both keyed by the host UUID. The Node carries the agent's libvirt
// link state and last resync, so it is published when those change rather than when read; and
// the host's CPU and memory statistics, read with the host and again at each stats sweep.
import {
  isLibvirtError,
  type LibvirtClient,
  NodeCpuStats,
  type NodeInfo,
  NodeMemoryStats,
} from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import { objectName, versionText } from "../names.js";
import {
  type Host,
  type HostStatus,
  type KindRow,
  type ObjectSink,
  SWEPT_CHANGED,
  type Values,
} from "./kind.js";

/** Node properties that come from libvirt and the agent's settings. */
export interface NodeFacts {
  type: string;
  hostname: string;
  hvVersion: bigint;
  libVersion: bigint;
  uri: string;
  hostUuid: string;
}

/**
 * The host's statistics as libvirt reports them (field → value): CPU times in ns summed over
 * every CPU, memory in KiB for the whole host. A set libvirt does not report is undefined.
 */
export interface HostStats {
  cpu: Readonly<Record<string, bigint>> | undefined;
  memory: Readonly<Record<string, bigint>> | undefined;
}

/** What one read of the host returns. */
export interface NodeRead {
  facts: NodeFacts;
  info: NodeInfo;
  stats: HostStats;
}

/** What the node row keeps: what it last read. */
export interface NodeMemo {
  facts: NodeFacts;
  stats: HostStats;
}

/** One set of statistics, or undefined when libvirt refuses it (the test driver has no memory stats). */
async function orAbsent(
  read: Promise<Record<string, bigint>>,
): Promise<Record<string, bigint> | undefined> {
  try {
    return await read;
  } catch (err) {
    if (isLibvirtError(err)) return undefined;
    throw err;
  }
}

/** Reads the host's CPU and memory statistics (NODE_GET_CPU_STATS, NODE_GET_MEMORY_STATS). */
async function readHostStats(c: LibvirtClient): Promise<HostStats> {
  const [cpu, memory] = await Promise.all([
    orAbsent(c.nodeGetCpuStats(NodeCpuStats.ALL_CPUS)),
    orAbsent(c.nodeGetMemoryStats(NodeMemoryStats.ALL_CELLS)),
  ]);
  return { cpu, memory };
}

/** Whether two reads of the statistics are equal. */
function sameStats(a: HostStats, b: HostStats): boolean {
  const same = (x: Readonly<Record<string, bigint>> | undefined, y: typeof x) =>
    x === y ||
    (x !== undefined &&
      y !== undefined &&
      Object.keys(x).length === Object.keys(y).length &&
      Object.keys(x).every((k) => x[k] === y[k]));
  return same(a.cpu, b.cpu) && same(a.memory, b.memory);
}

/**
 * The Node object; a statistic libvirt does not report is left out, and so is `last_sync`
 * until the agent's first full resync has ended (while the objects it found may still lack
 * what their own reads add).
 */
export function nodeValues(
  f: NodeFacts,
  stats: HostStats,
  refs: { hostInfo: ObjectIdLike },
  s: HostStatus,
): Values {
  return {
    type: f.type,
    hostname: f.hostname,
    version: versionText(f.hvVersion),
    uri: f.uri,
    libvirt_version: versionText(f.libVersion),
    host_info: refs.hostInfo,
    host_uuid: f.hostUuid,
    libvirt_state: s.state,
    libvirt_error: s.error,
    libvirt_state_since: s.sinceNs,
    last_sync: s.lastSyncNs === 0n ? undefined : s.lastSyncNs,
    cpu_kernel: stats.cpu?.kernel,
    cpu_user: stats.cpu?.user,
    cpu_idle: stats.cpu?.idle,
    cpu_iowait: stats.cpu?.iowait,
    memory_total: stats.memory?.total,
    memory_free: stats.memory?.free,
    memory_buffers: stats.memory?.buffers,
    memory_cached: stats.memory?.cached,
  };
}

/** The NodeInfo object (virNodeGetInfo; memory in KiB as libvirt reports it). */
function nodeInfoValues(n: NodeInfo, node: ObjectIdLike): Values {
  return {
    model: n.model,
    memory: n.memory,
    cpus: n.cpus,
    mhz: n.mhz,
    nodes: n.nodes,
    sockets: n.sockets,
    cores: n.cores,
    threads: n.threads,
    node,
  };
}

/** Publishes the Node from what the row last read and the agent's status. */
function publishNode(out: ObjectSink, key: string, memo: NodeMemo): void {
  const hostInfo = out.ref(objectName("NodeInfo", key));
  out.set(
    "Node",
    objectName("Node", key),
    nodeValues(memo.facts, memo.stats, { hostInfo }, out.host),
  );
}

/** A sweep's record: the host's statistics. */
interface HostStatsRecord {
  key: string;
  stats: HostStats;
}

/** The host kind: one object, this agent's host. */
export const nodeKind: KindRow<Host, NodeRead, undefined, NodeMemo> = {
  name: "node",
  classes: ["Node", "NodeInfo"],
  key: (h) => h.uuid,
  list: async (_c, host) => ({ handles: [host], bulk: undefined }),
  async read(c, host) {
    const [type, hostname, hvVersion, libVersion, info, stats] = await Promise.all([
      c.getType(),
      c.getHostname(),
      c.getVersion(),
      c.getLibVersion(),
      c.nodeGetInfo(),
      readHostStats(c),
    ]);
    const facts = {
      type,
      hostname,
      hvVersion,
      libVersion,
      uri: host.publicUri,
      hostUuid: host.uuid,
    };
    return { facts, info, stats };
  },
  // The Node is published with its NodeInfo (as soon as the host is read, so that a console
  // finds the host during a long first resync) and again with the host status.
  publish(out, e, r) {
    e.memo = { facts: r.facts, stats: r.stats };
    out.set("NodeInfo", objectName("NodeInfo", e.key), nodeInfoValues(r.info, out.node));
    publishNode(out, e.key, e.memo);
  },
  publishHostStatus(out, e) {
    if (e.memo) publishNode(out, e.key, e.memo);
  },
  // The host is always there while libvirt answers.
  isGone: () => false,
  sweep: {
    // The host is not a domain: the sweep report counts guests.
    domainRecords: false,
    read: async (c, host) => [{ key: host.uuid, stats: await readHostStats(c) }],
    key: (rec: HostStatsRecord) => rec.key,
    apply(out, e, rec: HostStatsRecord) {
      if (!e.memo || sameStats(e.memo.stats, rec.stats)) return 0;
      e.memo.stats = rec.stats;
      publishNode(out, e.key, e.memo);
      return SWEPT_CHANGED;
    },
  },
};

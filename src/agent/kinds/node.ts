// The host itself: a Node object (libvirt's connection and the agent's own link to it) and its
// NodeInfo (virNodeGetInfo), both keyed by the host UUID. The Node carries the agent's libvirt
// link state and last resync, so it is published when those change rather than when read.
import type { NodeInfo } from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import { objectName, versionText } from "../names.js";
import type { Host, HostStatus, KindRow, Values } from "./kind.js";

/** Node properties that come from libvirt and the agent's settings. */
export interface NodeFacts {
  type: string;
  hostname: string;
  hvVersion: bigint;
  libVersion: bigint;
  uri: string;
  hostUuid: string;
}

/** What one read of the host returns. */
export interface NodeRead {
  facts: NodeFacts;
  info: NodeInfo;
}

/** The Node object. */
export function nodeValues(f: NodeFacts, refs: { hostInfo: ObjectIdLike }, s: HostStatus): Values {
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
    last_sync: s.lastSyncNs,
  };
}

/** The NodeInfo object (virNodeGetInfo; memory in KiB as libvirt reports it). */
export function nodeInfoValues(n: NodeInfo, node: ObjectIdLike): Values {
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

/** The host kind: one object, this agent's host. */
export const nodeKind: KindRow<Host, NodeRead, undefined, NodeFacts> = {
  name: "node",
  classes: ["Node", "NodeInfo"],
  key: (h) => h.uuid,
  list: async (_c, host) => ({ handles: [host], bulk: undefined }),
  async read(c, host) {
    const [type, hostname, hvVersion, libVersion, info] = await Promise.all([
      c.getType(),
      c.getHostname(),
      c.getVersion(),
      c.getLibVersion(),
      c.nodeGetInfo(),
    ]);
    const facts = {
      type,
      hostname,
      hvVersion,
      libVersion,
      uri: host.publicUri,
      hostUuid: host.uuid,
    };
    return { facts, info };
  },
  publish(out, e, r) {
    e.memo = r.facts;
    out.set("NodeInfo", objectName("NodeInfo", e.key), nodeInfoValues(r.info, out.node));
  },
  publishHostStatus(out, e) {
    if (!e.memo) return;
    const hostInfo = out.ref(objectName("NodeInfo", e.key));
    out.set("Node", objectName("Node", e.key), nodeValues(e.memo, { hostInfo }, out.host));
  },
  // The host is always there while libvirt answers.
  isGone: () => false,
};

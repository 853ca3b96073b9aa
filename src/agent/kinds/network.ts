// Virtual networks, keyed by UUID. A full listing asks libvirt which networks are active,
// transient and autostarted with three filtered listings (so a resync makes a constant number
// of calls for those); each read then asks only for the bridge. A read after an event or a
// method asks for each fact itself.
import {
  ErrorCode,
  isNoNetwork,
  type LibvirtClient,
  LibvirtError,
  ListNetworksFlags,
  type Network,
} from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import { objectName, wordOf } from "../names.js";
import { type KindRow, lifecycleEvent, type Values } from "./kind.js";

// virNetworkEventLifecycleType.
const NETWORK_EVENTS = ["defined", "undefined", "started", "stopped"] as const;

/** NetworkLifecycle.event. */
const networkEventText = (event: number): string => wordOf(NETWORK_EVENTS, event);

/** What one read of a network returns. */
export interface NetworkRead {
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  bridge: string;
}

/** The UUIDs of the networks each filtered listing returned. */
export interface NetworkBulk {
  active: Set<string>;
  transient: Set<string>;
  autostart: Set<string>;
}

/** The Network object. */
function networkValues(n: Network, r: NetworkRead, node: ObjectIdLike): Values {
  return {
    uuid: n.uuid,
    name: n.name,
    node,
    active: r.active,
    persistent: r.persistent,
    autostart: r.autostart,
    bridge: r.bridge,
  };
}

/** The network's bridge; "" for a network without one (libvirt then says INTERNAL_ERROR). */
async function bridgeOf(c: LibvirtClient, n: Network): Promise<string> {
  try {
    return await c.networkGetBridgeName(n);
  } catch (e) {
    if (e instanceof LibvirtError && e.libvirtCode === ErrorCode.INTERNAL_ERROR) return "";
    throw e;
  }
}

const uuids = (ns: Network[]) => new Set(ns.map((n) => n.uuid));

/** The virtual network kind. */
export const networkKind: KindRow<Network, NetworkRead, NetworkBulk, undefined> = {
  name: "network",
  classes: ["Network"],
  key: (n) => n.uuid,
  async list(c) {
    const [handles, active, transient, autostart] = await Promise.all([
      c.listAllNetworks(0),
      c.listAllNetworks(ListNetworksFlags.ACTIVE),
      c.listAllNetworks(ListNetworksFlags.TRANSIENT),
      c.listAllNetworks(ListNetworksFlags.AUTOSTART),
    ]);
    return {
      handles,
      bulk: { active: uuids(active), transient: uuids(transient), autostart: uuids(autostart) },
    };
  },
  async read(c, n, { bulk }) {
    if (bulk) {
      return {
        active: bulk.active.has(n.uuid),
        persistent: !bulk.transient.has(n.uuid),
        autostart: bulk.autostart.has(n.uuid),
        bridge: await bridgeOf(c, n),
      };
    }
    const [active, persistent, autostart, bridge] = await Promise.all([
      c.networkIsActive(n),
      c.networkIsPersistent(n),
      c.networkGetAutostart(n),
      bridgeOf(c, n),
    ]);
    return { active, persistent, autostart, bridge };
  },
  lookup: (c, uuid) => c.networkLookupByUuid(uuid),
  publish(out, e, r) {
    out.set("Network", objectName("Network", e.key), networkValues(e.handle, r, out.node));
  },
  isGone: isNoNetwork,
  events: [
    lifecycleEvent("networkLifecycle", "network", "NetworkLifecycle", (e) => ({
      event: networkEventText(e.event),
    })),
  ],
};

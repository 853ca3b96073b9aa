// Virtual networks: the network handle, DHCP leases, the network procedures and the codecs of
// the network lifecycle event. Layouts and numbers are libvirt's (remote_protocol.x).
import {
  array,
  type Codec,
  hyper,
  int,
  nonnullString,
  remoteString,
  struct,
  uint,
  voidCodec as v,
} from "./codec.js";
import { proc } from "./row.js";
import { uuid } from "./types.js";

/** A virtual network handle. */
export interface Network {
  name: string;
  uuid: string;
}

/** `remote_nonnull_network {name; uuid}`. */
export const network: Codec<Network> = struct({ name: nonnullString, uuid });

/**
 * One DHCP lease of a network (`remote_network_dhcp_lease`). `expirytime` is in seconds since
 * the epoch; `type` is an IpAddrType; `iaid` and `clientid` are DHCPv6 / client identifiers.
 */
export interface NetworkDhcpLease {
  iface: string;
  expirytime: bigint;
  type: number;
  mac: string | null;
  iaid: string | null;
  ipaddr: string;
  prefix: number;
  hostname: string | null;
  clientid: string | null;
}

export const networkDhcpLease: Codec<NetworkDhcpLease> = struct({
  iface: nonnullString,
  expirytime: hyper,
  type: int,
  mac: remoteString,
  iaid: remoteString,
  ipaddr: nonnullString,
  prefix: uint,
  hostname: remoteString,
  clientid: remoteString,
});

const NETWORK_LIST_MAX = 16384;
const NETWORK_DHCP_LEASES_MAX = 65536;

const net = struct({ net: network });
const xmlArg = struct({ xml: nonnullString });
const xmlFlags = struct({ xml: nonnullString, flags: uint });

/** Procedures on virtual networks, spread into RemoteProcedure. */
export const networkProcedures = {
  networkCreate: proc("NETWORK_CREATE", 39, net, v),
  networkCreateXml: proc("NETWORK_CREATE_XML", 40, xmlArg, net),
  networkDefineXml: proc("NETWORK_DEFINE_XML", 41, xmlArg, net),
  networkDestroy: proc("NETWORK_DESTROY", 42, net, v),
  networkGetXmlDesc: proc(
    "NETWORK_GET_XML_DESC",
    43,
    struct({ net: network, flags: uint }),
    struct({ xml: nonnullString }),
  ),
  networkGetAutostart: proc("NETWORK_GET_AUTOSTART", 44, net, struct({ autostart: int })),
  networkGetBridgeName: proc("NETWORK_GET_BRIDGE_NAME", 45, net, struct({ name: nonnullString })),
  networkLookupByName: proc("NETWORK_LOOKUP_BY_NAME", 46, struct({ name: nonnullString }), net),
  networkLookupByUuid: proc("NETWORK_LOOKUP_BY_UUID", 47, struct({ uuid }), net),
  networkSetAutostart: proc(
    "NETWORK_SET_AUTOSTART",
    48,
    struct({ net: network, autostart: int }),
    v,
  ),
  networkUndefine: proc("NETWORK_UNDEFINE", 49, net, v),
  networkIsActive: proc("NETWORK_IS_ACTIVE", 152, net, struct({ active: int })),
  networkIsPersistent: proc("NETWORK_IS_PERSISTENT", 153, net, struct({ persistent: int })),
  connectListAllNetworks: proc(
    "CONNECT_LIST_ALL_NETWORKS",
    283,
    struct({ need_results: int, flags: uint }),
    struct({ nets: array(network, NETWORK_LIST_MAX), ret: uint }),
  ),
  networkGetDhcpLeases: proc(
    "NETWORK_GET_DHCP_LEASES",
    341,
    struct({ net: network, mac: remoteString, need_results: int, flags: uint }),
    struct({ leases: array(networkDhcpLease, NETWORK_DHCP_LEASES_MAX), ret: uint }),
  ),
  // The _FLAGS variants (libvirt 7.7 / 7.8) take NetworkDefineFlags / NetworkCreateFlags.
  networkDefineXmlFlags: proc("NETWORK_DEFINE_XML_FLAGS", 432, xmlFlags, net),
  networkCreateXmlFlags: proc("NETWORK_CREATE_XML_FLAGS", 437, xmlFlags, net),
} as const;

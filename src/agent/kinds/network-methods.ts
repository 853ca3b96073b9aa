// The methods of Network (schema/libvirt.xml), executed against libvirt.
import { IpAddrType, type NetworkDhcpLease } from "../../libvirt/index.js";
import { textArg } from "../arguments.js";
import { act, describe, methodsOf, needs } from "../handlers.js";
import type { Values } from "./kind.js";
import { networkKind } from "./network.js";

/** One DHCP lease as Network.dhcp_leases returns it. */
function leaseValues(l: NetworkDhcpLease): Values {
  return {
    mac: l.mac ?? "",
    ip: l.ipaddr,
    prefix: l.prefix,
    type: l.type === IpAddrType.IPV6 ? "ipv6" : "ipv4",
    hostname: l.hostname ?? "",
    iface: l.iface,
    expiry: l.expirytime,
  };
}

export const networkMethods = methodsOf("Network", networkKind, {
  create: act(networkKind, "virNetworkCreate", (c, n) => c.networkCreate(n)),
  destroy: act(networkKind, "virNetworkDestroy", (c, n) => c.networkDestroy(n)),
  undefine: act(networkKind, "virNetworkUndefine", (c, n) => c.networkUndefine(n)),
  set_autostart: act(networkKind, "virNetworkSetAutostart", (c, n, a) =>
    c.networkSetAutostart(n, a.autostart),
  ),
  xml_desc: needs(
    "viewer",
    describe("virNetworkGetXMLDesc", (c, n) => c.networkGetXmlDesc(n)),
  ),
  dhcp_leases: {
    role: "viewer",
    async run(call, ctx) {
      const mac = textArg(call, "mac", { allowEmpty: true, absent: "" });
      const leases = await ctx.callLibvirt("virNetworkGetDHCPLeases", (c) =>
        c.networkGetDhcpLeases(call.target, mac === "" ? null : mac),
      );
      return { leases: leases.map(leaseValues) };
    },
  },
});

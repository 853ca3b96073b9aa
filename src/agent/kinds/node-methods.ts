// The methods of Node (schema/libvirt.xml), executed against libvirt.
import { fromXml, methodsOf } from "../handlers.js";
import { domainKind } from "./domain.js";
import { networkKind } from "./network.js";
import { nodeKind } from "./node.js";
import { poolKind } from "./pool.js";

export const nodeMethods = methodsOf("Node", nodeKind, {
  get_free_memory: {
    role: "viewer",
    run: async (_call, ctx) => {
      const bytes = await ctx.callLibvirt("virNodeGetFreeMemory", (c) => c.nodeGetFreeMemory());
      return { result: bytes / 1024n };
    },
  },
  define_domain_xml: fromXml(domainKind, "domain", "virDomainDefineXML", (c, xml) =>
    c.domainDefineXml(xml),
  ),
  storage_pool_define_xml: fromXml(poolKind, "pool", "virStoragePoolDefineXML", (c, xml) =>
    c.storagePoolDefineXml(xml),
  ),
  storage_pool_create_xml: fromXml(poolKind, "pool", "virStoragePoolCreateXML", (c, xml) =>
    c.storagePoolCreateXml(xml),
  ),
  network_define_xml: fromXml(networkKind, "network", "virNetworkDefineXML", (c, xml) =>
    c.networkDefineXml(xml),
  ),
  network_create_xml: fromXml(networkKind, "network", "virNetworkCreateXML", (c, xml) =>
    c.networkCreateXml(xml),
  ),
});

// The methods of Domain (schema/libvirt.xml), executed against libvirt. Migration has its own
// file (domain-migrate.ts).
import {
  type Domain,
  type DomainInterface,
  DomainModificationImpact,
  InterfaceAddressesSource,
  IpAddrType,
  type LibvirtClient,
} from "../../libvirt/index.js";
import { xmlText } from "../../util/xml.js";
import { flagsArg, pathArg, wordArg, xmlArg } from "../arguments.js";
import { badArgument } from "../errors.js";
import type {
  DomainRestoreArgs,
  DomainSetMemoryArgs,
  DomainSetVcpusArgs,
  None,
} from "../generated/methods.js";
import {
  act,
  describe,
  type Handler,
  type HandlerCall,
  type HandlerContext,
  long,
  methodsOf,
  needs,
} from "../handlers.js";
import { domainKind } from "./domain.js";
import { migrate } from "./domain-migrate.js";
import { snapshotKey } from "./snapshot.js";

/** The name and UUID of the domain a saved image's definition describes. */
function savedDomain(xml: string): { name?: string; uuid?: string } {
  try {
    return {
      name: xmlText(xml, ["domain", "name"]),
      uuid: xmlText(xml, ["domain", "uuid"])?.trim().toLowerCase(),
    };
  } catch {
    return {}; // not XML: it holds no domain we could name
  }
}

/**
 * virDomainRestore restores whichever domain the file holds. Called on one Domain object it
 * must restore that domain, so the image's definition is read first and a file saved from
 * another domain is refused (PARAMETER_INVALID naming it) before anything is restored.
 */
async function restore(
  call: HandlerCall<DomainRestoreArgs, Domain>,
  ctx: HandlerContext,
): Promise<None> {
  const d = call.target;
  const file = pathArg(call, "filename");
  const saved = await ctx.callLibvirt("virDomainSaveImageGetXMLDesc", (c) =>
    c.domainSaveImageGetXmlDesc(file),
  );
  const { name, uuid } = savedDomain(saved);
  if (uuid !== d.uuid) {
    throw badArgument(
      call.methodName,
      "filename",
      `holds a saved image of domain ${name === undefined ? "(unnamed)" : JSON.stringify(name)} (${uuid ?? "no uuid"}), not of this domain ${JSON.stringify(d.name)} (${d.uuid})`,
    );
  }
  await ctx.callLibvirt("virDomainRestore", (c) => c.domainRestore(file));
  await ctx.mirror.refresh(domainKind, d.uuid);
  return {};
}

/** libvirt's names of the flags that say which definition a change applies to. */
const IMPACT = { live: DomainModificationImpact.LIVE, config: DomainModificationImpact.CONFIG };

/**
 * A method whose `flags` argument names libvirt's impact flags (live, config): the
 * flags checked before libvirt is called, one call, then the domain read again.
 */
function resize<A extends { flags?: string }>(
  name: string,
  fn: (c: LibvirtClient, d: Domain, args: A, flags: number) => Promise<unknown>,
): Handler<A, None, Domain> {
  return {
    async run(call, ctx) {
      const flags = flagsArg<{ flags?: string }>(call, "flags", IMPACT);
      await ctx.callLibvirt(name, (c) => fn(c, call.target, call.args, flags));
      await ctx.mirror.refresh(domainKind, call.target.uuid);
      return {};
    },
  };
}

/** Where Domain.interface_addresses may learn the addresses (virDomainInterfaceAddressesSource). */
const ADDRESS_SOURCES = {
  lease: InterfaceAddressesSource.LEASE,
  agent: InterfaceAddressesSource.AGENT,
  arp: InterfaceAddressesSource.ARP,
};

/** One guest interface as Domain.interface_addresses returns it. */
function interfaceValues(i: DomainInterface) {
  return {
    name: i.name,
    hwaddr: i.hwaddr ?? "",
    addrs: i.addrs.map((a) => ({
      type: a.type === IpAddrType.IPV6 ? "ipv6" : "ipv4",
      addr: a.addr,
      prefix: a.prefix,
    })),
  };
}

/** A lifecycle method (start, stop, pause…): an operator's; one call, then the domain read again. */
function lifecycle(name: string, fn: (c: LibvirtClient, d: Domain) => Promise<unknown>) {
  return needs("operator", act(domainKind, name, fn));
}

// The lifecycle (start, stop, pause, save) is an operator's; the rest of what changes a domain
// (its definition, settings, migration, snapshots) an admin's.
export const domainMethods = methodsOf("Domain", domainKind, {
  create: lifecycle("virDomainCreate", (c, d) => c.domainCreate(d)),
  destroy: lifecycle("virDomainDestroy", (c, d) => c.domainDestroy(d)),
  undefine: act(domainKind, "virDomainUndefine", (c, d) => c.domainUndefine(d)),
  suspend: lifecycle("virDomainSuspend", (c, d) => c.domainSuspend(d)),
  resume: lifecycle("virDomainResume", (c, d) => c.domainResume(d)),
  shutdown: lifecycle("virDomainShutdown", (c, d) => c.domainShutdown(d)),
  reboot: lifecycle("virDomainReboot", (c, d) => c.domainReboot(d)),
  save: {
    role: "operator",
    long: true,
    async run(call, ctx) {
      const file = pathArg(call, "filename");
      await ctx.callLibvirt("virDomainSave", (c) => c.domainSave(call.target, file));
      await ctx.mirror.refresh(domainKind, call.target.uuid);
      return {};
    },
  },
  restore: { role: "operator", long: true, run: restore },
  xml_desc: needs(
    "viewer",
    describe("virDomainGetXMLDesc", (c, d) => c.domainGetXmlDesc(d)),
  ),
  migrate: { long: true, run: migrate },
  set_autostart: act(domainKind, "virDomainSetAutostart", (c, d, a) =>
    c.domainSetAutostart(d, a.autostart),
  ),
  set_vcpus: resize("virDomainSetVcpusFlags", (c, d, a: DomainSetVcpusArgs, flags) =>
    c.domainSetVcpusFlags(d, a.count, flags),
  ),
  set_memory: resize("virDomainSetMemoryFlags", (c, d, a: DomainSetMemoryArgs, flags) =>
    c.domainSetMemoryFlags(d, a.memory, flags),
  ),
  interface_addresses: {
    role: "viewer",
    async run(call, ctx) {
      const source = wordArg(call, "source", ADDRESS_SOURCES, InterfaceAddressesSource.LEASE);
      const ifaces = await ctx.callLibvirt("virDomainInterfaceAddresses", (c) =>
        c.domainInterfaceAddresses(call.target, source),
      );
      return { interfaces: ifaces.map(interfaceValues) };
    },
  },
  stats_history: {
    role: "viewer",
    // From the agent's memory, not libvirt: the samples its sweeps kept (none once forgotten).
    run: async (call, ctx) => ({
      samples:
        ctx.mirror
          .entry(domainKind, call.target.uuid)
          ?.memo?.history?.since(call.args.since ?? 0n) ?? [],
    }),
  },
  managed_save: long(act(domainKind, "virDomainManagedSave", (c, d) => c.domainManagedSave(d))),
  snapshot_create_xml: {
    long: true,
    async run(call, ctx) {
      const d = call.target;
      const xml = xmlArg(call, "xml_desc");
      const s = await ctx.callLibvirt("virDomainSnapshotCreateXML", (c) =>
        c.domainSnapshotCreateXml(d, xml, call.args.flags ?? 0),
      );
      // libvirt raises no snapshot event: the domain is read again with its snapshots.
      await ctx.mirror.refresh(domainKind, d.uuid);
      return { snapshot: ctx.objectId("Snapshot", snapshotKey(s)) };
    },
  },
});

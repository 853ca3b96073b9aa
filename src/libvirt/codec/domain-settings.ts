// Domain settings and guest facts beyond the lifecycle: autostart, persistence (and transient
// domains), vCPU and memory sizing, the balloon's stats period, managed-save images and the
// guest's interface addresses. Layouts and numbers are libvirt's (remote_protocol.x).
import {
  array,
  type Codec,
  int,
  nonnullString,
  remoteString,
  struct,
  uhyper,
  uint,
  voidCodec as v,
} from "./codec.js";
import { proc } from "./row.js";
import { domain } from "./types.js";

/** One address of a guest interface (`remote_domain_ip_addr`); `type` is an IpAddrType. */
export interface DomainIpAddress {
  type: number;
  addr: string;
  prefix: number;
}

/** One guest interface with its addresses (`remote_domain_interface`). */
export interface DomainInterface {
  name: string;
  hwaddr: string | null;
  addrs: DomainIpAddress[];
}

const DOMAIN_INTERFACE_MAX = 2048;
const DOMAIN_IP_ADDR_MAX = 2048;

export const domainIpAddress: Codec<DomainIpAddress> = struct({
  type: int,
  addr: nonnullString,
  prefix: uint,
});

export const domainInterface: Codec<DomainInterface> = struct({
  name: nonnullString,
  hwaddr: remoteString,
  addrs: array(domainIpAddress, DOMAIN_IP_ADDR_MAX),
});

const dom = struct({ dom: domain });
const domFlags = struct({ dom: domain, flags: uint });

/** Domain settings procedures, spread into RemoteProcedure. */
export const domainSettingsProcedures = {
  domainCreateXml: proc(
    "DOMAIN_CREATE_XML",
    10,
    struct({ xml_desc: nonnullString, flags: uint }),
    struct({ dom: domain }),
  ),
  domainGetAutostart: proc("DOMAIN_GET_AUTOSTART", 15, dom, struct({ autostart: int })),
  domainSetAutostart: proc("DOMAIN_SET_AUTOSTART", 29, struct({ dom: domain, autostart: int }), v),
  domainIsActive: proc("DOMAIN_IS_ACTIVE", 150, dom, struct({ active: int })),
  domainIsPersistent: proc("DOMAIN_IS_PERSISTENT", 151, dom, struct({ persistent: int })),
  domainHasManagedSaveImage: proc(
    "DOMAIN_HAS_MANAGED_SAVE_IMAGE",
    183,
    domFlags,
    struct({ result: int }),
  ),
  domainManagedSaveRemove: proc("DOMAIN_MANAGED_SAVE_REMOVE", 184, domFlags, v),
  domainSetVcpusFlags: proc(
    "DOMAIN_SET_VCPUS_FLAGS",
    199,
    struct({ dom: domain, nvcpus: uint, flags: uint }),
    v,
  ),
  domainGetVcpusFlags: proc("DOMAIN_GET_VCPUS_FLAGS", 200, domFlags, struct({ num: int })),
  domainSetMemoryFlags: proc(
    "DOMAIN_SET_MEMORY_FLAGS",
    204,
    struct({ dom: domain, memory: uhyper, flags: uint }),
    v,
  ),
  domainSetMemoryStatsPeriod: proc(
    "DOMAIN_SET_MEMORY_STATS_PERIOD",
    308,
    struct({ dom: domain, period: int, flags: uint }),
    v,
  ),
  domainInterfaceAddresses: proc(
    "DOMAIN_INTERFACE_ADDRESSES",
    353,
    struct({ dom: domain, source: uint, flags: uint }),
    struct({ ifaces: array(domainInterface, DOMAIN_INTERFACE_MAX) }),
  ),
} as const;

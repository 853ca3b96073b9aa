// Domain snapshots: the snapshot handle and the snapshot procedures. Layouts and numbers are
// libvirt's (remote_protocol.x).
import { array, type Codec, int, nonnullString, struct, uint, voidCodec as v } from "./codec.js";
import { proc } from "./row.js";
import { type Domain, domain } from "./types.js";

/** A domain snapshot handle: its name and the domain it belongs to. */
export interface DomainSnapshot {
  name: string;
  dom: Domain;
}

/** `remote_nonnull_domain_snapshot {name; remote_nonnull_domain dom}`. */
export const domainSnapshot: Codec<DomainSnapshot> = struct({ name: nonnullString, dom: domain });

const DOMAIN_SNAPSHOT_LIST_MAX = 16384;

const snapFlags = struct({ snap: domainSnapshot, flags: uint });
const snapRet = struct({ snap: domainSnapshot });
const domFlags = struct({ dom: domain, flags: uint });
// `int ret` here, where the other LIST_ALL calls return `unsigned int ret`.
const snapshotList = struct({
  snapshots: array(domainSnapshot, DOMAIN_SNAPSHOT_LIST_MAX),
  ret: int,
});

/** Procedures on domain snapshots, spread into RemoteProcedure. */
export const snapshotProcedures = {
  domainSnapshotCreateXml: proc(
    "DOMAIN_SNAPSHOT_CREATE_XML",
    185,
    struct({ dom: domain, xml_desc: nonnullString, flags: uint }),
    snapRet,
  ),
  domainSnapshotGetXmlDesc: proc(
    "DOMAIN_SNAPSHOT_GET_XML_DESC",
    186,
    snapFlags,
    struct({ xml: nonnullString }),
  ),
  domainSnapshotLookupByName: proc(
    "DOMAIN_SNAPSHOT_LOOKUP_BY_NAME",
    189,
    struct({ dom: domain, name: nonnullString, flags: uint }),
    snapRet,
  ),
  domainHasCurrentSnapshot: proc(
    "DOMAIN_HAS_CURRENT_SNAPSHOT",
    190,
    domFlags,
    struct({ result: int }),
  ),
  domainSnapshotCurrent: proc("DOMAIN_SNAPSHOT_CURRENT", 191, domFlags, snapRet),
  domainRevertToSnapshot: proc("DOMAIN_REVERT_TO_SNAPSHOT", 192, snapFlags, v),
  domainSnapshotDelete: proc("DOMAIN_SNAPSHOT_DELETE", 193, snapFlags, v),
  domainSnapshotGetParent: proc("DOMAIN_SNAPSHOT_GET_PARENT", 244, snapFlags, snapRet),
  domainSnapshotIsCurrent: proc(
    "DOMAIN_SNAPSHOT_IS_CURRENT",
    271,
    snapFlags,
    struct({ current: int }),
  ),
  domainSnapshotHasMetadata: proc(
    "DOMAIN_SNAPSHOT_HAS_METADATA",
    272,
    snapFlags,
    struct({ metadata: int }),
  ),
  domainListAllSnapshots: proc(
    "DOMAIN_LIST_ALL_SNAPSHOTS",
    274,
    struct({ dom: domain, need_results: int, flags: uint }),
    snapshotList,
  ),
  domainSnapshotListAllChildren: proc(
    "DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN",
    275,
    struct({ snapshot: domainSnapshot, need_results: int, flags: uint }),
    snapshotList,
  ),
} as const;

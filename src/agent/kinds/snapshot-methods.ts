// The methods of Snapshot (schema/libvirt.xml), executed against libvirt. libvirt raises no
// snapshot events, so after each change the snapshot's domain is read again with all its
// snapshots (the mirror reads a snapshot through its domain): a revert moves is_current, a
// delete re-parents the children it leaves.
import { DomainSnapshotDeleteFlags } from "../../libvirt/index.js";
import { act, describe, long, methodsOf, needs } from "../handlers.js";
import { snapshotKind } from "./snapshot.js";

export const snapshotMethods = methodsOf("Snapshot", snapshotKind, {
  revert: long(
    act(snapshotKind, "virDomainRevertToSnapshot", (c, s) => c.domainRevertToSnapshot(s)),
  ),
  delete: act(snapshotKind, "virDomainSnapshotDelete", (c, s, a: { children?: boolean }) =>
    c.domainSnapshotDelete(s, a.children ? DomainSnapshotDeleteFlags.CHILDREN : 0),
  ),
  xml_desc: needs(
    "viewer",
    describe("virDomainSnapshotGetXMLDesc", (c, s) => c.domainSnapshotGetXmlDesc(s)),
  ),
});

// The methods of Snapshot (schema/libvirt.xml), executed against libvirt. libvirt raises no
// snapshot events, so after each change the snapshot's domain is read again with all its
// snapshots: a revert moves is_current, a delete re-parents the children it leaves.
import {
  type DomainSnapshot,
  DomainSnapshotDeleteFlags,
  type LibvirtClient,
} from "../../libvirt/index.js";
import { describe, type Handler, long, methodsOf, needs } from "../handlers.js";
import { domainKind } from "./domain.js";
import { snapshotKind } from "./snapshot.js";

/** One libvirt call on the snapshot, then its domain read again. */
function onSnapshot<A>(
  name: string,
  fn: (c: LibvirtClient, s: DomainSnapshot, args: A) => Promise<unknown>,
): Handler<A, Record<string, never>, DomainSnapshot> {
  return {
    async run(call, ctx) {
      await ctx.callLibvirt(name, (c) => fn(c, call.target, call.args));
      await ctx.mirror.refresh(domainKind, call.target.dom.uuid);
      return {};
    },
  };
}

export const snapshotMethods = methodsOf("Snapshot", snapshotKind, {
  revert: long(onSnapshot("virDomainRevertToSnapshot", (c, s) => c.domainRevertToSnapshot(s))),
  delete: onSnapshot("virDomainSnapshotDelete", (c, s, a: { children?: boolean }) =>
    c.domainSnapshotDelete(s, a.children ? DomainSnapshotDeleteFlags.CHILDREN : 0),
  ),
  xml_desc: needs(
    "viewer",
    describe("virDomainSnapshotGetXMLDesc", (c, s) => c.domainSnapshotGetXmlDesc(s)),
  ),
});

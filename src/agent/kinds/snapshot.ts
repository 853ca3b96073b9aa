// Domain snapshots, keyed by `<domain uuid>/<snapshot name>` (a name is unique per domain).
// They belong to their domain: listed whenever it is read, deleted with it. libvirt raises no
// snapshot events, so a domain's snapshots are read again with the domain (its lifecycle
// events, every method on it or on one of its snapshots, the full resync). A resync lists the
// snapshots only of the domains a filtered listing named as having any (see domain.ts).
import {
  type Domain,
  type DomainSnapshot,
  isNoDomain,
  isNoDomainSnapshot,
} from "../../libvirt/index.js";
import { childAt, parseXml } from "../../util/xml.js";
import { objectName } from "../names.js";
import { type DomainRead, domainKind } from "./domain.js";
import type { KindRow, ParentLink, Values } from "./kind.js";

/** What one read of a snapshot returns: what its XML says, and whether it is current. */
export interface SnapshotRead {
  /** The parent snapshot's name; undefined for a root. */
  parent: string | undefined;
  /** Seconds since the epoch. */
  creationTime: bigint;
  /** The domain's state when it was taken (libvirt's word: running, shutoff, …). */
  state: string;
  current: boolean;
}

/** The key of a snapshot: its domain's UUID, a slash, its name. */
export const snapshotKey = (s: { name: string; dom: { uuid: string } }): string =>
  `${s.dom.uuid}/${s.name}`;

/** The facts of a snapshot's XML (`<domainsnapshot>`) the Snapshot class shows. */
function snapshotFacts(xml: string): Omit<SnapshotRead, "current"> {
  const root = parseXml(xml);
  const time = childAt(root, "creationTime")?.text.trim() ?? "";
  return {
    parent: childAt(root, "parent", "name")?.text.trim(),
    creationTime: /^\d+$/.test(time) ? BigInt(time) : 0n,
    state: childAt(root, "state")?.text.trim() ?? "",
  };
}

/** The Snapshot object; `ref` gives the object id of one of the agent's objects. */
function snapshotValues(
  s: DomainSnapshot,
  r: SnapshotRead,
  ref: (objectName: string) => unknown,
): Values {
  const parent = r.parent === undefined ? undefined : { name: r.parent, dom: s.dom };
  return {
    name: s.name,
    domain: ref(objectName("Domain", s.dom.uuid)),
    parent: parent && ref(objectName("Snapshot", snapshotKey(parent))),
    creation_time: r.creationTime * 1_000_000_000n,
    state: r.state,
    is_current: r.current,
  };
}

const ofDomain: ParentLink<DomainSnapshot, Domain, DomainRead> = {
  row: domainKind,
  ref: (s) => s.dom.uuid,
  // A listing that said the domain has none spares the call.
  list: async (c, d, r) => (r.hasSnapshots === false ? [] : c.domainListAllSnapshots(d)),
  lookup: (c, s) => c.domainLookupByUuid(s.dom.uuid),
};

/** The domain snapshot kind. */
export const snapshotKind: KindRow<DomainSnapshot, SnapshotRead, undefined, undefined> = {
  name: "snapshot",
  classes: ["Snapshot"],
  key: snapshotKey,
  concurrency: () => 8,
  async read(c, s) {
    const [xml, current] = await Promise.all([
      c.domainSnapshotGetXmlDesc(s),
      c.domainSnapshotIsCurrent(s),
    ]);
    return { ...snapshotFacts(xml), current };
  },
  publish(out, e, r) {
    out.set("Snapshot", objectName("Snapshot", e.key), snapshotValues(e.handle, r, out.ref));
  },
  // Gone with its domain, or deleted.
  isGone: (err) => isNoDomainSnapshot(err) || isNoDomain(err),
  parent: ofDomain,
};

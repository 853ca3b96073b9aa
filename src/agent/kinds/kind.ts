// A kind of libvirt object the agent publishes, described as one row of data: its QMF classes,
// its key, how libvirt lists and reads it, how a read becomes property values, the kind it
// belongs to, the libvirt events that touch it and its bulk statistics. The mirror
// (../mirror.ts) runs every row through the same code and names no kind itself.
import type { LibvirtClient } from "../../libvirt/index.js";
import type { ObjectIdLike } from "../../qmf/index.js";
import type { LibvirtEventPayloads } from "../libvirt-events.js";
import type { AgentLogger } from "../log.js";

/** Property values of one object, as given to AgentSession.setObject. */
export type Values = Record<string, unknown>;

/** The host an agent publishes: its UUID (the Node's key) and the URI other hosts reach it by. */
export interface Host {
  uuid: string;
  publicUri: string;
}

/** The state of the agent's libvirt connection, as Node.libvirt_state shows it. */
export type LinkState = "connecting" | "connected" | "disconnected";

/** What the Node shows about the agent itself: its libvirt link and its last full resync. */
export interface HostStatus {
  state: LinkState;
  error: string;
  sinceNs: bigint;
  lastSyncNs: bigint;
}

/** Where a row publishes its objects (the mirror provides it). */
export interface ObjectSink {
  /** Publishes (or updates) one object; does nothing once the agent is stopping. */
  set(className: string, objectName: string, values: Values): void;
  /** The object id of one of this agent's objects. */
  ref(objectName: string): ObjectIdLike;
  /** The object id of this host's Node. */
  readonly node: ObjectIdLike;
  readonly host: HostStatus;
  /**
   * What the mirror has learnt about the libvirt driver it talks to (for example that it
   * reports job statistics at all); kept for the life of the mirror.
   */
  readonly driver: Set<string>;
}

/** The agent's settings that rows act on. */
export interface KindSettings {
  /**
   * The balloon stats period (seconds) set on running QEMU domains that have none, so that
   * libvirt refreshes their memory statistics; 0 leaves every balloon alone.
   */
  readonly balloonStatsPeriod: number;
  /** The stats samples kept per domain for Domain.stats_history; 0 keeps none. */
  readonly statsHistory: number;
}

/** What one read of an object may use besides libvirt. */
export interface ReadContext<B, M> {
  /** What the listing read in bulk, during a full resync (undefined for any other read). */
  readonly bulk: B | undefined;
  /** What the row kept of the object at its last read, when it is known. */
  readonly memo: M | undefined;
  readonly settings: KindSettings;
  /** Where a read reports what it let pass without failing (say, a setting libvirt refused). */
  readonly log: AgentLogger;
}

/** One known object of a kind, as the mirror keeps it between reads. */
export interface Entry<H, M> {
  readonly key: string;
  /** The libvirt handle last read. */
  handle: H;
  /** The key of the object it belongs to (a volume's pool), if its kind has a parent. */
  parentKey: string | undefined;
  /** What the row keeps between reads (say, the values last published), undefined at first. */
  memo: M | undefined;
}

/** What a full listing returns: the handles, and what was read in bulk alongside them. */
export interface Listing<H, B> {
  handles: H[];
  bulk: B | undefined;
}

/**
 * How objects of a child kind are found through the object they belong to. They are listed
 * whenever that object is read, and deleted with it.
 */
export interface ParentLink<H, PH, PR> {
  readonly row: KindRow<PH, PR, unknown, unknown>;
  /** How a child handle names its parent (must equal the parent row's `childRef`). */
  ref(h: H): string;
  /** Lists the children of one parent, given what reading the parent returned. */
  list(c: LibvirtClient, parent: PH, parentRead: PR): Promise<H[]>;
  /** Looks the parent of a child up in libvirt (a child found before its parent was seen). */
  lookup(c: LibvirtClient, h: H): Promise<PH>;
}

/** A QMF event raised for a libvirt event. */
export interface RaisedEvent {
  name: string;
  values: Values;
}

/**
 * A libvirt event that touches objects of a kind: the object it names is read again (folded
 * per object), after the QMF event `raise` returns, if any, is raised.
 */
export type EventRow<H> = {
  [E in keyof LibvirtEventPayloads]: {
    readonly event: E;
    /** The object the event is about. */
    target(e: LibvirtEventPayloads[E]): H;
    /** The QMF event to raise; `self` is the id of the object's first class. */
    raise?(e: LibvirtEventPayloads[E], self: ObjectIdLike): RaisedEvent;
  };
}[keyof LibvirtEventPayloads];

/**
 * The row of a lifecycle event family, whose payload names its object under `field`: the
 * object is read again, and `name` is raised with the object, its UUID and name, and the words
 * `words` gives for the event.
 */
export function lifecycleEvent<
  E extends keyof LibvirtEventPayloads,
  F extends keyof LibvirtEventPayloads[E] & string,
>(
  event: E,
  field: F,
  name: string,
  words: (e: LibvirtEventPayloads[E]) => Values,
): EventRow<LibvirtEventPayloads[E][F]> {
  const handle = (e: LibvirtEventPayloads[E]) =>
    e[field] as LibvirtEventPayloads[E][F] & { uuid: string; name: string };
  const row = {
    event,
    target: handle,
    raise: (e: LibvirtEventPayloads[E], self: ObjectIdLike): RaisedEvent => {
      const h = handle(e);
      return { name, values: { [field]: self, uuid: h.uuid, name: h.name, ...words(e) } };
    },
  };
  // The mapped union of EventRow cannot be narrowed by a generic E; the row is one of its arms.
  return row as unknown as EventRow<LibvirtEventPayloads[E][F]>;
}

/** A sweep result bit: the object's values changed and were published. */
export const SWEPT_CHANGED = 1;
/** A sweep result bit: the record lacked part of what it should have (values kept, marked). */
export const SWEPT_STALE = 2;

/** A periodic bulk read of every object's statistics: a constant number of calls per sweep. */
export interface SweepSpec<H, M, Rec> {
  /**
   * Reads the statistics of every object; records are decoded as they are iterated. The host
   * is the agent's own.
   */
  read(c: LibvirtClient, host: Host): Promise<Iterable<Rec> & { readonly length: number }>;
  /**
   * Whether the sweep report counts the records, and those changed or stale, as domains
   * (default true): the host's own statistics are swept as well, but the report is about guests.
   */
  readonly domainRecords?: boolean;
  /** The key of the object a record is about. */
  key(rec: Rec): string;
  /**
   * Merges one record into a known object; returns SWEPT_CHANGED and SWEPT_STALE bits.
   * `nowNs` is the sweep's time, the same for every record of one sweep.
   */
  apply(out: ObjectSink, e: Entry<H, M>, rec: Rec, nowNs: bigint, settings: KindSettings): number;
}

/**
 * One kind of libvirt object. `H` is libvirt's handle, `R` what one read returns, `B` what a
 * listing reads in bulk, `M` what the row keeps per object between reads.
 *
 * Object names are `<class>:<key>` for each of `classes`.
 */
export interface KindRow<H, R, B, M> {
  /** A lower-case word for logs and messages ("domain"). */
  readonly name: string;
  /** The QMF classes each object is published as; methods are called on the first. */
  readonly classes: readonly [string, ...string[]];
  /** The key that names the object (unique per host, stable across restarts). */
  key(h: H): string;
  /**
   * Lists every object, for the full resync (kinds listed through a parent have none).
   * The host is the agent's own (the Node lists just it).
   */
  list?(c: LibvirtClient, host: Host): Promise<Listing<H, B>>;
  /** libvirt reads in flight for this kind, given the resync's overall limit. */
  concurrency?(limit: number): number;
  /** Reads what the values need (in a resync, with what the listing read in bulk). */
  read(c: LibvirtClient, h: H, at: ReadContext<B, M>): Promise<R>;
  /** Looks one object up again by key (after an event or a method). */
  lookup?(c: LibvirtClient, key: string): Promise<H>;
  /** Publishes the object's classes from one read. */
  publish(out: ObjectSink, e: Entry<H, M>, r: R): void;
  /**
   * Publishes an object a full resync found that is not published yet, from what the listing
   * read in bulk, before its own read: at 10,000 domains the objects are then at the consoles
   * right after the listing instead of after 20,000 calls. A value only the read gives is
   * left out (absent at the consoles), never guessed; the read publishes it. Returns false
   * when the listing says too little (the object then waits for its read). The mirror reads
   * these rows after those without it, so that every object is shown first.
   */
  publishListed?(out: ObjectSink, e: Entry<H, M>, bulk: B): boolean;
  /**
   * Publishes what shows the host status: called when the libvirt link changes and at the
   * end of each full resync.
   */
  publishHostStatus?(out: ObjectSink, e: Entry<H, M>): void;
  /** Whether a libvirt error says the object no longer exists. */
  isGone(err: unknown): boolean;
  /** How children name this object (defaults to nothing: no child kind). */
  childRef?(h: H): string;
  readonly parent?: ParentLink<H, unknown, unknown>;
  readonly events?: readonly EventRow<H>[];
  readonly sweep?: SweepSpec<H, M, unknown>;
}

/** A row of any kind, as the mirror and the table hold it. */
export type AnyKind = KindRow<unknown, unknown, unknown, unknown>;

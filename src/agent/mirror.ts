// The mirror keeps the agent's QMF objects equal to what libvirt reports, for every kind in the
// table (kinds/), through the same code:
// - a libvirt event → the object it names is read again at once (one read at a time per
//   object, folded) and published, or deleted if libvirt no longer has it;
// - a periodic full resync → everything listed and read; objects libvirt no longer has are
//   deleted (only after every listing succeeded: a daemon that is down never reads as "no
//   domains"), and what an event touched meanwhile is left to that event's read;
// - a stats sweep → one bulk call per kind that has one, for every object at once.
// Only changed values are handed to the session (which publishes changes only, coalesced).
import { isConnectionLost, type ReconnectingLibvirt } from "../libvirt/index.js";
import type { Observer, SweepReport } from "../observe/observer.js";
import { isConnectionLost as isBrokerLost } from "../qmf/errors.js";
import type { ObjectId } from "../qmf/index.js";
import { nowNs } from "../util/clock.js";
import { KeyedLanes, mapLimit } from "./concurrency.js";
import { KINDS } from "./kinds/index.js";
import {
  type AnyKind,
  type Entry,
  type EventRow,
  type Host,
  type HostStatus,
  type KindRow,
  type KindSettings,
  type LinkState,
  type ObjectSink,
  type ReadContext,
  SWEPT_CHANGED,
  SWEPT_STALE,
  type Values,
} from "./kinds/kind.js";
import type { AgentLogger } from "./log.js";
import { keyOf, objectName } from "./names.js";

export type { LinkState } from "./kinds/kind.js";

/** What the mirror needs of the QMF agent session (AgentSession satisfies it). */
export interface Publisher {
  setObject(className: string, objectName: string, values: Record<string, unknown>): void;
  deleteObject(className: string, objectName: string): void;
  objectId(objectName: string): ObjectId;
  raiseEvent(eventName: string, values: Record<string, unknown>, severity?: number): Promise<void>;
}

/** Lifecycle events held at most while the broker is unreachable (then counted as lost). */
export const MAX_HELD_EVENTS = 1000;

/** Options of {@link Mirror}. */
export interface MirrorOptions {
  libvirt: ReconnectingLibvirt;
  session: Publisher;
  hostUuid: string;
  /** Node.uri (how other hosts reach this libvirtd). */
  publicUri: string;
  log: AgentLogger;
  /** The kinds to publish (default: every kind of the table). */
  kinds?: readonly AnyKind[];
  /** libvirt calls in flight during a resync (default 32). */
  concurrency?: number;
  /**
   * A sweep whose bulk call has not answered after this long no longer blocks the next one
   * (default 5000). NOWAIT protects a sweep from a job someone else holds, but not from the
   * job it took itself on a domain whose QEMU then stops answering.
   */
  sweepTimeoutMs?: number;
  /** Told of every sweep and of events lost while the broker was away. */
  observer?: Observer;
  /**
   * The settings the rows act on (default: none that changes libvirt; the agent passes its
   * own).
   */
  settings?: KindSettings;
}

/** Objects published from a listing between two turns of the event loop. */
const LISTED_SLICE = 500;

/** Settings under which reading libvirt changes nothing in it. */
const HANDS_OFF: KindSettings = { balloonStatsPeriod: 0, statsHistory: 0 };

/** Result of one stats sweep (for logs, the observer and the benchmark). */
export type SweepResult = SweepReport;

/** What the mirror keeps per kind. */
interface KindState {
  readonly entries: Map<string, Entry<unknown, unknown>>;
  /** Object key by the name its children use for it (pools by name, for volumes). */
  readonly byChildRef: Map<string, string> | undefined;
  /**
   * The keys of the objects of a child kind, by their parent's key: reading or removing one
   * parent touches its own children only (10,000 domains, each with its snapshots).
   */
  readonly byParent: Map<string, Set<string>> | undefined;
  /** The kinds listed through this one. */
  readonly children: AnyKind[];
}

/** A child object read together with its parent. */
interface ChildRead {
  h: unknown;
  r: unknown;
}

export class Mirror {
  private readonly opts: MirrorOptions;
  private readonly log: AgentLogger;
  private readonly rows: readonly AnyKind[];
  private readonly kinds = new Map<AnyKind, KindState>();
  private readonly host: Host;
  private readonly sink: ObjectSink;
  private readonly settings: KindSettings;
  private readonly lanes = new KeyedLanes();
  /**
   * Objects an event touched since the current resync began (as `<kind>:<key>`): the resync does not
   * overwrite or delete them. Cleared when a resync begins (one runs at a time), so it never
   * outgrows what changed within one resync interval.
   */
  private readonly touched = new Set<string>();
  private resyncing: Promise<void> | null = null;
  private sweeping: Promise<SweepResult | null> | null = null;
  private sweepsStarted = 0;
  private sweepApplied = 0;
  /** Changed in place: the rows read it through `sink.host`. */
  private readonly status: HostStatus = {
    state: "connecting",
    error: "",
    sinceNs: nowNs(),
    lastSyncNs: 0n,
  };
  private stopped = false;
  /** Events that could not be sent while the broker link was down (see raise). */
  private readonly heldEvents: { eventName: string; values: Values }[] = [];
  private droppedEvents = 0;

  constructor(opts: MirrorOptions) {
    this.opts = opts;
    this.log = opts.log;
    this.rows = opts.kinds ?? KINDS;
    this.host = { uuid: opts.hostUuid, publicUri: opts.publicUri };
    this.settings = opts.settings ?? HANDS_OFF;
    for (const row of this.rows) {
      this.kinds.set(row, {
        entries: new Map(),
        byChildRef: row.childRef ? new Map() : undefined,
        byParent: row.parent ? new Map() : undefined,
        children: this.rows.filter((r) => r.parent?.row === row),
      });
    }
    const session = opts.session;
    this.sink = {
      set: (className, name, values) => {
        if (!this.stopped) session.setObject(className, name, values);
      },
      ref: (name) => session.objectId(name),
      node: session.objectId(objectName("Node", opts.hostUuid)),
      host: this.status,
      driver: new Set(),
    };
  }

  private get client() {
    return this.opts.libvirt.client;
  }
  private state(row: AnyKind): KindState {
    const s = this.kinds.get(row);
    if (!s) throw new Error(`the mirror does not publish ${row.name}s`);
    return s;
  }

  /** Stops publishing (the agent is shutting down). */
  stop(): void {
    this.stopped = true;
  }

  // ---- what is known --------------------------------------------------------------------

  /** The known object of `row` with this key. */
  entry<H, M>(row: KindRow<H, unknown, unknown, M>, key: string): Entry<H, M> | undefined {
    return this.state(row as AnyKind).entries.get(key) as Entry<H, M> | undefined;
  }

  /** The known object of `row` named `name` (`<first class>:<key>`), if any. */
  find<H, M>(row: KindRow<H, unknown, unknown, M>, name: string): Entry<H, M> | undefined {
    const key = keyOf(row.classes[0], name);
    return key === undefined ? undefined : this.entry(row, key);
  }

  /** How many objects of `row` are known. */
  count(row: AnyKind): number {
    return this.state(row).entries.size;
  }

  /** The key of the known parent of a child handle (a volume's pool), if that parent is known. */
  parentKey<H>(row: KindRow<H, unknown, unknown, unknown>, h: H): string | undefined {
    const parent = row.parent;
    return parent && this.state(parent.row).byChildRef?.get(parent.ref(h));
  }

  // ---- the host -------------------------------------------------------------------------

  /** The libvirt connection state changed: shown on the Node at once; objects are kept. */
  setLinkState(state: LinkState, error = ""): void {
    const s = this.status;
    if (s.state === state && s.error === error) return;
    if (s.state !== state) s.sinceNs = nowNs();
    s.state = state;
    s.error = error;
    this.publishHostStatus();
  }

  get linkState(): LinkState {
    return this.status.state;
  }

  private publishHostStatus(): void {
    if (this.stopped) return;
    for (const row of this.rows) {
      if (!row.publishHostStatus) continue;
      for (const e of this.state(row).entries.values()) row.publishHostStatus(this.sink, e);
    }
  }

  // ---- one object -----------------------------------------------------------------------

  /** What a read of the object `key` of a kind gets besides libvirt. */
  private readContext(st: KindState, key: string, bulk: unknown): ReadContext<unknown, unknown> {
    return { bulk, memo: st.entries.get(key)?.memo, settings: this.settings, log: this.log };
  }

  private publish(row: AnyKind, st: KindState, h: unknown, r: unknown, parentKey?: string): void {
    if (this.stopped) return;
    const key = row.key(h);
    let e = st.entries.get(key);
    if (e === undefined) {
      e = { key, handle: h, parentKey, memo: undefined };
      st.entries.set(key, e);
    } else {
      e.handle = h;
      if (parentKey !== undefined && parentKey !== e.parentKey) {
        this.unlinkChild(st, e);
        e.parentKey = parentKey;
      }
    }
    if (st.byParent && e.parentKey !== undefined) {
      const kids = st.byParent.get(e.parentKey);
      if (kids) kids.add(key);
      else st.byParent.set(e.parentKey, new Set([key]));
    }
    if (st.byChildRef && row.childRef) st.byChildRef.set(row.childRef(h), key);
    row.publish(this.sink, e, r);
  }

  /**
   * Publishes the objects of a listing that are not published yet (and no event touched
   * since the resync began) from the listing alone (KindRow.publishListed); how many. In
   * slices, letting I/O run between them: 10,000 domains take a few hundred ms, and the
   * other kinds' replies from libvirt would wait for all of it.
   */
  private async publishListed(row: AnyKind, handles: unknown[], bulk: unknown): Promise<number> {
    const st = this.state(row);
    if (!row.publishListed) return 0;
    let shown = 0;
    for (let i = 0; i < handles.length; i++) {
      if (i > 0 && i % LISTED_SLICE === 0) await new Promise((r) => setImmediate(r));
      if (this.stopped) break;
      const h = handles[i];
      const key = row.key(h);
      if (st.entries.has(key) || this.isTouched(row, key)) continue;
      const e: Entry<unknown, unknown> = { key, handle: h, parentKey: undefined, memo: undefined };
      if (!row.publishListed(this.sink, e, bulk)) continue;
      st.entries.set(key, e);
      if (st.byChildRef && row.childRef) st.byChildRef.set(row.childRef(h), key);
      shown++;
    }
    return shown;
  }

  /** Whether an event touched the object since the current resync began. */
  private isTouched(row: AnyKind, key: string): boolean {
    // Mostly empty: no key string is made for each of 10,000 domains then.
    return this.touched.size > 0 && this.touched.has(`${row.name}:${key}`);
  }

  /** Takes a child object out of its parent's set of children. */
  private unlinkChild(st: KindState, e: Entry<unknown, unknown>): void {
    if (!st.byParent || e.parentKey === undefined) return;
    const kids = st.byParent.get(e.parentKey);
    kids?.delete(e.key);
    if (kids?.size === 0) st.byParent.delete(e.parentKey);
  }

  /** The keys of the known children of kind `child` of the object `parentKey`. */
  private childKeys(child: AnyKind, parentKey: string): string[] {
    return [...(this.state(child).byParent?.get(parentKey) ?? [])];
  }

  /** Forgets an object and the objects that belong to it, deleting their QMF objects. */
  remove(row: AnyKind, key: string): void {
    const st = this.state(row);
    const e = st.entries.get(key);
    if (!e) return;
    st.entries.delete(key);
    this.unlinkChild(st, e);
    if (st.byChildRef && row.childRef) {
      const ref = row.childRef(e.handle);
      if (st.byChildRef.get(ref) === key) st.byChildRef.delete(ref);
    }
    for (const child of st.children) {
      for (const k of this.childKeys(child, key)) this.remove(child, k);
    }
    if (this.stopped) return;
    for (const className of row.classes) {
      this.opts.session.deleteObject(className, objectName(className, key));
    }
  }

  /** Reads the children of one parent (every child kind), in the order of `st.children`. */
  private readChildren(st: KindState, h: unknown, r: unknown): Promise<ChildRead[][]> {
    const c = this.client;
    return Promise.all(
      st.children.map(async (child) => {
        const handles = await (child.parent as NonNullable<AnyKind["parent"]>).list(c, h, r);
        const limit = child.concurrency?.(this.limit) ?? this.limit;
        const cst = this.state(child);
        const read = await mapLimit(handles, limit, async (ch): Promise<ChildRead | null> => {
          try {
            const at = this.readContext(cst, child.key(ch), undefined);
            return { h: ch, r: await child.read(c, ch, at) };
          } catch (e) {
            if (child.isGone(e)) return null; // gone between the listing and the read
            throw e;
          }
        });
        return read.filter((x): x is ChildRead => x !== null);
      }),
    );
  }

  /** Publishes the children read with a parent; deletes its children libvirt no longer lists. */
  private applyChildren(st: KindState, parentKey: string, reads: ChildRead[][]): void {
    st.children.forEach((child, i) => {
      const cst = this.state(child);
      const keep = new Set<string>();
      for (const x of reads[i] ?? []) {
        keep.add(child.key(x.h));
        this.publish(child, cst, x.h, x.r, parentKey);
      }
      for (const key of this.childKeys(child, parentKey)) {
        if (!keep.has(key)) this.remove(child, key);
      }
    });
  }

  /**
   * Reads one object again (looked up by key, then read with its children) and publishes it,
   * or deletes it if libvirt no longer has it. Requests for the same object are serialised
   * and folded; a resync that began earlier leaves the object alone. Skipped while libvirt is
   * away; failures are logged, not thrown. A kind read only through its parent (a snapshot)
   * has its parent read again, with all its children.
   */
  refresh(row: AnyKind, key: string): Promise<void> {
    if (!row.lookup && row.parent) {
      const parentKey = this.state(row).entries.get(key)?.parentKey;
      return parentKey === undefined ? Promise.resolve() : this.refresh(row.parent.row, parentKey);
    }
    const lane = `${row.name}:${key}`;
    this.touched.add(lane);
    return this.lanes.run(lane, async () => {
      if (this.stopped || !this.opts.libvirt.connected || !row.lookup) return;
      this.touched.add(lane);
      const st = this.state(row);
      try {
        const c = this.client;
        const h = await row.lookup(c, key);
        const r = await row.read(c, h, this.readContext(st, row.key(h), undefined));
        const children = st.children.length > 0 ? await this.readChildren(st, h, r) : undefined;
        this.publish(row, st, h, r);
        if (children) this.applyChildren(st, key, children);
      } catch (e) {
        if (row.isGone(e)) this.remove(row, key);
        else if (!isConnectionLost(e)) this.log.warn(`${row.name} refresh failed`, { key, err: e });
      }
    });
  }

  /**
   * Reads an object a method found (say, a volume a lookup returned) and publishes it; when
   * its parent is not known yet, reads the parent (with its children) instead. Failures are
   * thrown; an object gone meanwhile is forgotten.
   */
  async readFound<H>(row: KindRow<H, unknown, unknown, unknown>, h: H): Promise<void> {
    const c = this.client;
    const parent = row.parent;
    const parentKey = this.parentKey(row, h);
    if (parent && parentKey === undefined) {
      const p = await parent.lookup(c, h);
      await this.refresh(parent.row, parent.row.key(p));
      return;
    }
    const any = row as AnyKind;
    const st = this.state(any);
    try {
      const r = await row.read(c, h, this.readContext(st, row.key(h), undefined));
      this.publish(any, st, h, r, parentKey);
    } catch (e) {
      if (row.isGone(e)) this.remove(any, row.key(h));
      else throw e;
    }
  }

  /** A libvirt event: raise its QMF event (if the row says one), then read the object again. */
  onEvent(row: AnyKind, ev: EventRow<unknown>, payload: unknown): void {
    if (this.stopped) return;
    const key = row.key(ev.target(payload as never));
    const raised = ev.raise?.(payload as never, this.sink.ref(objectName(row.classes[0], key)));
    this.log.debug(`${row.name} event`, { key, event: ev.event, raised: raised?.values });
    if (raised) this.raise(raised.name, raised.values);
    void this.refresh(row, key);
  }

  // ---- events while the broker is away ----------------------------------------------------

  /**
   * Raises a QMF event. One that cannot be sent because the broker link is down is held
   * (oldest first, at most {@link MAX_HELD_EVENTS}) and raised once the agent is back on the
   * broker ({@link raiseHeldEvents}): the objects are republished then anyway, and the events
   * say what happened meanwhile. Its `_timestamp` is then the time it was sent.
   */
  private raise(eventName: string, values: Values): void {
    this.opts.session.raiseEvent(eventName, values).catch((err) => {
      if (!isBrokerLost(err)) {
        this.log.warn(`could not raise ${eventName}`, { err });
      } else if (this.heldEvents.length < MAX_HELD_EVENTS) {
        this.heldEvents.push({ eventName, values });
      } else {
        this.droppedEvents++;
        this.opts.observer?.count?.("qmf_events_lost", 1);
      }
    });
  }

  /** Raises the events held while the broker was unreachable (the agent calls it on reconnect). */
  raiseHeldEvents(): void {
    if (this.droppedEvents > 0) {
      this.log.warn("events lost while the broker was unreachable (more than the held limit)", {
        dropped: this.droppedEvents,
        limit: MAX_HELD_EVENTS,
      });
      this.droppedEvents = 0;
    }
    const held = this.heldEvents.splice(0);
    for (const e of held) if (!this.stopped) this.raise(e.eventName, e.values);
  }

  // ---- full resync ------------------------------------------------------------------------

  private get limit(): number {
    return this.opts.concurrency ?? 32;
  }

  /**
   * Reads everything from libvirt and makes the objects match: every kind listed at once (with
   * what it reads in bulk), each object read and published as soon as it is read, children with
   * their parent. If any read fails nothing is deleted. Concurrent calls share one run.
   */
  resync(): Promise<void> {
    if (!this.resyncing) {
      this.resyncing = this.doResync().finally(() => {
        this.resyncing = null;
      });
    }
    return this.resyncing;
  }

  private async doResync(): Promise<void> {
    if (this.stopped) return;
    const t0 = performance.now();
    this.touched.clear();
    const c = this.client;
    const seen = new Map<AnyKind, Set<string>>();
    const ms = () => Math.round(performance.now() - t0);
    /** Reads every listed object of a row and publishes each as soon as it is read. */
    const readAll = async (row: AnyKind, handles: unknown[], bulk: unknown) => {
      const st = this.state(row);
      const keys = seen.get(row) as Set<string>;
      await mapLimit(handles, row.concurrency?.(this.limit) ?? this.limit, async (h) => {
        try {
          const key = row.key(h);
          const r = await row.read(c, h, this.readContext(st, key, bulk));
          const children = st.children.length > 0 ? await this.readChildren(st, h, r) : undefined;
          keys.add(key);
          if (this.isTouched(row, key) || this.stopped) return;
          this.publish(row, st, h, r);
          if (children) this.applyChildren(st, key, children);
        } catch (e) {
          if (!row.isGone(e)) throw e; // else gone between the listing and the read
        }
      });
      this.log.debug(`${row.name}s read and published`, { ms: ms() });
    };
    // Every kind listed at the same time: the daemon is the limit, not us. Each object is
    // published as soon as it is read (turning 10,000 answers into objects overlaps the wait
    // for the daemon instead of following it), except what an event changed since the resync
    // began. Rows that can publish new objects from their listing do so at once, and are read
    // after the others: the daemon answers in order, so every object is at the consoles
    // before the 10,000 domains' own reads complete them.
    const later: { row: AnyKind; handles: unknown[]; bulk: unknown }[] = [];
    await Promise.all(
      this.rows.map(async (row) => {
        if (!row.list) return;
        seen.set(row, new Set());
        const { handles, bulk } = await row.list(c, this.host);
        this.log.debug(`${row.name}s listed`, { count: handles.length, ms: ms() });
        if (row.publishListed) {
          const shown = await this.publishListed(row, handles, bulk);
          this.log.debug(`${row.name}s published from the listing`, { count: shown, ms: ms() });
          later.push({ row, handles, bulk });
          return;
        }
        await readAll(row, handles, bulk);
      }),
    );
    await Promise.all(later.map((x) => readAll(x.row, x.handles, x.bulk)));
    if (this.stopped) return;

    // Every read succeeded: delete what libvirt no longer has (unless an event saw it since).
    for (const [row, keys] of seen) {
      for (const key of [...this.state(row).entries.keys()]) {
        if (!keys.has(key) && !this.isTouched(row, key)) this.remove(row, key);
      }
    }
    this.status.lastSyncNs = nowNs();
    this.publishHostStatus();
    const counts: Record<string, number> = {};
    for (const row of this.rows) counts[`${row.name}s`] = this.count(row);
    this.log.info("resync done", { ...counts, ms: Math.round(performance.now() - t0) });
  }

  // ---- statistics -----------------------------------------------------------------------

  /**
   * One stats sweep: one bulk read per kind that has one. A sweep still running when the next
   * is due is not doubled. Returns null when libvirt is not connected.
   */
  sweep(): Promise<SweepResult | null> {
    if (!this.sweeping) {
      const limitMs = this.opts.sweepTimeoutMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => {
          this.log.warn(
            "stats sweep: libvirt has not answered; the next sweep will not wait for it",
            { afterMs: limitMs },
          );
          resolve(null);
        }, limitMs);
      });
      this.sweeping = Promise.race([this.doSweep(), late]).finally(() => {
        clearTimeout(timer);
        this.sweeping = null;
      });
    }
    return this.sweeping;
  }

  private async doSweep(): Promise<SweepResult | null> {
    if (this.stopped || !this.opts.libvirt.connected) return null;
    const t0 = performance.now();
    const gen = ++this.sweepsStarted;
    const c = this.client;
    const rows = this.rows.filter((r) => r.sweep);
    const records = await Promise.all(rows.map((r) => r.sweep?.read(c, this.host) ?? []));
    // A sweep that answered after a newer one was applied brings older values: drop it.
    if (gen < this.sweepApplied) return null;
    this.sweepApplied = gen;
    const now = nowNs();
    let total = 0;
    let changed = 0;
    let stale = 0;
    rows.forEach((row, i) => {
      const spec = row.sweep;
      const recs = records[i];
      if (!spec || !recs) return;
      const st = this.state(row);
      const reported = spec.domainRecords !== false;
      let known = 0;
      for (const rec of recs) {
        const key = spec.key(rec);
        const e = st.entries.get(key);
        if (!e) {
          // An object no event told us about (yet): read it whole.
          void this.refresh(row, key);
          continue;
        }
        known++;
        const bits = spec.apply(this.sink, e, rec, now, this.settings);
        if (!reported) continue;
        if (bits & SWEPT_CHANGED) changed++;
        if (bits & SWEPT_STALE) stale++;
      }
      if (reported) total += recs.length;
      if (known !== st.entries.size) {
        // Some object we publish was not in the record set: gone? its refresh will tell.
        // (Rare: the records are decoded a second time to collect their keys.)
        const inRecords = new Set(Array.from(recs, (r) => spec.key(r)));
        for (const key of st.entries.keys()) if (!inRecords.has(key)) void this.refresh(row, key);
      }
    });
    const ms = performance.now() - t0;
    this.log.debug("stats sweep", { domains: total, changed, stale, ms: Math.round(ms) });
    const result = { domains: total, changed, stale, ms };
    this.opts.observer?.sweep?.(result);
    return result;
  }

  /** Number of objects whose read is running or queued. */
  get busy(): number {
    return this.lanes.size;
  }
}

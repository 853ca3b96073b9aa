// Watching the fleet: the object changes and schema events of chosen classes and agents, as
// an async iterator with a bounded buffer, ending when the loop breaks or the fleet closes.
import { classByName } from "./classes.js";
import { WatchOverflowError } from "./errors.js";
import type { SchemaEvent } from "./events.js";
import type { Fleet } from "./fleet.js";
import type { ManagedObject } from "./managed-object.js";

/** A change seen on the fleet, as {@link Fleet.watch} yields it. */
export type FleetChange =
  | { kind: "changed"; object: ManagedObject<object> }
  | { kind: "deleted"; object: ManagedObject<object> }
  | ({ kind: "event" } & SchemaEvent)
  /**
   * The fleet lost the broker and is back (on `node`), with `agents` agents answering again.
   * Changes made while it was away were not seen: re-read what matters.
   */
  | { kind: "reconnected"; node: string; agents: number };

/** Options of {@link Fleet.watch}. */
export interface WatchOptions {
  /** Only changes of objects of this class or these classes (schema names); default every class. */
  class?: string | readonly string[];
  /** Only changes and events of these agents (agent names); default every agent. */
  agents?: readonly string[];
  /** Whether schema events (DomainLifecycle, …) are yielded too (default true). */
  events?: boolean;
  /**
   * How many changes are held for a loop that has not read them yet (default
   * {@link DEFAULT_MAX_BUFFERED}). One more ends the watch with WatchOverflowError once the
   * held ones are read: a watcher that fell behind learns that it missed changes.
   */
  maxBuffered?: number;
}

/** The default of {@link WatchOptions.maxBuffered}. */
export const DEFAULT_MAX_BUFFERED = 10_000;

/** Which changes a watch wants. */
export interface ChangeFilter {
  classes?: ReadonlySet<string>;
  agents?: ReadonlySet<string>;
  events: boolean;
}

/** The filter of watch options; an unknown class name throws NotFoundError. */
export function changeFilterOf(opts: WatchOptions): ChangeFilter {
  const names = opts.class === undefined ? [] : [opts.class].flat();
  return {
    ...(names.length ? { classes: new Set(names.map((n) => classByName(n).meta.name)) } : {}),
    ...(opts.agents ? { agents: new Set(opts.agents) } : {}),
    events: opts.events !== false,
  };
}

/** Hands the fleet's changes that pass `filter` to `sink`; returns the function that stops it. */
export function followChanges(
  fleet: Fleet,
  filter: ChangeFilter,
  sink: (c: FleetChange) => void,
): () => void {
  const { classes, agents } = filter;
  const onObject = (kind: "changed" | "deleted") => (object: ManagedObject<object>) => {
    if (agents && !agents.has(object.agentName)) return;
    if (classes && !classes.has(object.className)) return;
    sink({ kind, object });
  };
  const changed = onObject("changed");
  const deleted = onObject("deleted");
  const event = (e: SchemaEvent): void => {
    if (agents && !agents.has(e.agentName)) return;
    sink({ kind: "event", ...e });
  };
  const reconnected = (info: { node: string; agents: number }): void =>
    sink({ kind: "reconnected", ...info });
  fleet.on("objectChanged", changed);
  fleet.on("objectDeleted", deleted);
  fleet.on("brokerReconnected", reconnected);
  if (filter.events) fleet.on("schemaEvent", event);
  return () => {
    fleet.off("objectChanged", changed);
    fleet.off("objectDeleted", deleted);
    fleet.off("brokerReconnected", reconnected);
    fleet.off("schemaEvent", event);
  };
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

type Reader = (r: IteratorResult<FleetChange>) => void;

/**
 * A running watch, from {@link Fleet.watch}: `for await (const change of watch)`. It sees the
 * changes from its creation on. The loop ends when it breaks, when {@link FleetWatch.close} is
 * called (changes not yet read are dropped), or when the fleet closes (after the changes
 * already held are read).
 */
export class FleetWatch implements AsyncIterableIterator<FleetChange> {
  private readonly held: FleetChange[] = [];
  private readonly readers: Reader[] = [];
  private state: "open" | "ending" | "closed" = "open";
  private failure: Error | undefined;

  /** @internal `stop` unsubscribes it from the fleet. */
  constructor(
    private readonly stop: () => void,
    private readonly maxBuffered: number,
  ) {
    if (!(maxBuffered >= 1))
      throw new RangeError(`maxBuffered must be at least 1, not ${maxBuffered}`);
  }

  /** Changes held, not yet read. */
  get buffered(): number {
    return this.held.length;
  }

  /** @internal Hands a change to the loop, or holds it. */
  push(change: FleetChange): void {
    if (this.state !== "open") return;
    const reader = this.readers.shift();
    if (reader) reader({ value: change, done: false });
    else if (this.held.length < this.maxBuffered) this.held.push(change);
    else this.overflow();
  }

  private overflow(): void {
    this.failure = new WatchOverflowError(
      `the watch fell more than ${this.maxBuffered} changes behind and ended: later changes were not seen`,
    );
    this.finish();
  }

  /** @internal The fleet closed: the loop ends once the held changes are read. */
  end(): void {
    if (this.state === "open") this.finish();
  }

  next(): Promise<IteratorResult<FleetChange>> {
    const change = this.held.shift();
    if (change) return Promise.resolve({ value: change, done: false });
    if (this.state === "open") {
      return new Promise((resolve) => this.readers.push(resolve));
    }
    this.state = "closed";
    const failure = this.failure;
    this.failure = undefined;
    return failure ? Promise.reject(failure) : Promise.resolve(DONE);
  }

  /** Called by `for await` when the loop is left early: stops the watch. */
  return(): Promise<IteratorResult<FleetChange>> {
    this.close();
    return Promise.resolve(DONE);
  }

  /** Stops watching: changes not yet read are dropped, and a waiting loop ends. */
  close(): void {
    if (this.state === "open") this.stop();
    this.state = "closed";
    this.held.length = 0;
    this.failure = undefined;
    for (const r of this.readers.splice(0)) r(DONE);
  }

  [Symbol.asyncIterator](): FleetWatch {
    return this;
  }

  /** Stops taking changes; a waiting loop (there is one only when nothing is held) ends. */
  private finish(): void {
    this.state = "ending";
    this.stop();
    for (const r of this.readers.splice(0)) r(DONE);
  }
}

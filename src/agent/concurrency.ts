// Bounded parallelism for libvirt calls. The daemon serves a few calls per client at a time
// (max_client_requests = 5) and gains flatten beyond ~16 in flight (LIBVIRT-RPC.md §7), so
// inventories of thousands of objects go out a few dozen at a time instead of all at once.

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Serialises work per key and folds requests that arrive while one is waiting: at most one
 * run in progress and one queued per key. Lifecycle events often come in bursts (define,
 * start, resume); each burst needs one fresh read after the last event, not one per event.
 */
export class KeyedLanes {
  private readonly lanes = new Map<string, { running?: Promise<void>; queued?: Promise<void> }>();

  /** Runs `work` after the current run for `key` (or joins the one already queued). */
  run(key: string, work: () => Promise<void>): Promise<void> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = {};
      this.lanes.set(key, lane);
    }
    if (lane.queued) return lane.queued;
    const l = lane;
    const before = (l.running ?? Promise.resolve()).catch(() => {});
    const p: Promise<void> = before.then(async () => {
      l.queued = undefined;
      l.running = p;
      try {
        await work();
      } finally {
        if (l.running === p) l.running = undefined;
        if (!l.running && !l.queued) this.lanes.delete(key);
      }
    });
    l.queued = p;
    return p;
  }

  /** Keys with work running or queued. */
  get size(): number {
    return this.lanes.size;
  }
}

/**
 * At most `limit` jobs at a time, each named for messages; one more is refused (not queued),
 * so a caller learns at once that the agent is busy instead of waiting behind hours of work.
 */
export class JobSlots {
  private readonly jobs = new Map<number, string>();
  private next = 0;

  constructor(readonly limit: number) {}

  /** Takes a slot for the job `name`; returns its release, or undefined when all are taken. */
  take(name: string): (() => void) | undefined {
    if (this.jobs.size >= this.limit) return undefined;
    const id = this.next++;
    this.jobs.set(id, name);
    return () => {
      this.jobs.delete(id);
    };
  }

  /** The names of the jobs running, oldest first. */
  running(): string[] {
    return [...this.jobs.values()];
  }
}

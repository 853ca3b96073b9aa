/**
 * The at-most-once table: the first execution of a request id records its response; a
 * duplicate (broker redelivery, or a console retrying with the same correlation id) is
 * answered from that record instead of running the method again. Bounded in size and age,
 * oldest first out (a Map iterates in insertion order).
 */
export interface RecordedResponse {
  opcode: string;
  /** `qmf.content` header, if any. */
  content: string | undefined;
  body: Buffer;
}

interface Entry {
  /** When the execution started, then when it finished. */
  at: number;
  response: RecordedResponse | null; // null while the first execution runs
  /** Duplicates that arrived while the first execution ran; answered when it ends. */
  waiting: number;
}

export class DedupeTable {
  private readonly entries = new Map<string, Entry>();
  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * `"new"`: first sighting, now recorded as running. `"running"`: a duplicate of a request
   * still executing (it will get the response when {@link finish} is called). Otherwise the
   * recorded response of the first execution.
   */
  begin(key: string, now: number): "new" | "running" | RecordedResponse {
    this.expire(now);
    const e = this.entries.get(key);
    if (e) {
      if (e.response) return e.response;
      e.waiting++;
      return "running";
    }
    this.entries.set(key, { at: now, response: null, waiting: 0 });
    this.evictOverflow();
    return "new";
  }

  /**
   * Records the response (its age counts from now); returns how many duplicates are waiting
   * for it.
   */
  finish(key: string, response: RecordedResponse, now: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    // Re-inserted, so that the table stays ordered by age.
    this.entries.delete(key);
    this.entries.set(key, e);
    e.at = now;
    e.response = response;
    const waiting = e.waiting;
    e.waiting = 0;
    return waiting;
  }

  /** Oldest first; an execution still running is never forgotten (its id would run again). */
  private evictOverflow(): void {
    let budget = this.entries.size;
    while (this.entries.size > this.maxEntries && budget-- > 0) {
      const [oldest, e] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      if (!e.response) this.entries.set(oldest, e);
    }
  }

  private expire(now: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.at <= this.ttlMs) break;
      this.entries.delete(k);
      if (!e.response) {
        e.at = now;
        this.entries.set(k, e);
      }
    }
  }
}

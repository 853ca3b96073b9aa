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
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return "new";
  }

  /** Records the response; returns how many duplicates are waiting for it. */
  finish(key: string, response: RecordedResponse): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    e.response = response;
    const waiting = e.waiting;
    e.waiting = 0;
    return waiting;
  }

  private expire(now: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.at <= this.ttlMs) break;
      this.entries.delete(k);
    }
  }
}

/**
 * The at-most-once table: the first execution of a request id records its response; a
 * duplicate (broker redelivery, or a console retrying with the same correlation id) is
 * answered from that record instead of running the method again. Bounded in entries, age
 * and bytes, oldest first out (a Map iterates in insertion order). Under byte pressure an old
 * response body is dropped but its id kept ("forgotten"): a duplicate then gets an error,
 * never a second execution.
 */
export interface RecordedResponse {
  opcode: string;
  /** `qmf.content` header, if any. */
  content: string | undefined;
  body: Buffer;
}

/** The id ran, but its response was dropped to bound memory. */
export const FORGOTTEN = "forgotten";

interface Entry {
  /** When the execution started, then when it finished. */
  at: number;
  /** null while the first execution runs. */
  response: RecordedResponse | typeof FORGOTTEN | null;
  /** Duplicates that arrived while the first execution ran; answered when it ends. */
  waiting: number;
}

export class DedupeTable {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** Bytes of response bodies held. */
  get heldBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * `"new"`: first sighting, now recorded as running. `"running"`: a duplicate of a request
   * still executing (it will get the response when {@link finish} is called). Otherwise the
   * recorded response of the first execution.
   */
  begin(key: string, now: number): "new" | "running" | typeof FORGOTTEN | RecordedResponse {
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
    this.bytes += response.body.length;
    const waiting = e.waiting;
    e.waiting = 0;
    if (this.bytes > this.maxBytes) this.forgetBodies();
    return waiting;
  }

  /** Drops the oldest response bodies (keeping their ids) until under the byte limit. */
  private forgetBodies(): void {
    for (const e of this.entries.values()) {
      if (this.bytes <= this.maxBytes) return;
      if (e.response === null || e.response === FORGOTTEN) continue;
      this.bytes -= e.response.body.length;
      e.response = FORGOTTEN;
    }
  }

  private drop(k: string, e: Entry): void {
    this.entries.delete(k);
    if (e.response !== null && e.response !== FORGOTTEN) this.bytes -= e.response.body.length;
  }

  /** Oldest first; an execution still running is never forgotten (its id would run again). */
  private evictOverflow(): void {
    let budget = this.entries.size;
    while (this.entries.size > this.maxEntries && budget-- > 0) {
      const [oldest, e] = this.entries.entries().next().value as [string, Entry];
      this.drop(oldest, e);
      if (!e.response) this.entries.set(oldest, e);
    }
  }

  private expire(now: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.at <= this.ttlMs) break;
      this.drop(k, e);
      if (!e.response) {
        e.at = now;
        this.entries.set(k, e);
      }
    }
  }
}

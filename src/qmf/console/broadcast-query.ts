// The answers to one query sent to every agent at once (a `_query_request` on the topic
// exchange, which every agent's `console.#` binding takes). Each agent answers it as it
// answers a query sent to it alone: batches to the console's reply address under the query's
// correlation id, the last one not `partial`. The answers are kept by agent until the asker
// reads them; each agent's ends exactly once — complete, failed, or ended with the query.
import type { QmfValue } from "../codec/index.js";

interface Waiter {
  resolve(items: QmfValue[]): void;
  reject(err: Error): void;
}

/** One agent's part: its batches so far, and who waits for the whole. */
interface AgentPart {
  items: QmfValue[];
  /** Its last batch came. */
  complete: boolean;
  /** Its answer failed (an `_exception`, a body that cannot be read, the agent lost). */
  error: Error | undefined;
  waiters: Waiter[];
}

/** The answers of every agent to one broadcast query, by agent name. */
export class BroadcastAnswers {
  private readonly parts = new Map<string, AgentPart>();
  /** Why the query is over for every agent that has not answered (undefined: still open). */
  private endedWith: ((agentName: string) => Error) | undefined;

  /** `id`: the query's correlation id. */
  constructor(readonly id: string) {}

  /** Is the query over (answers no longer taken)? */
  get ended(): boolean {
    return this.endedWith !== undefined;
  }

  /** Adds a batch of `agentName`'s answer; `last` completes it. Ignored once it has ended. */
  add(agentName: string, items: readonly QmfValue[], last: boolean): void {
    if (this.endedWith) return;
    const p = this.part(agentName);
    if (p.complete || p.error) return;
    for (const item of items) p.items.push(item);
    if (!last) return;
    p.complete = true;
    for (const w of p.waiters.splice(0)) w.resolve(p.items);
  }

  /** `agentName`'s answer failed with `err` (unless it has already ended). */
  fail(agentName: string, err: Error): void {
    const p = this.parts.get(agentName) ?? (this.endedWith ? undefined : this.part(agentName));
    if (!p || p.complete || p.error) return;
    p.error = err;
    for (const w of p.waiters.splice(0)) w.reject(err);
  }

  /** Fails the answer of every agent that `match` selects and has not answered. */
  failWhere(match: (agentName: string) => boolean, err: Error): void {
    for (const name of this.parts.keys()) if (match(name)) this.fail(name, err);
  }

  /**
   * Ends the query: an agent whose answer is not complete fails with `why(agentName)` (now for
   * those waited for, and when asked later), and later answers are ignored.
   */
  end(why: (agentName: string) => Error): void {
    if (this.endedWith) return;
    this.endedWith = why;
    for (const [name, p] of this.parts) if (!p.complete && !p.error) this.fail(name, why(name));
  }

  /** `agentName`'s whole answer: every item of its batches, once the last has come. */
  answerOf(agentName: string): Promise<QmfValue[]> {
    const p = this.parts.get(agentName);
    if (p?.complete) return Promise.resolve(p.items);
    if (p?.error) return Promise.reject(p.error);
    if (this.endedWith) return Promise.reject(this.endedWith(agentName));
    const part = p ?? this.part(agentName);
    return new Promise((resolve, reject) => part.waiters.push({ resolve, reject }));
  }

  private part(agentName: string): AgentPart {
    let p = this.parts.get(agentName);
    if (!p) {
      p = { items: [], complete: false, error: undefined, waiters: [] };
      this.parts.set(agentName, p);
    }
    return p;
  }
}

import type { Observer } from "../../observe/observer.js";
import type { Logger } from "./link.js";

/**
 * Counts dropped or refused messages by reason and logs each reason at most once per
 * `intervalMs`: a flood of garbage must not become a flood of log lines. Each one is also
 * reported to the observer as `qmf_messages_dropped`, labelled with its reason.
 */
export class DropCounter {
  readonly counts: Record<string, number> = {};
  private readonly lastLogged = new Map<string, number>();
  constructor(
    private readonly log: Logger | undefined,
    private readonly prefix: string,
    private readonly observer?: Observer,
    private readonly intervalMs = 10_000,
  ) {}

  /** Counts one occurrence of `reason`; logs `detail` if this reason was quiet long enough. */
  note(reason: string, detail: string): void {
    const n = (this.counts[reason] ?? 0) + 1;
    this.counts[reason] = n;
    this.observer?.count?.("qmf_messages_dropped", 1, { reason });
    if (!this.log) return;
    const now = Date.now();
    const last = this.lastLogged.get(reason);
    if (last !== undefined && now - last < this.intervalMs) return;
    this.lastLogged.set(reason, now);
    this.log.warn(`${this.prefix} ${reason} (${n} so far): ${detail}`);
  }
}

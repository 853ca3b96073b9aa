// One reconnect backoff for every link that re-opens itself (the broker link, the libvirt
// connection): exponential, capped, with jitter so that a fleet that lost the same peer at
// the same moment does not come back to it in lock step.

/** Reconnect backoff: `initialDelayMs × factor^n`, capped at `maxDelayMs`, ±`jitter`. */
export interface BackoffOptions {
  /** First delay (ms). */
  initialDelayMs?: number;
  /** Largest delay (ms). */
  maxDelayMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Share of the delay added or taken away at random (default 0.2 = ±20 %). */
  jitter?: number;
}

/** The delays of one series of attempts; `reset()` starts a new series. */
export class Backoff {
  private readonly initial: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly jitter: number;
  private next: number;

  constructor(opts: BackoffOptions = {}, defaults: { initialDelayMs: number; maxDelayMs: number }) {
    this.initial = opts.initialDelayMs ?? defaults.initialDelayMs;
    this.max = opts.maxDelayMs ?? defaults.maxDelayMs;
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 0.2;
    this.next = this.initial;
  }

  /** The delay before the next attempt (ms, jittered); the one after grows. */
  delay(): number {
    const base = this.next;
    this.next = Math.min(this.max, this.next * this.factor);
    return Math.max(0, Math.round(base * (1 - this.jitter + Math.random() * 2 * this.jitter)));
  }

  /** The peer answered: the next series starts from the first delay again. */
  reset(): void {
    this.next = this.initial;
  }
}

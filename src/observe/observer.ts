// One hook through which the sessions and the agent report what they count, so that metrics
// (Prometheus, the dashboard, the benchmarks) read one place instead of poking at the
// internals of each component. Every component takes an optional `observer` in its options
// and calls it synchronously; an observer must be cheap and must not throw.

/** Things counted, by the component that counts them. */
export type CounterName =
  /**
   * A QMF message dropped or refused (malformed body, wrong content type, unknown opcode, …);
   * labelled `reason`.
   */
  | "qmf_messages_dropped"
  /** A QMF method request whose handler an agent started (each request id once). */
  | "qmf_methods_executed"
  /** A duplicate method request answered from the dedupe table instead of executed. */
  | "qmf_methods_deduplicated"
  /** A QMF method request refused before it ran (unknown method or object, bad argument, forbidden). */
  | "qmf_methods_refused"
  /**
   * A console request that ended in an error (timeout, connection lost, agent gone, an answer
   * that cannot be read); an agent's `_exception` is an answer and is not counted.
   */
  | "qmf_requests_failed"
  /** A broker link was lost. */
  | "broker_disconnects"
  /** A broker link came back (after a loss). */
  | "broker_reconnects"
  /** A libvirt connection was lost. */
  | "libvirt_disconnects"
  /** A QMF event that could not be raised (broker away longer than the held-events limit). */
  | "qmf_events_lost";

/** Current values, set whenever they change. */
export type GaugeName =
  /** Console requests waiting for an answer. */
  | "qmf_requests_pending"
  /** Agents a console currently knows (not aged out). */
  | "qmf_agents_known"
  /** Objects an agent publishes. */
  | "qmf_objects_published";

/** One stats sweep of an agent. */
export interface SweepReport {
  domains: number;
  changed: number;
  stale: number;
  ms: number;
}

/** What a component reports. Every member is optional to implement. */
export interface Observer {
  count?(name: CounterName, n: number, labels?: Readonly<Record<string, string>>): void;
  gauge?(name: GaugeName, value: number): void;
  sweep?(report: SweepReport): void;
}

/** An observer that keeps totals in memory (tests, benchmarks, a metrics endpoint). */
export class CountingObserver implements Observer {
  readonly counters = new Map<CounterName, number>();
  readonly gauges = new Map<GaugeName, number>();
  lastSweep: SweepReport | undefined;
  sweeps = 0;

  count(name: CounterName, n: number): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }
  gauge(name: GaugeName, value: number): void {
    this.gauges.set(name, value);
  }
  sweep(report: SweepReport): void {
    this.lastSweep = report;
    this.sweeps++;
  }
  /** A counter's total (0 when never counted). */
  total(name: CounterName): number {
    return this.counters.get(name) ?? 0;
  }
}

// The recent history of each domain's CPU %, memory and I/O rates, as this web server saw it
// since it started: a bounded ring per domain, for the charts of the Domain page.
//
// Interim: the agent is to keep this ring itself and answer it over QMF (see the README), so a
// chart shows the last hour even when the web server has just started. Until then the web
// server keeps what it has seen.

/** The series of one sample, in this order. */
export const SERIES = ["cpu", "mem", "rd", "wr", "rx", "tx"] as const;

/** One sample: when (ms since the epoch) and one value per {@link SERIES} entry (NaN: none). */
export interface Sample {
  t: number;
  values: readonly number[];
}

/** A domain's history in columns, as uPlot takes it (`t` in seconds since the epoch). */
export interface HistoryColumns {
  t: number[];
  cpu: (number | null)[];
  mem: (number | null)[];
  rd: (number | null)[];
  wr: (number | null)[];
  rx: (number | null)[];
  tx: (number | null)[];
}

/**
 * A ring of samples in typed arrays: 8 bytes of time and 4 per value (24 bytes of values),
 * grown by doubling up to `capacity` so that quiet domains cost little.
 */
class Ring {
  private t: Float64Array;
  private v: Float32Array;
  private start = 0;
  size = 0;

  constructor(private readonly capacity: number) {
    const initial = Math.min(capacity, 8);
    this.t = new Float64Array(initial);
    this.v = new Float32Array(initial * SERIES.length);
  }

  push(s: Sample): void {
    if (this.size === this.t.length && this.size < this.capacity) this.grow();
    const n = SERIES.length;
    const at = (this.start + this.size) % this.t.length;
    this.t[at] = s.t;
    for (let i = 0; i < n; i++) this.v[at * n + i] = s.values[i] ?? Number.NaN;
    if (this.size < this.t.length) this.size++;
    else this.start = (this.start + 1) % this.t.length;
  }

  private grow(): void {
    const len = Math.min(this.capacity, this.t.length * 2);
    const t = new Float64Array(len);
    const v = new Float32Array(len * SERIES.length);
    const n = SERIES.length;
    for (let i = 0; i < this.size; i++) {
      const from = (this.start + i) % this.t.length;
      t[i] = this.t[from]!;
      v.set(this.v.subarray(from * n, from * n + n), i * n);
    }
    this.t = t;
    this.v = v;
    this.start = 0;
  }

  columns(sinceMs: number): HistoryColumns {
    const out: HistoryColumns = { t: [], cpu: [], mem: [], rd: [], wr: [], rx: [], tx: [] };
    const n = SERIES.length;
    for (let i = 0; i < this.size; i++) {
      const at = (this.start + i) % this.t.length;
      const t = this.t[at]!;
      if (t < sinceMs) continue;
      out.t.push(t / 1000);
      SERIES.forEach((name, k) => {
        const x = this.v[at * n + k]!;
        out[name].push(Number.isNaN(x) ? null : x);
      });
    }
    return out;
  }
}

/** The rings of every domain, keyed by domain id. */
export class DomainHistory {
  private readonly rings = new Map<string, Ring>();

  /** `capacity` samples per domain at most (360: one hour at the agent's 10 s sweep). */
  constructor(readonly capacity = 360) {}

  add(domainId: string, s: Sample): void {
    let r = this.rings.get(domainId);
    if (!r) {
      r = new Ring(this.capacity);
      this.rings.set(domainId, r);
    }
    r.push(s);
  }

  /** The samples of a domain from `sinceMs` on (all when 0); empty columns when none. */
  columns(domainId: string, sinceMs = 0): HistoryColumns {
    return (
      this.rings.get(domainId)?.columns(sinceMs) ?? {
        t: [],
        cpu: [],
        mem: [],
        rd: [],
        wr: [],
        rx: [],
        tx: [],
      }
    );
  }

  forget(domainId: string): void {
    this.rings.delete(domainId);
  }
}

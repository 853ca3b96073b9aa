// A strict reader of Prometheus' text format (version 0.0.4), for the tests: every sample
// line must parse, and follow the HELP and TYPE lines of its metric family.

/** The samples of a scrape. */
export interface Scrape {
  types: Map<string, string>;
  samples: { name: string; labels: Record<string, string>; value: number }[];
  /** The value of the one sample of `name` with exactly `labels`; undefined when none. */
  value(name: string, labels: Record<string, string>): number | undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels: {${text}}`);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return out;
}

/** Parses a scrape; throws on any line that is not valid text format. */
export function parseMetrics(text: string): Scrape {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Scrape["samples"] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      helped.add(line.split(" ")[2]!);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type!)) {
        throw new Error(`bad TYPE line: ${line}`);
      }
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const name = m[1]!;
    if (!types.has(name) || !helped.has(name))
      throw new Error(`sample before its HELP/TYPE: ${line}`);
    const value = Number(m[3]);
    if (Number.isNaN(value) && m[3] !== "NaN") throw new Error(`bad value: ${line}`);
    samples.push({ name, labels: m[2] ? parseLabels(m[2]) : {}, value });
  }
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([k, v]) => b[k] === v);
  return {
    types,
    samples,
    value(name, labels) {
      const found = samples.filter((s) => s.name === name && same(s.labels, labels));
      if (found.length > 1)
        throw new Error(`${name} ${JSON.stringify(labels)} appears ${found.length} times`);
      return found[0]?.value;
    },
  };
}

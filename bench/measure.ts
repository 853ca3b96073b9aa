// What every benchmark measures and prints with: a process's CPU time and resident set from
// /proc, the machine's load, medians and ranges of repeated runs, progress lines on stderr.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

/** A progress line on stderr (stdout carries the results). */
export const say = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

const CLK_TCK = 100; // Linux USER_HZ

/** CPU time (user + system) a process has used, in ms. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11] = utime, fields[12] = stime (0-based after the command name)
  return ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1000;
}

/** The resident set of a process, MB (NaN once it is gone). */
export function procRssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The 1/5/15-minute load averages: how busy the machine was around the measurement. */
export const loadAverage = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

/** The median (of an even count, the mean of the middle two). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** `min-max (median m)`, each number written by `show` (default: rounded to an integer). */
export function range(xs: number[], show = (x: number) => String(Math.round(x))): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${show(s[0] as number)}-${show(s.at(-1) as number)} (median ${show(median(s))})`;
}

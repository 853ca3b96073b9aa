// Numbers for people: IEC bytes, rates, percentages, ages and clock times.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 → "1.5 KiB"; null → "–". */
export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${n < 0 ? "-" : ""}${v.toFixed(digits)} ${UNITS[u]}`;
}

/** Bytes per second. */
export function rate(n) {
  return n === null || n === undefined ? "–" : `${bytes(n)}/s`;
}

/** 12.345 → "12.3 %". */
export function pct(n, digits = 1) {
  return n === null || n === undefined || Number.isNaN(n) ? "–" : `${n.toFixed(digits)} %`;
}

/** 1234567 → "1,234,567". */
export function count(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
}

/** A duration in ms as "4 s", "3 min", "2 h 5 min", "3 d". */
export function ago(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return m % 60 ? `${hrs} h ${m % 60} min` : `${hrs} h`;
  return `${Math.floor(hrs / 24)} d`;
}

/** CPU seconds as "1 h 02 min" or "12.3 s". */
export function cpuSeconds(s) {
  if (s === null || s === undefined) return "–";
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** A clock time, HH:MM:SS (local). */
export function clock(t) {
  const d = new Date(t);
  return d.toLocaleTimeString("en-GB", { hour12: false });
}

/** A date and time for tooltips. */
export function dateTime(t) {
  return new Date(t).toLocaleString("en-GB", { hour12: false });
}

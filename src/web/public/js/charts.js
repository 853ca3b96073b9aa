// Time-series charts with uPlot (made for them: small, fast, canvas). One chart per quantity,
// sized to its card, with a legend that reads the value under the cursor.
import uPlot from "/vendor/uPlot.esm.js";
import { bytes, pct, rate } from "./format.js";

const COLOURS = ["#2563eb", "#f59e0b", "#10b981", "#a855f7"];

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

const FORMATS = { pct: (v) => pct(v, 0), bytes, rate };
const LEGEND_FORMATS = { pct: (v) => pct(v, 1), bytes, rate };

/** Tick steps on byte axes: 1, 2, 4 … 512 of each binary unit, so ticks read 256 MiB, 1 GiB. */
const BYTE_INCRS = [];
for (let k = 0; k < 6; k++)
  for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) BYTE_INCRS.push(m * 1024 ** k);

/** The smallest byte step above `v` (a round top for the axis). */
function niceBytes(v) {
  return BYTE_INCRS.find((x) => x >= v) ?? v;
}

const two = (n) => String(n).padStart(2, "0");
function timeTick(t, withSeconds) {
  const d = new Date(t * 1000);
  return `${two(d.getHours())}:${two(d.getMinutes())}${withSeconds ? `:${two(d.getSeconds())}` : ""}`;
}

/**
 * A chart in `el`: `series` = [{ label }], `unit` = "pct" | "bytes" | "rate". `data` is
 * uPlot's columns: [times (s), values…].
 */
export class TimeChart {
  constructor(el, { series, unit, height = 180 }) {
    this.el = el;
    this.unit = unit;
    const fmt = FORMATS[unit];
    const grid = { stroke: css("--line"), width: 1 };
    const axis = {
      stroke: css("--muted"),
      grid,
      ticks: { stroke: css("--line"), width: 1 },
      font: "11px system-ui, sans-serif",
    };
    const opts = {
      width: Math.max(200, el.clientWidth - 12),
      height,
      padding: [10, 12, 0, 4],
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, min, max) => yRange(unit, min, max) } },
      axes: [
        {
          ...axis,
          space: 60,
          values: (_u, ticks) => {
            const span = ticks.length > 1 ? ticks[ticks.length - 1] - ticks[0] : 0;
            return ticks.map((t) => timeTick(t, span < 300));
          },
        },
        {
          ...axis,
          size: 72,
          ...(unit === "pct" ? {} : { incrs: BYTE_INCRS }),
          values: (_u, ticks) => ticks.map((v) => fmt(v)),
        },
      ],
      series: [
        {
          value: (_u, v) =>
            v === null ? "–" : new Date(v * 1000).toLocaleTimeString("en-GB", { hour12: false }),
        },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLOURS[i],
          width: 1.6,
          fill: series.length === 1 ? `${COLOURS[i]}1f` : undefined,
          spanGaps: false,
          points: { show: false },
          value: (_u, v) => (v === null || v === undefined ? "–" : LEGEND_FORMATS[unit](v)),
        })),
      ],
    };
    this.data = [[], ...series.map(() => [])];
    this.plot = new uPlot(opts, this.data, el);
    this.resizer = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth - 12);
      if (Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height });
    });
    this.resizer.observe(el);
  }

  /** Replaces the data. */
  set(data) {
    this.data = data;
    this.plot.setData(data);
  }

  /** Appends one sample (time in s), keeping at most `max` points. */
  push(t, values, max = 720) {
    const [ts, ...cols] = this.data;
    if (ts.length && t <= ts[ts.length - 1]) return;
    ts.push(t);
    for (let i = 0; i < cols.length; i++) cols[i].push(values[i] ?? null);
    if (ts.length > max) for (const c of this.data) c.splice(0, c.length - max);
    this.plot.setData(this.data);
  }

  get length() {
    return this.data[0].length;
  }

  destroy() {
    this.resizer.disconnect();
    this.plot.destroy();
  }
}

function yRange(unit, _min, max) {
  if (unit === "pct") {
    return [0, Math.min(100, Math.max(10, Math.ceil(((max ?? 0) * 1.15) / 10) * 10))];
  }
  return [0, niceBytes(max > 0 ? max * 1.1 : 1024)];
}

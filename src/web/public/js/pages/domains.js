// Domains across the fleet: a sortable, filterable table, live, searchable by name. Only the
// rows in view are in the page (vtable.js), so 10,000 domains stay fast.
import { badge, empty, h, meter, replace, setMeter, setText } from "../dom.js";
import { bytes, count, pct, rate } from "../format.js";
import { VirtualTable } from "../vtable.js";

const NAMES = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

const STATE_GROUPS = [
  ["all", "All"],
  ["running", "Running"],
  ["paused", "Paused"],
  ["shutoff", "Shut off"],
  ["other", "Other"],
];

function groupOf(state) {
  return state === "running" || state === "paused" || state === "shutoff" ? state : "other";
}

/** A cell showing two rates ("↓ read ↑ write"). */
function pairCell(cell, a, b, titleA, titleB) {
  if (!cell.a) {
    cell.a = h("span");
    cell.b = h("span", { class: "muted" });
    cell.append(cell.a, " · ", cell.b);
  }
  setText(cell.a, rate(a));
  setText(cell.b, rate(b));
  cell.title = `${titleA} ${rate(a)}, ${titleB} ${rate(b)}`;
}

export function mount(root, { navigate }) {
  root.className = "page fill";
  const url = new URL(location.href);
  const filter = {
    q: url.searchParams.get("q") ?? "",
    host: url.searchParams.get("host") ?? "",
    state: url.searchParams.get("state") ?? "all",
  };
  let live = null;
  const search = h("input", {
    class: "search",
    type: "search",
    placeholder: "Search by name",
    "aria-label": "Search domains by name",
    value: filter.q,
  });
  const hostSelect = h("select", { "aria-label": "Host" });
  const seg = h("div", { class: "seg", role: "group", "aria-label": "State" });
  const segButtons = new Map();
  for (const [key, label] of STATE_GROUPS) {
    const n = h("span", { class: "count" });
    const b = h(
      "button",
      {
        type: "button",
        "aria-pressed": String(filter.state === key),
        onclick: () => setFilter({ state: key }),
      },
      label,
      n,
    );
    b.countEl = n;
    segButtons.set(key, b);
    seg.append(b);
  }
  const summary = h("span", { class: "muted num", id: "domains-summary" });

  const unknown = (row) => live?.hosts.get(row.agent)?.status === "silent";
  const columns = [
    {
      key: "name",
      label: "Name",
      width: "minmax(180px, 2fr)",
      render: (c, r) => {
        setText(c, r.name);
        c.title = r.uuid;
      },
    },
    {
      key: "host",
      label: "Host",
      width: "minmax(110px, 1fr)",
      render: (c, r) => setText(c, r.host),
    },
    {
      key: "state",
      label: "State",
      width: "116px",
      render: (c, r) => {
        const s = unknown(r) ? "unknown" : r.state || "unknown";
        if (c.state !== s) {
          c.state = s;
          replace(c, badge(s));
        }
        c.title = unknown(r) ? `its host's agent is silent: last known state ${r.state}` : r.reason;
      },
    },
    {
      key: "vcpus",
      label: "vCPUs",
      width: "72px",
      align: "r",
      desc: true,
      render: (c, r) => setText(c, r.vcpus ?? "–"),
    },
    {
      key: "mem",
      label: "Memory",
      width: "100px",
      align: "r",
      desc: true,
      render: (c, r) => setText(c, bytes(r.mem)),
    },
    {
      key: "cpu",
      label: "CPU",
      width: "150px",
      desc: true,
      title: "CPU use in % of the domain's vCPUs",
      render: (c, r) => {
        if (!c.bar) {
          const m = meter(0, "");
          c.bar = m.querySelector("i");
          c.val = m.querySelector(".val");
          c.append(m);
        }
        setMeter(c.bar, r.cpu === null ? 0 : r.cpu / 100);
        setText(c.val, pct(r.cpu));
      },
    },
    {
      key: "disk",
      label: "Disk r · w",
      width: "minmax(150px, 1fr)",
      desc: true,
      render: (c, r) => pairCell(c, r.rd, r.wr, "read", "write"),
    },
    {
      key: "net",
      label: "Net rx · tx",
      width: "minmax(150px, 1fr)",
      desc: true,
      render: (c, r) => pairCell(c, r.rx, r.tx, "received", "sent"),
    },
  ];
  const SORT_VALUE = {
    name: (r) => r.name,
    host: (r) => r.host,
    state: (r) => r.state,
    vcpus: (r) => r.vcpus ?? -1,
    mem: (r) => r.mem ?? -1,
    cpu: (r) => r.cpu ?? -1,
    disk: (r) => (r.rd ?? 0) + (r.wr ?? 0),
    net: (r) => (r.rx ?? 0) + (r.tx ?? 0),
  };
  const table = new VirtualTable(columns, {
    rowKey: (r) => r.id,
    rowClass: (r) => (unknown(r) ? "unknown" : ""),
    onOpen: (r, e) => {
      const path = `/domain/${encodeURIComponent(r.id)}`;
      if (e.ctrlKey || e.metaKey) window.open(path, "_blank");
      else navigate(path);
    },
    onSort: () => recompute(),
    minWidth: 1040,
  });
  table.el.id = "domains-table";

  root.append(
    h("div", { class: "page-head" }, h("h1", {}, "Domains"), summary),
    h("div", { class: "toolbar" }, search, hostSelect, seg),
    table.el,
  );

  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => setFilter({ q: search.value }), 80);
  });
  hostSelect.addEventListener("change", () => setFilter({ host: hostSelect.value }));

  function setFilter(change) {
    Object.assign(filter, change);
    const u = new URL(location.href);
    for (const [k, v] of Object.entries(filter)) {
      if (v && !(k === "state" && v === "all")) u.searchParams.set(k, v);
      else u.searchParams.delete(k);
    }
    history.replaceState(null, "", u.pathname + u.search);
    for (const [k, b] of segButtons) b.setAttribute("aria-pressed", String(k === filter.state));
    recompute();
  }

  function renderHosts() {
    const hosts = [...live.hosts.values()];
    const want = ["", ...hosts.map((x) => x.agent)].join("\n");
    if (hostSelect.dataset.list === want) return;
    hostSelect.dataset.list = want;
    replace(
      hostSelect,
      h("option", { value: "" }, "All hosts"),
      ...hosts.map((x) =>
        h("option", { value: x.agent, selected: x.agent === filter.host }, x.host),
      ),
    );
  }

  let lastSort = 0;
  let firstPaint = false;
  function recompute() {
    if (!live) return;
    lastSort = performance.now();
    const q = filter.q.trim().toLowerCase();
    const counts = { all: 0, running: 0, paused: 0, shutoff: 0, other: 0 };
    const rows = [];
    for (const r of live.domains.values()) {
      if (filter.host && r.agent !== filter.host) continue;
      if (q && !r.name.toLowerCase().includes(q)) continue;
      const g = unknown(r) ? "other" : groupOf(r.state);
      counts.all++;
      counts[g]++;
      if (filter.state !== "all" && g !== filter.state) continue;
      rows.push(r);
    }
    const { key, dir } = table.sort;
    const v = SORT_VALUE[key];
    rows.sort((a, b) => {
      const x = v(a);
      const y = v(b);
      // Names sort as people read them: dom-2 before dom-10.
      const c = typeof x === "string" ? NAMES.compare(x, y) : x - y;
      return c !== 0 ? c * dir : NAMES.compare(a.name, b.name);
    });
    for (const [k, b] of segButtons) setText(b.countEl, count(counts[k]));
    setText(summary, `${count(rows.length)} of ${count(live.domains.size)} domains`);
    let emptyText;
    if (!live.domains.size) {
      emptyText = live.hosts.size
        ? empty(
            "No domains on the fleet",
            "Define one with ",
            h("code", {}, "lvq define dom.xml --host HOST"),
          )
        : empty(
            "No agents on the broker yet",
            "Start one on each libvirt host: ",
            h("code", {}, "lvq agent"),
          );
    } else emptyText = empty("No domain matches", "Change the search or the filters above.");
    table.setRows(rows, emptyText);
    if (!firstPaint && rows.length) {
      firstPaint = true;
      requestAnimationFrame(() => {
        performance.mark("lvq-rows-painted");
        window.__lvqRowsPainted = performance.now();
      });
    }
  }

  return {
    topics: { domains: true },
    render(l, what) {
      live = l;
      if (what.has("hosts") || what.has("snapshot")) renderHosts();
      const structural = what.has("snapshot") || what.has("removed") || what.has("hosts");
      const grew = live.domains.size !== table.rowsSeen;
      table.rowsSeen = live.domains.size;
      if (structural || grew) return recompute();
      if (!what.has("domains")) return;
      // Changed rows in view update at once; the order and the counts follow, at most a few
      // times a second with many rows (sorting 10,000 rows each frame would eat the CPU).
      table.refresh((r) => live.domains.get(r.id));
      const due = live.domains.size < 2000 || performance.now() - lastSort > 400;
      if (due) recompute();
      else if (!table.pendingSort) {
        table.pendingSort = setTimeout(() => {
          table.pendingSort = null;
          recompute();
        }, 400);
      }
    },
    destroy() {
      clearTimeout(table.pendingSort);
      table.destroy();
    },
  };
}

// One domain: its properties, live charts (CPU %, memory, disk and network rates), the
// actions (destructive ones ask first; a failure shows libvirt's message beside them), and
// its XML.
import { ApiError, get, idPath, post } from "../api.js";
import { TimeChart } from "../charts.js";
import { ask } from "../dialog.js";
import { badge, empty, h, replace, setText } from "../dom.js";
import { ago, bytes, cpuSeconds, pct, rate } from "../format.js";

/** The actions, in the order shown, with the states they apply to. */
const ACTIONS = [
  { id: "start", label: "Start", when: ["shutoff", "crashed"], primary: true },
  { id: "shutdown", label: "Shut down", when: ["running"] },
  { id: "reboot", label: "Reboot", when: ["running"] },
  { id: "suspend", label: "Suspend", when: ["running"] },
  { id: "resume", label: "Resume", when: ["paused", "pmsuspended"] },
  { id: "save", label: "Save…", when: ["running", "paused"] },
  { id: "restore", label: "Restore…", when: ["shutoff"] },
  { id: "migrate", label: "Migrate…", when: ["running", "paused"] },
  {
    id: "destroy",
    label: "Force off",
    when: ["running", "paused", "pmsuspended", "blocked", "crashed"],
    danger: true,
  },
  { id: "undefine", label: "Undefine…", when: ["shutoff", "crashed"], danger: true },
];

const CHARTS = [
  { key: "cpu", title: "CPU", unit: "pct", series: [["cpu", "CPU %"]], now: (r) => pct(r.cpu) },
  {
    key: "mem",
    title: "Memory",
    unit: "bytes",
    series: [["mem", "Memory"]],
    now: (r) => bytes(r.mem),
  },
  {
    key: "disk",
    title: "Disk",
    unit: "rate",
    series: [
      ["rd", "Read"],
      ["wr", "Write"],
    ],
    now: (r) => `${rate(r.rd)} · ${rate(r.wr)}`,
  },
  {
    key: "net",
    title: "Network",
    unit: "rate",
    series: [
      ["rx", "Received"],
      ["tx", "Sent"],
    ],
    now: (r) => `${rate(r.rx)} · ${rate(r.tx)}`,
  },
];

export function mount(root, { params, navigate }) {
  const id = params[0];
  let live = null;
  let row = null;
  let gone = false;
  const title = h("h1", {}, "…");
  const stateBadge = h("span");
  const hostLink = h("a", { "data-link": true });
  const actionsEl = h("div", { class: "btn-group", id: "actions" });
  const result = h("div", { class: "action-result", id: "action-result", "aria-live": "polite" });
  const props = h("dl", { class: "props", id: "props" });
  const chartsEl = h("div", { class: "charts" });
  const xmlPre = h("pre", { class: "xml", id: "xml" }, "Loading…");
  const xmlCard = h(
    "details",
    { class: "card" },
    h(
      "summary",
      { class: "card-head" },
      h("span", { class: "chev" }, "▸"),
      h("h2", {}, "XML"),
      h("span", { class: "spacer" }),
      h("span", { class: "muted" }, "libvirt's description of the domain"),
    ),
    xmlPre,
  );
  const body = h(
    "div",
    { class: "dom-body" },
    h(
      "div",
      { class: "dom-head" },
      title,
      stateBadge,
      h("span", { class: "muted" }, "on"),
      hostLink,
    ),
    h("div", { class: "actions-bar" }, actionsEl, result),
    h(
      "div",
      { class: "layout-2" },
      h(
        "div",
        { class: "card" },
        h("div", { class: "card-head" }, h("h2", {}, "Overview")),
        h("div", { class: "card-body" }, props),
      ),
      h(
        "div",
        { class: "chart-area" },
        chartsEl,
        h("p", { class: "chart-note", id: "history-note" }, ""),
      ),
    ),
    xmlCard,
  );
  body.style.display = "flex";
  body.style.flexDirection = "column";
  body.style.gap = "16px";
  root.append(
    h(
      "div",
      { class: "crumbs" },
      h("a", { href: "/domains", "data-link": true }, "Domains"),
      " / ",
      h("span", { id: "crumb-name" }, ""),
    ),
    body,
  );

  // ---- charts ----
  const charts = [];
  for (const c of CHARTS) {
    const plotEl = h("div", { class: "chart" });
    const nowEl = h("span", { class: "now" });
    const emptyEl = h(
      "div",
      { class: "chart-empty" },
      "Collecting samples: the first point shows after two statistics sweeps of the agent.",
    );
    plotEl.append(emptyEl);
    chartsEl.append(
      h(
        "div",
        { class: "card chart-card", "data-chart": c.key },
        h("div", { class: "card-head" }, h("h3", {}, c.title), nowEl),
        plotEl,
      ),
    );
    charts.push({ def: c, plotEl, nowEl, emptyEl, chart: null });
  }
  const makeCharts = () => {
    for (const c of charts) {
      if (!c.chart)
        c.chart = new TimeChart(c.plotEl, {
          unit: c.def.unit,
          series: c.def.series.map(([, label]) => ({ label })),
        });
    }
  };
  let historyLoaded = false;
  async function loadHistory() {
    try {
      const hist = await get(`/api/domains/${idPath(id)}/history`);
      makeCharts();
      const s = hist.series;
      for (const c of charts) c.chart.set([s.t, ...c.def.series.map(([k]) => s[k])]);
      setText(
        document.getElementById("history-note"),
        hist.series.t.length === 0 ? "" : "History: what the agent kept of its recent sweeps.",
      );
      historyLoaded = true;
      updateChartEmpty();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) console.error(err);
    }
  }
  function updateChartEmpty() {
    for (const c of charts) c.emptyEl.hidden = !!c.chart && c.chart.length > 1;
  }
  let lastAt = 0;
  function pushSample(r) {
    if (!historyLoaded || r.at === null || r.at <= lastAt) return;
    lastAt = r.at;
    for (const c of charts)
      c.chart.push(
        r.at / 1000,
        c.def.series.map(([k]) => r[k]),
      );
    updateChartEmpty();
  }

  // ---- actions ----
  const buttons = new Map();
  for (const a of ACTIONS) {
    const b = h(
      "button",
      {
        class: `btn${a.primary ? " primary" : ""}${a.danger ? " danger" : ""}`,
        type: "button",
        "data-action": a.id,
        onclick: () => run(a),
      },
      a.label,
    );
    buttons.set(a.id, b);
    actionsEl.append(b);
  }
  function updateButtons() {
    const silent = row && live?.hosts.get(row.agent)?.status === "silent";
    for (const a of ACTIONS)
      buttons.get(a.id).disabled = !row || gone || silent || !a.when.includes(row.state);
  }

  async function run(a) {
    const name = row.name;
    let body = {};
    if (a.id === "destroy") {
      const ok = await ask({
        title: `Force off ${name}?`,
        text: "The guest stops at once, as if its power were cut: unsaved data in it is lost.",
        confirm: "Force off",
        danger: true,
      });
      if (!ok) return;
    } else if (a.id === "undefine") {
      const ok = await ask({
        title: `Undefine ${name}?`,
        text: `Its definition is removed from ${row.host}. Its disks stay.`,
        confirm: "Undefine",
        danger: true,
        typeToConfirm: name,
      });
      if (!ok) return;
    } else if (a.id === "save" || a.id === "restore") {
      const v = await ask({
        title: a.id === "save" ? `Save ${name}` : `Restore ${name}`,
        text:
          a.id === "save"
            ? "Its memory is written to a file on its host, and the domain stops."
            : "From a file written by Save, on its host.",
        fields: [
          {
            name: "filename",
            label: "File on the host (absolute path)",
            value: `/var/lib/libvirt/qemu/save/${name}.save`,
          },
        ],
        confirm: a.id === "save" ? "Save" : "Restore",
      });
      if (!v) return;
      body = v;
    } else if (a.id === "migrate") {
      const dests = [...live.hosts.values()].filter(
        (x) => x.agent !== row.agent && x.status === "up",
      );
      if (!dests.length) return showError(a, new Error("no other host is up to migrate to"));
      const v = await ask({
        title: `Migrate ${name}`,
        text: "Live migration, peer to peer, to another host of the fleet.",
        fields: [
          { name: "host", label: "Destination host", options: dests.map((x) => [x.agent, x.host]) },
        ],
        confirm: "Migrate",
      });
      if (!v) return;
      body = v;
    }
    const b = buttons.get(a.id);
    b.classList.add("busy");
    replace(
      result,
      h("span", { class: "spinner" }),
      h("span", { class: "muted" }, `${a.label.replace("…", "")}…`),
    );
    try {
      const out = await post(`/api/domains/${idPath(id)}/actions/${a.id}`, body);
      replace(result, h("span", { class: "action-ok" }, `✓ ${a.label.replace("…", "")} done`));
      if (a.id === "migrate" && out.domain)
        navigate(`/domain/${encodeURIComponent(out.domain)}`, true);
    } catch (err) {
      showError(a, err);
    } finally {
      b.classList.remove("busy");
    }
  }

  function showError(a, err) {
    const code = err.libvirtCode !== undefined ? `libvirt error ${err.libvirtCode}: ` : "";
    replace(
      result,
      h(
        "div",
        { class: "action-error", role: "alert" },
        h("b", {}, `${a.label.replace("…", "")} failed. `),
        code,
        err.message,
      ),
    );
  }

  // ---- properties ----
  function renderProps() {
    const r = row;
    const host = live.hosts.get(r.agent);
    const silent = host?.status === "silent";
    const items = [
      [
        "State",
        silent
          ? `unknown (host silent; last known: ${r.state})`
          : `${r.state || "–"}${r.reason && r.reason !== "unknown" ? ` (${r.reason})` : ""}`,
      ],
      ["Host", r.host],
      ["UUID", r.uuid],
      ["ID", r.domId >= 0 ? String(r.domId) : "–"],
      ["vCPUs", r.vcpus ?? "–"],
      ["Memory", `${bytes(r.mem)} of ${bytes(r.maxMem)}`],
      ["CPU time", cpuSeconds(r.cpuTime)],
      ["CPU", pct(r.cpu)],
      [
        "Statistics",
        r.stale
          ? "stale (the agent could not read them at its last sweep)"
          : r.at
            ? `sampled ${ago(live.now() - r.at)} ago`
            : "–",
      ],
      ["Object id", r.id],
    ];
    replace(
      props,
      ...items.flatMap(([k, v]) => [
        h("dt", {}, k),
        h("dd", { class: k === "Object id" || k === "UUID" ? "mono" : "" }, String(v)),
      ]),
    );
  }

  function renderGone() {
    gone = true;
    updateButtons();
    replace(
      body,
      empty(
        "This domain is gone",
        "It was undefined, or migrated away, or its host no longer has it.",
        h("a", { href: "/domains", "data-link": true }, "Back to the domains"),
      ),
    );
  }

  function renderRow() {
    setText(title, row.name);
    setText(document.getElementById("crumb-name"), row.name);
    document.title = `lvq · ${row.name}`;
    const silent = live.hosts.get(row.agent)?.status === "silent";
    const s = silent ? "unknown" : row.state || "unknown";
    replace(stateBadge, badge(s));
    stateBadge.dataset.state = s;
    setText(hostLink, row.host);
    hostLink.href = `/domains?host=${encodeURIComponent(row.agent)}`;
    for (const c of charts) setText(c.nowEl, c.def.now(row));
    renderProps();
    updateButtons();
  }

  xmlCard.addEventListener("toggle", async () => {
    if (!xmlCard.open || xmlCard.dataset.loaded) return;
    xmlCard.dataset.loaded = "1";
    try {
      const { xml } = await get(`/api/domains/${idPath(id)}/xml`);
      setText(xmlPre, xml);
    } catch (err) {
      delete xmlCard.dataset.loaded;
      replace(
        xmlPre,
        h("span", { class: "action-error" }, `Could not read the XML: ${err.message}`),
      );
    }
  });

  return {
    topics: { domain: id },
    render(l, what) {
      live = l;
      if (gone) return;
      const r = live.domains.get(id);
      if (!r) {
        if (live.ready) renderGone();
        return;
      }
      const first = !row;
      row = r;
      renderRow();
      if (first) loadHistory().then(() => pushSample(row));
      else if (what.has("domains")) pushSample(r);
    },
    tick() {
      if (row && !gone) renderProps();
    },
    destroy() {
      for (const c of charts) c.chart?.destroy();
    },
  };
}

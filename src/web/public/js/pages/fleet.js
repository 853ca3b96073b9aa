// Fleet: one row per host with its agent, libvirt connection, heartbeat age, epoch, guest CPU
// and memory, domain count; totals above. A silent host shows as unknown, never as empty.
import { badge, empty, gridTable, h, meter, replace, setText } from "../dom.js";
import { ago, bytes, count, pct } from "../format.js";

export function mount(root) {
  const tiles = h("div", { class: "tiles" });
  const body = h("tbody");
  const tableCard = h("div", { class: "card" });
  root.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Fleet"),
      h("span", { class: "sub", id: "fleet-sub" }, ""),
    ),
    tiles,
    tableCard,
  );
  const ageCells = new Map();

  const tile = (label, value, extra) =>
    h(
      "div",
      { class: "card tile" },
      h("div", { class: "label" }, label),
      h("div", { class: "value" }, ...value),
      extra,
    );

  function renderTiles(live) {
    const hosts = [...live.hosts.values()];
    const up = hosts.filter((x) => x.status === "up");
    let running = 0;
    let total = 0;
    let vcpus = 0;
    let mem = 0;
    for (const x of up) {
      running += x.running;
      total += x.domains;
      vcpus += x.guestVcpus;
      mem += x.guestMem;
    }
    const hostMem = up.reduce((s, x) => s + (x.memory ?? 0), 0);
    const cpus = up.reduce((s, x) => s + (x.cpus ?? 0), 0);
    const guestCpu = up.reduce((s, x) => s + ((x.guestCpuPct ?? 0) / 100) * (x.cpus ?? 0), 0);
    replace(
      tiles,
      tile("Hosts", [String(up.length), h("small", {}, `of ${hosts.length} up`)]),
      tile("Domains", [count(running), h("small", {}, `running of ${count(total)}`)]),
      tile(
        "Guest CPU",
        [cpus ? pct((guestCpu / cpus) * 100) : "–", h("small", {}, `of ${count(cpus)} host CPUs`)],
        h("div", { class: "tile-meter" }, meter(cpus ? guestCpu / cpus : 0, `${vcpus} vCPUs`)),
      ),
      tile(
        "Guest memory",
        [bytes(mem), h("small", {}, hostMem ? `of ${bytes(hostMem)}` : "")],
        h(
          "div",
          { class: "tile-meter" },
          meter(hostMem ? mem / hostMem : 0, hostMem ? pct((mem / hostMem) * 100, 0) : ""),
        ),
      ),
    );
  }

  function renderTable(live) {
    const hosts = [...live.hosts.values()];
    if (!hosts.length) {
      replace(
        tableCard,
        empty(
          "No agents on the broker yet",
          "Start one on each libvirt host:",
          h("code", {}, "lvq agent --uri qemu:///system"),
          "Hosts appear here as soon as their agent answers.",
        ),
      );
      return;
    }
    ageCells.clear();
    replace(body);
    for (const x of hosts) {
      const silent = x.status !== "up";
      const age = h("td", { class: "r num" });
      ageCells.set(x.agent, age);
      const memFrac = x.memory ? x.guestMem / x.memory : null;
      body.append(
        h(
          "tr",
          { class: silent ? "silent" : "", "data-agent": x.agent },
          h(
            "td",
            {},
            h("div", {}, h("b", {}, x.host)),
            h(
              "div",
              { class: "muted host-sub", title: x.agent },
              [
                x.model && x.model !== x.host ? x.model : "",
                x.cpus ? `${x.cpus} CPUs` : "",
                x.memory ? bytes(x.memory) : "",
              ]
                .filter(Boolean)
                .join(" · ") || x.instance,
            ),
          ),
          h("td", {}, silent ? badge("silent", "silent") : badge("up", "up")),
          h(
            "td",
            {},
            silent
              ? badge("unknown", "unknown")
              : badge(x.libvirtState || "unknown", x.libvirtState || "unknown"),
            x.libvirtError
              ? h("div", { class: "muted", title: x.libvirtError }, x.libvirtError.slice(0, 60))
              : null,
          ),
          age,
          h("td", { class: "r num" }, String(x.epoch)),
          h(
            "td",
            { class: "cpu-cell" },
            silent
              ? h("span", { class: "muted" }, "unknown")
              : meter((x.guestCpuPct ?? 0) / 100, pct(x.guestCpuPct), `${x.cpus ?? "?"} CPUs`),
          ),
          h(
            "td",
            { class: "mem-cell" },
            silent
              ? h("span", { class: "muted" }, "unknown")
              : meter(
                  memFrac,
                  x.memory ? `${bytes(x.guestMem)} / ${bytes(x.memory)}` : bytes(x.guestMem),
                ),
          ),
          h(
            "td",
            { class: "r num" },
            silent
              ? h(
                  "span",
                  { class: "muted", title: "its agent is silent: the count is the last known" },
                  "unknown",
                )
              : h(
                  "a",
                  { href: `/domains?host=${encodeURIComponent(x.agent)}`, "data-link": true },
                  `${count(x.running)} / ${count(x.domains)}`,
                ),
          ),
          h(
            "td",
            { class: "hide-narrow muted" },
            [x.hypervisor, x.libvirtVersion].filter(Boolean).join(" ") || "–",
          ),
        ),
      );
    }
    replace(
      tableCard,
      gridTable(
        { id: "hosts" },
        [
          "Host",
          "Agent",
          "libvirt",
          ["Heartbeat", { class: "r" }],
          ["Epoch", { class: "r" }],
          ["Guest CPU", { style: { minWidth: "160px" } }],
          ["Guest memory", { style: { minWidth: "200px" } }],
          ["Domains", { class: "r", title: "running / all" }],
          ["Hypervisor", { class: "hide-narrow" }],
        ],
        body,
      ),
    );
    tick(live);
  }

  function tick(live) {
    const now = live.now();
    for (const x of live.hosts.values()) {
      const cell = ageCells.get(x.agent);
      if (cell) setText(cell, `${ago(now - x.heartbeatAt)} ago`);
    }
    const sub = document.getElementById("fleet-sub");
    if (sub)
      setText(
        sub,
        live.ready
          ? `${live.hosts.size} host${live.hosts.size === 1 ? "" : "s"} on the broker`
          : "",
      );
  }

  return {
    topics: {},
    render(live, what) {
      if (!what.has("hosts") && !what.has("snapshot")) return;
      renderTiles(live);
      renderTable(live);
    },
    tick,
  };
}

// Storage: the pools of each host with their use, and their volumes; create and delete a
// volume (deleting asks first). A failure shows libvirt's message under the pool.
import { ApiError, idPath, post } from "../api.js";
import { ask } from "../dialog.js";
import { badge, empty, gridTable, h, meter, replace } from "../dom.js";
import { bytes, count, pct } from "../format.js";

const SIZE_UNITS = [
  ["MiB", 1024 ** 2],
  ["GiB", 1024 ** 3],
  ["TiB", 1024 ** 4],
];

export function mount(root) {
  const list = h("div", {
    class: "storage",
    style: { display: "flex", flexDirection: "column", gap: "20px" },
  });
  const summary = h("span", { class: "sub" });
  root.append(h("div", { class: "page-head" }, h("h1", {}, "Storage"), summary), list);
  const open = new Set();
  const messages = new Map();
  let live = null;

  async function createVolume(pool) {
    const v = await ask({
      title: `New volume in ${pool.name}`,
      text: `On ${pool.host}. ${pool.available !== null ? `${bytes(pool.available)} available.` : ""}`,
      fields: [
        { name: "name", label: "Name", placeholder: "disk1.qcow2" },
        { name: "size", label: "Size", type: "number", value: "10", min: "1", step: "any" },
        { name: "unit", label: "Unit", options: SIZE_UNITS.map(([u]) => [u, u]), value: "GiB" },
        {
          name: "format",
          label: "Format",
          options: [
            ["qcow2", "qcow2"],
            ["raw", "raw"],
          ],
          value: "qcow2",
        },
      ],
      confirm: "Create",
    });
    if (!v) return;
    const mult = SIZE_UNITS.find(([u]) => u === v.unit)?.[1] ?? 1024 ** 3;
    await act(
      pool.id,
      () =>
        post(`/api/pools/${idPath(pool.id)}/volumes`, {
          name: v.name,
          capacity: Math.round(Number(v.size) * mult),
          format: v.format,
        }),
      `Volume ${v.name} created`,
    );
    open.add(pool.id);
  }

  async function deleteVolume(pool, vol) {
    const ok = await ask({
      title: `Delete ${vol.name}?`,
      text: `The volume and its data are removed from ${pool.name} on ${pool.host}. This cannot be undone.`,
      confirm: "Delete",
      danger: true,
    });
    if (!ok) return;
    await act(
      pool.id,
      () => post(`/api/volumes/${idPath(vol.id)}/delete`),
      `Volume ${vol.name} deleted`,
    );
  }

  async function act(poolId, f, done) {
    messages.set(poolId, { busy: true, text: "Working…" });
    render();
    try {
      await f();
      messages.set(poolId, { ok: true, text: done });
    } catch (err) {
      const code =
        err instanceof ApiError && err.libvirtCode !== undefined
          ? `libvirt error ${err.libvirtCode}: `
          : "";
      messages.set(poolId, { error: true, text: `${code}${err.message}` });
    }
    render();
  }

  function volumesOf(pool) {
    return [...live.volumes.values()]
      .filter((v) => v.pool === pool.id)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  function poolRows(pool) {
    const silent = live.hosts.get(pool.agent)?.status === "silent";
    const vols = volumesOf(pool);
    const isOpen = open.has(pool.id);
    const frac = pool.capacity ? pool.allocation / pool.capacity : null;
    const toggle = h(
      "button",
      {
        class: "expander",
        "aria-expanded": String(isOpen),
        "aria-label": `Volumes of ${pool.name}`,
        onclick: () => {
          if (isOpen) open.delete(pool.id);
          else open.add(pool.id);
          render();
        },
      },
      isOpen ? "▾" : "▸",
    );
    const rows = [
      h(
        "tr",
        { class: "pool-row", "data-pool": pool.name },
        h("td", { class: "name" }, toggle, " ", pool.name),
        h("td", {}, silent ? badge("unknown") : badge(pool.state || "unknown")),
        h(
          "td",
          { style: { minWidth: "220px" } },
          meter(frac, pool.capacity ? `${pct(frac * 100, 0)} of ${bytes(pool.capacity)}` : "–"),
        ),
        h("td", { class: "r num" }, bytes(pool.available)),
        h("td", { class: "r num" }, count(vols.length)),
        h(
          "td",
          { class: "r" },
          h(
            "button",
            {
              class: "btn small",
              type: "button",
              disabled: silent || pool.state !== "running",
              onclick: () => createVolume(pool),
            },
            "New volume",
          ),
        ),
      ),
    ];
    const msg = messages.get(pool.id);
    if (msg) {
      rows.push(
        h(
          "tr",
          { class: "vol-list-row" },
          h(
            "td",
            { colspan: 6 },
            h(
              "div",
              { style: { padding: "8px 16px" } },
              msg.error
                ? h("div", { class: "action-error", role: "alert" }, msg.text)
                : h(
                    "span",
                    { class: msg.ok ? "action-ok" : "muted" },
                    msg.ok ? `✓ ${msg.text}` : msg.text,
                  ),
            ),
          ),
        ),
      );
    }
    if (isOpen) {
      const inner = vols.length
        ? h(
            "table",
            { class: "grid vol-list" },
            h(
              "tbody",
              {},
              ...vols.map((v) =>
                h(
                  "tr",
                  { "data-volume": v.name },
                  h("td", {}, v.name),
                  h("td", { class: "path", title: v.path }, v.path),
                  h("td", { class: "r num" }, bytes(v.capacity)),
                  h("td", { class: "r num muted" }, `${bytes(v.allocation)} used`),
                  h(
                    "td",
                    { class: "r" },
                    h(
                      "button",
                      {
                        class: "btn small danger",
                        type: "button",
                        disabled: silent,
                        onclick: () => deleteVolume(pool, v),
                      },
                      "Delete",
                    ),
                  ),
                ),
              ),
            ),
          )
        : h("div", { class: "muted", style: { padding: "12px 40px" } }, "No volumes in this pool.");
      rows.push(h("tr", { class: "vol-list-row" }, h("td", { colspan: 6 }, inner)));
    }
    return rows;
  }

  function render() {
    if (!live) return;
    const pools = [...live.pools.values()];
    const byHost = new Map();
    for (const p of pools) {
      if (!byHost.has(p.agent)) byHost.set(p.agent, []);
      byHost.get(p.agent).push(p);
    }
    const total = pools.reduce((s, p) => s + (p.capacity ?? 0), 0);
    const used = pools.reduce((s, p) => s + (p.allocation ?? 0), 0);
    summary.textContent = pools.length
      ? `${count(pools.length)} pools · ${bytes(used)} used of ${bytes(total)}`
      : "";
    if (!live.hosts.size) {
      replace(
        list,
        h(
          "div",
          { class: "card" },
          empty(
            "No agents on the broker yet",
            "Storage pools appear here once a host's agent answers.",
          ),
        ),
      );
      return;
    }
    const sections = [...live.hosts.values()].map((host) => {
      const hp = (byHost.get(host.agent) ?? []).sort((a, b) => (a.name < b.name ? -1 : 1));
      const content = hp.length
        ? gridTable(
            {},
            [
              "Pool",
              "State",
              "Allocation",
              ["Available", { class: "r" }],
              ["Volumes", { class: "r" }],
              "",
            ],
            h("tbody", {}, ...hp.flatMap(poolRows)),
          )
        : empty(
            "No storage pools on this host",
            h(
              "span",
              {},
              "Define one with virsh pool-define, or the Node method storage_pool_define_xml.",
            ),
          );
      return h(
        "section",
        { class: "host-section", "data-host": host.host },
        h(
          "div",
          { class: "host-title" },
          h("h2", {}, host.host),
          host.status === "silent" ? badge("silent", "silent: last known") : null,
        ),
        h("div", { class: "card" }, content),
      );
    });
    replace(list, ...sections);
  }

  return {
    topics: { storage: true },
    render(l, what) {
      live = l;
      if (what.has("storage") || what.has("hosts") || what.has("snapshot")) render();
    },
  };
}

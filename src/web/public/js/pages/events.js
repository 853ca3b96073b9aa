// Events: a live feed of lifecycle events, agents joining, leaving and restarting, and the
// broker link, newest first, filterable by kind, host and text.
import { empty, h, replace, setText } from "../dom.js";
import { clock, count, dateTime } from "../format.js";

const KINDS = [
  ["all", "All"],
  ["domain", "Domains"],
  ["pool", "Pools"],
  ["agent", "Agents"],
  ["broker", "Broker"],
];
const MAX_SHOWN = 500;

export function mount(root) {
  const filter = { kind: "all", host: "", q: "" };
  let live = null;
  const listEl = h("ul", { class: "feed", id: "feed" });
  const card = h("div", { class: "card" }, listEl);
  const search = h("input", {
    class: "search",
    type: "search",
    placeholder: "Filter by name or event",
    "aria-label": "Filter events",
  });
  const hostSelect = h("select", { "aria-label": "Host" });
  const seg = h("div", { class: "seg", role: "group", "aria-label": "Kind" });
  const segButtons = new Map();
  for (const [key, label] of KINDS) {
    const b = h(
      "button",
      {
        type: "button",
        "aria-pressed": String(key === filter.kind),
        onclick: () => set({ kind: key }),
      },
      label,
    );
    segButtons.set(key, b);
    seg.append(b);
  }
  const summary = h("span", { class: "sub" });
  root.append(
    h("div", { class: "page-head" }, h("h1", {}, "Events"), summary),
    h("div", { class: "toolbar" }, search, hostSelect, seg),
    card,
  );
  search.addEventListener("input", () => set({ q: search.value.trim().toLowerCase() }));
  hostSelect.addEventListener("change", () => set({ host: hostSelect.value }));

  function set(change) {
    Object.assign(filter, change);
    for (const [k, b] of segButtons) b.setAttribute("aria-pressed", String(k === filter.kind));
    renderAll();
  }

  const matches = (e) =>
    (filter.kind === "all" || e.kind === filter.kind) &&
    (!filter.host || e.agent === filter.host) &&
    (!filter.q || `${e.name} ${e.event} ${e.detail} ${e.host}`.toLowerCase().includes(filter.q));

  function item(e, fresh) {
    const subject =
      e.kind === "domain" && e.objectId
        ? h("a", { href: `/domain/${encodeURIComponent(e.objectId)}`, "data-link": true }, e.name)
        : e.name
          ? h("b", {}, e.name)
          : e.kind === "broker"
            ? h("b", {}, "Broker")
            : h("b", {}, e.host);
    return h(
      "li",
      { class: fresh ? "fresh" : "", "data-kind": e.kind, "data-event": e.event },
      h("span", { class: "t", title: dateTime(e.t) }, clock(e.t)),
      h("span", { class: "kind" }, e.kind),
      h("span", { class: "host", title: e.agent }, e.host || "–"),
      h(
        "span",
        { class: "what" },
        subject,
        " ",
        e.event,
        e.detail ? h("span", { class: "detail" }, ` · ${e.detail}`) : null,
      ),
    );
  }

  function renderHosts() {
    const want = [...live.hosts.keys()].join("\n");
    if (hostSelect.dataset.list === want) return;
    hostSelect.dataset.list = want;
    replace(
      hostSelect,
      h("option", { value: "" }, "All hosts"),
      ...[...live.hosts.values()].map((x) =>
        h("option", { value: x.agent, selected: x.agent === filter.host }, x.host),
      ),
    );
  }

  function renderAll() {
    if (!live) return;
    const shown = [];
    for (let i = live.events.length - 1; i >= 0 && shown.length < MAX_SHOWN; i--) {
      if (matches(live.events[i])) shown.push(live.events[i]);
    }
    setText(summary, `${count(live.events.length)} since lvq web started`);
    if (!shown.length) {
      replace(
        card,
        empty(
          live.events.length ? "No event matches" : "No events yet",
          live.events.length
            ? "Change the filters above."
            : "Lifecycle events and agents joining or leaving show here as they happen.",
        ),
      );
      return;
    }
    replace(listEl, ...shown.map((e) => item(e, false)));
    if (listEl.parentNode !== card) replace(card, listEl);
  }

  return {
    topics: { events: true },
    render(l, what) {
      live = l;
      if (what.has("hosts") || what.has("snapshot")) renderHosts();
      if (what.has("snapshot") || listEl.parentNode !== card) return renderAll();
      if (!what.has("events")) return;
      const fresh = (what.newEvents ?? []).filter(matches);
      for (const e of fresh) listEl.prepend(item(e, true));
      while (listEl.children.length > MAX_SHOWN) listEl.lastChild.remove();
      setText(summary, `${count(live.events.length)} since lvq web started`);
    },
  };
}

// The shell: routes between the pages without reloading, opens the live stream each page
// asks for, and shows the banner when the broker (or this web server) is away.
import { h, replace } from "./dom.js";
import { ago, clock } from "./format.js";
import { frameBatch, Live } from "./stream.js";

const ROUTES = [
  { re: /^\/$/, page: "fleet", load: () => import("./pages/fleet.js") },
  { re: /^\/domains$/, page: "domains", load: () => import("./pages/domains.js") },
  { re: /^\/domain\/([^/]+)$/, page: "domains", load: () => import("./pages/domain.js") },
  { re: /^\/storage$/, page: "storage", load: () => import("./pages/storage.js") },
  { re: /^\/events$/, page: "events", load: () => import("./pages/events.js") },
];

const root = document.getElementById("page");
const banner = document.getElementById("banner");
const status = document.getElementById("link-status");
let current = null;
let generation = 0;

/** Goes to `path` within the app (pushes history unless `replaceState`). */
export function navigate(path, replaceState = false) {
  if (replaceState) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void show();
}

async function show() {
  const gen = ++generation;
  const path = location.pathname;
  const route = ROUTES.find((r) => r.re.test(path));
  if (current) {
    current.live?.close();
    current.page?.destroy?.();
    current = null;
  }
  for (const a of document.querySelectorAll(".tabs a")) {
    if (a.dataset.page === route?.page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  root.className = "page";
  if (!route) {
    replace(
      root,
      h(
        "div",
        { class: "empty" },
        h("div", { class: "big" }, "Nothing here"),
        h("a", { href: "/", "data-link": true }, "Back to the fleet"),
      ),
    );
    return;
  }
  const mod = await route.load();
  if (gen !== generation) return;
  const params = route.re.exec(path).slice(1).map(decodeURIComponent);
  replace(root);
  const page = mod.mount(root, { params, navigate });
  const state = { page, live: null };
  current = state;
  const render = frameBatch((what) => {
    if (current !== state) return;
    updateChrome(state.live);
    page.render(state.live, what);
  });
  state.live = new Live(page.topics ?? {}, render);
  // Ages and "since" texts move on even when nothing arrives.
  state.tick = setInterval(() => {
    if (current !== state) return clearInterval(state.tick);
    updateChrome(state.live);
    page.tick?.(state.live);
  }, 1000);
}

function updateChrome(live) {
  const hosts = [...live.hosts.values()];
  const up = hosts.filter((x) => x.status === "up").length;
  let dot = "ok";
  let text = `${up}/${hosts.length} hosts`;
  if (!live.linked) {
    dot = "bad";
    text = "lvq web unreachable";
  } else if (!live.broker.up) {
    dot = "bad";
    text = "broker unreachable";
  } else if (up < hosts.length) dot = "warn";
  replace(
    status,
    h("span", { class: `dot ${dot}` }),
    h("span", { class: "label" }, live.ready ? text : "connecting…"),
  );

  if (!live.linked && live.ready) {
    showBanner(
      "bad",
      "Lost contact with lvq web.",
      "Retrying by itself; the page shows the last known state.",
    );
  } else if (live.linked && !live.broker.up) {
    const since = live.broker.since;
    showBanner(
      "bad",
      `Broker unreachable since ${clock(since)} (${ago(live.now() - since)}).`,
      `Showing the last known state; lvq web reconnects by itself.${live.broker.error ? ` ${live.broker.error}` : ""}`,
    );
  } else {
    banner.hidden = true;
    banner.dataset.state = "ok";
  }
}

function showBanner(kind, title, detail) {
  banner.hidden = false;
  banner.className = `banner ${kind}`;
  banner.dataset.state = "down";
  replace(
    banner,
    h("span", { class: "spinner", "aria-hidden": "true" }),
    h("span", {}, title),
    h("span", { class: "detail" }, detail),
  );
}

document.addEventListener("click", (e) => {
  const a = e.target.closest?.("a[data-link]");
  if (
    !a ||
    e.defaultPrevented ||
    e.button !== 0 ||
    e.metaKey ||
    e.ctrlKey ||
    e.shiftKey ||
    e.altKey
  )
    return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  e.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search)
    navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => void show());
void show();

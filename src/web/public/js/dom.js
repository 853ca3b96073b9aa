// Building elements without innerHTML: every name shown comes from libvirt and remote agents,
// so text is always set as text.

/**
 * h("div", { class: "x", onclick: f, dataset: { id } }, child, "text", [more]) — an element.
 * Attributes whose value is null, undefined or false are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style") Object.assign(el.style, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets text only when it changed (cheap updates of live cells). */
export function setText(el, text) {
  const s = text === null || text === undefined ? "" : String(text);
  if (el.textContent !== s) el.textContent = s;
}

/**
 * A data table in its scrolling wrapper: `attributes` of the table, its header cells as data
 * (a label, or [label, attributes]; "" for an empty cell) and its `body` (a tbody).
 */
export function gridTable(attributes, headers, body) {
  const th = (c) => (typeof c === "string" ? h("th", {}, c || null) : h("th", c[1], c[0]));
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "grid", ...attributes },
      h("thead", {}, h("tr", {}, ...headers.map(th))),
      body,
    ),
  );
}

/** A state badge: `running`, `paused`, … (its class is its state word). */
export function badge(state, label = state) {
  const cls = /^[a-z]+$/.test(state) ? state : "unknown";
  return h("span", { class: `badge ${cls}` }, label || "unknown");
}

/** A horizontal meter: fraction 0…1 (null: no bar), with a value text. */
export function meter(fraction, text, title) {
  const i = h("i");
  setMeter(i, fraction);
  return h(
    "div",
    { class: "meter", title },
    h("div", { class: "bar" }, i),
    h("span", { class: "val" }, text),
  );
}

/** Updates the bar of a meter made by {@link meter}. */
export function setMeter(i, fraction) {
  const f =
    fraction === null || fraction === undefined || Number.isNaN(fraction)
      ? 0
      : Math.max(0, Math.min(1, fraction));
  i.style.width = `${(f * 100).toFixed(1)}%`;
  i.className = f >= 0.9 ? "full" : f >= 0.7 ? "hot" : "";
}

/** An empty state: a headline and an explanation. */
export function empty(title, ...explain) {
  return h(
    "div",
    { class: "empty" },
    h("div", { class: "big" }, title),
    ...explain.map((e) => h("div", {}, e)),
  );
}

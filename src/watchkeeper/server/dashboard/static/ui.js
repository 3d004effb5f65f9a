// DOM and formatting helpers. Text from the data always goes in as text nodes, never as HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: h("a", {href: "#/x", class: "link"}, "text", otherNode). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, same signature as h(). */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

/** A titled card; `aside` goes to the right of the title. */
export function card(title, attrs, ...children) {
  const { aside, ...rest } = attrs || {};
  const head = h("div", { class: "card-head" }, h("h2", { text: title }), aside || null);
  return h("section", { class: "card", ...rest }, head, ...children);
}

export function badge(text, kind) {
  return h("span", { class: `badge ${kind || ""}`.trim(), text });
}

export function statusBadge(status) {
  const names = { insufficient_data: "no data", provisional: "provisional" };
  return badge(names[status] || status, `st-${status}`);
}

export function note(text, kind) {
  return h("p", { class: `note ${kind || "muted"}`, text });
}

/** A table from column specs [{label, cell(row) -> node|text, class?}] and rows. */
export function table(columns, rows, { empty = "Nothing here.", rowAttrs } = {}) {
  if (!rows.length) return note(empty);
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.class, text: c.label })));
  const body = rows.map((row) =>
    h("tr", rowAttrs ? rowAttrs(row) : {}, columns.map((c) => h("td", { class: c.class }, c.cell(row)))),
  );
  return h("table", { class: "grid" }, h("thead", {}, head), h("tbody", {}, body));
}

// -- formatting (times are UTC: windows are on event time) ---------------------------------

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n) => String(n).padStart(2, "0");

export function toMillis(value) {
  if (value === null || value === undefined || value === "") return null;
  return typeof value === "number" ? value : Date.parse(value);
}

export const fmt = {
  day(ms) {
    const d = new Date(ms);
    return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  },
  clock(ms) {
    const d = new Date(ms);
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  },
  time(value) {
    const ms = toMillis(value);
    if (ms === null || Number.isNaN(ms)) return "—";
    return `${fmt.day(ms)} ${fmt.clock(ms)}`;
  },
  span(t0, t1) {
    return `${fmt.time(t0)} – ${fmt.day(t0) === fmt.day(t1) ? fmt.clock(t1) : fmt.time(t1)} UTC`;
  },
  number(v, digits = 3) {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    const abs = Math.abs(v);
    if (abs >= 1e9) return `${Number((v / 1e9).toPrecision(digits))}B`;
    if (abs >= 1e6) return `${Number((v / 1e6).toPrecision(digits))}M`;
    if (abs !== 0 && abs < 1e-3) return v.toExponential(2);
    if (abs >= 1000) return v.toLocaleString("en-US", { maximumFractionDigits: 0 });
    return String(Number(v.toPrecision(digits)));
  },
  pct(v, digits = 1) {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    return `${(100 * v).toFixed(digits)}%`;
  },
  ms(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
    const ms = seconds * 1000;
    return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Number(ms.toPrecision(3))} ms`;
  },
  duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
    if (seconds < 90) return `${Math.round(seconds)} s`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
    if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
    return `${(seconds / 86400).toFixed(1)} d`;
  },
  ago(value, now) {
    const ms = toMillis(value);
    if (ms === null) return "—";
    return `${fmt.duration(Math.max(0, (now - ms) / 1000))} before`;
  },
};

/** "Data quality", "p99" ... for label values and metric names. */
export function humanize(name) {
  const words = String(name).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function labelText(labels, skip = ["monitor", "window"]) {
  return Object.entries(labels || {})
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/** A short message under the header (the result of an action, or its error). */
export function flash(text, kind = "ok") {
  const box = document.getElementById("flash");
  if (!box) return;
  const item = h("div", { class: `flash ${kind}`, role: kind === "error" ? "alert" : "status", title: "dismiss", text });
  item.addEventListener("click", () => item.remove());
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 10000 : 5000);
}

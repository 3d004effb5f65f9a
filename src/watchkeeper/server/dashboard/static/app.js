// The dashboard's entry point: hash routes (#/engineering?model=credit&window=1h&range=7d,
// #/alerts, #/incidents/ID), the model / window / range controls and the token.
// When a view has rendered, <main> gets data-ready="true" and data-load-ms (time since the
// navigation started: the whole page load on the first view).
// Auto-refresh (off, 30 s, 1 min, 5 min; kept per tab) re-renders the view while the tab is
// visible and nobody has touched the page for a while, keeping the scroll position.

import { ApiError, get, session } from "./api.js";
import { flushCharts } from "./charts.js";
import { alerts, incident, incidents } from "./pages.js";
import { card, clear, flash, h, note } from "./ui.js";
import { RANGES, business, engineering, product } from "./views.js";

const settings = JSON.parse(document.body.dataset.settings || "{}");
const main = document.getElementById("view");
const VIEWS = { engineering, product, business, alerts, incidents };
const DATA_VIEWS = new Set(["engineering", "product", "business"]);
const UNITS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
let models = settings.models || null; // the service writes its models into the page
let generation = 0;
let firstLoad = true;
const choice = { model: null, window: null, range: "7d" };
const REFRESH = { off: 0, "30s": 30_000, "1m": 60_000, "5m": 300_000 };
const IDLE_MS = 20_000; // no refresh within this long of the last click, key or scroll
let refreshTimer = null;
let lastTouch = 0;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query] = raw.split("?");
  const parts = (path || "").split("/").filter(Boolean).map(decodeURIComponent);
  return { view: parts[0] || "engineering", id: parts[1] || null, params: Object.fromEntries(new URLSearchParams(query || "")) };
}

function hashFor(view, params = {}, id = null) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined));
  const text = query.toString();
  return `#/${view}${id ? `/${encodeURIComponent(id)}` : ""}${text ? `?${text}` : ""}`;
}

function seconds(window) {
  const m = /^(\d+)([smhdw])$/.exec(window || "");
  return m ? Number(m[1]) * UNITS[m[2]] : Infinity;
}

function dataParams() {
  return { model: choice.model, window: choice.window, range: choice.range };
}

function controls(route) {
  const box = clear(document.getElementById("controls"));
  for (const link of document.querySelectorAll("#nav a")) {
    const view = link.dataset.view;
    link.classList.toggle("active", view === route.view);
    link.href = DATA_VIEWS.has(view) ? hashFor(view, dataParams()) : hashFor(view);
  }
  box.append(refreshPicker());
  if (!DATA_VIEWS.has(route.view) || !models.length) return;
  const model = models.find((m) => m.name === choice.model);
  const go = (key) => (event) => {
    choice[key] = event.target.value;
    if (key === "model") choice.window = null;
    location.hash = hashFor(route.view, dataParams());
  };
  const pick = (name, value, options, label) => h("label", {}, label, h("select", { name, onchange: go(name) },
    options.map(([v, text]) => h("option", { value: v, selected: v === value, text }))));
  box.append(
    pick("model", choice.model, models.map((m) => [m.name, m.name]), "model "),
    pick("window", choice.window, [...model.windows].sort((a, b) => seconds(a) - seconds(b)).map((w) => [w, w]), "window "),
    pick("range", choice.range, Object.keys(RANGES).map((r) => [r, r === "all" ? "all" : `last ${r}`]), ""),
    h("button", { type: "button", class: "secondary", title: "reload the data", onclick: () => render() }, "↻"),
  );
}

function refreshPicker() {
  const current = refreshChoice();
  const select = h("select", { name: "refresh", title: "reload the view every …", onchange: (event) => {
    sessionStorage.setItem("watchkeeper.refresh", event.target.value);
    scheduleRefresh();
  } }, Object.keys(REFRESH).map((key) => h("option", { value: key, selected: key === current, text: key === "off" ? "off" : `every ${key}` })));
  return h("label", {}, "auto-refresh ", select);
}

function refreshChoice() {
  const kept = sessionStorage.getItem("watchkeeper.refresh");
  return kept in REFRESH ? kept : "1m";
}

function scheduleRefresh() {
  clearInterval(refreshTimer);
  const every = REFRESH[refreshChoice()];
  if (!every) return;
  refreshTimer = setInterval(() => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
    if (document.hidden || typing || performance.now() - lastTouch < IDLE_MS) return;
    if (main.dataset.ready === "true") render();
  }, every);
}

function tokenWidget() {
  const box = clear(document.getElementById("token"));
  const input = h("input", { type: "password", name: "token", placeholder: "paste a bearer token", autocomplete: "off" });
  const by = h("input", { type: "text", name: "by", value: session.by, placeholder: "your name" });
  const save = h("button", { type: "submit" }, "Save");
  const forget = h("button", { type: "button", class: "secondary", onclick: () => { session.token = ""; tokenWidget(); flash("Token forgotten"); } }, "Forget");
  const form = h("form", { class: "token-form", onsubmit: (event) => {
    event.preventDefault();
    if (input.value.trim()) session.token = input.value.trim();
    session.by = by.value.trim();
    tokenWidget();
    flash(session.token ? "Token saved for this tab" : "Saved");
  } },
  h("p", { class: "small", text: settings.auth ? "This service needs a bearer token for writes (ack, silence, incident actions). It is kept in this tab's sessionStorage only." : "This service accepts writes without a token." }),
  h("label", {}, "token ", input), h("label", {}, "name ", by), h("div", { class: "row" }, save, forget));
  const label = session.token ? "Token ✓" : settings.auth ? "Token needed" : "Token";
  box.append(h("details", { class: "token-box" }, h("summary", { class: session.token ? "set" : settings.auth ? "needed" : "", text: label }), form));
}

async function render() {
  const run = ++generation;
  const started = firstLoad ? 0 : performance.now();
  firstLoad = false;
  const route = parseHash();
  main.dataset.ready = "false";
  const scroll = window.scrollY;
  const root = h("div", { class: `view view-${route.view}`, "data-view": route.view });
  try {
    if (!models) models = (await get("v1/models")).models;
    if (DATA_VIEWS.has(route.view)) chooseModel(route.params);
    controls(route);
    main.replaceChildren(root);
    document.title = `${route.id || route.view} · watchkeeper`;
    const view = route.view === "incidents" && route.id ? (ctx) => incident(ctx, route.id) : VIEWS[route.view];
    if (!view) {
      root.append(card("Not found", {}, note(`There is no view “${route.view}”.`)));
    } else if (DATA_VIEWS.has(route.view) && !models.length) {
      root.append(card("No models", {}, note("This service has no models configured.")));
    } else {
      const model = models.find((m) => m.name === choice.model);
      await view({
        root, settings, models, model, window: choice.window, range: choice.range, params: route.params,
        refresh: render,
        navigate: (params) => { location.hash = hashFor(route.view, params, route.id); },
      });
      flushCharts();
    }
  } catch (error) {
    main.replaceChildren(root);
    root.append(card("Could not load this view", {}, note(error instanceof ApiError ? error.message : String(error), "error")));
    if (!(error instanceof ApiError)) console.error(error);
  }
  if (run !== generation) return;
  window.scrollTo(0, scroll);
  main.dataset.view = route.view;
  main.dataset.loadMs = String(Math.round(performance.now() - started));
  main.dataset.ready = "true";
}

function chooseModel(params) {
  const names = models.map((m) => m.name);
  choice.model = names.includes(params.model) ? params.model : names.includes(choice.model) ? choice.model : names[0];
  const model = models.find((m) => m.name === choice.model);
  const windows = model ? [...model.windows].sort((a, b) => seconds(a) - seconds(b)) : [];
  choice.window = windows.includes(params.window) ? params.window : windows.includes(choice.window) ? choice.window : windows[0];
  choice.range = params.range in RANGES ? params.range : choice.range;
}

window.addEventListener("hashchange", render);
for (const event of ["pointerdown", "keydown", "wheel"]) {
  window.addEventListener(event, () => { lastTouch = performance.now(); }, { passive: true });
}
tokenWidget();
scheduleRefresh();
render();

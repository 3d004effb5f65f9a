// The alerts page (filter, acknowledge, silence) and the incident pages (list; one incident
// with its alerts, evidence, timeline and playbook; acknowledge, resolve, add a note).

import { del, get, post, session } from "./api.js";
import { PALETTE, TimeAxis, lineChart } from "./charts.js";
import { driversBlock, slicesBlock } from "./insight.js";
import { renderMarkdown } from "./markdown.js";
import { badge, card, flash, fmt, h, labelText, note, statusBadge, table, toMillis } from "./ui.js";

const SEVERITIES = ["critical", "high", "warning", "info"];
const DURATIONS = ["1h", "2h", "4h", "8h", "1d", "3d", "7d"];

function select(name, value, options, onchange) {
  return h("select", { name, onchange: (event) => onchange(event.target.value) },
    options.map(([v, text]) => h("option", { value: v, selected: v === value, text })));
}

function noAlerting(error, root) {
  if (error.status !== 501) throw error;
  root.append(card("Alerting is off", {}, note("This service runs without alerting (no `alerting:` section in its config).")));
}

/** Run a write; report it, or its error, and refresh the page. */
async function act(ctx, label, action) {
  try {
    await action();
    flash(label, "ok");
    await ctx.refresh();
  } catch (error) {
    flash(error.message, "error");
  }
}

// -- alerts -------------------------------------------------------------------------------

export async function alerts(ctx) {
  const { status = "", model = "", severity = "", q = "" } = ctx.params;
  let found;
  let incidents;
  let silences;
  try {
    [found, incidents, silences] = await Promise.all([
      get("v1/alerts", { status, model }).then((r) => r.alerts),
      get("v1/incidents", { model }).then((r) => r.incidents),
      get("v1/silences").then((r) => r.silences),
    ]);
  } catch (error) {
    return noAlerting(error, ctx.root);
  }
  const incidentOf = new Map();
  for (const incident of incidents) {
    for (const alert of incident.alerts) if (!incidentOf.has(alert.fingerprint)) incidentOf.set(alert.fingerprint, incident);
  }
  const text = q.toLowerCase();
  const shown = found.filter((a) => (!severity || a.labels.severity === severity)
    && (!text || JSON.stringify([a.labels, a.annotations]).toLowerCase().includes(text)));
  shown.sort((a, b) => (a.status === "firing" ? 0 : 1) - (b.status === "firing" ? 0 : 1)
    || SEVERITIES.indexOf(a.labels.severity) - SEVERITIES.indexOf(b.labels.severity)
    || toMillis(b.starts_at) - toMillis(a.starts_at));

  const set = (key) => (value) => ctx.navigate({ ...ctx.params, [key]: value });
  const search = h("input", { type: "search", name: "q", value: q, placeholder: "search labels and summaries" });
  search.addEventListener("change", () => set("q")(search.value));
  const filters = h("div", { class: "filters" },
    h("label", {}, "status ", select("status", status, [["", "all"], ["firing", "firing"], ["pending", "pending"], ["resolved", "resolved"]], set("status"))),
    h("label", {}, "model ", select("model", model, [["", "all"], ...ctx.models.map((m) => [m.name, m.name])], set("model"))),
    h("label", {}, "severity ", select("severity", severity, [["", "all"], ...SEVERITIES.map((v) => [v, v])], set("severity"))),
    search,
    h("button", { type: "button", class: "secondary", onclick: () => silenceForm(ctx, []) }, "New silence…"));
  const form = h("div", { id: "silence-form" });
  ctx.root.append(form);
  ctx.silenceSlot = form;

  const counts = SEVERITIES.map((sev) => [sev, found.filter((a) => a.status === "firing" && a.labels.severity === sev).length]);
  ctx.root.append(card("Alerts", {
    id: "alerts",
    aside: h("span", {}, counts.filter(([, n]) => n).map(([sev, n]) => badge(`${n} ${sev} firing`, `sev-${sev}`))),
  }, filters, alertTable(ctx, shown, incidentOf)));
  ctx.root.append(card("Silences", { id: "silences" }, silenceTable(ctx, silences)));
}

function alertTable(ctx, shown, incidentOf) {
  const now = Date.now();
  return table([
    { label: "severity", cell: (a) => badge(a.labels.severity, `sev-${a.labels.severity}`) },
    { label: "alert", cell: (a) => h("div", {}, h("b", { text: a.labels.alertname }), h("div", { class: "muted small", text: labelText(a.labels, ["alertname", "severity", "model", "monitor", "metric"]) })) },
    { label: "model", cell: (a) => a.labels.model },
    { label: "status", cell: (a) => badge(a.status, `al-${a.status}`) },
    { label: "since", cell: (a) => h("span", { title: fmt.ago(a.starts_at, now), text: fmt.time(a.starts_at) }) },
    { label: "summary", cell: (a) => a.annotations.summary || a.reason },
    { label: "incident", cell: (a) => (incidentOf.get(a.fingerprint) ? h("a", { href: `#/incidents/${encodeURIComponent(incidentOf.get(a.fingerprint).id)}`, class: "incident-link", text: incidentOf.get(a.fingerprint).id }) : "—") },
    {
      label: "state",
      cell: (a) => [
        a.acknowledged ? badge(`acked by ${a.acknowledged.by}`, "acked") : null,
        a.silenced_by && a.silenced_by.length ? badge("silenced", "silenced") : null,
      ],
    },
    {
      label: "",
      class: "actions",
      cell: (a) => [
        a.status !== "resolved" && !a.acknowledged ? h("button", { type: "button", class: "ack", onclick: (event) => {
          event.stopPropagation();
          act(ctx, `Acknowledged ${a.labels.alertname} (${a.fingerprint})`, () => post(`v1/alerts/${encodeURIComponent(a.fingerprint)}/ack`, { by: session.by }));
        } }, "Ack") : null,
        h("button", { type: "button", class: "secondary silence", onclick: (event) => {
          event.stopPropagation();
          silenceForm(ctx, ["alertname", "model", "feature"].filter((k) => a.labels[k]).map((k) => `${k}=${a.labels[k]}`));
        } }, "Silence…"),
      ],
    },
  ], shown, {
    empty: "No alerts match these filters.",
    rowAttrs: (a) => ({
      class: `alert-row clickable${a.status === "firing" ? " firing" : ""}`,
      "data-fingerprint": a.fingerprint,
      title: incidentOf.get(a.fingerprint) ? "open its incident" : "",
      onclick: () => {
        const incident = incidentOf.get(a.fingerprint);
        if (incident) location.hash = `#/incidents/${encodeURIComponent(incident.id)}`;
      },
    }),
  });
}

function silenceForm(ctx, matchers) {
  const slot = ctx.silenceSlot;
  const lines = h("textarea", { name: "matchers", rows: 3, placeholder: "alertname=FeatureDrift\nmodel=credit" });
  lines.value = matchers.join("\n");
  const duration = select("duration", "2h", DURATIONS.map((d) => [d, d]), () => {});
  const comment = h("input", { type: "text", name: "comment", placeholder: "why (e.g. planned backfill)" });
  const submit = h("button", { type: "submit" }, "Create silence");
  const form = h("form", { class: "silence-form", onsubmit: (event) => {
    event.preventDefault();
    const list = lines.value.split("\n").map((l) => l.trim()).filter(Boolean);
    act(ctx, "Silence created", () => post("v1/silences", { matchers: list, duration: duration.value, comment: comment.value, created_by: session.by }));
  } },
  h("label", {}, "Matchers (one per line; name=value, name!=value, name=~regex)", lines),
  h("div", { class: "row" }, h("label", {}, "for ", duration), h("label", { class: "grow" }, "comment ", comment)),
  h("div", { class: "row" }, submit, h("button", { type: "button", class: "secondary", onclick: () => slot.replaceChildren() }, "Cancel")));
  slot.replaceChildren(card("New silence", {}, form));
  slot.scrollIntoView({ behavior: "smooth" });
  lines.focus();
}

function silenceTable(ctx, silences) {
  const order = { active: 0, pending: 1, expired: 2 };
  const rows = [...silences].sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) || toMillis(b.ends_at) - toMillis(a.ends_at));
  return table([
    { label: "status", cell: (x) => badge(x.status, `si-${x.status}`) },
    { label: "matchers", cell: (x) => x.matchers.map((m) => h("code", { text: m })) },
    { label: "from", cell: (x) => fmt.time(x.starts_at) },
    { label: "until", cell: (x) => fmt.time(x.ends_at) },
    { label: "by", cell: (x) => x.created_by },
    { label: "comment", cell: (x) => x.comment || "" },
    { label: "", class: "actions", cell: (x) => (x.status === "expired" ? null : h("button", { type: "button", class: "secondary", onclick: () => act(ctx, "Silence expired", () => del(`v1/silences/${encodeURIComponent(x.id)}`)) }, "Expire")) },
  ], rows, { empty: "No silences." });
}

// -- incidents ----------------------------------------------------------------------------

export async function incidents(ctx) {
  const { status = "", model = "" } = ctx.params;
  let list;
  try {
    list = (await get("v1/incidents", { status, model })).incidents;
  } catch (error) {
    return noAlerting(error, ctx.root);
  }
  const set = (key) => (value) => ctx.navigate({ ...ctx.params, [key]: value });
  const filters = h("div", { class: "filters" },
    h("label", {}, "status ", select("status", status, [["", "all"], ["open", "open"], ["acknowledged", "acknowledged"], ["resolved", "resolved"]], set("status"))),
    h("label", {}, "model ", select("model", model, [["", "all"], ...ctx.models.map((m) => [m.name, m.name])], set("model"))));
  ctx.root.append(card("Incidents", { id: "incidents" }, filters, table([
    { label: "incident", cell: (i) => h("a", { href: `#/incidents/${encodeURIComponent(i.id)}`, text: i.id }) },
    { label: "status", cell: (i) => badge(i.status, `inc-${i.status}`) },
    { label: "severity", cell: (i) => badge(i.severity, `sev-${i.severity}`) },
    { label: "model", cell: (i) => i.model },
    { label: "title", cell: (i) => i.title },
    { label: "opened", cell: (i) => fmt.time(i.opened_at) },
    { label: "owner", cell: (i) => i.owner },
    { label: "alerts", class: "num", cell: (i) => i.alerts.length },
  ], list, { empty: "No incidents.", rowAttrs: (i) => ({ class: "clickable", onclick: () => { location.hash = `#/incidents/${encodeURIComponent(i.id)}`; } }) })));
}

export async function incident(ctx, id) {
  let inc;
  try {
    inc = await get(`v1/incidents/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.status === 404) return ctx.root.append(card("Not found", {}, note(`There is no incident ${id}.`)));
    return noAlerting(error, ctx.root);
  }
  ctx.root.append(headerCard(ctx, inc));
  const alertsCard = card(`Alerts (${inc.alerts.length})`, { id: "incident-alerts" }, table([
    { label: "severity", cell: (a) => badge(a.labels.severity, `sev-${a.labels.severity}`) },
    { label: "alert", cell: (a) => h("div", {}, h("b", { text: a.labels.alertname }), h("div", { class: "muted small", text: labelText(a.labels, ["alertname", "severity", "model", "monitor", "metric"]) })) },
    { label: "status", cell: (a) => badge(a.status, `al-${a.status}`) },
    { label: "since", cell: (a) => fmt.time(a.starts_at) },
    { label: "until", cell: (a) => (a.ends_at ? fmt.time(a.ends_at) : "") },
    { label: "summary", cell: (a) => a.annotations.summary || "" },
    { label: "why", cell: (a) => h("span", { class: "muted small", text: a.reason }) },
  ], [...inc.alerts].sort((a, b) => (a.status === "firing" ? 0 : 1) - (b.status === "firing" ? 0 : 1)
    || SEVERITIES.indexOf(a.labels.severity) - SEVERITIES.indexOf(b.labels.severity))));
  ctx.root.append(alertsCard);
  const columns = h("div", { class: "columns" });
  const left = h("div", { class: "column" });
  const right = h("div", { class: "column" });
  columns.append(left, right);
  ctx.root.append(columns);
  left.append(card("Playbook", { id: "playbook" }, renderMarkdown(inc.playbook)));
  right.append(card("Timeline", { id: "timeline" }, timeline(inc.timeline)));
  evidenceCard(right, inc.evidence || {});
}

function headerCard(ctx, inc) {
  const by = h("input", { type: "text", name: "by", value: session.by, size: 12, title: "your name, recorded on the timeline" });
  by.addEventListener("change", () => { session.by = by.value.trim(); });
  const text = h("textarea", { name: "note", rows: 2, placeholder: "comment or note for the timeline" });
  const action = (kind, label) => act(ctx, label, () => post(`v1/incidents/${encodeURIComponent(inc.id)}/${kind}`, { by: session.by, text: text.value.trim() }));
  const actions = h("div", { class: "incident-actions" },
    text,
    h("div", { class: "row" },
      h("button", { type: "button", class: "ack", disabled: inc.status !== "open", onclick: () => action("ack", "Incident acknowledged") }, "Acknowledge"),
      h("button", { type: "button", class: "resolve", disabled: inc.status === "resolved", onclick: () => action("resolve", "Incident resolved") }, "Resolve"),
      h("button", { type: "button", class: "secondary note-button", onclick: () => {
        if (!text.value.trim()) return flash("Write the note first.", "error");
        return action("notes", "Note added");
      } }, "Add note"),
      h("label", { class: "muted" }, "as ", by)));
  const facts = [
    ["model", inc.model], ["owner", inc.owner], ["opened", `${fmt.time(inc.opened_at)} UTC`],
    ["last active", `${fmt.time(inc.last_active_at)} UTC`],
    ["acknowledged", inc.acknowledged_at ? `${fmt.time(inc.acknowledged_at)} by ${inc.acknowledged_by}` : "—"],
    ["resolved", inc.resolved_at ? `${fmt.time(inc.resolved_at)} by ${inc.resolved_by}` : "—"],
  ];
  return h("section", { class: "card incident-head", id: "incident", "data-status": inc.status },
    h("div", { class: "card-head" },
      h("h2", {}, inc.title),
      h("span", {}, badge(inc.status, `inc-${inc.status} incident-status`), " ", badge(inc.severity, `sev-${inc.severity}`))),
    h("div", { class: "muted small", text: inc.id }),
    h("div", { class: "head-body" },
      h("div", {},
        h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
        h("p", { class: "small" }, h("a", { href: `v1/incidents/${encodeURIComponent(inc.id)}/postmortem`, target: "_blank", rel: "noopener" }, "Postmortem (Markdown)"))),
      actions));
}

function timeline(entries) {
  const kinds = { alert_firing: "sev-high", alert_resolved: "al-resolved", notification: "kind-note", decision: "kind-decision", ack: "acked", resolve: "inc-resolved", note: "kind-user" };
  return h("ol", { class: "timeline" }, [...entries].reverse().map((e) => h("li", { class: `tl-${e.kind}` },
    h("div", { class: "tl-head" }, h("time", { text: fmt.time(e.at) }), badge(e.kind.replace("_", " "), kinds[e.kind] || ""), h("span", { class: "muted small", text: e.by })),
    h("div", { class: "tl-text", text: e.text }))));
}

function evidenceCard(root, e) {
  const body = h("div", { class: "evidence" });
  const node = card("Evidence", { id: "evidence", aside: e.window ? h("span", { class: "muted", text: `${e.metric || ""} · window ${fmt.span(toMillis(e.window.start), toMillis(e.window.end))}` }) : null }, body);
  root.append(node);
  const part = (title, content) => body.append(h("h3", { text: title }), content);
  if (e.drifted_features && e.drifted_features.length) {
    part("Features by drift score", table([
      { label: "feature", cell: (f) => f.feature },
      { label: "test", cell: (f) => f.test },
      { label: "statistic", class: "num", cell: (f) => fmt.number(f.statistic) },
      { label: "threshold", class: "num", cell: (f) => fmt.number(f.threshold) },
      { label: "p-value", class: "num", cell: (f) => fmt.number(f.p_value) },
      { label: "", cell: (f) => (f.drifted ? badge("drifted", "st-breach") : "") },
    ], e.drifted_features.slice(0, 10)));
  }
  if (e.drivers && e.drivers.drivers && e.drivers.drivers.length) {
    part("Drift drivers (importance-weighted)", driversBlock(e.drivers));
  }
  if (e.slices && e.slices.slices && e.slices.slices.length) {
    part(`Worst slices (${e.slices.metric}, ${e.slices.rows} predictions)`, slicesBlock(e.slices));
  }
  if (e.data_quality && e.data_quality.length) {
    part("Data-quality findings", table([
      { label: "severity", cell: (f) => badge(f.severity, `sev-${f.severity}`) },
      { label: "check", cell: (f) => f.check },
      { label: "finding", cell: (f) => f.message },
    ], e.data_quality));
  }
  const verdicts = [];
  if (e.dataset_drift) verdicts.push(["dataset drift", `${fmt.pct(e.dataset_drift.share, 0)} of features drifted (threshold ${fmt.pct(e.dataset_drift.threshold, 0)})${e.dataset_drift.drifted_columns.length ? `: ${e.dataset_drift.drifted_columns.join(", ")}` : ""}`]);
  if (e.prediction_drift) verdicts.push(["prediction drift", `${e.prediction_drift.test} ${fmt.number(e.prediction_drift.statistic)} (threshold ${fmt.number(e.prediction_drift.threshold)}, p ${fmt.number(e.prediction_drift.p_value)})${e.prediction_drift.drifted ? " — drifted" : ""}`]);
  if (e.version_changes) verdicts.push(["model versions", `serving ${e.version_changes.current.join(", ") || "—"}; new ${e.version_changes.new.join(", ") || "none"}; gone ${e.version_changes.gone.join(", ") || "none"}`]);
  if (verdicts.length) part("Verdicts", h("dl", { class: "facts" }, verdicts.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])));
  for (const [key, title] of [["model_versions", "Model versions worse than the whole"], ["segments", "Segments worse than the whole"]]) {
    if (!e[key] || !e[key].length) continue;
    part(title, table([
      { label: "group", cell: (r) => (r.segment ? `${r.segment}=${r.segment_value}` : r.model_version) },
      { label: "metric", cell: (r) => `${r.metric} ${labelText(r.labels, [])}` },
      { label: "value", class: "num", cell: (r) => fmt.number(r.value) },
      { label: "whole window", class: "num", cell: (r) => fmt.number(r.overall) },
      { label: "worse by", class: "num", cell: (r) => fmt.pct(r.deviation) },
      { label: "status", cell: (r) => statusBadge(r.status) },
    ], e[key]));
  }
  if (e.labels) {
    const l = e.labels;
    const delays = Object.entries(l.delay_seconds || {}).map(([q, v]) => `p${Math.round(Number(q) * 100)} ${fmt.duration(v)}`).join(", ");
    part("Labels", h("p", { text: `coverage ${fmt.pct(l.coverage, 0)} (${l.labelled ?? "—"} of ${l.predictions ?? "—"}; min ${fmt.pct(l.min_label_coverage, 0)}) · delay ${delays || "—"}` }));
    const points = (l.history || []).map((x) => ({ t1: toMillis(x.window_end), v: x.coverage, s: "ok" }));
    points.forEach((p, i) => { p.t0 = i ? points[i - 1].t1 : p.t1 - 3600e3; });
    if (points.length > 1) {
      const box = h("div", { class: "chart-box" });
      body.append(box);
      lineChart(box, {
        axis: new TimeAxis(points[0].t0, points.at(-1).t1), height: 120, zero: true, yMax: 1, yFormat: (v) => fmt.pct(v, 0),
        series: [{ label: "label coverage", color: PALETTE[2], points }],
      });
    }
  }
  const known = new Set(["model", "metric", "window", "history_windows", "drifted_features", "data_quality", "dataset_drift", "prediction_drift", "version_changes", "model_versions", "segments", "labels", "drivers", "slices"]);
  const rest = Object.fromEntries(Object.entries(e).filter(([k]) => !known.has(k)));
  if (Object.keys(rest).length) {
    body.append(h("details", {}, h("summary", { text: "More (raw)" }), h("pre", { text: JSON.stringify(rest, null, 2) })));
  }
  if (!body.firstChild) body.append(note("No evidence was gathered for this incident."));
}

// The three views over a model's metric series: engineering (health, drift heatmap, data
// quality, operations, labels), product (predictions, performance, versions and segments) and
// business (KPIs with incidents on the time axis). Each takes the context built by app.js:
// {model, window, range, settings, root}.

import { OVERALL, get, series } from "./api.js";
import { PALETTE, TimeAxis, defer, heatmap, lineChart } from "./charts.js";
import { driversBlock, newestSample, slicesBlock } from "./insight.js";
import { badge, card, fmt, h, note, statusBadge, table, toMillis } from "./ui.js";

const HOUR = 3600e3;
export const RANGES = { "24h": 24 * HOUR, "7d": 7 * 24 * HOUR, "30d": 30 * 24 * HOUR, all: null };
const RANK = { breach: 3, provisional: 2, ok: 1, insufficient_data: 0 };
const QUANTILE_NAMES = { 0.5: "p50", 0.9: "p90", 0.95: "p95", 0.99: "p99" };

// -- shared plumbing ----------------------------------------------------------------------

/** The series of the view's window length and range (the last `range` of windows, counted
 * back from the model's newest window: event time, not the clock). */
function fetchSeries(ctx, names, options = {}) {
  return series(ctx.model.name, names, { window: ctx.window, last: RANGES[ctx.range] ? ctx.range : null, ...options });
}

/** The time axis of the view: from the first to the last window fetched. */
function frameOf(...lists) {
  let start = Infinity;
  let end = -Infinity;
  for (const list of lists) {
    for (const one of list) {
      if (!one.points.length) continue;
      start = Math.min(start, one.points[0].t0);
      end = Math.max(end, one.points.at(-1).t1);
    }
  }
  return end > start ? { start, end } : null;
}

const latest = (one) => (one && one.points.length ? one.points.at(-1) : null);
/** The newest sample that says something (labels lag: the newest windows often have none). */
const judged = (one) => (one ? [...one.points].reverse().find((p) => p.s !== "insufficient_data") || latest(one) : null);
const quantile = (labels) => QUANTILE_NAMES[labels.quantile] || `q${labels.quantile}`;
const worst = (statuses) => statuses.reduce((a, b) => ((RANK[b] ?? 0) > (RANK[a] ?? 0) ? b : a), "insufficient_data");

function lineSeries(one, label, color, extra = {}) {
  return { label, color, points: one.points, ...extra };
}

function refSeries(one, key, label, color = "#868e96") {
  const points = one.points.map((p) => ({ t0: p.t0, t1: p.t1, v: p.d[key], s: "ok" }));
  return { label, color, points, ref: true };
}

function axisFor(frame, labels = []) {
  const longest = Math.max(0, ...labels.map((l) => Math.min(22, l.length)));
  return new TimeAxis(frame.start, frame.end, { left: Math.max(64, 14 + longest * 6.6) });
}

function mount(root, node) {
  root.append(node);
  return node;
}

/** A chart card: the chart is drawn once the card is in the page (it takes the card's width). */
function chartCard(root, title, draw, attrs = {}) {
  const body = h("div", { class: "chart-box" });
  const node = mount(root, card(title, attrs, body));
  defer(body, () => draw(body, node));
  return node;
}

function emptyState(root, ctx) {
  root.append(card("No data yet", {}, note(`No ${ctx.window} windows of ${ctx.model.name} have been evaluated yet. Send predictions and wait for the scheduler (or POST /v1/evaluate).`)));
}

async function incidentsOf(ctx) {
  try {
    return (await get("v1/incidents", { model: ctx.model.name })).incidents;
  } catch (error) {
    if (error.status === 501) return []; // no alerting in this service
    throw error;
  }
}

function incidentBands(incidents, frame) {
  return incidents
    .map((i) => ({
      t0: toMillis(i.opened_at),
      t1: toMillis(i.resolved_at) || frame.end,
      open: i.status !== "resolved",
      label: `${i.id} · ${i.severity} · ${i.status} — ${i.title}`,
      href: `#/incidents/${encodeURIComponent(i.id)}`,
      incident: i,
    }))
    .filter((b) => b.t1 >= frame.start && b.t0 <= frame.end);
}

// -- engineering --------------------------------------------------------------------------

const DRIFT = ["feature_drift", "dataset_drift_share", "prediction_drift"];
const ENGINEERING = [
  "label_drift", "data_quality_findings", "latency_seconds", "throughput_per_second", "error_rate",
  "prediction_count", "label_delay_seconds", "kpi",
];

export async function engineering(ctx) {
  const main = ctx.settings.main_metric[ctx.model.task];
  // details are read from each sample's JSON: ask for them only where a chart shows them
  const [drifts, operations, labelled, firing] = await Promise.all([
    fetchSeries(ctx, DRIFT, { match: OVERALL, details: ["threshold"] }),
    fetchSeries(ctx, ENGINEERING, { match: OVERALL }),
    fetchSeries(ctx, ["label_coverage", main], { match: OVERALL, details: ["reference", "min_label_coverage"] }),
    get("v1/alerts", { status: "firing", model: ctx.model.name }).then((r) => r.alerts, () => []),
  ]);
  const frame = frameOf(drifts, operations, labelled);
  if (!frame) return emptyState(ctx.root, ctx);
  const all = [...drifts, ...operations, ...labelled];
  const by = (name) => all.filter((one) => one.name === name);
  const drift = by("feature_drift");
  const features = new Map(drift.map((one) => [one.labels.feature, one.points]));
  const axis = axisFor(frame, [...features.keys()]);

  healthCard(ctx, all, firing, main);
  driftCard(ctx, axis, features, by("dataset_drift_share")[0]);
  const drivers = await newestSample(ctx, "drift_drivers", frame.end);
  if (drivers) {
    ctx.root.append(card(`Drift drivers · window ending ${fmt.time(drivers.window_end)}`, { id: "drivers" }, driversBlock(drivers.details)));
  }
  const findings = qualityCard(ctx, axis, by("data_quality_findings"));

  const root = ctx.root;
  const latency = by("latency_seconds").sort((a, b) => Number(a.labels.quantile) - Number(b.labels.quantile));
  chartCard(root, "Latency", (el) => lineChart(el, {
    axis, yFormat: fmt.ms, zero: true, minSpan: 0.01,
    series: latency.map((one, i) => lineSeries(one, quantile(one.labels), PALETTE[i])),
  }), { id: "latency" });
  chartCard(root, "Throughput", (el) => lineChart(el, {
    axis, zero: true, yFormat: (v) => `${fmt.number(v)}/s`,
    series: by("throughput_per_second").map((one) => lineSeries(one, "predictions per second", PALETTE[0])),
  }), { id: "throughput" });
  chartCard(root, "Error rate", (el) => lineChart(el, {
    axis, zero: true, minSpan: 0.01, yFormat: (v) => fmt.pct(v),
    series: by("error_rate").map((one) => lineSeries(one, "errors / predictions", PALETTE[1])),
  }), { id: "errors" });
  const coverage = by("label_coverage");
  chartCard(root, "Label coverage", (el) => lineChart(el, {
    axis, zero: true, yMax: 1, yFormat: (v) => fmt.pct(v, 0),
    series: coverage.flatMap((one) => [
      lineSeries(one, "labelled share of predictions", PALETTE[2]),
      refSeries(one, "min_label_coverage", "min_label_coverage"),
    ]),
    empty: "no labels have arrived",
  }), { id: "label-coverage" });
  const delay = by("label_delay_seconds").sort((a, b) => Number(a.labels.quantile) - Number(b.labels.quantile));
  chartCard(root, "Label delay", (el) => lineChart(el, {
    axis, zero: true, yFormat: fmt.duration, yUnit: "seconds",
    series: delay.map((one, i) => lineSeries(one, quantile(one.labels), PALETTE[i + 3])),
    empty: "no labels have arrived",
  }), { id: "label-delay" });
  await findings;
}


function healthCard(ctx, all, firing, main) {
  const groups = [
    { key: "quality", title: "Data quality", names: ["data_quality_findings"], href: "#quality" },
    { key: "drift", title: "Feature drift", names: ["feature_drift", "dataset_drift_share"], href: "#drift" },
    { key: "prediction", title: "Prediction drift", names: ["prediction_drift"], href: null, monitor: "drift" },
    { key: "performance", title: "Performance", names: [main], href: null },
    { key: "labels", title: "Labels", names: ["label_coverage", "label_delay_seconds", "label_drift"], href: "#label-coverage" },
    { key: "latency", title: "Latency", names: ["latency_seconds"], href: "#latency" },
    { key: "traffic", title: "Traffic & errors", names: ["throughput_per_second", "error_rate", "prediction_count"], href: "#throughput" },
    { key: "business", title: "Business KPIs", names: ["kpi"], href: null },
  ];
  const find = (name, labels = {}) => all.find((one) => one.name === name && Object.entries(labels).every(([k, v]) => one.labels[k] === v));
  const headline = {
    quality() {
      const n = all.filter((o) => o.name === "data_quality_findings").reduce((sum, o) => sum + (latest(o)?.v || 0), 0);
      return `${n} finding${n === 1 ? "" : "s"} in the latest window`;
    },
    drift() {
      const drift = all.filter((o) => o.name === "feature_drift");
      const drifted = drift.filter((o) => judged(o)?.s === "breach").length;
      return `${drifted} of ${new Set(drift.map((o) => o.labels.feature)).size} features drifted`;
    },
    prediction() {
      const p = judged(find("prediction_drift"));
      return p ? `statistic ${fmt.number(p.v)} (threshold ${fmt.number(p.d.threshold)})` : "—";
    },
    performance() {
      const one = find(main);
      const p = one && [...one.points].reverse().find((x) => x.s === "ok" || x.s === "breach" || x.s === "provisional");
      return p ? `${main} ${fmt.number(p.v)}${p.s === "provisional" ? " (provisional)" : ""} · reference ${fmt.number(p.d.reference)}` : "no labelled windows yet";
    },
    labels() {
      const c = latest(find("label_coverage"));
      const d = judged(find("label_delay_seconds", { quantile: "0.5" }));
      return `newest window ${fmt.pct(c?.v, 0)} labelled · median delay ${fmt.duration(d?.v)}`;
    },
    latency() {
      const p99 = latest(find("latency_seconds", { quantile: "0.99" }));
      const p50 = latest(find("latency_seconds", { quantile: "0.5" }));
      return `p50 ${fmt.ms(p50?.v)} · p99 ${fmt.ms(p99?.v)}`;
    },
    traffic() {
      const t = latest(find("throughput_per_second"));
      const e = latest(find("error_rate"));
      return `${fmt.number(t?.v)}/s · ${fmt.pct(e?.v, 2)} errors`;
    },
    business() {
      const kpis = all.filter((o) => o.name === "kpi");
      return kpis.length ? kpis.map((o) => `${o.labels.kpi} ${fmt.number(latest(o)?.v)}`).join(" · ") : "no KPIs configured";
    },
  };
  const tiles = groups.map((group) => {
    const mine = all.filter((one) => group.names.includes(one.name));
    const status = mine.length ? worst(mine.map((one) => judged(one)?.s || "insufficient_data")) : "insufficient_data";
    const alerts = firing.filter((a) => group.names.includes(a.labels.metric));
    const tile = h(group.href ? "a" : "div", { class: `tile st-${status}`, href: group.href, "data-monitor": group.key, "data-status": status },
      h("div", { class: "tile-title" }, group.title, statusBadge(status)),
      h("div", { class: "tile-value", text: headline[group.key]() }),
      alerts.length ? h("div", { class: "tile-alerts" }, badge(`${alerts.length} firing`, "sev-critical"), " ", alerts.map((a) => a.labels.alertname).filter((v, i, l) => l.indexOf(v) === i).join(", ")) : null);
    if (group.href) tile.addEventListener("click", (event) => {
      event.preventDefault();
      document.querySelector(group.href)?.scrollIntoView({ behavior: "smooth" });
    });
    return tile;
  });
  const newest = Math.max(...all.map((one) => latest(one)?.t1 || 0));
  ctx.root.append(card(`Health of ${ctx.model.name}`, {
    id: "health",
    aside: h("span", { class: "muted", text: `latest ${ctx.window} window ending ${fmt.time(newest)} UTC · ${firing.length} firing alert${firing.length === 1 ? "" : "s"}` }),
  }, h("div", { class: "tiles" }, tiles)));
}

function driftCard(ctx, axis, features, share) {
  const rows = [...features.entries()].map(([feature, points]) => ({
    label: feature,
    breaches: points.filter((p) => p.s === "breach").length,
    cells: points.map((p) => ({ ...p, ratio: p.v !== null && p.d.threshold ? p.v / p.d.threshold : null })),
  }));
  rows.sort((a, b) => b.breaches - a.breaches || a.label.localeCompare(b.label));
  const aside = share ? h("span", { class: "muted", text: `share of features drifted in the latest window: ${fmt.pct(latest(share)?.v, 0)}` }) : null;
  chartCard(ctx.root, "Feature drift", (el) => {
    if (!rows.length) return el.append(note("No feature drift samples in this range."));
    el.append(note("Each cell is one window: the drift statistic divided by its threshold (light: far below, orange: near it); red: drift detected. Hover for the test and values."));
    return heatmap(el, {
      axis, rows,
      cellTip: (cell) => [
        `${cell.test || "test"}: ${fmt.number(cell.v)} (threshold ${fmt.number(cell.d.threshold)})`,
        `status: ${cell.s.replace("_", " ")}`,
      ],
    });
  }, { id: "drift", aside });
}

/** The findings chart, and the findings of the newest window that has any (a promise). */
function qualityCard(ctx, axis, findings) {
  const order = ["critical", "high", "warning", "info"];
  const colors = { critical: "#c92a2a", high: "#e8590c", warning: "#f59f00", info: "#1c7ed6" };
  findings.sort((a, b) => order.indexOf(a.labels.severity) - order.indexOf(b.labels.severity));
  const list = h("div", { class: "findings" });
  const show = async (t0, t1) => {
    list.replaceChildren(note("Loading findings…"));
    const { samples } = await get(`v1/models/${encodeURIComponent(ctx.model.name)}/metrics`, {
      name: "data_quality_findings", start: new Date(t0).toISOString(), end: new Date(t1).toISOString(),
    });
    const rows = samples
      .filter((sample) => sample.labels.window === ctx.window)
      .flatMap((sample) => (sample.details.findings || []).map((f) => ({ ...f, severity: sample.labels.severity, window: sample.window_start })));
    list.replaceChildren(
      h("p", { class: "muted", text: `Findings of the window ${fmt.span(t0, t1)} (click the chart to pick another window):` }),
      table([
        { label: "severity", cell: (r) => badge(r.severity, `sev-${r.severity}`) },
        { label: "check", cell: (r) => r.check },
        { label: "column", cell: (r) => r.column || "—" },
        { label: "finding", cell: (r) => r.message },
      ], rows, { empty: "No findings in this window." }),
    );
  };
  const windows = new Map();
  for (const one of findings) for (const p of one.points) if (p.v > 0) windows.set(p.t0, p);
  const newest = [...windows.values()].sort((a, b) => b.t0 - a.t0)[0];
  const total = findings[0] ? findings[0].points.length : 0;
  chartCard(ctx.root, "Data quality", (el) => {
    el.append(note(`Findings per window by severity: ${windows.size} of ${total} windows in range have findings.`));
    const chart = lineChart(el, {
      axis, zero: true, height: 150, yFormat: (v) => fmt.number(v),
      series: findings.map((one) => lineSeries(one, one.labels.severity, colors[one.labels.severity] || PALETTE[0])),
    });
    chart.svg.addEventListener("click", (event) => {
      const box = chart.svg.getBoundingClientRect();
      const t = axis.time(box.width, event.clientX - box.left);
      const p = findings[0] && findings[0].points.find((x) => x.t0 <= t && t < x.t1);
      if (p) show(p.t0, p.t1);
    });
    el.append(list);
  }, { id: "quality" });
  if (newest) return show(newest.t0, newest.t1);
  list.append(note("No data-quality findings in this range."));
  return Promise.resolve();
}

// -- product ------------------------------------------------------------------------------

export async function product(ctx) {
  const main = ctx.settings.main_metric[ctx.model.task];
  const [performance, metrics, predictions, counts, estimates] = await Promise.all([
    fetchSeries(ctx, [main], { match: ["segment="], details: ["reference", "ci_low", "ci_high", "label_coverage"] }),
    fetchSeries(ctx, [], { match: ["monitor=performance", ...OVERALL], details: ["reference"] }),
    fetchSeries(ctx, ["prediction_drift"], { details: ["threshold", "p_value"] }),
    fetchSeries(ctx, ["prediction_count"], { match: ["segment="] }),
    fetchSeries(ctx, [`estimated_${main}`], { details: ["lower", "upper", "reference_lower", "reference_upper"] }),
  ]);
  const frame = frameOf(performance, predictions, counts, estimates);
  if (!frame) return emptyState(ctx.root, ctx);
  const axis = axisFor(frame, []);
  const root = ctx.root;
  const overall = (list) => list.filter((one) => !one.labels.model_version && !one.labels.segment);
  const versions = (list) => list.filter((one) => one.labels.model_version).sort((a, b) => a.labels.model_version.localeCompare(b.labels.model_version));

  // predictions
  const drift = overall(predictions)[0];
  const pTip = (p) => (p.d.p_value !== null && p.d.p_value !== undefined ? `p = ${fmt.number(p.d.p_value)}` : "");
  chartCard(root, "Prediction distribution: drift from the reference", (el) => {
    el.append(note("The deciding drift statistic of the prediction column per window (dashed: its threshold; red dots: drift detected)."));
    if (!drift) return el.append(note("No prediction drift samples in this range."));
    return lineChart(el, {
      axis, zero: true,
      series: [
        lineSeries(drift, `all traffic (${drift.labels.test})`, PALETTE[0], { detail: pTip }),
        ...versions(predictions).map((one, i) => lineSeries(one, one.labels.model_version, PALETTE[i + 1], { detail: pTip })),
        refSeries(drift, "threshold", "threshold", "#e03131"),
      ],
    });
  }, { id: "prediction-drift" });
  const segments = predictions.filter((one) => one.labels.segment);
  for (const key of [...new Set(segments.map((one) => one.labels.segment))]) {
    const mine = segments.filter((one) => one.labels.segment === key);
    chartCard(root, `Prediction drift by ${key}`, (el) => lineChart(el, {
      axis, zero: true,
      series: mine.map((one, i) => lineSeries(one, `${key}=${one.labels.segment_value}`, PALETTE[i % PALETTE.length], { detail: pTip })),
    }), { class: "card half" });
  }

  // performance
  const mainOverall = overall(performance).find((one) => one.name === main);
  const interval = (one) => one.points.map((p) => ({ ...p, lo: p.d.ci_low, hi: p.d.ci_high }));
  const coverageTip = (p) => (p.d.label_coverage !== null && p.d.label_coverage !== undefined ? `labels ${fmt.pct(p.d.label_coverage, 0)}` : "");
  const estimated = estimates[0];
  const band = (one) => one.points.map((p) => ({ ...p, lo: p.d.lower, hi: p.d.upper }));
  const rangeTip = (p) => (p.d.reference_lower !== null && p.d.reference_lower !== undefined ? `reference range ${fmt.number(p.d.reference_lower)}–${fmt.number(p.d.reference_upper)}` : "");
  chartCard(root, `Performance: ${main}`, (el) => {
    el.append(note("Solid: realized on enough labels; dashed with hollow dots: provisional (label coverage below min_label_coverage); shaded: 95% interval; grey dashed: the value on the reference data. Estimated (no labels needed, assumes no concept drift): its band shaded, red dots where it left the reference range."));
    if (!mainOverall && !estimated) return el.append(note("No performance samples yet: labels have not arrived for this range."));
    return lineChart(el, {
      axis,
      series: [
        ...(mainOverall ? [{ label: main, color: PALETTE[0], points: interval(mainOverall), interval: true, detail: coverageTip }] : []),
        ...(estimated ? [{ label: `estimated ${main}`, color: PALETTE[3], points: band(estimated), interval: true, detail: rangeTip }] : []),
        ...(mainOverall ? [refSeries(mainOverall, "reference", "reference")] : []),
      ],
    });
  }, { id: "performance" });
  const mainVersions = versions(performance).filter((one) => one.name === main);
  if (mainVersions.length) {
    chartCard(root, `${main} by model version`, (el) => lineChart(el, {
      axis,
      series: [
        ...mainVersions.map((one, i) => lineSeries(one, one.labels.model_version, PALETTE[i + 1], { detail: coverageTip })),
        ...(mainOverall ? [refSeries(mainOverall, "reference", "reference")] : []),
      ],
    }), { id: "performance-versions" });
  }
  const slices = await newestSample(ctx, "performance_slices", frame.end);
  if (slices) {
    root.append(card(`Worst slices (${slices.details.metric}) · window ending ${fmt.time(slices.window_end)}`, { id: "slices" }, slicesBlock(slices.details)));
  }
  metricsTable(root, metrics, ctx.settings.higher_is_better);
  versionsTable(root, counts, performance, predictions, main);
  if (segments.length) segmentsTable(root, segments);
}

function metricsTable(root, list, higherIsBetter) {
  const rows = list
    .filter((one) => one.points.some((p) => p.d.reference !== null && p.d.reference !== undefined))
    .map((one) => {
      const realized = [...one.points].reverse().find((p) => p.s === "ok" || p.s === "breach");
      const provisional = [...one.points].reverse().find((p) => p.s === "provisional");
      const values = one.points.filter((p) => (p.s === "ok" || p.s === "breach") && p.v !== null).map((p) => p.v);
      const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
      const reference = (realized || one.points.at(-1)).d.reference;
      return { name: one.name, realized, provisional, mean, reference, higher: higherIsBetter.includes(one.name) };
    });
  const change = (r) => {
    if (!r.realized || !r.reference) return "—";
    const delta = (r.realized.v - r.reference) / Math.abs(r.reference);
    const worse = r.higher ? delta < 0 : delta > 0;
    return h("span", { class: Math.abs(delta) >= 0.05 && worse ? "bad" : "", text: `${delta >= 0 ? "+" : ""}${fmt.pct(delta)}` });
  };
  root.append(card("Performance metrics", { id: "metrics" }, table([
    { label: "metric", cell: (r) => r.name },
    { label: "latest realized", class: "num", cell: (r) => (r.realized ? fmt.number(r.realized.v) : "—") },
    { label: "window", cell: (r) => (r.realized ? fmt.time(r.realized.t0) : "—") },
    { label: "latest provisional", class: "num", cell: (r) => (r.provisional ? h("span", { class: "provisional", text: fmt.number(r.provisional.v) }) : "—") },
    { label: "mean in range", class: "num", cell: (r) => fmt.number(r.mean) },
    { label: "reference", class: "num", cell: (r) => fmt.number(r.reference) },
    { label: "latest vs reference", class: "num", cell: change },
  ], rows, { empty: "No labelled windows in this range." })));
}

function versionsTable(root, counts, performance, predictions, main) {
  const rows = counts
    .filter((one) => one.labels.model_version)
    .map((one) => {
      const version = one.labels.model_version;
      const served = one.points.filter((p) => p.v > 0);
      const perf = performance.find((o) => o.name === main && o.labels.model_version === version);
      const judged = perf ? perf.points.filter((p) => (p.s === "ok" || p.s === "breach") && p.v !== null) : [];
      const drift = predictions.find((o) => o.labels.model_version === version);
      return {
        version,
        predictions: one.points.reduce((a, p) => a + (p.v || 0), 0),
        first: served[0]?.t0,
        last: served.at(-1)?.t1,
        perf: judged.length ? judged.reduce((a, p) => a + p.v, 0) / judged.length : null,
        reference: judged.at(-1)?.d.reference,
        breaches: drift ? drift.points.filter((p) => p.s === "breach").length : null,
        tested: drift ? drift.points.filter((p) => p.s !== "insufficient_data").length : 0,
      };
    });
  const total = rows.reduce((a, r) => a + r.predictions, 0) || 1;
  root.append(card("Model versions compared", { id: "versions" }, table([
    { label: "version", cell: (r) => badge(r.version, "version") },
    { label: "predictions", class: "num", cell: (r) => fmt.number(r.predictions) },
    { label: "share", class: "num", cell: (r) => fmt.pct(r.predictions / total) },
    { label: "served", cell: (r) => (r.first ? `${fmt.time(r.first)} – ${fmt.time(r.last)}` : "—") },
    { label: `mean ${main} (realized)`, class: "num", cell: (r) => fmt.number(r.perf) },
    { label: "reference", class: "num", cell: (r) => fmt.number(r.reference) },
    { label: "prediction drift", cell: (r) => (r.tested ? `${r.breaches} of ${r.tested} windows` : "not tested") },
  ], rows, { empty: "No model_version on the predictions in this range." })));
}

function segmentsTable(root, segments) {
  const rows = segments.map((one) => {
    const tested = one.points.filter((p) => p.s !== "insufficient_data");
    const last = [...tested].reverse()[0];
    return {
      key: one.labels.segment, value: one.labels.segment_value,
      breaches: tested.filter((p) => p.s === "breach").length, tested: tested.length, last,
    };
  });
  rows.sort((a, b) => b.breaches - a.breaches || a.key.localeCompare(b.key) || a.value.localeCompare(b.value));
  root.append(card("Segments compared (prediction drift)", { id: "segments" }, table([
    { label: "segment", cell: (r) => `${r.key}=${r.value}` },
    { label: "drifted windows", cell: (r) => (r.tested ? h("span", { class: r.breaches ? "bad" : "", text: `${r.breaches} of ${r.tested}` }) : h("span", { class: "muted", text: "not tested (under 100 predictions per window)" })) },
    { label: "latest statistic", class: "num", cell: (r) => (r.last ? fmt.number(r.last.v) : "—") },
    { label: "latest status", cell: (r) => (r.last ? statusBadge(r.last.s) : "—") },
  ], rows)));
}

// -- business -----------------------------------------------------------------------------

export async function business(ctx) {
  const [kpis, counts, incidents] = await Promise.all([
    fetchSeries(ctx, ["kpi"]),
    fetchSeries(ctx, ["prediction_count"], { match: OVERALL }),
    incidentsOf(ctx),
  ]);
  const frame = frameOf(kpis, counts);
  if (!frame) return emptyState(ctx.root, ctx);
  const bands = incidentBands(incidents, frame);
  // what each KPI aggregates is in the details of its newest samples
  const newest = (counts[0] || kpis[0]).points.at(-1);
  const meta = await get(`v1/models/${encodeURIComponent(ctx.model.name)}/metrics`, {
    name: "kpi", start: new Date(newest.t0).toISOString(), end: new Date(newest.t1).toISOString(),
  });
  const root = ctx.root;
  const names = [...new Set(kpis.map((one) => one.labels.kpi))].sort();
  if (!names.length) {
    root.append(card("Business KPIs", {}, note("No KPIs are configured for this model: add `kpis: {name: {outcome: NAME, aggregate: rate|sum|mean|count}}` to its config and send outcomes to /v1/models/{model}/outcomes.")));
  }
  const aggregate = {};
  for (const sample of meta.samples) aggregate[sample.labels.kpi] = sample.details;
  const format = (name) => (aggregate[name]?.aggregate === "rate" ? (v) => fmt.pct(v) : (v) => fmt.number(v));
  const axis = axisFor(frame, []);
  root.append(card("KPIs", { id: "kpis" }, h("div", { class: "tiles" }, names.map((name) => kpiTile(name, kpis, aggregate[name], format(name))))));
  for (const name of names) {
    const mine = kpis.filter((one) => one.labels.kpi === name);
    const overall = mine.find((one) => !one.labels.model_version && !one.labels.segment);
    const versions = mine.filter((one) => one.labels.model_version);
    const spec = aggregate[name] ? ` — ${aggregate[name].aggregate} of “${aggregate[name].outcome}” outcomes` : "";
    chartCard(root, `${name}${spec}: by model version`, (el) => lineChart(el, {
      axis, bands, yFormat: format(name),
      series: [
        ...versions.map((one, i) => lineSeries(one, one.labels.model_version, PALETTE[i])),
        ...(overall ? [lineSeries(overall, "all traffic", "#212529")] : []),
      ],
    }), { class: "card kpi-card", "data-kpi": name });
    const segments = mine.filter((one) => one.labels.segment);
    for (const key of [...new Set(segments.map((one) => one.labels.segment))]) {
      chartCard(root, `${name}: by ${key}`, (el) => lineChart(el, {
        axis, bands, yFormat: format(name),
        series: segments.filter((one) => one.labels.segment === key)
          .map((one, i) => lineSeries(one, `${key}=${one.labels.segment_value}`, PALETTE[(i + 2) % PALETTE.length])),
      }), { class: "card kpi-card", "data-kpi": name });
    }
  }
  root.append(card("Incidents in this range", { id: "incidents-in-range", aside: h("span", { class: "muted", text: "shaded on the charts above; click a band or a row" }) },
    table([
      { label: "incident", cell: (b) => h("a", { href: b.href, text: b.incident.id }) },
      { label: "severity", cell: (b) => badge(b.incident.severity, `sev-${b.incident.severity}`) },
      { label: "status", cell: (b) => badge(b.incident.status, `inc-${b.incident.status}`) },
      { label: "title", cell: (b) => b.incident.title },
      { label: "from", cell: (b) => fmt.time(b.t0) },
      { label: "to", cell: (b) => (b.incident.resolved_at ? fmt.time(b.t1) : "ongoing") },
    ], bands, { empty: "No incidents in this range." })));
}

function kpiTile(name, kpis, spec, format) {
  const overall = kpis.find((one) => one.labels.kpi === name && !one.labels.model_version && !one.labels.segment);
  const points = overall ? overall.points.filter((p) => p.v !== null) : [];
  const end = points.length ? points.at(-1).t1 : 0;
  const mean = (list) => (list.length ? list.reduce((a, p) => a + p.v, 0) / list.length : null);
  const lastDay = mean(points.filter((p) => p.t0 >= end - 24 * HOUR));
  const dayBefore = mean(points.filter((p) => p.t0 >= end - 48 * HOUR && p.t0 < end - 24 * HOUR));
  const change = lastDay !== null && dayBefore ? (lastDay - dayBefore) / Math.abs(dayBefore) : null;
  return h("div", { class: "tile kpi", "data-kpi": name },
    h("div", { class: "tile-title", text: name }),
    h("div", { class: "tile-big", text: format(lastDay) }),
    h("div", { class: "tile-value" }, "last 24 h",
      change !== null ? h("span", { class: change < -0.05 ? "bad" : change > 0.05 ? "good" : "", text: ` · ${change >= 0 ? "+" : ""}${fmt.pct(change)} vs the day before` }) : null),
    spec ? h("div", { class: "muted", text: `${spec.aggregate} of ${spec.outcome}` }) : null);
}


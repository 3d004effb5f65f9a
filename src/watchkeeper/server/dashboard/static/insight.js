// Root-cause tables shared by the incident page and the views: drift drivers (features ranked
// by importance-weighted drift, with the share of the prediction change each explains and its
// impact) and the worst performance slices, from the details of the drift_drivers and
// performance_slices samples.

import { get } from "./api.js";
import { badge, fmt, h, table } from "./ui.js";

const IMPACT = { high: "st-breach", medium: "st-provisional", low: "st-insufficient_data" };

/** The drivers' lead sentence and table. */
export function driversBlock(d) {
  const lead = d.low_impact
    ? "Every drifted feature is unimportant to the model: low impact."
    : `Prediction shift explained: ${d.prediction_shift === null || d.prediction_shift === undefined ? "—" : fmt.number(d.prediction_shift)}.`;
  return h("div", { class: "drivers" },
    h("p", { class: "small", text: `${lead} Importances: ${d.importance_note || d.importance_source}.` }),
    table([
      { label: "feature", cell: (r) => r.feature },
      { label: "drift / threshold", class: "num", cell: (r) => (r.statistic === null || !r.threshold ? "—" : fmt.number(r.statistic / r.threshold)) },
      { label: "importance", class: "num", cell: (r) => fmt.pct(r.importance, 1) },
      { label: "weighted drift", class: "num", cell: (r) => fmt.number(r.weighted_drift) },
      { label: "explains", class: "num", cell: (r) => fmt.pct(r.explained_share, 0) },
      { label: "impact", cell: (r) => badge(r.impact, IMPACT[r.impact] || "") },
      { label: "", cell: (r) => (r.drifted ? badge("drifted", "st-breach") : "") },
    ], d.drivers));
}

/** The slices table, worst first. */
export function slicesBlock(sl) {
  return table([
    { label: "slice", cell: (r) => `${r.column} = ${r.value}` },
    { label: "rows", class: "num", cell: (r) => String(r.rows) },
    { label: "share", class: "num", cell: (r) => fmt.pct(r.share, 1) },
    { label: sl.metric, class: "num", cell: (r) => fmt.number(r.metric) },
    { label: "overall", class: "num", cell: (r) => fmt.number(r.overall) },
    { label: "impact", class: "num", cell: (r) => fmt.number(r.impact) },
  ], sl.slices, { empty: "No slice is worse than the window as a whole." });
}

/** The newest sample of ``name`` for the view's model and window within ``days`` before
 * ``end`` (milliseconds), or null: details with lists come from the metrics API, not series. */
export async function newestSample(ctx, name, end, days = 7) {
  const start = new Date(end - days * 86400e3).toISOString();
  const found = await get(`v1/models/${encodeURIComponent(ctx.model.name)}/metrics`, { name, start }).then((r) => r.samples, () => []);
  const mine = found.filter((s) => s.labels.window === ctx.window);
  return mine.length ? mine.reduce((a, b) => (a.window_end >= b.window_end ? a : b)) : null;
}

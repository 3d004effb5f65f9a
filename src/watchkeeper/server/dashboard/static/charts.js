// SVG charts on a shared time axis: line charts (realized, provisional, breaches, intervals,
// reference lines, incident bands) and a heatmap (rows x windows). Hovering one chart moves a
// cursor through every chart of the same axis; the hovered one shows a tooltip.

import { h, s, fmt, clear } from "./ui.js";

export const PALETTE = [
  "#1c7ed6", "#e8590c", "#2f9e44", "#7048e8", "#d6336c", "#0c8599", "#f59f00", "#5c940d",
  "#862e9c", "#495057",
];
export const STATUS_COLOR = {
  ok: "#2f9e44", breach: "#e03131", provisional: "#f08c00", insufficient_data: "#adb5bd",
};

const HOUR = 3600e3;
const DAY = 24 * HOUR;
const TIME_STEPS = [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY];
const MARGIN = { top: 12, right: 18, bottom: 24 };
const live = new Set(); // charts on the page, redrawn when the window is resized

export const mid = (p) => (p.t0 + p.t1) / 2;

/** The time domain [t0, t1] (ms) shared by the charts of a view, and their hover cursor. */
export class TimeAxis {
  constructor(t0, t1, { left = 64 } = {}) {
    this.t0 = t0;
    this.t1 = t1 > t0 ? t1 : t0 + HOUR;
    this.left = left;
    this.charts = new Set();
  }

  x(width) {
    const span = width - this.left - MARGIN.right;
    return (t) => this.left + ((t - this.t0) / (this.t1 - this.t0)) * span;
  }

  time(width, x) {
    const span = width - this.left - MARGIN.right;
    return this.t0 + ((x - this.left) / span) * (this.t1 - this.t0);
  }

  hover(t, source) {
    for (const chart of this.charts) {
      if (chart.svg.isConnected) chart.cursor(t, chart === source);
      else this.charts.delete(chart);
    }
  }

  ticks(width) {
    const room = Math.max(2, (width - this.left - MARGIN.right) / 84);
    const step = TIME_STEPS.find((st) => (this.t1 - this.t0) / st <= room) || TIME_STEPS.at(-1);
    const out = [];
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
      const label = step < DAY && t % DAY !== 0 ? fmt.clock(t) : fmt.day(t);
      out.push({ t, label, major: t % DAY === 0 });
    }
    return out;
  }
}

const queue = [];

/**
 * Draw a chart into `container` a moment later, with the other charts of the same task: every
 * container's width is read in one layout pass, then all are drawn (reading a width between
 * drawing charts would lay the whole page out again each time).
 */
export function defer(container, draw) {
  queue.push({ container, draw });
  if (queue.length === 1) queueMicrotask(flushCharts);
}

export function flushCharts() {
  const jobs = queue.splice(0);
  const widths = jobs.map((job) => job.container.clientWidth);
  jobs.forEach((job, i) => {
    job.container.dataset.width = widths[i];
    job.draw();
  });
}

window.addEventListener("resize", () => {
  clearTimeout(window.__wkResize);
  window.__wkResize = setTimeout(() => {
    for (const chart of live) if (!chart.container.isConnected) live.delete(chart);
    const charts = [...live];
    const widths = charts.map((chart) => chart.container.clientWidth);
    charts.forEach((chart, i) => {
      chart.container.dataset.width = widths[i];
      chart.draw();
    });
  }, 150);
});

// steps for axes in seconds: 1 s ... 1 week
const SECOND_STEPS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** Round numbers for a y axis (in seconds when unit is "seconds"), and the domain they span. */
export function niceTicks(lo, hi, count = 4, unit = null) {
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    lo = lo === 0 ? 0 : lo - pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  if (unit === "seconds" && raw >= 1) step = SECOND_STEPS.find((st) => st >= raw) || step;
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const values = [];
  for (let v = start; v <= end + step / 2; v += step) values.push(Number(v.toPrecision(12)));
  return { values, lo: start, hi: end };
}

/** The point of `points` (sorted by time) whose window holds t, else the nearest. */
export function pointAt(points, t) {
  let lo = 0;
  let hi = points.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (points[m].t1 <= t) lo = m + 1;
    else hi = m;
  }
  const here = points[lo];
  const before = points[lo - 1];
  if (before && Math.abs(mid(before) - t) < Math.abs(mid(here) - t)) return before;
  return here;
}

const finite = (v) => v !== null && v !== undefined && Number.isFinite(v);

class Chart {
  constructor(container, axis, height, kind) {
    this.container = container;
    this.axis = axis;
    this.height = height;
    this.kind = kind;
    this.wrap = h("div", { class: `chart chart-${kind}` });
    this.svg = s("svg", { class: "plot", "data-kind": kind, role: "img" });
    this.tip = h("div", { class: "tip", hidden: true });
    this.legend = h("div", { class: "legend" });
    this.wrap.append(this.svg, this.tip, this.legend);
    container.append(this.wrap);
    axis.charts.add(this);
    live.add(this);
    this.svg.addEventListener("mousemove", (event) => this.move(event));
    this.svg.addEventListener("mouseleave", () => this.axis.hover(null, this));
  }

  get width() {
    const measured = Number(this.container.dataset.width) || this.container.clientWidth;
    return Math.max(320, measured || 800);
  }

  frame() {
    const width = this.width;
    clear(this.svg);
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", this.height);
    this.svg.setAttribute("viewBox", `0 0 ${width} ${this.height}`);
    this.x = this.axis.x(width);
    this.plotBottom = this.height - MARGIN.bottom;
    const ticks = s("g", { class: "x-axis" });
    for (const tick of this.axis.ticks(width)) {
      const x = this.x(tick.t);
      ticks.append(
        s("line", { x1: x, x2: x, y1: MARGIN.top, y2: this.plotBottom, class: tick.major ? "grid major" : "grid" }),
        s("text", { x, y: this.height - 7, "text-anchor": "middle", text: tick.label }),
      );
    }
    this.svg.append(ticks);
    this.cursorLine = s("line", { class: "cursor", y1: MARGIN.top, y2: this.plotBottom, visibility: "hidden" });
    return width;
  }

  move(event) {
    const box = this.svg.getBoundingClientRect();
    const x = event.clientX - box.left;
    if (x < this.axis.left || x > box.width - MARGIN.right) {
      this.axis.hover(null, this);
      return;
    }
    this.pointer = { x, y: event.clientY - box.top };
    this.axis.hover(this.axis.time(box.width, x), this);
  }

  cursor(t, isSource) {
    if (!this.cursorLine) return;
    if (t === null) {
      this.cursorLine.setAttribute("visibility", "hidden");
      this.tip.hidden = true;
      return;
    }
    const x = this.x(t);
    this.cursorLine.setAttribute("x1", x);
    this.cursorLine.setAttribute("x2", x);
    this.cursorLine.setAttribute("visibility", "visible");
    if (!isSource) {
      this.tip.hidden = true;
      return;
    }
    const content = this.tipContent(t, this.pointer);
    if (!content) {
      this.tip.hidden = true;
      return;
    }
    clear(this.tip).append(content);
    this.tip.hidden = false;
    const room = this.wrap.clientWidth;
    const left = x + 14 + this.tip.offsetWidth > room ? x - 14 - this.tip.offsetWidth : x + 14;
    this.tip.style.left = `${Math.max(0, left)}px`;
    this.tip.style.top = `${Math.max(0, (this.pointer ? this.pointer.y : 20) - 10)}px`;
  }
}

// -- line chart ---------------------------------------------------------------------------

/**
 * lineChart(container, {axis, series, height, yFormat, zero, yMin, yMax, bands, empty})
 * series: [{label, color, points: [{t0, t1, v, s, lo?, hi?}], ref?: true (a dashed step line,
 *   e.g. a reference or threshold), interval?: true (shade lo..hi), detail?(point) -> text}]
 * bands: [{t0, t1, label, href, open}] — incidents, shaded over the plot and linked.
 * Statuses: ok and breach are drawn solid (a breach gets a red dot), provisional dashed with
 * hollow dots, insufficient_data dotted and faded.
 */
export function lineChart(container, options) {
  const chart = new Chart(container, options.axis, options.height || 190, "line");
  chart.options = options;
  chart.hidden = new Set();
  chart.draw = () => drawLines(chart);
  chart.tipContent = (t) => lineTip(chart, t);
  chart.draw();
  return chart;
}

function drawLines(chart) {
  const { series, yFormat = fmt.number, bands = [] } = chart.options;
  const width = chart.frame();
  const shown = series.filter((one) => !chart.hidden.has(one.label));
  const values = [];
  for (const one of shown) {
    for (const p of one.points) {
      if (finite(p.v)) values.push(p.v);
      if (one.interval && finite(p.lo) && finite(p.hi)) values.push(p.lo, p.hi);
    }
  }
  let drawn = 0;
  if (values.length) {
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    if (chart.options.zero) lo = Math.min(lo, 0);
    if (chart.options.yMin !== undefined) lo = Math.min(lo, chart.options.yMin);
    if (chart.options.yMax !== undefined) hi = Math.max(hi, chart.options.yMax);
    if (chart.options.minSpan && hi - lo < chart.options.minSpan) hi = lo + chart.options.minSpan;
    const ticks = niceTicks(lo, hi, 4, chart.options.yUnit);
    const top = MARGIN.top;
    const bottom = chart.plotBottom;
    const y = (v) => bottom - ((v - ticks.lo) / (ticks.hi - ticks.lo)) * (bottom - top);
    chart.y = y;
    const grid = s("g", { class: "y-axis" });
    for (const v of ticks.values) {
      grid.append(
        s("line", { x1: chart.axis.left, x2: width - MARGIN.right, y1: y(v), y2: y(v), class: "grid" }),
        s("text", { x: chart.axis.left - 6, y: y(v) + 4, "text-anchor": "end", text: yFormat(v) }),
      );
    }
    chart.svg.append(grid, drawBands(chart, bands));
    const layer = s("g", { class: "series" });
    shown.forEach((one) => {
      drawn += drawSeries(layer, one, chart.x, y);
    });
    chart.svg.append(layer);
  } else {
    chart.svg.append(
      drawBands(chart, bands),
      s("text", { class: "empty", x: width / 2, y: chart.height / 2, "text-anchor": "middle", text: chart.options.empty || "no data in this range" }),
    );
  }
  chart.svg.setAttribute("data-points", drawn);
  chart.svg.setAttribute("data-series", shown.length);
  chart.svg.append(chart.cursorLine);
  drawLegend(chart);
}

function drawBands(chart, bands) {
  const group = s("g", { class: "bands" });
  for (const band of bands) {
    const x0 = Math.max(chart.axis.left, chart.x(band.t0));
    const x1 = Math.min(chart.x(chart.axis.t1), chart.x(band.t1));
    if (x1 < chart.axis.left || x0 > chart.x(chart.axis.t1)) continue;
    const link = s("a", { href: band.href, class: `band ${band.open ? "open" : "closed"}` },
      s("title", { text: band.label }),
      s("rect", { x: x0, y: MARGIN.top, width: Math.max(2, x1 - x0), height: chart.plotBottom - MARGIN.top }),
      s("path", { class: "flag", d: `M${x0},${MARGIN.top} l6,0 l-6,8 z` }),
    );
    group.append(link);
  }
  return group;
}

function drawSeries(layer, one, x, y) {
  const color = one.color || PALETTE[0];
  if (one.interval) {
    for (const run of runs(one.points, (p) => finite(p.lo) && finite(p.hi))) {
      const upper = run.map((p) => `${x(mid(p)).toFixed(1)},${y(p.hi).toFixed(1)}`);
      const lower = run.reverse().map((p) => `${x(mid(p)).toFixed(1)},${y(p.lo).toFixed(1)}`);
      layer.append(s("path", { class: "interval", d: `M${upper.join("L")}L${lower.join("L")}Z`, fill: color }));
    }
  }
  if (one.ref) {
    let d = "";
    for (const run of runs(one.points, (p) => finite(p.v))) {
      d += run.map((p, i) => `${i ? "L" : "M"}${x(p.t0).toFixed(1)},${y(p.v).toFixed(1)}H${x(p.t1).toFixed(1)}`).join("");
    }
    if (d) layer.append(s("path", { class: "ref", d, stroke: color }));
    return 0;
  }
  const kinds = { ok: "solid", breach: "solid", provisional: "dashed", insufficient_data: "dotted" };
  const paths = { solid: "", dashed: "", dotted: "" };
  let previous = null;
  let count = 0;
  one.points.forEach((p, i) => {
    if (!finite(p.v)) {
      previous = null;
      return;
    }
    count += 1;
    const point = [x(mid(p)).toFixed(1), y(p.v).toFixed(1)];
    if (previous) {
      const kind = kinds[p.s] === "solid" ? kinds[previous.s] || "solid" : kinds[p.s] || "solid";
      paths[kind] += `M${previous.point[0]},${previous.point[1]}L${point[0]},${point[1]}`;
    } else if (!finite(one.points[i + 1]?.v)) {
      paths[kinds[p.s] || "solid"] += `M${point[0]},${point[1]}h0.01`; // a lone point
    }
    previous = { point, s: p.s };
  });
  for (const [kind, d] of Object.entries(paths)) {
    if (d) layer.append(s("path", { class: `line ${kind}`, d, stroke: color, "data-series": one.label }));
  }
  const dots = s("g", { class: "dots" });
  const sparse = one.points.length <= 240;
  for (const p of one.points) {
    if (!finite(p.v)) continue;
    if (p.s === "breach") {
      dots.append(s("circle", { class: "breach", cx: x(mid(p)), cy: y(p.v), r: 3.2 }));
    } else if (p.s === "provisional" && sparse) {
      dots.append(s("circle", { class: "provisional", cx: x(mid(p)), cy: y(p.v), r: 2.6, stroke: color }));
    }
  }
  if (dots.firstChild) layer.append(dots);
  return count;
}

function runs(points, keep) {
  const out = [];
  let run = [];
  for (const p of points) {
    if (keep(p)) run.push(p);
    else if (run.length) {
      out.push(run);
      run = [];
    }
  }
  if (run.length) out.push(run);
  return out;
}

function drawLegend(chart) {
  clear(chart.legend);
  for (const one of chart.options.series) {
    if (one.legend === false) continue;
    const off = chart.hidden.has(one.label);
    const empty = !one.points.some((p) => finite(p.v));
    const item = h("button", {
      type: "button",
      class: `key${off || empty ? " off" : ""}${one.ref ? " ref" : ""}`,
      title: empty ? "no values in this range" : off ? "show" : "hide",
      onclick: () => {
        if (off) chart.hidden.delete(one.label);
        else chart.hidden.add(one.label);
        chart.draw();
      },
    }, h("i", { class: "swatch" }), empty ? `${one.label} (no data)` : one.label);
    item.firstChild.style.background = one.color || PALETTE[0];
    chart.legend.append(item);
  }
}

function lineTip(chart, t) {
  const { series, yFormat = fmt.number, bands = [] } = chart.options;
  const rows = [];
  let span = null;
  for (const one of series) {
    if (chart.hidden.has(one.label)) continue;
    const p = pointAt(one.points, t);
    if (!p || Math.abs(mid(p) - t) > (p.t1 - p.t0) * 1.5) continue;
    span = span || p;
    const swatch = h("i", { class: "swatch" });
    swatch.style.background = one.color || PALETTE[0];
    const extra = [];
    if (p.s && p.s !== "ok") extra.push(p.s.replace("_", " "));
    if (one.interval && finite(p.lo)) extra.push(`95% ${yFormat(p.lo)}–${yFormat(p.hi)}`);
    if (one.detail) extra.push(one.detail(p));
    rows.push(h("div", { class: `tip-row st-${p.s}` }, swatch, h("span", { text: one.label }),
      h("b", { text: finite(p.v) ? yFormat(p.v) : "—" }),
      extra.filter(Boolean).length ? h("small", { text: extra.filter(Boolean).join(" · ") }) : null));
  }
  for (const band of bands) {
    if (band.t0 <= t && t <= band.t1) rows.push(h("div", { class: "tip-incident", text: band.label }));
  }
  if (!rows.length) return null;
  return h("div", {}, h("div", { class: "tip-head", text: span ? fmt.span(span.t0, span.t1) : fmt.time(t) }), rows);
}

// -- heatmap --------------------------------------------------------------------------------

const RAMP = [
  [0, [231, 245, 255]],
  [0.5, [165, 216, 255]],
  [0.85, [255, 216, 168]],
  [1, [255, 146, 43]],
];

/** The fill of a heatmap cell: statistic / threshold on a light ramp, breaches red. */
export function cellColor(cell) {
  if (cell.s === "insufficient_data" || !finite(cell.ratio)) return "#e9ecef";
  if (cell.s === "breach") {
    const k = Math.min(1, Math.max(0, (cell.ratio - 1) / 4));
    return `rgb(${Math.round(240 - 74 * k)},${Math.round(62 - 32 * k)},${Math.round(62 - 32 * k)})`;
  }
  const r = Math.min(1, Math.max(0, cell.ratio));
  for (let i = 1; i < RAMP.length; i += 1) {
    const [b, cb] = RAMP[i];
    const [a, ca] = RAMP[i - 1];
    if (r <= b) {
      const k = (r - a) / (b - a);
      return `rgb(${ca.map((c, j) => Math.round(c + (cb[j] - c) * k)).join(",")})`;
    }
  }
  return "rgb(255,146,43)";
}

/**
 * heatmap(container, {axis, rows: [{label, cells: [{t0, t1, ratio, s, ...}]}], rowHeight,
 * cellTip(cell, row) -> [text]}). Neighbouring windows narrower than 3 px are merged into one
 * cell showing the worst of them.
 */
export function heatmap(container, options) {
  const rowHeight = options.rowHeight || 18;
  const height = MARGIN.top + rowHeight * options.rows.length + MARGIN.bottom;
  const chart = new Chart(container, options.axis, height, "heatmap");
  chart.options = options;
  chart.draw = () => drawHeatmap(chart, rowHeight);
  chart.tipContent = (t, pointer) => heatTip(chart, t, pointer, rowHeight);
  chart.draw();
  return chart;
}

function drawHeatmap(chart, rowHeight) {
  const width = chart.frame();
  const left = chart.axis.left;
  const plotWidth = width - left - MARGIN.right;
  const rows = chart.options.rows;
  // the cells are painted on a canvas shown as one SVG <image>: thousands of <rect>s (20
  // features x 720 windows) would cost the browser more to lay out than everything else
  const scale = window.devicePixelRatio || 1;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(plotWidth * scale));
  canvas.height = Math.max(1, Math.round(rows.length * rowHeight * scale));
  const paint = canvas.getContext("2d");
  paint.scale(scale, scale);
  const labels = s("g", { class: "row-labels" });
  const breaches = s("g", { class: "cells" });
  let count = 0;
  chart.buckets = rows.map((row, i) => {
    const y = MARGIN.top + i * rowHeight;
    const name = row.label.length > 22 ? `${row.label.slice(0, 21)}…` : row.label;
    labels.append(s("text", { x: left - 6, y: y + rowHeight * 0.7, "text-anchor": "end", text: name }, s("title", { text: row.label })));
    const merged = mergeCells(row.cells, chart.x, 2);
    let run = null; // consecutive breached windows get one outline
    const outline = () => {
      if (!run) return;
      const x0 = Math.max(left, chart.x(run.t0));
      const x1 = Math.min(width - MARGIN.right, chart.x(run.t1));
      if (x1 > x0) breaches.append(s("rect", { class: "breach", x: x0.toFixed(1), y: y + 1, width: (x1 - x0).toFixed(1), height: rowHeight - 2 }));
      run = null;
    };
    for (const cell of merged) {
      const x0 = Math.max(left, chart.x(cell.t0));
      const x1 = Math.min(width - MARGIN.right, chart.x(cell.t1));
      count += 1;
      if (x1 <= x0) continue;
      paint.fillStyle = cellColor(cell);
      paint.fillRect(x0 - left, i * rowHeight + 1, Math.max(1, x1 - x0 - 0.4), rowHeight - 2);
      if (cell.s !== "breach") outline();
      else if (run && run.t1 === cell.t0) run.t1 = cell.t1;
      else {
        outline();
        run = { t0: cell.t0, t1: cell.t1 };
      }
    }
    outline();
    return merged;
  });
  const image = s("image", { class: "cells-image", x: left, y: MARGIN.top, width: plotWidth, height: rows.length * rowHeight, preserveAspectRatio: "none" });
  image.setAttribute("href", canvas.toDataURL("image/png"));
  chart.svg.append(image, breaches, labels, chart.cursorLine);
  chart.svg.setAttribute("data-points", count);
  chart.svg.setAttribute("data-series", chart.options.rows.length);
  clear(chart.legend).append(
    ...[["0", { ratio: 0, s: "ok" }], ["½ threshold", { ratio: 0.5, s: "ok" }], ["near threshold", { ratio: 0.95, s: "ok" }],
      ["breach", { ratio: 2, s: "breach" }], ["no data", { s: "insufficient_data" }]].map(([text, cell]) => {
      const swatch = h("i", { class: "swatch" });
      swatch.style.background = cellColor(cell);
      return h("span", { class: "key" }, swatch, text);
    }),
  );
}

function mergeCells(cells, x, minWidth) {
  const out = [];
  for (const cell of cells) {
    const last = out.at(-1);
    if (last && x(cell.t1) - x(last.t0) < minWidth) {
      last.t1 = cell.t1;
      last.windows += 1;
      const worse = (cell.s === "breach") - (last.s === "breach") || (cell.ratio ?? -1) - (last.ratio ?? -1);
      if (worse > 0) Object.assign(last, { ...cell, t0: last.t0, t1: cell.t1, windows: last.windows });
    } else {
      out.push({ ...cell, windows: 1 });
    }
  }
  return out;
}

function heatTip(chart, t, pointer, rowHeight) {
  if (!pointer) return null;
  const i = Math.floor((pointer.y - MARGIN.top) / rowHeight);
  const row = chart.options.rows[i];
  if (!row) return null;
  const cell = pointAt(chart.buckets[i], t);
  if (!cell || t < cell.t0 || t > cell.t1) return null;
  const lines = chart.options.cellTip ? chart.options.cellTip(cell, row) : [];
  return h("div", {},
    h("div", { class: "tip-head", text: `${row.label} · ${fmt.span(cell.t0, cell.t1)}` }),
    cell.windows > 1 ? h("div", { class: "muted", text: `worst of ${cell.windows} windows` }) : null,
    lines.map((line) => h("div", { text: line })));
}

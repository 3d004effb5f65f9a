// HTTP calls to the service's /v1 API. URLs are relative, so the dashboard also works behind a
// path prefix. Writes send the bearer token the user pasted (kept in sessionStorage only).

const TOKEN_KEY = "watchkeeper.token";
const BY_KEY = "watchkeeper.by";

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  get by() {
    return sessionStorage.getItem(BY_KEY) || "dashboard";
  },
  set by(value) {
    if (value) sessionStorage.setItem(BY_KEY, value);
    else sessionStorage.removeItem(BY_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details || [];
  }
}

function url(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null && item !== undefined && item !== "") query.append(key, item);
    }
  }
  const text = query.toString();
  return path.replace(/^\//, "") + (text ? `?${text}` : "");
}

async function call(method, path, params, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    if (session.token) headers.Authorization = `Bearer ${session.token}`;
  }
  const response = await fetch(url(path, params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    let message = (data && data.error) || `${response.status} ${response.statusText}`;
    if (response.status === 401) message = "This service needs a bearer token for writes: set it with “Token” at the top right.";
    throw new ApiError(response.status, message, data && data.details);
  }
  return data;
}

export const get = (path, params) => call("GET", path, params);
export const post = (path, body) => call("POST", path, undefined, body || {});
export const del = (path) => call("DELETE", path);

/**
 * Metric series in columns (GET /v1/models/{model}/series), as
 * [{name, labels, points: [{t0, t1, v, s, d: {key: value}}]}] with times in milliseconds.
 */
export async function series(model, names, options = {}) {
  const { window, match, start, end, last, details } = options;
  const data = await get(`v1/models/${encodeURIComponent(model)}/series`, {
    name: names.join(","),
    window,
    match,
    start,
    end,
    last,
    details: (details || []).join(","),
  });
  const merged = new Map();
  for (const one of data.series) {
    const keys = Object.keys(one.details || {});
    const test = one.labels.test;
    const points = one.start.map((start, i) => {
      const d = {};
      for (const key of keys) d[key] = one.details[key][i];
      return { t0: start * 1000, t1: one.end[i] * 1000, v: one.value[i], s: one.status[i], d, test };
    });
    // a drift series is labelled with its test, which is "none" in windows too small to test:
    // the windows of one feature (or prediction) are one series here, each point knows its test
    const { test: _, ...rest } = one.labels;
    const key = `${one.name} ${JSON.stringify(rest)}`;
    const seen = merged.get(key);
    if (seen) {
      seen.points = seen.points.concat(points).sort((a, b) => a.t0 - b.t0);
      if (test && test !== "none") seen.labels.test = test;
    } else {
      merged.set(key, { name: one.name, labels: { ...one.labels }, points });
    }
  }
  return [...merged.values()];
}

/** The window-wide series (not a model_version or segment breakdown). */
export const OVERALL = ["model_version=", "segment="];

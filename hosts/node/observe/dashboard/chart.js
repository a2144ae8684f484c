// Line charts drawn as SVG by hand for the dashboard (dashboard.js): a y axis from 0 to a
// round maximum, a time axis ending at the newest point over the shortest of 1, 2, 5 or 10
// minutes that holds the data (so a node that just started fills its chart), one polyline
// per series, told apart by colour and by dash, never colour alone. Each chart returns a
// sentence with the same numbers (now and peak of each series) that the page shows under
// it and names the chart with, for whoever cannot see it.
// Does not fetch or keep data, and knows nothing of NICs: the caller gives the series.
const SVG = "http://www.w3.org/2000/svg";
/** The drawing's own units (the viewBox); the browser scales it to the page. */
const W = 640, H = 200;
const LEFT = 64, RIGHT = 12, TOP = 12, BOTTOM = 28;

/** A round number at or above v: 1, 2 or 5 times a power of ten (1 for nothing). */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** "0", "0.25", "3.5", "42", "1.2 k", "3.4 M": short, for axes and cells. */
export function short(n) {
  if (n === 0) return "0";
  const a = Math.abs(n);
  if (a >= 1e9) return `${+(n / 1e9).toFixed(1)} G`;
  if (a >= 1e6) return `${+(n / 1e6).toFixed(1)} M`;
  if (a >= 1e3) return `${+(n / 1e3).toFixed(1)} k`;
  if (a >= 10) return String(Math.round(n));
  if (a >= 1) return String(+n.toFixed(1));
  return String(+n.toFixed(2));
}

function node(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The time windows a chart may show, and the step between their axis labels. */
const WINDOWS = [[60000, 15000], [120000, 30000], [300000, 60000], [600000, 120000]];

/** "now", "−30 s", "−4 min". */
function ago(ms) {
  if (ms === 0) return "now";
  return ms < 60000 || ms % 60000 !== 0 ? `−${ms / 1000} s` : `−${ms / 60000} min`;
}

/** Draws `series` ([{ label, tone: 0..3, dashed, points: [[ms, value]] }]) into `svg`, at
 *  most `maxMs` back from `toMs`; returns the sentence that says the same. */
export function drawChart(svg, { series, toMs, maxMs, unit }) {
  const first = Math.min(toMs, ...series.flatMap((s) => s.points.map(([t]) => t)));
  const [windowMs, stepMs] = WINDOWS.find(([w]) => w >= Math.min(maxMs, toMs - first)) ?? WINDOWS[WINDOWS.length - 1];
  const fromMs = toMs - windowMs;
  const shown = series.map((s) => ({ ...s, points: s.points.filter(([t]) => t >= fromMs && t <= toMs) }));
  const peak = Math.max(0, ...shown.flatMap((s) => s.points.map(([, v]) => v)));
  const top = niceMax(peak);
  const x = (t) => LEFT + ((t - fromMs) / windowMs) * (W - LEFT - RIGHT);
  const y = (v) => TOP + (1 - v / top) * (H - TOP - BOTTOM);
  const parts = [node("rect", { x: LEFT, y: TOP, width: W - LEFT - RIGHT, height: H - TOP - BOTTOM, class: "plot" })];
  for (const v of [0, top / 2, top]) {
    parts.push(node("line", { x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v), class: v === 0 ? "axis" : "grid" }));
    parts.push(node("text", { x: LEFT - 6, y: y(v) + 4, "text-anchor": "end" }, short(v)));
  }
  for (let back = 0; back <= windowMs; back += stepMs) {
    parts.push(node("text", { x: x(toMs - back), y: H - 8, "text-anchor": back === 0 ? "end" : "middle" }, ago(back)));
  }
  for (const s of shown) {
    if (s.points.length === 0) continue;
    const at = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    parts.push(node(s.points.length === 1 ? "circle" : "polyline", s.points.length === 1
      ? { cx: x(s.points[0][0]), cy: y(s.points[0][1]), r: 3, class: `line tone${s.tone}` }
      : { points: at, class: `line tone${s.tone}${s.dashed ? " dashed" : ""}` }));
  }
  svg.replaceChildren(...parts);
  return summary(shown, unit, windowMs / 60000);
}

function summary(shown, unit, minutes) {
  const said = shown.filter((s) => s.points.length > 0).map((s) => {
    const now = s.points[s.points.length - 1][1];
    const peak = Math.max(...s.points.map(([, v]) => v));
    return `${s.label}: ${short(now)} now, at most ${short(peak)}`;
  });
  if (said.length === 0) return "No rates yet: they need two status snapshots.";
  return `In ${unit}, over the last ${minutes === 1 ? "minute" : `${minutes} minutes`}. ${said.join("; ")}.`;
}

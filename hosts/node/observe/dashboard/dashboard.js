// The dashboard page's script: opens the node's /events stream (Server-Sent Events; the
// first event is the whole snapshot, then one per status and per log line, spec/observe.md)
// and fills the page's tables, charts and log from it, at most once a frame. Every text
// from the node is set as text, never as markup. A "Pause updates" button stops the page
// from changing (the data is still kept); the live region says only what changed state:
// the connection, and a service that started, restarted or failed.
// Does not compute rates (the node sends them) or hold words for the ABI's names (the
// snapshot's `text` has them).
import { drawChart, short } from "./chart.js";

/** The charts' longest time window; the node keeps ten minutes of snapshots at one a second. */
const WINDOW_MS = 10 * 60 * 1000;
const MAX_POINTS = 600;
const MAX_LOG = 200;
const TONES = 4;
const STATE_MARK = { RUNNING: "●", RESTARTING: "◐", FAILED: "✕", EMPTY: "○" };

const view = {
  node: "", status: null, rates: null, history: [], log: [], text: { drops: {}, states: {}, faults: {} },
  paused: false, queued: false, states: new Map(),
};

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, String(v));
  }
  e.append(...children);
  return e;
}

/** A number cell: shown short, its exact value in data-value for whoever reads the page. */
function num(value, shown = short(value), attrs = {}) {
  return el("td", { class: "num", "data-value": value, ...attrs }, shown);
}

/** "0 B/s", "512 B/s", "1.5 kB/s", "12 MB/s": the first unit `n` reaches. */
function unitRate(n, units) {
  const [size, unit] = units.find(([at]) => n >= at) ?? units[units.length - 1];
  const v = size > 0 ? n / size : n;
  return `${v >= 10 || v === 0 ? Math.round(v) : +v.toFixed(1)} ${unit}`;
}
const bytes = (n) => unitRate(n, [[1e9, "GB/s"], [1e6, "MB/s"], [1e3, "kB/s"], [0, "B/s"]]);
const bits = (n) => unitRate(n, [[1e9, "Gbit/s"], [1e6, "Mbit/s"], [1e3, "kbit/s"], [0, "bit/s"]]);
const pct = (x) => (x > 0 && x < 0.01 ? "<1%" : `${Math.round(x * 100)}%`);
/** A part of the node's CPU, which is often small: two decimals under 1 %. */
const cpuPct = (x) => (x === 0 ? "0%" : x < 0.0001 ? "<0.01%" : x < 0.01 ? `${(x * 100).toFixed(2)}%` : pct(x));

/** A bar for a share (0..1) with optional min and max marks; decorative: the text beside
 *  it says the same. */
function bar(share, min, max) {
  const b = el("span", { class: "bar", "aria-hidden": "true" }, el("span", { class: "fill" }));
  b.firstChild.style.width = `${Math.min(1, Math.max(0, share)) * 100}%`;
  for (const [at, kind] of [[min, "min"], [max, "max"]]) {
    if (at > 0 && at < 1) {
      const mark = el("span", { class: `mark ${kind}` });
      mark.style.left = `${at * 100}%`;
      b.append(mark);
    }
  }
  return b;
}

function rowsOr(body, rows, cols, empty) {
  body.replaceChildren(...(rows.length > 0 ? rows : [el("tr", {}, el("td", { colspan: cols }, empty))]));
}

function renderHeader() {
  $("node-name").textContent = view.node;
  document.title = `${view.node} · PersiaOS node`;
  const n = view.status?.node;
  if (!n) return;
  $("node-line").textContent = `${n.role.toLowerCase()} · kernel time ${(n.nowMs / 1000).toFixed(1)} s · ` +
    `${n.services} services · ${n.nics} NICs · ${n.routes} routes · ${n.freeBuffers} free packet buffers · ` +
    `control messages: ${n.controlAccepted} acted on, ${n.controlRefused} refused`;
}

function stateCell(s) {
  const words = view.text.states[s.state] ?? s.state.toLowerCase();
  const fault = s.lastFault !== "NONE" ? ` (last fault: ${view.text.faults[s.lastFault] ?? s.lastFault.toLowerCase()})` : "";
  return el("td", { class: `state state-${s.state.toLowerCase()}`, "data-state": s.state },
    el("span", { "aria-hidden": "true" }, `${STATE_MARK[s.state] ?? "?"} `), words + fault);
}

function grantText(min, max) {
  return `${pct(min)}–${max >= 1 ? "no max" : pct(max)}`;
}

function renderServices() {
  const rates = new Map((view.rates?.services ?? []).map((r) => [`${r.id}/${r.name}`, r]));
  const rows = (view.status?.services ?? []).map((s) => {
    const r = rates.get(`${s.id}/${s.name}`);
    const cpu = r ? `${cpuPct(r.cpuOfNode)} (${grantText(r.cpuMin, r.cpuMax)})` : "–";
    return el("tr", { "data-service": s.name },
      el("th", { scope: "row" }, s.name), stateCell(s),
      r ? num(r.rxPackets, short(r.rxPackets), { "data-field": "rxPackets" }) : num(0, "–"),
      r ? num(r.txPackets, short(r.txPackets), { "data-field": "txPackets" }) : num(0, "–"),
      r ? num(r.fuel, short(r.fuel), { "data-field": "fuel" }) : num(0, "–"),
      el("td", {}, cpu));
  });
  rowsOr($("services-body"), rows, 6, "This node runs no service.");
}

function renderNics() {
  const rates = new Map((view.rates?.nics ?? []).map((r) => [r.id, r]));
  const names = new Map((view.status?.host?.nics ?? []).map((h) => [h.id, h.name]));
  const rows = (view.status?.nics ?? []).map((n) => {
    const r = rates.get(n.id);
    const cell = (field, shown) => (r ? num(r[field], shown(r[field]), { "data-field": field }) : num(0, "–"));
    return el("tr", { "data-nic": n.id },
      el("th", { scope: "row" }, names.get(n.id) ? `${names.get(n.id)} (NIC ${n.id})` : `NIC ${n.id}`), el("td", {}, n.kind.toLowerCase()), num(n.mtu, String(n.mtu)),
      cell("rxPackets", short), cell("txPackets", short), cell("rxBytes", bytes), cell("txBytes", bytes),
      cell("txErrors", short));
  });
  rowsOr($("nics-body"), rows, 8, "This node has no NIC.");
}

function renderCharts() {
  const points = view.history;
  const toMs = points.length > 0 ? points[points.length - 1].nowMs : 0;
  const nics = [...new Set(points.flatMap((p) => p.nics.map((n) => n.id)))].sort((a, b) => a - b);
  const series = nics.flatMap((id, i) => [["rxPackets", "received", false], ["txPackets", "sent", true]].map(([field, word, dashed]) => ({
    label: `NIC ${id} ${word}`, tone: i % TONES, dashed,
    points: points.flatMap((p) => p.nics.filter((n) => n.id === id).map((n) => [p.nowMs, n[field]])),
  })));
  $("packets-sum").textContent = drawChart($("packets-chart"), { series, toMs, maxMs: WINDOW_MS, unit: "packets per second" });
  $("packets-legend").replaceChildren(...series.map((s) => el("li", {},
    el("span", { class: `swatch tone${s.tone}${s.dashed ? " dashed" : ""}`, "aria-hidden": "true" }), s.label)));
  const drops = [{ label: "All reasons", tone: 1, dashed: false, points: points.map((p) => [p.nowMs, p.drops]) }];
  $("drops-sum").textContent = drawChart($("drops-chart"), { series: drops, toMs, maxMs: WINDOW_MS, unit: "drops per second" });
}

function renderDrops() {
  const now = view.rates?.drops ?? {};
  const rows = Object.entries(view.status?.drops ?? {}).filter(([, n]) => n > 0)
    .sort((a, b) => (now[b[0]] ?? 0) - (now[a[0]] ?? 0) || b[1] - a[1])
    .map(([reason, total]) => el("tr", { "data-reason": reason },
      el("th", { scope: "row" }, el("code", {}, reason)), el("td", {}, view.text.drops[reason] ?? "(no description)"),
      num(now[reason] ?? 0), num(total, String(total))));
  rowsOr($("drops-body"), rows, 4, "No packet has been dropped.");
}

function renderScheduler() {
  const classes = view.rates?.classes ?? [];
  const egress = classes.map((c) => {
    const scale = c.maxBits > 0 ? c.maxBits : Math.max(c.minBits, c.bitsPerSecond) * 1.25 || 1;
    const limits = `min ${c.minBits > 0 ? bits(c.minBits) : "none"}, max ${c.maxBits > 0 ? bits(c.maxBits) : "none"}`;
    return el("tr", {},
      num(c.nic, String(c.nic)), el("th", { scope: "row" }, c.class), num(c.bitsPerSecond, bits(c.bitsPerSecond)),
      el("td", {}, bar(c.share, 0, 0), ` ${pct(c.share)}`),
      el("td", {}, bar(c.bitsPerSecond / scale, c.minBits / scale, 0), ` ${limits}`),
      num(c.drops));
  });
  rowsOr($("egress-body"), egress, 6, view.rates ? "No NIC sends from a paced class." : "No rates yet.");
  const cpu = (view.rates?.services ?? []).map((s) => el("tr", {},
    el("th", { scope: "row" }, s.name), el("td", {}, bar(s.cpuOfNode, s.cpuMin, s.cpuMax), ` ${cpuPct(s.cpuOfNode)}`),
    num(s.cpuMin, pct(s.cpuMin)), num(s.cpuMax, s.cpuMax >= 1 ? "none" : pct(s.cpuMax)), num(s.cpuShare, pct(s.cpuShare))));
  rowsOr($("cpu-body"), cpu, 5, view.rates ? "This node runs no service." : "No rates yet.");
}

function logLine(e) {
  const when = new Date(e.time);
  const said = e.message.startsWith(`${e.domain}: `) ? e.message.slice(e.domain.length + 2) : e.message;
  return el("li", { class: `level-${e.level}` },
    el("time", { datetime: when.toISOString() }, when.toTimeString().slice(0, 8)), " ",
    el("span", { class: "level" }, e.level.toUpperCase()), " ",
    el("span", { class: "domain" }, e.domain), " ",
    el("span", { class: "message" }, said));
}

function renderLog() {
  const box = $("log-box");
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  $("log-lines").replaceChildren(...(view.log.length > 0 ? view.log.map(logLine) : [el("li", {}, "No log line yet.")]));
  if (atEnd) box.scrollTop = box.scrollHeight;
}

function render() {
  view.queued = false;
  if (view.paused) return;
  renderHeader();
  renderServices();
  renderNics();
  renderCharts();
  renderDrops();
  renderScheduler();
  renderLog();
}

function schedule() {
  if (view.queued || view.paused) return;
  view.queued = true;
  requestAnimationFrame(render);
}

function announce(text) {
  $("announce").textContent = text;
}

/** Says which services changed state since the last status (none on the first). */
function noteStates(status) {
  const changed = [];
  for (const s of status.services) {
    const was = view.states.get(s.name);
    if (was !== undefined && was !== s.state) changed.push(`${s.name} is now ${view.text.states[s.state] ?? s.state.toLowerCase()}`);
    view.states.set(s.name, s.state);
  }
  if (changed.length > 0) announce(changed.join(". "));
}

function onSnapshot(d) {
  Object.assign(view, { node: d.node, status: d.status, rates: d.rates, history: d.history.slice(-MAX_POINTS),
    log: d.log.slice(-MAX_LOG), text: d.text });
  if (d.status) for (const s of d.status.services) view.states.set(s.name, s.state);
  schedule();
}

function onStatus(d) {
  noteStates(d.status);
  view.status = d.status;
  view.rates = d.rates;
  if (d.point) {
    const last = view.history[view.history.length - 1];
    if (last && d.point.nowMs < last.nowMs) view.history = [];   // the node restarted: a new clock
    view.history.push(d.point);
    if (view.history.length > MAX_POINTS) view.history.shift();
  }
  schedule();
}

function onLog(entry) {
  view.log.push(entry);
  if (view.log.length > MAX_LOG) view.log.shift();
  schedule();
}

function setConnection(state, words) {
  const c = $("connection");
  if (c.dataset.state === state) return;
  c.dataset.state = state;
  c.textContent = words;
  announce(`Live updates: ${words}`);
}

function connect() {
  const events = new EventSource("/events");
  const on = (name, f) => events.addEventListener(name, (e) => f(JSON.parse(e.data)));
  on("snapshot", onSnapshot);
  on("status", onStatus);
  on("log", onLog);
  events.addEventListener("open", () => setConnection("open", "on"));
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) setConnection("closed", "stopped (the node refused or is gone; reload the page)");
    else setConnection("retrying", "lost, reconnecting");
  });
}

$("pause").addEventListener("click", (e) => {
  view.paused = !view.paused;
  e.currentTarget.setAttribute("aria-pressed", String(view.paused));
  announce(view.paused ? "Updates paused" : "Updates resumed");
  schedule();
});
connect();

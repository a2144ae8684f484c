// The screen of `persia top`, as a pure function: what a node is doing now (its Rates,
// loader/status/series.ts) or, before a second snapshot, its totals (Status), laid out in
// at most `rows` lines of at most `columns` characters. A header line, a notice line when
// there is something to say, then NICs, services, egress classes and drops, then a footer.
// When the sections do not fit, blank lines between them go first, then each section
// keeps at least its first row and says "… N more" for the rest; when a table is too
// wide, a long name is cut with "…", then its least useful columns go.
// Does not read a node, write to a terminal or know the time: cli/top.ts does, and passes
// in what to show. Words for states and drops come from abi/describe.ts.
import { DROP_TEXT, STATE_TEXT } from "../abi/describe";
import { Drop } from "../abi/drop";
import { SvcState } from "../abi/kernel";
import { className } from "../loader/status/decode";
import type { Status } from "../loader/status/decode";
import type { Rates } from "../loader/status/series";
import { Align, Column, fitTable, fitText, padLeft, width } from "./top_table";

export interface TopView {
  /** The node's name (or, for --from, the file). */
  node: string;
  /** The newest snapshot; null before the first. */
  status: Status | null;
  /** Per second between the two newest snapshots; null before the second. */
  rates: Rates | null;
  intervalSeconds: number;
  /** What went wrong or what to wait for ("node not answering since …"); null for nothing. */
  notice: string | null;
  /** The wall-clock time of the newest snapshot, as the footer shows it ("12:04:05"). */
  updated: string;
  /** How to quit, as the footer says it ("q quit"); "" for nothing. */
  footer: string;
}

export interface Size {
  columns: number;
  rows: number;
}

/** One section: its column header line, its row lines (already fitted), and the line it
 *  shows instead when it has no rows. */
interface Section {
  head: string;
  rows: string[];
  empty: string;
}

// ——— numbers for a person ———

const SI: [string, number][] = [["G", 1e9], ["M", 1e6], ["k", 1e3]];

/** Three significant digits, never an exponent: 1.23, 12.3, 123. */
function sig3(x: number): string {
  return x >= 99.95 ? x.toFixed(0) : x >= 9.995 ? x.toFixed(1) : x.toFixed(2);
}

/** A count or a rate: "0", "7", "0.5", "123", "12.3k", "4.56M". */
export function num(x: number): string {
  for (const [unit, size] of SI) if (x >= size * 0.9995 && x >= 10000) return `${sig3(x / size)}${unit}`;
  if (Number.isInteger(x)) return String(x);
  if (x >= 1000) return `${sig3(x / 1e3)}k`;
  return x < 9.95 ? x.toFixed(1) : x.toFixed(0);
}

/** Bytes (or bytes per second with unit "B/s"): "512 B", "14.1 kB", "1.50 MB". */
export function bytes(x: number, unit = "B"): string {
  for (const [prefix, size] of SI) if (x >= size * 0.9995) return `${sig3(x / size)} ${prefix}${unit}`;
  return `${num(x)} ${unit}`;
}

/** A bit rate: "0", "800 bit/s", "1.20 Mbit/s"; `zero` for none. */
export function bits(x: number, zero = "0"): string {
  if (x === 0) return zero;
  return bytes(x, "bit/s");
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** A part of the node's CPU, which is often small: two decimals under 1 %. */
function cpuPercent(x: number): string {
  return x === 0 ? "0%" : x < 0.0001 ? "<0.01%" : x < 0.01 ? `${(x * 100).toFixed(2)}%` : percent(x);
}

/** Kernel uptime: "0:00:12", "3:04:05", "2d 03:04:05". */
export function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const hms = (h: number) => `${h}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  const days = Math.floor(s / 86400);
  return days > 0 ? `${days}d ${hms(Math.floor(s / 3600) % 24).padStart(8, "0")}` : hms(Math.floor(s / 3600));
}

function stateText(state: string): string {
  return STATE_TEXT[SvcState[state as keyof typeof SvcState]] ?? state.toLowerCase();
}

function dropText(reason: string): string {
  return DROP_TEXT[Drop[reason as keyof typeof Drop]] ?? "";
}

// ——— the sections, from rates or from totals ———

const R: Align = "right", L: Align = "left";

function nicSection(v: TopView, w: number): Section {
  const cols: Column[] = [{ head: "NIC", align: R }, { head: "KIND", align: L, drop: 5 }];
  let rows: string[][];
  if (v.rates !== null) {
    cols.push({ head: "RX PKT/S", align: R }, { head: "RX BYTES/S", align: R, drop: 3 }, { head: "TX PKT/S", align: R },
      { head: "TX BYTES/S", align: R, drop: 2 }, { head: "TX ERR/S", align: R, drop: 4 });
    rows = v.rates.nics.map((n) => [nicName(v.status, n.id), n.kind.toLowerCase(), num(n.rxPackets), bytes(n.rxBytes, "B/s"),
      num(n.txPackets), bytes(n.txBytes, "B/s"), num(n.txErrors)]);
  } else {
    cols.push({ head: "RX PACKETS", align: R }, { head: "RX BYTES", align: R, drop: 3 }, { head: "TX PACKETS", align: R },
      { head: "TX BYTES", align: R, drop: 2 }, { head: "TX ERRORS", align: R, drop: 4 });
    rows = (v.status?.nics ?? []).map((n) => [nicName(v.status, n.id), n.kind.toLowerCase(), num(n.rxFrames), bytes(n.rxBytes),
      num(n.txFrames), bytes(n.txBytes), num(n.txErrors)]);
  }
  const [head, ...lines] = fitTable(cols, rows, w);
  return { head, rows: lines, empty: "NICs: none" };
}

/** A NIC by its manifest name when the host gives it (the Node host does), else its id. */
function nicName(s: Status | null, id: number): string {
  return s?.host?.nics.find((n) => n.id === id)?.name ?? String(id);
}

function serviceSection(v: TopView, w: number): Section {
  const cols: Column[] = [{ head: "SERVICE", align: L, flex: 8, soft: 18 }, { head: "STATE", align: L, drop: 4 }];
  let rows: string[][];
  if (v.rates !== null) {
    cols.push({ head: "RX PKT/S", align: R }, { head: "TX PKT/S", align: R, drop: 2 }, { head: "FUEL/S", align: R, drop: 3 },
      { head: "CPU", align: R }, { head: "MIN", align: R, drop: 5 }, { head: "MAX", align: R, drop: 5 });
    rows = v.rates.services.map((s) => [s.name, stateText(s.state), num(s.rxPackets), num(s.txPackets), num(s.fuel),
      cpuPercent(s.cpuOfNode), percent(s.cpuMin), percent(s.cpuMax)]);
  } else {
    cols.push({ head: "RX PACKETS", align: R }, { head: "TX PACKETS", align: R, drop: 2 }, { head: "FUEL", align: R, drop: 3 },
      { head: "RESTARTS", align: R, drop: 5 });
    rows = (v.status?.services ?? []).map((s) => [s.name, stateText(s.state), num(s.rxPackets), num(s.txPackets), num(s.fuel),
      num(s.restarts)]);
  }
  const [head, ...lines] = fitTable(cols, rows, w);
  return { head, rows: lines, empty: "services: none" };
}

function classSection(v: TopView, w: number): Section {
  const cols: Column[] = [{ head: "NIC", align: R }, { head: "EGRESS CLASS", align: L, flex: 8, soft: 16 }];
  let rows: string[][];
  if (v.rates !== null) {
    cols.push({ head: "BIT/S", align: R }, { head: "SHARE", align: R, drop: 3 }, { head: "MIN", align: R, drop: 4 },
      { head: "MAX", align: R, drop: 4 }, { head: "DROPS/S", align: R, drop: 2 });
    const busiest = [...v.rates.classes].sort((a, b) => b.bitsPerSecond - a.bitsPerSecond || b.drops - a.drops);
    rows = busiest.map((c) => [String(c.nic), c.class, bits(c.bitsPerSecond), percent(c.share), bits(c.minBits, "-"),
      bits(c.maxBits, "unlimited"), num(c.drops)]);
  } else {
    cols.push({ head: "SENT", align: R }, { head: "MIN", align: R, drop: 4 }, { head: "MAX", align: R, drop: 4 },
      { head: "DROPS", align: R, drop: 2 });
    const s = v.status;
    const busiest = [...(s?.classes ?? [])].sort((a, b) => b.bytes - a.bytes || b.drops - a.drops);
    rows = busiest.map((c) => [String(c.nic), className(c, s!), bytes(c.bytes), bits(c.minBits, "-"), bits(c.maxBits, "unlimited"),
      num(c.drops)]);
  }
  const [head, ...lines] = fitTable(cols, rows, w);
  return { head, rows: lines, empty: "egress classes: none" };
}

function dropSection(v: TopView, w: number): Section {
  const perSecond = v.rates !== null;
  const counts = perSecond ? v.rates!.drops : v.status?.drops ?? {};
  const nonzero = Object.entries(counts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const cols: Column[] = [{ head: perSecond ? "DROPS/S" : "DROPS", align: R }, { head: "REASON", align: L, flex: 8, soft: 16 },
    { head: "MEANING", align: L, flex: 10, drop: 1 }];
  const [head, ...lines] = fitTable(cols, nonzero.map(([reason, n]) => [num(n), reason, dropText(reason)]), w);
  const empty = perSecond ? `drops: none in the last ${num(+v.rates!.seconds.toFixed(1))} s` : "drops: none since boot";
  return { head, rows: lines, empty };
}

// ——— fitting the sections into the rows ———

/** Lines a section takes whole: its header and rows, or its one line saying it has none. */
function whole(s: Section): number {
  return s.rows.length === 0 ? 1 : 1 + s.rows.length;
}

/** How many lines each section gets (its header included); 0 leaves it out. */
function allot(sections: Section[], budget: number): number[] {
  const need = sections.map(whole);
  if (need.reduce((a, b) => a + b, 0) <= budget) return need;
  const got = sections.map(() => 0);
  let left = budget;
  for (const [i] of sections.entries()) {          // each section's header and first row, top down
    const first = Math.min(need[i], 2);
    if (first > left) break;
    got[i] = first;
    left -= first;
  }
  for (let more = true; more && left > 0;) {       // then one row each in turn
    more = false;
    for (const [i] of sections.entries()) {
      if (left > 0 && got[i] > 0 && got[i] < need[i]) { got[i]++; left--; more = true; }
    }
  }
  return got;
}

/** A section in `lines` lines: all its rows, or the first ones and "… N more". */
function show(s: Section, lines: number, w: number): string[] {
  if (lines <= 0) return [];
  if (s.rows.length === 0) return [fitText(s.empty, w)];
  const body = lines - 1;
  if (body >= s.rows.length) return [s.head, ...s.rows];
  const kept = s.rows.slice(0, body - 1);
  return [s.head, ...kept, fitText(`… ${s.rows.length - kept.length} more`, w)];
}

// ——— the header, the notice and the footer ———

/** Packets received and sent over all NICs, and dropped: per second, or since boot. */
function totals(v: TopView): { rx: string; tx: string; drops: string; unit: string } {
  if (v.rates !== null) {
    const sum = (f: (n: Rates["nics"][number]) => number) => v.rates!.nics.reduce((a, n) => a + f(n), 0);
    return { rx: num(sum((n) => n.rxPackets)), tx: num(sum((n) => n.txPackets)), drops: num(v.rates.dropsTotal), unit: "pkt/s" };
  }
  const s = v.status!;
  const sum = (f: (n: Status["nics"][number]) => number) => s.nics.reduce((a, n) => a + f(n), 0);
  return { rx: num(sum((n) => n.rxFrames)), tx: num(sum((n) => n.txFrames)), drops: num(Object.values(s.drops).reduce((a, n) => a + n, 0)),
    unit: "packets" };
}

function headerLine(v: TopView, w: number): string {
  const every = `every ${num(v.intervalSeconds)} s`;
  const node = v.status?.node;
  if (v.status === null || !node) return fitText(`${v.node}  ${every}  waiting for the first status`, w);
  const t = totals(v);
  const traffic = `rx ${t.rx} tx ${t.tx} drops ${t.drops} ${t.unit}`;
  const left = `${v.node} (${node.role.toLowerCase()})`;
  // The interval goes first, then the uptime, then the name is cut, then the line.
  for (const right of [`up ${uptime(node.nowMs)}  ${every}  ${traffic}`, `up ${uptime(node.nowMs)}  ${traffic}`, traffic]) {
    const room = w - width(right) - 2;
    if (room >= Math.min(width(left), 12)) return `${fitText(left, room)}  ${right}`;
  }
  return fitText(`${left}  ${traffic}`, w);
}

/** The client role's addresses in one line, when any is not in use yet or at all: how many
 *  are in each state, and which are duplicates (another host holds them). */
function addressLine(v: TopView): string | null {
  const addrs = v.status?.addresses ?? [];
  if (!addrs.some((a) => a.state === "TENTATIVE" || a.state === "DUPLICATE")) return null;
  const count = (state: string) => addrs.filter((a) => a.state === state).length;
  const parts = ["PREFERRED", "DEPRECATED", "TENTATIVE", "DUPLICATE"].filter((st) => count(st) > 0)
    .map((st) => `${count(st)} ${st === "DUPLICATE" ? st : st.toLowerCase()}`);
  const dups = addrs.filter((a) => a.state === "DUPLICATE").map((a) => a.address);
  return `addresses: ${parts.join(", ")}` + (dups.length > 0 ? `; another host holds ${dups.join(", ")} (persia status)` : "");
}

function noticeLine(v: TopView): string | null {
  if (v.notice !== null) return v.notice;
  if (v.status !== null && v.rates === null) return "totals since boot; rates after the next refresh";
  return null;
}

/** Lines a notice may take; the rest of a longer one is cut with "…". */
const NOTICE_LINES = 2;

/** `text` in at most `most` lines of `w`, broken at spaces where it can be. */
function wrap(text: string, w: number, most: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest !== "" && lines.length < most - 1 && width(rest) > w) {
    const chars = [...rest];
    const space = chars.lastIndexOf(" ", w);
    const cut = space > 0 ? space : w;
    lines.push(chars.slice(0, cut).join(""));
    rest = chars.slice(space > 0 ? cut + 1 : cut).join("");
  }
  return rest === "" ? lines : [...lines, fitText(rest, w)];
}

function footerLine(v: TopView, w: number): string {
  const left = v.footer;
  const right = v.updated === "" ? "" : `updated ${v.updated}`;
  const gap = w - width(left) - width(right);
  return fitText(gap >= 2 ? left + padLeft(right, w - width(left)) : `${left}  ${right}`.trim(), w).trimEnd();
}

/** The screen: at most size.rows lines (Infinity: every row), none wider than size.columns.
 *  With `blankLines`, sections are set apart by a blank line when there is room. */
export function renderTop(v: TopView, size: Size, blankLines = true): string[] {
  const w = Math.max(1, Math.floor(size.columns));
  const rows = Math.max(1, Math.floor(size.rows));
  const top = [headerLine(v, w)];
  const notice = noticeLine(v);
  if (notice !== null) top.push(...wrap(notice, w, NOTICE_LINES));
  const addresses = addressLine(v);
  if (addresses !== null) top.push(...wrap(addresses, w, NOTICE_LINES));
  const footer = footerLine(v, w);
  const fixed = top.length + (footer === "" ? 0 : 1);
  const sections = v.status === null ? [] : [nicSection(v, w), serviceSection(v, w), classSection(v, w), dropSection(v, w)];
  const budget = rows - fixed;
  const full = sections.reduce((a, s) => a + whole(s), 0);
  const spaced = blankLines && full + sections.length <= budget;   // a blank line before each section
  const got = allot(sections, budget);
  const body = sections.flatMap((s, i) => [...(spaced ? [""] : []), ...show(s, got[i], w)]);
  const lines = [...top, ...body, ...(footer === "" ? [] : [footer])];
  if (lines.length > rows) return rows === 1 ? [lines[0]] : [...lines.slice(0, rows - 1), lines[lines.length - 1]];
  return lines;
}

// Prints a decoded status (status.ts) as text tables for a router admin: the node line,
// then NICs, services, routes, neighbors, the client role's addresses, learned prefixes
// and default routers, WireGuard peers, and the node's identity and address certificates
// (each only on a node that has any), nonzero drops with what each reason means, and the
// host's own NIC counters. Words come from abi/describe.ts.
// Does not decode bytes or talk to a node; `persia status` and the demo call formatStatus.
import { DROP_TEXT, FAULT_TEXT, STATE_TEXT } from "../../abi/describe";
import { Drop } from "../../abi/drop";
import { Fault, SvcState } from "../../abi/kernel";
import { AddrState, LIFETIME_INFINITE, RouteKind } from "../../abi/status";
import { className, serviceName } from "./decode";
import { IDGEN_RETRIES } from "../../abi/limits";
import type { AddrStatus, CertStatus, ClassStatus, GrantStatus, RouteStatus, ServiceStatus, Status } from "./decode";
import { RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";

type Cell = string | number;

/** Columns padded to their widest cell; numbers right-aligned, text left-aligned. */
export function table(headers: string[], rows: Cell[][]): string {
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number"));
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]): string =>
    "  " + r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd();
  return cells.map(line).join("\n");
}

function lower(name: string): string {
  return name.toLowerCase();
}

function stateText(state: string): string {
  return STATE_TEXT[SvcState[state as keyof typeof SvcState]] ?? lower(state);
}

function faultText(s: ServiceStatus): string {
  if (s.lastFault === "NONE") return "-";
  const text = FAULT_TEXT[Fault[s.lastFault as keyof typeof Fault]] ?? lower(s.lastFault);
  return s.faultMessage ? `${text}: ${s.faultMessage}` : text;
}

/** A bit rate for a person: "10 Mbit/s", "-" for none. */
function rate(bits: number, none = "-"): string {
  if (bits === 0) return none;
  for (const [unit, size] of [["Gbit/s", 1e9], ["Mbit/s", 1e6], ["kbit/s", 1e3]] as const) {
    if (bits >= size) return `${+(bits / size).toFixed(3)} ${unit}`;
  }
  return `${bits} bit/s`;
}

function classRow(c: ClassStatus, services: ServiceStatus[]): Cell[] {
  const who = className(c, { services });
  return [c.nic, who, rate(c.minBits), rate(c.maxBits, "unlimited"), c.bytes, c.drops, c.queue];
}

function grantRow(g: GrantStatus, services: ServiceStatus[]): Cell[] {
  const who = serviceName({ services }, g.service);
  const pct = (p: number) => `${p / 10}%`;
  const disks = g.disks.map((d) => `disk ${d.disk} ${d.length / 1024} KiB at ${d.offset / 1024} KiB ` +
    `${(d.rights & RIGHT_READ ? "r" : "") + (d.rights & RIGHT_WRITE ? "w" : "")}`).join(", ") || "-";
  return [who, `${g.ramMinPages * 64}/${g.ramMaxPages * 64} KiB`, `${pct(g.cpuMinPermille)}/${pct(g.cpuMaxPermille)}`,
    g.cpuUsed, disks];
}

function ramText(v: ServiceStatus): string {
  if (v.ramMaxPages === undefined) return "-";
  return `${(v.ramPages ?? 0) * 64}/${v.ramMaxPages * 64} KiB`;
}

function routeRow(r: RouteStatus, services: ServiceStatus[]): Cell[] {
  const service = serviceName({ services }, r.service);
  switch (r.kind) {
    case RouteKind[RouteKind.SERVICE]: return [r.prefix, "service", "-", "-", service];
    case RouteKind[RouteKind.LOCAL]: return [r.prefix, "this node", "-", "-", "-"];
    case RouteKind[RouteKind.CONNECTED]: return [r.prefix, "connected", "on-link", r.nic, "-"];
    case RouteKind[RouteKind.STATIC]: return [r.prefix, "static", r.via === "::" ? "on-link" : r.via, r.nic, "-"];
    default: return [r.prefix, lower(r.kind), r.via, r.nic, "-"];
  }
}

/** Seconds left of a lifetime: "infinite" for LIFETIME_INFINITE. */
function left(seconds: number): Cell {
  return seconds === LIFETIME_INFINITE ? "infinite" : `${seconds} s`;
}

/** A NIC for a person: its manifest name when the host knows it, else its id. */
function nicName(s: Status, id: number): string {
  return s.host?.nics.find((n) => n.id === id)?.name ?? String(id);
}

function owner(s: Status, a: AddrStatus): string {
  if (a.service === null) return "node";
  return serviceName(s, a.service);
}

/** The state word; a duplicate in capitals, so it stands out. */
function addrState(a: AddrStatus): string {
  return a.state === AddrState[AddrState.DUPLICATE] ? a.state : lower(a.state);
}

/** What to do about a duplicate address, by its origin. */
const DUPLICATE_FIX: Record<string, string> = {
  LINK_LOCAL: "Give the NIC another mac in the manifest.",
  MANIFEST: "Give it another address in the manifest.",
  LEARNED: `Find the host on that link that uses it too (the node tried ${IDGEN_RETRIES} more stable identifiers).`,
};

/** The client role's tables (issue #20), or none when the node has no such records. */
function clientSections(s: Status): string[] {
  if (s.addresses.length + s.learned.length + s.routers.length === 0) return [];
  const addrs = s.addresses.length === 0 ? null : table(
    ["ADDRESS", "NIC", "OWNER", "ORIGIN", "STATE", "PREFERRED LEFT", "VALID LEFT", "DAD LEFT"],
    s.addresses.map((a) => [a.address, nicName(s, a.nic), owner(s, a), lower(a.origin).replace("_", "-"), addrState(a),
      left(a.preferredLeft), left(a.validLeft), a.dadLeft]));
  const dups = s.addresses.filter((a) => a.state === AddrState[AddrState.DUPLICATE]).map((a) =>
    `  DUPLICATE: another host on NIC ${nicName(s, a.nic)} holds ${a.address} (${owner(s, a)}'s); it is not used. ` +
    (DUPLICATE_FIX[a.origin] ?? ""));
  // A learned address whose first identifiers another host held: say so, as the status's
  // only trace of those duplicates (RFC 7217 §6 moves on to the next).
  const retried = s.addresses.filter((a) => a.origin === "LEARNED" && a.dadCounter > 0 && a.state !== AddrState[AddrState.DUPLICATE])
    .map((a) => `  ${a.address} (${owner(s, a)}'s) is stable identifier ${a.dadCounter}: another host on NIC ` +
      `${nicName(s, a.nic)} held ${a.dadCounter === 1 ? "the first" : `the first ${a.dadCounter}`}.`);
  const prefixes = s.learned.length === 0 ? null : table(
    ["PREFIX", "NIC", "FLAGS", "VALID LEFT", "PREFERRED LEFT"],
    s.learned.map((p) => [p.prefix, nicName(s, p.nic), [p.onLink ? "on-link" : "", p.autonomous ? "autonomous" : ""]
      .filter(Boolean).join(" ") || "-", left(p.validLeft), left(p.preferredLeft)]));
  const ms = (v: number) => (v === 0 ? "-" : `${v} ms`);
  const routers = s.routers.length === 0 ? null : table(
    ["ROUTER", "NIC", "DEFAULT", "LIFETIME LEFT", "MTU", "REACHABLE", "RETRANS"],
    s.routers.map((r) => [r.address, nicName(s, r.nic), r.chosen ? "*" : "", left(r.lifetimeLeft), r.mtu === 0 ? "-" : r.mtu,
      ms(r.reachableMs), ms(r.retransMs)]));
  return [section("Addresses", addrs === null ? null : [addrs, ...dups, ...retried].join("\n")),
    section("Learned prefixes", prefixes), section("Default routers", routers)];
}

/** How long ago a handshake was, from the node's clock: "12 s ago", "never". */
export function handshakeAge(s: Status, ms: number | null): string {
  if (ms === null) return "never";
  return s.node === null ? `at ${Math.floor(ms / 1000)} s` : `${Math.max(0, Math.floor((s.node.nowMs - ms) / 1000))} s ago`;
}

/** The WireGuard peers (issue #13), or none when the node has no such records. */
function wireguardSections(s: Status): string[] {
  if (s.wgPeers.length === 0) return [];
  return [section("WireGuard peers", table(
    ["NIC", "PEER", "ENDPOINT", "STATE", "LAST HANDSHAKE", "RX BYTES", "RX PACKETS", "TX BYTES", "TX PACKETS", "HANDSHAKES"],
    s.wgPeers.map((p) => [nicName(s, p.nic), p.key, p.endpoint ?? "-", lower(p.state), handshakeAge(s, p.lastHandshakeMs),
      p.rxBytes, p.rxPackets, p.txBytes, p.txPackets, p.handshakes])))];
}

/** A key in short form, "ed25519:ySbAb91iML…", for a table. */
export function shortKey(key: string): string {
  return key.length > 20 ? `${key.slice(0, 20)}…` : key;
}

/** A certificate's expiry for a person: its UTC time, ISO 8601 to the second. */
export function expiry(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");
}

function certOrigin(s: Status, c: CertStatus): string {
  if (c.origin === "SERVICE") return `service ${c.service === null ? "?" : serviceName(s, c.service)}`;
  if (c.origin === "HOST") return "host (asked)";
  if (c.origin === "NODE") return "upstream: the node's own";
  return lower(c.origin);
}

/** The node's identity and its address certificates (issue #15), or none when it has none. */
function certSections(s: Status): string[] {
  const id = s.identity;
  if ((id === null || (id.key === null && id.trusted === 0 && id.ownCerts === 0)) && s.certificates.length === 0) return [];
  const key = id?.key ?? null;
  const line = `Identity: ${key ?? "none (no node.identity: the node issues no certificates)"}` +
    (id === null ? "" : `; trusts ${id.trusted} (key, prefix) pair${id.trusted === 1 ? "" : "s"}; ` +
      `${id.ownCerts} certificate${id.ownCerts === 1 ? "" : "s"} of its own from upstream`);
  const mine = (k: string) => (k === key ? "this node" : shortKey(k));
  const certs = s.certificates.length === 0 ? null : table(
    ["ADDRESS", "HOLDER", "ISSUER", "EXPIRES", "ORIGIN"],
    s.certificates.map((c) => [c.length === 128 ? c.prefix.slice(0, -4) : c.prefix, mine(c.holder), mine(c.issuer),
      expiry(c.notAfter), certOrigin(s, c)]));
  return [line, section("Certificates", certs)];
}

/** The block filters (issue #15): a summary line and the first active ones, or nothing
 *  when no block signal was ever taken. */
function filterSections(s: Status): string[] {
  const f = s.filters;
  if (f === null || (f.active === 0 && f.installed === 0 && f.refused === 0 && f.relaysIn === 0)) return [];
  // holders counts every key whose signature verified (kernel/ctl/holders.ts), with filters
  // or not: a refused request's signer too, so it is not "the keys holding the filters".
  const head = `Block filters: ${f.active} active, ${f.installed} installed, ${f.refreshed} refreshed, ` +
    `${f.expired} expired, ${f.removed} removed, ${f.refused} requests refused, ${f.relayed} passed on, ${f.relaysIn} taken from other routers; ` +
    `${f.holders} signing keys remembered`;
  if (s.filterList.length === 0) return [head];
  const proto = (p: number, port: number) => p === 0 ? "any" : `${p === 17 ? "udp" : p === 6 ? "tcp" : p === 58 ? "icmpv6" : p}${port ? ` port ${port}` : ""}`;
  const left = (ms: number) => s.node === null ? `at ${Math.floor(ms / 1000)} s` : `${Math.max(0, Math.ceil((ms - s.node.nowMs) / 1000))} s`;
  const more = f.active > s.filterList.length ? `\n(${f.active - s.filterList.length} more not shown)` : "";
  return [`${head}\n${table(["TO", "FROM", "TRAFFIC", "LEFT"], s.filterList.map((x) => [x.to, x.from, proto(x.proto, x.port), left(x.expiresMs)]))}${more}`];
}

/** The manifest's USB devices (issue #16), on a node that has any. */
function usbSections(s: Status): string[] {
  const usb = s.usb ?? [];
  if (usb.length === 0) return [];
  return ["USB devices\n" + table(["USB", "PRESENT", "DEVICE", "HOLDER", "IN FLIGHT", "TRANSFERS", "ERRORS", "LATE", "REFUSED ATTACHES"],
    usb.map((u) => [u.id, u.present ? "yes" : "no", u.device ?? "-", u.holder === null ? "-" : serviceName(s, u.holder),
      u.inflight, u.transfers, u.errors, u.late, u.refused]))];
}

function section(title: string, body: string | null): string {
  return body === null ? `${title}: none` : `${title}\n${body}`;
}

/** "N routes", or "N routes (M shown)" when the snapshot holds only M of them. */
function counted(all: number, shown: number, what: string): string {
  return shown < all ? `${all} ${what} (${shown} shown)` : `${all} ${what}`;
}

/** A table's title, with "N routes (M shown)" when the snapshot holds only M of its N rows. */
function cut(title: string, all: number | undefined, shown: number): string {
  return all === undefined || shown >= all ? title : `${title}: ${counted(all, shown, title.toLowerCase())}`;
}

function nodeLine(s: Status): string {
  const n = s.node;
  if (n === null) return "node: the snapshot has no node record";
  return `node: ${lower(n.role)}, kernel time ${(n.nowMs / 1000).toFixed(3)} s, ${n.services} services, ` +
    `${n.nics} NICs, ${counted(n.routes, s.routes.length, "routes")}, ` +
    `${counted(n.neighbors, s.neighbors.length, "neighbors")}, ${n.freeBuffers} free packet buffers, ` +
    `${n.icmpErrorsSent} ICMPv6 errors sent, ` +
    `control messages: ${n.controlAccepted} acted on, ${n.controlRefused} refused\n` +
    (n.signedModules ? "modules: signatures checked (domains: in the manifest)"
      : "modules: WARNING: signatures NOT checked — the manifest has no domains:, so the node runs any module it is given");
}

function dropsSection(s: Status): string {
  const rows = Object.entries(s.drops).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return "Drops: none";
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  const body = table(["COUNT", "REASON", "MEANING"],
    rows.map(([reason, n]) => [n, reason, DROP_TEXT[Drop[reason as keyof typeof Drop]] ?? ""]));
  return `Drops (${total} packets)\n${body}`;
}

function hostSection(s: Status): string | null {
  const nics = s.host?.nics ?? [];
  if (nics.length === 0) return null;
  const rows = nics.map((n) => {
    const counts = Object.entries(n.counters).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`);
    return [n.id, n.backend, counts.length > 0 ? counts.join(" ") : "-"];
  });
  return "Host NIC counters\n" + table(["NIC", "BACKEND", "COUNTERS"], rows);
}

/** The host's disks (the Node host: spec/hosts.md "Disks"): state, path and counters. */
function diskSection(s: Status): string | null {
  const disks = s.host?.disks ?? [];
  if (disks.length === 0) return null;
  const rows = disks.map((d) => {
    const counts = Object.entries(d.counters).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`);
    return [d.id, d.name ?? "-", d.state, d.path, counts.length > 0 ? counts.join(" ") : "-"];
  });
  return "Host disks\n" + table(["DISK", "NAME", "STATE", "PATH", "COUNTERS"], rows);
}

/** A table of more rows than this is for a program, not a person (a node holds up to 1,024
 *  services, 8,192 service routes): the text shows this many and says how to get all. */
export const ROWS_SHOWN = 64;
const ALL = "`persia status --format json` lists all";

/** At most ROWS_SHOWN rows, and a line that says what was left out. */
function some<T>(rows: T[], what: string): [T[], string] {
  return rows.length <= ROWS_SHOWN ? [rows, ""] : [rows.slice(0, ROWS_SHOWN), `\n… ${rows.length - ROWS_SHOWN} more ${what}; ${ALL}`];
}

/** The services worth a person's look when there are many: those not running, faulted or
 *  with packets queued, then the busiest (by packets received), in id order; and a count of
 *  each state. All of them when there are ROWS_SHOWN or fewer. */
function servicesShown(s: Status): [ServiceStatus[], string] {
  if (s.services.length <= ROWS_SHOWN) return [s.services, ""];
  const notable = s.services.filter((v) => v.state !== "RUNNING" || v.faults > 0 || v.queue > 0);
  const busiest = s.services.filter((v) => !notable.includes(v)).sort((a, b) => b.rxPackets - a.rxPackets || a.id - b.id);
  const shown = [...notable.slice(0, ROWS_SHOWN), ...busiest.slice(0, Math.max(0, ROWS_SHOWN - notable.length))].sort((a, b) => a.id - b.id);
  const states = new Map<string, number>();
  for (const v of s.services) states.set(stateText(v.state), (states.get(stateText(v.state)) ?? 0) + 1);
  return [shown, `\n${s.services.length} services: ${[...states].map(([st, n]) => `${n} ${st}`).join(", ")}; shown: the ${shown.length} ` +
    `not running, faulted or with a queue, then the busiest; ${ALL}`];
}

/** The whole status as text, sections separated by blank lines. */
export function formatStatus(s: Status): string {
  const nics = s.nics.length === 0 ? null : table(
    ["NIC", "KIND", "MTU", "MAC", "RX FRAMES", "RX BYTES", "TX FRAMES", "TX BYTES", "SEND ERRORS", "TX QUEUE", "RAS SENT"],
    s.nics.map((n) => [n.id, lower(n.kind), n.mtu, n.mac, n.rxFrames, n.rxBytes, n.txFrames, n.txBytes, n.txErrors, n.txQueue,
      n.raSent]));
  const [svcRows, svcNote] = servicesShown(s);
  const services = s.services.length === 0 ? null : table(
    ["ID", "NAME", "STATE", "RESTARTS", "QUEUE", "RX", "TX", "FAULTS", "REFUSED SENDS", "FUEL USED", "RAM NOW/MAX", "LAST FAULT"],
    svcRows.map((v) => [v.id, v.name, stateText(v.state), v.restarts, v.queue, v.rxPackets, v.txPackets,
      v.faults, v.sendRefused, v.fuel, ramText(v), faultText(v)])) + svcNote;
  const [grantRows, grantNote] = some(s.grants, "grants");
  const [routeRows, routeNote] = some(s.routes, "routes");
  const classes = s.classes.length === 0 ? null : table(
    ["NIC", "CLASS", "MIN", "MAX", "BYTES SENT", "DROPS", "QUEUE"], s.classes.map((c) => classRow(c, s.services)));
  const grants = s.grants.length === 0 ? null : table(
    ["SERVICE", "RAM MIN/MAX", "CPU MIN/MAX", "FUEL THIS PERIOD", "DISK EXTENTS"], grantRows.map((g) => grantRow(g, s.services))) + grantNote;
  const routes = s.routes.length === 0 ? null : table(
    ["PREFIX", "KIND", "VIA", "NIC", "SERVICE"], routeRows.map((r) => routeRow(r, s.services))) + routeNote;
  const neighbors = s.neighbors.length === 0 ? null : table(
    ["ADDRESS", "MAC", "NIC", "STATE"], s.neighbors.map((g) => [g.address, g.mac, g.nic, lower(g.state)]));
  const parts = [
    nodeLine(s),
    section("NICs", nics),
    section("Services", services),
    section("Grants", grants),
    section("Egress classes", classes),
    section(cut("Routes", s.node?.routes, s.routes.length), routes),
    section(cut("Neighbors", s.node?.neighbors, s.neighbors.length), neighbors),
    ...clientSections(s),
    ...wireguardSections(s),
    ...certSections(s),
    ...filterSections(s),
    ...usbSections(s),
    dropsSection(s),
  ];
  const host = hostSection(s);
  if (host !== null) parts.push(host);
  const disks = diskSection(s);
  if (disks !== null) parts.push(disks);
  return parts.join("\n\n") + "\n";
}

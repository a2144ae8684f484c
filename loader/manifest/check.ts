// The manifest rules that relate fields to each other: unique NIC, disk and service
// names; unique prefixes and service addresses; routes and disk grants that name an
// existing NIC or disk; vxlan/tap settings present exactly when the kind needs them;
// RAM min <= max; disk extents inside their disk; `ra` settings and `forward` only on a
// router, and `ra` settings consistent among themselves (loader/manifest/ra.ts); net
// entries that name an existing NIC, once per service, with rates that are admitted
// (loader/manifest/net.ts); the client role's autoconf and learned addresses
// (loader/manifest/autoconf.ts); a wireguard NIC's keys and peers (wireguard.ts); a virtio
// NIC's PCI place or MAC (virtio.ts); USB devices and their grants (usb.ts). They read the raw YAML value and parse only the fields they compare, so one broken field elsewhere in an entry does not
// hide these problems: every problem is reported in the same run. Deliberately not
// here: single-field rules (schema.ts, values.ts). Called by loader/manifest/load.ts.
import * as path from "path";
import { formatPrefix, formatAddr } from "../ip6";
import { FieldPath } from "./issues";
import { MAX_PREFIXES, MAX_SERVICES, MAX_USERS, WASM_PAGE, CPU_SHARE_MAX } from "./limits";
import { RS_DEFAULT_FIRST_MS, RS_DEFAULT_MAX_MS } from "../../abi/manifest";
import { netRules } from "./net";
import { raRules } from "./ra";
import { autoconfRules } from "./autoconf";
import { delegationRules } from "./delegations";
import { wireguardRules } from "./wireguard";
import { virtioRules } from "./virtio";
import { usbRules } from "./usb";
import { nodeAddresses } from "./own";
import { ROLE_NAMES } from "./schema";
import * as V from "./values";
import { Raw, Report, entries, name, unique, references, isMapping } from "./raw";


function resolved(baseDir: string, file: string | null): string | null {
  return file === null ? null : path.resolve(baseDir, file);
}


function checkNics(raw: unknown, report: Report): string[] {
  const nics = entries(raw, "nics");
  unique(nics.map((n, i) => ({ key: name(n, "name"), at: ["nics", i, "name"], label: `nics[${i}]` })),
    (first) => `is already the name of ${first}; NIC names must be unique`, report);
  nics.forEach((n, i) => {
    for (const kind of ["vxlan", "tap"]) {
      if (n.kind === kind && n[kind] === undefined) {
        report(["nics", i, kind], `is required because kind is ${kind}; see spec/manifest.md for its fields`);
      } else if (typeof n.kind === "string" && n.kind !== kind && n[kind] !== undefined) {
        report(["nics", i, kind], `is only allowed when kind is ${kind}, and this NIC's kind is ${n.kind}`);
      }
    }
  });
  const prefixes = nics.flatMap((n, i) => (Array.isArray(n.prefixes) ? n.prefixes : []).map((p, j) => {
    const parsed = V.tryParse(V.ip6Prefix, p);
    return { key: parsed && formatPrefix(parsed), at: ["nics", i, "prefixes", j], label: `nics[${i}]` };
  }));
  unique(prefixes, (first) => `is already connected on ${first}; a prefix belongs to one NIC, once`, report);
  if (prefixes.length > MAX_PREFIXES) {
    report(prefixes[MAX_PREFIXES].at, `is prefix number ${MAX_PREFIXES + 1}; the NICs together may have at most ` +
      `${MAX_PREFIXES} (loader/manifest/limits.ts)`);
  }
  return nics.map((n) => name(n, "name")).filter((s): s is string => s !== null);
}


/** `ra` settings and `forward` are for a router only; `ra` settings must agree with each
 *  other. `ra: false` is fine anywhere. */
function checkRouterOnly(raw: unknown, report: Report): void {
  const node = isMapping(raw) ? raw.node : undefined;
  const role = isMapping(node) ? node.role : undefined;
  const notRouter = typeof role === "string" && ROLE_NAMES.includes(role) && role !== "router";
  entries(raw, "nics").forEach((n, i) => {
    if (notRouter && isMapping(n.forward)) {
      report(["nics", i, "forward"], `node.role is ${role}: only a router forwards; set node.role: router or remove forward`);
    }
    if (!isMapping(n.ra)) return;
    const at: FieldPath = ["nics", i, "ra"];
    if (notRouter) report(at, `node.role is ${role}: only a router advertises; set node.role: router or remove ra`);
    raRules(n.ra, (key, message) => report([...at, key], message));
  });
}

/** Each net entry names an existing NIC, at most once per service; then the rates (net.ts). */
function checkNet(raw: unknown, nicNames: string[], report: Report): void {
  const services = entries(raw, "services");
  services.forEach((s, i) => {
    const net = entries(s, "net");
    net.forEach((e, j) => references("NIC", nicNames, name(e, "nic"), ["services", i, "net", j, "nic"], report));
    unique(net.map((e, j) => ({ key: name(e, "nic"), at: ["services", i, "net", j, "nic"], label: `services[${i}].net[${j}]` })),
      (first) => `is already the NIC of ${first}; a service has at most one net entry per NIC`, report);
  });
  netRules(entries(raw, "nics"), services, report);
}

function checkDisks(raw: unknown, baseDir: string, report: Report): string[] {
  const disks = entries(raw, "disks");
  unique(disks.map((d, i) => ({ key: name(d, "name"), at: ["disks", i, "name"], label: `disks[${i}]` })),
    (first) => `is already the name of ${first}; disk names must be unique`, report);
  unique(disks.map((d, i) => ({ key: resolved(baseDir, name(d, "path")), at: ["disks", i, "path"], label: `disks[${i}]` })),
    (first) => `is already the file of ${first}; two disks may not share a file`, report);
  return disks.map((d) => name(d, "name")).filter((s): s is string => s !== null);
}

function checkGrant(g: Raw, disk: Raw | undefined, at: FieldPath, report: Report): void {
  const size = disk && V.tryParse(V.size, disk.size);
  const offset = g.offset === undefined ? 0 : V.tryParse(V.size, g.offset);
  const length = V.tryParse(V.size, g.length);
  if (!size || offset === null || length === null || offset + length <= size) return;
  report([...at, "length"], `the extent from ${V.showSize(offset)} to ${V.showSize(offset + length)} ends past the end of ` +
    `disk "${name(g, "device")}" (${V.showSize(size)}); make offset + length at most ${size} bytes`);
}

function checkServices(raw: unknown, diskNames: string[], macs: Map<number, Uint8Array>, report: Report): void {
  const services = entries(raw, "services");
  const disks = entries(raw, "disks");
  unique(services.map((s, i) => ({ key: name(s, "domain"), at: ["services", i, "domain"], label: `services[${i}]` })),
    (first) => `is already the domain of ${first}; each service has its own domain`, report);
  const addrs = services.flatMap((s, i) => (Array.isArray(s.addresses) ? s.addresses : []).map((a, j) => {
    const parsed = V.tryParse(V.ip6Address, a);
    return { key: parsed && formatAddr(parsed), at: ["services", i, "addresses", j], label: `services[${i}]` };
  }));
  unique(addrs, (first) => `is already an address of ${first}; an address belongs to one service, once`, report);
  const own = nodeAddresses(raw, macs);
  for (const a of addrs) {
    const nic = a.key === null ? undefined : own.get(a.key);
    if (nic) report(a.at, `${a.key} is the node's own address on ${nic}; give the service another one`);
  }
  services.forEach((s, i) => {
    const ram = (s.ram ?? {}) as Raw;
    const min = V.tryParse(V.size, ram.min), max = V.tryParse(V.size, ram.max);
    if (min !== null && max !== null && min > max) {
      report(["services", i, "ram", "min"], `${V.show(ram.min)} is more than ram.max (${V.show(ram.max)}); min must be at most max`);
    }
    entries(s, "disk").forEach((g, j) => {
      const at: FieldPath = ["services", i, "disk", j];
      references("disk", diskNames, name(g, "device"), [...at, "device"], report);
      checkGrant(g, disks.find((d) => d.name === g.device), at, report);
    });
  });
}

/** RAM admission (issue #5): with a node RAM budget, the services' RAM mins, rounded up to
 *  Wasm pages as the kernel grants them, must fit it. Services are admitted in order; a
 *  refused one is left out of the sum, as if it had not started. */
function checkRam(raw: unknown, report: Report): void {
  const budget = V.tryParse(V.size, ((raw as Raw)?.node as Raw | undefined)?.ram);
  if (budget === null || budget === 0) return;
  const admitted: { who: string; bytes: number }[] = [];
  entries(raw, "services").forEach((s, i) => {
    const min = V.tryParse(V.size, ((s.ram ?? {}) as Raw).min);
    if (min === null) return;
    const bytes = Math.ceil(min / WASM_PAGE) * WASM_PAGE;
    const sum = admitted.reduce((t, a) => t + a.bytes, 0);
    if (sum + bytes <= budget) { admitted.push({ who: String(s.domain), bytes }); return; }
    const parts = [...admitted.map((a) => `${a.who} ${V.showSize(a.bytes)}`), `this ${V.showSize(bytes)}`];
    report(["services", i, "ram", "min"], `the node's RAM budget (node.ram) is ${V.showSize(budget)}; the mins add up to ` +
      `${V.showSize(sum + bytes)} (${parts.join(", ")}): ${V.showSize(sum + bytes - budget)} too much`);
  });
}

/** CPU admission (issue #5): each service's cpu.min at most its max, and the mins of all
 *  services at most 100 % of the period, admitted in order like RAM. */
function checkCpu(raw: unknown, report: Report): void {
  let sum = 0;
  const admitted: string[] = [];
  entries(raw, "services").forEach((s, i) => {
    const cpu = s.cpu as Raw | undefined;
    if (!cpu) return;
    const min = V.tryParse(V.share, cpu.min ?? 0), max = V.tryParse(V.share, cpu.max ?? 100);
    if (min === null || max === null) return;
    if (min > max) { report(["services", i, "cpu", "min"], `${V.show(cpu.min)} is more than cpu.max (${V.show(cpu.max)}); min must be at most max`); return; }
    if (sum + min > CPU_SHARE_MAX) {
      report(["services", i, "cpu", "min"], `the CPU mins add up to ${(sum + min) / 10}% (${[...admitted, `this ${min / 10}%`].join(", ")}): ` +
        `${(sum + min - CPU_SHARE_MAX) / 10}% more than the whole period`);
      return;
    }
    sum += min;
    if (min > 0) admitted.push(`${String(s.domain)} ${min / 10}%`);
  });
}

/** A restart backoff's first delay is at most its longest (defaults from abi/manifest.ts). */
function checkRestart(raw: unknown, report: Report): void {
  entries(raw, "services").forEach((s, i) => {
    const r = s.restart as Raw | undefined;
    if (!r || (r.backoff === undefined && r.backoff_max === undefined)) return;
    const first = V.tryParse(V.duration, r.backoff ?? RS_DEFAULT_FIRST_MS);
    const max = V.tryParse(V.duration, r.backoff_max ?? RS_DEFAULT_MAX_MS);
    if (first !== null && max !== null && first > max) {
      report(["services", i, "restart", r.backoff !== undefined ? "backoff" : "backoff_max"],
        `the first restart delay (${first} ms) is longer than the longest (${max} ms); backoff must be at most backoff_max`);
    }
  });
}

/** Users: names unique, keys unique, at most MAX_USERS (user, domain) pairs, the kernel's
 *  table, delegated extents on disks that exist and inside them; the store: services plus
 *  store slots fit the kernel's MAX_SERVICES ids. */
function checkUsersAndStore(raw: unknown, diskNames: string[], report: Report): void {
  const users = entries(raw, "users");
  const disks = entries(raw, "disks");
  users.forEach((u, i) => entries(u, "disks").forEach((g, j) => {
    const at: FieldPath = ["users", i, "disks", j];
    references("disk", diskNames, name(g, "device"), [...at, "device"], report);
    checkGrant(g, disks.find((d) => d.name === g.device), at, report);
  }));
  unique(users.map((u, i) => ({ key: name(u, "name"), at: ["users", i, "name"], label: `users[${i}]` })),
    (first) => `is already the name of ${first}; each user has one entry (list all its domains there)`, report);
  unique(users.map((u, i) => ({ key: typeof u.key === "string" ? u.key : null, at: ["users", i, "key"], label: `users[${i}]` })),
    (first) => `is already the key of ${first}; one key is one user`, report);
  let pairs = 0;
  users.forEach((u, i) => {
    pairs += Array.isArray(u.domains) ? u.domains.length : 0;
    if (pairs > MAX_USERS) report(["users", i, "domains"], `the users' domains add up to ${pairs}; a node keeps at most ${MAX_USERS} (user, domain) pairs`);
  });
  const services = entries(raw, "services").length;
  let slots = services;
  const store = entries(raw, "store");
  store.forEach((e, i) => {
    if ((e.module === undefined) === (e.network === undefined)) {
      report(["store", i], "names either a module (a file the node holds from the start) or network (a directory for modules PUT over the network), not both or neither");
    } else if (e.network !== undefined && i !== store.length - 1) {
      report(["store", i, "network"], "must be the last store entry (its slots follow the modules'), and there is at most one");
    }
    const n = e.slots;
    slots += typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= MAX_SERVICES ? n : 1;
    if (slots > MAX_SERVICES) {
      report(["store", i, "slots"], `the services (${services}) and store slots add up to ${slots}; a node runs at most ${MAX_SERVICES} services`);
    }
  });
}

/** Runs every cross-field rule over the raw document, reporting each violation. `macs`
 *  holds the MACs that come from keys (a wireguard NIC's, by NIC index). */
export function crossCheck(raw: unknown, baseDir: string, report: Report, macs = new Map<number, Uint8Array>()): void {
  const nicNames = checkNics(raw, report);
  checkRouterOnly(raw, report);
  autoconfRules(raw, report);
  entries(raw, "routes").forEach((r, i) => references("NIC", nicNames, name(r, "nic"), ["routes", i, "nic"], report));
  const diskNames = checkDisks(raw, baseDir, report);
  checkServices(raw, diskNames, macs, report);
  wireguardRules(raw, report);
  virtioRules(raw, report);
  usbRules(raw, report);
  checkNet(raw, nicNames, report);
  checkRam(raw, report);
  checkCpu(raw, report);
  checkRestart(raw, report);
  checkUsersAndStore(raw, diskNames, report);
  delegationRules(raw, report);
}

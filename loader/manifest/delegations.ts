// What the node's owner gives each user to hand out (spec/control.md, "Who may hand out
// what"): `users[].addresses`, prefixes (or single addresses) its services' addresses may
// come from, and `users[].disks`, disk extents it may grant. Here are the leaf parser of a
// delegated prefix and the rules that relate delegations to the rest of the manifest:
//   a prefix never covers an address that may not be a service's (multicast, link-local,
//   loopback, unspecified, IPv4-mapped), never overlaps a static route other than ::/0
//   (those addresses are beyond this node), and lies inside one connected prefix or
//   outside all of them (a wider one would give away a whole LAN the owner did not name);
//   an extent lies inside its disk, and shares no byte with another user's or with a
//   manifest service's grant (unless that service is under the user's domains);
//   no two users are given the same address or byte.
// The kernel checks every claim again at run time (kernel/ctl/authority.ts). Called by
// schema.ts (the parser) and check.ts (the rules).
import * as ip6 from "../ip6";
import { FieldPath } from "./issues";
import { MAX_USER_DISKS, MAX_USER_PREFIXES } from "./limits";
import * as V from "./values";

type Raw = Record<string, unknown>;
type Report = (path: FieldPath, message: string) => void;

/** Ranges no service address may come from, with what they are. */
const SPECIAL: [string, string][] = [
  ["::/128", "the unspecified address"], ["::1/128", "the loopback address"],
  ["::ffff:0:0/96", "IPv4-mapped addresses"], ["fe80::/10", "link-local addresses"], ["ff00::/8", "multicast addresses"],
];
const SPECIAL_PREFIXES = SPECIAL.map(([p, what]) => ({ p: ip6.parsePrefix(p), what }));

/** Do two prefixes share an address (one contains the other)? */
export function overlaps(a: ip6.Prefix, b: ip6.Prefix): boolean {
  const len = Math.min(a.len, b.len);
  return ip6.equalBytes(ip6.maskPrefix(a.addr, len), ip6.maskPrefix(b.addr, len));
}

/** A delegated prefix: "fd00:5ab2:1::a:0/112", or one address, "fd00:5ab2:1::a1" (a /128). */
export function delegatedPrefix(v: unknown): ip6.Prefix {
  const s = V.text(v, "fd00:5ab2:1::a:0/112");
  const p = s.includes("/") ? V.ip6Prefix(s) : { addr: V.ip6Address(s), len: 128 };
  if (p.len === 0) throw new V.ValueError(`${V.show(v)} would give the user every address; name the prefix its services may use, e.g. fd00:5ab2:1::a:0/112`);
  const special = SPECIAL_PREFIXES.find((x) => overlaps(p, x.p));
  if (special) {
    throw new V.ValueError(`${V.show(v)} covers ${special.what}; a user is given routable unicast addresses, ` +
      `e.g. a part of a prefix of one of the node's NICs`);
  }
  return p;
}

function list(raw: unknown, key: string): Raw[] {
  const v = raw !== null && typeof raw === "object" ? (raw as Raw)[key] : undefined;
  return Array.isArray(v) ? v.map((e) => (e !== null && typeof e === "object" ? (e as Raw) : {})) : [];
}

function prefixesOf(v: unknown): unknown[] { return Array.isArray(v) ? v : []; }
const userName = (u: Raw, i: number) => (typeof u.name === "string" ? u.name : `users[${i}]`);

/** Every user's address delegation against routes, connected prefixes and the others'. */
function addressRules(raw: unknown, report: Report): void {
  const routes = list(raw, "routes").map((r) => V.tryParse(V.ip6Prefix, r.to));
  const connected = list(raw, "nics").flatMap((n, i) => prefixesOf(n.prefixes).map((p) => ({
    p: V.tryParse(V.ip6Prefix, p), nic: typeof n.name === "string" ? n.name : `nics[${i}]` })));
  const given: { p: ip6.Prefix; who: string }[] = [];
  let count = 0;
  list(raw, "users").forEach((u, i) => prefixesOf(u.addresses).forEach((v, j) => {
    const at: FieldPath = ["users", i, "addresses", j];
    if (++count === MAX_USER_PREFIXES + 1) report(at, `is delegated prefix number ${count}; the users together may have at most ${MAX_USER_PREFIXES}`);
    const p = V.tryParse(delegatedPrefix, v);
    if (!p) return;
    const text = ip6.formatPrefix(p);
    const r = routes.findIndex((x) => x !== null && x.len > 0 && overlaps(x, p));
    if (r >= 0) report(at, `${text} overlaps routes[${r}] (${ip6.formatPrefix(routes[r]!)}): those addresses are reached through another router, not this node`);
    const c = connected.find((x) => x.p !== null && x.p.len > p.len && overlaps(x.p, p));
    if (c) {
      report(at, `${text} contains all of ${c.nic}'s connected prefix ${ip6.formatPrefix(c.p!)}; give that prefix, ` +
        `or a part of it, by name, so that no host on the link is given away by accident`);
    }
    const other = given.find((g) => overlaps(g.p, p));
    if (other) report(at, `${text} overlaps ${ip6.formatPrefix(other.p)}, given to ${other.who}: an address is given to one user`);
    given.push({ p, who: userName(u, i) });
  }));
}

/** Is the domain name d one of the user's domains, or under one? */
function userCovers(u: Raw, d: unknown): boolean {
  if (typeof d !== "string" || !Array.isArray(u.domains)) return false;
  return u.domains.some((x) => typeof x === "string" && (d === x || d.endsWith(`.${x}`)));
}

interface Extent { disk: unknown; off: number; len: number; who: string }

function extentOf(e: Raw, who: string): Extent | null {
  const off = e.offset === undefined ? 0 : V.tryParse(V.size, e.offset), len = V.tryParse(V.size, e.length);
  return off === null || len === null ? null : { disk: e.device, off, len, who };
}

const share = (a: Extent, b: Extent) => a.disk === b.disk && a.off < b.off + b.len && b.off < a.off + a.len;

/** Every user's disk delegation against the others' and the manifest services' grants. */
function diskRules(raw: unknown, report: Report): void {
  const services = list(raw, "services");
  const given: Extent[] = [];
  let count = 0;
  list(raw, "users").forEach((u, i) => list(u, "disks").forEach((e, j) => {
    const at: FieldPath = ["users", i, "disks", j];
    if (++count === MAX_USER_DISKS + 1) report(at, `is delegated extent number ${count}; the users together may have at most ${MAX_USER_DISKS}`);
    const x = extentOf(e, userName(u, i));
    if (!x) return;
    const other = given.find((g) => share(g, x));
    if (other) report(at, `shares bytes of disk "${String(x.disk)}" with an extent given to ${other.who}: a byte is given to one user`);
    services.forEach((s, k) => list(s, "disk").forEach((g, m) => {
      const y = extentOf(g, String(s.domain));
      if (y && share(x, y) && !userCovers(u, s.domain)) {
        report(at, `shares bytes of disk "${String(x.disk)}" with services[${k}].disk[${m}] of ${y.who}, ` +
          `which is not under ${x.who}'s domains`);
      }
    }));
    given.push(x);
  }));
}

/** The rules above, each problem reported at its field. */
export function delegationRules(raw: unknown, report: Report): void {
  addressRules(raw, report);
  diskRules(raw, report);
}

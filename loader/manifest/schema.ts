// The manifest's shape as zod schemas: strict objects (an unknown key is an error), lists
// with their limits, and one leaf parser per field (loader/manifest/values.ts), so that a
// document that passes has every value parsed (sizes in bytes, addresses as bytes, paths
// absolute). Also the Manifest type that the rest of the loader uses. Deliberately
// per-field only: rules that relate fields (references, uniqueness, min <= max, "required
// iff kind is vxlan") are in loader/manifest/check.ts, because zod skips object-level
// refinements once any field has failed and we report every problem at once.
// Called by loader/manifest/load.ts and check.ts. Field meanings: spec/manifest.md.
import * as path from "path";
import { z } from "zod";
import { Role, NicKind } from "../../abi/kernel";
import * as ip6 from "../ip6";
import { keyProblem } from "../control/keys";
import { Learned, learnedEntry } from "./autoconf";
import { delegatedPrefix } from "./delegations";
import * as L from "./limits";
import { lineRate, netMax, netMin } from "./net";
import { RA_FIELDS, RaSettings } from "./ra";
import { NodeIdentity, trustPrefix } from "./certs";
import { WG_LISTEN_DEFAULT, WgKeys, WgPeer, allowedRange, keepalive, listenEndpoint, peerEndpoint, peerKey } from "./wireguard";
import { usbId, usbPath, usbSerial } from "./usb";
import * as V from "./values";
import { isMapping } from "./raw";

/** "SERVER" → "server": the YAML spelling of an abi enum's members. */
export function enumNames(e: object): string[] {
  return Object.keys(e).filter((k) => isNaN(Number(k))).map((k) => k.toLowerCase());
}
export const ROLE_NAMES = enumNames(Role);
/** The kernel's NIC kinds; `virtio` (loader/manifest/virtio.ts) only the metal host runs. */
export const NIC_KIND_NAMES = enumNames(NicKind);
export const RIGHT_NAMES = ["read", "write"] as const;
export type RightName = (typeof RIGHT_NAMES)[number];

/** A field whose raw value goes through `parse`; a ValueError becomes a zod issue. */
function leaf<T>(parse: (v: unknown) => T) {
  return z.unknown().transform((v, ctx): T => {
    try {
      return parse(v);
    } catch (e) {
      if (!(e instanceof V.ValueError)) throw e;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: e.message });
      return z.NEVER;
    }
  });
}

/** parse, but a missing value yields `fallback`. */
function orElse<T, D>(parse: (v: unknown) => T, fallback: D): (v: unknown) => T | D {
  return (v) => (v === undefined ? fallback : parse(v));
}

/** Like leaf, but a missing key yields `fallback`. */
function optional<T, D>(parse: (v: unknown) => T, fallback: D) {
  return leaf(orElse(parse, fallback));
}

function strict<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).strict(`the keys allowed here are ${Object.keys(shape).join(", ")}`);
}

/** A strict mapping in which every key is optional and goes through its own parser. */
function optionalKeys<P extends Record<string, (v: unknown) => unknown>>(parsers: P) {
  const shape = Object.fromEntries(Object.entries(parsers).map(([k, parse]) => [k, optional(parse, undefined)]));
  return strict(shape as { [K in keyof P]: ReturnType<typeof optional<ReturnType<P[K]>, undefined>> });
}

/** A NIC's `ra`: false (it does not advertise) or a mapping of RA settings (loader/manifest/ra.ts). */
function raSetting() {
  return z.union([z.literal(false), optionalKeys(RA_FIELDS)], {
    errorMap: (_, ctx) => ({ message: `${V.show(ctx.data)} is not allowed; write false (this NIC does not advertise) ` +
      `or a mapping of RA settings, e.g. { max_interval: 600 }` }),
  });
}

const tooMany = (noun: string, max: number) => `has too many ${noun}; at most ${max} are allowed (loader/manifest/limits.ts)`;

function list<T extends z.ZodTypeAny>(item: T, noun: string, max: number) {
  return z.array(item).max(max, tooMany(noun, max));
}

/** list(strict(fields)) for a list of mappings whose every field is one leaf parser, checked
 *  in a plain loop: for routes, which may hold 100,000 entries, where zod's array of strict
 *  objects took about 12 µs an entry (spec/performance.md "A large route table in the
 *  manifest"). Missing: []. Says what list(strict(...)) says, in the same words and at the
 *  same paths (an unknown key through zodIssues, a missing one by its parser), which
 *  tests/loader/manifest_routes.test.ts checks against the words zod gave; an entry that a
 *  YAML tag made something else (a set, a date) is refused as no mapping, where zod took some
 *  of them for one. Any issue fails the parse. */
function leafList<P extends Record<string, (v: unknown) => unknown>>(fields: P, noun: string, max: number) {
  const keys = Object.keys(fields), known = new Set(keys);
  const allowed = `the keys allowed here are ${keys.join(", ")}`;
  type Entry = { [K in keyof P]: ReturnType<P[K]> };
  return z.unknown().transform((v, ctx): Entry[] => {
    if (v === undefined) return [];
    const say = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    if (!Array.isArray(v)) {
      say([], `expected a list, found ${V.show(v)}`);
      return [];
    }
    if (v.length > max) say([], tooMany(noun, max));
    const out: Entry[] = [];
    v.forEach((e: unknown, i) => {
      if (!isMapping(e)) return say([i], `expected a mapping of keys to values, found ${V.show(e)}`);
      const o: Record<string, unknown> = {};
      for (const k of keys) {
        try {
          o[k] = fields[k](e[k]);
        } catch (err) {
          if (!(err instanceof V.ValueError)) throw err;
          say([i, k], err.message);
        }
      }
      const extra = Object.keys(e).filter((k) => !known.has(k));
      if (extra.length > 0) ctx.addIssue({ code: z.ZodIssueCode.unrecognized_keys, keys: extra, path: [i], message: allowed });
      out.push(o as Entry);
    });
    return out;
  });
}

function oneOf<T extends string>(names: readonly T[], what: string) {
  return (v: unknown): T => {
    const help = `write one of ${names.join(", ")}`;
    if (v === undefined) throw new V.ValueError(`is required; ${help}`);
    if (!names.includes(v as T)) throw new V.ValueError(`${V.show(v)} is not a ${what}; ${help}`);
    return v as T;
  };
}

/** A set of rights on a disk extent or (what "USB", where read = IN and write = OUT) a USB device. */
function rightsOf(what: string) {
  return (v: unknown): RightName[] => {
    const help = `write a list of ${RIGHT_NAMES.join(" and/or ")}, e.g. [read, write]`;
    if (v === undefined) throw new V.ValueError(`is required; ${help}`);
    if (!Array.isArray(v) || v.length === 0) throw new V.ValueError(`${V.show(v)} is not a set of rights; ${help}`);
    const out = v.map(oneOf(RIGHT_NAMES, `${what} right`));
    const dup = out.find((r, i) => out.indexOf(r) !== i);
    if (dup) throw new V.ValueError(`lists "${dup}" twice; ${help}`);
    return out;
  };
}
const rights = rightsOf("disk");

function connectedPrefix(v: unknown): ip6.Prefix {
  const p = V.ip6Prefix(v);
  if (p.len === 0) throw new V.ValueError(`${V.show(v)} has length 0; a connected prefix is 1 to 128 bits (put ::/0 in routes)`);
  return p;
}

function ramSize(v: unknown): number {
  const bytes = V.size(v);
  if (bytes > L.WASM_MAX_PAGES * L.WASM_PAGE) {
    throw new V.ValueError(`${V.show(v)} is more than a 32-bit Wasm memory holds; RAM is at most 4GiB`);
  }
  return bytes;
}

function ramMax(v: unknown): number {
  const bytes = ramSize(v);
  if (bytes === 0) throw new V.ValueError(`is 0; a service needs at least one ${V.showSize(L.WASM_PAGE)} page`);
  return bytes;
}

/** An address a service may own: a unicast address that can be routed to this node. */
function serviceAddress(v: unknown): Uint8Array {
  const a = V.ip6Address(v);
  const kind = ip6.isUnspecified(a) ? "the unspecified address" : ip6.isLoopback(a) ? "a loopback address"
    : ip6.isMulticast(a) ? "a multicast address" : ip6.isLinkLocal(a) ? "a link-local address"
    : ip6.isIpv4Mapped(a) ? "an IPv4-mapped address" : null;
  if (kind) {
    throw new V.ValueError(`${V.show(v)} is ${kind}; a service owns routable unicast addresses, ` +
      `e.g. from a prefix of one of the node's NICs`);
  }
  return a;
}

/** A service's address list entry: an address, or `{ learned: <nic> }` (loader/manifest/autoconf.ts). */
function addressEntry(v: unknown): Uint8Array | Learned {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? learnedEntry(v as Record<string, unknown>) : serviceAddress(v);
}

/** A route's next hop: a unicast neighbor (link-local is fine); `::` is spelled by leaving via out. */
function gateway(v: unknown): Uint8Array {
  const a = V.ip6Address(v);
  if (ip6.isUnspecified(a)) throw new V.ValueError(`${V.show(v)} is the unspecified address; leave via out for an on-link route`);
  if (ip6.isMulticast(a) || ip6.isLoopback(a)) {
    throw new V.ValueError(`${V.show(v)} is not a unicast neighbor; via is the address of the next router on the NIC's link`);
  }
  return a;
}

function positiveSize(v: unknown): number {
  const bytes = V.size(v);
  if (bytes === 0) throw new V.ValueError("is 0; it must be at least 1 byte");
  return bytes;
}

/** A user's store quota (users[].store): the bytes of modules it may PUT, below 4 GiB (the
 *  USER_STORE record's u32). */
function storeQuota(v: unknown): number {
  const bytes = V.size(v);
  if (bytes > 0xffffffff) throw new V.ValueError(`${V.show(v)} is too large; a user's store quota is below 4GiB`);
  return bytes;
}

/** A user's ed25519 public key, "ed25519:" and the base64 of its 32 bytes (what
 *  `persia key new` prints). */
export function userKey(v: unknown): Uint8Array {
  const help = `write "ed25519:" and the base64 of a 32-byte public key, as \`persia key new\` prints it`;
  if (typeof v !== "string" || !v.startsWith("ed25519:")) throw new V.ValueError(`${V.show(v)} is not an ed25519 key; ${help}`);
  const b64 = v.slice("ed25519:".length);
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length !== 32 || bytes.toString("base64") !== b64) throw new V.ValueError(`${V.show(v)} is not 32 bytes of base64; ${help}`);
  const problem = keyProblem(bytes);
  if (problem) throw new V.ValueError(`${V.show(v)} is not a usable key: ${problem}; make a key with \`persia key new\``);
  return new Uint8Array(bytes);
}

function userName(v: unknown): string {
  if (typeof v !== "string" || !/^[a-z][a-z0-9-]{0,31}$/.test(v)) {
    throw new V.ValueError(`${V.show(v)} is not a user name; write 1 to 32 of a-z, 0-9 and -, starting with a letter, e.g. alice`);
  }
  return v;
}

/** The element schemas, one per list, resolving relative paths against `baseDir`. */
export function schemas(baseDir: string) {
  const file = (example: string) => (v: unknown) => path.resolve(baseDir, V.text(v, example));
  const parseNicName = (v: unknown) => V.shortName(v, "NIC", "lan0");
  const nicName = leaf(parseNicName);
  const netClass = { min: optional(netMin, 0), max: optional(netMax, null) };
  const node = strict({
    name: leaf(V.domainName),
    role: leaf(oneOf(ROLE_NAMES, "node role")),
    ram: optional(positiveSize, null),   // the RAM budget the services' mins must fit (issue #5)
    secret: optional(file("./node.secret"), null), // RFC 7217 secret_key source (issue #20); absolute path
    key: optional(file("./edge.key"), null), // the X25519 private key of its wireguard NICs (issue #13); absolute path
    identity: optional(file("./node.id"), null), // its ed25519 seed: it signs address certificates (issue #15); absolute path
    certs: list(leaf(file("./node.cert")), "certificate files", L.MAX_NODE_CERTS).default([]), // its own, from upstream (certs.ts)
  });
  // A wireguard NIC's own settings and peers (loader/manifest/wireguard.ts, issue #13).
  const wireguard = strict({
    listen: optional(listenEndpoint, listenEndpoint(WG_LISTEN_DEFAULT)),
    key: optional(file("./wg0.key"), null),             // this NIC's private key file instead of node.key
  });
  const peer = strict({
    key: leaf(peerKey),
    endpoint: optional(peerEndpoint, null),
    addresses: z.array(leaf(allowedRange)).default([]),   // WG_ALLOWED_MAX over the node: wireguard.ts
    keepalive: optional(keepalive, 0),
    psk: optional(file("./peer.psk"), null),
  });
  const vxlan = strict({ local: leaf(V.endpoint), remote: leaf(V.endpoint), vni: leaf((v) => V.intIn(v, 0, L.VNI_MAX, "vni")) });
  const nic = strict({
    name: nicName,
    kind: leaf(oneOf(NIC_KIND_NAMES, "NIC kind")),
    mac: optional(V.mac, null),
    mtu: optional((v) => V.intIn(v, L.MTU_MIN, L.MTU_MAX, "mtu"), null),  // null: the kind's default (load.ts)
    prefixes: list(leaf(connectedPrefix), "prefixes", L.MAX_PREFIXES_PER_NIC).default([]),
    vxlan: vxlan.optional(),
    tap: strict({ device: leaf(V.tapDevice), udp_gro: optional((v) => V.bool(v, "udp_gro"), false) }).optional(),
    virtio: strict({ pci: leaf((v) => V.intIn(v, 0, L.VIRTIO_PCI_MAX, "pci")) }).optional(), // virtio.ts
    wireguard: wireguard.optional(),
    peers: z.array(peer).default([]),                     // WG_PEER_MAX over the node: wireguard.ts
    ra: raSetting().optional(),
    rate: optional(lineRate, null),
    forward: strict(netClass).optional(),
    autoconf: optional((v) => V.bool(v, "autoconf"), null),      // null: the role's default (autoconf.ts)
    dad: optional((v) => V.intIn(v, 0, L.DAD_MAX, "dad"), null), // null: the default for autoconf
  });
  const route = { to: V.ip6Prefix, via: orElse(gateway, null), nic: parseNicName };   // via null: on-link
  const disk = strict({ name: leaf((v) => V.shortName(v, "disk", "data")), path: leaf(file("./data.img")), size: leaf(positiveSize) });
  const grant = strict({
    device: leaf((v) => V.shortName(v, "disk", "data")),
    offset: optional(V.size, 0),
    length: leaf(positiveSize),
    rights: leaf(rights),
  });
  // A USB device the host finds (loader/manifest/usb.ts, issue #16), and a service's grant of one.
  const usbDevice = strict({
    name: leaf((v) => V.shortName(v, "USB device", "stick")),
    device: optional(usbId, null),
    serial: optional(usbSerial, null),
    path: optional(usbPath, null),
  });
  const usbGrant = strict({
    device: leaf((v) => V.shortName(v, "USB device", "stick")),
    rights: leaf(rightsOf("USB")),
  });
  const service = strict({
    domain: leaf(V.domainName),
    module: leaf(file("../build/wasm/services/echo.wasm")),
    addresses: list(leaf(addressEntry), "addresses", L.MAX_ADDRS_PER_SERVICE)
      .min(1, `needs at least one address, e.g. ["fd00:5ab2:1::7"] or [{ learned: lan0 }]`),
    ram: strict({ min: leaf(ramSize), max: leaf(ramMax) }),
    restart: strict({
      limit: optional((v) => V.intIn(v, 0, L.RESTART_LIMIT_MAX, "restart limit"), L.RESTART_LIMIT_DEFAULT),
      backoff: optional(V.duration, null),       // the first restart delay (default abi RS_DEFAULT_FIRST_MS)
      backoff_max: optional(V.duration, null),   // the delay doubles up to this
    })
      .default({}),
    disk: list(grant, "disk grants", L.MAX_DISK_GRANTS_PER_SERVICE).default([]),
    usb: list(usbGrant, "USB grants", L.MAX_USB).default([]),
    net: list(strict({ nic: nicName, ...netClass }), "net entries", L.MAX_NET_PER_SERVICE).default([]),
    cpu: strict({ min: optional(V.share, 0), max: optional(V.share, L.CPU_SHARE_MAX) }).optional(),  // permille
  });
  // A GRANT control message's request (spec/control.md): the grants to replace or add.
  const runtimeGrant = strict({
    domain: leaf(V.domainName),
    ram: strict({ min: leaf(ramSize), max: leaf(ramMax) }).optional(),
    cpu: strict({ min: optional(V.share, 0), max: optional(V.share, L.CPU_SHARE_MAX) }).optional(),
    net: list(strict({ nic: nicName, ...netClass }), "net entries", L.MAX_NET_PER_SERVICE).optional(),
    disk: list(grant, "disk grants", L.MAX_DISK_GRANTS_PER_SERVICE).optional(),
    restart: strict({ backoff: optional(V.duration, null), backoff_max: optional(V.duration, null) }).optional(),
  });
  const user = strict({
    name: leaf(userName),
    key: leaf(userKey),
    domains: list(leaf(V.domainName), "domains", L.MAX_USERS).min(1, `needs at least one domain, e.g. [sabz.city]`),
    // What the node's owner gives the user to hand out (spec/control.md): none unless named.
    addresses: list(leaf(delegatedPrefix), "delegated prefixes", L.MAX_USER_PREFIXES).default([]),
    disks: list(grant, "delegated disk extents", L.MAX_USER_DISKS).default([]),
    store: optional(storeQuota, 0),   // bytes of modules the user may PUT into the node's store (issue #14)
  });
  const stored = strict({
    module: optional(file("../build/wasm/services/echo.wasm"), null),
    network: optional(file("./put-store"), null),  // a directory for modules PUT over the network (check.ts: one of the two)
    ram: optional(ramMax, L.STORE_RAM_DEFAULT),   // the most RAM a service loaded from it may get
    slots: optional((v) => V.intIn(v, 1, L.MAX_SERVICES, "slots"), 1), // services it may run at once
  });
  // The host's observability views (spec/observe.md); `persia run --metrics` wins over it.
  const observe = strict({ metrics: optional((v) => { V.listenAddress(v); return v as string; }, null) });
  // A key the node trusts to certify addresses in prefixes (loader/manifest/certs.ts, issue #15).
  const trusted = strict({
    key: leaf(userKey),
    prefixes: z.array(leaf(trustPrefix)).min(1, `needs at least one prefix, e.g. ["fd00::/16"]`), // TRUST_MAX: certs.ts
  });
  // Publisher keys the node trusts to sign modules, per domain (loader/manifest/modsig.ts, issue #14).
  const domain = strict({
    domain: leaf(V.domainName),
    publishers: z.array(leaf(userKey)).min(1, `needs at least one key, e.g. ["ed25519:…"] as \`persia key new\` prints it`), // PUBLISHER_MAX: modsig.ts
  });
  const root = strict({
    node,
    nics: list(nic, "NICs", L.MAX_NICS),
    routes: leafList(route, "routes", L.MAX_ROUTES),
    disks: list(disk, "disks", L.MAX_DISKS).default([]),
    usb: list(usbDevice, "USB devices", L.MAX_USB).default([]),
    services: list(service, "services", L.MAX_SERVICES),
    users: list(user, "users", L.MAX_USERS).default([]),
    store: list(stored, "store entries", L.MAX_SERVICES).default([]),
    observe: observe.default({}),
    trust: z.array(trusted).default([]),
    domains: z.array(domain).min(1, "needs at least one domain and its publisher keys; without domains: the node checks no module's signature").optional(),
  });
  return { root, node, nic, disk, usbDevice, service, user, stored, runtimeGrant, observe };
}

export type Schemas = ReturnType<typeof schemas>;
export type ParsedManifest = z.output<Schemas["root"]>;
type ParsedNic = z.output<Schemas["nic"]>;
type ParsedService = z.output<Schemas["service"]>;

/** A validated manifest: every value parsed, every reference checked, defaults filled in. */
export interface Manifest {
  file: string;                                  // the YAML file's name, as given
  node: z.output<Schemas["node"]> & { secretKey: Uint8Array; // name, role, secret path; RFC 7217 secret_key (16 bytes)
    identityKey: NodeIdentity | null; nodeCerts: Uint8Array[] }; // identity's seed and public key; certs' certificates
  nics: (Omit<ParsedNic, "mac" | "mtu" | "ra" | "autoconf" | "dad" | "wireguard" | "peers"> & {
    mac: Uint8Array; mtu: number;                // given, or the kind's default; a wireguard NIC's MAC from its key
    ra: RaSettings | null;                       // ra null: does not advertise
    wireguard: (WgKeys & { listen: V.Endpoint }) | null; // a wireguard NIC's keys and socket, else null
    peers: (Omit<WgPeer, "psk"> & { psk: Uint8Array | null })[]; // its peers, preshared keys read
    autoconf: boolean; dad: number;              // defaults filled in (autoconf.ts)
  })[];                                          // rate in bit/s (null: not given), forward class if given
  routes: ParsedManifest["routes"];              // to, via (null = on-link), nic name
  disks: z.output<Schemas["disk"]>[];            // name, absolute path, size in bytes
  usb: z.output<Schemas["usbDevice"]>[];         // name and matchers (null: not given), ids their places (usb.ts)
  services: (Omit<ParsedService, "addresses"> & { addresses: Uint8Array[]; learned: string[] })[]; // domain, absolute
                                                 // module path, addresses, NICs it learns addresses on, ram bytes, ...
  users: z.output<Schemas["user"]>[];            // name, key bytes, domains, delegated prefixes and extents (spec/control.md)
  store: z.output<Schemas["stored"]>[];          // modules a LOAD may start: absolute path, RAM ceiling bytes, slots
  observe: z.output<Schemas["observe"]>;         // metrics: the TCP address to serve them on (null: none)
  trust: z.output<Schemas["root"]>["trust"];     // keys trusted to certify addresses in prefixes (issue #15)
  domains: z.output<Schemas["root"]>["domains"]; // publisher keys per domain (issue #14); undefined: modules unchecked
}

// A `wireguard` NIC's manifest keys (issue #13; spec/manifest.md "WireGuard NICs"): its
// `wireguard: { listen, key }`, its `peers` (public key, endpoint, allowed addresses,
// keepalive, preshared key file) and the node's `key` file. Here are the leaf parsers, the
// rules that relate these keys to the rest of a NIC and to each other, and the one place
// the key files are read (node.key, wireguard.key, each peer's psk), checked through
// loader/wg/keys.ts. Deliberately no key bytes in any message, and not here: the records
// (compile.ts, boot_wg.ts) and the protocol (kernel/wg/). Called by schema.ts (parsers),
// check.ts (rules) and load.ts (keys and defaults).
import * as path from "path";
import { WG_PORT } from "../../wire/layout/wireguard";
import { WG_ALLOWED_MAX, WG_MTU_MAX, WG_PEER_MAX } from "../../abi/limits";
import * as ip6 from "../ip6";
import { KeyFileError, X25519_PREFIX, decodeKey, encodeKey, isWeakPublicKey, publicKeyOf, readKeyFile } from "../wg/keys";
import { FieldPath } from "./issues";
import { PORT_MAX } from "./limits";
import { Raw, Report, entries, isMapping, name, unique } from "./raw";
import * as V from "./values";

export const WG_MTU_DEFAULT = 1420;           // wg-quick's: 1500 less IPv6, UDP and WireGuard's headers
export const WG_LISTEN_DEFAULT = `[::]:${WG_PORT}`;
export const WG_KEEPALIVE_MAX = 0xffff;       // persistent keepalive in s: a u16 in WG_PEER
const KIND = "wireguard";
const NEW_KEY = (file: string) => `make one with \`persia key new --kind x25519 -o ${file}\` or \`(umask 077; wg genkey > ${file})\``;

/** A NIC's keys once the files are read: the private key stays in the boot manifest. */
export interface WgKeys { privateKey: Uint8Array; publicKey: Uint8Array; }
export interface WgPeer {
  key: Uint8Array;                           // the peer's public key
  endpoint: V.Endpoint | null;               // null: wait for the peer to start
  addresses: ip6.Prefix[];                   // allowed ranges (cryptokey routing)
  keepalive: number;                         // s, 0: off
  psk: string | null;                        // the preshared key's file (absolute)
}

/** Where the host binds its UDP socket: "[address]:port" ([::] any address, an IPv4
 *  address as a.b.c.d:port), port 0 picks a free one. */
export function listenEndpoint(v: unknown): V.Endpoint {
  const s = V.text(v, WG_LISTEN_DEFAULT);
  const m = /^\[([^\]]*)\]:([0-9]{1,5})$/.exec(s) ?? /^([0-9.]+):([0-9]{1,5})$/.exec(s);
  const help = `write [address]:port, e.g. ${WG_LISTEN_DEFAULT} (every address) or [fd00:99::1]:${WG_PORT}`;
  if (!m || Number(m[2]) > PORT_MAX) throw new V.ValueError(`${V.show(v)} is not a UDP endpoint to listen on; ${help}`);
  const address = endpointAddress(m[1], s, help);
  if (ip6.isMulticast(address)) throw new V.ValueError(`${V.show(v)} is a multicast address; ${help}`);
  return { address, port: Number(m[2]) };
}

/** A peer's endpoint: "[fd00:99::2]:51820" or "192.0.2.7:51820" (as ::ffff:192.0.2.7). */
export function peerEndpoint(v: unknown): V.Endpoint {
  const s = V.text(v, `[fd00:99::2]:${WG_PORT}`);
  const m = /^([0-9.]+):([0-9]{1,5})$/.exec(s);
  if (!m) return V.endpoint(v);
  const port = Number(m[2]);
  const help = `write [address]:port or a.b.c.d:port, e.g. 192.0.2.7:${WG_PORT}`;
  if (port < 1 || port > PORT_MAX) throw new V.ValueError(`${V.show(v)} has port ${port}; a port is 1 to ${PORT_MAX}`);
  const address = endpointAddress(m[1], s, help);
  if (address[12] === 0 || address[12] >= 224) throw new V.ValueError(`${V.show(v)} is not a unicast IPv4 address; ${help}`);
  return { address, port };
}

function endpointAddress(text: string, whole: string, help: string): Uint8Array {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const bytes = v4.slice(1).map(Number);
    if (bytes.some((b) => b > 255)) throw new V.ValueError(`${JSON.stringify(whole)} has no IPv4 address; ${help}`);
    return Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes);
  }
  return V.ip6Address(text);
}

/** A peer's public key: base64 of 32 bytes as `wg pubkey` prints it, "x25519:" allowed before it. */
export function peerKey(v: unknown): Uint8Array {
  const help = "write the base64 public key that `wg pubkey` or `persia key pub` prints (\"x25519:\" before it is allowed)";
  const s = typeof v === "string" && v.startsWith(X25519_PREFIX) ? v.slice(X25519_PREFIX.length) : v;
  const key = typeof s === "string" ? decodeKey(s) : null;
  if (key === null) throw new V.ValueError(`${V.show(v)} is not a WireGuard public key; ${help}`);
  if (isWeakPublicKey(key)) throw new V.ValueError(`${V.show(v)} is a point of small order, with which no handshake is secret; ${help}`);
  return key;
}

/** An allowed range: a prefix, or an address alone for /128. IPv6 only. */
export function allowedRange(v: unknown): ip6.Prefix {
  if (typeof v === "string" && !v.includes("/")) return { addr: V.ip6Address(v), len: 128 };
  return V.ip6Prefix(v);
}

export const keepalive = (v: unknown) => V.intIn(v, 0, WG_KEEPALIVE_MAX, "keepalive (seconds, 0: off)");

/** A value that is a key itself where a file name belongs: it must not be echoed. */
const looksLikeKey = (v: unknown) => typeof v === "string" && decodeKey(v.trim()) !== null;

/** The rules on raw NIC entries: wireguard and peers only on a wireguard NIC; no ra,
 *  autoconf or dad there; its MTU at most WG_MTU_MAX; a peer key once per node, a range
 *  once per NIC; peers and ranges within the kernel's tables; node.key where a NIC needs it. */
export function wireguardRules(raw: unknown, report: Report): void {
  const nics = entries(raw, "nics");
  let peers = 0, ranges = 0;
  const keys: { key: string | null; at: FieldPath; label: string }[] = [];
  nics.forEach((n, i) => {
    const at = (...p: (string | number)[]): FieldPath => ["nics", i, ...p];
    if (typeof n.kind === "string" && n.kind !== KIND) {
      for (const k of [KIND, "peers"]) if (n[k] !== undefined) report(at(k), `is only allowed when kind is ${KIND}, and this NIC's kind is ${n.kind}`);
      return;
    }
    if (n.kind !== KIND) return;
    for (const [k, why] of [["ra", "a WireGuard link carries no router advertisements (no multicast, no Ethernet)"],
      ["autoconf", "a WireGuard link has no router advertisements to learn from"],
      ["dad", "a WireGuard link has no neighbor discovery, and each peer's addresses are fixed by its allowed ranges"]]) {
      if (n[k] !== undefined) report(at(k), `is not allowed on a ${KIND} NIC: ${why}; remove ${k}`);
    }
    if (typeof n.mtu === "number" && n.mtu > WG_MTU_MAX) {
      report(at("mtu"), `${n.mtu} is more than a ${KIND} NIC carries (${WG_MTU_MAX}: the sealed packet and its ` +
        `endpoint header must fit one frame); leave mtu out for ${WG_MTU_DEFAULT}`);
    }
    const own = entries(n, "peers");
    own.forEach((p, j) => {
      if (++peers === WG_PEER_MAX + 1) report(at("peers", j), `is peer number ${peers}; a node has at most ${WG_PEER_MAX} WireGuard peers over all its NICs`);
      const key = V.tryParse(peerKey, p.key);
      keys.push({ key: key && encodeKey(key), at: at("peers", j, "key"), label: `nics[${i}].peers[${j}]` });
      const list = Array.isArray(p.addresses) ? p.addresses : [];
      list.forEach((_, k) => {
        if (++ranges === WG_ALLOWED_MAX + 1) {
          report(at("peers", j, "addresses", k), `is allowed range number ${ranges}; a node has at most ${WG_ALLOWED_MAX} over all its peers`);
        }
      });
    });
    const allowed = own.flatMap((p, j) => (Array.isArray(p.addresses) ? p.addresses : []).map((a, k) => {
      const r = V.tryParse(allowedRange, a);
      return { key: r && ip6.formatPrefix(r), at: at("peers", j, "addresses", k), label: `peers[${j}]` };
    }));
    unique(allowed, (first) => `is already allowed to ${first}; a range belongs to one peer of a NIC (a packet to it ` +
      `must have one peer to go to)`, report);
  });
  unique(keys, (first) => `is already the key of ${first}; a peer is one entry, on one NIC of the node`, report);
  const node = isMapping(raw) ? raw.node : undefined;
  const needy = nics.findIndex((n) => n.kind === KIND && !(isMapping(n.wireguard) && n.wireguard.key !== undefined));
  if (needy >= 0 && !(isMapping(node) && node.key !== undefined)) {
    report(["node"], `needs key: NIC ${name(nics[needy], "name") ?? `nics[${needy}]`} is kind ${KIND}, and its private key ` +
      `comes from node.key (or its own wireguard.key); write key: <file> and ${NEW_KEY("edge.key")}`);
  }
}

/** Reads one key file named at `at` in the raw manifest; null after reporting the problem. */
function readAt(v: unknown, at: FieldPath, baseDir: string, what: string, report: Report): Uint8Array | null {
  if (typeof v !== "string") return null;                  // the schema reports it
  if (looksLikeKey(v)) {
    report(at, `holds a key itself; ${what} names a file that holds the key (mode 0600), so that the manifest can be shown ` +
      "to others: write the key into a file and name the file here");
    return null;
  }
  const file = path.resolve(baseDir, v);
  try {
    return readKeyFile(file, what === "psk" ? `make one with \`(umask 077; wg genpsk > ${file})\`` : NEW_KEY(file));
  } catch (e) {
    if (!(e instanceof KeyFileError)) throw e;
    report(at, e.message);
    return null;
  }
}

/** The keys of every wireguard NIC (its own wireguard.key, else node.key) by NIC index,
 *  each peer's preshared key by "nic/peer", and the refusal of a peer whose key is the
 *  NIC's own public key (or whose "public key" is the NIC's private key). */
export function wireguardKeys(raw: unknown, baseDir: string, report: Report):
  { nics: Map<number, WgKeys>; psks: Map<string, Uint8Array> } {
  const out = { nics: new Map<number, WgKeys>(), psks: new Map<string, Uint8Array>() };
  const node = isMapping(raw) ? raw.node : undefined;
  let nodeKey: Uint8Array | null | undefined;
  entries(raw, "nics").forEach((n, i) => {
    if (n.kind !== KIND) return;
    const own = isMapping(n.wireguard) && n.wireguard.key !== undefined;
    const privateKey = own ? readAt((n.wireguard as Raw).key, ["nics", i, "wireguard", "key"], baseDir, "wireguard.key", report)
      : (nodeKey = nodeKey !== undefined ? nodeKey : isMapping(node) ? readAt(node.key, ["node", "key"], baseDir, "node.key", report) : null);
    const keys = privateKey && { privateKey, publicKey: publicKeyOf(privateKey) };
    if (keys) out.nics.set(i, keys);
    entries(n, "peers").forEach((p, j) => {
      const key = V.tryParse(peerKey, p.key);
      if (keys && key && ip6.equalBytes(key, keys.publicKey)) {
        report(["nics", i, "peers", j, "key"], `is this NIC's own public key; a peer is another node or host`);
      } else if (keys && key && ip6.equalBytes(key, keys.privateKey)) {
        report(["nics", i, "peers", j, "key"], `is this NIC's private key, not a peer's public key; remove it from the manifest ` +
          "at once, and make the NIC a new key: a key that was written here is no longer secret");
      }
      if (p.psk === undefined) return;
      const psk = readAt(p.psk, ["nics", i, "peers", j, "psk"], baseDir, "psk", report);
      if (psk) out.psks.set(`${i}/${j}`, psk);
    });
  });
  if (nodeKey === undefined && isMapping(node) && node.key !== undefined) readAt(node.key, ["node", "key"], baseDir, "node.key", report);
  return out;
}

// The WireGuard records of the boot manifest (abi/manifest.ts WG, WG_PEER, WG_ALLOWED;
// issue #13) as TypeScript values, with their encoder and decoder; boot.ts puts them in its
// record order (after the AUTOCONFs: each after the NIC or peer it names) and frames them.
// The WG record holds a NIC's private key: nothing here prints a record's bytes.
// Deliberately no meaning checks (a NIC that is of kind WIREGUARD, ...): compile.ts emits
// only valid ones and the kernel checks again. Called by boot.ts.
import * as M from "../../abi/manifest";
import { IP6_BYTES } from "../ip6";
import { WG_KEY } from "../../wire/layout/wireguard";

/** A WG record: NIC nic's X25519 private key (32 bytes). */
export interface BootWg { nic: number; privateKey: Uint8Array; }
/** A WG_PEER record: peer numbers are unique in the node; psk all zeros for none; endpoint ::
 *  and port 0 for none; keepalive in s (0: off). */
export interface BootWgPeer {
  nic: number; peer: number; keepalive: number; publicKey: Uint8Array; psk: Uint8Array; endpoint: Uint8Array; port: number;
}
/** A WG_ALLOWED record: a range peer `peer` may use. */
export interface BootWgAllowed { peer: number; len: number; prefix: Uint8Array; }

export interface BootWireguard { wgs?: BootWg[]; wgPeers?: BootWgPeer[]; wgAllowed?: BootWgAllowed[]; }

type Body = (size: number, fill: (v: DataView, b: Uint8Array) => void) => Uint8Array;

function bytes(what: string, b: Uint8Array, n: number): Uint8Array {
  if (b.length !== n) throw new Error(`boot manifest: ${what} is ${b.length} bytes, not ${n}`);
  return b;
}

/** The three record kinds of `m`, in order, each as its type and body. */
export function wgRecordList(m: BootWireguard, body: Body): [M.Rec, Uint8Array][] {
  return [
    ...(m.wgs ?? []).map((w): [M.Rec, Uint8Array] => [M.Rec.WG, body(M.WG_SIZE, (v, b) => {
      v.setUint8(M.WG_NIC, w.nic); b.set(bytes(`NIC ${w.nic}'s private key`, w.privateKey, WG_KEY), M.WG_PRIVATE);
    })]),
    ...(m.wgPeers ?? []).map((p): [M.Rec, Uint8Array] => [M.Rec.WG_PEER, body(M.WP_SIZE, (v, b) => {
      v.setUint8(M.WP_NIC, p.nic); v.setUint8(M.WP_PEER, p.peer); v.setUint16(M.WP_KEEPALIVE, p.keepalive, true);
      b.set(bytes(`peer ${p.peer}'s key`, p.publicKey, WG_KEY), M.WP_PUBLIC);
      b.set(bytes(`peer ${p.peer}'s preshared key`, p.psk, WG_KEY), M.WP_PSK);
      b.set(bytes(`peer ${p.peer}'s endpoint`, p.endpoint, IP6_BYTES), M.WP_ENDPOINT);
      v.setUint16(M.WP_PORT, p.port, true);
    })]),
    ...(m.wgAllowed ?? []).map((a): [M.Rec, Uint8Array] => [M.Rec.WG_ALLOWED, body(M.WA_SIZE, (v, b) => {
      v.setUint8(M.WA_PEER, a.peer); v.setUint8(M.WA_LEN, a.len); b.set(bytes(`peer ${a.peer}'s range`, a.prefix, IP6_BYTES), M.WA_PREFIX);
    })]),
  ];
}

export const WG_FIXED: Partial<Record<M.Rec, number>> = {
  [M.Rec.WG]: M.WG_SIZE, [M.Rec.WG_PEER]: M.WP_SIZE, [M.Rec.WG_ALLOWED]: M.WA_SIZE,
};
// Reserved bytes that must be zero: the "0" fields of abi/manifest.ts.
export const WG_ZERO: Partial<Record<M.Rec, number[]>> = {
  [M.Rec.WG]: [M.WG_NIC + 1, M.WG_NIC + 2, M.WG_NIC + 3],
  [M.Rec.WG_PEER]: [M.WP_PORT + 2, M.WP_PORT + 3],
  [M.Rec.WG_ALLOWED]: [M.WA_LEN + 1, M.WA_LEN + 2],
};

/** Adds record `b` of a WireGuard type to `m`; false for any other type. Lengths and
 *  reserved bytes are checked by the caller (WG_FIXED, WG_ZERO). */
export function decodeWgRecord(m: Required<BootWireguard>, type: M.Rec, b: Uint8Array): boolean {
  const r = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const key = (at: number) => b.slice(at, at + WG_KEY);
  switch (type) {
    case M.Rec.WG:
      m.wgs.push({ nic: b[M.WG_NIC], privateKey: key(M.WG_PRIVATE) });
      return true;
    case M.Rec.WG_PEER:
      m.wgPeers.push({
        nic: b[M.WP_NIC], peer: b[M.WP_PEER], keepalive: r.getUint16(M.WP_KEEPALIVE, true), publicKey: key(M.WP_PUBLIC),
        psk: key(M.WP_PSK), endpoint: b.slice(M.WP_ENDPOINT, M.WP_ENDPOINT + IP6_BYTES), port: r.getUint16(M.WP_PORT, true),
      });
      return true;
    case M.Rec.WG_ALLOWED:
      m.wgAllowed.push({ peer: b[M.WA_PEER], len: b[M.WA_LEN], prefix: b.slice(M.WA_PREFIX, M.WA_PREFIX + IP6_BYTES) });
      return true;
    default:
      return false;
  }
}

// The node's own addresses as a manifest implies them, computed the way the kernel computes
// them at boot (kernel/net/iface.ts nicAdd, prefixAdd): each NIC's MAC — given, or derived
// from the node name and the NIC's position — and per connected prefix the prefix plus the
// MAC's EUI-64 (prefixes up to /64) or the prefix's first address with its lowest bit set
// (longer ones). No service may own one. Called by load.ts (the default MAC) and check.ts.
import { createHash } from "crypto";
import * as ip6 from "../ip6";
import * as V from "./values";

type Raw = Record<string, unknown>;

/** A locally administered unicast MAC that depends only on the node name and NIC index,
 *  so a node keeps its link-local addresses across restarts. */
export function defaultMac(nodeName: string, nicIndex: number): Uint8Array {
  const h = createHash("sha256").update(`persia-mac\0${nodeName}\0${nicIndex}`).digest();
  const mac = Uint8Array.from(h.subarray(0, 6));
  mac[0] = (mac[0] & 0xfc) | 0x02; // clear the multicast bit, set the locally-administered bit
  return mac;
}

/** The node's address in each connected prefix of the raw manifest, as RFC 5952 text, with
 *  the NIC it is on; entries whose values do not parse are left out (the schema reports them).
 *  `macs` has the MACs a NIC without one gets from elsewhere (a wireguard NIC's, from its key). */
export function nodeAddresses(raw: unknown, macs = new Map<number, Uint8Array>()): Map<string, string> {
  const doc = (raw ?? {}) as Raw;
  const nodeName = typeof (doc.node as Raw | undefined)?.name === "string" ? String((doc.node as Raw).name) : "";
  const out = new Map<string, string>();
  (Array.isArray(doc.nics) ? doc.nics : []).forEach((n: Raw, i: number) => {
    const mac = n?.mac === undefined ? macs.get(i) ?? defaultMac(nodeName, i) : V.tryParse(V.mac, n.mac);
    if (!mac || !Array.isArray(n.prefixes)) return;
    for (const text of n.prefixes) {
      const p = V.tryParse(V.ip6Prefix, text);
      if (!p) continue;
      let a = ip6.addressFromMac(p.addr, mac);
      if (p.len > 64) { a = Uint8Array.from(p.addr); a[15] |= 1; }
      out.set(ip6.formatAddr(a), typeof n.name === "string" ? n.name : `nics[${i}]`);
    }
  });
  return out;
}

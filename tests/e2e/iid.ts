// The addresses a client node forms in a learned /64 (issue #20), computed here apart from
// the kernel so an end-to-end test knows which address to ping and checks the kernel's
// choice: RFC 7217's stable interface identifier,
//   IID = first 8 bytes of SHA-512(Prefix[0..8] ‖ Net_Iface ‖ DAD_Counter (1 byte) ‖ secret_key[16])
// with no Network_ID; Net_Iface is a service's domain in ASCII or, for the node's own
// address, the NIC's 6-byte MAC. An IID that RFC 5453 reserves is skipped by counting
// DAD_Counter up, as a DAD failure does (RFC 7217 §6, at most IDGEN_RETRIES retries).
// Deliberately not here: DAD itself, lifetimes. Used by tests/e2e/client*.test.ts.
import { createHash } from "crypto";
import { formatAddr, parseAddr } from "../../loader/ip6";

import { IDGEN_RETRIES } from "../../abi/limits";   // RFC 7217 §6: new identifiers after a DAD failure

export { IDGEN_RETRIES };

/** secret_key: the first 16 bytes of SHA-512 of node.secret's content, or 16 zero bytes
 *  when the manifest names no secret. */
export function secretKey(content?: Uint8Array): Uint8Array {
  if (content === undefined) return new Uint8Array(16);
  return new Uint8Array(createHash("sha512").update(content).digest().subarray(0, 16));
}

/** RFC 5453 §2's reserved interface identifiers: all zeros (the subnet-router anycast),
 *  0200:5EFF:FE00:0000–0200:5EFF:FE00:5212 (proxy mobile IPv6 and reserved), and
 *  FDFF:FFFF:FFFF:FF80–FDFF:FFFF:FFFF:FFFF (subnet anycast, RFC 2526). */
export function isReservedIid(iid: Uint8Array): boolean {
  const hex = Buffer.from(iid).toString("hex");
  if (hex === "0000000000000000") return true;
  if (hex.startsWith("02005efffe00")) return parseInt(hex.slice(12), 16) <= 0x5212;
  if (hex.startsWith("fdffffffffffff")) return parseInt(hex.slice(14), 16) >= 0x80;
  return false;
}

/** The identifier for one DAD_Counter value, reserved or not. */
export function rawIid(prefix: Uint8Array, netIface: Uint8Array, counter: number, secret: Uint8Array): Uint8Array {
  if (secret.length !== 16) throw new Error("secret_key is 16 bytes");
  const h = createHash("sha512");
  h.update(prefix.subarray(0, 8)).update(netIface).update(Uint8Array.of(counter)).update(secret);
  return new Uint8Array(h.digest().subarray(0, 8));
}

/** An address the node may try, and the DAD_Counter it was made with. */
export interface Candidate { counter: number; address: string }

/** The addresses tried in order: the first after `failures` DAD failures is element
 *  [failures]. Reserved identifiers are passed over (their counter values are used up). */
export function candidates(prefixText: string, netIface: Uint8Array | string, secret = secretKey()): Candidate[] {
  const prefix = parseAddr(prefixText.replace(/\/64$/, ""));
  const iface = typeof netIface === "string" ? new Uint8Array(Buffer.from(netIface, "ascii")) : netIface;
  const out: Candidate[] = [];
  for (let counter = 0; out.length <= IDGEN_RETRIES && counter < 256; counter++) {
    const iid = rawIid(prefix, iface, counter, secret);
    if (isReservedIid(iid)) continue;
    const a = new Uint8Array(16);
    a.set(prefix.subarray(0, 8));
    a.set(iid, 8);
    out.push({ counter, address: formatAddr(a) });
  }
  return out;
}

/** The address a service (its domain) or the node (its NIC's MAC) gets in a /64 after
 *  `failures` DAD failures (0: the first one it tries). */
export function learnedAddress(prefixText: string, netIface: Uint8Array | string, failures = 0, secret = secretKey()): string {
  const c = candidates(prefixText, netIface, secret);
  if (failures >= c.length) throw new Error(`RFC 7217 gives up after ${IDGEN_RETRIES} retries`);
  return c[failures].address;
}

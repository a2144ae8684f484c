// The raw pieces of WireGuard's four messages for tests (whitepaper §5.4, the layout in
// wire/layout/wireguard.ts): each message's fields by name, offset and length (so a test
// can flip a bit in every field, or cut a message short at every field's edge), the
// macs recomputed over a message a test has changed (so a change gets past mac1 and
// reaches the check behind it), a cookie reply built from its parts, and the endpoint
// header a WIREGUARD NIC puts before a datagram between kernel and host. No handshake
// state here: that is tests/wg/peer.ts.
import * as L from "../../wire/layout/wireguard";
import { mac, mac1Key, cookieKey } from "./noise";
import { xseal } from "./aead";

export interface Field { name: string; at: number; len: number }

const f = (name: string, at: number, end: number): Field => ({ name, at, len: end - at });

/** Every field of each message type, in order; together they cover the whole message
 *  (a transport message's "packet" field covers the sealed packet and its tag). */
export const FIELDS = {
  initiation: [f("type", 0, 1), f("reserved", 1, L.WGI_SENDER), f("sender", L.WGI_SENDER, L.WGI_EPHEMERAL),
    f("ephemeral", L.WGI_EPHEMERAL, L.WGI_STATIC), f("static", L.WGI_STATIC, L.WGI_TIMESTAMP),
    f("timestamp", L.WGI_TIMESTAMP, L.WGI_MAC1), f("mac1", L.WGI_MAC1, L.WGI_MAC2), f("mac2", L.WGI_MAC2, L.WGI_SIZE)],
  response: [f("type", 0, 1), f("reserved", 1, L.WGR_SENDER), f("sender", L.WGR_SENDER, L.WGR_RECEIVER),
    f("receiver", L.WGR_RECEIVER, L.WGR_EPHEMERAL), f("ephemeral", L.WGR_EPHEMERAL, L.WGR_EMPTY),
    f("empty", L.WGR_EMPTY, L.WGR_MAC1), f("mac1", L.WGR_MAC1, L.WGR_MAC2), f("mac2", L.WGR_MAC2, L.WGR_SIZE)],
  cookie: [f("type", 0, 1), f("reserved", 1, L.WGC_RECEIVER), f("receiver", L.WGC_RECEIVER, L.WGC_NONCE),
    f("nonce", L.WGC_NONCE, L.WGC_COOKIE), f("cookie", L.WGC_COOKIE, L.WGC_SIZE)],
  /** For a transport message of `size` bytes. */
  transport: (size: number) => [f("type", 0, 1), f("reserved", 1, L.WGT_RECEIVER),
    f("receiver", L.WGT_RECEIVER, L.WGT_COUNTER), f("counter", L.WGT_COUNTER, L.WGT_DATA), f("packet", L.WGT_DATA, size)],
};

const view = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset, m.byteLength);
export const u32 = (m: Uint8Array, at: number) => view(m).getUint32(at, true);
export const setU32 = (m: Uint8Array, at: number, v: number) => view(m).setUint32(at, v >>> 0, true);
export const u64 = (m: Uint8Array, at: number) => view(m).getBigUint64(at, true);

/** The message type (the first byte), or 0 when the three reserved bytes are not zero. */
export function messageType(m: Uint8Array): number {
  return m.length >= 4 && (u32(m, 0) & 0xffffff00) === 0 ? m[0] : 0;
}

/** mac1 of a handshake message (initiation or response) whose responder has this public
 *  key: MAC(HASH("mac1----" ‖ key), the message up to mac1). */
export function mac1Of(m: Uint8Array, responderPublic: Uint8Array): Uint8Array {
  return mac(mac1Key(responderPublic), m.subarray(0, m.length - 2 * L.WG_MAC));
}

/** mac2 of a handshake message: MAC(cookie, the message up to mac2). */
export function mac2Of(m: Uint8Array, cookie: Uint8Array): Uint8Array {
  return mac(cookie, m.subarray(0, m.length - L.WG_MAC));
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export const mac1Ok = (m: Uint8Array, responderPublic: Uint8Array) =>
  equal(mac1Of(m, responderPublic), m.subarray(m.length - 2 * L.WG_MAC, m.length - L.WG_MAC));
export const mac2Ok = (m: Uint8Array, cookie: Uint8Array) => equal(mac2Of(m, cookie), m.subarray(m.length - L.WG_MAC));

/** A copy of handshake message m with mac1 recomputed, and mac2 from cookie (zeros when
 *  there is none): a test that changed a field makes the message pass mac1 again. */
export function withMacs(m: Uint8Array, responderPublic: Uint8Array, cookie?: Uint8Array): Uint8Array {
  const out = Uint8Array.from(m);
  out.set(mac1Of(out, responderPublic), out.length - 2 * L.WG_MAC);
  out.set(cookie ? mac2Of(out, cookie) : new Uint8Array(L.WG_MAC), out.length - L.WG_MAC);
  return out;
}

/** The cookie for a source (whitepaper §5.4.7): MAC(secret, source). What source holds is
 *  the issuer's choice (wireguard-go: the address ‖ the port, little-endian; Linux:
 *  the address ‖ the port, big-endian); only the issuer ever recomputes it. */
export const cookieFor = (secret: Uint8Array, source: Uint8Array) => mac(secret, source);

/** A cookie reply to handshake message m (whose sender index is receiver) from the
 *  responder with this public key: the cookie sealed with XChaCha20-Poly1305 under
 *  HASH("cookie--" ‖ public), the nonce given, m's mac1 as associated data. */
export function cookieReply(m: Uint8Array, receiver: number, cookie: Uint8Array, responderPublic: Uint8Array,
  nonce: Uint8Array): Uint8Array {
  const r = new Uint8Array(L.WGC_SIZE);
  r[0] = L.WG_COOKIE;
  setU32(r, L.WGC_RECEIVER, receiver);
  r.set(nonce, L.WGC_NONCE);
  const mac1 = m.subarray(m.length - 2 * L.WG_MAC, m.length - L.WG_MAC);
  r.set(xseal(cookieKey(responderPublic), nonce, cookie, mac1), L.WGC_COOKIE);
  return r;
}

/** A WIREGUARD NIC's frame: the endpoint header (address, port big-endian) and one UDP
 *  payload. An IPv4 peer's address is written as ::ffff:a.b.c.d by the caller. */
export function endpointFrame(addr: Uint8Array, port: number, payload: Uint8Array): Uint8Array {
  const fr = new Uint8Array(L.WG_EP_HDR + payload.length);
  fr.set(addr, L.WG_EP_ADDR);
  view(fr).setUint16(L.WG_EP_PORT, port);
  fr.set(payload, L.WG_EP_HDR);
  return fr;
}

export function parseEndpointFrame(fr: Uint8Array): { addr: Uint8Array; port: number; payload: Uint8Array } | null {
  if (fr.length < L.WG_EP_HDR) return null;
  return { addr: fr.subarray(L.WG_EP_ADDR, L.WG_EP_ADDR + 16), port: view(fr).getUint16(L.WG_EP_PORT), payload: fr.subarray(L.WG_EP_HDR) };
}

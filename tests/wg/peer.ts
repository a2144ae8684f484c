// An independent WireGuard peer for in-process tests, written from the whitepaper (§5.4)
// and cross-read with wireguard-go (device/noise-protocol.go, cookie.go): one side of one
// peer pair, initiator or responder, with its sessions and replay windows, so a test can
// talk to the kernel's WireGuard (kernel/wg/) byte for byte through a mock host, and
// check each message the kernel sends. It speaks real WireGuard: peer.test.ts proves it
// against Linux's wireguard-go. Deliberately absent: timers (rekey, retry, keepalive —
// the test drives time and decides when to send), the 20 ms initiation flood limit,
// endpoints (a test carries the bytes). Every refusal says why in `lastDrop`, with the
// kernel's drop reason for the same thing (abi/drop.ts).
//
//   initiator:  initiation() ──148──▶  ◀──92── consumeResponse(m)   then seal()/open()
//   responder:  consumeInitiation(m) ──▶ returns the 92-byte response, then open()/seal()
//   cookies:    consumeCookie(m) makes the next initiation() carry mac2; cookieReply(m, src)
//               answers as a responder under load would, and mac2Ok(m, src) checks one.
import * as L from "../../wire/layout/wireguard";
import { Drop } from "../../abi/drop";
import * as N from "./noise";
import * as aead from "./aead";
import { ReplayWindow, REJECT_AFTER_MESSAGES } from "./replay";
import { messageType, u32, u64, setU32, mac1Ok, mac2Ok, withMacs, cookieFor, cookieReply } from "./messages";

export interface PeerOptions {
  /** This side's static private key (32 bytes). */
  private: Uint8Array;
  /** The other side's static public key. */
  peerPublic: Uint8Array;
  /** The pre-shared key; 32 zero bytes when absent, as in WireGuard. */
  psk?: Uint8Array;
  /** Unix time in nanoseconds: TAI64N timestamps and a cookie's age. */
  now: () => bigint;
  /** n random bytes: ephemeral keys, indices, cookie secrets and nonces. */
  random: (n: number) => Uint8Array;
}

/** One pair of transport keys, from one completed handshake. */
export interface Session {
  localIndex: number;
  remoteIndex: number;
  send: Uint8Array;
  recv: Uint8Array;
  /** The counter the next seal() uses. */
  sendCounter: bigint;
  replay: ReplayWindow;
  initiator: boolean;
  created: bigint;
}

/** The state between a sent initiation and its response, or a consumed initiation. */
interface Pending { chain: N.Chain; ephemeral: Uint8Array; localIndex: number }

/** wireguard-go's CookieRefreshTime: a cookie is used for 120 s after it arrived, and a
 *  cookie secret is renewed after as long. */
const COOKIE_LIFE = 120_000_000_000n;
/** Sessions kept: the newest first (wireguard-go keeps next, current and previous). */
const KEPT = 3;

export class Peer {
  readonly publicKey: Uint8Array;
  /** Sessions, newest first. */
  sessions: Session[] = [];
  /** Why the last consume…() or open() refused its message, as the kernel's drop reason
   *  for it would be, with a word more; null after a success. */
  lastDrop: { reason: Drop; why: string } | null = null;
  /** The newest TAI64N timestamp accepted from the other side's initiations. */
  lastTimestamp: Uint8Array = new Uint8Array(L.WG_TIMESTAMP);
  private pending: Pending | null = null;
  private lastMac1: Uint8Array | null = null;
  /** The sender index of the last handshake message this peer sent (a cookie's receiver). */
  private lastSender: number | null = null;
  private cookie: { value: Uint8Array; at: bigint } | null = null;
  private secret: { value: Uint8Array; at: bigint } | null = null;
  private readonly psk: Uint8Array;
  private readonly ss: Uint8Array;

  constructor(private readonly o: PeerOptions) {
    this.publicKey = N.publicKey(o.private);
    this.psk = o.psk ?? new Uint8Array(L.WG_KEY);
    const ss = N.dh(o.private, o.peerPublic);
    if (ss === null) throw new Error("peer: the two static keys give an all-zero shared secret");
    this.ss = ss;
  }

  get current(): Session | undefined { return this.sessions[0]; }
  get localIndex(): number | undefined { return this.current?.localIndex; }
  get remoteIndex(): number | undefined { return this.current?.remoteIndex; }
  get sendCounter(): bigint | undefined { return this.current?.sendCounter; }

  private drop(reason: Drop, why: string): null {
    this.lastDrop = { reason, why };
    return null;
  }

  private refuse(reason: Drop, why: string): false {
    this.drop(reason, why);
    return false;
  }

  private index(): number { return u32(this.o.random(4), 0); }

  /** A handshake initiation (whitepaper §5.4.2), with mac1 and, while a cookie is fresh,
   *  mac2. `timestamp` replaces the TAI64N of now (to send a stale or a replayed one). */
  initiation(opts: { timestamp?: Uint8Array } = {}): Uint8Array {
    const m = new Uint8Array(L.WGI_SIZE);
    m[0] = L.WG_INITIATION;
    const ephemeral = N.clamp(this.o.random(32));
    const epub = N.publicKey(ephemeral);
    let s: N.Chain = N.mixHash({ c: N.INITIAL_CHAIN, h: N.INITIAL_HASH }, this.o.peerPublic);
    s = N.mixHash(N.mixKey(s, epub), epub);
    const es = N.dh(ephemeral, this.o.peerPublic);
    if (es === null) throw new Error("peer: the responder's static key is a low-order point");
    let k: Uint8Array, sealed: Uint8Array;
    [s, k] = N.mixKeyAndKey(s, es);
    [s, sealed] = N.encryptAndHash(s, k, this.publicKey);
    m.set(sealed, L.WGI_STATIC);
    [s, k] = N.mixKeyAndKey(s, this.ss);
    [s, sealed] = N.encryptAndHash(s, k, opts.timestamp ?? N.tai64n(this.o.now()));
    m.set(sealed, L.WGI_TIMESTAMP);
    const localIndex = this.index();
    setU32(m, L.WGI_SENDER, localIndex);
    m.set(epub, L.WGI_EPHEMERAL);
    this.pending = { chain: s, ephemeral, localIndex };
    return this.addMacs(m);
  }

  private addMacs(m: Uint8Array): Uint8Array {
    const fresh = this.cookie !== null && this.o.now() - this.cookie.at <= COOKIE_LIFE;
    const out = withMacs(m, this.o.peerPublic, fresh ? this.cookie!.value : undefined);
    this.lastMac1 = out.slice(out.length - 2 * L.WG_MAC, out.length - L.WG_MAC);
    this.lastSender = u32(out, L.WGI_SENDER);   // the sender's offset in both handshake messages
    return out;
  }

  /** The responder's side of an initiation (§5.4.2, then §5.4.3): the 92-byte response,
   *  or null (see lastDrop). The new session is the newest at once: WireGuard's responder
   *  waits for the initiator's first message before it sends in it, here the test does. */
  consumeInitiation(m: Uint8Array): Uint8Array | null {
    if (m.length !== L.WGI_SIZE || messageType(m) !== L.WG_INITIATION) return this.drop(Drop.WG_MALFORMED, "not an initiation");
    if (!mac1Ok(m, this.publicKey)) return this.drop(Drop.WG_MAC, "initiation: mac1");
    const epub = m.slice(L.WGI_EPHEMERAL, L.WGI_STATIC);
    let s: N.Chain = N.mixHash({ c: N.INITIAL_CHAIN, h: N.INITIAL_HASH }, this.publicKey);
    s = N.mixKey(N.mixHash(s, epub), epub);
    const se = N.dh(this.o.private, epub);
    if (se === null) return this.drop(Drop.WG_HANDSHAKE, "initiation: low-order ephemeral");
    let k: Uint8Array;
    [s, k] = N.mixKeyAndKey(s, se);
    const st = N.decryptAndHash(s, k, m.subarray(L.WGI_STATIC, L.WGI_TIMESTAMP));
    if (st === null) return this.drop(Drop.WG_HANDSHAKE, "initiation: static does not open");
    if (!st[1].every((b, i) => b === this.o.peerPublic[i])) return this.drop(Drop.WG_HANDSHAKE, "initiation: unknown peer");
    [s, k] = N.mixKeyAndKey(st[0], this.ss);
    const ts = N.decryptAndHash(s, k, m.subarray(L.WGI_TIMESTAMP, L.WGI_MAC1));
    if (ts === null) return this.drop(Drop.WG_HANDSHAKE, "initiation: timestamp does not open");
    if (!N.after(ts[1], this.lastTimestamp)) return this.drop(Drop.WG_HANDSHAKE, "initiation: timestamp replayed");
    this.lastTimestamp = ts[1];
    return this.respond(ts[0], epub, u32(m, L.WGI_SENDER));
  }

  private respond(s: N.Chain, initiatorEphemeral: Uint8Array, remoteIndex: number): Uint8Array | null {
    const r = new Uint8Array(L.WGR_SIZE);
    r[0] = L.WG_RESPONSE;
    const ephemeral = N.clamp(this.o.random(32));
    const epub = N.publicKey(ephemeral);
    s = N.mixKey(N.mixHash(s, epub), epub);
    const ee = N.dh(ephemeral, initiatorEphemeral);
    const se = N.dh(ephemeral, this.o.peerPublic);
    if (ee === null || se === null) return this.drop(Drop.WG_HANDSHAKE, "initiation: low-order ephemeral");
    s = N.mixKey(N.mixKey(s, ee), se);
    const [c, tau, k] = N.kdf(3, s.c, this.psk);
    let empty: Uint8Array;
    [s, empty] = N.encryptAndHash(N.mixHash({ c, h: s.h }, tau), k, new Uint8Array(0));
    const localIndex = this.index();
    setU32(r, L.WGR_SENDER, localIndex);
    setU32(r, L.WGR_RECEIVER, remoteIndex);
    r.set(epub, L.WGR_EPHEMERAL);
    r.set(empty, L.WGR_EMPTY);
    this.begin(s.c, localIndex, remoteIndex, false);
    this.lastDrop = null;
    return this.addMacs(r);
  }

  /** The initiator's side of a response (§5.4.3): true when it completes the handshake,
   *  which starts a session (the newest). */
  consumeResponse(m: Uint8Array): boolean {
    if (m.length !== L.WGR_SIZE || messageType(m) !== L.WG_RESPONSE) return this.refuse(Drop.WG_MALFORMED, "not a response");
    if (!mac1Ok(m, this.publicKey)) return this.refuse(Drop.WG_MAC, "response: mac1");
    const p = this.pending;
    if (p === null || u32(m, L.WGR_RECEIVER) !== p.localIndex) return this.refuse(Drop.WG_HANDSHAKE, "response: to no initiation of ours");
    const epub = m.slice(L.WGR_EPHEMERAL, L.WGR_EMPTY);
    let s = N.mixKey(N.mixHash(p.chain, epub), epub);
    const ee = N.dh(p.ephemeral, epub);
    const se = N.dh(this.o.private, epub);
    if (ee === null || se === null) return this.refuse(Drop.WG_HANDSHAKE, "response: low-order ephemeral");
    s = N.mixKey(N.mixKey(s, ee), se);
    const [c, tau, k] = N.kdf(3, s.c, this.psk);
    const e = N.decryptAndHash(N.mixHash({ c, h: s.h }, tau), k, m.subarray(L.WGR_EMPTY, L.WGR_MAC1));
    if (e === null) return this.refuse(Drop.WG_HANDSHAKE, "response: empty does not open");
    this.pending = null;
    this.begin(e[0].c, p.localIndex, u32(m, L.WGR_SENDER), true);
    this.lastDrop = null;
    return true;
  }

  /** §5.4.5: the transport keys from the final chaining key; the initiator sends with
   *  the first, the responder with the second. */
  private begin(c: Uint8Array, localIndex: number, remoteIndex: number, initiator: boolean): void {
    const [t1, t2] = N.kdf(2, c, new Uint8Array(0));
    const [send, recv] = initiator ? [t1, t2] : [t2, t1];
    this.sessions = [{ localIndex, remoteIndex, send, recv, sendCounter: 0n, replay: new ReplayWindow(), initiator, created: this.o.now() },
      ...this.sessions].slice(0, KEPT);
  }

  /** A cookie reply (§5.4.7) to the last handshake message this peer sent: true when it
   *  opens, and the next initiation() then carries mac2. */
  consumeCookie(m: Uint8Array): boolean {
    if (m.length !== L.WGC_SIZE || messageType(m) !== L.WG_COOKIE) return this.refuse(Drop.WG_MALFORMED, "not a cookie reply");
    if (this.lastMac1 === null || u32(m, L.WGC_RECEIVER) !== this.lastSender) return this.refuse(Drop.WG_HANDSHAKE, "cookie: to no handshake message of ours");
    const value = aead.xopen(N.cookieKey(this.o.peerPublic), m.subarray(L.WGC_NONCE, L.WGC_COOKIE),
      m.subarray(L.WGC_COOKIE), this.lastMac1);
    if (value === null) return this.refuse(Drop.WG_HANDSHAKE, "cookie: does not open");
    this.cookie = { value, at: this.o.now() };
    this.lastDrop = null;
    return true;
  }

  private cookieSecret(): Uint8Array {
    const now = this.o.now();
    if (this.secret === null || now - this.secret.at > COOKIE_LIFE) this.secret = { value: this.o.random(32), at: now };
    return this.secret.value;
  }

  /** What a responder under load sends instead of a response: a cookie reply to handshake
   *  message m from `source` (opaque bytes naming the sender's address and port). */
  cookieReply(m: Uint8Array, source: Uint8Array): Uint8Array {
    return cookieReply(m, u32(m, L.WGI_SENDER), cookieFor(this.cookieSecret(), source), this.publicKey, this.o.random(L.WGC_NONCE_LEN));
  }

  /** Whether handshake message m carries the mac2 of the cookie this peer gave `source`. */
  mac2Ok(m: Uint8Array, source: Uint8Array): boolean {
    return this.secret !== null && mac2Ok(m, cookieFor(this.secret.value, source));
  }

  /** A transport message (§5.4.6) carrying packet, padded with zeros to a multiple of 16,
   *  in the newest session. `counter` replaces the next counter (to send a replay or out of
   *  order) without moving it. */
  seal(packet: Uint8Array, opts: { counter?: bigint; session?: Session } = {}): Uint8Array {
    const s = opts.session ?? this.current;
    if (!s) throw new Error("peer: seal() before a handshake completed");
    const counter = opts.counter ?? s.sendCounter++;
    const padded = new Uint8Array(Math.ceil(packet.length / L.WG_PAD) * L.WG_PAD);
    padded.set(packet);
    const m = new Uint8Array(L.WGT_DATA + padded.length + L.WG_TAG);
    m[0] = L.WG_TRANSPORT;
    setU32(m, L.WGT_RECEIVER, s.remoteIndex);
    new DataView(m.buffer).setBigUint64(L.WGT_COUNTER, counter, true);
    m.set(aead.seal(s.send, counter, padded), L.WGT_DATA);
    return m;
  }

  /** A keepalive: a transport message with an empty packet. */
  keepalive(): Uint8Array { return this.seal(new Uint8Array(0)); }

  /** The packet of a transport message, its padding cut by the IPv6 header's length; an
   *  empty array for a keepalive; null when refused (see lastDrop). */
  open(m: Uint8Array): Uint8Array | null {
    if (m.length < L.WGT_MIN || messageType(m) !== L.WG_TRANSPORT) return this.drop(Drop.WG_MALFORMED, "not a transport message");
    const s = this.sessions.find((x) => x.localIndex === u32(m, L.WGT_RECEIVER));
    if (!s) return this.drop(Drop.WG_KEY, "transport: unknown receiver index");
    const counter = u64(m, L.WGT_COUNTER);
    const plain = aead.open(s.recv, counter, m.subarray(L.WGT_DATA));
    if (plain === null) return this.drop(Drop.WG_AUTH, "transport: tag");
    if (!s.replay.accept(counter, REJECT_AFTER_MESSAGES)) return this.drop(Drop.WG_REPLAY, `transport: counter ${counter}`);
    this.lastDrop = null;
    if (plain.length >= 40 && plain[0] >> 4 === 6) return plain.subarray(0, Math.min(plain.length, 40 + ((plain[4] << 8) | plain[5])));
    return plain;
  }
}

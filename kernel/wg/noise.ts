// The WireGuard handshake (Noise IKpsk2, the whitepaper §5.4.2–§5.4.5, as wireguard-go's
// device/noise-protocol.go): create and consume initiations and responses, and derive the
// session keys. Messages are written into and read from kernel memory at m; mac1 and mac2
// are cookie.ts's. Nothing here sends: link.ts does, with what these functions wrote.
import { Drop } from "../../abi/drop";
import * as L from "../../wire/layout/wireguard";
import { WG_KEY, WG_TAG, WG_TIMESTAMP } from "../../wire/layout/wireguard";
import { now, epoch } from "../clock";
import { x25519, x25519Base } from "../crypto/x25519";
import { aeadSeal, aeadOpen } from "../crypto/aead";
import { kdf } from "../crypto/kdf";
import { ctEq } from "../crypto/ct";
import { tai64n } from "../crypto/tai64n";
import { host_random } from "../../abi/gen/host";
import { hash2, CHAIN0, HANDSHAKE_INITIATION_RATE } from "./proto";
import * as S from "./state";
import { replayReset } from "./replay";

/** Why the last consume failed (a Drop reason). */
export let refused: Drop = Drop.WG_HANDSHAKE;

const ZERO_NONCE: usize = memory.data(12, 8);
const KEY: usize = memory.data(WG_KEY, 8);
const DH: usize = memory.data(WG_KEY, 8);
const TAU: usize = memory.data(WG_KEY, 8);
const H: usize = memory.data(WG_KEY, 8);
const CK: usize = memory.data(WG_KEY, 8);
const PUB: usize = memory.data(WG_KEY, 8);
const TS: usize = memory.data(WG_TIMESTAMP, 8);

function wipe(): void {
  memory.fill(KEY, 0, WG_KEY); memory.fill(DH, 0, WG_KEY); memory.fill(TAU, 0, WG_KEY);
  memory.fill(H, 0, WG_KEY); memory.fill(CK, 0, WG_KEY);
}

function fail(why: Drop): i32 { wipe(); refused = why; return -1; }

/** Write an initiation to peer p at m (up to, not including, the macs). */
export function initiationCreate(p: i32, m: usize): void {
  let nic = <i32>unchecked(S.peerNic[p]);
  S.hsClear(p);
  memory.copy(CK, CHAIN0, WG_KEY);
  memory.copy(H, S.peerInitHash(p), WG_KEY);                   // HASH(HASH0 ‖ its static)
  host_random(<i32>S.hsEpriv(p), WG_KEY);
  store<u32>(m, L.WG_INITIATION);
  let idx = S.newIndex();
  store<u32>(m + L.WGI_SENDER, idx);
  x25519Base(m + L.WGI_EPHEMERAL, S.hsEpriv(p));
  kdf(CK, m + L.WGI_EPHEMERAL, WG_KEY, CK, 0, 0);
  hash2(H, H, WG_KEY, m + L.WGI_EPHEMERAL, WG_KEY);
  x25519(DH, S.hsEpriv(p), S.peerPub(p));
  kdf(CK, DH, WG_KEY, CK, KEY, 0);
  aeadSeal(m + L.WGI_STATIC, KEY, ZERO_NONCE, S.ifPub(nic), WG_KEY, H, WG_KEY);
  hash2(H, H, WG_KEY, m + L.WGI_STATIC, WG_KEY + WG_TAG);
  kdf(CK, S.peerSs(p), WG_KEY, CK, KEY, 0);
  tai64n(TS, epoch + now);
  aeadSeal(m + L.WGI_TIMESTAMP, KEY, ZERO_NONCE, TS, WG_TIMESTAMP, H, WG_KEY);
  hash2(H, H, WG_KEY, m + L.WGI_TIMESTAMP, WG_TIMESTAMP + WG_TAG);
  memory.copy(S.hsCk(p), CK, WG_KEY);
  memory.copy(S.hsHash(p), H, WG_KEY);
  unchecked(S.hsLocal[p] = idx);
  unchecked(S.hsState[p] = <u8>S.Hs.INIT_SENT);
  wipe();
}

/** Consume an initiation at m (macs checked) on nic: the peer it came from, or -1 with
 *  refused set. Leaves the peer's handshake ready for a response. */
export function initiationConsume(nic: i32, m: usize): i32 {
  memory.copy(CK, CHAIN0, WG_KEY);
  memory.copy(H, S.ifHash(nic), WG_KEY);
  kdf(CK, m + L.WGI_EPHEMERAL, WG_KEY, CK, 0, 0);
  hash2(H, H, WG_KEY, m + L.WGI_EPHEMERAL, WG_KEY);
  if (!x25519(DH, S.ifPriv(nic), m + L.WGI_EPHEMERAL)) return fail(Drop.WG_HANDSHAKE);
  kdf(CK, DH, WG_KEY, CK, KEY, 0);
  if (!aeadOpen(PUB, KEY, ZERO_NONCE, m + L.WGI_STATIC, WG_KEY + WG_TAG, H, WG_KEY)) return fail(Drop.WG_HANDSHAKE);
  let p = S.peerByKey(nic, PUB);
  if (p < 0) return fail(Drop.WG_HANDSHAKE);
  hash2(H, H, WG_KEY, m + L.WGI_STATIC, WG_KEY + WG_TAG);
  if (ctEq(S.peerSs(p), S.ZERO32, WG_KEY)) return fail(Drop.WG_HANDSHAKE);   // its key has small order
  kdf(CK, S.peerSs(p), WG_KEY, CK, KEY, 0);
  if (!aeadOpen(TS, KEY, ZERO_NONCE, m + L.WGI_TIMESTAMP, WG_TIMESTAMP + WG_TAG, H, WG_KEY)) return fail(Drop.WG_HANDSHAKE);
  hash2(H, H, WG_KEY, m + L.WGI_TIMESTAMP, WG_TIMESTAMP + WG_TAG);
  // Replay: the timestamp must grow (big-endian); a flood: no two within 20 ms.
  if (memory.compare(TS, S.peerTs(p), WG_TIMESTAMP) <= 0) return fail(Drop.WG_HANDSHAKE);   // bytewise: big-endian
  let last = unchecked(S.lastInitRecv[p]);
  if (last >= 0 && now - last <= HANDSHAKE_INITIATION_RATE) return fail(Drop.WG_HANDSHAKE);
  memory.copy(S.peerTs(p), TS, WG_TIMESTAMP);
  unchecked(S.lastInitRecv[p] = now);
  S.hsClear(p);
  memory.copy(S.hsCk(p), CK, WG_KEY);
  memory.copy(S.hsHash(p), H, WG_KEY);
  memory.copy(S.hsEremote(p), m + L.WGI_EPHEMERAL, WG_KEY);
  unchecked(S.hsRemote[p] = load<u32>(m + L.WGI_SENDER));
  unchecked(S.hsState[p] = <u8>S.Hs.INIT_RECEIVED);
  wipe();
  return p;
}

/** Write the response to peer p's consumed initiation at m (up to the macs) and make the
 *  session its next keypair (wg confirms it when the initiator's first data comes). */
export function responseCreate(p: i32, m: usize): void {
  memory.copy(CK, S.hsCk(p), WG_KEY);
  memory.copy(H, S.hsHash(p), WG_KEY);
  store<u32>(m, L.WG_RESPONSE);
  let idx = S.newIndex();
  store<u32>(m + L.WGR_SENDER, idx);
  store<u32>(m + L.WGR_RECEIVER, unchecked(S.hsRemote[p]));
  host_random(<i32>S.hsEpriv(p), WG_KEY);
  x25519Base(m + L.WGR_EPHEMERAL, S.hsEpriv(p));
  kdf(CK, m + L.WGR_EPHEMERAL, WG_KEY, CK, 0, 0);
  hash2(H, H, WG_KEY, m + L.WGR_EPHEMERAL, WG_KEY);
  x25519(DH, S.hsEpriv(p), S.hsEremote(p));
  kdf(CK, DH, WG_KEY, CK, 0, 0);
  x25519(DH, S.hsEpriv(p), S.peerPub(p));
  kdf(CK, DH, WG_KEY, CK, 0, 0);
  kdf(CK, S.peerPsk(p), WG_KEY, CK, TAU, KEY);
  hash2(H, H, WG_KEY, TAU, WG_KEY);
  aeadSeal(m + L.WGR_EMPTY, KEY, ZERO_NONCE, 0, 0, H, WG_KEY);
  let k = S.kpForResponder(p);
  begin(k, false, idx, unchecked(S.hsRemote[p]));
  S.hsClear(p);
  wipe();
}

/** Consume a response at m (macs checked) on nic: the peer whose initiation it answers, or
 *  -1 with refused set. The session becomes the peer's current keypair. */
export function responseConsume(nic: i32, m: usize): i32 {
  let owner = S.indexOwner(load<u32>(m + L.WGR_RECEIVER)) - S.KP_MAX;
  if (owner < 0 || unchecked(S.hsState[owner]) != <u8>S.Hs.INIT_SENT || <i32>unchecked(S.peerNic[owner]) != nic) {
    return fail(Drop.WG_HANDSHAKE);
  }
  let p = owner;
  memory.copy(CK, S.hsCk(p), WG_KEY);
  memory.copy(H, S.hsHash(p), WG_KEY);
  kdf(CK, m + L.WGR_EPHEMERAL, WG_KEY, CK, 0, 0);
  hash2(H, H, WG_KEY, m + L.WGR_EPHEMERAL, WG_KEY);
  if (!x25519(DH, S.hsEpriv(p), m + L.WGR_EPHEMERAL)) return fail(Drop.WG_HANDSHAKE);
  kdf(CK, DH, WG_KEY, CK, 0, 0);
  if (!x25519(DH, S.ifPriv(nic), m + L.WGR_EPHEMERAL)) return fail(Drop.WG_HANDSHAKE);
  kdf(CK, DH, WG_KEY, CK, 0, 0);
  kdf(CK, S.peerPsk(p), WG_KEY, CK, TAU, KEY);
  hash2(H, H, WG_KEY, TAU, WG_KEY);
  if (!aeadOpen(0, KEY, ZERO_NONCE, m + L.WGR_EMPTY, WG_TAG, H, WG_KEY)) return fail(Drop.WG_HANDSHAKE);
  let k = S.kpForInitiator(p);
  begin(k, true, unchecked(S.hsLocal[p]), load<u32>(m + L.WGR_SENDER));
  S.hsClear(p);
  wipe();
  return p;
}

/** Derive keypair k's keys from the chaining key in CK (whitepaper §5.4.5): the initiator
 *  sends with the first, the responder with the second. */
function begin(k: i32, initiator: bool, local: u32, remote: u32): void {
  if (initiator) kdf(CK, 0, 0, S.kpSend(k), S.kpRecv(k), 0);
  else kdf(CK, 0, 0, S.kpRecv(k), S.kpSend(k), 0);
  unchecked(S.kpUsed[k] = true);
  unchecked(S.kpLocal[k] = local);
  unchecked(S.kpRemote[k] = remote);
  unchecked(S.kpCreated[k] = now);
  unchecked(S.kpSendCount[k] = 0);
  unchecked(S.kpInitiator[k] = initiator);
  replayReset(k);
}

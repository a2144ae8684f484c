// The boot manifest's WireGuard records (abi/manifest.ts WG, WG_PEER, WG_ALLOWED): checked
// whole, then applied. A refusal names its field and why in badField/badWhy, which
// kernel/boot.ts logs like every other record's. The private key is never logged.
import * as M from "../../abi/manifest";
import { NicKind } from "../../abi/kernel";
import { WG_PEER_MAX, WG_MTU_MAX } from "../../abi/limits";
import { WG_KEY, WG_EP_ADDR, WG_EP_PORT, WG_EP_HDR } from "../../wire/layout/wireguard";
import { le16 } from "../../wire/bytes";
import { NIC_MAX } from "../param";
import { now } from "../clock";
import { nicValid, nicKind, nicMtu } from "../net/iface";
import { x25519, x25519Base } from "../crypto/x25519";
import { ctEq } from "../crypto/ct";
import { protoInit, labelled, hash2, HASH0, LABEL_MAC1, LABEL_COOKIE } from "./proto";
import * as S from "./state";
import { timersReset, tPersistent } from "./timers";
import { loadReset } from "./cookie";

export let badField = "";
export let badWhy = "";

function bad(field: string, why: string): i32 { badField = field; badWhy = why; return -1; }

/** WG: a WIREGUARD NIC's private key. */
export function wgIface(b: usize, n: i32): i32 {
  if (n != M.WG_SIZE) return bad("length", "WG record is not 36 bytes");
  let nic = <i32>load<u8>(b + M.WG_NIC);
  if (!nicValid(nic) || unchecked(nicKind[nic]) != <u8>NicKind.WIREGUARD) {
    return bad("nic", "no WIREGUARD NIC with this id (NIC records come first)");
  }
  if (unchecked(S.wgNic[nic])) return bad("nic", "two WG records for one NIC");
  if (ctEq(b + M.WG_PRIVATE, S.ZERO32, WG_KEY)) return bad("private key", "all zero: make one with `wg genkey`");
  protoInit();
  memory.copy(S.ifPriv(nic), b + M.WG_PRIVATE, WG_KEY);
  x25519Base(S.ifPub(nic), S.ifPriv(nic));
  labelled(S.ifMac1(nic), LABEL_MAC1, S.ifPub(nic));
  labelled(S.ifCookie(nic), LABEL_COOKIE, S.ifPub(nic));
  hash2(S.ifHash(nic), HASH0, WG_KEY, S.ifPub(nic), WG_KEY);
  S.ifAdd(nic);
  return 0;
}

/** WG_PEER: a peer of a WIREGUARD NIC. */
export function wgPeer(b: usize, n: i32): i32 {
  if (n != M.WP_SIZE) return bad("length", "WG_PEER record is not 88 bytes");
  let nic = <i32>load<u8>(b + M.WP_NIC), p = <i32>load<u8>(b + M.WP_PEER);
  if (nic >= NIC_MAX || !unchecked(S.wgNic[nic])) return bad("nic", "no WIREGUARD NIC with a WG record of this id (they come first)");
  if (p >= WG_PEER_MAX) return bad("peer", "peer number beyond the kernel's WG_PEER_MAX");
  if (unchecked(S.peerPresent[p])) return bad("peer", "peer number given twice");
  let key = b + M.WP_PUBLIC;
  if (ctEq(key, S.ifPub(nic), WG_KEY)) return bad("public key", "the NIC's own key");
  if (S.peerByKey(nic, key) >= 0) return bad("public key", "another peer of this NIC has it");
  if (!x25519(S.peerSs(p), S.ifPriv(nic), key)) {
    memory.fill(S.peerSs(p), 0, WG_KEY);
    return bad("public key", "a point of small order: no secret can be agreed with it");
  }
  memory.copy(S.peerPub(p), key, WG_KEY);
  memory.copy(S.peerPsk(p), b + M.WP_PSK, WG_KEY);
  labelled(S.peerMac1(p), LABEL_MAC1, key);
  labelled(S.peerCookieKey(p), LABEL_COOKIE, key);
  hash2(S.peerInitHash(p), HASH0, WG_KEY, key, WG_KEY);
  let ep = S.peerEp(p);
  memory.fill(ep, 0, WG_EP_HDR);
  let port = le16(b + M.WP_PORT);
  if (port != 0) {
    memory.copy(ep + WG_EP_ADDR, b + M.WP_ENDPOINT, 16);
    store<u16>(ep + WG_EP_PORT, bswap<u16>(<u16>port));
  }
  let keepalive = <i32>le16(b + M.WP_KEEPALIVE);
  S.peerAdd(p, nic, keepalive);
  // As wireguard-go on a peer with a persistent keepalive: say hello at once.
  if (keepalive > 0 && port != 0) unchecked(tPersistent[p] = now);
  return 0;
}

/** WG_ALLOWED: an address range of a peer's. */
export function wgAllowed(b: usize, n: i32): i32 {
  if (n != M.WA_SIZE) return bad("length", "WG_ALLOWED record is not 20 bytes");
  let p = <i32>load<u8>(b + M.WA_PEER), l = <i32>load<u8>(b + M.WA_LEN);
  if (p >= WG_PEER_MAX || !unchecked(S.peerPresent[p])) return bad("peer", "no such peer (its WG_PEER record comes first)");
  if (l > 128) return bad("length", "prefix length over 128");
  let nic = <i32>unchecked(S.peerNic[p]);
  if (S.allowedTaken(nic, b + M.WA_PREFIX, l)) return bad("prefix", "another peer of this NIC is allowed the same range");
  if (!S.allowedAdd(p, b + M.WA_PREFIX, l)) return bad("prefix", "more ranges than the kernel's WG_ALLOWED_MAX");
  return 0;
}

/** After every record: each WIREGUARD NIC has its key, and an MTU a sealed packet fits. */
export function wgCheck(): i32 {
  for (let nic = 0; nic < NIC_MAX; nic++) {
    if (!nicValid(nic) || unchecked(nicKind[nic]) != <u8>NicKind.WIREGUARD) continue;
    if (!unchecked(S.wgNic[nic])) return bad("nic", "a WIREGUARD NIC without its WG record (its private key)");
    if (unchecked(nicMtu[nic]) > WG_MTU_MAX) return bad("mtu", "too large for a sealed packet to fit a frame (WG_MTU_MAX)");
  }
  return 0;
}

/** Forget everything WireGuard (a refused boot). */
export function wgUnboot(): void {
  S.wgReset();
  timersReset();
  loadReset();
}

// Sealing a WireGuard NIC's queued packets as the egress queue sends them (net/egress.ts):
// the peer's current session and its next counter, the padding, the transport header and
// the peer's endpoint in front. Kept apart from link.ts, which queues, so the egress queue
// can call it without an import cycle.
import { Drop } from "../../abi/drop";
import * as L from "../../wire/layout/wireguard";
import { WG_EP_HDR, WG_TAG } from "../../wire/layout/wireguard";
import { POOL_INDEXES } from "../param";
import { dropSent } from "../stats";
import { pktData, pktLen } from "../pool";
import { nicMtu } from "../net/iface";
import { aeadSeal } from "../crypto/aead";
import * as S from "./state";
import * as T from "./timers";

/** Which peer a queued packet is sealed for; RAW: a finished datagram (a handshake message). */
export const RAW: i8 = -1;
export const pktPeer = new StaticArray<i8>(POOL_INDEXES);
const NONCE: usize = memory.data(12, 8);

/** Where the frame of the last wgFrame starts. */
export let frameAt: usize = 0;

/** The datagram to hand the host for queued buffer pkt of nic: its length (the frame at
 *  frameAt), or 0 when it can no longer be sent (counted; the caller frees pkt). A packet
 *  is sealed here, with the peer's current session and next counter. */
export function wgFrame(nic: i32, pkt: i32): i32 {
  let d = pktData(pkt);
  let p = <i32>unchecked(pktPeer[pkt]);
  if (p == RAW) { frameAt = d - WG_EP_HDR; return pktLen(pkt) + WG_EP_HDR; }
  if (!T.usable(p)) { dropSent(Drop.WG_NO_SESSION, pkt, nic); return 0; }
  let k = unchecked(S.kpCur[p]);
  let plain = pktLen(pkt);
  let padded = padTo(plain, unchecked(nicMtu[nic]));
  memory.fill(d + <usize>plain, 0, <usize>(padded - plain));
  let counter = unchecked(S.kpSendCount[k]);
  unchecked(S.kpSendCount[k] = counter + 1);
  let m = d - L.WGT_DATA;
  store<u32>(m, L.WG_TRANSPORT);
  store<u32>(m + L.WGT_RECEIVER, unchecked(S.kpRemote[k]));
  store<u64>(m + L.WGT_COUNTER, counter);
  store<u32>(NONCE, 0);
  store<u64>(NONCE + 4, counter);
  aeadSeal(d, S.kpSend(k), NONCE, d, padded, 0, 0);
  frameAt = m - WG_EP_HDR;
  memory.copy(frameAt, S.peerEp(p), WG_EP_HDR);
  let n = L.WGT_DATA + padded + WG_TAG;
  unchecked(S.txBytes[p] += <u64>n);
  unchecked(S.txPackets[p]++);
  T.anySent(p); T.traversal(p);
  if (plain > 0) T.dataSent(p);
  return n + WG_EP_HDR;
}

/** wireguard-go's calculatePaddingSize: a multiple of 16, but never past the MTU. */
function padTo(n: i32, mtu: i32): i32 {
  let last = n > mtu ? n % mtu : n;
  let padded = (last + L.WG_PAD - 1) & ~(L.WG_PAD - 1);
  if (padded > mtu) padded = mtu;
  return n - last + padded;
}


// WireGuard's timers (the whitepaper §6, wireguard-go's device/timers.go), as deadlines per
// peer in kernel ms (-1: not armed). The events of a session arm and disarm them here;
// link.ts fires them (wgTimers) because firing sends. Whether a peer's current session may
// still carry packets, and when a new handshake is due, is decided here too.
import { WG_PEER_MAX } from "../../abi/limits";
import { now } from "../clock";
import { between } from "../rand";
import * as P from "./proto";
import * as S from "./state";

export const REJECT_MS: i64 = P.REJECT_AFTER_TIME;

export const tRetransmit = new StaticArray<i64>(WG_PEER_MAX);   // resend the initiation
export const tKeepalive = new StaticArray<i64>(WG_PEER_MAX);    // answer received data with a keepalive
export const tNewHandshake = new StaticArray<i64>(WG_PEER_MAX); // sent data, heard nothing back
export const tZeroKeys = new StaticArray<i64>(WG_PEER_MAX);     // forget every key
export const tPersistent = new StaticArray<i64>(WG_PEER_MAX);   // the persistent keepalive
export const attempts = new StaticArray<i32>(WG_PEER_MAX);      // initiations sent for this handshake
export const lastInitSent = new StaticArray<i64>(WG_PEER_MAX);  // -1 never
const keepaliveAfterReceived = new StaticArray<bool>(WG_PEER_MAX);
const lastMinuteSent = new StaticArray<bool>(WG_PEER_MAX);

function jitter(): i64 { return between(0, P.REKEY_TIMEOUT_JITTER_MAX - 1); }

/** Disarm every timer of every peer (boot). */
export function timersReset(): void {
  for (let p = 0; p < WG_PEER_MAX; p++) {
    unchecked(tRetransmit[p] = -1); unchecked(tKeepalive[p] = -1); unchecked(tNewHandshake[p] = -1);
    unchecked(tZeroKeys[p] = -1); unchecked(tPersistent[p] = -1);
    unchecked(attempts[p] = 0); unchecked(lastInitSent[p] = -1);
    unchecked(keepaliveAfterReceived[p] = false); unchecked(lastMinuteSent[p] = false);
  }
}

/** May peer p's current session seal another packet? */
export function usable(p: i32): bool {
  let k = unchecked(S.kpCur[p]);
  return k >= 0 && unchecked(S.kpUsed[k]) && unchecked(S.kpSendCount[k]) < P.REJECT_AFTER_MESSAGES &&
    now - unchecked(S.kpCreated[k]) < P.REJECT_AFTER_TIME;
}

/** After sending: is a new handshake due (the session sent many messages, or we initiated
 *  it and it is old; wireguard-go's keepKeyFreshSending)? */
export function rekeySending(p: i32): bool {
  let k = unchecked(S.kpCur[p]);
  if (k < 0) return false;
  return unchecked(S.kpSendCount[k]) > P.REKEY_AFTER_MESSAGES ||
    (unchecked(S.kpInitiator[k]) && now - unchecked(S.kpCreated[k]) >= P.REKEY_AFTER_TIME);
}

/** After receiving: is a last-minute handshake due (we initiated a session that nears its
 *  reject time)? Once per session. */
export function rekeyReceiving(p: i32): bool {
  let k = unchecked(S.kpCur[p]);
  if (k < 0 || !unchecked(S.kpInitiator[k]) || unchecked(lastMinuteSent[p])) return false;
  if (now - unchecked(S.kpCreated[k]) < P.REJECT_AFTER_TIME - P.KEEPALIVE_TIMEOUT - P.REKEY_TIMEOUT) return false;
  unchecked(lastMinuteSent[p] = true);
  return true;
}

export function dataSent(p: i32): void {
  if (unchecked(tNewHandshake[p]) < 0) unchecked(tNewHandshake[p] = now + P.KEEPALIVE_TIMEOUT + P.REKEY_TIMEOUT + jitter());
}

export function dataReceived(p: i32): void {
  if (unchecked(tKeepalive[p]) < 0) unchecked(tKeepalive[p] = now + P.KEEPALIVE_TIMEOUT);
  else unchecked(keepaliveAfterReceived[p] = true);
}

export function anySent(p: i32): void { unchecked(tKeepalive[p] = -1); }

export function anyReceived(p: i32): void { unchecked(tNewHandshake[p] = -1); }

export function traversal(p: i32): void {
  let s = unchecked(S.peerKeepalive[p]);
  if (s > 0) unchecked(tPersistent[p] = now + <i64>s * 1000);
}

export function handshakeInitiated(p: i32): void {
  unchecked(lastInitSent[p] = now);
  unchecked(tRetransmit[p] = now + P.REKEY_TIMEOUT + jitter());
}

export function handshakeComplete(p: i32): void {
  unchecked(tRetransmit[p] = -1);
  unchecked(attempts[p] = 0);
  unchecked(lastMinuteSent[p] = false);
  unchecked(S.lastHandshake[p] = now);
  unchecked(S.handshakes[p]++);
}

export function sessionDerived(p: i32): void { unchecked(tZeroKeys[p] = now + P.REJECT_AFTER_TIME * 3); }

/** The keepalive timer fired: re-arm it if data came meanwhile. */
export function keepaliveFired(p: i32): void {
  unchecked(tKeepalive[p] = -1);
  if (unchecked(keepaliveAfterReceived[p])) {
    unchecked(keepaliveAfterReceived[p] = false);
    unchecked(tKeepalive[p] = now + P.KEEPALIVE_TIMEOUT);
  }
}

/** Forget peer p's sessions and handshake (zero-key timer, or give-up). */
export function zeroKeys(p: i32): void {
  S.kpClear(unchecked(S.kpPrev[p])); S.kpClear(unchecked(S.kpCur[p])); S.kpClear(unchecked(S.kpNext[p]));
  unchecked(S.kpPrev[p] = -1); unchecked(S.kpCur[p] = -1); unchecked(S.kpNext[p] = -1);
  S.hsClear(p);
  unchecked(tZeroKeys[p] = -1);
}

timersReset();

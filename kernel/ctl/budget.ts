// How many signature checks the control plane spends, and for whom (spec/control.md, "A
// busy node"). Token buckets, in thousandths of a check. A message from the very address
// its key last signed from (the user's own place) pays only that key's own bucket, which
// nothing else can spend; any other pays its source /64's bucket (the last CTL_SRC_SLOTS
// seen; a new one starts full, the least recently seen makes room), its claimed key's, and
// the whole node's above them, and must find a token in each (all are checked, then all
// are taken). So forgeries that claim a key — from anywhere, its user's /64 included — can
// empty the key's and the node's buckets, never the user's own. Sources are known by
// cookie (ctl/cookie.ts): an address cannot be borrowed by spoofing. The sealed answers to
// a PUT's chunks, which are not signed, pay a node-wide bucket of their own. Called by
// ctl/control.ts.
import { CTL_VERIFY_PER_S, CTL_VERIFY_BURST, CTL_KEY_PER_S, CTL_KEY_BURST, CTL_SRC_PER_S, CTL_SRC_BURST,
  CTL_SRC_SLOTS, USER_MAX, RELAY_PER_S, RELAY_BURST, CHUNK_ANSWER_PER_S, CHUNK_ANSWER_BURST } from "../param";
import { now } from "../clock";
import { addrEq, addrCopy } from "../../wire/addr";
import { userOf } from "./delegations";

/** The buckets of the last CTL_SRC_SLOTS source /64s seen. */
class Sources {
  prefix: StaticArray<u64> = new StaticArray<u64>(CTL_SRC_SLOTS);
  used: StaticArray<bool> = new StaticArray<bool>(CTL_SRC_SLOTS);
  credit: StaticArray<i64> = new StaticArray<i64>(CTL_SRC_SLOTS);
  time: StaticArray<i64> = new StaticArray<i64>(CTL_SRC_SLOTS);
}
// Messages whose source the cookie proved (users', holders'), and RELAYs, which carry no
// cookie: a relay's source may be forged, so it must never spend what a proven sender of
// that /64 pays.
const proven = new Sources();
const relays = new Sources();
const srcCredit = proven.credit;
const srcTime = proven.time;
const keyCredit = new StaticArray<i64>(USER_MAX);
const keyTime = new StaticArray<i64>(USER_MAX);
const keyFresh = new StaticArray<bool>(USER_MAX);     // false: never paid (starts full)
const OWN: usize = memory.data(USER_MAX * 16, 8);      // the address the key last signed from
const hasOwn = new StaticArray<bool>(USER_MAX);
const ownCredit = new StaticArray<i64>(USER_MAX);     // the bucket of messages from there
const ownTime = new StaticArray<i64>(USER_MAX);
let nodeCredit: i64 = <i64>CTL_VERIFY_BURST * 1000;
let nodeTime: i64 = 0;
let relayCredit: i64 = <i64>RELAY_BURST * 1000;
let relayTime: i64 = 0;
let answerCredit: i64 = <i64>CHUNK_ANSWER_BURST * 1000;
let answerTime: i64 = 0;

/** A bucket's credit after refilling it from `since` to now at `perS`, capped at `burst`. */
function refill(credit: i64, since: i64, perS: i32, burst: i32): i64 {
  let dt = now - since;
  return dt > 0 ? min(<i64>burst * 1000, credit + dt * <i64>perS) : credit;
}

/** The /64 of the address at a, as one number. */
function prefix64(a: usize): u64 { return load<u64>(a); }

/** The slot of a source /64 in t: its own, a free one, or the least recently seen
 *  (refilled full). */
function sourceSlot(p: u64, t: Sources = proven): i32 {
  let lru = 0;
  for (let i = 0; i < CTL_SRC_SLOTS; i++) {
    if (unchecked(t.used[i]) && unchecked(t.prefix[i]) == p) return i;
    if (!unchecked(t.used[i])) { lru = i; break; }
    if (unchecked(t.time[i]) < unchecked(t.time[lru])) lru = i;
  }
  unchecked(t.used[lru] = true);
  unchecked(t.prefix[lru] = p);
  unchecked(t.credit[lru] = <i64>CTL_SRC_BURST * 1000);
  unchecked(t.time[lru] = now);
  return lru;
}

/** May a message from the address at src that claims the key of user row u be checked
 *  now? If so, its tokens are taken. */
export function budgetTake(src: usize, u: i32): bool {
  let k = userOf(u);
  if (unchecked(hasOwn[k]) && addrEq(OWN + <usize>(k * 16), src)) {
    let oc = refill(unchecked(ownCredit[k]), unchecked(ownTime[k]), CTL_SRC_PER_S, CTL_SRC_BURST);
    unchecked(ownTime[k] = now);
    unchecked(ownCredit[k] = oc >= 1000 ? oc - 1000 : oc);
    return oc >= 1000;
  }
  let s = sourceSlot(prefix64(src));
  let sc = refill(unchecked(srcCredit[s]), unchecked(srcTime[s]), CTL_SRC_PER_S, CTL_SRC_BURST);
  unchecked(srcCredit[s] = sc); unchecked(srcTime[s] = now);
  let kc = unchecked(keyFresh[k]) ? refill(unchecked(keyCredit[k]), unchecked(keyTime[k]), CTL_KEY_PER_S, CTL_KEY_BURST)
    : <i64>CTL_KEY_BURST * 1000;
  unchecked(keyCredit[k] = kc); unchecked(keyTime[k] = now); unchecked(keyFresh[k] = true);
  nodeCredit = refill(nodeCredit, nodeTime, CTL_VERIFY_PER_S, CTL_VERIFY_BURST);
  nodeTime = now;
  if (sc < 1000 || kc < 1000 || nodeCredit < 1000) return false;
  unchecked(srcCredit[s] = sc - 1000);
  unchecked(keyCredit[k] = kc - 1000);
  nodeCredit -= 1000;
  return true;
}

/** A message from src signed by user row u verified: src is the key's own place from now on
 *  (a new place starts with a full bucket). */
export function budgetVerified(src: usize, u: i32): void {
  let k = userOf(u);
  if (unchecked(hasOwn[k]) && addrEq(OWN + <usize>(k * 16), src)) return;
  addrCopy(OWN + <usize>(k * 16), src);
  unchecked(hasOwn[k] = true);
  unchecked(ownCredit[k] = <i64>CTL_SRC_BURST * 1000);
  unchecked(ownTime[k] = now);
}

/** May a message from src signed by a key that is not a user's (a certificate's holder:
 *  CERT, BLOCK, UNBLOCK) be checked now? It pays its source /64 and the whole node, like a
 *  user's message from elsewhere; there is no bucket per key, since anyone may hold one. */
export function budgetTakeHolder(src: usize): bool {
  let s = sourceSlot(prefix64(src));
  let sc = refill(unchecked(srcCredit[s]), unchecked(srcTime[s]), CTL_SRC_PER_S, CTL_SRC_BURST);
  unchecked(srcCredit[s] = sc); unchecked(srcTime[s] = now);
  nodeCredit = refill(nodeCredit, nodeTime, CTL_VERIFY_PER_S, CTL_VERIFY_BURST);
  nodeTime = now;
  if (sc < 1000 || nodeCredit < 1000) return false;
  unchecked(srcCredit[s] = sc - 1000);
  nodeCredit -= 1000;
  return true;
}

/** May a RELAY from src (another router; it carries no cookie, so its source is not proven)
 *  be checked now? It pays buckets of its own for the whole node and its source /64, never
 *  the users' or holders' buckets: a flood of forged relays, from any source address,
 *  cannot delay a user's message or a holder's BLOCK. */
export function budgetTakeRelay(src: usize): bool {
  let s = sourceSlot(prefix64(src), relays);
  let sc = refill(unchecked(relays.credit[s]), unchecked(relays.time[s]), CTL_SRC_PER_S, CTL_SRC_BURST);
  unchecked(relays.credit[s] = sc); unchecked(relays.time[s] = now);
  relayCredit = refill(relayCredit, relayTime, RELAY_PER_S, RELAY_BURST);
  relayTime = now;
  if (sc < 1000 || relayCredit < 1000) return false;
  unchecked(relays.credit[s] = sc - 1000);
  relayCredit -= 1000;
  return true;
}

/** May a CHUNK that asks for an answer be answered now? Its answer is sealed (~2 ms), yet a
 *  chunk is not signed: whoever sees a transfer id can send chunks that ask. The whole node
 *  answers at most CHUNK_ANSWER_PER_S of them; over that the chunk is still written. */
export function budgetTakeAnswer(): bool {
  answerCredit = refill(answerCredit, answerTime, CHUNK_ANSWER_PER_S, CHUNK_ANSWER_BURST);
  answerTime = now;
  if (answerCredit < 1000) return false;
  answerCredit -= 1000;
  return true;
}

// How many signature checks the control plane spends, and for whom (spec/control.md, "A
// busy node"). Token buckets, in thousandths of a check: one per source /64 (the last
// CTL_SRC_SLOTS seen; a new one starts full, the least recently seen makes room), one per
// user key, and one for the whole node above them. A message must find a token in each
// bucket it pays (all are checked, then all are taken). One from the /64 its key last
// signed from pays only its /64's: forgeries that claim the key from elsewhere can empty
// the key's and the node's buckets, never the user's own. Sources are known by cookie
// (ctl/cookie.ts), so a /64 cannot be borrowed by spoofing. Called by ctl/control.ts.
import { CTL_VERIFY_PER_S, CTL_VERIFY_BURST, CTL_KEY_PER_S, CTL_KEY_BURST, CTL_SRC_PER_S, CTL_SRC_BURST,
  CTL_SRC_SLOTS, USER_MAX } from "../param";
import { now } from "../clock";
import { userOf } from "./delegations";

const srcPrefix = new StaticArray<u64>(CTL_SRC_SLOTS);
const srcUsed = new StaticArray<bool>(CTL_SRC_SLOTS);
const srcCredit = new StaticArray<i64>(CTL_SRC_SLOTS);
const srcTime = new StaticArray<i64>(CTL_SRC_SLOTS);
const keyCredit = new StaticArray<i64>(USER_MAX);
const keyTime = new StaticArray<i64>(USER_MAX);
const keyFresh = new StaticArray<bool>(USER_MAX);     // false: never paid (starts full)
const goodPrefix = new StaticArray<u64>(USER_MAX);    // the /64 the key last signed from
const hasGood = new StaticArray<bool>(USER_MAX);
let nodeCredit: i64 = <i64>CTL_VERIFY_BURST * 1000;
let nodeTime: i64 = 0;

/** A bucket's credit after refilling it from `since` to now at `perS`, capped at `burst`. */
function refill(credit: i64, since: i64, perS: i32, burst: i32): i64 {
  let dt = now - since;
  return dt > 0 ? min(<i64>burst * 1000, credit + dt * <i64>perS) : credit;
}

/** The /64 of the address at a, as one number. */
function prefix64(a: usize): u64 { return load<u64>(a); }

/** The slot of a source /64: its own, a free one, or the least recently seen (refilled full). */
function sourceSlot(p: u64): i32 {
  let lru = 0;
  for (let i = 0; i < CTL_SRC_SLOTS; i++) {
    if (unchecked(srcUsed[i]) && unchecked(srcPrefix[i]) == p) return i;
    if (!unchecked(srcUsed[i])) { lru = i; break; }
    if (unchecked(srcTime[i]) < unchecked(srcTime[lru])) lru = i;
  }
  unchecked(srcUsed[lru] = true);
  unchecked(srcPrefix[lru] = p);
  unchecked(srcCredit[lru] = <i64>CTL_SRC_BURST * 1000);
  unchecked(srcTime[lru] = now);
  return lru;
}

/** May a message from the address at src that claims the key of user row u be checked
 *  now? If so, its tokens are taken. */
export function budgetTake(src: usize, u: i32): bool {
  let p = prefix64(src);
  let s = sourceSlot(p);
  let sc = refill(unchecked(srcCredit[s]), unchecked(srcTime[s]), CTL_SRC_PER_S, CTL_SRC_BURST);
  unchecked(srcCredit[s] = sc); unchecked(srcTime[s] = now);
  let k = userOf(u);
  let own = unchecked(hasGood[k]) && unchecked(goodPrefix[k]) == p;
  let kc = unchecked(keyFresh[k]) ? refill(unchecked(keyCredit[k]), unchecked(keyTime[k]), CTL_KEY_PER_S, CTL_KEY_BURST)
    : <i64>CTL_KEY_BURST * 1000;
  unchecked(keyCredit[k] = kc); unchecked(keyTime[k] = now); unchecked(keyFresh[k] = true);
  nodeCredit = refill(nodeCredit, nodeTime, CTL_VERIFY_PER_S, CTL_VERIFY_BURST);
  nodeTime = now;
  if (sc < 1000 || (!own && (kc < 1000 || nodeCredit < 1000))) return false;
  unchecked(srcCredit[s] = sc - 1000);
  if (!own) { unchecked(keyCredit[k] = kc - 1000); nodeCredit -= 1000; }
  return true;
}

/** A message from src signed by user row u verified: its /64 is the key's own from now on. */
export function budgetVerified(src: usize, u: i32): void {
  let k = userOf(u);
  unchecked(goodPrefix[k] = prefix64(src));
  unchecked(hasGood[k] = true);
}

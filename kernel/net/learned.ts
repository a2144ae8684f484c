// Addresses in a prefix learned from a router advertisement (RFC 4862 §5.5.3; issue #20):
// for the node and for each service that asked (`{ learned: nic }`), with the RFC 7217
// identifier (slaac.ts stable), each checked by DAD before use; the lifetimes of the ones
// already there set again (§5.5.3 e); a service's manifest address inside the prefix
// checked now that it is on this link. Addresses are matched by their /64 on the NIC,
// never by where routers.ts keeps the prefix. Called by routers.ts.
import { AddrOrigin } from "../../abi/status";
import { CapKind, RIGHT_SEND, RIGHT_RECV, RIGHT_DERIVE } from "../../abi/caps";
import { SVC_MAX, ADDR_PER_SVC } from "../param";
import { addrCopy } from "../../wire/addr";
import { ownRoute } from "./route";
import { dadOn, wantsLearned } from "./autoconf";
import { NODE, addrHigh, acAddr, acNic, acSvc, acOrigin, acSetCounter, acFree, claim, find, lifetimes, remove, stable } from "./slaac";
import { svcAddr, svcAddrCount, svcAddrOk, svcAddAddr, svcValid } from "../svc/registry";
import { capGrant } from "../svc/caps";

const held = new StaticArray<bool>(SVC_MAX + 1);   // acLearned: who has an address in the prefix
                                                   // already (a service, or at SVC_MAX the node)

/** A prefix information option with A set for the /64 prefix on nic (the caller checked
 *  it: preferred ≤ valid, not link-local), lifetimes in seconds: §5.5.3(e) for every
 *  address of ours in it; and an address for the node and each wanting service that has
 *  none there yet (unless valid is 0). owner: the prefix's owner sent it (routers.ts); anyone
 *  else may only lengthen lifetimes. A manifest service address in it is checked by DAD
 *  now, as it is on this link — only when the default router in use advertises the
 *  prefix (inUse): a stranger's prefix could otherwise take a working address out of use
 *  at will, and answer its DAD. Addresses are matched by their /64, never by table slot. */
export function acLearned(nic: i32, prefix: usize, valid: u32, preferred: u32, owner: bool, inUse: bool): void {
  for (let s = 0; s <= SVC_MAX; s++) unchecked(held[s] = false);
  for (let i = 0; i < addrHigh; i++) {
    if (acNic(i) != nic || acOrigin(i) != AddrOrigin.LEARNED || load<u64>(acAddr(i)) != load<u64>(prefix)) continue;
    lifetimes(i, valid, preferred, false, owner);
    unchecked(held[acSvc(i) == NODE ? SVC_MAX : acSvc(i)] = true);
  }
  if (valid == 0) return;
  if (!unchecked(held[SVC_MAX])) learnedAddress(nic, prefix, NODE, valid, preferred);
  for (let s = 0; s < SVC_MAX; s++) {
    if (!svcValid(s) || !wantsLearned(s, nic) || unchecked(held[s])) continue;
    learnedAddress(nic, prefix, s, valid, preferred);
  }
  if (inUse && dadOn(nic)) manifestIn(nic, prefix);
}

/** Services' manifest addresses in prefix's /64 that no DAD checked yet: now they are. */
function manifestIn(nic: i32, prefix: usize): void {
  for (let s = 0; s < SVC_MAX; s++) {
    if (!svcValid(s)) continue;
    let n = <i32>unchecked(svcAddrCount[s]);
    for (let k = 0; k < n; k++) {
      let a = svcAddr(s, k);
      if (load<u64>(a) == load<u64>(prefix) && find(a) < 0 && svcAddrOk(s, k)) claim(nic, a, s, k, AddrOrigin.MANIFEST, false);
    }
  }
}

const FORMED: usize = memory.data(16, 8);

function learnedAddress(nic: i32, prefix: usize, svc: i32, valid: u32, preferred: u32): void {
  // Room first, so an advertisement costs no hash when there is none.
  if (acFree() == 0 || (svc != NODE && <i32>unchecked(svcAddrCount[svc]) >= ADDR_PER_SVC && !emptySlot(svc))) return;
  let c = stable(FORMED, prefix, nic, svc, 0);
  if (find(FORMED) >= 0 || ownRoute(FORMED) >= 0) return;                    // someone's already
  let index = 0, had = 0;
  if (svc != NODE) {
    had = <i32>unchecked(svcAddrCount[svc]);
    index = freeSlot(svc);
    addrCopy(svcAddr(svc, index), FORMED);
  }
  let i = claim(nic, FORMED, svc, index, AddrOrigin.LEARNED, false);
  acSetCounter(i, c);
  lifetimes(i, valid, preferred, true);
  // A new slot gets its ADDR capability as a manifest address does; a slot emptied before
  // keeps what the service made of its capability.
  if (svc != NODE && index >= had) capGrant(svc, CapKind.ADDR, RIGHT_SEND | RIGHT_RECV | RIGHT_DERIVE, index, 0, 0);
}


/** Could a new prefix on nic give the node and every service that wants one an address? */
export function acRoomFor(nic: i32): bool {
  let need = 1, free = acFree();
  for (let s = 0; s < SVC_MAX; s++) {
    if (!svcValid(s) || !wantsLearned(s, nic)) continue;
    need++;
    if (<i32>unchecked(svcAddrCount[s]) >= ADDR_PER_SVC && !emptySlot(s)) return false;
  }
  return free >= need;
}

function emptySlot(svc: i32): bool {
  let n = <i32>unchecked(svcAddrCount[svc]);
  for (let k = 0; k < n; k++) if (load<u64>(svcAddr(svc, k)) == 0 && load<u64>(svcAddr(svc, k), 8) == 0) return true;
  return false;
}

/** Forget the learned addresses in prefix's /64 on nic: the prefix made room for one the
 *  default router in use advertises (routers.ts). */
export function acForgetPrefix(nic: i32, prefix: usize): void {
  for (let i = 0; i < addrHigh; i++) {
    if (acNic(i) == nic && acOrigin(i) == AddrOrigin.LEARNED && load<u64>(acAddr(i)) == load<u64>(prefix)) remove(i, "removed: its prefix made room for one the default router advertises");
  }
}

/** A service's list slot for a learned address: an emptied one (all zero), or a new one. */
function freeSlot(svc: i32): i32 {
  let n = <i32>unchecked(svcAddrCount[svc]);
  for (let k = 0; k < n; k++) {
    let a = svcAddr(svc, k);
    if (load<u64>(a) == 0 && load<u64>(a, 8) == 0) return k;
  }
  return n < ADDR_PER_SVC ? svcAddAddr(svc, ZERO) : -1;
}
const ZERO: usize = memory.data(16, 8);


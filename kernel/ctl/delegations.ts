// What the node's owner gave each user to hand out (spec/control.md, "Who may hand out
// what"): prefixes its services' addresses may come from (USER_PREFIX records) and disk
// extents, with at most which rights, it may grant (USER_DISK records). A user is named by
// its key: every USER row with that key shares the same delegations. Filled by boot.ts;
// read by ctl/authority.ts. Holds no policy of its own beyond "inside one of them".
import { USER_PREFIX_MAX, USER_DISK_MAX } from "../param";
import { prefixMatch, addrCopy } from "../../wire/addr";
import { userByKey, userKey } from "./users";

const PFX: usize = memory.data(USER_PREFIX_MAX * 16, 8);
const pfxUser = new StaticArray<u8>(USER_PREFIX_MAX);   // the key's first USER row
const pfxLen = new StaticArray<u8>(USER_PREFIX_MAX);
let pfxCount = 0;

const extUser = new StaticArray<u8>(USER_DISK_MAX);
const extDisk = new StaticArray<u8>(USER_DISK_MAX);
const extRights = new StaticArray<u8>(USER_DISK_MAX);
const extOff = new StaticArray<u64>(USER_DISK_MAX);
const extLen = new StaticArray<u64>(USER_DISK_MAX);
let extCount = 0;

// @ts-ignore: decorator
@inline export function delegatedPrefix(i: i32): usize { return PFX + <usize>(i * 16); }
export function delegatedLen(i: i32): i32 { return <i32>unchecked(pfxLen[i]); }

/** The first USER row of row u's key: the user's identity. */
export function userOf(u: i32): i32 { return userByKey(userKey(u)); }

/** Delegate prefix/len to the user with the key at key. 0, -1 if no USER row has the key,
 *  -2 if the table is full, -3 if it shares an address with another user's prefix. */
export function delegatePrefix(key: usize, prefix: usize, len: i32): i32 {
  let u = userByKey(key);
  if (u < 0) return -1;
  if (pfxCount >= USER_PREFIX_MAX) return -2;
  for (let i = 0; i < pfxCount; i++) {
    let l = min(len, <i32>unchecked(pfxLen[i]));
    if (<i32>unchecked(pfxUser[i]) != u && prefixMatch(prefix, delegatedPrefix(i), l)) return -3;
  }
  let i = pfxCount++;
  addrCopy(delegatedPrefix(i), prefix);
  unchecked(pfxUser[i] = <u8>u);
  unchecked(pfxLen[i] = <u8>len);
  return 0;
}

/** Delegate an extent of a disk to the user with the key at key; as delegatePrefix. */
export function delegateExtent(key: usize, disk: i32, rights: i32, off: u64, len: u64): i32 {
  let u = userByKey(key);
  if (u < 0) return -1;
  if (extCount >= USER_DISK_MAX) return -2;
  let i = extCount++;
  unchecked(extUser[i] = <u8>u);
  unchecked(extDisk[i] = <u8>disk);
  unchecked(extRights[i] = <u8>rights);
  unchecked(extOff[i] = off);
  unchecked(extLen[i] = len);
  return 0;
}

/** The longest of user u's delegated prefixes that contains addr, or -1. */
export function prefixFor(u: i32, addr: usize): i32 {
  let who = userOf(u), best = -1;
  for (let i = 0; i < pfxCount; i++) {
    if (<i32>unchecked(pfxUser[i]) != who) continue;
    let l = <i32>unchecked(pfxLen[i]);
    if (prefixMatch(addr, delegatedPrefix(i), l) && (best < 0 || l > delegatedLen(best))) best = i;
  }
  return best;
}

/** Does one of user u's delegated extents of disk contain [off, off + len) and allow every
 *  right in `rights` (derive aside, which only narrows)? */
export function extentDelegated(u: i32, disk: i32, rights: i32, off: u64, len: u64): bool {
  let who = userOf(u);
  for (let i = 0; i < extCount; i++) {
    if (<i32>unchecked(extUser[i]) != who || <i32>unchecked(extDisk[i]) != disk) continue;
    let o = unchecked(extOff[i]), l = unchecked(extLen[i]);
    if (off >= o && len <= l && off - o <= l - len && (rights & ~<i32>unchecked(extRights[i])) == 0) return true;
  }
  return false;
}

/** Forget every delegation (a refused boot). */
export function delegationsReset(): void { pfxCount = 0; extCount = 0; }

// Capabilities as data (the seL4/Zircon model): each service has CAP_SLOTS slots of
// {kind, rights, object, parent, generation, extent}. A handle a service sees is
// (generation << 16 | slot) XOR a per-service secret from the host's randomness, so
// handles cannot be guessed or reused after a revoke. Rights only shrink on derive;
// revoke removes a capability and everything derived from it. Every check happens
// before any state changes; failures return -Errno. resolve() and capCheck() answer with
// the slot a handle names, which the caller keeps.
import { CAP_SLOTS, SVC_MAX } from "../param";
import { Errno } from "../../abi/errno";
import { CapKind, RIGHT_DERIVE, RIGHTS_ALL } from "../../abi/caps";

const N = SVC_MAX * CAP_SLOTS;
const kinds = new StaticArray<u8>(N);
const rights = new StaticArray<u8>(N);
const objects = new StaticArray<u16>(N);
const parents = new StaticArray<i16>(N);     // slot of the parent, -1 for a root
const gens = new StaticArray<u16>(N);
const extOff = new StaticArray<u64>(N);
const extLen = new StaticArray<u64>(N);
const doomed = new StaticArray<bool>(CAP_SLOTS);
const secrets = new StaticArray<u32>(SVC_MAX);

export function capSetSecret(svc: i32, s: u32): void { unchecked(secrets[svc] = s & 0x7fffffff); }

// @ts-ignore: decorator
@inline function at(svc: i32, slot: i32): i32 { return svc * CAP_SLOTS + slot; }

function handleOf(svc: i32, slot: i32): i32 {
  let g = <u32>unchecked(gens[at(svc, slot)]) & 0x7fff;
  return <i32>(((g << 16) | <u32>slot) ^ unchecked(secrets[svc]));
}

/** The handle svc sees for its capability in slot. */
export function capHandle(svc: i32, slot: i32): i32 { return handleOf(svc, slot); }

export function capKind(svc: i32, slot: i32): CapKind { return <CapKind>unchecked(kinds[at(svc, slot)]); }
export function capRights(svc: i32, slot: i32): i32 { return <i32>unchecked(rights[at(svc, slot)]); }
export function capObject(svc: i32, slot: i32): i32 { return <i32>unchecked(objects[at(svc, slot)]); }
export function capExtOff(svc: i32, slot: i32): u64 { return unchecked(extOff[at(svc, slot)]); }
export function capExtLen(svc: i32, slot: i32): u64 { return unchecked(extLen[at(svc, slot)]); }

/** The live slot a handle names, or -EBADF if it names none. */
export function resolve(svc: i32, handle: i32): i32 {
  if (handle < 0) return -Errno.EBADF;
  let x = <u32>handle ^ unchecked(secrets[svc]);
  let slot = <i32>(x & 0xffff);
  if (slot >= CAP_SLOTS) return -Errno.EBADF;
  let i = at(svc, slot);
  if (unchecked(kinds[i]) == CapKind.NONE) return -Errno.EBADF;
  if ((x >> 16) != (<u32>unchecked(gens[i]) & 0x7fff)) return -Errno.EBADF;
  return slot;
}

/** resolve() and require a kind and rights: the slot, -EBADF, or -EPERM for the wrong
 *  kind/rights. */
export function capCheck(svc: i32, handle: i32, kind: CapKind, need: i32): i32 {
  let slot = resolve(svc, handle);
  if (slot < 0) return slot;
  let i = at(svc, slot);
  if (unchecked(kinds[i]) != kind) return -Errno.EPERM;
  if ((<i32>unchecked(rights[i]) & need) != need) return -Errno.EPERM;
  return slot;
}

function freeSlot(svc: i32): i32 {
  for (let s = 0; s < CAP_SLOTS; s++) if (unchecked(kinds[at(svc, s)]) == CapKind.NONE) return s;
  return -1;
}

function fill(svc: i32, s: i32, kind: CapKind, r: i32, object: i32, parent: i32, off: u64, len: u64): void {
  let i = at(svc, s);
  unchecked(kinds[i] = <u8>kind);
  unchecked(rights[i] = <u8>r);
  unchecked(objects[i] = <u16>object);
  unchecked(parents[i] = <i16>parent);
  unchecked(extOff[i] = off);
  unchecked(extLen[i] = len);
}

/** A root capability granted by the node (boot manifest). Returns the slot or -ENOSPC. */
export function capGrant(svc: i32, kind: CapKind, r: i32, object: i32, off: u64, len: u64): i32 {
  let s = freeSlot(svc);
  if (s < 0) return -Errno.ENOSPC;
  fill(svc, s, kind, r & RIGHTS_ALL, object, -1, off, len);
  return s;
}

/** A new handle naming the same object with rights ⊆ the parent's. */
export function capDerive(svc: i32, handle: i32, r: i32): i32 {
  let p = resolve(svc, handle);
  if (p < 0) return p;
  let pr = capRights(svc, p);
  if ((r & ~RIGHTS_ALL) != 0) return -Errno.EINVAL;
  if ((pr & RIGHT_DERIVE) == 0) return -Errno.EPERM;
  if ((r & ~pr) != 0) return -Errno.EPERM;
  let s = freeSlot(svc);
  if (s < 0) return -Errno.ENOSPC;
  let pi = at(svc, p);
  fill(svc, s, capKind(svc, p), r, capObject(svc, p), p, unchecked(extOff[pi]), unchecked(extLen[pi]));
  return handleOf(svc, s);
}

/** Remove a capability and, transitively, everything derived from it. */
export function capRevoke(svc: i32, handle: i32): i32 {
  let slot = resolve(svc, handle);
  if (slot < 0) return slot;
  for (let s = 0; s < CAP_SLOTS; s++) unchecked(doomed[s] = s == slot);
  for (let changed = true; changed;) {
    changed = false;
    for (let s = 0; s < CAP_SLOTS; s++) {
      let i = at(svc, s);
      let p = <i32>unchecked(parents[i]);
      if (unchecked(doomed[s]) || unchecked(kinds[i]) == CapKind.NONE || p < 0) continue;
      if (unchecked(doomed[p])) { unchecked(doomed[s] = true); changed = true; }
    }
  }
  for (let s = 0; s < CAP_SLOTS; s++) {
    if (!unchecked(doomed[s])) continue;
    let i = at(svc, s);
    unchecked(kinds[i] = <u8>CapKind.NONE);
    unchecked(gens[i] = unchecked(gens[i]) + 1);
  }
  return 0;
}

/** The handle of the index-th live capability of a kind, or -ENOENT. */
export function capFind(svc: i32, kind: CapKind, index: i32): i32 {
  if (kind == CapKind.NONE) return -Errno.EINVAL;
  let seen = 0;
  for (let s = 0; s < CAP_SLOTS; s++) {
    if (capKind(svc, s) != kind) continue;
    if (seen++ == index) return handleOf(svc, s);
  }
  return -Errno.ENOENT;
}

/** Does svc hold a live capability of kind on object with these rights? */
export function capHolds(svc: i32, kind: CapKind, object: i32, need: i32): bool {
  for (let s = 0; s < CAP_SLOTS; s++) {
    let i = at(svc, s);
    if (unchecked(kinds[i]) == kind && <i32>unchecked(objects[i]) == object &&
        (<i32>unchecked(rights[i]) & need) == need) return true;
  }
  return false;
}

/** Empty service svc's table (UNLOAD): every handle it had dies. */
export function capsClear(svc: i32): void {
  for (let s = 0; s < CAP_SLOTS; s++) capFree(svc, s);
}

/** Free one slot and everything derived from it (a refused GRANT takes back what it
 *  added; REVOKE takes a granted extent). */
export function capFreeTree(svc: i32, slot: i32): void {
  let h = handleOf(svc, slot);
  if (capKind(svc, slot) != CapKind.NONE) capRevoke(svc, h);
}

function capFree(svc: i32, s: i32): void {
  let i = at(svc, s);
  if (unchecked(kinds[i]) != CapKind.NONE) unchecked(gens[i] = unchecked(gens[i]) + 1);
  unchecked(kinds[i] = <u8>CapKind.NONE);
}

/** The slot of svc's root DISK capability over exactly this extent, or -1. */
export function capFindExtent(svc: i32, disk: i32, off: u64, len: u64): i32 {
  for (let s = 0; s < CAP_SLOTS; s++) {
    let i = at(svc, s);
    if (unchecked(kinds[i]) == CapKind.DISK && unchecked(parents[i]) < 0 && <i32>unchecked(objects[i]) == disk &&
        unchecked(extOff[i]) == off && unchecked(extLen[i]) == len) return s;
  }
  return -1;
}

/** Do [a, a + al) and [b, b + bl) share a byte? Without overflow for any u64 values. */
function overlap(a: u64, al: u64, b: u64, bl: u64): bool {
  return a <= b ? b - a < al : a - b < bl;
}

/** Does svc hold a root DISK capability on disk that shares a byte with [off, off + len)?
 *  (Derived ones lie inside their roots.) */
export function capOverlaps(svc: i32, disk: i32, off: u64, len: u64): bool {
  for (let s = 0; s < CAP_SLOTS; s++) {
    let i = at(svc, s);
    if (unchecked(kinds[i]) == CapKind.DISK && unchecked(parents[i]) < 0 && <i32>unchecked(objects[i]) == disk &&
        overlap(off, len, unchecked(extOff[i]), unchecked(extLen[i]))) return true;
  }
  return false;
}

/** Empty every capability table (a refused boot). Generations go on counting, so no
 *  handle from before can name a slot again. */
export function capsReset(): void {
  for (let svc = 0; svc < SVC_MAX; svc++) capsClear(svc);
}

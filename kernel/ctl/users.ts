// The users who may send control messages (spec/control.md): one row per USER record of
// the boot manifest — an ed25519 public key, the user's name, one domain — and per key the
// last sequence number accepted, which only grows (replays are refused), plus the node's
// epoch, drawn from the host's randomness at boot, which every signed message must carry,
// so a message from before a reboot is refused too. Does not verify signatures (ctl/
// control.ts does). Filled by boot.ts.
import { USER_MAX } from "../param";
import { NAME_MAX, USER_NAME_MAX } from "../../abi/manifest";

const KEYS: usize = memory.data(USER_MAX * 32, 8);
const NAMES: usize = memory.data(USER_MAX * USER_NAME_MAX);
const DOMAINS: usize = memory.data(USER_MAX * (NAME_MAX + 1));
const nameLen = new StaticArray<u8>(USER_MAX);
const domainLen = new StaticArray<u8>(USER_MAX);
const lastSeq = new StaticArray<u64>(USER_MAX);
let count = 0;
export let epoch: u64 = 0;

export function setEpoch(e: u64): void { epoch = e; }
/** The ed25519 key of row u. */
export function userKey(u: i32): usize { return KEYS + <usize>(u * 32); }
export function userName(u: i32): usize { return NAMES + <usize>(u * USER_NAME_MAX); }
export function userNameLen(u: i32): i32 { return <i32>unchecked(nameLen[u]); }

/** Add a (key, user, domain) row; -1 if the table is full. */
export function userAdd(key: usize, name: usize, nl: i32, domain: usize, dl: i32): i32 {
  if (count >= USER_MAX) return -1;
  let u = count++;
  memory.copy(KEYS + <usize>(u * 32), key, 32);
  memory.copy(userName(u), name, <usize>nl);
  memory.copy(DOMAINS + <usize>(u * (NAME_MAX + 1)), domain, <usize>dl);
  unchecked(nameLen[u] = <u8>nl);
  unchecked(domainLen[u] = <u8>dl);
  unchecked(lastSeq[u] = 0);
  return u;
}

/** The first row with this key, or -1: the key is nobody's. */
export function userByKey(key: usize): i32 {
  for (let u = 0; u < count; u++) if (memory.compare(KEYS + <usize>(u * 32), key, 32) == 0) return u;
  return -1;
}

/** Is name (n bytes) row r's domain, or under it (ends in "." + domain)? */
function covers(r: i32, name: usize, n: i32): bool {
  let dl = <i32>unchecked(domainLen[r]);
  let d = DOMAINS + <usize>(r * (NAME_MAX + 1));
  if (n == dl && memory.compare(name, d, <usize>n) == 0) return true;
  return n > dl && load<u8>(name + <usize>(n - dl - 1)) == 0x2e &&
    memory.compare(name + <usize>(n - dl), d, <usize>dl) == 0;
}

/** May the user of row u (any row with its key) act on the service called name: is name
 *  one of its domains, or under one? */
export function userMay(u: i32, name: usize, n: i32): bool {
  let key = KEYS + <usize>(u * 32);
  for (let r = 0; r < count; r++) {
    if (memory.compare(KEYS + <usize>(r * 32), key, 32) == 0 && covers(r, name, n)) return true;
  }
  return false;
}

/** Whose is the service called name when no user loaded it (a boot manifest's service): the
 *  user (first row of its key) with the longest domain covering it, or -1 (the node's). */
export function userForName(name: usize, n: i32): i32 {
  let best = -1, bestLen = -1;
  for (let r = 0; r < count; r++) {
    let dl = <i32>unchecked(domainLen[r]);
    if (dl > bestLen && covers(r, name, n)) { best = r; bestLen = dl; }
  }
  return best < 0 ? -1 : userByKey(KEYS + <usize>(best * 32));
}

/** The last sequence number accepted from the user of row u (0: none yet). */
export function userLastSeq(u: i32): u64 { return unchecked(lastSeq[u]); }

/** Accept seq from the user of row u: every row with its key remembers it. */
export function userAccept(u: i32, seq: u64): void {
  let key = KEYS + <usize>(u * 32);
  for (let r = 0; r < count; r++) {
    if (memory.compare(KEYS + <usize>(r * 32), key, 32) == 0) unchecked(lastSeq[r] = seq);
  }
}

/** Forget every user (a refused boot). */
export function usersReset(): void { count = 0; epoch = 0; }

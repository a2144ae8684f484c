// The node's identity and what it trusts (issue #15): its ed25519 seed and public key
// (NODE_KEY), the keys it trusts to certify addresses in prefixes (TRUST), the
// certificates of its key from upstream (NODE_CERT), whether it is a router (only a router
// issues), and the wall clock the certificates are dated by. Filled by cert/boot.ts; read
// by cert/verify.ts, cert/issue.ts and status.ts. The seed is read only by issue.ts's
// signing: never logged, never in status.
import { TRUST_MAX, NODE_CERT_MAX } from "../param";
import { CERT_BYTES } from "../../wire/layout/cert";
import { prefixMatch, addrCopy } from "../../wire/addr";
import { epoch, now } from "../clock";
import { ed25519Public } from "../crypto/ed25519_sign";

export const KEY: i32 = 32;

export const SEED: usize = memory.data(KEY, 8);         // the node's seed (RFC 8032 §5.1.5)
export const NODE_PK: usize = memory.data(KEY, 8);      // its public key
export let hasKey = false;
export let router = false;                              // role ROUTER: issues certificates

const TRUST_KEYS: usize = memory.data(TRUST_MAX * KEY, 8);
const TRUST_PFX: usize = memory.data(TRUST_MAX * 16, 8);
const trustLen = new StaticArray<u8>(TRUST_MAX);
export let trustCount = 0;

const NODE_CERTS: usize = memory.data(NODE_CERT_MAX * CERT_BYTES, 8);
export let nodeCertCount = 0;

/** The node's i-th NODE_CERT (CERT_BYTES). */
export function nodeCert(i: i32): usize { return NODE_CERTS + <usize>(i * CERT_BYTES); }
export function trustKey(i: i32): usize { return TRUST_KEYS + <usize>(i * KEY); }
export function trustPrefix(i: i32): usize { return TRUST_PFX + <usize>(i * 16); }
export function trustPrefixLen(i: i32): i32 { return <i32>unchecked(trustLen[i]); }

/** The Unix time in seconds on the node's wall clock (k_epoch + kernel time), or 0 when
 *  the host has not told the kernel the wall clock. */
export function wallSeconds(): i64 {
  if (epoch == 0) return 0;
  let ms = epoch + now;
  return ms <= 0 ? 0 : ms / 1000;
}

/** Does a key at k equal the key at p? */
export function keyEq(k: usize, p: usize): bool { return memory.compare(k, p, KEY) == 0; }

/** Take the seed at seed as the node's key; its public key goes to pk's place. */
export function setNodeKey(seed: usize): void {
  memory.copy(SEED, seed, KEY);
  ed25519Public(NODE_PK, SEED);
  hasKey = true;
}

/** A node without NODE_KEY still signs its control answers (ctl/seal.ts): with a seed
 *  drawn from the host's randomness at boot, forgotten at the next. hasKey stays false:
 *  such a key issues no certificates, since nobody could have been told to trust it. */
export function drawNodeKey(seed: usize): void {
  memory.copy(SEED, seed, KEY);
  ed25519Public(NODE_PK, SEED);
}

export function setRouter(r: bool): void { router = r; }

/** Trust key for addresses in prefix/len; false when the table is full. */
export function trustAdd(key: usize, prefix: usize, len: i32): bool {
  if (trustCount >= TRUST_MAX) return false;
  let i = trustCount++;
  memory.copy(trustKey(i), key, KEY);
  addrCopy(trustPrefix(i), prefix);
  unchecked(trustLen[i] = <u8>len);
  return true;
}

/** Is the key at key trusted for addr by a TRUST record? */
export function trustedFor(key: usize, addr: usize): bool {
  for (let i = 0; i < trustCount; i++) {
    if (keyEq(trustKey(i), key) && prefixMatch(addr, trustPrefix(i), trustPrefixLen(i))) return true;
  }
  return false;
}

/** Keep the certificate at c as one of the node's; false when the table is full. */
export function nodeCertAdd(c: usize): bool {
  if (nodeCertCount >= NODE_CERT_MAX) return false;
  memory.copy(nodeCert(nodeCertCount++), c, CERT_BYTES);
  return true;
}

/** Forget the key (its seed wiped), the trusted keys and the node's certificates. */
export function stateReset(): void {
  memory.fill(SEED, 0, KEY);
  memory.fill(NODE_PK, 0, KEY);
  hasKey = false;
  router = false;
  trustCount = 0;
  nodeCertCount = 0;
}

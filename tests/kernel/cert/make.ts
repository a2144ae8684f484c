// Address certificates made inside a kernel unit test (wire/layout/cert.ts): eight keys
// from fixed seeds (seed k is 32 bytes of k + 1), and certificates of them signed with the
// kernel's own signer, written field by field at the layout's offsets. Chains are laid out
// leaf first, CERT_BYTES apart. Used by tests/kernel/cert/*.spec.ts; the literal bytes
// they start from are in spec/wire.md's example (issue.spec.ts checks the kernel makes them).
import * as C from "../../../wire/layout/cert";
import { ed25519Public, ed25519Sign } from "../../../kernel/crypto/ed25519_sign";
import { putAddr } from "../frames";

export const KEYS: i32 = 8;
const SEEDS: usize = memory.data(KEYS * 32, 8);
const PKS: usize = memory.data(KEYS * 32, 8);
let made = false;

function init(): void {
  if (made) return;
  for (let k = 0; k < KEYS; k++) {
    memory.fill(SEEDS + <usize>(k * 32), <u8>(k + 1), 32);
    ed25519Public(PKS + <usize>(k * 32), SEEDS + <usize>(k * 32));
  }
  made = true;
}

/** Key k's seed and public key. */
export function seed(k: i32): usize { init(); return SEEDS + <usize>(k * 32); }
export function pk(k: i32): usize { init(); return PKS + <usize>(k * 32); }

/** Certificate i of the chain at chain. */
export function at(chain: usize, i: i32): usize { return chain + <usize>(i * C.CERT_BYTES); }

/** Sign the certificate at c again with key k's seed (after a test changed its fields). */
export function resign(c: usize, k: i32): void {
  ed25519Sign(c + C.CERT_SIG, c, C.CERT_SIG, seed(k), pk(k));
}

/** Write at c a certificate of prefix/len to key holder, by key issuer, valid [nb, na). */
export function make(c: usize, issuer: i32, holder: i32, prefix: string, len: i32, flags: i32, nb: i64, na: i64): void {
  memory.fill(c, 0, C.CERT_BYTES);
  store<u32>(c + C.CERT_MAGIC_OFF, C.CERT_MAGIC);
  store<u8>(c + C.CERT_VERSION_OFF, <u8>C.CERT_VERSION);
  store<u8>(c + C.CERT_LEN, <u8>len);
  store<u8>(c + C.CERT_FLAGS, <u8>flags);
  store<i64>(c + C.CERT_NOT_BEFORE, nb);
  store<i64>(c + C.CERT_NOT_AFTER, na);
  putAddr(c + C.CERT_PREFIX, prefix);
  memory.copy(c + C.CERT_HOLDER, pk(holder), 32);
  memory.copy(c + C.CERT_ISSUER_KEY, pk(issuer), 32);
  resign(c, issuer);
}

// The chain chainOf lays out, leaf first: the address, then ever wider prefixes, each
// valid a little longer on both sides than the one below it.
const PREFIXES: StaticArray<string> = ["fd00:1:2:3::7", "fd00:1:2:3::", "fd00:1:2::", "fd00:1::"];
const LENS: StaticArray<i32> = [128, 64, 48, 32];

/** A good chain of n (1..4) at chain around Unix time t: certificate i is issued by key i
 *  to key i - 1 (the leaf to key HOST), so key n - 1 is the one to trust. */
export const HOST: i32 = 7;
export const LEAF_ADDR = "fd00:1:2:3::7";
export function chainOf(chain: usize, n: i32, t: i64): void {
  for (let i = 0; i < n; i++) {
    let span = <i64>(100 * (i + 1));
    make(at(chain, i), i, i == 0 ? HOST : i - 1, PREFIXES[i], LENS[i], i == 0 ? 0 : C.CERT_ISSUER, t - span, t + span);
  }
}

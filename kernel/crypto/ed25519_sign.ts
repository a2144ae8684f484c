// Ed25519 key derivation and signing (RFC 8032 §5.1.5 and §5.1.6; pure Ed25519: no
// context, no prehash), TweetNaCl's crypto_sign_keypair and crypto_sign (public domain)
// over ref10's point arithmetic (kernel/crypto/ge25519.ts, fe25519.ts). The seed, the
// scalar a and the prefix hashed from it, and the nonce r are secret: [a]B and [r]B come
// from geScalarMultBase, TweetNaCl's ladder, which does the same addition and doubling for
// every bit and swaps with feCswap (no branch and no address depends on a bit), and
// S = r + k·a mod L is arithmetic with no branch (scalar25519.ts muladd). Nothing here
// uses ge25519.ts's variable-time functions. The expanded key, r, the ladder's
// points, the SHA-512 context and the arithmetic's scratch are wiped before a call
// returns. Every temporary is static; not re-entrant. For the node's signing of the
// address certificates it issues (issue #15); the caller guarantees the bytes are in memory.
import { KEY_BYTES } from "./ed25519";
import { P3, geScalarMultBase, geToBytes, geWipe } from "./ge25519";
import { reduce, muladd } from "./scalar25519";
import { sha512, sha512Init, sha512Update, sha512Final, sha512Wipe } from "./sha512";

const EXP: usize = memory.data(64, 8);     // SHA-512(seed): the clamped scalar a, then the prefix
const RH: usize = memory.data(64, 8);      // SHA-512(prefix || M), reduced to r in its first 32
const KH: usize = memory.data(64, 8);      // SHA-512(R || A || M), reduced to k in its first 32
const RS: usize = memory.data(64, 8);      // the signature R || S, copied out at the end
const LP: usize = memory.data(P3, 8);      // [a]B, then [r]B (p3)

/** EXP = SHA-512 of the 32-byte seed, its first half clamped into a (RFC 8032 §5.1.5 steps
 *  1–2). */
function expand(seed: usize): void {
  sha512(seed, 32, EXP);
  store<u8>(EXP, load<u8>(EXP) & 248);
  store<u8>(EXP + 31, (load<u8>(EXP + 31) & 127) | 64);
}

/** The public key (32 bytes at pk) of the RFC 8032 §5.1.5 seed at seed. */
export function ed25519Public(pk: usize, seed: usize): void {
  expand(seed);
  geScalarMultBase(LP, EXP);
  geToBytes(pk, LP);
  wipe();
}

/** The RFC 8032 §5.1.6 signature (64 bytes at sig) of the n bytes at msg by the key whose
 *  seed is at seed and public key at pk (as ed25519Public made it). The key must be the
 *  seed's: two signatures of one message under one seed with different keys give away a.
 *  sig may overlap the inputs; it is written last. Starts and finishes SHA-512s of its own. */
export function ed25519Sign(sig: usize, msg: usize, n: i32, seed: usize, pk: usize): void {
  expand(seed);
  sha512Init();                            // step 2: r = SHA-512(prefix || M) mod L
  sha512Update(EXP + 32, 32);
  sha512Update(msg, n);
  sha512Final(RH);
  reduce(RH);
  geScalarMultBase(LP, RH);                 // step 3: R = [r]B
  geToBytes(RS, LP);
  sha512Init();                            // step 4: k = SHA-512(R || A || M) mod L
  sha512Update(RS, 32);
  sha512Update(pk, KEY_BYTES);
  sha512Update(msg, n);
  sha512Final(KH);
  reduce(KH);
  muladd(RS + 32, KH, EXP, RH);            // step 5: S = (r + k·a) mod L
  memory.copy(sig, RS, 64);
  wipe();
}

/** Forget a, the prefix, r, the ladder's points, the SHA-512 context, and the scratch of
 *  the point and field arithmetic: the projective coordinates of the ladder's last step,
 *  though of public points, can tell bits of the scalar behind them. */
function wipe(): void {
  memory.fill(EXP, 0, 64);
  memory.fill(RH, 0, 64);
  memory.fill(LP, 0, <usize>P3);
  sha512Wipe();
  geWipe();
}

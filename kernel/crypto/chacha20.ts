// ChaCha20 (RFC 8439 §2.3–2.4) and HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2) over bytes in
// linear memory. One function runs the 20 rounds with the state in locals and leaves its
// block in static memory (KS); chacha20Xor XORs that keystream over a message, 8 bytes at a
// time. Keys, nonces and counters are at caller's addresses, little-endian as the RFC says.
// Nothing here allocates or is re-entered; KS holds keystream until chachaWipe. The 32-bit
// block counter is the caller's to keep below 2^32 (RFC 8439 §2.4: 256 GB per nonce).
// Used by kernel/crypto/aead.ts.

const SIGMA0: u32 = 0x61707865;            // "expand 32-byte k" (§2.3)
const SIGMA1: u32 = 0x3320646e;
const SIGMA2: u32 = 0x79622d32;
const SIGMA3: u32 = 0x6b206574;
export const CHACHA_BLOCK: i32 = 64;       // bytes of keystream per block
export const KS: usize = memory.data(CHACHA_BLOCK, 16); // the last block computed

/** The 20 rounds over constants ‖ key ‖ w12..w15, into KS; with add, plus the input
 *  (ChaCha20's block, §2.3), without it the bare permutation (HChaCha20, §2.2). */
function permute(key: usize, w12: u32, w13: u32, w14: u32, w15: u32, add: bool): void {
  let k0 = load<u32>(key, 0), k1 = load<u32>(key, 4), k2 = load<u32>(key, 8), k3 = load<u32>(key, 12);
  let k4 = load<u32>(key, 16), k5 = load<u32>(key, 20), k6 = load<u32>(key, 24), k7 = load<u32>(key, 28);
  let x0 = SIGMA0, x1 = SIGMA1, x2 = SIGMA2, x3 = SIGMA3;
  let x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
  let x12 = w12, x13 = w13, x14 = w14, x15 = w15;
  for (let i = 0; i < 10; i++) {
    // Columns (§2.1: a += b; d ^= a; d <<<= 16; c += d; b ^= c; b <<<= 12; ... 8; ... 7).
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    // Diagonals.
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  if (add) {
    x0 += SIGMA0; x1 += SIGMA1; x2 += SIGMA2; x3 += SIGMA3;
    x4 += k0; x5 += k1; x6 += k2; x7 += k3; x8 += k4; x9 += k5; x10 += k6; x11 += k7;
    x12 += w12; x13 += w13; x14 += w14; x15 += w15;
  }
  store<u32>(KS, x0, 0); store<u32>(KS, x1, 4); store<u32>(KS, x2, 8); store<u32>(KS, x3, 12);
  store<u32>(KS, x4, 16); store<u32>(KS, x5, 20); store<u32>(KS, x6, 24); store<u32>(KS, x7, 28);
  store<u32>(KS, x8, 32); store<u32>(KS, x9, 36); store<u32>(KS, x10, 40); store<u32>(KS, x11, 44);
  store<u32>(KS, x12, 48); store<u32>(KS, x13, 52); store<u32>(KS, x14, 56); store<u32>(KS, x15, 60);
}

/** §2.3: the 64-byte block for a 32-byte key, a block counter and a 12-byte nonce, into KS. */
export function chachaBlock(key: usize, counter: u32, nonce: usize): void {
  permute(key, counter, load<u32>(nonce, 0), load<u32>(nonce, 4), load<u32>(nonce, 8), true);
}

/** §2.4: dst = src XOR the keystream from block `counter` on, n bytes (dst == src allowed). */
export function chacha20Xor(dst: usize, src: usize, n: i32, key: usize, nonce: usize, counter: u32): void {
  let n0 = load<u32>(nonce, 0), n1 = load<u32>(nonce, 4), n2 = load<u32>(nonce, 8);
  let off: usize = 0, end = <usize>max(n, 0);
  while (off + CHACHA_BLOCK <= end) {
    permute(key, counter++, n0, n1, n2, true);
    let d = dst + off, s = src + off;
    store<u64>(d, load<u64>(s, 0) ^ load<u64>(KS, 0), 0);
    store<u64>(d, load<u64>(s, 8) ^ load<u64>(KS, 8), 8);
    store<u64>(d, load<u64>(s, 16) ^ load<u64>(KS, 16), 16);
    store<u64>(d, load<u64>(s, 24) ^ load<u64>(KS, 24), 24);
    store<u64>(d, load<u64>(s, 32) ^ load<u64>(KS, 32), 32);
    store<u64>(d, load<u64>(s, 40) ^ load<u64>(KS, 40), 40);
    store<u64>(d, load<u64>(s, 48) ^ load<u64>(KS, 48), 48);
    store<u64>(d, load<u64>(s, 56) ^ load<u64>(KS, 56), 56);
    off += CHACHA_BLOCK;
  }
  if (off < end) {
    permute(key, counter, n0, n1, n2, true);
    for (let i: usize = 0; off + i < end; i++) {
      store<u8>(dst + off + i, load<u8>(src + off + i) ^ load<u8>(KS + i));
    }
  }
}

/** draft-irtf-cfrg-xchacha-03 §2.2: the 32-byte subkey for a key and the first 16 bytes of
 *  a 24-byte nonce (words 0–3 and 12–15 of the permuted state), at out. */
export function hchacha20(out: usize, key: usize, nonce16: usize): void {
  permute(key, load<u32>(nonce16, 0), load<u32>(nonce16, 4), load<u32>(nonce16, 8), load<u32>(nonce16, 12), false);
  memory.copy(out, KS, 16);
  memory.copy(out + 16, KS + 48, 16);
}

/** Forget the last block of keystream. */
export function chachaWipe(): void {
  memory.fill(KS, 0, CHACHA_BLOCK);
}

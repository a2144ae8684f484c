// Poly1305 (RFC 8439 §2.5) over bytes in linear memory, fed in pieces: init with the
// one-time key, update as often as needed, pad to a 16-byte boundary (the AEAD's zero
// padding, §2.8), final. The accumulator is five 26-bit limbs multiplied with u64 products
// (poly1305-donna-32's layout); the final reduction and the selection of h or h - p have
// no branch on secret values. There is one context, in static memory: one MAC at a time,
// and final wipes it. Used by kernel/crypto/aead.ts.

export const POLY_BLOCK: i32 = 16;         // bytes per block
const MASK: u32 = 0x3ffffff;               // one 26-bit limb

let r0: u32 = 0, r1: u32 = 0, r2: u32 = 0, r3: u32 = 0, r4: u32 = 0;   // r, clamped (§2.5)
let h0: u32 = 0, h1: u32 = 0, h2: u32 = 0, h3: u32 = 0, h4: u32 = 0;   // the accumulator
const PAD: usize = memory.data(16, 8);     // s, added at the end
const PART: usize = memory.data(POLY_BLOCK, 8);   // bytes of a block not yet absorbed
let partLen: i32 = 0;                      // ... how many

/** Absorb the whole 16-byte blocks of the n bytes at m; hibit is 2^128 in limb 4's units
 *  (1 << 24) for a full block, 0 for the final short block already padded with 0x01. */
function blocks(m: usize, n: i32, hibit: u32): void {
  let a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
  let s1: u64 = <u64>r1 * 5, s2: u64 = <u64>r2 * 5, s3: u64 = <u64>r3 * 5, s4: u64 = <u64>r4 * 5;
  let b0 = <u64>r0, b1 = <u64>r1, b2 = <u64>r2, b3 = <u64>r3, b4 = <u64>r4;
  for (; n >= POLY_BLOCK; n -= POLY_BLOCK, m += POLY_BLOCK) {
    a0 += load<u32>(m, 0) & MASK;
    a1 += (load<u32>(m, 3) >> 2) & MASK;
    a2 += (load<u32>(m, 6) >> 4) & MASK;
    a3 += (load<u32>(m, 9) >> 6) & MASK;
    a4 += (load<u32>(m, 12) >> 8) | hibit;
    let c0 = <u64>a0, c1 = <u64>a1, c2 = <u64>a2, c3 = <u64>a3, c4 = <u64>a4;
    let d0 = c0 * b0 + c1 * s4 + c2 * s3 + c3 * s2 + c4 * s1;
    let d1 = c0 * b1 + c1 * b0 + c2 * s4 + c3 * s3 + c4 * s2;
    let d2 = c0 * b2 + c1 * b1 + c2 * b0 + c3 * s4 + c4 * s3;
    let d3 = c0 * b3 + c1 * b2 + c2 * b1 + c3 * b0 + c4 * s4;
    let d4 = c0 * b4 + c1 * b3 + c2 * b2 + c3 * b1 + c4 * b0;
    let c: u64 = d0 >> 26; a0 = <u32>d0 & MASK;
    d1 += c; c = d1 >> 26; a1 = <u32>d1 & MASK;
    d2 += c; c = d2 >> 26; a2 = <u32>d2 & MASK;
    d3 += c; c = d3 >> 26; a3 = <u32>d3 & MASK;
    d4 += c; c = d4 >> 26; a4 = <u32>d4 & MASK;
    a0 += <u32>c * 5; a1 += a0 >> 26; a0 &= MASK;
  }
  h0 = a0; h1 = a1; h2 = a2; h3 = a3; h4 = a4;
}

/** Start a MAC with the 32-byte one-time key r ‖ s at key. */
export function poly1305Init(key: usize): void {
  r0 = load<u32>(key, 0) & 0x3ffffff;
  r1 = (load<u32>(key, 3) >> 2) & 0x3ffff03;
  r2 = (load<u32>(key, 6) >> 4) & 0x3ffc0ff;
  r3 = (load<u32>(key, 9) >> 6) & 0x3f03fff;
  r4 = (load<u32>(key, 12) >> 8) & 0x00fffff;
  memory.copy(PAD, key + 16, 16);
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
  partLen = 0;
}

/** Absorb the n bytes at p (n ≤ 0: nothing). */
export function poly1305Update(p: usize, n: i32): void {
  if (n <= 0) return;
  if (partLen > 0) {
    let k = min(POLY_BLOCK - partLen, n);
    memory.copy(PART + <usize>partLen, p, <usize>k);
    partLen += k; p += <usize>k; n -= k;
    if (partLen < POLY_BLOCK) return;
    blocks(PART, POLY_BLOCK, 1 << 24);
    partLen = 0;
  }
  let whole = n & ~(POLY_BLOCK - 1);
  if (whole > 0) blocks(p, whole, 1 << 24);
  if (whole < n) {
    memory.copy(PART, p + <usize>whole, <usize>(n - whole));
    partLen = n - whole;
  }
}

/** Complete a started block with zeros (RFC 8439 §2.8's pad16); nothing if none started. */
export function poly1305Pad(): void {
  if (partLen == 0) return;
  memory.fill(PART + <usize>partLen, 0, <usize>(POLY_BLOCK - partLen));
  blocks(PART, POLY_BLOCK, 1 << 24);
  partLen = 0;
}

/** The 16-byte tag at out; forgets r, s and the accumulator. */
export function poly1305Final(out: usize): void {
  if (partLen > 0) {
    store<u8>(PART + <usize>partLen, 1);
    memory.fill(PART + <usize>partLen + 1, 0, <usize>(POLY_BLOCK - partLen - 1));
    blocks(PART, POLY_BLOCK, 0);
  }
  let a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
  let c = a1 >> 26; a1 &= MASK;
  a2 += c; c = a2 >> 26; a2 &= MASK;
  a3 += c; c = a3 >> 26; a3 &= MASK;
  a4 += c; c = a4 >> 26; a4 &= MASK;
  a0 += c * 5; c = a0 >> 26; a0 &= MASK;
  a1 += c;
  // g = h + 5 - 2^130; keep g if it did not borrow (h ≥ p), else h.
  let g0 = a0 + 5; c = g0 >> 26; g0 &= MASK;
  let g1 = a1 + c; c = g1 >> 26; g1 &= MASK;
  let g2 = a2 + c; c = g2 >> 26; g2 &= MASK;
  let g3 = a3 + c; c = g3 >> 26; g3 &= MASK;
  let g4 = a4 + c - (1 << 26);
  let keep = (g4 >> 31) - 1;               // all ones if g4 did not borrow
  a0 = (a0 & ~keep) | (g0 & keep);
  a1 = (a1 & ~keep) | (g1 & keep);
  a2 = (a2 & ~keep) | (g2 & keep);
  a3 = (a3 & ~keep) | (g3 & keep);
  a4 = (a4 & ~keep) | (g4 & keep);
  // h mod 2^128 in four words, plus s (§2.5.1: the tag is the low 128 bits).
  let w0 = a0 | (a1 << 26), w1 = (a1 >> 6) | (a2 << 20), w2 = (a2 >> 12) | (a3 << 14), w3 = (a3 >> 18) | (a4 << 8);
  let f: u64 = <u64>w0 + load<u32>(PAD, 0); store<u32>(out, <u32>f, 0);
  f = <u64>w1 + load<u32>(PAD, 4) + (f >> 32); store<u32>(out, <u32>f, 4);
  f = <u64>w2 + load<u32>(PAD, 8) + (f >> 32); store<u32>(out, <u32>f, 8);
  f = <u64>w3 + load<u32>(PAD, 12) + (f >> 32); store<u32>(out, <u32>f, 12);
  r0 = 0; r1 = 0; r2 = 0; r3 = 0; r4 = 0;
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
  memory.fill(PAD, 0, 16);
  memory.fill(PART, 0, POLY_BLOCK);
  partLen = 0;
}

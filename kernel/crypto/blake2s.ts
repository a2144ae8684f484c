// BLAKE2s (RFC 7693) over bytes in linear memory: digests of 1 to 32 bytes, keyed with 0
// to 32 bytes, one-shot (blake2s) or fed in pieces (init, update, final). There is ONE
// context, in static memory, shared by both forms: not re-entrant, and a one-shot call in
// the middle of an incremental hash destroys it. final wipes the context. No salt or
// personalisation, no tree mode. Used by kernel/crypto/kdf.ts and kernel/wg/ (the
// handshake hash, MAC1/MAC2).

const BLOCK: i32 = 64;                     // bytes in one message block
const IV: usize = memory.data<u32>([       // §2.6: SHA-256's initial hash value
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const SIGMA: usize = memory.data<u8>([     // §2.7: the message schedule of the 10 rounds
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
  11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
  7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
  9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
  2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
  12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
  13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
  6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
  10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
]);

const H: usize = memory.data(32, 8);       // the chained state h0..h7
const BUF: usize = memory.data(BLOCK, 8);  // the last block, kept until it is known not final
let bufLen: i32 = 0;                       // ... bytes in it
let total: u64 = 0;                        // bytes compressed so far (t, §3.2)
let digestLen: i32 = 32;                   // nn

/** Message word s[k] of round r's schedule, from the block at m. */
@inline function mw(m: usize, s: usize, k: i32): u32 {
  return load<u32>(m + (<usize>load<u8>(s + <usize>k) << 2));
}

/** §3.2: compress the block at m into H, with t = total, the final flag if last. */
function compress(m: usize, last: bool): void {
  let v0 = load<u32>(H, 0), v1 = load<u32>(H, 4), v2 = load<u32>(H, 8), v3 = load<u32>(H, 12);
  let v4 = load<u32>(H, 16), v5 = load<u32>(H, 20), v6 = load<u32>(H, 24), v7 = load<u32>(H, 28);
  let v8 = load<u32>(IV, 0), v9 = load<u32>(IV, 4), v10 = load<u32>(IV, 8), v11 = load<u32>(IV, 12);
  let v12 = load<u32>(IV, 16) ^ <u32>total, v13 = load<u32>(IV, 20) ^ <u32>(total >> 32);
  let v14 = load<u32>(IV, 24) ^ (last ? 0xffffffff : 0), v15 = load<u32>(IV, 28);
  for (let r = 0; r < 10; r++) {
    let s = SIGMA + <usize>(r << 4);
    // G (§3.1) on the columns, then on the diagonals; R1..R4 = 16, 12, 8, 7.
    v0 += v4 + mw(m, s, 0); v12 = rotr<u32>(v12 ^ v0, 16); v8 += v12; v4 = rotr<u32>(v4 ^ v8, 12);
    v0 += v4 + mw(m, s, 1); v12 = rotr<u32>(v12 ^ v0, 8); v8 += v12; v4 = rotr<u32>(v4 ^ v8, 7);
    v1 += v5 + mw(m, s, 2); v13 = rotr<u32>(v13 ^ v1, 16); v9 += v13; v5 = rotr<u32>(v5 ^ v9, 12);
    v1 += v5 + mw(m, s, 3); v13 = rotr<u32>(v13 ^ v1, 8); v9 += v13; v5 = rotr<u32>(v5 ^ v9, 7);
    v2 += v6 + mw(m, s, 4); v14 = rotr<u32>(v14 ^ v2, 16); v10 += v14; v6 = rotr<u32>(v6 ^ v10, 12);
    v2 += v6 + mw(m, s, 5); v14 = rotr<u32>(v14 ^ v2, 8); v10 += v14; v6 = rotr<u32>(v6 ^ v10, 7);
    v3 += v7 + mw(m, s, 6); v15 = rotr<u32>(v15 ^ v3, 16); v11 += v15; v7 = rotr<u32>(v7 ^ v11, 12);
    v3 += v7 + mw(m, s, 7); v15 = rotr<u32>(v15 ^ v3, 8); v11 += v15; v7 = rotr<u32>(v7 ^ v11, 7);
    v0 += v5 + mw(m, s, 8); v15 = rotr<u32>(v15 ^ v0, 16); v10 += v15; v5 = rotr<u32>(v5 ^ v10, 12);
    v0 += v5 + mw(m, s, 9); v15 = rotr<u32>(v15 ^ v0, 8); v10 += v15; v5 = rotr<u32>(v5 ^ v10, 7);
    v1 += v6 + mw(m, s, 10); v12 = rotr<u32>(v12 ^ v1, 16); v11 += v12; v6 = rotr<u32>(v6 ^ v11, 12);
    v1 += v6 + mw(m, s, 11); v12 = rotr<u32>(v12 ^ v1, 8); v11 += v12; v6 = rotr<u32>(v6 ^ v11, 7);
    v2 += v7 + mw(m, s, 12); v13 = rotr<u32>(v13 ^ v2, 16); v8 += v13; v7 = rotr<u32>(v7 ^ v8, 12);
    v2 += v7 + mw(m, s, 13); v13 = rotr<u32>(v13 ^ v2, 8); v8 += v13; v7 = rotr<u32>(v7 ^ v8, 7);
    v3 += v4 + mw(m, s, 14); v14 = rotr<u32>(v14 ^ v3, 16); v9 += v14; v4 = rotr<u32>(v4 ^ v9, 12);
    v3 += v4 + mw(m, s, 15); v14 = rotr<u32>(v14 ^ v3, 8); v9 += v14; v4 = rotr<u32>(v4 ^ v9, 7);
  }
  store<u32>(H, load<u32>(H, 0) ^ v0 ^ v8, 0);
  store<u32>(H, load<u32>(H, 4) ^ v1 ^ v9, 4);
  store<u32>(H, load<u32>(H, 8) ^ v2 ^ v10, 8);
  store<u32>(H, load<u32>(H, 12) ^ v3 ^ v11, 12);
  store<u32>(H, load<u32>(H, 16) ^ v4 ^ v12, 16);
  store<u32>(H, load<u32>(H, 20) ^ v5 ^ v13, 20);
  store<u32>(H, load<u32>(H, 24) ^ v6 ^ v14, 24);
  store<u32>(H, load<u32>(H, 28) ^ v7 ^ v15, 28);
}

/** Start a digest of outLen bytes (1..32), keyed with the keyLen bytes at key (0..32). */
export function blake2sInit(outLen: i32, key: usize, keyLen: i32): void {
  memory.copy(H, IV, 32);
  store<u32>(H, load<u32>(H) ^ 0x01010000 ^ (<u32>keyLen << 8) ^ <u32>outLen);
  digestLen = outLen;
  total = 0;
  bufLen = 0;
  memory.fill(BUF, 0, BLOCK);
  if (keyLen > 0) {                        // §3.3: the key, padded, is the first block
    memory.copy(BUF, key, <usize>keyLen);
    bufLen = BLOCK;
  }
}

/** Hash the n bytes at p as the next part of the message (n ≤ 0: nothing). */
export function blake2sUpdate(p: usize, n: i32): void {
  while (n > 0) {
    if (bufLen == BLOCK) {                 // more follows, so the buffered block is not last
      total += BLOCK;
      compress(BUF, false);
      bufLen = 0;
    }
    if (bufLen == 0 && n > BLOCK) {
      total += BLOCK;
      compress(p, false);
      p += BLOCK; n -= BLOCK;
      continue;
    }
    let k = min(BLOCK - bufLen, n);
    memory.copy(BUF + <usize>bufLen, p, <usize>k);
    bufLen += k; p += <usize>k; n -= k;
  }
}

/** The digest (outLen bytes) at out; wipes the context. */
export function blake2sFinal(out: usize): void {
  total += <u64>bufLen;
  memory.fill(BUF + <usize>bufLen, 0, <usize>(BLOCK - bufLen));
  compress(BUF, true);
  memory.copy(out, H, <usize>digestLen);
  memory.fill(H, 0, 32);
  memory.fill(BUF, 0, BLOCK);
  bufLen = 0;
  total = 0;
}

/** The outLen-byte digest of the n bytes at p, keyed with keyLen bytes at key, at out
 *  (out may be p or key). Uses, and so ends, the incremental context. */
export function blake2s(out: usize, outLen: i32, key: usize, keyLen: i32, p: usize, n: i32): void {
  blake2sInit(outLen, key, keyLen);
  blake2sUpdate(p, n);
  blake2sFinal(out);
}

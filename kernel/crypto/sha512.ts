// SHA-512 (FIPS 180-4 §6.4) over bytes in linear memory, fed in pieces: init, update as
// often as needed, final. There is one context, in static memory: the kernel is
// single-threaded and hashes one message at a time, so a hash must be finished before
// another starts (ed25519Verify and ed25519Sign start their own). The context keeps what
// it hashed until the next hash or sha512Wipe. No SHA-384 or SHA-512/t, no HMAC.
// Used by kernel/crypto/ed25519.ts and ed25519_sign.ts; the caller guarantees the bytes are in memory.

const BLOCK: i32 = 128;                    // bytes in one message block
const K: usize = memory.data<u64>([        // §4.2.3: the 80 round constants
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]);
const IV: usize = memory.data<u64>([       // §5.3.5: the initial hash value
  0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
]);

const H: usize = memory.data(64, 8);       // the hash value H0..H7
const W: usize = memory.data(80 * 8, 8);   // the message schedule W0..W79
const PART: usize = memory.data(BLOCK, 8); // bytes of a block not yet hashed
let partLen: i32 = 0;                      // ... how many
let total: u64 = 0;                        // bytes of the message so far

@inline function word(base: usize, t: i32): usize { return base + (<usize>t << 3); }

/** §6.4.2: hash one 128-byte block at p into H. */
function compress(p: usize): void {
  for (let t = 0; t < 16; t++) store<u64>(word(W, t), bswap<u64>(load<u64>(word(p, t))));
  for (let t = 16; t < 80; t++) {
    let w15 = load<u64>(word(W, t - 15)), w2 = load<u64>(word(W, t - 2));
    let s0 = rotr<u64>(w15, 1) ^ rotr<u64>(w15, 8) ^ (w15 >> 7);
    let s1 = rotr<u64>(w2, 19) ^ rotr<u64>(w2, 61) ^ (w2 >> 6);
    store<u64>(word(W, t), load<u64>(word(W, t - 16)) + s0 + load<u64>(word(W, t - 7)) + s1);
  }
  let a = load<u64>(H, 0), b = load<u64>(H, 8), c = load<u64>(H, 16), d = load<u64>(H, 24);
  let e = load<u64>(H, 32), f = load<u64>(H, 40), g = load<u64>(H, 48), h = load<u64>(H, 56);
  for (let t = 0; t < 80; t++) {
    let t1 = h + (rotr<u64>(e, 14) ^ rotr<u64>(e, 18) ^ rotr<u64>(e, 41)) + ((e & f) ^ (~e & g)) +
      load<u64>(word(K, t)) + load<u64>(word(W, t));
    let t2 = (rotr<u64>(a, 28) ^ rotr<u64>(a, 34) ^ rotr<u64>(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  store<u64>(H, load<u64>(H, 0) + a, 0);
  store<u64>(H, load<u64>(H, 8) + b, 8);
  store<u64>(H, load<u64>(H, 16) + c, 16);
  store<u64>(H, load<u64>(H, 24) + d, 24);
  store<u64>(H, load<u64>(H, 32) + e, 32);
  store<u64>(H, load<u64>(H, 40) + f, 40);
  store<u64>(H, load<u64>(H, 48) + g, 48);
  store<u64>(H, load<u64>(H, 56) + h, 56);
}

/** Start a new message, forgetting any unfinished one. */
export function sha512Init(): void {
  memory.copy(H, IV, 64);
  partLen = 0;
  total = 0;
}

/** Hash the n bytes at p as the next part of the message (n ≤ 0: nothing). */
export function sha512Update(p: usize, n: i32): void {
  if (n <= 0) return;
  total += <u64>n;
  if (partLen > 0) {
    let take = min(BLOCK - partLen, n);
    memory.copy(PART + <usize>partLen, p, <usize>take);
    partLen += take;
    p += <usize>take;
    n -= take;
    if (partLen < BLOCK) return;
    compress(PART);
    partLen = 0;
  }
  for (; n >= BLOCK; n -= BLOCK, p += <usize>BLOCK) compress(p);
  if (n > 0) {
    memory.copy(PART, p, <usize>n);
    partLen = n;
  }
}

/** §5.1.2: pad the message, hash what is left and write the 64-byte digest at out. */
export function sha512Final(out: usize): void {
  store<u8>(PART + <usize>partLen, 0x80);
  partLen++;
  if (partLen > BLOCK - 16) {
    memory.fill(PART + <usize>partLen, 0, <usize>(BLOCK - partLen));
    compress(PART);
    partLen = 0;
  }
  memory.fill(PART + <usize>partLen, 0, <usize>(BLOCK - 16 - partLen));
  store<u64>(PART, bswap<u64>(total >> 61), BLOCK - 16);   // the length in bits, 128 bits
  store<u64>(PART, bswap<u64>(total << 3), BLOCK - 8);
  compress(PART);
  for (let i = 0; i < 8; i++) store<u64>(word(out, i), bswap<u64>(load<u64>(word(H, i))));
  partLen = 0;
}

/** The digest of the n bytes at p, written at out (64 bytes). */
export function sha512(p: usize, n: i32, out: usize): void {
  sha512Init();
  sha512Update(p, n);
  sha512Final(out);
}

/** Forget the context: the hash value, the schedule and the unhashed bytes, which after
 *  hashing a secret hold it or its digest. */
export function sha512Wipe(): void {
  memory.fill(H, 0, 64);
  memory.fill(W, 0, 80 * 8);
  memory.fill(PART, 0, <usize>BLOCK);
  partLen = 0;
  total = 0;
}

// SHA-256 (FIPS 180-4 §6.2) over bytes in linear memory, fed in pieces: init, update as
// often as needed, final. One context, in static memory, as sha512.ts: the kernel is
// single-threaded, so a hash must be finished before another starts. The context keeps
// what it hashed until the next hash or sha256Wipe. Used for module hashes (a module's
// SHA-256 names it in the store and its signature covers section hashes) and HKDF-SHA256.

const BLOCK: i32 = 64;                     // bytes in one message block
const K: usize = memory.data<u32>([        // §4.2.2: the 64 round constants
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV: usize = memory.data<u32>([       // §5.3.3: the initial hash value
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const H: usize = memory.data(32, 8);       // the hash value H0..H7
const W: usize = memory.data(64 * 4, 8);   // the message schedule W0..W63
const PART: usize = memory.data(BLOCK, 8); // bytes of a block not yet hashed
let partLen: i32 = 0;                      // ... how many
let total: u64 = 0;                        // bytes of the message so far

@inline function word(base: usize, t: i32): usize { return base + (<usize>t << 2); }

/** §6.2.2: hash one 64-byte block at p into H. */
function compress(p: usize): void {
  for (let t = 0; t < 16; t++) store<u32>(word(W, t), bswap<u32>(load<u32>(word(p, t))));
  for (let t = 16; t < 64; t++) {
    let w15 = load<u32>(word(W, t - 15)), w2 = load<u32>(word(W, t - 2));
    let s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >> 3);
    let s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >> 10);
    store<u32>(word(W, t), load<u32>(word(W, t - 16)) + s0 + load<u32>(word(W, t - 7)) + s1);
  }
  let a = load<u32>(H, 0), b = load<u32>(H, 4), c = load<u32>(H, 8), d = load<u32>(H, 12);
  let e = load<u32>(H, 16), f = load<u32>(H, 20), g = load<u32>(H, 24), h = load<u32>(H, 28);
  for (let t = 0; t < 64; t++) {
    let t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) +
      load<u32>(word(K, t)) + load<u32>(word(W, t));
    let t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  store<u32>(H, load<u32>(H, 0) + a, 0);
  store<u32>(H, load<u32>(H, 4) + b, 4);
  store<u32>(H, load<u32>(H, 8) + c, 8);
  store<u32>(H, load<u32>(H, 12) + d, 12);
  store<u32>(H, load<u32>(H, 16) + e, 16);
  store<u32>(H, load<u32>(H, 20) + f, 20);
  store<u32>(H, load<u32>(H, 24) + g, 24);
  store<u32>(H, load<u32>(H, 28) + h, 28);
}

/** Start a new message, forgetting any unfinished one. */
export function sha256Init(): void {
  memory.copy(H, IV, 32);
  partLen = 0;
  total = 0;
}

/** Hash the n bytes at p as the next part of the message (n ≤ 0: nothing). */
export function sha256Update(p: usize, n: i32): void {
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

/** §5.1.1: pad the message, hash what is left and write the 32-byte digest at out. */
export function sha256Final(out: usize): void {
  store<u8>(PART + <usize>partLen, 0x80);
  partLen++;
  if (partLen > BLOCK - 8) {
    memory.fill(PART + <usize>partLen, 0, <usize>(BLOCK - partLen));
    compress(PART);
    partLen = 0;
  }
  memory.fill(PART + <usize>partLen, 0, <usize>(BLOCK - 8 - partLen));
  store<u64>(PART, bswap<u64>(total << 3), BLOCK - 8);    // the length in bits, 64 bits
  compress(PART);
  for (let i = 0; i < 8; i++) store<u32>(word(out, i), bswap<u32>(load<u32>(word(H, i))));
  partLen = 0;
}

/** The digest of the n bytes at p, written at out (32 bytes). */
export function sha256(p: usize, n: i32, out: usize): void {
  sha256Init();
  sha256Update(p, n);
  sha256Final(out);
}

/** Forget the context: after hashing a secret it holds the secret or its digest. */
export function sha256Wipe(): void {
  memory.fill(H, 0, 32);
  memory.fill(W, 0, 64 * 4);
  memory.fill(PART, 0, <usize>BLOCK);
  partLen = 0;
  total = 0;
}

// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed
// 64-bit hash of a message of whole 64-bit little-endian words, for hash tables whose keys
// an outsider chooses (kernel/hashidx.ts, the block filters of kernel/net/filter.ts):
// without the 128-bit key no one can pick keys that collide. Whole words only, since the
// kernel's table keys are; the length byte of the final block is the paper's (§2), so the
// result is the reference implementation's for a message of 8·n bytes. Not a MAC of
// anything outside the kernel, and no 128-bit output.

// @ts-ignore: decorator
@inline function rotl(x: u64, b: u64): u64 { return (x << b) | (x >> (64 - b)); }

/** SipHash-2-4 under the 16-byte key at k of the n words (8·n bytes) at m. */
export function siphash(k: usize, m: usize, n: i32): u64 {
  let k0 = load<u64>(k), k1 = load<u64>(k, 8);
  let v0 = k0 ^ 0x736f6d6570736575, v1 = k1 ^ 0x646f72616e646f6d;
  let v2 = k0 ^ 0x6c7967656e657261, v3 = k1 ^ 0x7465646279746573;
  for (let i = 0; i <= n; i++) {
    // The last block: the message's length in bytes (mod 256) in its top byte, §2.
    let b = i < n ? load<u64>(m + (<usize>i << 3)) : <u64>((n << 3) & 0xff) << 56;
    v3 ^= b;
    for (let r = 0; r < 2; r++) {                 // c = 2 compression rounds
      v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
      v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    }
    v0 ^= b;
  }
  v2 ^= 0xff;
  for (let r = 0; r < 4; r++) {                   // d = 4 finalization rounds
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  return v0 ^ v1 ^ v2 ^ v3;
}

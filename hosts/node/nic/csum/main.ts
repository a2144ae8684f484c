// The TAP's checksum loop in Wasm SIMD (hosts/node/nic/offload.ts's sum16 calls it for long
// runs): the Node host sums every TCP segment it splits out of a super-frame and every one it
// merges back, and V8 runs this loop about five times faster than the best JavaScript one.
// It reads the memory it imports, so one instance serves one memory: the kernel's (the frames
// the kernel sends) or the TAP's own buffers. No allocation, no state: a pure function.

/** The sum of the little-endian 16-bit words of memory [start, end), with an odd last byte
 *  taken as a word whose high byte is zero; not folded. A double, so that JavaScript gets a
 *  number and not a BigInt: exact below 2^53, far beyond any memory's words. On a little-endian host those words are the big-endian ones byte-swapped; the
 *  caller folds the sum and swaps it back once (RFC 1071 2(B)). */
export function sum(start: usize, end: usize): f64 {
  let total: u64 = 0;
  let p = start;
  // Blocks of at most 16 KiB: a 32-bit lane gets at most 2 × 0xffff from each of the 1,024
  // vectors a block adds to it, far below 2^32.
  while (end - p >= 64) {
    let acc = i32x4.splat(0);
    const stop = end - p >= 16384 + 64 ? p + 16384 : end - 63;
    while (p < stop) {
      acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(v128.load(p)));
      acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 16)));
      acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 32)));
      acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 48)));
      p += 64;
    }
    total += <u64><u32>i32x4.extract_lane(acc, 0) + <u64><u32>i32x4.extract_lane(acc, 1)
      + <u64><u32>i32x4.extract_lane(acc, 2) + <u64><u32>i32x4.extract_lane(acc, 3);
  }
  for (; p + 1 < end; p += 2) total += <u64>load<u16>(p);
  if (p < end) total += <u64>load<u8>(p);
  return <f64>total;
}

// TAI64N timestamps (cr.yp.to/libtai/tai64.html) as WireGuard's handshake initiation
// carries them: 8 bytes big-endian 2^62 + 10 + seconds since 1970, then 4 bytes big-endian
// nanoseconds. Like wireguard-go's tai64n, which whitens the low bits of the nanoseconds so
// a timestamp does not fingerprint the clock, it keeps only milliseconds. Used by
// kernel/wg/ (the initiation's anti-replay timestamp, from k_epoch and the clock).

const TAI_BASE: i64 = 0x400000000000000a;  // 2^62 + 10: TAI label of 1970-01-01 00:00:10 TAI

/** The 12-byte TAI64N of unixMs milliseconds since 1970 (unixMs ≥ 0), at out. */
export function tai64n(out: usize, unixMs: i64): void {
  let secs = unixMs / 1000;
  let ns = <u32>(unixMs % 1000) * 1000000;
  store<u64>(out, bswap<u64>(<u64>(TAI_BASE + secs)));
  store<u32>(out + 8, bswap<u32>(ns));
}

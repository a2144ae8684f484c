// CRC-32C (Castagnoli, RFC 3720 appendix B.4): the checksum every kv slot carries, so a
// slot torn by a crash or corrupted on the disk is told apart from one written whole.
// Reflected polynomial 0x82f63b78, initial value and final xor 0xffffffff, one byte per
// step through a 256-entry table built on first use in static memory (no allocation).
// It is not a cryptographic hash: it detects accidents, not an attacker who writes the
// disk. Used by slot.ts.

const POLY: u32 = 0x82f63b78;
const TABLE = memory.data(256 * 4);
let built = false;

function build(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(TABLE + (<usize>n << 2), c);
  }
  built = true;
}

/** CRC-32C of the n bytes at p. */
export function crc32c(p: usize, n: i32): u32 {
  if (!built) build();
  let c: u32 = 0xffffffff;
  for (let i = 0; i < n; i++) {
    let b = <u32>load<u8>(p + <usize>i);
    c = load<u32>(TABLE + (<usize>((c ^ b) & 0xff) << 2)) ^ (c >>> 8);
  }
  return c ^ 0xffffffff;
}

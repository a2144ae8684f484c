// CRC-32C (Castagnoli, RFC 3720 appendix B.4): the checksum every kv slot carries, so a
// slot torn by a crash or corrupted on the disk is told apart from one written whole.
// Reflected polynomial 0x82f63b78, initial value and final xor 0xffffffff; eight bytes
// per step through eight 256-entry tables ("slicing-by-8", built on first use in static
// memory, no allocation), since opening a table checks every slot within one call's fuel.
// It is not a cryptographic hash: it detects accidents, not an attacker who writes the
// disk. Used by slot.ts.

const POLY: u32 = 0x82f63b78;
const TABLES = memory.data(8 * 256 * 4);   // table k at TABLES + k * 1024
let built = false;

// @ts-ignore: decorator
@inline function t(k: u32, b: u32): u32 {
  return load<u32>(TABLES + ((<usize>k << 10) | (<usize>(b & 0xff) << 2)));
}

function build(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(TABLES + (<usize>n << 2), c);
  }
  for (let k: u32 = 1; k < 8; k++) {
    for (let n: u32 = 0; n < 256; n++) {
      let prev = t(k - 1, n);
      store<u32>(TABLES + ((<usize>k << 10) | (<usize>n << 2)), (prev >>> 8) ^ t(0, prev));
    }
  }
  built = true;
}

/** CRC-32C of the n bytes at p. */
export function crc32c(p: usize, n: i32): u32 {
  if (!built) build();
  let c: u32 = 0xffffffff;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    let one = load<u32>(p + <usize>i) ^ c;
    let two = load<u32>(p + <usize>i, 4);
    c = t(7, one) ^ t(6, one >>> 8) ^ t(5, one >>> 16) ^ t(4, one >>> 24) ^
      t(3, two) ^ t(2, two >>> 8) ^ t(1, two >>> 16) ^ t(0, two >>> 24);
  }
  for (; i < n; i++) c = t(0, c ^ <u32>load<u8>(p + <usize>i)) ^ (c >>> 8);
  return c ^ 0xffffffff;
}

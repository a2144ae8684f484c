// wire/checksum.ts's sum (read 8 bytes at a time, issue #17) and adjust (RFC 1624), and
// the SDK's echoReply, which updates the checksum instead of summing the reply again: each
// checked against tests/kernel/frames.ts's byte-by-byte RFC 1071 over a pseudo-header built
// out in full (never the code under test), over odd and even lengths, every alignment of
// the bytes, and the edges where a checksum is 0x0000 (the sum is 0xffff) or a request
// carries 0xffff for it (the other form of zero, RFC 1624 §3).
import { sum, finish, l4Checksum, adjust } from "../../../wire/checksum";
import { echoReply } from "../../../services/sdk/icmpv6";
import { ip6, put, be16, rd16, upperSum, sealIcmp6, IP6, ICMPV6 } from "../frames";

const P: usize = memory.data(2048, 16);
const Q: usize = memory.data(2048, 16);
const BIG: usize = memory.data(9016, 16);       // MTU_MAX 9000 bytes and then some
let seed: u32 = 12345;
function rnd(): u32 { seed = seed * 1103515245 + 12345; return seed >>> 16; }
function fill(p: usize, n: i32): void { for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>rnd()); }

/** RFC 1071 over n bytes at p, 16-bit big-endian words read byte by byte, odd byte padded. */
function slowSum(p: usize, n: i32): u32 {
  let s: u64 = 0;
  for (let i = 0; i < n; i += 2) s += <u64>(<u32>load<u8>(p + <usize>i) << 8) | <u64>(i + 1 < n ? load<u8>(p + <usize>i + 1) : 0);
  return finish(s);
}

/** An Echo Request fd00:1::aa → fd00:1::7 with dataLen random bytes (then `tail`, if
 *  given, as its last two; the same for a given length), sealed by the reference. Returns the message length. */
function request(dataLen: i32, tail: i32 = -1): i32 {
  memory.fill(P, 0, 2048);
  seed = 99 + <u32>dataLen;                             // the same data for every tail
  let n = put(P + 40, "80 00 0000 1234 0001");
  fill(P + 48, dataLen);
  if (tail >= 0 && dataLen >= 2) be16(P + 48 + <usize>(dataLen - 2), <u32>tail);
  n += dataLen;
  ip6(P, n, 58, 61, "fd00:1::aa", "fd00:1::7");
  sealIcmp6(P);
  return n;
}

/** The reply the reference expects for the request in P: its checksum. */
function expectedReply(n: i32): u32 {
  memory.copy(Q, P, 40 + <usize>n);
  memory.copy(Q + 8, P + 24, 16);
  memory.copy(Q + 24, P + 8, 16);
  store<u8>(Q + 40, 129);
  be16(Q + 42, 0);
  return upperSum(Q, IP6, n, ICMPV6);
}

describe("sum (8 bytes at a time)", () => {
  it("equals RFC 1071 byte by byte at every length 0..130 and every alignment", () => {
    for (let a = 0; a < 8; a++) {
      for (let n = 0; n <= 130; n++) {
        fill(P + <usize>a, n);
        expect(finish(sum(P + <usize>a, n, 0))).toBe(slowSum(P + <usize>a, n));
      }
    }
  });
  it("adds to a running sum in pieces: an even piece, then the rest", () => {
    for (let n = 2; n <= 70; n++) {
      fill(P, n);
      let cut = (n >> 1) & ~1;
      expect(finish(sum(P + <usize>cut, n - cut, sum(P, cut, 0x1234_5678_9abc)))).toBe(finish(sum(P, n, 0x1234_5678_9abc)));
    }
  });
  it("folds a sum of 9,000 bytes of 0xff (the largest carries), at every alignment", () => {
    memory.fill(BIG, 0xff, 9016);
    for (let a = 0; a < 8; a++) {
      expect(finish(sum(BIG + <usize>a, 9000, 0))).toBe(slowSum(BIG + <usize>a, 9000));
      expect(finish(sum(BIG + <usize>a, 9001, 0))).toBe(slowSum(BIG + <usize>a, 9001));
    }
    expect(finish(sum(BIG, 2048, 0))).toBe(slowSum(BIG, 2048));
    expect(finish(sum(BIG, 2047, 0))).toBe(slowSum(BIG, 2047));
  });
  it("folds the carries of words whose sum folds to 0x10000 and 0x10001 before the last fold", () => {
    let n = put(Q, "ff ff 01 00");
    expect(finish(sum(Q, n, 0))).toBe(slowSum(Q, n));
    n = put(Q, "ff ff 02 00");
    expect(finish(sum(Q, n, 0))).toBe(slowSum(Q, n));
    n = put(Q, "ff ff 02 00 ff ff 00 00 01");
    expect(finish(sum(Q, n, 0))).toBe(slowSum(Q, n));
  });
  it("l4Checksum equals the reference over random messages of odd and even lengths", () => {
    for (let n = 8; n <= 200; n++) {
      request(n - 8);
      be16(P + 42, 0);
      expect(l4Checksum(P, 40, n, 58)).toBe(upperSum(P, IP6, n, ICMPV6));
      // the same message behind an 8-byte extension header: summed apart from the addresses
      memory.copy(P + 48, P + 40, <usize>n);
      expect(l4Checksum(P, 48, n, 58)).toBe(upperSum(P, 48, n, ICMPV6));
    }
  });
});

describe("adjust (RFC 1624 eqn. 3)", () => {
  it("gives what summing again gives when one word changes", () => {
    for (let i = 0; i < 500; i++) {
      let n = 40 + <i32>(rnd() % 60);
      fill(Q, n);
      let w = <usize>((rnd() % <u32>(n >> 1)) << 1);
      let before = slowSum(Q, n);
      let from = rd16(Q + w), to = rnd() & 0xffff;
      be16(Q + w, to);
      // slowSum is the complement of the sum, so it is a checksum field for data whose
      // sum excludes it: adjusting the old field by the word's change gives the new one.
      expect(adjust(before, from, to)).toBe(slowSum(Q, n));
    }
  });
});

describe("echoReply", () => {
  it("turns a request around with the checksum a full recompute gives, at every data length 0..200", () => {
    for (let d = 0; d <= 200; d++) {
      let n = request(d);
      let want = expectedReply(n);
      expect(echoReply(P)).toBe(40 + n);
      expect(load<u8>(P + 40)).toBe(129);
      expect(load<u8>(P + 7)).toBe(64);
      expect(rd16(P + 42)).toBe(want);
      expect(upperSum(P, IP6, n, ICMPV6)).toBe(0);     // and the reply verifies
    }
  });
  it("gives 0x0000, not 0xffff, when the reply's sum is 0xffff", () => {
    let found = 0;
    for (let t = 0; t < 0x10000 && found == 0; t++) {
      let n = request(17, t);
      if (expectedReply(n) != 0) continue;
      found++;
      echoReply(P);
      expect(rd16(P + 42)).toBe(0);
    }
    expect(found).toBe(1);
  });
  it("answers a request whose checksum is 0x0000, and the same request carrying 0xffff", () => {
    let found = 0;
    for (let t = 0; t < 0x10000 && found == 0; t++) {
      let n = request(10, t);
      if (rd16(P + 42) != 0) continue;
      found++;
      let want = expectedReply(n);
      memory.copy(Q + 1024, P, 40 + <usize>n);
      echoReply(P);
      expect(rd16(P + 42)).toBe(want);
      memory.copy(P, Q + 1024, 40 + <usize>n);
      be16(P + 42, 0xffff);                               // the other zero: still verifies
      expect(upperSum(P, IP6, n, ICMPV6)).toBe(0);
      echoReply(P);
      expect(rd16(P + 42)).toBe(want);
    }
    expect(found).toBe(1);
  });
  it("leaves a request that is not an Echo Request alone", () => {
    let n = request(8);
    store<u8>(P + 40, 129);
    expect(echoReply(P)).toBe(0);
    store<u8>(P + 40, 128);
    store<u8>(P + 41, 1);                                  // code 1
    expect(echoReply(P)).toBe(0);
    expect(n).toBe(16);
  });
});

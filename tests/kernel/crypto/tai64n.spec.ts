// kernel/crypto/tai64n.ts: the TAI64N label of the Unix epoch (2^62 + 10 seconds, 0 ns), of
// 2017-01-01T00:00:00.123Z (seconds 1483228800), and of the last millisecond of a second;
// big-endian, as WireGuard's handshake initiation carries it. Expected bytes written out by
// hand from the format (cr.yp.to/libtai/tai64.html).
import { tai64n } from "../../../kernel/crypto/tai64n";
import { hexBuf, firstDiff } from "../frames";

const OUT: usize = memory.data(16, 16);

describe("tai64n", () => {
  it("labels the Unix epoch 2^62 + 10 seconds and 0 ns", () => {
    memory.fill(OUT, 0xee, 16);
    tai64n(OUT, 0);
    expect(firstDiff(OUT, hexBuf("400000000000000a00000000"), 12)).toBe(-1);
    expect(load<u8>(OUT + 12)).toBe(0xee);
  });
  it("gives seconds and nanoseconds (milliseconds × 10^6) big-endian", () => {
    tai64n(OUT, 1483228800123);            // 0x5868 4680 s, 123,000,000 = 0x0754d4c0 ns
    expect(firstDiff(OUT, hexBuf("400000005868468a0754d4c0"), 12)).toBe(-1);
    tai64n(OUT, 1999);                     // 1 s and 999,000,000 = 0x3b8b87c0 ns
    expect(firstDiff(OUT, hexBuf("400000000000000b3b8b87c0"), 12)).toBe(-1);
  });
});

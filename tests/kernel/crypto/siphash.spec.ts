// kernel/crypto/siphash.ts: SipHash-2-4 against the authors' test vectors
// (github.com/veorq/SipHash vectors.h, vectors_sip64: key 00..0f, message 00..(n-1), the tag
// read little-endian) for the messages of whole words the kernel hashes, 0 to 40 bytes;
// and a key that differs in one bit gives another hash.
import { siphash } from "../../../kernel/crypto/siphash";

const KEY: usize = memory.data(16, 8);
const MSG: usize = memory.data(64, 8);

// vectors_sip64[8·n] for n = 0 .. 5 words.
const WANT: u64[] = [
  0x726fdb47dd0e0e31, 0x93f5f5799a932462, 0x3f2acc7f57c29bdb,
  0xb8ad50c6f649af94, 0x7127512f72f27cce, 0x0e3ea96b5304a7d0,
];

describe("siphash", () => {
  beforeEach(() => {
    for (let i = 0; i < 16; i++) store<u8>(KEY + <usize>i, <u8>i);
    for (let i = 0; i < 64; i++) store<u8>(MSG + <usize>i, <u8>i);
  });
  it("gives the reference tags of messages of 0 to 5 words", () => {
    for (let n = 0; n < WANT.length; n++) expect(siphash(KEY, MSG, n)).toBe(WANT[n], `${n * 8} bytes`);
  });
  it("gives another hash under a key one bit away", () => {
    store<u8>(KEY + 15, 15 ^ 0x80);
    expect(siphash(KEY, MSG, 2)).not.toBe(WANT[2]);
  });
});

// kernel/crypto/blake2s.ts: BLAKE2s-256 of "abc" (RFC 7693 Appendix B); keyed digests from
// the official blake2s-kat (github.com/BLAKE2/BLAKE2 testvectors/blake2-kat.json: key
// 00..1f, message 00..(n-1)) for n = 0, 1, 63, 64, 65 and 255, around the block boundary
// where the last block must be held back for the final flag; the same digests fed in pieces;
// shorter digests; and WireGuard's two protocol constants (Construction and Identifier,
// whitepaper §5.4.2), the values every implementation starts its handshake from. The
// shorter digests are Python's hashlib.blake2s(digest_size=…) (an independent implementation).
import { blake2s, blake2sInit, blake2sUpdate, blake2sFinal } from "../../../kernel/crypto/blake2s";
import { put, hexBuf, firstDiff } from "../frames";

const KEY: usize = memory.data(32, 16);
const MSG: usize = memory.data(512, 16);
const OUT: usize = memory.data(32, 16);

/** The ASCII text s at p; returns its length. */
function text(p: usize, s: string): i32 {
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, p);
  return String.UTF8.byteLength(s);
}

/** The KAT's key (00..1f) at KEY and message (00..n-1) at MSG. */
function kat(n: i32): void {
  for (let i = 0; i < 32; i++) store<u8>(KEY + <usize>i, <u8>i);
  for (let i = 0; i < n; i++) store<u8>(MSG + <usize>i, <u8>i);
}

const KAT_N: i32[] = [0, 1, 63, 64, 65, 255];
const KAT_OUT: string[] = [
  "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
  "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1",
  "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd",
  "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4",
  "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8",
  "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd",
];

describe("blake2s", () => {
  it("hashes \"abc\" (RFC 7693 Appendix B)", () => {
    blake2s(OUT, 32, 0, 0, MSG, text(MSG, "abc"));
    expect(firstDiff(OUT, hexBuf("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"), 32)).toBe(-1);
  });
  it("gives the keyed blake2s-kat digests for 0, 1, 63, 64, 65 and 255 bytes", () => {
    for (let i = 0; i < KAT_N.length; i++) {
      let n = KAT_N[i];
      kat(n);
      memory.fill(OUT, 0, 32);
      blake2s(OUT, 32, KEY, 32, MSG, n);
      expect(firstDiff(OUT, hexBuf(KAT_OUT[i]), 32)).toBe(-1);
    }
  });
  it("gives the same digests fed in pieces of 1, 63, 64 and the rest", () => {
    for (let i = 0; i < KAT_N.length; i++) {
      let n = KAT_N[i];
      kat(n);
      blake2sInit(32, KEY, 32);
      let off = 0;
      let steps: i32[] = [1, 63, 64, 200];
      for (let s = 0; s < steps.length && off < n; s++) {
        let k = min(steps[s], n - off);
        blake2sUpdate(MSG + <usize>off, k);
        blake2sUpdate(MSG + <usize>off, 0);
        off += k;
      }
      blake2sFinal(OUT);
      expect(firstDiff(OUT, hexBuf(KAT_OUT[i]), 32)).toBe(-1);
    }
  });
  it("gives 16- and 1-byte digests (the length is in the parameter block)", () => {
    memory.fill(OUT, 0xee, 32);
    blake2s(OUT, 16, 0, 0, MSG, text(MSG, "abc"));
    expect(firstDiff(OUT, hexBuf("aa4938119b1dc7b87cbad0ffd200d0ae"), 16)).toBe(-1);
    expect(load<u8>(OUT + 16)).toBe(0xee);
    blake2s(OUT, 1, 0, 0, MSG, 3);
    expect(load<u8>(OUT)).toBe(0x0d);
    expect(load<u8>(OUT + 1)).toBe(0x49);
  });
  it("gives a 16-byte digest keyed with 16 bytes", () => {
    kat(64);
    blake2s(OUT, 16, KEY, 16, MSG, 64);
    expect(firstDiff(OUT, hexBuf("dd55c51c98f8ab96ed272882941f0b6a"), 16)).toBe(-1);
  });
  it("hashes WireGuard's Construction, then its Identifier after it", () => {
    blake2s(OUT, 32, 0, 0, MSG, text(MSG, "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
    expect(firstDiff(OUT, hexBuf("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36"), 32)).toBe(-1);
    memory.copy(MSG, OUT, 32);
    let n = 32 + text(MSG + 32, "WireGuard v1 zx2c4 Jason@zx2c4.com");
    blake2s(OUT, 32, 0, 0, MSG, n);
    expect(firstDiff(OUT, hexBuf("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3"), 32)).toBe(-1);
  });
  it("may write the digest over its input", () => {
    let n = text(MSG, "abc");
    blake2s(MSG, 32, 0, 0, MSG, n);
    expect(firstDiff(MSG, hexBuf("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"), 32)).toBe(-1);
  });
});

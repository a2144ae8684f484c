// kernel/crypto/poly1305.ts: the tag of RFC 8439 §2.5.2, the eleven vectors of Appendix A.3
// (the zero key, r = 0, s = 0, and #5–#11, written to catch partial reductions that are not
// finished, an overflowing s, limb carries, and h exactly p or p - 1), and a message fed in
// pieces that do not fall on block boundaries giving the tag of the whole. Tags, keys and
// messages are as the RFC prints them.
import { poly1305Init, poly1305Update, poly1305Final } from "../../../kernel/crypto/poly1305";
import { put, hexBuf, firstDiff } from "../frames";

const KEY: usize = memory.data(32, 16);
const MSG: usize = memory.data(512, 16);
const TAG: usize = memory.data(16, 16);

// The texts of A.3 #2–#4, as the RFC's dumps spell them in ASCII (375 and 127 bytes).
const IETF = "Any submission to the IETF intended by the Contributor for publication as all or " +
  "part of an IETF Internet-Draft or RFC and any statement made within the context of an " +
  "IETF activity is considered an \"IETF Contribution\". Such statements include oral " +
  "statements in IETF sessions, as well as written and electronic communications made at " +
  "any time or place, which are addressed to";
const JABBER = "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\n" +
  "All mimsy were the borogoves,\nAnd the mome raths outgrabe.";

/** The ASCII text s at MSG; returns its length. */
function text(s: string): i32 {
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, MSG);
  return String.UTF8.byteLength(s);
}

/** The tag of n bytes at MSG under key (hex). */
function tagOf(key: string, n: i32): usize {
  expect(put(KEY, key)).toBe(32);
  poly1305Init(KEY);
  poly1305Update(MSG, n);
  poly1305Final(TAG);
  return TAG;
}

/** The tag of msg (hex) under key (hex), in one update. */
function tag(key: string, msg: string): usize { return tagOf(key, put(MSG, msg)); }

function same(got: usize, want: string): i32 { return firstDiff(got, hexBuf(want), 16); }

describe("poly1305", () => {
  it("computes the tag of RFC 8439 §2.5.2", () => {
    let t = tag("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
      "43727970746f6772617068696320466f72756d2052657365617263682047726f7570");
    expect(same(t, "a8061dc1305136c6c22b8baf0c0127a9")).toBe(-1);
  });
  it("A.3 #1: the zero key gives the zero tag", () => {
    expect(same(tag("00".repeat(32), "00".repeat(64)), "00000000000000000000000000000000")).toBe(-1);
  });
  it("A.3 #2: r = 0 gives s", () => {
    expect(text(IETF)).toBe(375);
    expect(same(tagOf("00".repeat(16) + "36e5f6b5c5e06070f0efca96227a863e", text(IETF)), "36e5f6b5c5e06070f0efca96227a863e")).toBe(-1);
  });
  it("A.3 #3: s = 0", () => {
    expect(same(tagOf("36e5f6b5c5e06070f0efca96227a863e" + "00".repeat(16), text(IETF)), "f3477e7cd95417af89a6b8794c310cf0")).toBe(-1);
  });
  it("A.3 #4: the Jabberwocky", () => {
    expect(same(tagOf("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0", text(JABBER)),
      "4541669a7eaaee61e708dc7cbcc5eb62")).toBe(-1);
  });
  it("A.3 #5: a partially reduced result that is not fully reduced", () => {
    expect(same(tag("02" + "00".repeat(31), "ff".repeat(16)), "03" + "00".repeat(15))).toBe(-1);
  });
  it("A.3 #6: adding s overflows 2^128", () => {
    expect(same(tag("02" + "00".repeat(15) + "ff".repeat(16), "02" + "00".repeat(15)), "03" + "00".repeat(15))).toBe(-1);
  });
  it("A.3 #7: a data limb of all ones with a carry from below", () => {
    expect(same(tag("01" + "00".repeat(31), "ff".repeat(16) + "f0" + "ff".repeat(15) + "11" + "00".repeat(15)),
      "05" + "00".repeat(15))).toBe(-1);
  });
  it("A.3 #8: the polynomial part is exactly 2^130 - 5", () => {
    expect(same(tag("01" + "00".repeat(31), "ff".repeat(16) + "fb" + "fe".repeat(15) + "01".repeat(16)),
      "00".repeat(16))).toBe(-1);
  });
  it("A.3 #9: the polynomial part is exactly 2^130 - 6", () => {
    expect(same(tag("02" + "00".repeat(31), "fd" + "ff".repeat(15)), "fa" + "ff".repeat(15))).toBe(-1);
  });
  it("A.3 #10: 5*H+L reduction with a 131-bit intermediate result", () => {
    let key = "0100000000000000040000000000000000000000000000000000000000000000";
    let msg = "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000" +
      "0000000000000000000000000000000001000000000000000000000000000000";
    expect(same(tag(key, msg), "14000000000000005500000000000000")).toBe(-1);
  });
  it("A.3 #11: 5*H+L reduction with a 131-bit final result", () => {
    let key = "0100000000000000040000000000000000000000000000000000000000000000";
    let msg = "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000" +
      "00000000000000000000000000000000";
    expect(same(tag(key, msg), "13000000000000000000000000000000")).toBe(-1);
  });
  it("gives the same tag fed in pieces of 1, 7, 16, 3 and the rest bytes", () => {
    expect(put(KEY, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0")).toBe(32);
    let n = text(JABBER);
    expect(n).toBe(127);
    poly1305Init(KEY);
    poly1305Update(MSG, 1);
    poly1305Update(MSG + 1, 7);
    poly1305Update(MSG + 8, 16);
    poly1305Update(MSG + 24, 3);
    poly1305Update(MSG + 27, 0);
    poly1305Update(MSG + 27, n - 27);
    poly1305Final(TAG);
    expect(same(TAG, "4541669a7eaaee61e708dc7cbcc5eb62")).toBe(-1);
  });
});

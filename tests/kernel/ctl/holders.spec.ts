// kernel/ctl/holders.ts: the keys that sign CERT, BLOCK and UNBLOCK. A full table forgets
// the key with no filters seen longest ago, and a forgotten key's replays must still be
// refused — but a sequence number is chosen by its signer, so no key may, by the number it
// signs, refuse other keys for longer than a replay of a forgotten key could be accepted
// (the life of the cookie it carried, ctl/cookie.ts COOKIE_HONOURED_MS; the floor falls
// back within twice that).
import { HOLDER_MAX } from "../../../kernel/param";
import { now, setNow } from "../../../kernel/clock";
import { COOKIE_HONOURED_MS } from "../../../kernel/ctl/cookie";
import { holderGet, holderAccept, holderLastSeq, holdersReset } from "../../../kernel/ctl/holders";

const K: usize = memory.data(32, 8);

function key(i: u32): usize {
  memory.fill(K, 0, 32);
  store<u32>(K, i);
  return K;
}

describe("holders", () => {
  it("a forgotten key's numbers stay refused while its messages' cookies live; a chosen 2^64-1 does not refuse new keys after that", () => {
    holdersReset();
    setNow(1000);
    holderAccept(holderGet(key(1)), U64.MAX_VALUE);     // the attacker's key, at the largest number
    holderAccept(holderGet(key(2)), 7);
    for (let i: u32 = 3; i < <u32>HOLDER_MAX + 3; i++) holderGet(key(i));   // fills the table: 1 and 2 are forgotten
    expect(holderLastSeq(key(2))).toBeGreaterThanOrEqual(7, "key 2's replays refused");
    expect(holderLastSeq(key(1))).toBe(U64.MAX_VALUE, "key 1's replays refused");
    setNow(now + COOKIE_HONOURED_MS - 1);
    expect(holderLastSeq(key(2))).toBeGreaterThanOrEqual(7, "a cookie key 2's message carried may still be honoured");
    setNow(now + COOKIE_HONOURED_MS + 1);
    expect(holderLastSeq(key(0x7777))).toBeLessThan(U64.MAX_VALUE, "a new key may sign again once every cookie of the forgotten keys has died");
    let h = holderGet(key(0x7777));
    expect(h).toBeGreaterThanOrEqual(0);
    expect(holderLastSeq(key(0x7777))).toBe(0);
    expect(holderLastSeq(key(5))).toBe(0, "nor does a key whose row was made while the floor was 2^64-1 stay bound by it");
  });
});

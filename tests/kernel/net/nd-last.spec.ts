// kernel/net/nd.ts's memory of the entry each NIC found last (find() skips the hash index
// when the next hop is that entry's): the memory must never outlive a change to the cache.
// Two neighbors taken in turns each get their own MAC; a neighbor's new MAC is used at
// once; and an entry forgotten (its probes unanswered) is resolved anew, never used from
// the memory, even when its freed record still holds bytes equal to the address (an
// address whose first 32 bits are 0, as the index's free-list link of record 0 writes).
// Drives linkOut directly on a host node (NIC 0), reading the frames the mock host got.
import { k_poll } from "../../../kernel/main";
import { linkOut, learnFrom } from "../../../kernel/net/nd";
import { pktAlloc, pktData, pktSetLen } from "../../../kernel/pool";
import { IP_HDR } from "../../../wire/ipv6";
import { addr, hexBuf } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix } from "../manifest";
import { bootFrom, sent } from "../drive";
import { frameCount, framesClear } from "../mock";

const MAC_N = "02:00:00:00:00:01";
const M: usize = memory.data(1024, 16);
let t: i64 = 1000;

/** Send a 40-byte packet (its contents do not matter here) to next hop `hop` on NIC 0. */
function send(hop: string): void {
  let pkt = pktAlloc();
  memory.fill(pktData(pkt), 0x60, IP_HDR);
  pktSetLen(pkt, IP_HDR);
  linkOut(0, addr(hop), pkt);
}

/** Poll at `at`; the Ethernet destinations of the frames sent, as 12 hex digits each,
 *  one after another with a space after each. */
function pollDst(at: i64): string {
  framesClear();
  t = at;
  k_poll(t);
  let s = "";
  for (let k = 0; k < frameCount(); k++) {
    let f = sent(k);
    for (let i = 0; i < 6; i++) {
      let b = <i32>load<u8>(f + <usize>i);
      s += (b < 16 ? "0" : "") + b.toString(16);
    }
    s += " ";
  }
  return s;
}

describe("the entry each NIC found last", () => {
  it("boots a host node", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(0, 1500, MAC_N);
    mfPrefix(0, 64, "fd00:1::");
    expect(bootFrom(M, mfEnd(), t)).toBe(0);
  });

  it("resolves a forgotten neighbor anew, though its freed record still reads as its address", () => {
    // First, on an empty cache, so that the records are handed out from 0: P takes record 0
    // and is forgotten first (unresolved), then Y (record 1, first 32 bits 0) after its
    // probes; freeing Y writes the free list's link to record 0, a 0, over Y's first 32 bits.
    send("fd00:1::50");                                          // P: INCOMPLETE, an NS
    expect(pollDst(t)).toBe("3333ff000050 ", "P's solicitation");
    learnFrom(0, addr("::1:0:0:5"), hexBuf("020000000005"));     // Y: STALE
    send("::1:0:0:5");                                           // DELAY: found, and remembered
    expect(pollDst(t)).toBe("020000000005 ", "to Y");
    let base = t;
    expect(pollDst(base + 1000)).toBe("3333ff000050 ", "P's solicitation 2");
    expect(pollDst(base + 2000)).toBe("3333ff000050 ", "P's solicitation 3");
    expect(pollDst(base + 3000)).toBe("", "P given up and forgotten");
    expect(pollDst(base + 5000)).toBe("020000000005 ", "probe 1 of Y");
    expect(pollDst(base + 6000)).toBe("020000000005 ", "probe 2");
    expect(pollDst(base + 7000)).toBe("020000000005 ", "probe 3");
    expect(pollDst(base + 8000)).toBe("", "Y forgotten");
    send("::1:0:0:5");
    expect(pollDst(t)).toBe("3333ff000005 ", "a solicitation to Y's solicited-node group, not a frame to its old MAC");
    it("gives each of two neighbors taken in turns its own MAC", () => {
    learnFrom(0, addr("fd00:1::a"), hexBuf("02000000000a"));
    learnFrom(0, addr("fd00:1::b"), hexBuf("02000000000b"));
    send("fd00:1::a");
    expect(pollDst(t)).toBe("02000000000a ");
    send("fd00:1::b");
    expect(pollDst(t)).toBe("02000000000b ", "not the MAC of the neighbor sent to before");
    send("fd00:1::a");
    expect(pollDst(t)).toBe("02000000000a ");
  });

  it("uses a neighbor's new MAC at once", () => {
    learnFrom(0, addr("fd00:1::a"), hexBuf("0200000000aa"));
    send("fd00:1::a");
    expect(pollDst(t)).toBe("0200000000aa ");
  });

});
});

// kernel/net/local.ts reads each packet with offsets of its own (issue #10 item 8): a
// packet the kernel hands it without a receive walk — an answer addressed to one of the
// node's own addresses — must not be read at the upper-layer offset of whatever packet was
// walked last. Here the last walk is of a ping behind a Destination Options header
// (upper layer at 48); then a plain echo request (upper layer at 40) goes to localInput
// (through output.deliver, which sends its answer), as output() hands over a kernel-built
// packet for a LOCAL address. It must be answered,
// not counted as a bad checksum. One node, NIC 0 with MAC 02:00:00:00:00:01 on fd00:1::/64.
import { Drop } from "../../../abi/drop";
import { k_poll } from "../../../kernel/main";
import { deliver } from "../../../kernel/net/output";
import { Chain, check, walk } from "../../../kernel/net/ipv6";
import { pktAlloc, pktData, pktSetLen, poolFree } from "../../../kernel/pool";
import { ETH, IP6, put, ip6, rd16, echoFrame, nsFrame } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix } from "../manifest";
import { rx, bootFrom, sent, sentLen, dropped } from "../drive";
import { frameCount, framesClear } from "../mock";

const F: usize = memory.data(2048, 16);
const M: usize = memory.data(512, 16);
const NODE_GL = "fd00:1::ff:fe00:1";

describe("localInput", () => {
  it("parses the packet it is given, not the one walked before it", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:1::");
    expect(bootFrom(M, mfEnd(), 1000)).toBe(0);
    // fd00:1::aa solicits the node, so the node knows its MAC and answers it at once.
    rx(0, F, nsFrame(F, "33:33:ff:00:00:01", "02:00:00:00:00:aa", 255, "fd00:1::aa", "ff02::1:ff00:1", NODE_GL, "02:00:00:00:00:aa"));
    k_poll(1000);
    framesClear();

    // A ping behind an 8-byte Destination Options header (PadN only), walked as a receive would.
    ip6(F, 8 + 12, 60, 64, "fd00:1::aa", NODE_GL);
    put(F + IP6, "3a 00 01 04 00000000");              // next ICMPv6, length 0, PadN of 4
    put(F + IP6 + 8, "80 00 0000 1234 0001 70696e67"); // echo request, id 0x1234, seq 1, "ping"
    expect(check(F, IP6 + 20)).toBe(-1);
    let c = new Chain();
    expect(walk(F, c)).toBe(-1);
    expect(c.off).toBe(48);

    // Then a plain echo request for the node's address, handed over without a walk.
    let len = echoFrame(F, "02:00:00:00:00:01", "02:00:00:00:00:aa", 64, "fd00:1::aa", NODE_GL, 128, 0x4321, 2, "0102") - ETH;
    let pkt = pktAlloc();
    memory.copy(pktData(pkt), F + ETH, <usize>len);
    pktSetLen(pkt, len);
    let free = poolFree();
    deliver(pkt, 0, 0);
    expect(dropped(Drop.ICMP_CHECKSUM)).toBe(0, "not read at the stale offset 48");
    k_poll(1001);
    expect(frameCount()).toBe(1);
    let r = sent(0) + ETH;
    expect(sentLen(0)).toBe(len + ETH);
    expect(load<u8>(r + IP6)).toBe(129, "an echo reply");
    expect(rd16(r + IP6 + 4)).toBe(0x4321);
    expect(rd16(r + IP6 + 6)).toBe(2);
    expect(poolFree()).toBe(free + 1, "its buffer came back after it was sent");
  });
});

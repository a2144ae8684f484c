// kernel/net/egress.ts when one unrated class is backlogged on a NIC with no rates at all:
// its frames go in one loop (serveSpare's shortcut), charged to the class's spare bytes and
// the NIC's virtual time as one serveSpare at a time would charge them. So a class that
// starts sending afterwards shares the line byte-fairly with it from its first frame
// (start-time fair queueing): it neither claims the bytes the first class sent alone nor
// waits behind them.
import { k_poll } from "../../../kernel/main";
import { pktAlloc, pktData, pktSetLen, pktSetClass } from "../../../kernel/pool";
import { txPush, CLASS_FORWARD, CLASS_SERVICE } from "../../../kernel/net/egress";
import { ETH_HDR } from "../../../kernel/param";
import { mfStart, mfEnd, mfNode, mfNic, mfService } from "../manifest";
import { bootFrom, sent } from "../drive";
import { framesClear, frameCount } from "../mock";

const M: usize = memory.data(1024, 16);
const PACKET: i32 = 100;
let t: i64 = 10000;

/** Queue n frames of class cls on NIC 0, each marked with cls in its second byte. */
function push(cls: i32, n: i32): void {
  for (let k = 0; k < n; k++) {
    let p = pktAlloc();
    pktSetLen(p, PACKET);
    store<u8>(pktData(p), 0x60);
    store<u8>(pktData(p), <u8>cls, 1);
    pktSetClass(p, cls);
    txPush(0, p);
  }
}

/** The classes of the frames a poll sent, in order: "F" forwarded, "S" the service's. */
function pollOrder(): string {
  framesClear();
  k_poll(++t);
  let s = "";
  for (let i = 0; i < frameCount(); i++) s += <i32>load<u8>(sent(i) + ETH_HDR + 1) == CLASS_FORWARD ? "F" : "S";
  return s;
}

describe("one backlogged class on a NIC without rates", () => {
  it("boots with one NIC and one service, no NET records", () => {
    mfStart(M);
    mfNode(0, "s1.test");
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfService(0, "a.s1.test");
    expect(bootFrom(M, mfEnd(), t)).toBe(0);
    k_poll(t);
  });

  it("sends all of it at the poll, in order", () => {
    push(CLASS_FORWARD, 40);
    expect(pollOrder()).toBe("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
  });

  it("then shares the line frame by frame with a class that starts sending", () => {
    push(CLASS_FORWARD, 4);
    push(CLASS_SERVICE, 4);
    expect(pollOrder()).toBe("SFSFSFSF", "start-time fair: the newcomer starts at the NIC's virtual time");
  });
});

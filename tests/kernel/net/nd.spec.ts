// kernel/net/nd.ts through the kernel's exports: address resolution (RFC 4861 §7.2) and
// neighbor unreachability detection (§7.3). A host node (NIC 0, MAC 02:00:00:00:00:01,
// fd00:1::/64) answers pings, so each reply needs the pinging neighbor's MAC. Time only
// moves when the test calls k_poll, so every retransmission is checked at its millisecond.
import { Drop } from "../../../abi/drop";
import { k_poll } from "../../../kernel/main";
import { nsFrame, naFrame, echoFrame, firstDiff } from "../frames";
import { MAC_N, NODE, bootHostNode } from "./neigh_fill";
import { rx, sent, sentLen, dropped } from "../drive";
import { frameCount, framesClear } from "../mock";

const MAC_A = "02:00:00:00:00:aa";
const A = "fd00:1::aa";
const B = "fd00:1::bb";

const F: usize = memory.data(4096, 16);
const E: usize = memory.data(4096, 16);
let t: i64 = 1000;

/** k_poll at time `at`; returns how many frames went out, after forgetting older ones. */
function pollAt(at: i64): i32 {
  framesClear();
  t = at;
  k_poll(t);
  return frameCount();
}

/** The only frame sent equals the len bytes at E. */
function expectSent(len: i32): void {
  expect(frameCount()).toBe(1);
  expect(sentLen(0)).toBe(len);
  expect(firstDiff(sent(0), E, len)).toBe(-1);
}

/** A pings the node from MAC mac and address src (no link-layer option: the node learns nothing). */
function ping(mac: string, src: string, seq: u32): void {
  framesClear();
  rx(0, F, echoFrame(F, MAC_N, mac, 64, src, NODE, 128, 0x77, seq, "61 62"));
}

describe("neighbor discovery", () => {
  it("boots a host node", () => {
    expect(bootHostNode(t)).toBe(0);
    expect(pollAt(t)).toBe(0);
  });

  it("resolves an unknown neighbor with an NS to its solicited-node group and holds the packet", () => {
    ping(MAC_A, A, 1);
    expect(pollAt(t)).toBe(1);
    expectSent(nsFrame(E, "33:33:ff:00:00:aa", MAC_N, 255, NODE, "ff02::1:ff00:aa", A, MAC_N));
  });

  it("sends the held packet when a solicited NA answers", () => {
    framesClear();
    rx(0, F, naFrame(F, MAC_N, MAC_A, A, NODE, 0x60000000, A, MAC_A));
    expect(pollAt(t)).toBe(1);
    expectSent(echoFrame(E, MAC_A, MAC_N, 64, NODE, A, 129, 0x77, 1, "61 62"));
  });

  it("retransmits the NS every RETRANS_TIMER and gives up after MAX_MULTICAST_SOLICIT", () => {
    let base = t;
    ping("02:00:00:00:00:bb", B, 2);
    expect(pollAt(base)).toBe(1);                     // NS 1
    expectSent(nsFrame(E, "33:33:ff:00:00:bb", MAC_N, 255, NODE, "ff02::1:ff00:bb", B, MAC_N));
    expect(pollAt(base + 999)).toBe(0);
    expect(pollAt(base + 1000)).toBe(1);              // NS 2
    expectSent(nsFrame(E, "33:33:ff:00:00:bb", MAC_N, 255, NODE, "ff02::1:ff00:bb", B, MAC_N));
    expect(pollAt(base + 2000)).toBe(1);              // NS 3
    let unresolved = dropped(Drop.NEIGH_UNRESOLVED);
    expect(pollAt(base + 3000)).toBe(0);              // given up: the held reply is dropped
    expect(dropped(Drop.NEIGH_UNRESOLVED)).toBe(unresolved + 1);
    expect(pollAt(base + 10000)).toBe(0);
  });

  it("uses a stale neighbor at once, then probes it by unicast after DELAY_FIRST_PROBE_TIME", () => {
    let base = t + 46000;                             // past any ReachableTime (15..45 s)
    expect(pollAt(base)).toBe(0);                     // REACHABLE → STALE
    ping(MAC_A, A, 3);
    expect(pollAt(base)).toBe(1);                     // sent from STALE; now DELAY
    expectSent(echoFrame(E, MAC_A, MAC_N, 64, NODE, A, 129, 0x77, 3, "61 62"));
    expect(pollAt(base + 4999)).toBe(0);
    expect(pollAt(base + 5000)).toBe(1);              // PROBE: NS to A itself, at its MAC
    expectSent(nsFrame(E, MAC_A, MAC_N, 255, NODE, A, A, MAC_N));
  });

  it("stops probing once a solicited NA confirms the neighbor", () => {
    framesClear();
    rx(0, F, naFrame(F, MAC_N, MAC_A, A, NODE, 0x60000000, A, MAC_A));
    expect(pollAt(t)).toBe(0);
    expect(pollAt(t + 1000)).toBe(0);
    expect(pollAt(t + 1000)).toBe(0);
    ping(MAC_A, A, 4);
    expect(pollAt(t)).toBe(1);
    expectSent(echoFrame(E, MAC_A, MAC_N, 64, NODE, A, 129, 0x77, 4, "61 62"));
  });

  it("forgets a neighbor after MAX_UNICAST_SOLICIT unanswered probes and resolves it anew", () => {
    let base = t + 46000;
    expect(pollAt(base)).toBe(0);                     // STALE
    ping(MAC_A, A, 5);
    expect(pollAt(base)).toBe(1);                     // DELAY
    expect(pollAt(base + 5000)).toBe(1);              // probe 1
    expect(pollAt(base + 6000)).toBe(1);              // probe 2
    expectSent(nsFrame(E, MAC_A, MAC_N, 255, NODE, A, A, MAC_N));
    expect(pollAt(base + 7000)).toBe(1);              // probe 3
    expect(pollAt(base + 8000)).toBe(0);              // forgotten
    ping(MAC_A, A, 6);
    expect(pollAt(base + 8000)).toBe(1);
    expectSent(nsFrame(E, "33:33:ff:00:00:aa", MAC_N, 255, NODE, "ff02::1:ff00:aa", A, MAC_N));
  });
});

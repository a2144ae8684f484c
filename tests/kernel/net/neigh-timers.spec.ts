// What the neighbor cache's timers cost when the cache is full: a neighbor that changes its
// entry on every packet, and many entries whose REACHABLE time runs out at staggered times,
// must not make ndTimers pass over the whole cache once per packet or once per ms.
import { NEIGH_MAX } from "../../../kernel/param";
import { NeighState } from "../../../abi/status";
import { k_poll } from "../../../kernel/main";
import { neighborKnown, neighState, neighMac, timerPasses, GRAIN_MS } from "../../../kernel/net/nd";
import { nsFrame, naFrame, echoFrame } from "../frames";
import { rx } from "../drive";
import { MAC_N, NODE, bootHostNode, neighbor, learn, onLink } from "./neigh_fill";
import { framesClear } from "../mock";

const F: usize = memory.data(4096, 16);
const N: i32 = 10000;                              // neighbors in the staggered case
let t: i64 = 1000;

function addrText(k: i32): string { return "fd00:1::1:0:" + k.toString(16); }
function macText(k: i32): string {
  let h = (k >> 8) & 0xff, l = k & 0xff;
  return "02:00:00:00:" + (h < 16 ? "0" : "") + h.toString(16) + ":" + (l < 16 ? "0" : "") + l.toString(16);
}

describe("the neighbor cache's timers", () => {
  it("boots a host node", () => {
    expect(bootHostNode(t)).toBe(0);
  });

  it("does not pass over a full cache for a neighbor that changes its MAC on every solicitation", () => {
    expect(NEIGH_MAX).toBeGreaterThanOrEqual(10000);
    for (let k = 0; k < NEIGH_MAX - 1; k++) learn(k);
    k_poll(t); k_poll(t + 1);
    let before = timerPasses;
    for (let k = 0; k < 100; k++) {
      let sll = (k & 1) == 0 ? "02:00:00:00:0b:01" : "02:00:00:00:0b:02";
      rx(0, F, nsFrame(F, MAC_N, sll, 255, "fd00:1::bad", NODE, NODE, sll), t + 2 + <i64>k);
      k_poll(t + 2 + <i64>k);
    }
    framesClear();
    expect(neighborKnown(0, onLink(0xbad))).toBe(true, "the solicitations made an entry");
    expect(timerPasses - before).toBeLessThan(10, "passes over the cache for 100 changes to STALE");
  });
});

describe("REACHABLE entries that expire at staggered times", () => {
  it("makes 10,000 entries REACHABLE, each with its own random ReachableTime", () => {
    t = 10_000;                                    // neighbors 0 to N-1 are STALE from above
    // Each is sent to (an echo reply): STALE to DELAY; then probed (PROBE); then answered.
    for (let k = 0; k < N; k++) {
      rx(0, F, echoFrame(F, MAC_N, macText(k), 64, addrText(k), NODE, 128, 0x77, 1, "61"), t);
      k_poll(t);
      if ((k & 255) == 0) framesClear();
    }
    t += 5000;
    k_poll(t);
    framesClear();
    for (let k = 0; k < N; k++) {
      rx(0, F, naFrame(F, MAC_N, macText(k), addrText(k), NODE, 0x60000000, addrText(k), macText(k)), t);
      if ((k & 255) == 0) { k_poll(t); framesClear(); }
    }
    k_poll(t);
    framesClear();
    let reachable = 0;
    for (let k = 0; k < N; k++) if (neighState(k) == NeighState.REACHABLE) reachable++;
    expect(reachable).toBe(N);
  });

  it("ages them to STALE with one pass per GRAIN_MS at most, not one per expiry", () => {
    let before = timerPasses;
    let stale0 = 0;
    for (let ms: i64 = 1; ms <= 46_000; ms++) {    // ReachableTime is at most 1.5 × 30 s
      k_poll(t + ms);
      if (ms == 14_000) for (let k = 0; k < N; k++) if (neighState(k) == NeighState.STALE) stale0++;
    }
    let passes = <i64>(timerPasses - before);
    let stale = 0;
    for (let k = 0; k < N; k++) if (neighState(k) == NeighState.STALE) stale++;
    expect(stale0).toBe(0, "none STALE before 0.5 × BaseReachableTime");
    expect(stale).toBe(N, "every one STALE after 1.5 × BaseReachableTime");
    expect(passes).toBeLessThanOrEqual(46_000 / GRAIN_MS + 2, "passes over the cache");
    expect(neighMac(0)).toBeGreaterThan(0);
  });

  it("probes entries sent to at staggered times with one pass per GRAIN_MS at most", () => {
    t += 46_000;
    let before = timerPasses;
    // Neighbor k is sent to (an echo reply) at ms k: STALE to DELAY, each with its own time.
    for (let k = 0; k < N; k++) {
      rx(0, F, echoFrame(F, MAC_N, macText(k), 64, addrText(k), NODE, 128, 0x77, 1, "61"), t + <i64>k);
      k_poll(t + <i64>k);
      if ((k & 255) == 0) framesClear();
    }
    expect(neighState(N - 1)).toBe(NeighState.DELAY);
    // Then each waits DELAY_FIRST_PROBE_TIME, is probed MAX_UNICAST_SOLICIT times, and goes.
    let span: i64 = <i64>N + 15_000;
    for (let ms: i64 = N; ms <= span; ms++) {
      k_poll(t + ms);
      if ((ms & 255) == 0) framesClear();
    }
    framesClear();
    let left = 0;
    for (let k = 0; k < N; k++) if (neighborKnown(0, neighbor(k))) left++;
    expect(left).toBe(0, "unanswered probes: every one forgotten");
    expect(<i64>(timerPasses - before)).toBeLessThanOrEqual(span / GRAIN_MS + 2, "passes over the cache");
  });
});

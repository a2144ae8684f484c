// kernel/net/nd.ts's neighbor cache at its size: NEIGH_MAX entries held at once, found by
// the hash index at a cost that does not grow with the number of entries (hashidx.ts counts
// the slots it looks at), and, when full, the settled entry never sent to that settled
// first makes room — never one the node is sending to — without a scan of the cache.
import { NEIGH_MAX } from "../../../kernel/param";
import { NeighState } from "../../../abi/status";
import { k_poll } from "../../../kernel/main";
import { neighborKnown, neighState, timerPasses } from "../../../kernel/net/nd";
import { probes } from "../../../kernel/hashidx";
import { echoFrame } from "../frames";
import { rx } from "../drive";
import { MAC_N, NODE, bootHostNode, neighbor, learn } from "./neigh_fill";
import { framesClear } from "../mock";

const F: usize = memory.data(4096, 16);
let t: i64 = 1000;

describe("the neighbor cache at NEIGH_MAX", () => {
  it("boots a host node", () => {
    expect(bootHostNode(t)).toBe(0);
  });

  it("holds at least 10,000 neighbors", () => {
    expect(NEIGH_MAX).toBeGreaterThanOrEqual(10000);
    for (let k = 0; k < NEIGH_MAX; k++) learn(k);
    let missing = 0;
    for (let k = 0; k < NEIGH_MAX; k++) if (!neighborKnown(0, neighbor(k))) missing++;
    expect(missing).toBe(0);
    expect(neighborKnown(1, neighbor(5))).toBe(false, "an entry is the address on its NIC");
  });

  it("finds an entry in a few slots whether the cache holds 16 entries or NEIGH_MAX", () => {
    let before = probes;
    for (let k = 0; k < 1000; k++) neighborKnown(0, neighbor(k * 7 % NEIGH_MAX));
    expect(probes - before).toBeGreaterThanOrEqual(1000, "each lookup went through the index");
    let full = <f64>(probes - before) / 1000;
    expect(full).toBeLessThan(3.0, "slots per lookup, full");
    before = probes;
    for (let k = 0; k < 1000; k++) neighborKnown(0, neighbor(NEIGH_MAX + k));
    expect(<f64>(probes - before) / 1000).toBeLessThan(3.0, "slots per lookup that finds nothing");
  });

  it("when full, lets the neighbor that settled first make room, and keeps one in use", () => {
    // Neighbor 1 is sent to: a ping from it is answered, so its STALE entry goes DELAY.
    framesClear();
    rx(0, F, echoFrame(F, MAC_N, "02:00:00:00:00:77", 64, "fd00:1::1:0:1", NODE, 128, 0x77, 1, "61"));
    k_poll(t);
    expect(neighState(1)).toBe(NeighState.DELAY);
    for (let k = NEIGH_MAX; k < NEIGH_MAX + 3; k++) learn(k);
    expect(neighborKnown(0, neighbor(0))).toBe(false, "the first to settle made room");
    expect(neighborKnown(0, neighbor(1))).toBe(true, "the one in use stays");
    expect(neighborKnown(0, neighbor(2))).toBe(false);
    expect(neighborKnown(0, neighbor(3))).toBe(false);
    expect(neighborKnown(0, neighbor(4))).toBe(true);
    for (let k = NEIGH_MAX; k < NEIGH_MAX + 3; k++) expect(neighborKnown(0, neighbor(k))).toBe(true);
  });

  it("passes over a full cache of settled entries once, not on every poll", () => {
    k_poll(t);
    let before = timerPasses;
    for (let k = 0; k < 100; k++) k_poll(t + <i64>k);
    expect(timerPasses - before).toBe(0, "no entry changed and none has a deadline");
    learn(NEIGH_MAX + 100);   // makes room: one entry goes, one comes
    learn(0);
    k_poll(t + 100);
    k_poll(t + 101);
    expect(timerPasses - before).toBe(0, "changes that set no deadline (to STALE): no pass");
  });
});

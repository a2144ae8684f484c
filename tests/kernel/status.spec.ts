// The status snapshot when the neighbor cache and the route table hold more than its buffer:
// neither table may starve the other, and the node's own routes are always there.
import * as S from "../../abi/status";
import { STATUS_SIZE, NEIGH_MAX } from "../../kernel/param";
import { STATUS, writeStatus } from "../../kernel/status";
import { learnFrom } from "../../kernel/net/nd";
import { routeAdd, routeCount } from "../../kernel/net/route";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix } from "./manifest";
import { bootFrom } from "./drive";

const MAC_N = "02:00:00:00:00:01";
const M: usize = memory.data(1024, 16);
const A: usize = memory.data(16, 8);
const MAC: usize = memory.data(8, 8);

let routes = 0, neighs = 0, connected = 0, local = 0;

/** Count the records of the snapshot just written (len bytes). */
function scan(len: i32): void {
  routes = 0; neighs = 0; connected = 0; local = 0;
  expect(load<u32>(STATUS)).toBe(S.ST_MAGIC);
  let n = <i32>load<u16>(STATUS, 6);
  let p = 8;
  for (let r = 0; r < n; r++) {
    let type = <i32>load<u8>(STATUS + <usize>p);
    let body = STATUS + <usize>p + 4;
    if (type == S.St.ROUTE) {
      routes++;
      let kind = <i32>load<u8>(body + S.SR_KIND);
      if (kind == S.RouteKind.CONNECTED) connected++;
      if (kind == S.RouteKind.LOCAL) local++;
    }
    if (type == S.St.NEIGH) neighs++;
    p += 4 + <i32>load<u16>(STATUS + <usize>p, 2);
  }
  expect(p).toBe(len, "the records end where the snapshot does");
  expect(len).toBeLessThanOrEqual(STATUS_SIZE);
}

describe("the status snapshot with full tables", () => {
  it("boots a host node", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(0, 1500, MAC_N);
    mfPrefix(0, 64, "fd00:1::");
    expect(bootFrom(M, mfEnd(), 1000)).toBe(0);
  });

  it("keeps every route when NEIGH_MAX neighbors would fill the buffer", () => {
    for (let k = 0; k < NEIGH_MAX; k++) {
      store<u64>(A, bswap<u64>(0xfd00000100000000));
      store<u64>(A, bswap<u64>(0x0000000100000000 | <u64><u32>k), 8);
      store<u16>(MAC, 0x0002);
      store<u32>(MAC, bswap<u32>(<u32>k), 2);
      learnFrom(0, A, MAC);
    }
    scan(writeStatus());
    expect(routes).toBe(routeCount, "every route");
    expect(connected).toBeGreaterThanOrEqual(1, "the prefix's CONNECTED route");
    expect(local).toBeGreaterThanOrEqual(1, "the node's own addresses");
    expect(neighs).toBeGreaterThan(1000, "the neighbors fill the rest");
  });

  it("gives each table at least half of what is left when both overflow it", () => {
    store<u64>(A, bswap<u64>(0xfd00000200000000));
    // Enough routes that routes and neighbors together overflow the buffer, whatever its size.
    let many = (STATUS_SIZE - NEIGH_MAX * (4 + S.SG_SIZE)) / (4 + S.SR_SIZE) + 1000;
    for (let k = 0; k < many; k++) {
      store<u64>(A, bswap<u64>(<u64><u32>k << 32), 8);
      expect(routeAdd(S.RouteKind.STATIC, A, 64 + 32, 0, 0, 0) >= 0).toBe(true);
    }
    scan(writeStatus());
    // What is left after the other records, roughly: half of the bytes, or half of the
    // 65,535 records the header can count, whichever is less.
    let half = (STATUS_SIZE - 4096) / 2, halfRecords = (0xffff - 16) / 2;
    expect(routes).toBeGreaterThan(min(half / (4 + S.SR_SIZE), halfRecords), "routes");
    expect(neighs).toBeGreaterThanOrEqual(min(min(half / (4 + S.SG_SIZE), halfRecords), NEIGH_MAX), "neighbors");
    expect(connected).toBeGreaterThanOrEqual(1, "the prefix's CONNECTED route is still there");
    // The NODE record (the first) says how many there are in all.
    let node = STATUS + 8 + 4;
    expect(load<u16>(node + S.SN_ROUTES)).toBe(<u16>min(routeCount, 0xffff), "routes, u16 (at most 65,535)");
    expect(load<u32>(node + S.SN_ROUTE_COUNT)).toBe(<u32>routeCount, "routes, all of them");
    expect(load<u32>(node + S.SN_NEIGH_COUNT)).toBe(<u32>NEIGH_MAX, "neighbors, all of them");
    expect(<u32>routes).toBeLessThan(<u32>routeCount, "the snapshot holds only some routes");
  });
});

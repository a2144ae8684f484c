// The status snapshot's ROUTE records after routes are deleted (kernel/status.ts over
// kernel/net/route.ts's stable indexes): a freed slot gives no record, and the records come
// in slot order, so a slot taken again by a later add keeps its place (the same adds and
// deletes give the same snapshot).
import * as S from "../../abi/status";
import { STATUS, writeStatus } from "../../kernel/status";
import { routeAdd, routeDelete, routeCount } from "../../kernel/net/route";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix } from "./manifest";
import { bootFrom } from "./drive";

const M: usize = memory.data(1024, 16);
const A: usize = memory.data(16, 8);
const NICS: usize = memory.data(64, 8);   // the NIC byte of each STATIC record, in order
let statics = 0, routes = 0;

function scan(): void {
  writeStatus();
  statics = 0; routes = 0;
  let n = <i32>load<u16>(STATUS, 6);
  let p = 8;
  for (let r = 0; r < n; r++) {
    let body = STATUS + <usize>p + 4;
    if (<i32>load<u8>(STATUS + <usize>p) == S.St.ROUTE) {
      routes++;
      if (<i32>load<u8>(body + S.SR_KIND) == S.RouteKind.STATIC && statics < 64) { store<u8>(NICS + <usize>statics, load<u8>(body + S.SR_NIC)); statics++; }
    }
    p += 4 + <i32>load<u16>(STATUS + <usize>p, 2);
  }
}

function add(nic: i32): i32 {
  store<u64>(A, bswap<u64>(0x2001_0db8_0000_0000 | (<u64>nic << 16)));
  return routeAdd(S.RouteKind.STATIC, A, 48, nic, 0, 0);
}

describe("the status snapshot's routes after deletions", () => {
  it("lists the entries in use, in slot order", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:1::");
    expect(bootFrom(M, mfEnd(), 1000)).toBe(0);
    let a = add(1), b = add(2), c = add(3);
    expect(b).toBe(a + 1); expect(c).toBe(a + 2);
    routeDelete(b);
    scan();
    expect(routes).toBe(routeCount, "no record for the freed slot");
    expect(statics).toBe(2);
    expect(load<u8>(NICS)).toBe(1); expect(load<u8>(NICS, 1)).toBe(3);
    expect(add(4)).toBe(b, "the freed slot, taken again");
    scan();
    expect(routes).toBe(routeCount);
    expect(statics).toBe(3);
    expect(load<u8>(NICS)).toBe(1); expect(load<u8>(NICS, 1)).toBe(4, "in the freed slot's place"); expect(load<u8>(NICS, 2)).toBe(3);
  });
});

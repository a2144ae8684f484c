// Service ids past 127 under DAD (issue #17, SVC_MAX 1024): an i8 on the way into the address
// table once made 200 into -56 (a write outside the registry) and 255 into NODE.
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfAutoconf, mfSvcAddr } from "../manifest";
import { bootFrom } from "../drive";
import { acSvc, acAddr, addrHigh } from "../../../kernel/net/slaac";
import { svcAddrCount, svcAddrOff } from "../../../kernel/svc/registry";
import { ownRoute } from "../../../kernel/net/route";
import { addr } from "../frames";
import { addrEq } from "../../../wire/addr";
import { SVC_MAX } from "../../../abi/limits";

const M: usize = memory.data(65536, 16);
const T: i64 = 10000;

function entryOf(a: string): i32 {
  let p = addr(a);
  for (let i = 0; i < addrHigh; i++) if (addrEq(acAddr(i), p)) return i;
  return -1;
}

describe("services 200 and 255 under DAD", () => {
  it("book their entries to the right service and write only their own registry bytes", () => {
    mfStart(M); mfNode(0, "r1.test"); mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:1::"); mfAutoconf(0, 0, 1, "");
    mfService(200, "two00.sabz.city"); mfSvcAddr(200, "fd00:1::200");
    mfService(255, "two55.sabz.city"); mfSvcAddr(255, "fd00:1::255");
    expect(bootFrom(M, mfEnd(), T)).toBe(0);
    let stray = 0;
    for (let s = 0; s < SVC_MAX; s++) if (s != 200 && s != 255 && (svcAddrCount[s] != 0 || svcAddrOff[s] != 0)) stray++;
    expect(stray).toBe(0, "no other service's registry bytes changed");
  });
  it("service 200's address is out of use while DAD runs", () => { expect(ownRoute(addr("fd00:1::200"))).toBe(-1, "service 200's address is out of use while DAD runs"); });
  it("service 255's entry is booked to 255, not the node", () => { expect(acSvc(entryOf("fd00:1::255"))).toBe(255, "service 255's entry"); });
  it("service 200's entry is booked to 200", () => { expect(acSvc(entryOf("fd00:1::200"))).toBe(200, "service 200's entry"); });
});

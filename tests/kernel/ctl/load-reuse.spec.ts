// A run-time LOAD that takes the id an UNLOADed service held (kernel/ctl/ops.ts): the new
// service starts with nothing of the old one's — in particular not the fuel the old one
// used in the current CPU period, which would count against the new one's CPU min and max
// until the period ends (its min not owed to it, a small max spent before it ran).
import { opLoad, opUnload } from "../../../kernel/ctl/ops";
import { svcByName } from "../../../kernel/svc/registry";
import { cpuCharge, cpuUsed, cpuUnderMin } from "../../../kernel/svc/cpu";
import { CPU_PERIOD_FUEL } from "../../../abi/limits";
import { BODY, loadBody, unloadBody, LOAD_NAME, bootAlice, alice } from "./bodies";


describe("a LOAD into the id of an UNLOADed service", () => {
  it("boots a node with a user", () => {
    expect(bootAlice(true)).toBe(0);
  });

  it("does not hand the new service the fuel the old one used this period", () => {
    expect(opLoad(alice, BODY, loadBody("old.a.n1.test", "fd00:b::a:1", 0))).toBe(0);
    let id = svcByName(LOAD_NAME, 13);
    expect(id).toBe(1, "the first free id");
    cpuCharge(id, CPU_PERIOD_FUEL / 2);            // the old service ran a lot this period
    expect(opUnload(alice, BODY, unloadBody("old.a.n1.test"))).toBe(0);
    expect(opLoad(alice, BODY, loadBody("new.a.n1.test", "fd00:b::a:2", 100))).toBe(0);
    expect(svcByName(LOAD_NAME, 13)).toBe(id, "the same id again");
    expect(cpuUsed[id]).toBe(0, "fuel used by the new service");
    expect(cpuUnderMin(id)).toBe(true, "its CPU min is owed to it from the start");
  });
});

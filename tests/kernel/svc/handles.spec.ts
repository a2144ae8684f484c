// spec/capabilities.md's handles and revocation, as a service meets them through k_sys: a
// handle that names no live capability of the caller — a free slot, a revoked one whose
// slot was reused, another service's, one past the table (which would be the next
// service's first slot), a negative one — is -EBADF for every call that takes a handle;
// so is every handle derived from a revoked one, while its parent and siblings work on;
// an ADDR capability's rights die with the capability they were derived from; and a
// derived DISK capability reaches exactly its parent's extent (-ERANGE past it). Every
// refusal changes nothing (rights_world.ts nothingHappened).
import { Errno } from "../../../abi/errno";
import { Sys, CAPINFO_EXT_LEN } from "../../../abi/syscalls";
import { CapKind, RIGHT_SEND, RIGHT_RECV, RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE } from "../../../abi/caps";
import { CAP_SLOTS } from "../../../kernel/param";
import { k_sys } from "../../../kernel/main";
import { capsClear, capGrant, capFind } from "../../../kernel/svc/caps";
import { EXT_OFF, EXT_LEN, BUF, RXB, SVC_A0, bootWorld, mark, nothingHappened, diskAt, svcAt, fill,
  trySend, tryDeliver } from "./rights_world";

const RW = RIGHT_READ | RIGHT_WRITE;
const CALLS: Sys[] = [Sys.CAP_INFO, Sys.CAP_DERIVE, Sys.CAP_REVOKE, Sys.DISK_READ, Sys.DISK_WRITE, Sys.DISK_FLUSH];
let secret0: i32 = 0;

/** Service 0's handle for slot `slot` at generation gen. */
function forge(gen: i32, slot: i32): i32 { return ((gen << 16) | slot) ^ secret0; }

/** svc makes the call nr with handle h (reading or writing 16 bytes at offset 0). */
function call(svc: i32, nr: Sys, h: i32): i32 {
  if (nr == Sys.CAP_INFO) return k_sys(svc, nr, h, <i32>RXB, 0, 0, 0);
  if (nr == Sys.CAP_DERIVE) return k_sys(svc, nr, h, RIGHT_READ, 0, 0, 0);
  return k_sys(svc, nr, h, 0, 0, <i32>BUF, 16);
}

/** Every call that takes a handle is -EBADF with h, and changes nothing. */
function deadEverywhere(svc: i32, h: i32, what: string): void {
  fill(svc, BUF, 0x55, 16);
  for (let i = 0; i < CALLS.length; i++) {
    let msg = what + ", call " + (<i32>CALLS[i]).toString();
    mark();
    expect(call(svc, CALLS[i], h)).toBe(-Errno.EBADF, msg);
    nothingHappened(msg);
  }
}

/** A disk_read of 16 bytes through h works and gives the extent's first bytes. */
function reads(h: i32, what: string): void {
  expect(k_sys(0, Sys.DISK_READ, h, 0, 0, <i32>BUF, 16)).toBe(16, what);
  let want = diskAt(EXT_OFF, 16);
  expect(memory.compare(svcAt(0, BUF, 16), want, 16)).toBe(0, what);
}

/** Service 0 derives from h through the syscall. */
function derive(h: i32, r: i32): i32 {
  let d = k_sys(0, Sys.CAP_DERIVE, h, r, 0, 0, 0);
  expect(d).toBeGreaterThanOrEqual(0);
  return d;
}

describe("handles", () => {
  it("boots; service 0's first capability is slot 0 of generation 0, so its handle is the secret", () => {
    expect(bootWorld()).toBe(0);
    secret0 = capFind(0, CapKind.ADDR, 0);
    expect(k_sys(0, Sys.CAP_INFO, forge(0, 1), <i32>RXB, 0, 0, 0)).toBe(0);   // address 1's, slot 1
  });

  it("refuses a handle of a free slot, a revoked generation, another service, past the table or negative with -EBADF for every call", () => {
    capsClear(0);                                   // slots 0-2 (addresses 0, 1 and the disk) now generation 1
    expect(capGrant(0, CapKind.DISK, RW | RIGHT_DERIVE, 0, EXT_OFF, EXT_LEN)).toBe(0);
    let root = forge(1, 0);
    let stale = derive(root, RW);
    expect(stale).toBe(forge(1, 1));
    expect(k_sys(0, Sys.CAP_REVOKE, stale, 0, 0, 0, 0)).toBe(0);
    expect(derive(root, RW)).toBe(forge(2, 1));      // slot 1 again, a generation on
    deadEverywhere(0, forge(1, 2), "a freed slot with its current generation");
    deadEverywhere(0, forge(0, CAP_SLOTS - 1), "a slot never used");
    deadEverywhere(0, stale, "a revoked handle whose slot holds a newer capability");
    deadEverywhere(0, capFind(1, CapKind.DISK, 0), "service 1's DISK handle");
    deadEverywhere(0, capFind(1, CapKind.ADDR, 0), "service 1's ADDR handle");
    deadEverywhere(1, root, "service 0's handle used by service 1");
    deadEverywhere(0, forge(0, CAP_SLOTS), "slot CAP_SLOTS, where service 1's first capability is stored");
    deadEverywhere(0, forge(0, 0xffff), "slot 0xffff");
    deadEverywhere(0, root | (1 << 31), "a negative handle");
    deadEverywhere(0, -1, "-1");
    reads(root, "the root still reads");
    reads(forge(2, 1), "the newer capability in the reused slot still reads");
  });

  it("revoking a capability makes every handle derived from it -EBADF; its parent and siblings go on", () => {
    capsClear(0);
    expect(capGrant(0, CapKind.DISK, RW | RIGHT_DERIVE, 0, EXT_OFF, EXT_LEN)).toBe(0);
    let root = capFind(0, CapKind.DISK, 0);
    let sibling = derive(root, RIGHT_READ);
    let child = derive(root, RW | RIGHT_DERIVE);
    let grandchild = derive(child, RW | RIGHT_DERIVE);
    let greatGrandchild = derive(grandchild, RIGHT_READ);
    expect(k_sys(0, Sys.CAP_REVOKE, child, 0, 0, 0, 0)).toBe(0);
    deadEverywhere(0, child, "the revoked capability");
    deadEverywhere(0, grandchild, "its child");
    deadEverywhere(0, greatGrandchild, "its grandchild");
    reads(root, "the parent");
    reads(sibling, "the sibling");
  });

  it("revoking an ADDR capability takes SEND and RECV from what was derived from it", () => {
    capsClear(0);
    expect(capGrant(0, CapKind.ADDR, RIGHT_SEND | RIGHT_RECV | RIGHT_DERIVE, 0, 0, 0)).toBe(0);
    let child = derive(capFind(0, CapKind.ADDR, 0), RIGHT_SEND | RIGHT_RECV);
    trySend(true, SVC_A0, "send through the child while its parent lives");
    expect(k_sys(0, Sys.CAP_REVOKE, capFind(0, CapKind.ADDR, 0), 0, 0, 0, 0)).toBe(0);
    deadEverywhere(0, child, "the child of a revoked ADDR capability");
    trySend(false, SVC_A0, "send once the parent is revoked");
    tryDeliver(false, SVC_A0, "delivery once the parent is revoked");
  });

  it("gives a derived DISK capability exactly its parent's extent: -ERANGE past its end", () => {
    capsClear(0);
    expect(capGrant(0, CapKind.DISK, RW | RIGHT_DERIVE, 0, EXT_OFF, EXT_LEN)).toBe(0);
    let d = derive(capFind(0, CapKind.DISK, 0), RW);
    expect(k_sys(0, Sys.CAP_INFO, d, <i32>RXB, 0, 0, 0)).toBe(0);
    expect(load<u64>(svcAt(0, RXB, 16) + CAPINFO_EXT_LEN)).toBe(EXT_LEN);
    fill(0, BUF, 0x99, 16);
    let last = <i32>EXT_LEN - 16;
    expect(k_sys(0, Sys.DISK_WRITE, d, last, 0, <i32>BUF, 16)).toBe(16);
    expect(load<u64>(diskAt(EXT_OFF + EXT_LEN - 8, 8))).toBe(0x9999999999999999);   // the extent's last bytes
    expect(load<u8>(diskAt(EXT_OFF + EXT_LEN, 1))).not.toBe(0x99);                    // and none after
    expect(k_sys(0, Sys.DISK_READ, d, last, 0, <i32>RXB, 16)).toBe(16);
    // (offset low word, high word, length) past the end
    let past: i32[] = [<i32>EXT_LEN - 8, 0, 16, <i32>EXT_LEN - 15, 0, 16, <i32>EXT_LEN, 0, 1, <i32>EXT_LEN + 1, 0, 0,
      0, 1, 1, -1, 0, 1, -1, -1, 1, -<i32>EXT_LEN, -1, 16, 0, <i32>0x80000000, 1];
    for (let i = 0; i < past.length; i += 3) {
      for (let nr = Sys.DISK_READ; nr <= Sys.DISK_WRITE; nr++) {
        let msg = "call " + nr.toString() + " at " + past[i].toString() + " + " + past[i + 1].toString() + " << 32, length " + past[i + 2].toString();
        mark();
        expect(k_sys(0, nr, d, past[i], past[i + 1], <i32>BUF, past[i + 2])).toBe(-Errno.ERANGE, msg);
        nothingHappened(msg);
      }
    }
  });
});

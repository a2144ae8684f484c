// spec/capabilities.md's rights, as a service meets them through k_sys: every capability
// kind (ADDR, NIC, DISK) with every one of the 32 sets of rights, tried with every call
// that needs a right — disk_read (DISK + READ), disk_write and disk_flush (DISK + WRITE),
// cap_derive (DERIVE, rights ⊆ the parent's, known bits), send (ADDR + SEND for the
// source) and delivery from a service or the wire (ADDR + RECV for the destination).
// Each call must succeed exactly when the capability holds the right; a refused one must
// return its errno and change nothing (rights_world.ts nothingHappened). Covers
// kernel/svc/caps.ts, disk.ts, syscall.ts and the RECV check of kernel/net/output.ts.
// Service 0 is the subject; its table is set directly with capsClear and capGrant.
import { Errno } from "../../../abi/errno";
import { Sys, CAPINFO_KIND, CAPINFO_RIGHTS, CAPINFO_OBJECT, CAPINFO_EXT_LEN } from "../../../abi/syscalls";
import { CapKind, RIGHT_SEND, RIGHT_RECV, RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE, RIGHTS_ALL } from "../../../abi/caps";
import { k_sys } from "../../../kernel/main";
import { capsClear, capGrant, capFind } from "../../../kernel/svc/caps";
import { diskPut } from "../mock";
import { EXT_OFF, EXT_LEN, BUF, RXB, SVC_A0, SVC_A1, bootWorld, mark, nothingHappened, diskAt, svcAt, fill,
  trySend, tryDeliver } from "./rights_world";

const KINDS: CapKind[] = [CapKind.ADDR, CapKind.NIC, CapKind.DISK];
const ZERO: usize = memory.data(16, 16);

function kindName(k: CapKind): string { return k == CapKind.ADDR ? "ADDR" : k == CapKind.NIC ? "NIC" : "DISK"; }
function row(k: CapKind, r: i32, op: string): string { return op + " through " + kindName(k) + " rights " + r.toString(); }
function has(r: i32, need: i32): bool { return (r & need) == need; }

/** Service 0 holds exactly one capability: kind k, rights r, on object 0 (address index
 *  0, NIC 0, or disk 0 at [EXT_OFF, +EXT_LEN)). Returns its handle. */
function give(k: CapKind, r: i32): i32 {
  capsClear(0);
  let disk = k == CapKind.DISK;
  expect(capGrant(0, k, r, 0, disk ? EXT_OFF : 0, disk ? EXT_LEN : 0)).toBe(0);
  return capFind(0, k, 0);
}

function tryRead(k: CapKind, r: i32, h: i32): void {
  let msg = row(k, r, "disk_read");
  fill(0, BUF, 0xee, 16);
  mark();
  let n = k_sys(0, Sys.DISK_READ, h, 0, 0, <i32>BUF, 16);
  if (k != CapKind.DISK || !has(r, RIGHT_READ)) {
    expect(n).toBe(-Errno.EPERM, msg);
    nothingHappened(msg);
    return;
  }
  expect(n).toBe(16, msg);
  let want = diskAt(EXT_OFF, 16);
  expect(memory.compare(svcAt(0, BUF, 16), want, 16)).toBe(0, msg + ": read other bytes than the extent's first");
}

function tryWrite(k: CapKind, r: i32, h: i32): void {
  let msg = row(k, r, "disk_write");
  fill(0, BUF, 0x77, 16);
  mark();
  let n = k_sys(0, Sys.DISK_WRITE, h, 0, 0, <i32>BUF, 16);
  if (k != CapKind.DISK || !has(r, RIGHT_WRITE)) {
    expect(n).toBe(-Errno.EPERM, msg);
    nothingHappened(msg);
    return;
  }
  expect(n).toBe(16, msg);
  expect(load<u64>(diskAt(EXT_OFF, 16) + 8)).toBe(0x7777777777777777, msg + ": not written at the extent's start");
  diskPut(0, <i32>EXT_OFF, ZERO, 16);
}

function tryFlush(k: CapKind, r: i32, h: i32): void {
  let msg = row(k, r, "disk_flush");
  mark();
  let n = k_sys(0, Sys.DISK_FLUSH, h, 0, 0, 0, 0);
  if (k != CapKind.DISK || !has(r, RIGHT_WRITE)) {
    expect(n).toBe(-Errno.EPERM, msg);
    nothingHappened(msg);
    return;
  }
  expect(n).toBe(0, msg);
}

/** cap_derive with every set of known rights, and some with unknown bits. A derived
 *  capability names the same kind, object and extent with the rights asked; it is revoked
 *  again at once. */
const UNKNOWN: i32[] = [32, 32 | RIGHT_READ, 64 | RIGHT_DERIVE, 128, <i32>0x80000000 | RIGHT_SEND, -1];

function tryDerive(k: CapKind, r: i32, h: i32): void {
  for (let i = 0; i < 32 + UNKNOWN.length; i++) {
    let sub = i < 32 ? i : UNKNOWN[i - 32];
    let msg = row(k, r, "cap_derive(" + sub.toString() + ")");
    mark();
    let d = k_sys(0, Sys.CAP_DERIVE, h, sub, 0, 0, 0);
    let err = (sub & ~RIGHTS_ALL) != 0 ? Errno.EINVAL : !has(r, RIGHT_DERIVE) || !has(r, sub) ? Errno.EPERM : Errno.OK;
    if (err != Errno.OK) {
      expect(d).toBe(-err, msg);
      nothingHappened(msg);
      continue;
    }
    expect(d).toBeGreaterThanOrEqual(0, msg);
    expect(k_sys(0, Sys.CAP_INFO, d, <i32>RXB, 0, 0, 0)).toBe(0, msg);
    let info = svcAt(0, RXB, 16);
    expect(load<u8>(info + CAPINFO_KIND)).toBe(<u8>k, msg);
    expect(load<u8>(info + CAPINFO_RIGHTS)).toBe(<u8>sub, msg);
    expect(load<u16>(info + CAPINFO_OBJECT)).toBe(0, msg);
    expect(load<u64>(info + CAPINFO_EXT_LEN)).toBe(k == CapKind.DISK ? EXT_LEN : 0, msg);
    expect(k_sys(0, Sys.CAP_REVOKE, d, 0, 0, 0, 0)).toBe(0, msg);
  }
}

describe("rights a capability does not hold", () => {
  it("boots with a READ-only disk grant for service 0, which reads through it and never writes, flushes or derives", () => {
    expect(bootWorld()).toBe(0);
    let h = capFind(0, CapKind.DISK, 0);
    tryRead(CapKind.DISK, RIGHT_READ, h);
    tryWrite(CapKind.DISK, RIGHT_READ, h);
    tryFlush(CapKind.DISK, RIGHT_READ, h);
    tryDerive(CapKind.DISK, RIGHT_READ, h);
  });

  it("reads a disk only with DISK + READ, writes and flushes it only with DISK + WRITE", () => {
    for (let i = 0; i < KINDS.length; i++) {
      for (let r = 0; r <= RIGHTS_ALL; r++) {
        let h = give(KINDS[i], r);
        tryRead(KINDS[i], r, h);
        tryWrite(KINDS[i], r, h);
        tryFlush(KINDS[i], r, h);
      }
    }
  });

  it("derives only with DERIVE, only rights the parent holds and only known bits", () => {
    for (let i = 0; i < KINDS.length; i++) {
      for (let r = 0; r <= RIGHTS_ALL; r++) tryDerive(KINDS[i], r, give(KINDS[i], r));
    }
  });

  it("sends from an address only with ADDR + SEND for it (a NIC capability's SEND is not enough)", () => {
    for (let i = 0; i < KINDS.length; i++) {
      for (let r = 0; r <= RIGHTS_ALL; r++) {
        give(KINDS[i], r);
        trySend(KINDS[i] == CapKind.ADDR && has(r, RIGHT_SEND), SVC_A0, row(KINDS[i], r, "send"));
      }
    }
  });

  it("delivers to an address only with ADDR + RECV for it", () => {
    for (let i = 0; i < KINDS.length; i++) {
      for (let r = 0; r <= RIGHTS_ALL; r++) {
        give(KINDS[i], r);
        tryDeliver(KINDS[i] == CapKind.ADDR && has(r, RIGHT_RECV), SVC_A0, row(KINDS[i], r, "delivery"));
      }
    }
  });

  it("counts SEND and RECV on the service's other address for nothing", () => {
    let addrs: string[] = [SVC_A0, SVC_A1];
    for (let held = 0; held < 2; held++) {
      capsClear(0);
      expect(capGrant(0, CapKind.ADDR, RIGHTS_ALL, held, 0, 0)).toBe(0);
      for (let a = 0; a < 2; a++) {
        let msg = " address " + a.toString() + " with every right on address " + held.toString();
        trySend(a == held, addrs[a], "send from" + msg);
        tryDeliver(a == held, addrs[a], "delivery to" + msg);
      }
    }
  });
});

// kernel/svc/caps.ts and spec/capabilities.md: grant, derive (rights only shrink, DERIVE
// needed), transitive revoke, handles as (generation << 16 | slot) XOR secret — forged,
// stale and reused handles are -EBADF — and capFind. Service 0 with a fixed secret; on
// service 2, a check needs every right it asks for and a grant keeps only known bits.
import { Errno } from "../../../abi/errno";
import { CapKind, RIGHT_SEND, RIGHT_RECV, RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE, RIGHTS_ALL } from "../../../abi/caps";
import { CAP_SLOTS } from "../../../kernel/param";
import { capSetSecret, capGrant, capDerive, capRevoke, capFind, capCheck, capHolds, resolve,
  capRights, capObject, capKind, capExtOff, capExtLen } from "../../../kernel/svc/caps";

const SECRET: i32 = 0x2a5c3e71;
const ADDR_ALL = RIGHT_SEND | RIGHT_RECV | RIGHT_DERIVE;

/** Number of live capabilities of kind in service 0. */
function live(kind: CapKind): i32 {
  let n = 0;
  while (capFind(0, kind, n) >= 0) n++;
  return n;
}

describe("capabilities", () => {
  it("grants a root capability whose handle is slot 0, generation 0, XOR the secret", () => {
    capSetSecret(0, SECRET);
    expect(capGrant(0, CapKind.ADDR, ADDR_ALL, 3, 0, 0)).toBe(0);
    let h = capFind(0, CapKind.ADDR, 0);
    expect(h).toBe(SECRET);
    expect(capCheck(0, h, CapKind.ADDR, RIGHT_SEND | RIGHT_RECV)).toBe(0, "slot 0");
    expect(capRights(0, 0)).toBe(ADDR_ALL);
    expect(capObject(0, 0)).toBe(3);
  });
  it("refuses a right the capability lacks, and a capability of another kind, with -EPERM", () => {
    let h = capFind(0, CapKind.ADDR, 0);
    expect(capCheck(0, h, CapKind.ADDR, RIGHT_READ)).toBe(-Errno.EPERM);
    expect(capCheck(0, h, CapKind.DISK, 0)).toBe(-Errno.EPERM);
  });
  it("derives a handle with fewer rights on the same object", () => {
    let root = capFind(0, CapKind.ADDR, 0);
    let h = capDerive(0, root, RIGHT_SEND);
    expect(h).toBe(SECRET ^ 1);
    expect(resolve(0, h)).toBe(1);
    expect(capKind(0, 1)).toBe(CapKind.ADDR);
    expect(capRights(0, 1)).toBe(RIGHT_SEND);
    expect(capObject(0, 1)).toBe(3);
    expect(capCheck(0, h, CapKind.ADDR, RIGHT_RECV)).toBe(-Errno.EPERM);
  });
  it("refuses to derive more rights than the parent's with -EPERM and changes nothing", () => {
    let mid = capDerive(0, capFind(0, CapKind.ADDR, 0), RIGHT_SEND | RIGHT_DERIVE);
    expect(mid).toBe(SECRET ^ 2);
    expect(live(CapKind.ADDR)).toBe(3);
    expect(capDerive(0, mid, RIGHT_SEND | RIGHT_RECV)).toBe(-Errno.EPERM);
    expect(live(CapKind.ADDR)).toBe(3);
  });
  it("refuses to derive from a capability without DERIVE with -EPERM", () => {
    let sendOnly = capFind(0, CapKind.ADDR, 1);
    expect(capRights(0, 1)).toBe(RIGHT_SEND);
    expect(capDerive(0, sendOnly, RIGHT_SEND)).toBe(-Errno.EPERM);
    expect(capDerive(0, sendOnly, 0)).toBe(-Errno.EPERM);
    expect(live(CapKind.ADDR)).toBe(3);
  });
  it("refuses unknown rights bits with -EINVAL", () => {
    expect(capDerive(0, capFind(0, CapKind.ADDR, 0), 32)).toBe(-Errno.EINVAL);
    expect(live(CapKind.ADDR)).toBe(3);
  });
  it("refuses a forged handle with -EBADF", () => {
    let h = capFind(0, CapKind.ADDR, 0);
    expect(resolve(0, h ^ (1 << 20))).toBe(-Errno.EBADF);   // another generation
    expect(resolve(0, h ^ (1 << 5))).toBe(-Errno.EBADF);    // slot 32: past CAP_SLOTS
    expect(resolve(0, h ^ (1 << 3))).toBe(-Errno.EBADF);    // slot 8: free
    expect(resolve(0, h | (1 << 31))).toBe(-Errno.EBADF);   // negative
    expect(resolve(0, 0)).toBe(-Errno.EBADF);
    expect(capDerive(0, h ^ (1 << 20), RIGHT_SEND)).toBe(-Errno.EBADF);
    expect(capRevoke(0, h ^ (1 << 20))).toBe(-Errno.EBADF);
  });
  it("revokes a capability and, transitively, everything derived from it", () => {
    let root = capFind(0, CapKind.ADDR, 0);
    let mid = SECRET ^ 2;                               // slot 2, from the root
    let leaf = capDerive(0, mid, RIGHT_SEND | RIGHT_DERIVE);
    expect(leaf).toBe(SECRET ^ 3);
    let leaf2 = capDerive(0, leaf, RIGHT_SEND);
    expect(leaf2).toBe(SECRET ^ 4);
    let sibling = SECRET ^ 1;                           // slot 1, from the root
    expect(capRevoke(0, mid)).toBe(0);
    expect(resolve(0, mid)).toBe(-Errno.EBADF);
    expect(resolve(0, leaf)).toBe(-Errno.EBADF);
    expect(resolve(0, leaf2)).toBe(-Errno.EBADF);
    expect(resolve(0, sibling)).toBe(1);
    expect(resolve(0, root)).toBe(0);
    expect(live(CapKind.ADDR)).toBe(2);
  });
  it("never revives a revoked handle when its slot is reused", () => {
    let old = SECRET ^ 2;
    let fresh = capDerive(0, capFind(0, CapKind.ADDR, 0), RIGHT_RECV);
    expect(fresh).toBe(SECRET ^ ((1 << 16) | 2));      // slot 2 again, generation 1
    expect(resolve(0, old)).toBe(-Errno.EBADF);
    expect(resolve(0, fresh)).toBe(2);
    expect(capRights(0, 2)).toBe(RIGHT_RECV);
  });
  it("revokes a grandchild that sits in a lower slot than its parent", () => {
    // mid (slot 4) → y (slot 5) → z (slot 3, freed just before): z's parent is found
    // doomed only after the scan has passed slot 3.
    let root = capFind(0, CapKind.ADDR, 0);
    let gone = capDerive(0, root, RIGHT_SEND);
    expect(gone).toBe(SECRET ^ ((1 << 16) | 3));
    let mid = capDerive(0, root, RIGHT_SEND | RIGHT_DERIVE);
    expect(mid).toBe(SECRET ^ ((1 << 16) | 4));
    let y = capDerive(0, mid, RIGHT_SEND | RIGHT_DERIVE);
    expect(y).toBe(SECRET ^ 5);
    expect(capRevoke(0, gone)).toBe(0);
    let z = capDerive(0, y, RIGHT_SEND);
    expect(z).toBe(SECRET ^ ((2 << 16) | 3));
    expect(capRevoke(0, mid)).toBe(0);
    expect(resolve(0, y)).toBe(-Errno.EBADF);
    expect(resolve(0, z)).toBe(-Errno.EBADF);
    expect(live(CapKind.ADDR)).toBe(3);
  });
  it("revoking the root takes every descendant with it", () => {
    let root = capFind(0, CapKind.ADDR, 0);
    expect(capRevoke(0, root)).toBe(0);
    expect(live(CapKind.ADDR)).toBe(0);
    expect(resolve(0, SECRET ^ 1)).toBe(-Errno.EBADF);
    expect(resolve(0, SECRET ^ ((1 << 16) | 2))).toBe(-Errno.EBADF);
    expect(capHolds(0, CapKind.ADDR, 3, RIGHT_SEND)).toBe(false);
  });
  it("finds the index-th capability of a kind, -ENOENT past the last, -EINVAL for NONE", () => {
    expect(capGrant(0, CapKind.DISK, RIGHT_READ | RIGHT_DERIVE, 1, 4096, 8192)).toBe(0);
    expect(capGrant(0, CapKind.ADDR, RIGHT_RECV, 5, 0, 0)).toBe(1);
    expect(capGrant(0, CapKind.DISK, RIGHT_READ, 2, 0, 512)).toBe(2);
    let d1 = capFind(0, CapKind.DISK, 1);
    expect(resolve(0, d1)).toBe(2);
    expect(capObject(0, 2)).toBe(2);
    expect(capFind(0, CapKind.ADDR, 0)).toBe(SECRET ^ ((1 << 16) | 1));
    expect(capFind(0, CapKind.DISK, 2)).toBe(-Errno.ENOENT);
    expect(capFind(0, CapKind.NIC, 0)).toBe(-Errno.ENOENT);
    expect(capFind(0, CapKind.NONE, 0)).toBe(-Errno.EINVAL);
  });
  it("copies the parent's extent into a derived DISK capability", () => {
    let d = capDerive(0, capFind(0, CapKind.DISK, 0), RIGHT_READ);
    let s = resolve(0, d);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(capExtOff(0, s)).toBe(4096);
    expect(capExtLen(0, s)).toBe(8192);
    expect(capObject(0, s)).toBe(1);
  });
  it("holds nothing for another service, whose secret differs", () => {
    capSetSecret(1, 0x11111111);
    expect(resolve(1, capFind(0, CapKind.DISK, 0))).toBe(-Errno.EBADF);
    expect(capFind(1, CapKind.DISK, 0)).toBe(-Errno.ENOENT);
  });
  it("refuses a derive into a full table with -ENOSPC", () => {
    let root = capFind(0, CapKind.DISK, 0);
    let n = live(CapKind.DISK) + live(CapKind.ADDR);
    for (let i = n; i < CAP_SLOTS; i++) expect(capDerive(0, root, RIGHT_READ)).toBeGreaterThanOrEqual(0);
    expect(capDerive(0, root, RIGHT_READ)).toBe(-Errno.ENOSPC);
    expect(capGrant(0, CapKind.ADDR, RIGHT_SEND, 0, 0, 0)).toBe(-Errno.ENOSPC);
  });
});

describe("a grant and a check on service 2", () => {
  it("requires every right a check asks for, not one of them", () => {
    capSetSecret(2, 0x0badcafe);
    expect(capGrant(2, CapKind.DISK, RIGHT_READ, 0, 0, 512)).toBe(0);
    let h = capFind(2, CapKind.DISK, 0);
    expect(capCheck(2, h, CapKind.DISK, RIGHT_READ)).toBe(0);
    expect(capCheck(2, h, CapKind.DISK, RIGHT_READ | RIGHT_WRITE)).toBe(-Errno.EPERM);
    expect(capCheck(2, h, CapKind.DISK, RIGHT_WRITE)).toBe(-Errno.EPERM);
  });
  it("keeps only the known rights bits of a grant", () => {
    expect(capGrant(2, CapKind.DISK, 0xff, 0, 0, 512)).toBe(1);
    expect(capRights(2, 1)).toBe(RIGHTS_ALL);
  });
});

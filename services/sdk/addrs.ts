// The service's own IPv6 addresses, copied from sys_addr into a static table so that
// checking a packet's destination costs no syscall. The table is loaded on first use and
// reloaded once when an address is not found, so an address granted while the service
// runs is picked up. It does not choose which address a reply comes from (a reply's
// source is the address the request was sent to). Used by ingress and services.
import { ADDR_PER_SVC } from "../../abi/limits";
import { sys_addr } from "../../abi/gen/persia";
import { addrEq, ADDR_LEN } from "./ipv6";

const TABLE = memory.data(ADDR_PER_SVC * ADDR_LEN);
let count: i32 = -1;   // -1 until the table is loaded

/** Copy the service's addresses into the table; returns how many it owns. */
export function reload(): i32 {
  count = 0;
  while (count < ADDR_PER_SVC) {
    let r = sys_addr(count, <i32>(TABLE + <usize>(count * ADDR_LEN)));
    if (r < 0) break;      // -Errno.ENOENT past the last address
    count++;
  }
  return count;
}

/** How many addresses the service owns. */
export function ownCount(): i32 {
  if (count < 0) reload();
  return count;
}

/** The i-th own address (16 bytes in the table), or 0 if there is none. */
export function own(i: i32): usize {
  if (<u32>i >= <u32>ownCount()) return 0;
  return TABLE + <usize>(i * ADDR_LEN);
}

function find(a: usize): bool {
  for (let i = 0; i < count; i++) {
    if (addrEq(a, TABLE + <usize>(i * ADDR_LEN))) return true;
  }
  return false;
}

/** True if the 16 bytes at a are one of the service's own addresses. */
export function isOwn(a: usize): bool {
  if (count >= 0 && find(a)) return true;
  reload();
  return find(a);
}

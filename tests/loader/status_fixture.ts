// Test-only: a status snapshot written out by hand per abi/status.ts (header, then one
// record of each type and one of a type this host does not know), for the status decoder,
// printer and status server tests. Used by tests/loader/status.test.ts and
// tests/hosts/status_server.test.ts.
import { Drop } from "../../abi/drop";

const u64 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff, 0, 0, 0, 0];
const drops = (): number[] => {
  const counts = new Array(Drop.COUNT).fill(0);
  counts[Drop.ETHERTYPE_IPV4] = 2;
  counts[Drop.NO_ROUTE] = 5;
  return counts.flatMap(u64);
};
const FD00_7 = [0xfd, 0x00, 0x5a, 0xb2, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07];  // fd00:5ab2:1::7
const FE80_1 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];              // fe80::1
const ZERO16 = new Array(16).fill(0);

export const SNAPSHOT = Uint8Array.from([
  0x50, 0x52, 0x53, 0x54, 0x03, 0x00, 0x08, 0x00,          // "PRST", version 3, 8 records
  0x01, 0x00, 0x28, 0x00,                                  // NODE, 40 bytes
  ...u64(12345), 0x02, 0x01, 0x01, 0x00, 0x02, 0x00, 0xfa, 0x00, ...u64(3), // 12.345 s, router, 1 svc, 1 nic, 2 routes, 250 free, 3 ICMP errors
  ...u64(4), ...u64(1),                                    // control messages: 4 acted on, 1 refused
  0x02, 0x00, (Drop.COUNT * 8) & 0xff, (Drop.COUNT * 8) >> 8, ...drops(), // DROPS, one u64 per reason (length u16 LE)
  0x03, 0x00, 0x3c, 0x00,                                  // NIC, 60 bytes
  0x00, 0x01, 0xdc, 0x05, 0x02, 0x00, 0x5a, 0xb2, 0x00, 0x01, 0x02, 0x00, // id 0, vxlan, mtu 1500, mac, txq 2
  ...u64(10), ...u64(1000), ...u64(9), ...u64(900), ...u64(1), ...u64(4), // rx 10/1000, tx 9/900, 1 error, 4 RAs
  0x04, 0x00, 0x3f, 0x00,                                  // SVC, 49 + 14 bytes
  0x01, 0x01, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,          // id 1, running, last fault TRAP, 2 restarts, queue 0
  ...u64(7), ...u64(6), ...u64(2), ...u64(1),              // rx 7, tx 6, 2 faults, 1 refused
  ...u64(1234567), 14,                                     // 1234567 fuel units, name length
  ...Array.from(Buffer.from("echo.sabz.city")),
  0x05, 0x00, 0x24, 0x00, 0x00, 0x80, 0x00, 0x01, ...FD00_7, ...ZERO16, // ROUTE service fd00:5ab2:1::7/128 → svc 1
  0x05, 0x00, 0x24, 0x00, 0x03, 0x00, 0x00, 0xff, ...ZERO16, ...FE80_1, // ROUTE static ::/0 via fe80::1 on NIC 0
  0x06, 0x00, 0x18, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x99, ...FE80_1, // NEIGH NIC 0 reachable
  0x63, 0x00, 0x02, 0x00, 0xaa, 0xbb,                      // type 99: unknown to this host, skipped
]);

// Test-only: a status snapshot written out by hand per abi/status.ts (header, then one
// record of most types, a USB device's, and one of a type this host does not know), for the status decoder,
// printer and status server tests; and CLIENT_SNAPSHOT, a client node's with the ADDR,
// LEARNED and ROUTER records of issue #20. Used by tests/loader/status.test.ts and
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
  0x50, 0x52, 0x53, 0x54, 0x09, 0x00, 0x09, 0x00,          // "PRST", version 9, 9 records
  0x01, 0x00, 0x38, 0x00,                                  // NODE, 56 bytes
  ...u64(12345), 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0xfa, 0x00, ...u64(3), // 12.345 s, router, 1 nic, 2 routes, 250 free, 3 ICMP errors
  ...u64(4), ...u64(1), 0x01, 0x00, 0, 0,                  // control messages: 4 acted on, 1 refused; 1 svc (u16)
  0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0, 0, 0, 0, // the tables' sizes: 2 routes, 1 neighbor (u32 each)
  0x02, 0x00, (Drop.COUNT * 8) & 0xff, (Drop.COUNT * 8) >> 8, ...drops(), // DROPS, one u64 per reason (length u16 LE)
  0x03, 0x00, 0x3c, 0x00,                                  // NIC, 60 bytes
  0x00, 0x01, 0xdc, 0x05, 0x02, 0x00, 0x5a, 0xb2, 0x00, 0x01, 0x02, 0x00, // id 0, vxlan, mtu 1500, mac, txq 2
  ...u64(10), ...u64(1000), ...u64(9), ...u64(900), ...u64(1), ...u64(4), // rx 10/1000, tx 9/900, 1 error, 4 RAs
  0x04, 0x00, 0x3f, 0x00,                                  // SVC, 49 + 14 bytes
  0x01, 0x00, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00,          // id 1 (u16), running, last fault TRAP, 2 restarts, queue 0
  ...u64(7), ...u64(6), ...u64(2), ...u64(1),              // rx 7, tx 6, 2 faults, 1 refused
  ...u64(1234567), 14,                                     // 1234567 fuel units, name length
  ...Array.from(Buffer.from("echo.sabz.city")),
  0x05, 0x00, 0x28, 0x00, 0x00, 0x80, 0x00, 0x00, ...FD00_7, ...ZERO16, 0x01, 0x00, 0, 0, // ROUTE service fd00:5ab2:1::7/128 → svc 1
  0x05, 0x00, 0x28, 0x00, 0x03, 0x00, 0x00, 0x00, ...ZERO16, ...FE80_1, 0xff, 0x00, 0, 0, // ROUTE static ::/0 via fe80::1 on NIC 0
  0x06, 0x00, 0x18, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x99, ...FE80_1, // NEIGH NIC 0 reachable
  0x12, 0x00, 0x38, 0x00, 0x00, 0x01, 0x00, 0x02, 0xf4, 0x46, 0x01, 0x00, // USB 0, present, 2 in flight, 46f4:0001
  ...u64(100), ...u64(3), ...u64(1), ...u64(2), ...u64(0), // 100 transfers, 3 errors, 1 late, 2 attaches refused
  0x01, 0x00, 0, 0, 0, 0, 0, 0,                            // held by svc 1 (u16)
  0x63, 0x00, 0x02, 0x00, 0xaa, 0xbb,                      // type 99: unknown to this host, skipped
]);

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const INF = 0xffffffff;                                                               // LIFETIME_INFINITE
const FE80_LL = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01]; // fe80::ff:fe00:1
const FE80_2 = [...FE80_1.slice(0, 15), 0x02];                                        // fe80::2
const DB8_1 = [0x20, 0x01, 0x0d, 0xb8, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];          // 2001:db8:1::
const DB8_1_ABCD = [...DB8_1.slice(0, 14), 0xab, 0xcd];                               // 2001:db8:1::abcd

/** ADDR: nic, state, origin, 0, preferred, valid, DAD left, DAD counter, svc u16, address. */
const addr = (state: number, origin: number, svc: number, pref: number, valid: number, left: number, counter: number, a: number[]) =>
  [0x0a, 0x00, 0x20, 0x00, 0x00, state, origin, 0, ...u32(pref), ...u32(valid), left, counter, svc & 0xff, svc >> 8, ...a];

export const CLIENT_SNAPSHOT = Uint8Array.from([
  0x50, 0x52, 0x53, 0x54, 0x09, 0x00, 0x08, 0x00,          // "PRST", version 9, 8 records
  0x01, 0x00, 0x38, 0x00,                                  // NODE, 56 bytes
  ...u64(5000), 0x01, 0x00, 0x01, 0x00, 0x03, 0x00, 0xfa, 0x00, ...u64(0), ...u64(0), ...u64(0), 0x01, 0x00, 0, 0, // 5 s, client, 1 nic, 1 svc
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, // 3 routes, no neighbors (u32 each)
  0x04, 0x00, 0x3f, 0x00,                                  // SVC, 49 + 14 bytes: id 0, running
  0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, ...u64(0), ...u64(0), ...u64(0), ...u64(0), ...u64(0), 14,
  ...Array.from(Buffer.from("echo.sabz.city")),
  ...addr(1, 0, 0xffff, INF, INF, 0, 0, FE80_LL),            // the node's link-local: preferred
  ...addr(0, 2, 0x00, 3600, 7200, 1, 0, DB8_1_ABCD),       // echo's learned address: tentative, 1 solicitation to go
  ...addr(3, 1, 0x00, INF, INF, 0, 0, FD00_7),             // echo's manifest address: another host holds it
  0x0b, 0x00, 0x20, 0x00, 0x00, 64, 0xc0, 0x00, ...u32(7200), ...u32(3600), ...u32(0), ...DB8_1, // LEARNED /64, L and A
  0x0c, 0x00, 0x20, 0x00, 0x00, 0x01, ...[0xc8, 0x05], ...u32(1800), ...u32(30000), ...u32(1000), ...FE80_1, // ROUTER chosen, MTU 1480
  0x0c, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, ...u32(600), ...u32(0), ...u32(0), ...FE80_2,               // ROUTER, nothing advertised
]);

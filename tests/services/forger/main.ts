// Test service: forges capability handles. It answers ICMPv6 Echo Requests as echo does,
// and on a UDP datagram to port 9 whose data starts with "forge" (tests/services/
// trigger.ts) it:
//   1. calls cap_info, cap_derive, cap_revoke and disk_read on handles it guesses (0, 1,
//      negatives, its own ADDR handle plus or minus a little, with bits flipped), logging
//      "forger: guess <name> <call>=<code>" — the kernel must refuse every one (-EBADF);
//   2. uses its own ADDR handle for what it does not grant, logging "forger: own <call>=
//      <code>" (-EPERM: a disk read, a derive that widens the rights);
//   3. derives a child of its ADDR capability, sends "before" to the commander, revokes
//      the parent and logs "forger: revoke=<code> child=<code> parent=<code> send=<code>"
//      (cap_info of the child and the parent, which must be -EBADF, and a send from its
//      address, which must be -EADDRNOTAVAIL). From then on it holds no RECV either, so
//      the kernel drops what is sent to it (SVC_DOWN) until it is restarted.
// Used by tests/integration/hostile.test.ts.
import { CapKind, RIGHT_READ, RIGHT_RECV, RIGHT_SEND } from "../../../abi/caps";
import { CAPINFO_SIZE } from "../../../abi/syscalls";
import {
  sys_cap_derive, sys_cap_find, sys_cap_info, sys_cap_revoke, sys_disk_read, sys_send,
} from "../../../abi/gen/persia";
import { ingress, ipv6, log, text, udp } from "../../../services/sdk/index";
import { untilTrigger } from "../trigger";

const COMMAND_PORT: u32 = 9;
const INFO = memory.data(CAPINFO_SIZE);
const BUF = memory.data(16);
const TX = memory.data(udp.DATA + 16);

function result(what: string, call: string, code: i32): void {
  log.begin("forger: ");
  log.str(what);
  log.str(" ");
  log.str(call);
  log.str("=");
  log.num(code);
  log.emit();
}

/** Try every capability call on a handle the service was never given. */
function forge(name: string, g: i32): void {
  result("guess " + name, "cap_info", sys_cap_info(g, <i32>INFO));
  result("guess " + name, "cap_derive", sys_cap_derive(g, RIGHT_SEND));
  result("guess " + name, "disk_read", sys_disk_read(g, 0, 0, <i32>BUF, 1));
  result("guess " + name, "cap_revoke", sys_cap_revoke(g));
}

/** Send data back to the commander from the address it was sent to; what sys_send said. */
function answer(data: string): i32 {
  let rx = ingress.RX;
  udp.begin(TX, ipv6.dst(rx), ipv6.src(rx), COMMAND_PORT, udp.srcPort(rx));
  return sys_send(<i32>TX, udp.finish(TX, text.utf8(udp.data(TX), 16, data)));
}

export function persia_event(): void {
  if (!untilTrigger("forge")) return;
  let h = sys_cap_find(CapKind.ADDR, 0);
  result("own", "cap_find", h >= 0 ? 0 : h);
  forge("0", 0);
  forge("1", 1);
  forge("-1", -1);
  forge("min", <i32>0x80000000);
  forge("-h", -h);
  forge("h+1", h + 1);
  forge("h-1", h - 1);
  forge("h+2", h + 2);
  forge("h-2", h - 2);
  forge("h+31", h + 31);
  forge("h^1", h ^ 1);
  forge("h^gen", h ^ 0x10000);
  forge("h^top", h ^ 0x40000000);
  result("own", "disk_read", sys_disk_read(h, 0, 0, <i32>BUF, 1));
  result("own", "cap_derive_read", sys_cap_derive(h, RIGHT_READ));

  let child = sys_cap_derive(h, RIGHT_SEND | RIGHT_RECV);
  result("child", "cap_derive", child >= 0 && child != h ? 0 : child);
  result("child", "cap_info", sys_cap_info(child, <i32>INFO) >= 0 ? 0 : -1);
  result("before", "send", answer("before"));
  let revoked = sys_cap_revoke(h);
  log.begin("forger: revoke=");
  log.num(revoked);
  log.str(" child=");
  log.num(sys_cap_info(child, <i32>INFO));
  log.str(" parent=");
  log.num(sys_cap_info(h, <i32>INFO));
  log.str(" derive=");
  log.num(sys_cap_derive(child, RIGHT_SEND));
  log.str(" send=");
  log.num(answer("after"));
  log.emit();
}

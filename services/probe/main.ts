// probe.sabz.city: service-to-service traffic through the kernel. Every second it
// resolves echo.sabz.city, sends an ICMPv6 Echo Request from its own first address to
// echo's address (identifier PROBE_ID, sequence counting up, its send time as the data),
// and logs each matching Echo Reply with the round-trip time from sys_clock. A failed
// resolve or send is logged when its error code changes, not every second. It answers no
// requests itself. Loaded by the kernel like any service.
import { Errno } from "../../abi/errno";
import { sys_send, sys_timer } from "../../abi/gen/persia";
import { addrs, icmpv6, ingress, ipv6, log, sys } from "../sdk/index";

const TARGET = "echo.sabz.city";
const PERIOD_MS: i32 = 1000;       // between two requests
const PROBE_ID: u32 = 0x7072;      // Echo identifier: "pr"
const TX_CAP: i32 = ipv6.HEADER + icmpv6.ECHO_DATA + 8;

const TX = memory.data(TX_CAP);
const TARGET_ADDR = memory.data(ipv6.ADDR_LEN);
const SENT_AT = memory.data(8);    // the request's data: send time in ms, i64 LE

let sent: u32 = 0;
let received: u32 = 0;
let seq: u32 = 0;
let due: i64 = 0;                  // when the next request is due (kernel ms)
let lastError: i32 = 0;            // last failure logged, so it is logged once

export function persia_init(): void {
  due = sys.clockMs() + PERIOD_MS;
  sys_timer(PERIOD_MS);
}

/** Called for queued packets and for the timer alike: read the replies, then send a
 *  request if one is due, and set the timer for the next one. */
export function persia_event(): void {
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    if (ingress.accept(n) == <i32>ipv6.NH_ICMPV6) onReply();
  }
  let now = sys.clockMs();
  if (now < 0) return;
  if (now >= due) {
    request(now);
    due = now + PERIOD_MS;
  }
  sys_timer(<i32>(due - now));
}

function request(now: i64): void {
  let r = sys.resolve(TARGET, TARGET_ADDR);
  if (r < 0) return failed("resolve", r);
  let from = addrs.own(0);
  if (from == 0) return failed("addr", -Errno.ENOENT);
  store<i64>(SENT_AT, now);
  seq = (seq + 1) & 0xffff;
  let len = icmpv6.echoRequest(TX, from, TARGET_ADDR, PROBE_ID, seq, SENT_AT, 8);
  r = sys_send(<i32>TX, len);
  if (r < 0) return failed("send", r);
  sent++;
  lastError = 0;
}

function onReply(): void {
  let p = ingress.RX;
  if (!icmpv6.isEcho(p, icmpv6.ECHO_REPLY) || icmpv6.echoId(p) != PROBE_ID) return;
  if (icmpv6.echoDataLen(p) != 8 || !ipv6.addrEq(ipv6.src(p), TARGET_ADDR)) return;
  received++;
  let rtt = sys.clockMs() - load<i64>(icmpv6.echoData(p));
  log.begin("probe: reply from ");
  log.str(TARGET);
  log.str(" seq=");
  log.num(icmpv6.echoSeq(p));
  log.str(" rtt=");
  log.num(rtt);
  log.str("ms");
  log.emit();
}

function failed(what: string, code: i32): void {
  if (code == lastError) return;
  lastError = code;
  log.begin("probe: ");
  log.str(what);
  log.str(" failed: ");
  log.num(code);
  log.emit();
}

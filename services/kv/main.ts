// kv.sabz.city: a key-value store over UDP port 7070, kept on the service's raw disk
// extent, or mirrored on two (store.ts, copies.ts). A request is one datagram of text:
// "PUT <key> <value>", "GET <key>", "DEL <key>" or "STATUS", optionally ending in "\n" or
// "\r\n"; the reply, to the sender's address and port, is "OK", "VALUE <value>",
// "NOT_FOUND", "STATUS <state of the copies>" or "ERR <reason>". A PUT or DEL is on disk
// and flushed before its OK. Its timer drives the store's background work (opening a
// large table, a mirror's resync and scrub), a bounded step per call. It does not answer
// ICMPv6 or any other port. Protocol: spec/services.md. Loaded by the kernel like any service.
import { sys_send, sys_timer } from "../../abi/gen/persia";
import { ingress, ipv6, sys, udp, text } from "../sdk/index";
import { equalsAscii, trimLineEnd } from "../sdk/bytes";
import * as store from "./store";
import { Result } from "./store";

/** The port kv listens on. */
const KV_PORT: u32 = 7070;
/** Reply buffer: headers, then "VALUE " (6 bytes) and the largest value. */
const TX_CAP: i32 = udp.DATA + 6 + store.VALUE_MAX;
const TX = memory.data(TX_CAP);

let due: i64 = 0;                  // when the store's background work is next due (ms)

export function persia_init(): void {
  store.begin();
  background();
}

export function persia_event(): void {
  store.begin();
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    if (ingress.accept(n) != <i32>ipv6.NH_UDP) continue;
    if (udp.dstPort(ingress.RX) != KV_PORT) continue;
    let len = handle(udp.data(ingress.RX), udp.dataLen(ingress.RX));
    sys_send(<i32>TX, len);
  }
  background();
}

/** Run the store's background work when due and set the timer for the next; a store
 *  with none (a single copy) sets no timer and is asked again at the next request. */
function background(): void {
  let now = sys.clockMs();
  if (now < 0 || now < due) return;
  let wait = store.tick();
  due = now + wait;
  if (wait > 0) sys_timer(wait);
}

/** Answer the request of n bytes at p into TX; returns the reply packet's length. */
function handle(p: usize, n: i32): i32 {
  udp.begin(TX, ipv6.dst(ingress.RX), ipv6.src(ingress.RX), KV_PORT, udp.srcPort(ingress.RX));
  n = trimLineEnd(p, n);
  if (equalsAscii(p, n, "STATUS")) return status();
  let cmd = wordLen(p, n);
  let isPut = equalsAscii(p, cmd, "PUT");
  let isGet = equalsAscii(p, cmd, "GET");
  if (cmd == n || !(isPut || isGet || equalsAscii(p, cmd, "DEL"))) return reply("ERR bad request");
  let key = p + <usize>(cmd + 1);
  let rest = n - cmd - 1;
  let klen = wordLen(key, rest);
  if (isPut ? klen == rest : klen != rest) return reply("ERR bad request");
  if (klen == 0 || klen > store.KEY_MAX || !isKey(key, klen)) return reply("ERR bad key");
  let vlen = rest - klen - 1;
  if (isPut && vlen > store.VALUE_MAX) return reply("ERR value too long");
  let r = store.ready();
  if (r != Result.OK) return answer(r);
  if (isPut) return answer(store.put(key, klen, key + <usize>(klen + 1), vlen));
  if (isGet) return answer(store.get(key, klen), true);
  return answer(store.del(key, klen));
}

/** Bytes before the first space (n if there is none). */
function wordLen(p: usize, n: i32): i32 {
  let i = 0;
  while (i < n && load<u8>(p + <usize>i) != 0x20) i++;
  return i;
}

/** A key has no space or control byte. */
function isKey(p: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    let b = load<u8>(p + <usize>i);
    if (b <= 0x20 || b == 0x7f) return false;
  }
  return true;
}

function status(): i32 {
  let r = store.ready();
  if (r != Result.OK) return answer(r);
  let m = text.utf8(udp.data(TX), TX_CAP - udp.DATA, "STATUS ");
  return udp.finish(TX, m + store.status(udp.data(TX) + <usize>m, TX_CAP - udp.DATA - m));
}

function answer(r: Result, withValue: bool = false): i32 {
  switch (r) {
    case Result.OK: {
      if (!withValue) return reply("OK");
      let m = text.utf8(udp.data(TX), TX_CAP - udp.DATA, "VALUE ");
      memory.copy(udp.data(TX) + <usize>m, store.value(), store.valueLen());
      return udp.finish(TX, m + store.valueLen());
    }
    case Result.NOT_FOUND: return reply("NOT_FOUND");
    case Result.NO_DISK: return reply("ERR no disk");
    case Result.TOO_SMALL: return reply("ERR disk too small");
    case Result.BAD_FORMAT: return reply("ERR bad disk format");
    case Result.FULL: return reply("ERR full");
    case Result.V1: return reply("ERR disk holds kv format 1: kv 2 never writes it");
    case Result.DIVERGED: return reply("ERR diverged: each mirror copy went on alone with writes the other lacks; see kv's log, detach the copy to give up");
    case Result.OPENING: {
      let m = text.utf8(udp.data(TX), TX_CAP - udp.DATA, "ERR opening: ");
      m += text.dec(udp.data(TX) + <usize>m, TX_CAP - udp.DATA - m, store.opened());
      m += text.utf8(udp.data(TX) + <usize>m, TX_CAP - udp.DATA - m, "% of the table read; ask again");
      return udp.finish(TX, m);
    }
    default: return reply("ERR io");
  }
}

function reply(s: string): i32 {
  return udp.finish(TX, text.utf8(udp.data(TX), TX_CAP - udp.DATA, s));
}

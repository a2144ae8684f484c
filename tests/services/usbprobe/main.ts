// Test service: a USB device's transfers by hand, over UDP port 7072, for the hosts' USB
// backend tests (Node over libusb, metal over xHCI, each against QEMU's emulated devices).
// One command per datagram; the answer goes back to the sender once the transfer has ended:
//   DESC                             → DESC <hex of usb_desc>
//   CTRL <16 hex setup> [<hex data>] → DONE <status> <hex>   (IN when bmRequestType bit 7:
//                                       wLength bytes; OUT: the data, whose length the
//                                       kernel checks against wLength)
//   BULK <ep hex> <len>|<hex data>   → DONE <status> <hex>   (IN endpoint: len bytes;
//   INTR <ep hex> <len>|<hex data>                            OUT endpoint: the data)
//   FIND <class> [<sub> <proto>]     → FIND <interface> <bulk IN> <bulk OUT> <interrupt IN>
//                                       (hex; "-" for none) from the descriptors, by
//                                       services/sdk/usb.ts; ERR ENOENT: no such interface
//   ID                               → ID <vendor>:<product> (4 hex digits each)
//   CLEAR <ep hex>                   → DONE <status>   (CLEAR_FEATURE(ENDPOINT_HALT): a stall's cure)
//   CANCEL                           → CANCEL <n>  (usb_cancel of every transfer in flight;
//                                       each still answers, DONE ECANCELED or how it ended)
//   EVENTS                           → EVENTS <attach|detach ...>, the plug events since start
// <status> is OK or an Errno name (EPIPE, ETIMEDOUT, ENODEV, ...), <hex> the bytes the
// transfer moved (IN: received; OUT: the first ones sent), lower-case, maybe empty. A command
// may end with ms=<timeout>; the default is 5000. "ERR <Errno name>" answers at once a command
// that cannot start: no USB capability (ENOENT), a submit the kernel refused (its errno), a
// malformed command (EINVAL), more than SLOTS in flight (ENOSPC), a reply too long (EMSGSIZE).
import { MTU_MAX, USB_DESC_MAX, USB_INFLIGHT } from "../../../abi/limits";
import { Errno } from "../../../abi/errno";
import { USB_DIR_IN, UR_LEN, UsbEvent, UsbType } from "../../../abi/usb";
import { sys_send } from "../../../abi/gen/persia";
import { bytes, ingress, ipv6, log, text, udp, usb } from "../../../services/sdk/index";

const PORT: u32 = 7072;
const TIMEOUT_DEFAULT: u32 = 5000;
const SLOTS: i32 = USB_INFLIGHT + 1;   // one more than the kernel takes, so its ENOSPC shows
const DATA_MAX: i32 = 4096;            // bytes of one transfer: its hex reply fits MTU_MAX
const EVENTS_MAX: i32 = 128;           // plug events remembered; later ones are only counted
const TOKENS: i32 = 4;                 // command word and up to 3 arguments (ms= aside)

const TX = memory.data(MTU_MAX);
const EV = memory.data(usb.EVENT_SIZE);
const REQ = memory.data(usb.REQUEST_SIZE);
const DESC = memory.data(USB_DESC_MAX);
const BUFS = memory.data(SLOTS * DATA_MAX);
const PEERS = memory.data(SLOTS * 2 * ipv6.ADDR_LEN);  // per slot: the client's address, then ours
const PORTS = memory.data(SLOTS * 4);                  // per slot: the client's port
const COOKIES = memory.data(SLOTS * 4);                // per slot: its transfer's cookie; 0 = free
const KINDS = memory.data(EVENTS_MAX);                 // UsbEvent of each plug event seen
const TOK_AT = memory.data(TOKENS * 4);
const TOK_LEN = memory.data(TOKENS * 4);
const BYTE = memory.data(1);                           // one number to print as hex

let generation: u32 = 0;   // goes in each cookie above the slot number, so a late event is ignored
let plugEvents: i32 = 0;
let tokens: i32 = 0;
let timeout: u32 = TIMEOUT_DEFAULT;
let out: i32 = 0;          // bytes of reply text written at udp.data(TX)

export function persia_event(): void {
  while (usb.nextEvent(EV)) onEvent();
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    if (ingress.accept(n) != <i32>ipv6.NH_UDP || udp.dstPort(ingress.RX) != PORT) continue;
    command(udp.data(ingress.RX), bytes.trimLineEnd(udp.data(ingress.RX), udp.dataLen(ingress.RX)));
  }
}

function onEvent(): void {
  let kind = usb.kind(EV);
  if (kind == UsbEvent.ATTACH || kind == UsbEvent.DETACH) {
    if (plugEvents < EVENTS_MAX) store<u8>(KINDS + <usize>plugEvents, <u8>kind);
    plugEvents++;
    log.begin(kind == UsbEvent.ATTACH ? "usbprobe: attach handle=" : "usbprobe: detach handle=");
    log.num(usb.handle(EV));
    log.emit();
    return;
  }
  if (kind != UsbEvent.COMPLETE) return;
  let cookie = usb.cookie(EV);
  let slot = <i32>(cookie & 0xff);
  if (slot >= SLOTS || cookie == 0 || load<u32>(COOKIES + <usize>(slot * 4)) != cookie) return;
  store<u32>(COOKIES + <usize>(slot * 4), 0);
  let moved = usb.actual(EV);
  begin(PEERS + <usize>(slot * 2 * ipv6.ADDR_LEN + ipv6.ADDR_LEN), PEERS + <usize>(slot * 2 * ipv6.ADDR_LEN),
    load<u32>(PORTS + <usize>(slot * 4)));
  put("DONE ");
  put(usb.errName(usb.status(EV)));
  put(" ");
  hex(BUFS + <usize>(slot * DATA_MAX), moved < 0 ? 0 : moved < DATA_MAX ? moved : DATA_MAX);
  send();
}

/** One command of n bytes at p, from the datagram in ingress.RX. */
function command(p: usize, n: i32): void {
  split(p, n);
  begin(ipv6.dst(ingress.RX), ipv6.src(ingress.RX), udp.srcPort(ingress.RX));
  if (tokens == 0) return refuse(Errno.EINVAL);
  if (word(p, 0, "EVENTS")) return events();
  let h = usb.first();
  if (h < 0) return refuse(-h);
  if (word(p, 0, "DESC")) return desc(h);
  if (word(p, 0, "FIND")) return find(p, h);
  if (word(p, 0, "ID")) return id(h);
  if (word(p, 0, "CANCEL")) return cancelAll(h);
  let slot = freeSlot();
  if (slot < 0) return refuse(Errno.ENOSPC);
  let buf = BUFS + <usize>(slot * DATA_MAX);
  let cookie = (++generation << 8) | <u32>slot;
  if (word(p, 0, "CTRL") && (tokens == 2 || tokens == 3) && hexSetup(p, 1)) {
    let len = tokens == 3 ? unhex(p, 2, buf) : <i32>(setupPacket >> 48);
    if (len < 0 || len > DATA_MAX) return refuse(Errno.EINVAL);
    usb.control(REQ, setupPacket, buf, timeout, cookie);
    store<u32>(REQ + UR_LEN, <u32>len);   // OUT: the data's length, which the kernel checks against wLength
  } else if (word(p, 0, "CLEAR") && tokens == 2 && hexEndpoint(p, 1) >= 0) {
    usb.control(REQ, usb.clearHalt(<u32>hexEndpoint(p, 1)), buf, timeout, cookie);
  } else if ((word(p, 0, "BULK") || word(p, 0, "INTR")) && tokens == 3) {
    let ep = hexEndpoint(p, 1);
    if (ep < 0) return refuse(Errno.EINVAL);
    let len = (<u32>ep & USB_DIR_IN) != 0 ? decimal(p, 2) : unhex(p, 2, buf);
    if (len < 0 || len > DATA_MAX) return refuse(Errno.EINVAL);
    usb.transfer(REQ, <u32>ep, buf, <u32>len, timeout, cookie);
  } else {
    return refuse(Errno.EINVAL);
  }
  let r = usb.submit(h, REQ);
  if (r < 0) return refuse(-r);
  store<u32>(COOKIES + <usize>(slot * 4), cookie);
  ipv6.addrCopy(PEERS + <usize>(slot * 2 * ipv6.ADDR_LEN), ipv6.src(ingress.RX));
  ipv6.addrCopy(PEERS + <usize>(slot * 2 * ipv6.ADDR_LEN + ipv6.ADDR_LEN), ipv6.dst(ingress.RX));
  store<u32>(PORTS + <usize>(slot * 4), udp.srcPort(ingress.RX));
}

function desc(h: i32): void {
  let n = usb.descriptors(h, DESC, USB_DESC_MAX);
  if (n < 0) return refuse(-n);
  put("DESC ");
  hex(DESC, n < USB_DESC_MAX ? n : USB_DESC_MAX);
  send();
}

function id(h: i32): void {
  let n = usb.descriptors(h, DESC, USB_DESC_MAX);
  if (n < 0) return refuse(-n);
  let v = usb.vendor(DESC, n), d = usb.product(DESC, n);
  if (v < 0 || d < 0) return refuse(Errno.EBADMSG);
  put("ID ");
  store<u8>(BYTE, <u8>(v >> 8)); hex(BYTE, 1); store<u8>(BYTE, <u8>v); hex(BYTE, 1);
  put(":");
  store<u8>(BYTE, <u8>(d >> 8)); hex(BYTE, 1); store<u8>(BYTE, <u8>d); hex(BYTE, 1);
  send();
}

function find(p: usize, h: i32): void {
  let cls = tokens >= 2 ? hexEndpoint(p, 1) : -1;
  let sub = tokens == 4 ? hexEndpoint(p, 2) : usb.ANY, proto = tokens == 4 ? hexEndpoint(p, 3) : usb.ANY;
  if (cls < 0 || sub < usb.ANY || proto < usb.ANY || tokens == 3) return refuse(Errno.EINVAL);
  let n = usb.descriptors(h, DESC, USB_DESC_MAX);
  if (n < 0) return refuse(-n);
  if (n > USB_DESC_MAX) n = USB_DESC_MAX;
  let iface = usb.findInterface(DESC, n, cls, sub, proto);
  if (iface < 0) return refuse(Errno.ENOENT);
  put("FIND ");
  store<u8>(BYTE, <u8>usb.interfaceNumber(DESC, iface));
  hex(BYTE, 1);
  endpoint(usb.findEndpoint(DESC, n, iface, UsbType.BULK, true));
  endpoint(usb.findEndpoint(DESC, n, iface, UsbType.BULK, false));
  endpoint(usb.findEndpoint(DESC, n, iface, UsbType.INTERRUPT, true));
  send();
}

/** " <address hex>" of the endpoint descriptor at `at` in DESC, or " -" for none. */
function endpoint(at: i32): void {
  if (at < 0) return put(" -");
  put(" ");
  store<u8>(BYTE, <u8>usb.endpointAddress(DESC, at));
  hex(BYTE, 1);
}

function cancelAll(h: i32): void {
  let total = 0;
  for (let s = 0; s < SLOTS; s++) {
    let c = load<u32>(COOKIES + <usize>(s * 4));
    if (c == 0) continue;
    let r = usb.cancel(h, c);
    if (r < 0) return refuse(-r);
    total += r;
  }
  put("CANCEL ");
  out += text.dec(udp.data(TX) + <usize>out, room(), total);
  send();
}

function events(): void {
  put("EVENTS");
  let seen = plugEvents < EVENTS_MAX ? plugEvents : EVENTS_MAX;
  for (let i = 0; i < seen; i++) put(load<u8>(KINDS + <usize>i) == UsbEvent.ATTACH ? " attach" : " detach");
  if (plugEvents > EVENTS_MAX) {
    put(" +");
    out += text.dec(udp.data(TX) + <usize>out, room(), plugEvents - EVENTS_MAX);
  }
  send();
}

function freeSlot(): i32 {
  for (let s = 0; s < SLOTS; s++) if (load<u32>(COOKIES + <usize>(s * 4)) == 0) return s;
  return -1;
}

// ——— the command's words ———

/** Split n bytes at p at spaces into up to TOKENS tokens; an "ms=<n>" token sets timeout. */
function split(p: usize, n: i32): void {
  tokens = 0;
  timeout = TIMEOUT_DEFAULT;
  let i = 0;
  while (i < n) {
    while (i < n && load<u8>(p + <usize>i) == 0x20) i++;
    let start = i;
    while (i < n && load<u8>(p + <usize>i) != 0x20) i++;
    if (i == start) break;
    if (bytes.startsWithAscii(p + <usize>start, i - start, "ms=")) {
      let ms = digits(p + <usize>(start + 3), i - start - 3);
      timeout = ms < 0 ? 0 : <u32>ms;   // 0: the kernel refuses it (EINVAL), which the test may want
      continue;
    }
    if (tokens == TOKENS) { tokens = 0; return; }   // too many words: malformed
    store<i32>(TOK_AT + <usize>(tokens * 4), start);
    store<i32>(TOK_LEN + <usize>(tokens * 4), i - start);
    tokens++;
  }
}

function at(t: i32): i32 { return load<i32>(TOK_AT + <usize>(t * 4)); }
function len(t: i32): i32 { return load<i32>(TOK_LEN + <usize>(t * 4)); }
function word(p: usize, t: i32, s: string): bool { return bytes.equalsAscii(p + <usize>at(t), len(t), s); }

/** A decimal number of 1 to 9 digits, or -1. */
function digits(q: usize, n: i32): i32 {
  if (n < 1 || n > 9) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    let c = <i32>load<u8>(q + <usize>i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function decimal(p: usize, t: i32): i32 { return digits(p + <usize>at(t), len(t)); }

function nibble(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  c |= 0x20;
  return c >= 0x61 && c <= 0x66 ? <i32>(c - 0x57) : -1;
}

/** Token t as hex bytes in wire order into dst: how many, or -1 (odd, not hex, over DATA_MAX). */
function unhex(p: usize, t: i32, dst: usize): i32 {
  let q = p + <usize>at(t), n = len(t);
  if ((n & 1) != 0 || n / 2 > DATA_MAX) return -1;
  for (let i = 0; i < n; i += 2) {
    let hi = nibble(load<u8>(q + <usize>i)), lo = nibble(load<u8>(q + <usize>(i + 1)));
    if (hi < 0 || lo < 0) return -1;
    store<u8>(dst + <usize>(i / 2), <u8>(hi << 4 | lo));
  }
  return n / 2;
}

let setupPacket: u64 = 0;

/** Token t as a setup packet, 16 hex digits in wire order, into setupPacket; false if not. */
function hexSetup(p: usize, t: i32): bool {
  if (len(t) != 16) return false;
  let q = p + <usize>at(t);
  setupPacket = 0;
  for (let i = 0; i < 8; i++) {
    let hi = nibble(load<u8>(q + <usize>(2 * i))), lo = nibble(load<u8>(q + <usize>(2 * i + 1)));
    if (hi < 0 || lo < 0) return false;
    setupPacket |= <u64>(hi << 4 | lo) << (8 * i);
  }
  return true;
}

/** Token t as an endpoint address, 1 or 2 hex digits; -1 if not. */
function hexEndpoint(p: usize, t: i32): i32 {
  let n = len(t);
  if (n < 1 || n > 2) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    let d = nibble(load<u8>(p + <usize>(at(t) + i)));
    if (d < 0) return -1;
    v = v << 4 | d;
  }
  return v;
}

// ——— the reply ———

let replyFrom: usize = 0;
let replyTo: usize = 0;
let replyPort: u32 = 0;

function begin(from: usize, to: usize, port: u32): void {
  replyFrom = from;
  replyTo = to;
  replyPort = port;
  out = 0;
}

function room(): i32 { return MTU_MAX - udp.DATA - out; }
function put(s: string): void { out += text.utf8(udp.data(TX) + <usize>out, room(), s); }

function hex(q: usize, n: i32): void {
  let d = udp.data(TX);
  for (let i = 0; i < n && room() >= 2; i++) {
    let b = <u32>load<u8>(q + <usize>i);
    store<u8>(d + <usize>out, <u8>((b >> 4) < 10 ? 0x30 + (b >> 4) : 0x57 + (b >> 4)));
    store<u8>(d + <usize>(out + 1), <u8>((b & 15) < 10 ? 0x30 + (b & 15) : 0x57 + (b & 15)));
    out += 2;
  }
}

function refuse(errno: i32): void {
  out = 0;
  put("ERR ");
  put(usb.errName(errno));
  send();
}

function send(): void {
  udp.begin(TX, replyFrom, replyTo, PORT, replyPort);
  let r = sys_send(<i32>TX, udp.finish(TX, out));
  if (r == -Errno.EMSGSIZE) {
    out = 0;
    put("ERR EMSGSIZE");
    udp.begin(TX, replyFrom, replyTo, PORT, replyPort);
    sys_send(<i32>TX, udp.finish(TX, out));
  }
}

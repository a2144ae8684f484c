// usbdisk.sabz.city: the blocks of a granted USB mass-storage device (Bulk-Only Transport,
// SCSI) served over UDP port 7071 in the style of kv. A request is one datagram: "INFO",
// "READ <addr>" or "WRITE <addr> <bytes>", where <addr> is "<lba>" or "<lba>:<part>"; the
// reply, to the sender's address and port, is "OK ...", "DATA <addr> <bytes>" or
// "ERR <reason>". A WRITE is answered OK only after WRITE(10) and SYNCHRONIZE CACHE(10) ended
// with good CSWs. One SCSI command is in flight at a time; up to QUEUE_MAX requests wait.
// Protocol: spec/services.md. The USB side is disk.ts, bot.ts, scsi.ts and services/sdk/usb.ts.
import { sys_send } from "../../abi/gen/persia";
import { UsbEvent } from "../../abi/usb";
import { ingress, ipv6, udp, text, usb } from "../sdk/index";
import { equalsAscii, trimLineEnd } from "../sdk/bytes";
import * as disk from "./disk";
import { Answer, OP_INFO, OP_READ, OP_WRITE, UNIT_MAX } from "./disk";
import * as queue from "./queue";
import * as scsi from "./scsi";

/** The port usbdisk listens on. */
const PORT: u32 = 7071;
/** Reply buffer: headers, "DATA <lba>:<part> " or INFO's line, and one unit of a block. */
const TX_CAP: i32 = udp.DATA + 64 + UNIT_MAX;
const TX = memory.data(TX_CAP);
const EV = memory.data(usb.EVENT_SIZE);

export function persia_init(): void {
  disk.init();
}

export function persia_event(): void {
  while (usb.nextEvent(EV)) settle(usbEvent());
  settle(disk.tick());
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    if (ingress.accept(n) != <i32>ipv6.NH_UDP) continue;
    if (udp.dstPort(ingress.RX) != PORT) continue;
    let err = enqueue(udp.data(ingress.RX), udp.dataLen(ingress.RX));
    if (err != null) sys_send(<i32>TX, reply(ingress.RX, err));
  }
  pump();
}

function usbEvent(): Answer {
  let kind = usb.kind(EV);
  if (kind == UsbEvent.ATTACH) return disk.attached();
  if (kind == UsbEvent.DETACH) return disk.detached();
  if (kind != UsbEvent.COMPLETE) return Answer.PENDING;
  return disk.completed(usb.status(EV), <u32>usb.actual(EV), usb.cookie(EV));
}

/** The head request got its answer a (or nothing yet, PENDING). */
function settle(a: Answer): void {
  if (a == Answer.PENDING) return;
  answer(queue.head(), a);
  queue.pop();
}

/** Start waiting requests while the disk takes them; answer those it answers at once. */
function pump(): void {
  while (!queue.empty() && disk.idle()) {
    let e = queue.head();
    let a = disk.start(queue.op(e), queue.lba(e), queue.part(e), queue.data(e), queue.len(e));
    if (a == Answer.PENDING) return;
    answer(e, a);
    queue.pop();
  }
}

// The address a request named, as parseAddr() found it.
let addrLba: u32 = 0;
let addrPart: i32 = -1;

/** Parse the n request bytes at p and queue the request; null, or the refusal to send. */
function enqueue(p: usize, n: i32): string | null {
  let cmd = 0;
  while (cmd < n && load<u8>(p + <usize>cmd) != 0x20) cmd++;
  if (equalsAscii(p, cmd, "WRITE")) {           // the data is binary: nothing is trimmed
    let a = p + <usize>(cmd + 1);
    let rest = n - cmd - 1;
    let alen = 0;
    while (alen < rest && load<u8>(a + <usize>alen) != 0x20) alen++;
    if (alen >= rest || !parseAddr(a, alen)) return "ERR bad request";
    let dlen = rest - alen - 1;
    if (dlen > UNIT_MAX) return "ERR bad length";
    return push(OP_WRITE, a + <usize>(alen + 1), dlen);
  }
  n = trimLineEnd(p, n);
  if (equalsAscii(p, n, "INFO")) return push(OP_INFO, 0, 0);
  if (equalsAscii(p, cmd, "READ") && cmd < n && parseAddr(p + <usize>(cmd + 1), n - cmd - 1)) {
    return push(OP_READ, 0, 0);
  }
  return "ERR bad request";
}

function push(op: i32, data: usize, len: i32): string | null {
  if (queue.full()) return "ERR busy";
  if (op == OP_INFO) { addrLba = 0; addrPart = -1; }
  queue.push(ingress.RX, op, addrLba, addrPart, data, len);
  return null;
}

/** "<lba>" or "<lba>:<part>", decimal, lba < 2^32, part < 10. */
function parseAddr(p: usize, n: i32): bool {
  let v: u64 = 0;
  let i = 0;
  while (i < n && i < 11 && isDigit(load<u8>(p + <usize>i))) { v = v * 10 + <u64>(load<u8>(p + <usize>i) - 0x30); i++; }
  if (i == 0 || i > 10 || v > 0xffffffff) return false;
  addrLba = <u32>v;
  addrPart = -1;
  if (i == n) return true;
  if (load<u8>(p + <usize>i) != 0x3a || n != i + 2 || !isDigit(load<u8>(p + <usize>(i + 1)))) return false;
  addrPart = <i32>load<u8>(p + <usize>(i + 1)) - 0x30;
  return true;
}

function isDigit(b: u8): bool { return b >= 0x30 && b <= 0x39; }

/** Send entry e's answer. */
function answer(e: usize, a: Answer): void {
  let h = queue.headers(e);
  let op = queue.op(e);
  if (a != Answer.DONE) { sys_send(<i32>TX, reply(h, error(a))); return; }
  if (op == OP_WRITE) { sys_send(<i32>TX, reply(h, "OK")); return; }
  begin(h);
  let d = udp.data(TX);
  let room = TX_CAP - udp.DATA;
  let m = 0;
  if (op == OP_INFO) {
    m = text.utf8(d, room, "OK ");
    m += text.dec(d + <usize>m, room - m, <i64>disk.blockCount());
    m += text.utf8(d + <usize>m, room - m, " ");
    m += text.dec(d + <usize>m, room - m, <i64>disk.blockSize());
    m += text.utf8(d + <usize>m, room - m, " ");
    m += ident(d + <usize>m, room - m, disk.IDENT, scsi.INQUIRY_VENDOR_LEN);
    m += text.utf8(d + <usize>m, room - m, " ");
    m += ident(d + <usize>m, room - m, disk.IDENT + <usize>scsi.INQUIRY_VENDOR_LEN, scsi.INQUIRY_PRODUCT_LEN);
  } else {
    m = text.utf8(d, room, "DATA ");
    m += text.dec(d + <usize>m, room - m, <i64>queue.lba(e));
    let part = queue.part(e);
    if (part >= 0) {
      m += text.utf8(d + <usize>m, room - m, ":");
      m += text.dec(d + <usize>m, room - m, part);
    }
    m += text.utf8(d + <usize>m, room - m, " ");
    memory.copy(d + <usize>m, disk.readData(), <usize>disk.unit());
    m += disk.unit();
  }
  sys_send(<i32>TX, udp.finish(TX, m));
}

/** An INQUIRY identification field without its trailing spaces, unprintable bytes as '.'. */
function ident(p: usize, room: i32, q: usize, len: i32): i32 {
  while (len > 0 && (load<u8>(q + <usize>(len - 1)) == 0x20 || load<u8>(q + <usize>(len - 1)) == 0)) len--;
  return text.printable(p, room, q, len);
}

function error(a: Answer): string {
  switch (a) {
    case Answer.NO_DEVICE: return "ERR no device";
    case Answer.DETACHED: return "ERR detached";
    case Answer.NOT_DISK: return "ERR not a disk";
    case Answer.BAD_BLOCK_SIZE: return "ERR bad block size";
    case Answer.TOO_LARGE: return "ERR disk too large";
    case Answer.NOT_READY: return "ERR not ready";
    case Answer.OUT_OF_RANGE: return "ERR out of range";
    case Answer.PART_NEEDED: return "ERR part needed";
    case Answer.BAD_LENGTH: return "ERR bad length";
    case Answer.WRITE_PROTECTED: return "ERR write protected";
    case Answer.STALLED: return "ERR stalled";
    default: return "ERR io";
  }
}

/** Start a reply to the request whose headers are at h. */
function begin(h: usize): void {
  udp.begin(TX, ipv6.dst(h), ipv6.src(h), PORT, udp.srcPort(h));
}

function reply(h: usize, s: string): i32 {
  begin(h);
  return udp.finish(TX, text.utf8(udp.data(TX), TX_CAP - udp.DATA, s));
}

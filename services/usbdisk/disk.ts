// The granted USB stick as a disk: its state (no device, detached, probing, ready, refused,
// broken), the probe (Reset Recovery, INQUIRY, TEST UNIT READY until ready, READ
// CAPACITY(10)) and one request at a time as a short sequence of SCSI commands over bot.ts
// (READ(10); WRITE(10) then SYNCHRONIZE CACHE(10), after a READ(10) when the client writes a
// part of a block). CHECK CONDITION is followed by REQUEST SENSE; a transport failure is
// retried up to RETRY_MAX times (bot.ts has done Reset Recovery). Each entry point returns
// the current request's answer, or PENDING. It does not parse or answer datagrams: main.ts.
import { Errno } from "../../abi/errno";
import { UsbType } from "../../abi/usb";
import { USB_DESC_MAX } from "../../abi/limits";
import { sys_timer } from "../../abi/gen/persia";
import * as sys from "../sdk/sys";
import * as line from "../sdk/log";
import * as usb from "../sdk/usb";
import * as bot from "./bot";
import { Outcome } from "./bot";
import * as scsi from "./scsi";

// The interface usbdisk drives (Mass Storage Class Specification Overview 1.4 §2, §3):
// class 8 mass storage, subclass 6 SCSI transparent command set, protocol 0x50 Bulk-Only.
const CLASS_MASS_STORAGE = 0x08;
const SUBCLASS_SCSI = 0x06;
const PROTOCOL_BOT = 0x50;

/** What a request gets. PENDING: nothing yet. DONE: its reply (main.ts formats it). */
export enum Answer {
  PENDING = 0, DONE, NO_DEVICE, DETACHED, NOT_DISK, BAD_BLOCK_SIZE, TOO_LARGE, NOT_READY,
  OUT_OF_RANGE, PART_NEEDED, BAD_LENGTH, WRITE_PROTECTED, STALLED, IO,
}

/** Requests (main.ts parses them). */
export const OP_NONE: i32 = 0;
export const OP_INFO: i32 = 1;
export const OP_READ: i32 = 2;
export const OP_WRITE: i32 = 3;

/** The most bytes of a block one datagram carries: blocks up to this size travel whole,
 *  larger ones (2048, 4096) in parts of this size. */
export const UNIT_MAX: i32 = 1024;
const BLOCK_MIN: u32 = 512;
const BLOCK_MAX: u32 = 4096;
/** Transport failures (stall, timeout, bad CSW) one SCSI command survives. */
const RETRY_MAX: i32 = 3;
/** TEST UNIT READY answered NOT READY: ask again after NOT_READY_MS, at most this often. */
const NOT_READY_MAX: i32 = 50;
const NOT_READY_MS: i32 = 100;

// Device states.
const NO_DEVICE = 0;   // no USB capability granted
const DETACHED = 1;    // unplugged: waiting for ATTACH
const PROBING = 2;
const READY = 3;
const FAILED = 4;      // the probe failed: the next request probes again
const REFUSED = 5;     // not a Bulk-Only SCSI disk, or a block length refused: until replugged
const BROKEN = 6;      // Reset Recovery failed: until replugged

// Steps: the SCSI command in flight.
const P_RESET = 0;
const P_INQUIRY = 1;
const P_TUR = 2;
const P_CAPACITY = 3;
const R_READ = 4;
const R_RMW_READ = 5;
const R_WRITE = 6;
const R_SYNC = 7;

const DESC = memory.data(USB_DESC_MAX);
const INQ = memory.data(scsi.INQUIRY_LEN);
const CAP = memory.data(scsi.CAPACITY_LEN);
const SENSE = memory.data(scsi.SENSE_LEN);
const BLOCK = memory.data(<i32>BLOCK_MAX);
/** INQUIRY's vendor and product identification, as INFO shows them. */
export const IDENT = memory.data(scsi.INQUIRY_VENDOR_LEN + scsi.INQUIRY_PRODUCT_LEN);

let handle: i32 = -1;
let state = NO_DEVICE;
let refusal = Answer.NOT_DISK;   // REFUSED and FAILED: what requests get
let step = P_RESET;
let sensing = false;
let waiting = false;              // a NOT READY pause; due at waitUntil
let waitUntil: i64 = 0;
let retries = 0;
let notReady = 0;
let blocks: u64 = 0;
let bsize: u32 = 0;
let op = OP_NONE;
let lba: u32 = 0;
let part: i32 = 0;
let reqData: usize = 0;
let reqLen: i32 = 0;

export function blockCount(): u64 { return blocks; }
export function blockSize(): u32 { return bsize; }
/** Bytes one READ answers or one WRITE carries. */
export function unit(): i32 { return <i32>bsize < UNIT_MAX ? <i32>bsize : UNIT_MAX; }
/** The part of the block the last READ asked for. */
export function readData(): usize { return BLOCK + <usize>(part * unit()); }
/** True when start() may be called: no probe and no request in flight. */
export function idle(): bool { return state != PROBING && op == OP_NONE; }

/** At start: find the granted device. The kernel tells a starting service of each of its
 *  devices that is present with an ATTACH event, which probes it. */
export function init(): void {
  handle = usb.first();
  state = handle < 0 ? NO_DEVICE : DETACHED;
}

/** ATTACH: probe afresh (the request in flight, if any, was cut off by the replug). */
export function attached(): Answer {
  let a = op != OP_NONE ? end(Answer.DETACHED) : Answer.PENDING;
  let n = usb.descriptors(handle, DESC, USB_DESC_MAX);
  if (n == -Errno.ENODEV) { state = DETACHED; return a; }
  if (n > USB_DESC_MAX) n = USB_DESC_MAX;
  let at = n < 0 ? -1 : usb.findInterface(DESC, n, CLASS_MASS_STORAGE, SUBCLASS_SCSI, PROTOCOL_BOT);
  let epIn = at < 0 ? -1 : usb.findEndpoint(DESC, n, at, UsbType.BULK, true);
  let epOut = at < 0 ? -1 : usb.findEndpoint(DESC, n, at, UsbType.BULK, false);
  if (epIn < 0 || epOut < 0) {
    state = REFUSED;
    refusal = Answer.NOT_DISK;
    sys.log("usbdisk: the granted USB device has no Bulk-Only SCSI interface with bulk IN and OUT endpoints; grant a mass-storage device");
    return a;
  }
  bot.begin(handle, usb.interfaceNumber(DESC, at), usb.endpointAddress(DESC, epIn), usb.endpointAddress(DESC, epOut));
  state = PROBING;
  waiting = false;
  notReady = 0;
  begin(P_RESET);
  issue();                  // no request is waiting, so this answers nobody
  return a;
}

/** DETACH: the request in flight, if any, gets "detached". */
export function detached(): Answer {
  bot.stop();
  state = DETACHED;
  waiting = false;
  return op != OP_NONE ? end(Answer.DETACHED) : Answer.PENDING;
}

/** A COMPLETE event of the device. */
export function completed(status: i32, actual: u32, cookie: u32): Answer {
  let o = bot.event(status, actual, cookie);
  return o == Outcome.PENDING ? Answer.PENDING : outcome(o);
}

/** Called on every persia_event: resume after a NOT READY pause once it is due. */
export function tick(): Answer {
  if (!waiting || sys.clockMs() < waitUntil) return Answer.PENDING;
  waiting = false;
  return issue();
}

/** Start a request (only when idle()): its answer now, or PENDING. */
export function start(what: i32, at: u32, which: i32, data: usize, len: i32): Answer {
  op = what;
  lba = at;
  part = which;
  reqData = data;
  reqLen = len;
  if (state == NO_DEVICE) return end(Answer.NO_DEVICE);
  if (state == DETACHED) return end(Answer.DETACHED);
  if (state == REFUSED) return end(refusal);
  if (state == BROKEN) return end(Answer.IO);
  if (state == FAILED) {                  // probe again, then carry on with this request
    state = PROBING;
    notReady = 0;
    begin(P_RESET);
    return issue();
  }
  return request();
}

/** The request on a ready disk: check it against the capacity, send its first command. */
function request(): Answer {
  if (op == OP_INFO) return end(Answer.DONE);
  if (<u64>lba >= blocks) return end(Answer.OUT_OF_RANGE);
  let parts = <i32>bsize / unit();
  if (part < 0) {
    if (parts > 1) return end(Answer.PART_NEEDED);
    part = 0;
  }
  if (part >= parts) return end(Answer.OUT_OF_RANGE);
  if (op == OP_READ) { begin(R_READ); return issue(); }
  if (reqLen != unit()) return end(Answer.BAD_LENGTH);
  if (parts > 1) { begin(R_RMW_READ); return issue(); }
  memory.copy(BLOCK, reqData, <usize>reqLen);
  begin(R_WRITE);
  return issue();
}

function begin(s: i32): void {
  step = s;
  retries = 0;
  sensing = false;
}

/** Send the current step's command. */
function issue(): Answer {
  let c = bot.cdb();
  let o: Outcome;
  switch (step) {
    case P_RESET: o = bot.reset(); break;
    case P_INQUIRY: o = bot.command(scsi.inquiry(c), INQ, scsi.INQUIRY_LEN, true); break;
    case P_TUR: o = bot.command(scsi.testUnitReady(c), 0, 0, false); break;
    case P_CAPACITY: o = bot.command(scsi.readCapacity(c), CAP, scsi.CAPACITY_LEN, true); break;
    case R_WRITE: o = bot.command(scsi.write(c, lba), BLOCK, <i32>bsize, false); break;
    case R_SYNC: o = bot.command(scsi.synchronizeCache(c), 0, 0, false); break;
    default: o = bot.command(scsi.read(c, lba), BLOCK, <i32>bsize, true);   // R_READ, R_RMW_READ
  }
  return o == Outcome.PENDING ? Answer.PENDING : outcome(o);
}

/** How the command (or the REQUEST SENSE after it) ended. */
function outcome(o: Outcome): Answer {
  if (o == Outcome.DETACHED) { state = DETACHED; return end(Answer.DETACHED); }
  if (o == Outcome.BROKEN) {
    state = BROKEN;
    sys.log("usbdisk: the device did not take a Bulk-Only Mass Storage Reset; answering ERR io until it is replugged");
    return end(Answer.IO);
  }
  if (sensing) {
    sensing = false;
    let n = bot.data();
    if (o != Outcome.PASSED || n < 3) return retry(Answer.IO);
    return sensed(scsi.senseKey(SENSE, n), scsi.senseCode(SENSE, n));
  }
  if (o == Outcome.PASSED) return passed();
  if (o == Outcome.FAILED) {
    sensing = true;
    let s = bot.command(scsi.requestSense(bot.cdb()), SENSE, scsi.SENSE_LEN, true);
    return s == Outcome.PENDING ? Answer.PENDING : outcome(s);
  }
  return retry(o == Outcome.STALLED ? Answer.STALLED : Answer.IO);
}

/** The step's command passed: check what it returned, go on to the next. */
function passed(): Answer {
  let n = bot.data();
  let whole = n == <i32>bsize && bot.residue() == 0;
  switch (step) {
    case P_RESET: begin(P_INQUIRY); return issue();
    case P_INQUIRY: {
      if (n < scsi.INQUIRY_MIN) return retry(Answer.IO);
      memory.copy(IDENT, INQ + scsi.INQUIRY_VENDOR, scsi.INQUIRY_VENDOR_LEN + scsi.INQUIRY_PRODUCT_LEN);
      begin(P_TUR);
      return issue();
    }
    case P_TUR: begin(P_CAPACITY); return issue();
    case P_CAPACITY: {
      if (n != scsi.CAPACITY_LEN || bot.residue() != 0) return retry(Answer.IO);
      return capacity(scsi.lastLba(CAP), scsi.blockLength(CAP));
    }
    case R_RMW_READ: {
      if (!whole) return retry(Answer.IO);
      memory.copy(BLOCK + <usize>(part * unit()), reqData, <usize>unit());
      begin(R_WRITE);
      return issue();
    }
    case R_WRITE: {
      if (!whole) return retry(Answer.IO);
      begin(R_SYNC);
      return issue();
    }
    case R_SYNC: return end(Answer.DONE);
  }
  return whole ? end(Answer.DONE) : retry(Answer.IO);   // R_READ
}

/** READ CAPACITY(10) answered: refuse what usbdisk cannot serve, else the disk is ready. */
function capacity(last: u32, len: u32): Answer {
  if (len < BLOCK_MIN || len > BLOCK_MAX || (len & (len - 1)) != 0) return refuse(Answer.BAD_BLOCK_SIZE, len);
  if (last == 0xffffffff) return refuse(Answer.TOO_LARGE, len);   // READ CAPACITY(16) territory
  blocks = <u64>last + 1;
  bsize = len;
  state = READY;
  line.begin("usbdisk: ready, ");
  line.num(<i64>blocks);
  line.str(" blocks of ");
  line.num(len);
  line.str(" bytes");
  line.emit();
  if (op == OP_NONE) return Answer.PENDING;
  return request();
}

function refuse(why: Answer, len: u32): Answer {
  state = REFUSED;
  refusal = why;
  line.begin("usbdisk: refusing the device: block length ");
  line.num(len);
  line.str(why == Answer.TOO_LARGE ? ", more than 2^32 blocks (READ CAPACITY(16) is not supported)" : " is not 512, 1024, 2048 or 4096");
  line.emit();
  return op != OP_NONE ? end(why) : Answer.PENDING;
}

/** CHECK CONDITION: what the sense key says to do. */
function sensed(key: i32, asc: u32): Answer {
  if (key == <i32>scsi.UNIT_ATTENTION || key == <i32>scsi.NO_SENSE) return retry(Answer.IO);
  if (key == <i32>scsi.NOT_READY) {
    if (step != P_TUR || ++notReady > NOT_READY_MAX) return end(Answer.NOT_READY);
    waiting = true;
    waitUntil = sys.clockMs() + NOT_READY_MS;
    sys_timer(NOT_READY_MS);
    return Answer.PENDING;
  }
  if (key == <i32>scsi.ILLEGAL_REQUEST) {
    if (step == R_SYNC) return end(Answer.DONE);   // no cache to synchronize (SBC-2 §5.18)
    if (asc == scsi.ASC_LBA_OUT_OF_RANGE) return end(Answer.OUT_OF_RANGE);
  }
  if (key == <i32>scsi.DATA_PROTECT) return end(Answer.WRITE_PROTECTED);
  return end(Answer.IO);                           // MEDIUM ERROR, HARDWARE ERROR, ...
}

function retry(why: Answer): Answer {
  if (++retries <= RETRY_MAX) { sensing = false; return issue(); }
  return end(why);
}

/** The request (or the probe) is over with answer a. */
function end(a: Answer): Answer {
  if (state == PROBING) { state = FAILED; refusal = a; }
  if (op == OP_NONE) return Answer.PENDING;
  op = OP_NONE;
  return a;
}

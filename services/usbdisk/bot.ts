// USB Mass Storage Bulk-Only Transport 1.0 (BOT), the host's side: one command at a time
// as CBW → data → CSW, each a transfer submitted with usb_submit and finished by a
// usb_event, so the machine moves one step per event. A stalled data phase has its halt
// cleared and the CSW is read; a stalled CSW is cleared and read once more (§6.7.2, §6.7.3).
// A CSW that is not valid or not meaningful (§6.3: size, signature, tag, residue, status) or a
// phase error is followed by Reset Recovery (§5.3.4: Bulk-Only Mass Storage Reset, then
// CLEAR_FEATURE(ENDPOINT_HALT) on bulk IN and OUT) before the command is reported failed.
// It retries nothing itself and knows no SCSI: disk.ts builds CDBs and decides. LUN 0 only.
import { Errno } from "../../abi/errno";
import * as usb from "../sdk/usb";

// Command Block Wrapper (BOT §5.1), 31 bytes, little-endian:
//   0 dCBWSignature 0x43425355 ("USBC")   4 dCBWTag   8 dCBWDataTransferLength
//  12 bmCBWFlags (bit 7: data IN)  13 bCBWLUN  14 bCBWCBLength (1..16)  15 CBWCB[16]
const CBW_SIG = 0;
const CBW_TAG = 4;
const CBW_LEN = 8;
const CBW_FLAGS = 12;
const CBW_LUN = 13;
const CBW_CBLEN = 14;
const CBW_CB = 15;
const CBW_SIZE = 31;
const CBW_SIGNATURE: u32 = 0x43425355;
const CBW_FLAG_IN: u8 = 0x80;
// Command Status Wrapper (§5.2), 13 bytes: 0 dCSWSignature 0x53425355 ("USBS"),
//   4 dCSWTag (the CBW's), 8 dCSWDataResidue, 12 bCSWStatus (0 passed, 1 failed, 2 phase error).
const CSW_SIG = 0;
const CSW_TAG = 4;
const CSW_RESIDUE = 8;
const CSW_STATUS = 12;
const CSW_SIZE = 13;
const CSW_SIGNATURE: u32 = 0x53425355;
const CSW_PASSED: u32 = 0;
const CSW_FAILED: u32 = 1;
// Bulk-Only Mass Storage Reset (BOT §3.1): a class request to the interface, no data.
const REQ_BOMS_RESET: u32 = 0xff;
const TYPE_CLASS_INTERFACE_OUT: u32 = 0x21;   // class, to an interface, host to device
// Timeouts in ms: the CBW and control requests are small; the data and CSW wait for the
// medium (a flush of the device's cache answers in the CSW).
const T_SHORT: i32 = 5000;
const T_MEDIUM: i32 = 20000;

/** How a command ended (event() and command() return it). */
export enum Outcome {
  PENDING = 0,    // still going: wait for the next event
  PASSED = 1,     // good CSW with status 0: data() bytes moved, residue() from the CSW
  FAILED = 2,     // good CSW with status 1: ask REQUEST SENSE why
  STALLED = 3,    // an endpoint stalled and the command could not finish; reset recovered
  IO = 4,         // timeout, babble, short CBW, bad CSW or phase error; reset recovered
  BROKEN = 5,     // Reset Recovery itself failed: the device is unusable until replugged
  DETACHED = 6,   // the device is gone (ENODEV)
}

// Where the current command is: which transfer the next event finishes.
const IDLE: u32 = 0;
const CBW: u32 = 1;
const DATA: u32 = 2;
const CLEAR_DATA: u32 = 3;
const CSW: u32 = 4;
const CLEAR_CSW: u32 = 5;
const CSW_AGAIN: u32 = 6;
const RESET: u32 = 7;
const RESET_IN: u32 = 8;
const RESET_OUT: u32 = 9;

const WRAPPER = memory.data(CBW_SIZE + 1);
const STATUS = memory.data(16);
const REQ = memory.data(usb.REQUEST_SIZE);

let handle: i32 = -1;
let iface: u32 = 0;
let epIn: u32 = 0;
let epOut: u32 = 0;
let gen: u32 = 0;          // bumped by begin() and stop(): events of older transfers are ignored
let phase: u32 = IDLE;
let tag: u32 = 0;
let dataPtr: usize = 0;
let dataLen: i32 = 0;
let dirIn = false;
let moved: i32 = 0;
let residueV: u32 = 0;
let failure: Outcome = Outcome.IO;   // what to report once Reset Recovery is done
let resetOnly = false;               // reset() rather than a command is running

/** Use this device's interface and bulk endpoints from now on. */
export function begin(h: i32, ifaceNumber: u32, inEp: u32, outEp: u32): void {
  handle = h;
  iface = ifaceNumber;
  epIn = inEp;
  epOut = outEp;
  stop();
}

/** Forget the command in flight (unplugged): its events will be ignored. */
export function stop(): void {
  gen++;
  phase = IDLE;
}

export function busy(): bool { return phase != IDLE; }
/** Bytes the data phase moved. */
export function data(): i32 { return moved; }
/** The CSW's dCSWDataResidue. */
export function residue(): u32 { return residueV; }

/** Where disk.ts writes the CDB (up to 16 bytes) before command(). */
export function cdb(): usize { return WRAPPER + CBW_CB; }

/** Send the CDB of cbLen bytes with a data phase of len bytes at p (IN when dirIn). */
export function command(cbLen: i32, p: usize, len: i32, into: bool): Outcome {
  tag++;
  store<u32>(WRAPPER + CBW_SIG, CBW_SIGNATURE);
  store<u32>(WRAPPER + CBW_TAG, tag);
  store<u32>(WRAPPER + CBW_LEN, <u32>len);
  store<u8>(WRAPPER + CBW_FLAGS, into ? CBW_FLAG_IN : 0);
  store<u8>(WRAPPER + CBW_LUN, 0);
  store<u8>(WRAPPER + CBW_CBLEN, <u8>cbLen);
  memory.fill(WRAPPER + CBW_CB + <usize>cbLen, 0, <usize>(16 - cbLen));
  dataPtr = p;
  dataLen = len;
  dirIn = into;
  moved = 0;
  residueV = 0;
  resetOnly = false;
  return go(CBW, epOut, WRAPPER, CBW_SIZE, 0, T_SHORT);
}

/** Reset Recovery on its own (a probe starts with it): PASSED or BROKEN when done. */
export function reset(): Outcome {
  resetOnly = true;
  failure = Outcome.PASSED;
  return go(RESET, 0, REQ, 0, bomsReset(), T_SHORT);
}

/** A COMPLETE event of this device: status (0 or -Errno), bytes moved, cookie. */
export function event(status: i32, actual: u32, cookie: u32): Outcome {
  if (phase == IDLE || cookie != (gen << 4 | phase)) return Outcome.PENDING;   // not ours now
  if (status == -Errno.ENODEV) { phase = IDLE; return Outcome.DETACHED; }
  let ok = status == 0;
  let stall = status == -Errno.EPIPE;
  switch (phase) {
    case CBW:
      if (ok && actual == <u32>CBW_SIZE) return dataLen > 0 ? dataPhase() : readCsw(CSW);
      return recover(stall ? Outcome.STALLED : Outcome.IO);
    case DATA:
      moved = actual <= <u32>dataLen ? <i32>actual : dataLen;
      if (ok) return readCsw(CSW);
      if (stall) return go(CLEAR_DATA, 0, REQ, 0, clearHalt(dirIn ? epIn : epOut), T_SHORT);
      return recover(Outcome.IO);
    case CLEAR_DATA:
      return ok ? readCsw(CSW) : recover(Outcome.STALLED);
    case CSW:
      if (ok) return checkCsw(actual);
      if (stall) return go(CLEAR_CSW, 0, REQ, 0, clearHalt(epIn), T_SHORT);
      return recover(Outcome.IO);
    case CLEAR_CSW:
      return ok ? readCsw(CSW_AGAIN) : recover(Outcome.STALLED);
    case CSW_AGAIN:
      if (ok) return checkCsw(actual);
      return recover(stall ? Outcome.STALLED : Outcome.IO);
    case RESET:
      return ok ? go(RESET_IN, 0, REQ, 0, clearHalt(epIn), T_SHORT) : broken();
    case RESET_IN:
      return ok ? go(RESET_OUT, 0, REQ, 0, clearHalt(epOut), T_SHORT) : broken();
    case RESET_OUT:
      if (!ok) return broken();
      phase = IDLE;
      return failure;
  }
  return Outcome.PENDING;
}

function dataPhase(): Outcome {
  return go(DATA, dirIn ? epIn : epOut, dataPtr, dataLen, 0, T_MEDIUM);
}

function readCsw(next: u32): Outcome {
  memory.fill(STATUS, 0, CSW_SIZE);
  return go(next, epIn, STATUS, CSW_SIZE, 0, T_MEDIUM);
}

/** A CSW is valid when 13 bytes, signed and tagged as the CBW; meaningful when its status is
 *  passed or failed and its residue is no more than the transfer length (§6.3). */
function checkCsw(actual: u32): Outcome {
  if (actual != <u32>CSW_SIZE || load<u32>(STATUS + CSW_SIG) != CSW_SIGNATURE ||
      load<u32>(STATUS + CSW_TAG) != tag) return recover(Outcome.IO);
  let st = <u32>load<u8>(STATUS + CSW_STATUS);
  residueV = load<u32>(STATUS + CSW_RESIDUE);
  if (st > CSW_FAILED || residueV > <u32>dataLen) return recover(Outcome.IO);
  phase = IDLE;
  return st == CSW_PASSED ? Outcome.PASSED : Outcome.FAILED;
}

/** Reset Recovery, then report why it was needed. */
function recover(why: Outcome): Outcome {
  failure = why;
  return go(RESET, 0, REQ, 0, bomsReset(), T_SHORT);
}

function broken(): Outcome {
  phase = IDLE;
  return resetOnly ? Outcome.PASSED : Outcome.BROKEN;
}

function clearHalt(ep: u32): u64 { return usb.clearHalt(ep); }
function bomsReset(): u64 { return usb.setup(TYPE_CLASS_INTERFACE_OUT, REQ_BOMS_RESET, 0, iface, 0); }

/** Submit the next transfer of the command; if the kernel refuses it, say how it ended. */
function go(next: u32, ep: u32, p: usize, len: i32, setupPacket: u64, timeout: i32): Outcome {
  phase = next;
  let cookie = gen << 4 | next;
  if (ep == 0) usb.control(REQ, setupPacket, p, <u32>timeout, cookie);
  else usb.transfer(REQ, ep, p, <u32>len, <u32>timeout, cookie);
  let r = usb.submit(handle, REQ);
  if (r == 0) return Outcome.PENDING;
  if (r == -Errno.ENODEV) { phase = IDLE; return Outcome.DETACHED; }
  if (next >= RESET) return broken();
  return recover(Outcome.IO);
}

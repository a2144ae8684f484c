// The SCSI commands usbdisk sends (SPC-3 and SBC-2 as USB sticks implement them): each
// writes its CDB at the pointer bot.cdb() gives and returns the CDB's length; and readers
// for what comes back (INQUIRY's vendor and product, READ CAPACITY(10), sense data). CDB
// fields are big-endian. It sends nothing and keeps no state; disk.ts does both.
import { st8, st16, st32, ld32 } from "../sdk/bytes";

// Operation codes (SPC-3 §6, SBC-2 §5).
const TEST_UNIT_READY: u32 = 0x00;
const REQUEST_SENSE: u32 = 0x03;
const INQUIRY: u32 = 0x12;
const READ_CAPACITY_10: u32 = 0x25;
const READ_10: u32 = 0x28;
const WRITE_10: u32 = 0x2a;
const SYNCHRONIZE_CACHE_10: u32 = 0x35;

/** Bytes asked of INQUIRY: the standard data up to the product revision (SPC-3 §6.4.2). */
export const INQUIRY_LEN: i32 = 36;
/** Bytes INQUIRY must return for vendor (8..15) and product (16..31) identification. */
export const INQUIRY_MIN: i32 = 32;
export const INQUIRY_VENDOR: i32 = 8;
export const INQUIRY_VENDOR_LEN: i32 = 8;
export const INQUIRY_PRODUCT: i32 = 16;
export const INQUIRY_PRODUCT_LEN: i32 = 16;
/** READ CAPACITY(10) data (SBC-2 §5.10.2): last LBA (4), block length in bytes (4). */
export const CAPACITY_LEN: i32 = 8;
/** Fixed-format sense data asked of REQUEST SENSE (SPC-3 §4.5.3). */
export const SENSE_LEN: i32 = 18;

// Sense keys (SPC-3 §4.5.6).
export const NO_SENSE: u32 = 0x0;
export const NOT_READY: u32 = 0x2;
export const MEDIUM_ERROR: u32 = 0x3;
export const ILLEGAL_REQUEST: u32 = 0x5;
export const UNIT_ATTENTION: u32 = 0x6;
export const DATA_PROTECT: u32 = 0x7;
/** Additional sense code "LOGICAL BLOCK ADDRESS OUT OF RANGE" (with ILLEGAL REQUEST). */
export const ASC_LBA_OUT_OF_RANGE: u32 = 0x21;

export function testUnitReady(c: usize): i32 { return six(c, TEST_UNIT_READY, 0); }
export function requestSense(c: usize): i32 { return six(c, REQUEST_SENSE, SENSE_LEN); }
export function inquiry(c: usize): i32 {
  six(c, INQUIRY, 0);
  st16(c + 3, <u32>INQUIRY_LEN);   // allocation length is 16 bits in SPC-3
  return 6;
}
export function readCapacity(c: usize): i32 { return ten(c, READ_CAPACITY_10, 0, 0); }
/** READ(10) or WRITE(10) of one block at lba. */
export function read(c: usize, lba: u32): i32 { return ten(c, READ_10, lba, 1); }
export function write(c: usize, lba: u32): i32 { return ten(c, WRITE_10, lba, 1); }
/** SYNCHRONIZE CACHE(10) of the whole medium (LBA 0, 0 blocks: to the end). */
export function synchronizeCache(c: usize): i32 { return ten(c, SYNCHRONIZE_CACHE_10, 0, 0); }

/** READ CAPACITY(10) data at p: the last LBA and the block length. */
export function lastLba(p: usize): u32 { return ld32(p); }
export function blockLength(p: usize): u32 { return ld32(p + 4); }

/** The sense key of n bytes of sense data at p, fixed (0x70/0x71) or descriptor (0x72/0x73)
 *  format; -1 when they are neither or too short to say. */
export function senseKey(p: usize, n: i32): i32 {
  let code = <u32>load<u8>(p) & 0x7f;
  if ((code == 0x70 || code == 0x71) && n >= 3) return <i32>(load<u8>(p + 2) & 0x0f);
  if ((code == 0x72 || code == 0x73) && n >= 2) return <i32>(load<u8>(p + 1) & 0x0f);
  return -1;
}

/** The additional sense code, or 0 when the data does not carry it. */
export function senseCode(p: usize, n: i32): u32 {
  let code = <u32>load<u8>(p) & 0x7f;
  if ((code == 0x70 || code == 0x71) && n >= 13) return <u32>load<u8>(p + 12);
  if ((code == 0x72 || code == 0x73) && n >= 3) return <u32>load<u8>(p + 2);
  return 0;
}

function six(c: usize, op: u32, alloc: i32): i32 {
  memory.fill(c, 0, 6);
  st8(c, op);
  st8(c + 4, <u32>alloc);
  return 6;
}

function ten(c: usize, op: u32, lba: u32, blocks: u32): i32 {
  memory.fill(c, 0, 10);
  st8(c, op);
  st32(c + 2, lba);
  st16(c + 7, blocks);
  return 10;
}

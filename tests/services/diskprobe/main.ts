// Test service: probes the edges of its disk extent. It answers ICMPv6 Echo Requests as
// echo does, and on a UDP datagram to port 9 whose data starts with "oob"
// (tests/services/trigger.ts) it reads and writes at offsets outside its first disk
// extent — at its end, across its end, 4 GiB on, and offsets whose high or low word is
// all ones — logging "diskprobe: <what>=<code>" for each (the kernel must say -ERANGE),
// then writes MARK into the last bytes of the extent, reads them back and logs
// "diskprobe: inside write=<n> read=<n> same=<0|1>"; last, through a READ-only capability
// derived from the extent's, tries to write MARK at the extent's start and to flush (the
// kernel must say -EPERM) and reads MARK back: "diskprobe: read-only derive=<0|code>
// write=<code> flush=<code> read=<n> same=<0|1>". Used by tests/integration/hostile.test.ts.
import { sys_cap_derive, sys_disk_flush, sys_disk_read, sys_disk_write } from "../../../abi/gen/persia";
import { RIGHT_READ } from "../../../abi/caps";
import { bytes, log, sys, text } from "../../../services/sdk/index";
import { untilTrigger } from "../trigger";

const MARK = "persia-diskprobe";   // 16 ASCII bytes
const MARK_LEN: i32 = 16;
const BUF = memory.data(64);
const BACK = memory.data(64);

function result(what: string, op: string, code: i64): void {
  log.begin("diskprobe: ");
  log.str(what);
  log.str(op);
  log.str("=");
  log.num(code);
  log.emit();
}

/** Read then write len bytes at the 64-bit offset (hi << 32 | lo), logging both codes. */
function probe(what: string, h: i32, lo: i32, hi: i32, len: i32): void {
  result(what, " read", sys_disk_read(h, lo, hi, <i32>BUF, len));
  result(what, " write", sys_disk_write(h, lo, hi, <i32>BUF, len));
}

export function persia_event(): void {
  if (!untilTrigger("oob")) return;
  let h = sys.firstDisk();
  let ext = sys.diskLength(h);
  result("extent", "", ext);
  if (h < 0 || ext < MARK_LEN) return;
  let end = <i32>ext;
  memory.fill(BUF, 0x58, 64);     // 'X': what an out-of-extent write would leave behind
  probe("at end", h, end, 0, 1);
  probe("across end", h, end - 8, 0, 16);
  probe("at 4GiB", h, 0, 1, 1);
  probe("low ones", h, -1, 0, 1);
  probe("all ones", h, -1, -1, 1);
  probe("minus extent", h, -end, -1, 1);
  probe("high bit", h, 0, <i32>0x80000000, 1);
  let at = end - MARK_LEN;
  let n = text.utf8(BUF, MARK_LEN, MARK);
  let w = sys_disk_write(h, at, 0, <i32>BUF, n);
  let r = sys_disk_read(h, at, 0, <i32>BACK, n);
  log.begin("diskprobe: inside write=");
  log.num(w);
  log.str(" read=");
  log.num(r);
  log.str(" same=");
  log.num(bytes.equal(BUF, BACK, n) ? 1 : 0);
  log.emit();
  readOnly(h, at, n);
}

/** Write and flush through a READ-only capability derived from h, then read at `at`. */
function readOnly(h: i32, at: i32, n: i32): void {
  let ro = sys_cap_derive(h, RIGHT_READ);
  memory.fill(BACK, 0, 64);
  log.begin("diskprobe: read-only derive=");
  log.num(ro < 0 ? ro : 0);
  log.str(" write=");
  log.num(sys_disk_write(ro, 0, 0, <i32>BUF, n));
  log.str(" flush=");
  log.num(sys_disk_flush(ro));
  log.str(" read=");
  log.num(sys_disk_read(ro, at, 0, <i32>BACK, n));
  log.str(" same=");
  log.num(bytes.equal(BUF, BACK, n) ? 1 : 0);
  log.emit();
}

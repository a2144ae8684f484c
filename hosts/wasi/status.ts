// The status line the image prints on stdout: IMG_STATUS_PREFIX ("status "), the kernel's
// status snapshot (k_status, in Buf.STATUS) in base64 (RFC 4648 section 4, with padding),
// then a newline — what `persia` decodes with loader/status/decode.ts like the Node host's.
// The snapshot is copied from kernel memory in chunks of 3072 bytes, each encoded into
// 4096 characters, so any snapshot size works without allocating.
// Does not decode the snapshot or add host counters (vxlan.ts printHostLine prints the
// NICs' on the line before). Used by loop.ts.
import { k_status, k_buf, glue_k_read } from "../../abi/gen/shim";
import { Buf } from "../../abi/kernel";
import { IMG_STATUS_PREFIX } from "../../abi/image";
import { begin, end, put, putBytes, stdout } from "./out";

const IN_CHUNK: i32 = 3072;                 // a multiple of 3: no padding inside the line
const OUT_CHUNK: i32 = IN_CHUNK / 3 * 4;
const RAW: usize = memory.data(IN_CHUNK, 8);
const TEXT: usize = memory.data(OUT_CHUNK, 8);

/** The base64 alphabet's character for a 6-bit value. */
function b64(v: u32): u8 {
  v &= 63;
  if (v < 26) return <u8>(65 + v);        // A-Z
  if (v < 52) return <u8>(97 + v - 26);   // a-z
  if (v < 62) return <u8>(48 + v - 52);   // 0-9
  return v == 62 ? <u8>43 : <u8>47;       // + /
}

/** Encodes [src, +len) into dst (4 characters for each started 3 bytes, "=" padded);
 *  returns the number of characters written. */
export function base64(src: usize, len: i32, dst: usize): i32 {
  let o = 0;
  let i = 0;
  for (; i + 3 <= len; i += 3) {
    let v = <u32>load<u8>(src + i) << 16 | <u32>load<u8>(src + i + 1) << 8 | <u32>load<u8>(src + i + 2);
    store<u8>(dst + o, b64(v >> 18));
    store<u8>(dst + o + 1, b64(v >> 12));
    store<u8>(dst + o + 2, b64(v >> 6));
    store<u8>(dst + o + 3, b64(v));
    o += 4;
  }
  let rest = len - i;
  if (rest > 0) {
    let v = <u32>load<u8>(src + i) << 16 | (rest == 2 ? <u32>load<u8>(src + i + 1) << 8 : 0);
    store<u8>(dst + o, b64(v >> 18));
    store<u8>(dst + o + 1, b64(v >> 12));
    store<u8>(dst + o + 2, rest == 2 ? b64(v >> 6) : 61);
    store<u8>(dst + o + 3, 61);
    o += 4;
  }
  return o;
}

/** Asks the kernel for its status and prints one status line on stdout. */
export function printStatus(): void {
  let len = k_status();
  let at = k_buf(Buf.STATUS);
  begin(stdout());
  put(IMG_STATUS_PREFIX);
  for (let done = 0; done < len;) {
    let n = min(len - done, IN_CHUNK);
    if (glue_k_read(<i32>RAW, at + done, n) != 0) break;   // a length past its buffer: a kernel bug, the line ends short
    putBytes(TEXT, base64(RAW, n, TEXT));
    done += n;
  }
  end();
}

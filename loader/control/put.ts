// A PUT's messages as bytes (abi/control.ts PT_*, CK_*; spec/control.md "Module transfer
// (PUT)"): the signed PUT's body, each CHUNK (unsigned: the transfer id and the cookie
// authenticate it), and what the node's answers say — the transfer id and which chunks it
// holds. No I/O: cli/put.ts sends them, and the tests drive a node with them.
import * as C from "../../abi/control";
import { PUT_CHUNK, PUT_WINDOW } from "../../abi/limits";
import { unsigned } from "./message";

/** A chunk is padded to this many bytes at least, so that the node's answer — which before
 *  a message is authenticated is never longer than it — has room for its text. */
export const CHUNK_PAD = 400;

/** The PUT's body: the module's SHA-256, its size and the domain it is for. */
export function putBody(hash: Uint8Array, size: number, domain: string): Uint8Array {
  const name = new TextEncoder().encode(domain);
  const b = new Uint8Array(C.PT_NAME + name.length);
  const v = new DataView(b.buffer);
  b.set(hash.subarray(0, 32), C.PT_HASH);
  v.setUint32(C.PT_SIZE, size, true);
  b[C.PT_NAME_LEN] = name.length;
  b.set(name, C.PT_NAME);
  return b;
}

/** How many chunks a module of `size` bytes is sent in. */
export function chunkCount(size: number): number { return Math.ceil(size / PUT_CHUNK); }

/** CHUNK `index` of `module` for transfer `id`: the header carries the user's key, the
 *  node's epoch, the chunk's index as seq and the source address's cookie. `answer`: flag
 *  it CK_ANSWER, so that the node answers it (else it only writes it). */
export function chunkMessage(key: Uint8Array, epoch: bigint, cookie: Uint8Array, id: Uint8Array, module: Uint8Array,
  index: number, answer = true): Uint8Array {
  const data = module.subarray(index * PUT_CHUNK, Math.min(module.length, (index + 1) * PUT_CHUNK));
  const body = new Uint8Array(C.CK_DATA + data.length);
  const v = new DataView(body.buffer);
  body.set(id.subarray(0, C.PUT_ID_BYTES), C.CK_ID);
  v.setUint32(C.CK_INDEX, index, true);
  v.setUint16(C.CK_LEN, data.length, true);
  body[C.CK_FLAGS] = answer ? C.CK_ANSWER : 0;
  body.set(data, C.CK_DATA);
  const m = unsigned(C.Op.CHUNK, key, body, CHUNK_PAD);
  const h = new DataView(m.buffer, m.byteOffset, m.byteLength);
  h.setBigUint64(C.CTL_EPOCH, epoch, true);
  h.setBigUint64(C.CTL_SEQ, BigInt(index), true);
  m.set(cookie.subarray(0, C.COOKIE_BYTES), C.CTL_COOKIE);
  return m;
}

/** What an answer says the node holds: every chunk before `base`, and of the PUT_WINDOW
 *  after it those whose bit is set in `bits`. */
export interface Have { have: number; total: number; base: number; bits: bigint; }

const HAVE = new RegExp(`${C.PUT_HAVE_TEXT}(\\d+) of (\\d+) chunks; all before (\\d+); from \\d+: ([0-9a-f]{16})`);

/** The Have in an answer's text, or null when it carries none (a transfer's end). */
export function parseHave(text: string): Have | null {
  const m = HAVE.exec(text);
  return m ? { have: Number(m[1]), total: Number(m[2]), base: Number(m[3]), bits: BigInt(`0x${m[4]}`) } : null;
}

/** Is chunk i held, by what h says? */
export function isHeld(h: Have, i: number): boolean {
  if (i < h.base) return true;
  const k = i - h.base;
  return k < PUT_WINDOW && ((h.bits >> BigInt(k)) & 1n) === 1n;
}

/** The transfer id a PUT's answer names (32 hex digits after "transfer "), or null. */
export function parseTransfer(text: string): Uint8Array | null {
  const m = /transfer ([0-9a-f]{32})/.exec(text);
  return m ? new Uint8Array(Buffer.from(m[1], "hex")) : null;
}

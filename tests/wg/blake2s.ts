// BLAKE2s (RFC 7693) with a key and any digest length from 1 to 32 bytes, in plain
// TypeScript, for the tests' independent WireGuard peer (tests/wg/peer.ts): WireGuard's
// mac1, mac2 and cookie are keyed BLAKE2s-128, which Node's crypto does not offer (its
// 'blake2s256' takes no key and gives 32 bytes only). Slow and simple on purpose: one
// call hashes one message, nothing is streamed. Not the kernel's (kernel/crypto/): the
// point is that the two are written apart. Checked by blake2s.test.ts against Node's
// unkeyed 'blake2s256' and the keyed known answers of the BLAKE2 reference.

const IV = Uint32Array.of(
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

/** RFC 7693 §2.7, the message schedule SIGMA, rounds 0–9. */
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

const BLOCK = 64;
export const BLAKE2S_OUT = 32;
export const BLAKE2S_KEY = 32;

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** RFC 7693 §3.2, the compression function F over one 64-byte block; t is the byte count
 *  so far (a message here is below 2^32 bytes, so its high word is 0). */
function compress(h: Uint32Array, block: Uint8Array, t: number, last: boolean): void {
  const m = new Uint32Array(16);
  const dv = new DataView(block.buffer, block.byteOffset, BLOCK);
  for (let i = 0; i < 16; i++) m[i] = dv.getUint32(4 * i, true);
  const v = new Uint32Array(16);
  v.set(h, 0);
  v.set(IV, 8);
  v[12] ^= t >>> 0;
  if (last) v[14] = ~v[14];
  const g = (a: number, b: number, c: number, d: number, x: number, y: number) => {
    v[a] = v[a] + v[b] + x; v[d] = rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];     v[b] = rotr(v[b] ^ v[c], 12);
    v[a] = v[a] + v[b] + y; v[d] = rotr(v[d] ^ v[a], 8);
    v[c] = v[c] + v[d];     v[b] = rotr(v[b] ^ v[c], 7);
  };
  for (const s of SIGMA) {
    g(0, 4, 8, 12, m[s[0]], m[s[1]]);
    g(1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(2, 6, 10, 14, m[s[4]], m[s[5]]);
    g(3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(0, 5, 10, 15, m[s[8]], m[s[9]]);
    g(1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(2, 7, 8, 13, m[s[12]], m[s[13]]);
    g(3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/** BLAKE2s of the concatenation of parts, outLen bytes (1–32), keyed by key (0–32 bytes;
 *  an empty key is the unkeyed hash). */
export function blake2s(parts: Uint8Array | Uint8Array[], outLen = BLAKE2S_OUT, key: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (outLen < 1 || outLen > BLAKE2S_OUT) throw new RangeError(`blake2s: digest length ${outLen}`);
  if (key.length > BLAKE2S_KEY) throw new RangeError(`blake2s: key length ${key.length}`);
  const list = Array.isArray(parts) ? parts : [parts];
  const msgLen = list.reduce((n, p) => n + p.length, 0);
  // A key is the first block, padded with zeros (RFC 7693 §3.3).
  const data = new Uint8Array((key.length ? BLOCK : 0) + msgLen);
  data.set(key, 0);
  let at = key.length ? BLOCK : 0;
  for (const p of list) { data.set(p, at); at += p.length; }
  const h = IV.slice();
  h[0] ^= 0x01010000 ^ (key.length << 8) ^ outLen;
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK));
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1;
    const block = new Uint8Array(BLOCK);
    block.set(data.subarray(i * BLOCK, (i + 1) * BLOCK));
    compress(h, block, last ? data.length : (i + 1) * BLOCK, last);
  }
  const out = new Uint8Array(BLAKE2S_OUT);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(4 * i, h[i], true);
  return out.slice(0, outLen);
}

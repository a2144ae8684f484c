// Cookies (the model is WireGuard's, §5.4.7 of its paper): before the kernel spends a
// signature check on a control message, the message must carry the cookie the node gave
// its source address — the first 16 bytes of SHA-512(secret ‖ address) — so a sender must
// receive at the address it claims: a flood from spoofed sources never reaches the
// verifier or the budgets that a real user's messages draw on. The secret is drawn from
// the host's randomness and replaced every CTL_COOKIE_MS; a cookie made with the one before
// is still honoured, so a cookie is good for at least that long. Bound to the address,
// not the port, so a client may send its request from another socket than its HELLO.
// Called by ctl/control.ts.
import { COOKIE_BYTES } from "../../abi/control";
import { CTL_COOKIE_MS } from "../param";
import { now } from "../clock";
import { sha512Init, sha512Update, sha512Final } from "../crypto/sha512";
import { host_random } from "../../abi/gen/host";

/** The longest a cookie is honoured after the secret it was made with was drawn: that
 *  secret is current until the first call CTL_COOKIE_MS after it was drawn (before
 *  2 * CTL_COOKIE_MS, or it is dropped), then the previous one until the first call
 *  CTL_COOKIE_MS after that. A signed message accepted at time t carries a cookie that no
 *  one can use again after t + COOKIE_HONOURED_MS (ctl/holders.ts relies on it). */
export const COOKIE_HONOURED_MS: i64 = 3 * CTL_COOKIE_MS;

const SECRET_BYTES: i32 = 32;
const CURRENT: usize = memory.data(SECRET_BYTES, 8);
const PREVIOUS: usize = memory.data(SECRET_BYTES, 8);
const HASH: usize = memory.data(64, 8);
let born: i64 = 0;
let drawn = false;

function rotate(): void {
  if (drawn && now - born < CTL_COOKIE_MS) return;
  // The current secret becomes the previous one, unless it is older than two lives.
  if (drawn && now - born < 2 * CTL_COOKIE_MS) memory.copy(PREVIOUS, CURRENT, SECRET_BYTES);
  else host_random(<i32>PREVIOUS, SECRET_BYTES);
  host_random(<i32>CURRENT, SECRET_BYTES);
  born = now;
  drawn = true;
}

function hash(secret: usize, addr: usize): void {
  sha512Init();
  sha512Update(secret, SECRET_BYTES);
  sha512Update(addr, 16);
  sha512Final(HASH);
}

function same(c: usize): bool {
  let d: u8 = 0;
  for (let i = 0; i < COOKIE_BYTES; i++) d |= load<u8>(HASH + <usize>i) ^ load<u8>(c + <usize>i);
  return d == 0;
}

/** Write the cookie for the 16-byte source address at addr to out (COOKIE_BYTES). */
export function cookieFor(addr: usize, out: usize): void {
  rotate();
  hash(CURRENT, addr);
  memory.copy(out, HASH, COOKIE_BYTES);
}

/** Is the cookie at c one the node gave addr (with this secret or the one before)? */
export function cookieValid(addr: usize, c: usize): bool {
  rotate();
  hash(CURRENT, addr);
  if (same(c)) return true;
  hash(PREVIOUS, addr);
  return same(c);
}

// Sealed answers (spec/control.md, "Sealed answers"): every answer to a control message,
// after the few refusals in clear, is signed by the node's identity key and encrypted to
// the key that signed (or claimed) the request. sealTo takes the request's key and its
// hash (ctlInput, before the packet is rewritten); sealAnswer then turns the clear header
// and the sealed part that control.ts's reply() wrote into the answer: a fresh ephemeral
// X25519 key from the host's randomness for every answer (HPKE's enc: so no two answers
// share a key or nonce), the node's signature over the request's hash, the header and the
// sealed part, then HPKE's seal (crypto/hpke.ts) to the X25519 form of the key. The node's
// key is its NODE_KEY, or one drawn at boot (cert/state.ts). Static buffers; no allocation.
import * as C from "../../abi/control";
import { host_random } from "../../abi/gen/host";
import { sha256 } from "../crypto/sha256";
import { ed25519Sign } from "../crypto/ed25519_sign";
import { ed25519ToX25519 } from "../crypto/ed25519_x25519";
import { hpkeEnc, hpkeSeal } from "../crypto/hpke";
import { SEED, NODE_PK, KEY } from "../cert/state";

const HASH: i32 = 32;
const SIGNED: usize = memory.data(HASH + C.RP_SEALED + C.CTL_MAX, 8);  // hash ‖ header ‖ sealed part
/** Where reply() writes the sealed part (its signature goes after it). */
export const PLAIN: usize = SIGNED + <usize>(HASH + C.RP_SEALED);
const RECIPIENT: usize = memory.data(32, 8);  // the X25519 form of the request's key
const SKE: usize = memory.data(32, 8);        // the ephemeral secret, wiped after each seal
const INFO: usize = memory.data(64, 8);
let infoLen = 0;

/** Take the ed25519 key at key as the answer's recipient and the n bytes at req (the
 *  request, whole) as the request it answers. false: the key is not a usable
 *  point, so no answer can be sealed to it. */
export function sealTo(key: usize, req: usize, n: i32): bool {
  if (!ed25519ToX25519(RECIPIENT, key)) return false;
  sha256(req, n, SIGNED);
  return true;
}

/** The answer at m: its clear header (bytes 0..32) written, its sealed part of n bytes at
 *  PLAIN. Writes enc, signs, seals; returns the answer's length. */
export function sealAnswer(m: usize, n: i32): i32 {
  if (infoLen == 0) infoLen = <i32>String.UTF8.encodeUnsafe(changetype<usize>(C.SEAL_INFO), C.SEAL_INFO.length, INFO);
  host_random(<i32>SKE, 32);
  hpkeEnc(m + C.RP_ENC, SKE);
  memory.copy(SIGNED + HASH, m, C.RP_SEALED);
  ed25519Sign(PLAIN + <usize>n, SIGNED, HASH + C.RP_SEALED + n, SEED, NODE_PK);
  let pn = n + C.SP_SIG;
  // Cannot fail: sealTo refused keys of small order, the only ones whose shared value is zero.
  hpkeSeal(m + C.RP_ENC, m + C.RP_SEALED, RECIPIENT, SKE, INFO, infoLen, m, C.RP_SEALED, PLAIN, pn);
  memory.fill(SKE, 0, 32);
  memory.fill(PLAIN, 0, <usize>pn);
  return C.RP_SEALED + pn + C.SEAL_TAG;
}

/** The node's public key, which every sealed part carries. */
export function nodeKey(): usize { return NODE_PK; }
export const NODE_KEY_BYTES = KEY;

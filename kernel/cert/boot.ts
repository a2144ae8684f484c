// The boot manifest's address certificate records (abi/manifest.ts NODE_KEY, TRUST,
// NODE_CERT; issue #15): each checked whole, then kept in cert/state.ts. A refusal names
// its field and why in badField/badWhy, which kernel/boot.ts logs like every other
// record's. The seed is never logged. certStart runs at the end of a boot that was
// accepted; certUnboot forgets everything (a refused boot).
import * as M from "../../abi/manifest";
import { CERT_BYTES, CERT_ISSUER } from "../../wire/layout/cert";
import { ed25519KeyUsable } from "../crypto/ed25519";
import { certProblem, certSigned, certHolder, certIssuer, certFlags, prefixClean } from "./check";
import * as S from "./state";
import { issuedReset } from "./issue";
import { host_random } from "../../abi/gen/host";
import { logStart, logStr, logBase64, logEnd } from "../log";
import { LogLevel } from "../../abi/kernel";

export let badField = "";
export let badWhy = "";

function bad(field: string, why: string): i32 { badField = field; badWhy = why; return -1; }

/** NODE_KEY: the node's seed. */
export function nodeKey(b: usize, n: i32): i32 {
  if (n != M.NK_SIZE) return bad("length", "NODE_KEY record is not 32 bytes");
  if (S.hasKey) return bad("seed", "a second NODE_KEY record: a node has one identity key");
  S.setNodeKey(b + M.NK_SEED);
  if (!ed25519KeyUsable(S.NODE_PK)) {
    S.stateReset();
    return bad("seed", "its public key is not a usable ed25519 key; make a new one with `persia key new`");
  }
  return 0;
}

/** TRUST: a key trusted to certify addresses inside a prefix. */
export function trust(b: usize, n: i32): i32 {
  if (n != M.TR_SIZE) return bad("length", "TRUST record is not 52 bytes");
  let l = <i32>load<u8>(b + M.TR_LEN);
  if (l > 128) return bad("length", "prefix length over 128");
  if (load<u8>(b + M.TR_LEN + 1) != 0 || load<u16>(b + M.TR_LEN + 2) != 0) return bad("reserved", "bytes 49 to 51 are not 0");
  if (!prefixClean(b + M.TR_PREFIX, l)) return bad("prefix", "bits set past its length");
  if (!ed25519KeyUsable(b + M.TR_KEY)) {
    return bad("key", "not a usable ed25519 public key: it does not decode, or it has small order, so anyone could sign as it");
  }
  if (!S.trustAdd(b + M.TR_KEY, b + M.TR_PREFIX, l)) return bad("key", "more TRUST records than the kernel's TRUST_MAX");
  return 0;
}

/** NODE_CERT: a certificate of the node's key, or of the issuer of one before it (the
 *  upstream's own chain, which the node shows above its own certificates). */
export function nodeCert(b: usize, n: i32): i32 {
  if (n != CERT_BYTES) return bad("length", "NODE_CERT record is not 168 bytes");
  if (!S.hasKey) return bad("certificate", "no NODE_KEY record before it: a NODE_CERT certifies the node's key");
  let why = certProblem(b);
  if (why.length > 0) return bad("certificate", why);
  if (!heldHere(certHolder(b))) {
    return bad("holder", "neither the node's key nor the issuer of a NODE_CERT before it");
  }
  if ((certFlags(b) & CERT_ISSUER) == 0) return bad("flags", "no CERT_ISSUER: the node could not certify addresses under it");
  if (!certSigned(b)) return bad("signature", "does not verify with its issuer key");
  if (!S.nodeCertAdd(b)) return bad("certificate", "more NODE_CERT records than the kernel's NODE_CERT_MAX");
  return 0;
}

/** Is key the node's, or the issuer of one of its NODE_CERTs so far? */
function heldHere(key: usize): bool {
  if (S.keyEq(key, S.NODE_PK)) return true;
  for (let i = 0; i < S.nodeCertCount; i++) if (S.keyEq(key, certIssuer(S.nodeCert(i)))) return true;
  return false;
}

/** The end of an accepted boot: a router with a key issues from now on. */
export function certStart(isRouter: bool): void { S.setRouter(isRouter); }

/** The end of an accepted boot: a node without NODE_KEY draws a key for its answers; the
 *  node's public key is logged either way, for its users to pin (`persia ctl --node-key`). */
export function identityStart(): void {
  if (!S.hasKey) {
    host_random(<i32>DRAWN, S.KEY);
    S.drawNodeKey(DRAWN);
    memory.fill(DRAWN, 0, S.KEY);
  }
  logStart();
  logStr(S.hasKey ? "node key " : "node key (drawn at boot: no node.identity in the manifest) ");
  logStr("ed25519:");
  logBase64(S.NODE_PK, S.KEY);
  logEnd(LogLevel.INFO);
}

const DRAWN: usize = memory.data(32, 8);

/** Forget every key, trust and certificate (a refused boot). */
export function certUnboot(): void {
  S.stateReset();
  issuedReset();
}

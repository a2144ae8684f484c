// A chain of address certificates checked for an address (issue #15; spec/wire.md
// "Address certificates", which states the rules): at the node's wall clock, each
// certificate well-formed and inside its validity; the leaf's prefix holds the address;
// each parent may issue (CERT_ISSUER), holds the key that signed the certificate below it,
// and contains its prefix and its validity; the last one's issuer is a key the node trusts
// for the address (a TRUST record's, or its own for its connected prefixes and services'
// addresses); and every signature verifies. The cheap checks run over the whole chain
// before the first signature (about 2 ms each under Node). One log line says which
// certificate fails and why. Called by the control ops CERT, CERTS and BLOCK (kernel/ctl/)
// and tests; the caller guarantees n * CERT_BYTES bytes at chain and 16 at addr.
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import { CERT_BYTES, CERT_ISSUER } from "../../wire/layout/cert";
import { prefixMatch } from "../../wire/addr";
import { CERT_CHAIN_MAX } from "../param";
import { logStart, logStr, logInt, logEnd } from "../log";
import { connectedNic } from "../net/iface";
import { svcByAddr } from "../svc/registry";
import * as S from "./state";
import { certProblem, certSigned, certLen, certFlags, certNotBefore, certNotAfter, certPrefix, certHolder, certIssuer,
  certInside } from "./check";

/** Start the line for certificate i (0: the leaf; -1: the chain as a whole) of n. */
function which(i: i32, n: i32): void {
  logStart();
  logStr("certificate chain refused: ");
  if (i < 0) return;
  logStr("certificate ");
  logInt(i + 1);
  logStr(" of ");
  logInt(n);
  logStr(i == 0 ? " (the leaf): " : ": ");
}

/** Log why certificate i of n is refused; returns -err. */
function refuse(err: Errno, i: i32, n: i32, why: string): i32 {
  which(i, n);
  logStr(why);
  logEnd(LogLevel.WARN);
  return -err;
}

/** Log that certificate i of n is not valid at Unix time t (`what` time s); -ESTALE. */
function refuseTime(i: i32, n: i32, what: string, s: i64, t: i64): i32 {
  which(i, n);
  logStr(what);
  logInt(s);
  logStr(" (Unix seconds), and the node's clock says ");
  logInt(t);
  logEnd(LogLevel.WARN);
  return -Errno.ESTALE;
}

/** Does the node trust key to certify addr: a TRUST record's, or its own key for an
 *  address of its connected prefixes or of one of its services? */
function anchored(key: usize, addr: usize): bool {
  if (S.trustedFor(key, addr)) return true;
  return S.hasKey && S.keyEq(key, S.NODE_PK) && (connectedNic(addr) >= 0 || svcByAddr(addr) >= 0);
}

/** Why certificate i (at c; the one below it, its child, at child) breaks the chain, or "". */
function linkProblem(c: usize, child: usize, i: i32, addr: usize): string {
  if (i == 0) return prefixMatch(addr, certPrefix(c), certLen(c)) ? "" : "its prefix does not contain the address";
  if ((certFlags(c) & CERT_ISSUER) == 0) return "it has no issuer flag: it may not certify other addresses";
  if (!S.keyEq(certHolder(c), certIssuer(child))) return "its holder is not the issuer of the certificate below it";
  if (!certInside(c, child)) return "its prefix does not contain the prefix of the certificate below it";
  if (certNotBefore(c) > certNotBefore(child) || certNotAfter(c) < certNotAfter(child)) {
    return "its validity does not cover that of the certificate below it";
  }
  return "";
}

/** Verify a chain of n certificates at chain (leaf first) for the address at addr, at the
 *  node's wall clock. 0, or -Errno after one log line: -EINVAL n outside 1..CERT_CHAIN_MAX;
 *  -ESTALE no wall clock (k_epoch), or a certificate not valid now; -EBADMSG a malformed
 *  certificate; -EACCES a broken link, an untrusted end, or a signature that fails. */
export function certVerifyChain(chain: usize, n: i32, addr: usize): i32 {
  if (n < 1 || n > CERT_CHAIN_MAX) return refuse(Errno.EINVAL, -1, n, "a chain has 1 to 4 certificates");
  let t = S.wallSeconds();
  if (t == 0) return refuse(Errno.ESTALE, -1, n, "the node has no wall clock to check validity against (the host did not call k_epoch)");
  for (let i = 0; i < n; i++) {
    let why = certProblem(chain + <usize>(i * CERT_BYTES));
    if (why.length > 0) return refuse(Errno.EBADMSG, i, n, why);
  }
  for (let i = 0; i < n; i++) {
    let c = chain + <usize>(i * CERT_BYTES);
    if (t < certNotBefore(c)) return refuseTime(i, n, "not valid until ", certNotBefore(c), t);
    if (t >= certNotAfter(c)) return refuseTime(i, n, "expired at ", certNotAfter(c), t);
    let why = linkProblem(c, c - CERT_BYTES, i, addr);
    if (why.length > 0) return refuse(Errno.EACCES, i, n, why);
  }
  if (!anchored(certIssuer(chain + <usize>((n - 1) * CERT_BYTES)), addr)) {
    return refuse(Errno.EACCES, n - 1, n, "its issuer is not a key this node trusts for the address");
  }
  for (let i = 0; i < n; i++) {
    if (!certSigned(chain + <usize>(i * CERT_BYTES))) return refuse(Errno.EACCES, i, n, "its signature does not verify with its issuer key");
  }
  return 0;
}

// A module that exposes kernel/cert to Node, for tests/kernel/cert.test.ts (the
// differential test against loader/cert/, and the timings): the node's key, TRUST and
// NODE_CERT records as boot takes them (kernel/cert/boot.ts), a connected prefix, the wall
// clock, certIssueHost, certChainFor and certVerifyChain, and one buffer the test fills.
// It is no part of the kernel; its only host import is persia_host.log (kernel/log.ts),
// which the test supplies. `persia build` compiles it with the "cert-test" target into
// build/wasm/tests/cert.wasm.
import { Role } from "../../../abi/kernel";
import { nodeKey, trust, nodeCert, certStart, certUnboot } from "../../../kernel/cert/boot";
import { certIssueHost, certChainFor, certTimers } from "../../../kernel/cert/issue";
import { certVerifyChain } from "../../../kernel/cert/verify";
import { setEpoch } from "../../../kernel/clock";
import { prefixAdd, ifaceReset } from "../../../kernel/net/iface";

export const BUF_SIZE: i32 = 1 << 16;
const BUF: usize = memory.data(BUF_SIZE, 16);

/** Where the buffer starts in this module's memory. */
export function buf(): usize { return BUF; }

/** Forget every key, trust, certificate and prefix; then a node of `role` (Role) at Unix
 *  time unixMs. */
export function reset(role: i32, unixMs: i64): void {
  certUnboot();
  ifaceReset();
  certStart(role == Role.ROUTER);
  setEpoch(unixMs);
}

/** The records as boot takes them: 0, or -1 (refused). */
export function recNodeKey(p: usize): i32 { return nodeKey(p, 32); }
export function recTrust(p: usize): i32 { return trust(p, 52); }
export function recNodeCert(p: usize): i32 { return nodeCert(p, 168); }

/** A connected prefix on NIC 0 (the node's key is trusted for it). */
export function connect(p: usize, len: i32): i32 { return prefixAdd(0, p, len); }

export function issueHost(a: usize, key: usize): i32 { return certIssueHost(a, key); }
export function chainFor(a: usize, out: usize, max: i32): i32 { return certChainFor(a, out, max); }
export function verify(chain: usize, n: i32, a: usize): i32 { return certVerifyChain(chain, n, a); }
export function timers(): i64 { return certTimers(); }

/** Verify the same chain count times, for timing; returns how many verified. */
export function verifyMany(chain: usize, n: i32, a: usize, count: i32): i32 {
  let ok = 0;
  for (let i = 0; i < count; i++) if (certVerifyChain(chain, n, a) == 0) ok++;
  return ok;
}

/** Issue (renew) the certificate of one address to one key count times, for timing;
 *  returns how many were issued. */
export function issueMany(a: usize, key: usize, count: i32): i32 {
  let ok = 0;
  for (let i = 0; i < count; i++) if (certIssueHost(a, key) >= 0) ok++;
  return ok;
}

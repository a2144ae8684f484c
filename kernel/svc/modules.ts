// When the kernel checks modules' signatures (spec/security.md, "Signed modules"): at boot,
// every manifest service's module for its domain and every store slot's module for any
// publisher the node trusts (a store entry names no domain; its LOADs do); at every LOAD,
// the slot's module for the LOAD's domain and by the SHA-256 the LOAD names. Before any of
// the module's code runs: services start later (svc/sched.ts). The bytes come from the host
// (module_read); the check is svc/modsig.ts. A node without PUBLISHER records checks
// nothing, and its boot log says so. Called by boot.ts and ctl/ops.ts.
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import { SVC_MAX } from "../param";
import { host_module_read } from "../../abi/gen/host";
import { logStart, logStr, logInt, logBytes, logEnd, klog } from "../log";
import { modsigVerify } from "./modsig";
import { publisherCount } from "./publishers";
import { svcValid, svcName, svcNameLen } from "./registry";

/** ModRead over the host's module_read: src is the service slot. */
function hostRead(src: i32, off: i32, dst: usize, len: i32): i32 {
  return host_module_read(src, off, <i32>dst, len);
}

/** Does the node check signatures (its manifest has domains:)? */
export function modulesSigned(): bool { return publisherCount > 0; }

/** Check slot svc's module for the domain [domain, +dl) (dl < 0: any trusted publisher)
 *  and, unless hash is 0, by that SHA-256: null, or why not. */
export function moduleCheck(svc: i32, hash: usize, domain: usize, dl: i32): string | null {
  let size = host_module_read(svc, 0, 0, 0);
  if (size < 0) return "the host has no module file for its slot to check";
  return modsigVerify(hostRead, svc, size, hash, domain, dl);
}

/** The end of a boot that was accepted: say loudly when no module was checked. */
export function modulesBooted(): void {
  if (modulesSigned()) return;
  klog(LogLevel.WARN, "module signatures are NOT checked: the manifest has no domains: section naming publisher keys, so the node runs any module it is given");
}

function refuseBoot(svc: i32, why: string): i32 {
  logStart();
  logStr("boot refused: the module of ");
  if (svcValid(svc)) logBytes(svcName(svc), <i32>unchecked(svcNameLen[svc]));
  else { logStr("store slot "); logInt(svc); }
  logStr(" is not signed for it by a key of the manifest's domains: ");
  logStr(why);
  logEnd(LogLevel.ERROR);
  return -Errno.EACCES;
}

/** At boot, after the records: every manifest service's module, then every store slot's
 *  that the host has. 0, or -EACCES after logging which module and why. */
export function modulesBoot(): i32 {
  if (!modulesSigned()) return 0;
  for (let s = 0; s < SVC_MAX; s++) {
    let why: string | null = null;
    if (svcValid(s)) why = moduleCheck(s, 0, svcName(s), <i32>unchecked(svcNameLen[s]));
    else if (host_module_read(s, 0, 0, 0) >= 0) why = moduleCheck(s, 0, 0, -1);
    if (why !== null) return refuseBoot(s, why);
  }
  return 0;
}

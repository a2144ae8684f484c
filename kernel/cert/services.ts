// Certificates for services' addresses (issue #15): each address of a service is
// certified to the key of the service's owner — the user (ctl/users.ts) whose domain
// covers it, or who loaded it — or, for a service of the node's owner, to the node's own
// key. Called at the end of boot for the manifest's services (certifyServices) and by a
// control LOAD for the one it started (certifyService); an unloaded service's go with it
// (svc/registry.ts svcRemove calls cert/issue.ts certForgetService). Nothing when the node
// does not issue (not a router, or no key).
import { svcCount, svcValid, svcOwner, svcAddrCount, svcAddr } from "../svc/registry";
import { userKey } from "../ctl/users";
import * as S from "./state";
import { certIssueService } from "./issue";

/** Certify every address of service s to its owner's key. */
export function certifyService(s: i32): void {
  if (!S.router || !S.hasKey) return;
  let owner = <i32>unchecked(svcOwner[s]);
  let holder = owner < 0 ? S.NODE_PK : userKey(owner);
  let n = <i32>unchecked(svcAddrCount[s]);
  for (let i = 0; i < n; i++) certIssueService(s, svcAddr(s, i), holder);
}

/** Certify every service's addresses (the end of boot). */
export function certifyServices(): void {
  for (let s = 0; s < svcCount; s++) if (svcValid(s)) certifyService(s);
}

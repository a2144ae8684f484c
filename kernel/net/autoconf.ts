// What each NIC's AUTOCONF record asked for (abi/manifest.ts; issue #20): whether it takes
// configuration from router advertisements, how many DAD solicitations each of its
// addresses gets (RFC 4862 DupAddrDetectTransmits), and the RFC 7217 secret_key of its
// learned addresses; and, per service, the NICs it wants a learned address on (SVC_LEARNED).
// Filled at boot (boot.ts through slaac.ts); read by slaac.ts and routers.ts. No I/O.
import { NIC_MAX, SVC_MAX } from "../param";
import { SECRET_LEN } from "./iid";

const dad = new StaticArray<u8>(NIC_MAX);
export const acceptRa = new StaticArray<bool>(NIC_MAX);
const SECRETS: usize = memory.data(NIC_MAX * SECRET_LEN, 8);
const learnNics = new StaticArray<u16>(SVC_MAX);    // per service: a bit per NIC

export function autoconfSet(nic: i32, accept: bool, transmits: i32, secret: usize): void {
  unchecked(acceptRa[nic] = accept);
  unchecked(dad[nic] = <u8>transmits);
  memory.copy(secretOf(nic), secret, SECRET_LEN);
}

export function dadOn(nic: i32): bool { return unchecked(dad[nic]) > 0; }
export function dadTransmits(nic: i32): i32 { return <i32>unchecked(dad[nic]); }
export function secretOf(nic: i32): usize { return SECRETS + <usize>(nic * SECRET_LEN); }

/** A SVC_LEARNED record: service svc wants an address in every prefix learned on nic. */
export function acWantLearned(svc: i32, nic: i32): void { unchecked(learnNics[svc] |= <u16>(<u32>1 << <u32>nic)); }
export function wantsLearned(svc: i32, nic: i32): bool { return (<u32>unchecked(learnNics[svc]) & (<u32>1 << <u32>nic)) != 0; }

/** Service svc is gone (UNLOAD). */
export function autoconfForget(svc: i32): void { unchecked(learnNics[svc] = 0); }

/** Forget every record (a refused boot). */
export function autoconfReset(): void {
  for (let n = 0; n < NIC_MAX; n++) { unchecked(dad[n] = 0); unchecked(acceptRa[n] = false); }
  for (let s = 0; s < SVC_MAX; s++) unchecked(learnNics[s] = 0);
}

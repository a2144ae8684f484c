// The signed modules' records of the boot manifest (abi/manifest.ts PUBLISHER; issue #14)
// as TypeScript values, with their encoder and decoder; boot.ts puts them after the
// certificate records and frames them. One record per (key, domain) pair of the manifest's
// domains:. Deliberately no meaning checks (a usable key, a valid domain): compile.ts emits
// only what modsig.ts accepted, and the kernel checks again.
import * as M from "../../abi/manifest";

/** A PUBLISHER record: an ed25519 key trusted to sign modules for domain and names under it. */
export interface BootPublisher { key: Uint8Array; domain: string; }
export interface BootPublishers { publishers?: BootPublisher[]; }

type Body = (size: number, fill: (v: DataView, b: Uint8Array) => void) => Uint8Array;

export function publisherRecordList(m: BootPublishers, body: Body): [M.Rec, Uint8Array][] {
  return (m.publishers ?? []).map((p): [M.Rec, Uint8Array] => {
    const d = new TextEncoder().encode(p.domain);
    if (p.key.length !== 32) throw new Error(`boot manifest: a publisher key is ${p.key.length} bytes, not 32`);
    return [M.Rec.PUBLISHER, body(M.PB_DOMAIN + d.length, (v, b) => {
      b.set(p.key, M.PB_KEY); v.setUint8(M.PB_DOMAIN_LEN, d.length); b.set(d, M.PB_DOMAIN);
    })];
  });
}

export const PUBLISHER_ZERO: Partial<Record<M.Rec, number[]>> = {
  [M.Rec.PUBLISHER]: [M.PB_DOMAIN_LEN + 1, M.PB_DOMAIN_LEN + 2, M.PB_DOMAIN_LEN + 3],
};

/** Adds a PUBLISHER record to `m`; false for any other type. `fail` reports a length that
 *  disagrees with the domain's. */
export function decodePublisherRecord(m: Required<BootPublishers>, type: M.Rec, b: Uint8Array, fail: (why: string) => never): boolean {
  if (type !== M.Rec.PUBLISHER) return false;
  if (b.length < M.PB_DOMAIN || b.length !== M.PB_DOMAIN + b[M.PB_DOMAIN_LEN]) fail(`is ${b.length} bytes, which disagrees with its domain's length`);
  m.publishers.push({ key: b.slice(M.PB_KEY, M.PB_KEY + 32), domain: new TextDecoder().decode(b.subarray(M.PB_DOMAIN)) });
  return true;
}

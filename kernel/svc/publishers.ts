// The publishers a node trusts to sign service modules (spec/security.md, "Signed
// modules"): one row per PUBLISHER boot record — an ed25519 public key and a domain it
// signs for, which covers the domain and every name under it (a key for sabz.city signs
// echo.sabz.city, as users' domains do: spec/control.md). A node with no row checks no
// signature (its manifest has no `domains:`), and says so at boot and in status.
// Does not verify anything (svc/modsig.ts does); filled by boot.ts.
import { PUBLISHER_MAX } from "../param";
import { NAME_MAX } from "../../abi/manifest";

const KEYS: usize = memory.data(PUBLISHER_MAX * 32, 8);
const DOMAINS: usize = memory.data(PUBLISHER_MAX * (NAME_MAX + 1));
const domainLen = new StaticArray<u8>(PUBLISHER_MAX);
export let publisherCount = 0;

/** Add a (key, domain) row; false if the table is full. */
export function publisherAdd(key: usize, domain: usize, dl: i32): bool {
  if (publisherCount >= PUBLISHER_MAX) return false;
  let r = publisherCount++;
  memory.copy(KEYS + <usize>(r * 32), key, 32);
  memory.copy(DOMAINS + <usize>(r * (NAME_MAX + 1)), domain, <usize>dl);
  unchecked(domainLen[r] = <u8>dl);
  return true;
}

/** The ed25519 key of row r. */
export function publisherKey(r: i32): usize { return KEYS + <usize>(r * 32); }

/** Does row r sign for name (n bytes): is name its domain, or under it (ends in "." +
 *  domain)? n < 0 stands for "any domain" (a store module, whose domain only a LOAD names). */
export function publisherCovers(r: i32, name: usize, n: i32): bool {
  if (n < 0) return true;
  let dl = <i32>unchecked(domainLen[r]);
  let d = DOMAINS + <usize>(r * (NAME_MAX + 1));
  if (n == dl && memory.compare(name, d, <usize>n) == 0) return true;
  return n > dl && load<u8>(name + <usize>(n - dl - 1)) == 0x2e &&
    memory.compare(name + <usize>(n - dl), d, <usize>dl) == 0;
}

/** Does any row sign for name? */
export function publisherFor(name: usize, n: i32): bool {
  for (let r = 0; r < publisherCount; r++) if (publisherCovers(r, name, n)) return true;
  return false;
}

export function publishersReset(): void {
  publisherCount = 0;
  memory.fill(KEYS, 0, PUBLISHER_MAX * 32);
}

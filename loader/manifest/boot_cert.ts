// The address certificate records of the boot manifest (abi/manifest.ts NODE_KEY, TRUST,
// NODE_CERT; issue #15) as TypeScript values, with their encoder and decoder; boot.ts puts
// them after the USERs (NODE_KEY first: the kernel checks a NODE_CERT's holder against it)
// and frames them. NODE_KEY holds the node's seed: nothing here prints a record's bytes.
// Deliberately no meaning checks (a usable key, a good signature): compile.ts emits only
// valid ones (loader/manifest/certs.ts read them) and the kernel checks again.
import * as M from "../../abi/manifest";
import { CERT_BYTES } from "../../wire/layout/cert";
import { IP6_BYTES } from "../ip6";

const KEY = 32;

/** A NODE_KEY record: the node's ed25519 seed (32 bytes). */
export interface BootNodeKey { seed: Uint8Array; }
/** A TRUST record: an ed25519 public key trusted for addresses inside prefix/len. */
export interface BootTrust { key: Uint8Array; len: number; prefix: Uint8Array; }

export interface BootCerts { nodeKey?: BootNodeKey | null; trusts?: BootTrust[]; nodeCerts?: Uint8Array[]; }

type Body = (size: number, fill: (v: DataView, b: Uint8Array) => void) => Uint8Array;

function bytes(what: string, b: Uint8Array, n: number): Uint8Array {
  if (b.length !== n) throw new Error(`boot manifest: ${what} is ${b.length} bytes, not ${n}`);
  return b;
}

/** The three record kinds of `m`, in order, each as its type and body. */
export function certRecordList(m: BootCerts, body: Body): [M.Rec, Uint8Array][] {
  return [
    ...(m.nodeKey ? [[M.Rec.NODE_KEY, body(M.NK_SIZE, (_, b) => b.set(bytes("the node's seed", m.nodeKey!.seed, KEY), M.NK_SEED))] as
      [M.Rec, Uint8Array]] : []),
    ...(m.trusts ?? []).map((t): [M.Rec, Uint8Array] => [M.Rec.TRUST, body(M.TR_SIZE, (v, b) => {
      b.set(bytes("a trusted key", t.key, KEY), M.TR_KEY); b.set(bytes("a trusted prefix", t.prefix, IP6_BYTES), M.TR_PREFIX);
      v.setUint8(M.TR_LEN, t.len);
    })]),
    ...(m.nodeCerts ?? []).map((c): [M.Rec, Uint8Array] => [M.Rec.NODE_CERT, body(CERT_BYTES, (_, b) => b.set(bytes("a node certificate", c, CERT_BYTES)))]),
  ];
}

export const CERT_FIXED: Partial<Record<M.Rec, number>> = {
  [M.Rec.NODE_KEY]: M.NK_SIZE, [M.Rec.TRUST]: M.TR_SIZE, [M.Rec.NODE_CERT]: CERT_BYTES,
};
// Reserved bytes that must be zero: the "0" fields of abi/manifest.ts.
export const CERT_ZERO: Partial<Record<M.Rec, number[]>> = {
  [M.Rec.TRUST]: [M.TR_LEN + 1, M.TR_LEN + 2, M.TR_LEN + 3],
};

/** Adds record `b` of a certificate type to `m`; false for any other type. Lengths and
 *  reserved bytes are checked by the caller (CERT_FIXED, CERT_ZERO). */
export function decodeCertRecord(m: Required<BootCerts>, type: M.Rec, b: Uint8Array): boolean {
  switch (type) {
    case M.Rec.NODE_KEY:
      m.nodeKey = { seed: b.slice(M.NK_SEED, M.NK_SEED + KEY) };
      return true;
    case M.Rec.TRUST:
      m.trusts.push({ key: b.slice(M.TR_KEY, M.TR_KEY + KEY), len: b[M.TR_LEN], prefix: b.slice(M.TR_PREFIX, M.TR_PREFIX + IP6_BYTES) });
      return true;
    case M.Rec.NODE_CERT:
      m.nodeCerts.push(b.slice());
      return true;
    default:
      return false;
  }
}

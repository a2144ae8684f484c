// kernel/cert/verify.ts certVerifyChain: good chains of 1 to 4 certificates verify for
// their leaf's address at the node's wall clock; each way a chain can fail is refused with
// its errno and one log line naming the certificate and why: every one of the 168 bytes of
// either certificate of a chain of 2 changed (there is no byte that does not matter: byte 7
// must be 0), a signature by another key, a broken link, a parent without CERT_ISSUER or
// not containing its child's prefix or validity, times outside the validity, an address
// outside the leaf, an end whose issuer is not trusted for the address, 0 or 5
// certificates, no wall clock. The node's own key ends a chain for its connected prefixes
// and its services' addresses. Certificates are made with tests/kernel/cert/make.ts.
import { Errno } from "../../../abi/errno";
import { CERT_BYTES, CERT_FLAGS, CERT_VERSION_OFF, CERT_PREFIX, CERT_NOT_AFTER, CERT_ISSUER } from "../../../wire/layout/cert";
import { certVerifyChain } from "../../../kernel/cert/verify";
import { trustAdd, setNodeKey } from "../../../kernel/cert/state";
import { setEpoch } from "../../../kernel/clock";
import { prefixAdd } from "../../../kernel/net/iface";
import { svcAdd, svcAddAddr } from "../../../kernel/svc/registry";
import { addr } from "../frames";
import { logCount, lastLog } from "../mock";
import { at, chainOf, make, resign, pk, seed, HOST, LEAF_ADDR } from "./make";

const T: i64 = 1796515200;                 // 2026-12-06T00:00:00Z
const CH: usize = memory.data(CERT_BYTES * 5, 16);
const BAD: usize = memory.data(CERT_BYTES * 5, 16);

function verify(chain: usize, n: i32, a: string = LEAF_ADDR): i32 { return certVerifyChain(chain, n, addr(a)); }

/** The chain at c of n is refused with err and one log line that ends with why. */
function refused(c: usize, n: i32, err: Errno, why: string, a: string = LEAF_ADDR): void {
  let logs = logCount();
  expect(verify(c, n, a)).toBe(-err);
  expect(logCount()).toBe(logs + 1, "one log line");
  expect(lastLog()).toBe(`certificate chain refused: ${why}`);
}

describe("certVerifyChain", () => {
  it("accepts good chains of 1, 2, 3 and 4 certificates, each ending at a trusted key", () => {
    for (let k = 0; k < 4; k++) trustAdd(pk(k), addr("fd00::"), 16);
    setEpoch(T * 1000);
    for (let n = 1; n <= 4; n++) {
      chainOf(CH, n, T);
      expect(verify(CH, n)).toBe(0, `a chain of ${n}`);
    }
  });

  it("refuses every byte of either certificate of a chain of 2 changed", () => {
    chainOf(CH, 2, T);
    for (let i = 0; i < 2 * CERT_BYTES; i++) {
      memory.copy(BAD, CH, 2 * CERT_BYTES);
      store<u8>(BAD + <usize>i, load<u8>(BAD + <usize>i) ^ 0x01);
      let r = verify(BAD, 2);
      expect(r < 0).toBe(true, `byte ${i % CERT_BYTES} of certificate ${i / CERT_BYTES + 1} changed`);
      memory.copy(BAD, CH, 2 * CERT_BYTES);
      store<u8>(BAD + <usize>i, load<u8>(BAD + <usize>i) ^ 0x80);
      expect(verify(BAD, 2) < 0).toBe(true, `byte ${i % CERT_BYTES} of certificate ${i / CERT_BYTES + 1}, its top bit`);
    }
  });

  it("refuses a signature by another key than the issuer's", () => {
    chainOf(CH, 2, T);
    resign(at(CH, 0), 5);
    refused(CH, 2, Errno.EACCES, "certificate 1 of 2 (the leaf): its signature does not verify with its issuer key");
    chainOf(CH, 2, T);
    resign(at(CH, 1), 0);
    refused(CH, 2, Errno.EACCES, "certificate 2 of 2: its signature does not verify with its issuer key");
  });

  it("refuses a leaf issued by a key other than its parent's holder", () => {
    chainOf(CH, 2, T);
    make(at(CH, 0), 5, HOST, LEAF_ADDR, 128, 0, T - 100, T + 100);
    refused(CH, 2, Errno.EACCES, "certificate 2 of 2: its holder is not the issuer of the certificate below it");
  });

  it("refuses a parent without CERT_ISSUER", () => {
    chainOf(CH, 3, T);
    make(at(CH, 1), 1, 0, "fd00:1:2:3::", 64, 0, T - 200, T + 200);
    refused(CH, 3, Errno.EACCES, "certificate 2 of 3: it has no issuer flag: it may not certify other addresses");
  });

  it("refuses a parent whose prefix does not contain its child's, or is longer", () => {
    chainOf(CH, 2, T);
    make(at(CH, 1), 1, 0, "fd00:9::", 64, CERT_ISSUER, T - 200, T + 200);
    refused(CH, 2, Errno.EACCES, "certificate 2 of 2: its prefix does not contain the prefix of the certificate below it");
    chainOf(CH, 3, T);
    make(at(CH, 1), 1, 0, "fd00:1:2::", 48, CERT_ISSUER, T - 200, T + 200);
    make(at(CH, 2), 2, 1, "fd00:1:2:3::", 64, CERT_ISSUER, T - 300, T + 300);
    refused(CH, 3, Errno.EACCES, "certificate 3 of 3: its prefix does not contain the prefix of the certificate below it");
  });

  it("refuses a parent whose validity does not cover its child's", () => {
    chainOf(CH, 2, T);
    make(at(CH, 1), 1, 0, "fd00:1:2:3::", 64, CERT_ISSUER, T - 200, T + 99);
    refused(CH, 2, Errno.EACCES, "certificate 2 of 2: its validity does not cover that of the certificate below it");
    make(at(CH, 1), 1, 0, "fd00:1:2:3::", 64, CERT_ISSUER, T - 99, T + 200);
    refused(CH, 2, Errno.EACCES, "certificate 2 of 2: its validity does not cover that of the certificate below it");
  });

  it("refuses an expired certificate and one not valid yet, by the wall clock", () => {
    chainOf(CH, 2, T);
    setEpoch((T + 100) * 1000);
    refused(CH, 2, Errno.ESTALE, "certificate 1 of 2 (the leaf): expired at 1796515300 (Unix seconds), and the node's clock says 1796515300");
    setEpoch((T + 99) * 1000);
    expect(verify(CH, 2)).toBe(0, "its last second");
    setEpoch((T - 101) * 1000);
    refused(CH, 2, Errno.ESTALE, "certificate 1 of 2 (the leaf): not valid until 1796515100 (Unix seconds), and the node's clock says 1796515099");
    setEpoch(T * 1000);
  });

  it("refuses an address the leaf does not hold", () => {
    chainOf(CH, 2, T);
    refused(CH, 2, Errno.EACCES, "certificate 1 of 2 (the leaf): its prefix does not contain the address", "fd00:1:2:3::8");
  });

  it("refuses a chain whose end no TRUST record holds for the address", () => {
    trustAdd(pk(6), addr("fd99::"), 16);
    make(CH, 6, HOST, LEAF_ADDR, 128, 0, T - 100, T + 100);
    refused(CH, 1, Errno.EACCES, "certificate 1 of 1 (the leaf): its issuer is not a key this node trusts for the address");
    make(CH, 5, HOST, LEAF_ADDR, 128, 0, T - 100, T + 100);
    refused(CH, 1, Errno.EACCES, "certificate 1 of 1 (the leaf): its issuer is not a key this node trusts for the address");
  });

  it("refuses chains of 0 and of 5 certificates, and any chain without a wall clock", () => {
    chainOf(CH, 4, T);
    refused(CH, 0, Errno.EINVAL, "a chain has 1 to 4 certificates");
    refused(CH, 5, Errno.EINVAL, "a chain has 1 to 4 certificates");
    setEpoch(0);
    refused(CH, 4, Errno.ESTALE, "the node has no wall clock to check validity against (the host did not call k_epoch)");
    setEpoch(T * 1000);
  });

  it("refuses malformed certificates, though signed: byte 7, an unknown flag, version 2, bits past the length, no time", () => {
    chainOf(CH, 1, T);
    store<u8>(CH + CERT_FLAGS + 1, 1);
    resign(CH, 0);
    refused(CH, 1, Errno.EBADMSG, "certificate 1 of 1 (the leaf): its byte 7 is not 0");
    chainOf(CH, 1, T);
    store<u8>(CH + CERT_FLAGS, 2);
    resign(CH, 0);
    refused(CH, 1, Errno.EBADMSG, "certificate 1 of 1 (the leaf): it has unknown flags");
    chainOf(CH, 1, T);
    store<u8>(CH + CERT_VERSION_OFF, 2);
    resign(CH, 0);
    refused(CH, 1, Errno.EBADMSG, "certificate 1 of 1 (the leaf): its version is not 1");
    make(CH, 0, HOST, "fd00:1:2:3::7", 64, 0, T - 100, T + 100);
    refused(CH, 1, Errno.EBADMSG, "certificate 1 of 1 (the leaf): its prefix has bits set past its length");
    make(CH, 0, HOST, LEAF_ADDR, 128, 0, T + 100, T + 100);
    refused(CH, 1, Errno.EBADMSG, "certificate 1 of 1 (the leaf): it is valid for no time (not after is not later than not before)");
    chainOf(CH, 1, T);
    store<u8>(CH + CERT_PREFIX, 0xfd);
    expect(verify(CH, 1)).toBe(0, "the same bytes written back");
    store<u64>(CH + CERT_NOT_AFTER, <u64>(T + 100));
    expect(verify(CH, 1)).toBe(0);
  });

  it("ends a chain at the node's own key for its connected prefixes and its services' addresses only", () => {
    setNodeKey(seed(5));
    prefixAdd(0, addr("fd00:1:2:3::"), 64);
    make(CH, 5, HOST, LEAF_ADDR, 128, 0, T - 100, T + 100);
    expect(verify(CH, 1)).toBe(0, "an address of a connected prefix");
    make(CH, 5, HOST, "fd00:77::7", 128, 0, T - 100, T + 100);
    refused(CH, 1, Errno.EACCES, "certificate 1 of 1 (the leaf): its issuer is not a key this node trusts for the address", "fd00:77::7");
    svcAdd(3, addr("fd00:77::7"), 0, 1, 1, 0);
    svcAddAddr(3, addr("fd00:77::7"));
    expect(verify(CH, 1, "fd00:77::7")).toBe(0, "a service's address");
  });
});

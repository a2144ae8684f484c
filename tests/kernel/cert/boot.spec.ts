// kernel/cert/boot.ts through k_boot: the NODE_KEY, TRUST and NODE_CERT records of a
// hand-built manifest (abi/manifest.ts). Each bad record refuses the boot with -EBADMSG and
// one log line naming the record and field, and a refused boot leaves no key behind (the
// next manifest's NODE_KEY is its first). Then a server with a key, a trusted key and a
// certificate of its own boots: it shows its public key in status, never its seed, and
// issues nothing (only a router does).
import { Errno } from "../../../abi/errno";
import { Buf } from "../../../abi/kernel";
import * as S from "../../../abi/status";
import { CERT_BYTES, CERT_ISSUER, CERT_FLAGS } from "../../../wire/layout/cert";
import { k_boot, k_buf, k_epoch, k_status } from "../../../kernel/main";
import { certIssueHost, certChainFor, certNodeKey } from "../../../kernel/cert/issue";
import { addr, firstDiff } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr, mfNodeKey, mfTrust, mfNodeCert, mfRecord } from "../manifest";
import { logCount, lastLog } from "../mock";
import { make, resign, pk, seed } from "./make";

const M: usize = memory.data(8192, 16);
const C: usize = memory.data(CERT_BYTES, 16);
const OUT: usize = memory.data(CERT_BYTES * 4, 16);
const T: i64 = 1796515200;
const NODE = 5;                            // make.ts's key 5 is the node's

function start(): void {
  mfStart(M);
  mfNode(0, "s1.test");
}

/** Boot is refused with -EBADMSG and one log line blaming `at` ("record 2 (type 24), prefix: why"). */
function refused(at: string): void {
  let logs = logCount();
  let len = mfEnd();
  memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>len);
  expect(k_boot(len, 1000)).toBe(-Errno.EBADMSG);
  expect(logCount()).toBe(logs + 1);
  expect(lastLog()).toBe(`boot manifest refused: ${at}`);
}

describe("the certificate records refuse", () => {
  it("a NODE_KEY that is not 32 bytes, and a second one", () => {
    start();
    mfRecord(23, 31);
    refused("record 1 (type 23), length: NODE_KEY record is not 32 bytes");
    start();
    mfNodeKey(seed(NODE));
    mfNodeKey(seed(1));
    refused("record 2 (type 23), seed: a second NODE_KEY record: a node has one identity key");
  });

  it("a TRUST of the wrong length, length over 128, a reserved byte, bits past its length, or a key anyone signs as", () => {
    start();
    mfRecord(24, 51);
    refused("record 1 (type 24), length: TRUST record is not 52 bytes");
    start();
    mfTrust(pk(0), 129, "fd00::");
    refused("record 1 (type 24), length: prefix length over 128");
    start();
    mfTrust(pk(0), 16, "fd00::");
    store<u8>(M + <usize>mfEnd() - 52 + 50, 1);    // the TRUST body is the last 52 bytes
    refused("record 1 (type 24), reserved: bytes 49 to 51 are not 0");
    start();
    mfTrust(pk(0), 16, "fd00:1::");
    refused("record 1 (type 24), prefix: bits set past its length");
    start();
    let identity = memory.data(32, 8);
    store<u8>(identity, 1);                // y = 1: the identity, of order 1
    mfTrust(identity, 16, "fd00::");
    refused("record 1 (type 24), key: not a usable ed25519 public key: it does not decode, or it has small order, so anyone could sign as it");
  });

  it("more TRUST records than TRUST_MAX", () => {
    start();
    for (let i = 0; i < 17; i++) mfTrust(pk(i % 8), 16 + i, "fd00::");
    refused("record 17 (type 24), key: more TRUST records than the kernel's TRUST_MAX");
  });

  it("a NODE_CERT without a NODE_KEY before it, of the wrong length, malformed, of another key, without CERT_ISSUER, or badly signed", () => {
    make(C, 0, NODE, "fd00:b::", 64, CERT_ISSUER, T - 100, T + 100000);
    start();
    mfNodeCert(C);
    refused("record 1 (type 25), certificate: no NODE_KEY record before it: a NODE_CERT certifies the node's key");
    start();
    mfNodeKey(seed(NODE));
    mfRecord(25, 167);
    refused("record 2 (type 25), length: NODE_CERT record is not 168 bytes");
    start();
    mfNodeKey(seed(NODE));
    store<u8>(C + CERT_FLAGS + 1, 1);
    mfNodeCert(C);
    refused("record 2 (type 25), certificate: its byte 7 is not 0");
    make(C, 0, 1, "fd00:b::", 64, CERT_ISSUER, T - 100, T + 100000);
    start();
    mfNodeKey(seed(NODE));
    mfNodeCert(C);
    refused("record 2 (type 25), holder: neither the node's key nor the issuer of a NODE_CERT before it");
    make(C, 0, NODE, "fd00:b::", 64, 0, T - 100, T + 100000);
    start();
    mfNodeKey(seed(NODE));
    mfNodeCert(C);
    refused("record 2 (type 25), flags: no CERT_ISSUER: the node could not certify addresses under it");
    make(C, 0, NODE, "fd00:b::", 64, CERT_ISSUER, T - 100, T + 100000);
    resign(C, 1);
    start();
    mfNodeKey(seed(NODE));
    mfNodeCert(C);
    refused("record 2 (type 25), signature: does not verify with its issuer key");
  });

  it("more NODE_CERT records than NODE_CERT_MAX", () => {
    make(C, 0, NODE, "fd00:b::", 64, CERT_ISSUER, T - 100, T + 100000);
    start();
    mfNodeKey(seed(NODE));
    for (let i = 0; i < 5; i++) mfNodeCert(C);
    refused("record 6 (type 25), certificate: more NODE_CERT records than the kernel's NODE_CERT_MAX");
  });
});

describe("a server with a key", () => {
  it("boots with its key, a trusted key, its own certificate and the upstream's above it", () => {
    expect(certNodeKey()).toBe(0, "the refused boots left no key");
    k_epoch(T * 1000);
    start();
    mfNodeKey(seed(NODE));
    mfTrust(pk(0), 16, "fd00::");
    make(C, 1, NODE, "fd00:b::", 64, CERT_ISSUER, T - 100, T + 100000);
    mfNodeCert(C);
    make(C, 0, 1, "fd00:b::", 48, CERT_ISSUER, T - 200, T + 200000);
    mfNodeCert(C);
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:b::");
    mfService(0, "echo.s1.test");
    mfSvcAddr(0, "fd00:b::7");
    let len = mfEnd();
    memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>len);
    expect(k_boot(len, 1000)).toBe(0);
    expect(firstDiff(certNodeKey(), pk(NODE), 32)).toBe(-1);
  });

  it("issues nothing: not its services' certificates, nor a host's", () => {
    expect(certChainFor(addr("fd00:b::7"), OUT, 4)).toBe(0);
    expect(certIssueHost(addr("fd00:b::20"), pk(7))).toBe(-Errno.EACCES);
  });

  it("shows its public key, trusted keys and own certificates in status, and never its seed", () => {
    let n = k_status();
    let identities = 0, certs = 0;
    let at = 8;                            // after the snapshot's header
    while (at < n) {
      let r = <usize>k_buf(Buf.STATUS) + <usize>at;
      let type = <i32>load<u8>(r), len = <i32>load<u16>(r + 2);
      if (type == S.St.IDENTITY) {
        identities++;
        expect(firstDiff(r + 4 + S.SY_KEY, pk(NODE), 32)).toBe(-1);
        expect(<i32>load<u8>(r + 4 + S.SY_TRUST)).toBe(1);
        expect(<i32>load<u8>(r + 4 + S.SY_CERTS)).toBe(2);
      }
      if (type == S.St.CERT) {
        certs++;
        expect(<i32>load<u8>(r + 4 + S.SCT_ORIGIN)).toBe(<i32>S.CertOrigin.NODE);
      }
      at += 4 + len;
    }
    expect(identities).toBe(1);
    expect(certs).toBe(2);
    let status = <usize>k_buf(Buf.STATUS);
    for (let i = 0; i + 32 <= n; i++) expect(firstDiff(status + <usize>i, seed(NODE), 32)).not.toBe(-1, `the seed at byte ${i}`);
  });
});

// IDENTITY and CERT status records (abi/status.ts, issue #15) from literal bytes: decoded
// into identity (the public key as `persia key` prints it, or null for all zeros) and
// certificates; printed as the "Identity" line and the "Certificates" table (address,
// holder and issuer in short form or "this node", expiry in UTC, origin with the service's
// domain); served as persia_certificates and persia_certificate_expiry_seconds by origin;
// a node with none prints neither; a short record is an error naming it.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { decodeStatus, formatStatus } from "../../loader/status/decode";
import { metricsText } from "../../loader/status/metrics";

const u64 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0];
const NODE_KEY = Array.from({ length: 32 }, (_, i) => i + 1);     // ed25519:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=
const ALICE = new Array(32).fill(0xaa);                            // ed25519:qqqq…
const ROOT = new Array(32).fill(0x55);                             // ed25519:VVVV…
const FD00_B_7 = [0xfd, 0x00, 0x00, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07];
const FD00_B_20 = [...FD00_B_7.slice(0, 15), 0x20];
const FD00_B = [0xfd, 0x00, 0x00, 0x0b, ...new Array(12).fill(0)];
const NAME = Array.from(Buffer.from("echo.sabz.city"));
const T = 1796601600;                                              // 2026-12-07T00:00:00Z

/** CERT: origin, length, svc, 0, not after u64, prefix, holder, issuer. */
const cert = (origin: number, len: number, svc: number, notAfter: number, prefix: number[], holder: number[], issuer: number[]) =>
  [0x0f, 0x00, 92, 0x00, origin, len, svc, 0, ...u64(notAfter), ...prefix, ...holder, ...issuer];

const SNAPSHOT = Uint8Array.from([
  0x50, 0x52, 0x53, 0x54, 0x09, 0x00, 0x05, 0x00,                 // "PRST", version 9, 5 records
  0x04, 0x00, 63, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // SVC id 2, running
  ...u64(0), ...u64(0), ...u64(0), ...u64(0), ...u64(0), 14, ...NAME,
  0x0e, 0x00, 36, 0x00, ...NODE_KEY, 2, 1, 0, 0,                  // IDENTITY: key, 2 trusted pairs, 1 own certificate
  ...cert(2, 64, 0xff, T + 86400 * 30, FD00_B, NODE_KEY, ROOT),   // NODE: the node's /64 from upstream
  ...cert(0, 128, 2, T, FD00_B_7, ALICE, NODE_KEY),               // SERVICE 2's address, alice's
  ...cert(1, 128, 0xff, T - 3600, FD00_B_20, ROOT, NODE_KEY),     // HOST fd00:b::20
]);
const key = (b: number[]) => `ed25519:${Buffer.from(b).toString("base64")}`;

test("IDENTITY and CERT records decode into identity and certificates", () => {
  const s = decodeStatus(SNAPSHOT);
  assert.deepEqual(s.identity, { key: key(NODE_KEY), trusted: 2, ownCerts: 1 });
  assert.deepEqual(s.certificates, [
    { origin: "NODE", prefix: "fd00:b::/64", length: 64, service: null, notAfter: T + 86400 * 30, holder: key(NODE_KEY), issuer: key(ROOT) },
    { origin: "SERVICE", prefix: "fd00:b::7/128", length: 128, service: 2, notAfter: T, holder: key(ALICE), issuer: key(NODE_KEY) },
    { origin: "HOST", prefix: "fd00:b::20/128", length: 128, service: null, notAfter: T - 3600, holder: key(ROOT), issuer: key(NODE_KEY) },
  ]);
  const none = Uint8Array.from(SNAPSHOT);
  none.fill(0, 8 + 67 + 4, 8 + 67 + 4 + 32);                       // IDENTITY's key all zeros: no node.identity
  assert.equal(decodeStatus(none).identity!.key, null);
});

test("persia status prints the Identity line and the Certificates table", () => {
  const text = formatStatus(decodeStatus(SNAPSHOT));
  assert.match(text, /\nIdentity: ed25519:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=; trusts 2 \(key, prefix\) pairs; 1 certificate of its own from upstream\n/);
  assert.match(text, /\nCertificates\n +ADDRESS +HOLDER +ISSUER +EXPIRES +ORIGIN\n/);
  assert.match(text, /\n +fd00:b::\/64 +this node +ed25519:VVVVVVVVVVVV… +2027-01-06T00:00:00Z +upstream: the node's own\n/);
  assert.match(text, /\n +fd00:b::7 +ed25519:qqqqqqqqqqqq… +this node +2026-12-07T00:00:00Z +service echo\.sabz\.city\n/);
  assert.match(text, /\n +fd00:b::20 +ed25519:VVVVVVVVVVVV… +this node +2026-12-06T23:00:00Z +host \(asked\)\n/);
  const bare = decodeStatus(SNAPSHOT);
  bare.identity = { key: null, trusted: 0, ownCerts: 0 };
  bare.certificates = [];
  assert.doesNotMatch(formatStatus(bare), /Identity|Certificates/, "a node without any prints neither");
});

test("persia_certificates counts them by origin, persia_certificate_expiry_seconds gives each origin's first expiry", async () => {
  const text = await metricsText(decodeStatus(SNAPSHOT));
  for (const origin of ["node", "service", "host"]) assert.match(text, new RegExp(`\\npersia_certificates\\{origin="${origin}"\\} 1\\n`));
  assert.match(text, new RegExp(`\\npersia_certificate_expiry_seconds\\{origin="host"\\} ${T - 3600}\\n`));
  assert.match(text, new RegExp(`\\npersia_certificate_expiry_seconds\\{origin="service"\\} ${T}\\n`));
});

test("a CERT record shorter than its layout is an error naming it", () => {
  const short = Uint8Array.from([0x50, 0x52, 0x53, 0x54, 0x09, 0x00, 0x01, 0x00, 0x0f, 0x00, 0x04, 0x00, 0, 0, 0, 0]);
  assert.throws(() => decodeStatus(short), /CERT record has 4 bytes, needs 92/);
});

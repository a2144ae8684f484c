// tests/e2e/iid.ts, the client tests' own RFC 7217 identifiers, checked against values
// computed apart from it (Python's hashlib, once, by hand; and Node's crypto over bytes
// written out literally here), against RFC 7217's structure (prefix kept, identifier
// changed by each input) and RFC 5453's reserved ranges at their edges. Needs no root.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "crypto";
import { candidates, isReservedIid, learnedAddress, rawIid, secretKey } from "./iid";
import { parseAddr, parseMac } from "../../loader/ip6";

// python3: hashlib.sha512(IPv6Address(prefix).packed[:8] + iface + bytes([counter]) + secret).digest()[:8]
const PY = {
  echo0: "fd00:c1::e75e:adb7:e7d1:241b",
  echo1: "fd00:c1::de40:dfd9:b7f9:f91c",
  mac0: "fd00:c1::22b0:7ae6:b72:b6ea",          // Net_Iface = 02:00:5a:b2:c1:01
  echoSecret: "fd00:c1::8e99:4ef7:30ee:fc3f",   // secret file content "a node secret\n"
};

test("a service's address is the prefix and SHA-512(prefix ‖ domain ‖ counter ‖ zero key)'s first 8 bytes", () => {
  const input = Buffer.concat([
    Buffer.from([0xfd, 0x00, 0x00, 0xc1, 0, 0, 0, 0]),            // the /64's first 8 bytes
    Buffer.from("echo.sabz.city", "ascii"),                       // Net_Iface
    Buffer.from([0]),                                             // DAD_Counter
    Buffer.alloc(16),                                             // secret_key: none given
  ]);
  const iid = createHash("sha512").update(input).digest().subarray(0, 8);
  assert.deepEqual(parseAddr(learnedAddress("fd00:c1::/64", "echo.sabz.city")).subarray(8), new Uint8Array(iid));
  assert.equal(learnedAddress("fd00:c1::/64", "echo.sabz.city"), PY.echo0);
});

test("each DAD failure counts DAD_Counter up: the next address is counter 1's", () => {
  assert.equal(learnedAddress("fd00:c1::/64", "echo.sabz.city", 1), PY.echo1);
  assert.deepEqual(candidates("fd00:c1::/64", "echo.sabz.city").map((c) => c.counter), [0, 1, 2, 3],
    "IDGEN_RETRIES = 3: four addresses in all, none reserved here");
  assert.throws(() => learnedAddress("fd00:c1::/64", "echo.sabz.city", 4), /gives up/);
});

test("the node's own address takes the NIC's MAC as Net_Iface; a secret file changes every identifier", () => {
  assert.equal(learnedAddress("fd00:c1::/64", parseMac("02:00:5a:b2:c1:01")), PY.mac0);
  const key = secretKey(Buffer.from("a node secret\n"));
  // python3: hashlib.sha512(b"a node secret\n").digest()[:16].hex()
  assert.deepEqual(key, new Uint8Array(Buffer.from("d790842a2ad72574ebc92611a76f85a6", "hex")));
  assert.equal(learnedAddress("fd00:c1::/64", "echo.sabz.city", 0, key), PY.echoSecret);
  assert.deepEqual(secretKey(), new Uint8Array(16), "no secret: 16 zero bytes");
});

test("RFC 7217's structure: the /64 is kept; only its first 8 bytes reach the hash; each input moves the identifier", () => {
  const a = parseAddr(learnedAddress("fd00:c1::/64", "echo.sabz.city"));
  assert.deepEqual(a.subarray(0, 8), parseAddr("fd00:c1::").subarray(0, 8));
  assert.equal(learnedAddress("fd00:c1::/64", "echo.sabz.city"), learnedAddress("fd00:c1::", "echo.sabz.city"));
  const p = parseAddr("fd00:c1::"), q = parseAddr("fd00:c1::1234");
  assert.deepEqual(rawIid(p, Buffer.from("x"), 0, secretKey()), rawIid(q, Buffer.from("x"), 0, secretKey()), "bytes 8..16 of the prefix do not count");
  const others = [learnedAddress("fd00:c2::/64", "echo.sabz.city"), learnedAddress("fd00:c1::/64", "kv.sabz.city"), PY.echo1, PY.echoSecret];
  for (const o of others) assert.notDeepEqual(parseAddr(o).subarray(8), a.subarray(8), o);
});

test("RFC 5453's reserved identifiers, at the edges of each range", () => {
  const iid = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
  for (const r of ["0000000000000000", "02005efffe000000", "02005efffe005212", "fdffffffffffff80", "fdffffffffffffff"]) {
    assert.equal(isReservedIid(iid(r)), true, r);
  }
  for (const ok of ["0000000000000001", "02005efffe005213", "02005efffe010000", "fdffffffffffff7f", "fdfffffffffffeff"]) {
    assert.equal(isReservedIid(iid(ok)), false, ok);
  }
});

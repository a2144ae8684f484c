// loader/manifest/boot.ts decoding literal and damaged boot manifests: a hand-written
// minimal one (a NODE record only) decodes; a wrong magic or version, a truncated or
// missized record, a non-zero reserved byte, an unknown type, a wrong count, trailing
// bytes and a missing or repeated NODE are refused with a LoaderError naming the byte.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { LoaderError } from "../../loader/errors";
import { decodeBootManifest, encodeBootManifest } from "../../loader/manifest";

const ascii = (s: string) => Array.from(Buffer.from(s, "ascii"));
const HEADER = (count: number) => [...ascii("PRSA"), 2, 0, count, 0];
const NODE = [1, 0, 5, 0, 2, 3, ...ascii("a.b")];           // role router, name "a.b"
const DISK = [7, 0, 12, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0]; // disk 0, 4096 bytes

function refusal(bytes: number[]): LoaderError {
  try {
    decodeBootManifest(Uint8Array.from(bytes));
  } catch (e) {
    assert.ok(e instanceof LoaderError, `expected LoaderError, got ${e}`);
    assert.equal(e.what, "boot manifest");
    assert.equal(e.fix, "Compile it again from its YAML manifest with this version of persia.");
    return e;
  }
  assert.fail("decodeBootManifest accepted damaged bytes");
}

test("decodes a hand-written manifest and encodes it back to the same bytes", () => {
  const bytes = Uint8Array.from([...HEADER(2), ...NODE, ...DISK]);
  const m = decodeBootManifest(bytes);
  assert.deepEqual(m, {
    node: { role: 2, name: "a.b" }, nics: [], ras: [], prefixes: [], routes: [], disks: [{ id: 0, size: 4096n }],
    services: [], svcAddrs: [], capDisks: [], nets: [], cpus: [], restarts: [], budget: null, users: [], rams: [], userPrefixes: [], userDisks: [], userStores: [],
    autoconfs: [], svcLearned: [], wgs: [], wgPeers: [], wgAllowed: [], nodeKey: null, trusts: [], nodeCerts: [], publishers: [], usbs: [], capUsbs: [],
  });
  assert.deepEqual(encodeBootManifest(m), bytes);
});

test("decodes from a view that does not start at offset 0 of its buffer", () => {
  const backing = Uint8Array.from([0xee, 0xee, ...HEADER(1), ...NODE]);
  assert.equal(decodeBootManifest(backing.subarray(2)).node.name, "a.b");
});

test("refuses a wrong header", () => {
  assert.equal(refusal([1, 2, 3]).why, "at byte 0: 3 bytes is shorter than the 8-byte header");
  assert.equal(refusal([...ascii("PRSB"), 2, 0, 1, 0, ...NODE]).why, 'at byte 0: the magic number is not "PRSA"');
  assert.equal(refusal([...ascii("PRSA"), 1, 0, 1, 0, ...NODE]).why, "at byte 4: version 1 is not 2");
});

test("refuses records that do not fit", () => {
  assert.equal(refusal([...HEADER(2), ...NODE]).why, "at byte 17: record 1 of 2 is missing");
  assert.equal(refusal([...HEADER(2), ...NODE, ...DISK.slice(0, 10)]).why,
    "at byte 17: record 1 declares 12 bytes but the manifest ends first");
  assert.equal(refusal([...HEADER(2), ...NODE, 7, 0, 11, 0, ...DISK.slice(4, 15)]).why,
    "at byte 17: record 1 (DISK) is 11 bytes, not 12");
  assert.equal(refusal([...HEADER(1), 1, 0, 6, 0, 2, 3, ...ascii("a.bc")]).why,
    "at byte 8: record 0 (NODE) is 6 bytes, which disagrees with its name length");
  assert.equal(refusal([...HEADER(1), 1, 0, 1, 0, 2]).why,
    "at byte 8: record 0 (NODE) is 1 bytes, which disagrees with its name length");
});

test("refuses non-zero reserved bytes", () => {
  assert.equal(refusal([...HEADER(1), 1, 9, 5, 0, 2, 3, ...ascii("a.b")]).why, "at byte 9: record 0's reserved byte is not 0");
  const disk = [...DISK];
  disk[6] = 1;
  assert.equal(refusal([...HEADER(2), ...NODE, ...disk]).why, "at byte 23: record 1 (DISK) has a non-zero reserved byte");
});

test("refuses unknown types, wrong counts and a missing or second NODE", () => {
  assert.equal(refusal([...HEADER(2), ...NODE, 99, 0, 0, 0]).why, "at byte 17: record 1 has type 99, which this version does not know");
  assert.equal(refusal([...HEADER(1), ...NODE, ...DISK]).why, "at byte 17: 16 bytes follow the last of the 1 records");
  assert.equal(refusal([...HEADER(1), ...DISK]).why, "at byte 8: there are 0 NODE records; a boot manifest has exactly one");
  assert.equal(refusal([...HEADER(2), ...NODE, ...NODE]).why, "at byte 8: there are 2 NODE records; a boot manifest has exactly one");
});

// The client role's manifest keys (loader/manifest/autoconf.ts, spec/manifest.md "The client
// role"): a NIC's autoconf and dad with their defaults per role, compiled to AUTOCONF records
// written out here byte by byte; `{ learned: <nic> }` service addresses compiled to
// SVC_LEARNED records; node.secret hashed into every AUTOCONF record; each refusal at its
// line and path with its message; both records decode back to the same bytes, and damaged
// ones are refused; a LOAD refuses learned addresses.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bootRefusal, errorsOf, one } from "./refused";
import { bootRecords, compileManifest, decodeBootManifest, encodeBootManifest, parseManifest } from "../../loader/manifest";
import { ManifestError } from "../../loader/manifest/issues";
import * as M from "../../abi/manifest";
import { loadRequest } from "../../loader/control/request";

const ascii = (s: string) => Array.from(Buffer.from(s, "ascii"));
const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const ZEROS16 = new Array(16).fill(0);

/** A node with NIC lan0 (MAC 02:00:00:00:00:01, NIC keys from line 8) and a service whose
 *  addresses are on line 11 (ADDR_LINE with more NIC lines). */
function node(role: string, nic: string[] = [], addresses = '["fd00:5ab2:1::7"]', secret: string[] = []): string {
  return [
    "node:",                                   // 1
    "  name: c.sabz.city",                     // 2
    `  role: ${role}`,                         // 3
    ...secret,                                 //   (tests with a secret put nic keys later)
    "nics:",                                   // 4
    "  - name: lan0",                          // 5
    "    kind: virtual",                       // 6
    '    mac: "02:00:00:00:00:01"',            // 7
    ...nic,                                    // 8...
    "services:",
    "  - domain: echo.sabz.city",
    "    module: echo.wasm",
    `    addresses: ${addresses}`,
    "    ram: { min: 64KiB, max: 1MiB }",
  ].join("\n") + "\n";
}
const ADDR_LINE = (nicLines: number) => 11 + nicLines;   // the addresses line

const parse = (text: string, dir = "/srv") => parseManifest(text, "node.yaml", dir);
const records = (text: string, dir = "/srv") => bootRecords(parse(text, dir));
const AUTOCONF = (nic: number, flags: number, dad: number, secret = ZEROS16) => [18, 0, ...u16(20), nic, flags, dad, 0, ...secret];

test("a client's NIC takes RAs and runs one DAD transmit by default: one AUTOCONF record right after the NICs", () => {
  const bytes = Array.from(compileManifest(parse(node("client"))).boot);
  const nic = [2, 0, ...u16(10), 0, 0, ...u16(1500), 0x02, 0, 0, 0, 0, 0x01];
  const start = 8 + 4 + 13;                    // header, NODE "c.sabz.city"
  assert.deepEqual(bytes.slice(start, start + nic.length), nic);
  assert.deepEqual(bytes.slice(start + nic.length, start + nic.length + 24), AUTOCONF(0, 1, 1));
  const m = parse(node("client"));
  assert.deepEqual([m.nics[0].autoconf, m.nics[0].dad], [true, 1]);
  assert.deepEqual(compileManifest(m).plan.nics[0].autoconf, true);
});

test("defaults per role: a server and a router take no RAs and run no DAD unless told", () => {
  for (const role of ["server", "router"]) {
    const m = parse(node(role));
    assert.deepEqual([m.nics[0].autoconf, m.nics[0].dad], [false, 0], role);
    assert.deepEqual(bootRecords(m).autoconfs, [], role);
  }
  assert.deepEqual(records(node("server", ["    autoconf: true"])).autoconfs, [{ nic: 0, flags: 1, dad: 1, secret: new Uint8Array(16) }]);
  assert.deepEqual(records(node("server", ["    dad: 3"])).autoconfs, [{ nic: 0, flags: 0, dad: 3, secret: new Uint8Array(16) }]);
  assert.deepEqual(records(node("router", ["    dad: 2"])).autoconfs, [{ nic: 0, flags: 0, dad: 2, secret: new Uint8Array(16) }]);
  assert.deepEqual(records(node("client", ["    autoconf: false"])).autoconfs, []);
  assert.deepEqual(records(node("client", ["    dad: 0"])).autoconfs, [{ nic: 0, flags: 1, dad: 0, secret: new Uint8Array(16) }]);
  assert.deepEqual(records(node("client", ["    dad: 10"])).autoconfs[0].dad, 10);
});

test("autoconf in a router, autoconf with ra, and bad values are refused at their line", () => {
  one(node("router", ["    autoconf: true"]), 8, "nics[0].autoconf", "node.role is router: a router does not take its " +
    "configuration from other routers' advertisements; remove autoconf and give the NIC its prefixes in the manifest, " +
    "or make this node a client");
  one(node("router", ["    autoconf: true", "    ra: { max_interval: 60 }"]), 8, "nics[0].autoconf", "is on together with ra: " +
    "a NIC either sends router advertisements (ra, a router's) or takes its configuration from them (autoconf, a " +
    "client's or a server's), not both; remove one of them");
  assert.deepEqual(records(node("router", ["    autoconf: false"])).autoconfs, []);
  one(node("client", ["    autoconf: yes"]), 8, "nics[0].autoconf", '"yes" is not true or false; autoconf is true or false');
  one(node("client", ["    dad: 11"]), 8, "nics[0].dad", "11 is not allowed; dad is a whole number from 0 to 10");
  one(node("client", ["    dad: -1"]), 8, "nics[0].dad", "-1 is not allowed; dad is a whole number from 0 to 10");
});

test("{ learned: lan0 } compiles to a SVC_LEARNED record after the service's SVC_ADDRs; plain addresses stay", () => {
  const text = node("client", [], '[{ learned: lan0 }, "fd00:5ab2:1::7"]');
  const m = parse(text);
  assert.deepEqual(m.services[0].learned, ["lan0"]);
  assert.deepEqual(m.services[0].addresses.length, 1);
  const r = bootRecords(m);
  assert.deepEqual(r.svcLearned, [{ svc: 0, nic: 0 }]);
  assert.equal(r.svcAddrs.length, 1);
  const bytes = Array.from(compileManifest(m).boot);
  const learned = bytes.length - (M.MF_REC_HEADER + M.SL_SIZE); // the last record; the SVC_ADDR just before it
  assert.deepEqual(bytes.slice(learned), [19, 0, ...u16(4), 0, 0, 0, 0]);
  assert.equal(bytes[learned - M.MF_REC_HEADER - M.SA_SIZE], M.Rec.SVC_ADDR);
  assert.deepEqual(compileManifest(m).plan.services[0], { ...compileManifest(m).plan.services[0], addresses: ["fd00:5ab2:1::7"], learned: ["lan0"] });
  // A learned entry alone is enough, and it counts toward the service's limit of 8.
  assert.deepEqual(records(node("client", [], "[{ learned: lan0 }]")).svcAddrs, []);
  const nine = `[{ learned: lan0 }, ${Array.from({ length: 8 }, (_, i) => `"fd00::${i + 1}"`).join(", ")}]`;
  one(node("client", [], nine), 11, "services[0].addresses", /has too many addresses; at most 8 are allowed/);
});

test("a learned entry is refused when its NIC does not exist, takes no RAs, or is named twice", () => {
  one(node("client", [], "[{ learned: wan0 }]"), 11, "services[0].addresses[0].learned", '"wan0" is not the name of a NIC; the NICs are lan0');
  one(node("server", [], "[{ learned: lan0 }]"), 11, "services[0].addresses[0].learned", "NIC lan0 learns no prefixes " +
    "(autoconf is off by default in the server role), so there is no address to form on it; set autoconf: true on lan0, " +
    "or give the service a fixed address");
  one(node("client", ["    autoconf: false"], "[{ learned: lan0 }]"), ADDR_LINE(1), "services[0].addresses[0].learned",
    /^NIC lan0 learns no prefixes \(it says autoconf: false\)/);
  one(node("client", [], "[{ learned: lan0 }, { learned: lan0 }]"), 11, "services[0].addresses[1].learned",
    "is already learned by addresses[0]; one entry gives the service an address in every prefix learned on that NIC");
  one(node("client", [], "[{ learn: lan0 }]"), 11, "services[0].addresses[0]", "a mapping here is { learned: <NIC name> }, " +
    "e.g. { learned: lan0 }: an address in each prefix learned from router advertisements on that NIC; learn is not allowed");
  one(node("client", [], "[{ learned: LAN0 }]"), 11, "services[0].addresses[0]", /^"LAN0" is not a valid NIC name/);
});

test("node.secret: the first 16 bytes of its SHA-512 go into every AUTOCONF record; missing or short files are refused", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-secret-"));
  const content = Buffer.from("0123456789abcdef0123456789abcdef");
  fs.writeFileSync(path.join(dir, "node.secret"), content);
  // python3: hashlib.sha512(b"0123456789abcdef0123456789abcdef").digest()[:16].hex()
  const key = Array.from(Buffer.from("0372a8619ebcbbcd91abcda1ba389ac3", "hex"));
  const two = (secret: string) => node("client", [], undefined, [`  secret: ${secret}`])
    .replace("services:", '  - name: lan1\n    kind: virtual\n    mac: "02:00:00:00:00:02"\nservices:');
  const m = parse(two("./node.secret"), dir);
  assert.deepEqual(bootRecords(m).autoconfs.map((a) => [a.nic, Array.from(a.secret)]), [[0, key], [1, key]]);
  const bytes = Array.from(compileManifest(m).boot);
  assert.ok(bytes.join().includes(AUTOCONF(1, 1, 1, key).join()));
  one(two("./missing.secret"), 4, "node.secret", "cannot read /srv/missing.secret: there is no such file; node.secret is the " +
    "file with the node's secret for its learned addresses (RFC 7217); make one with `head -c 32 /dev/urandom > " +
    "/srv/missing.secret` (and keep it: the node's learned addresses follow from it), or remove node.secret to form them " +
    "from public names only");
  assert.deepEqual(errorsOf2(two("."), dir), [`4 node.secret: cannot read ${dir}: it is a directory; node.secret is the ` +
    "file with the node's secret for its learned addresses (RFC 7217); make a regular file with " +
    `\`head -c 32 /dev/urandom > ${path.join(dir, "node.secret")}\` and name it in node.secret`]);
  // A pipe or a device would hang the read or fill memory: refused from the open file, unread.
  assert.deepEqual(errorsOf2(two("/dev/zero"), dir), ["4 node.secret: cannot read /dev/zero: it is not a regular file (a pipe or " +
    "a device); node.secret is the file with the node's secret for its learned addresses (RFC 7217); make a regular file " +
    `with \`head -c 32 /dev/urandom > ${path.join(dir, "node.secret")}\` and name it in node.secret`]);
  fs.writeFileSync(path.join(dir, "big.secret"), Buffer.alloc(4097, 1));
  assert.match(errorsOf2(two("./big.secret"), dir)[0], /it holds 4097 bytes, more than a secret's 4096;/);
  fs.writeFileSync(path.join(dir, "short.secret"), "fifteen bytes!!");
  const short = errorsOf2(two("./short.secret"), dir);
  assert.deepEqual(short, [`4 node.secret: ${path.join(dir, "short.secret")} holds 15 bytes; node.secret needs at least 16 secret ` +
    `bytes; make one with \`head -c 32 /dev/urandom > ${path.join(dir, "short.secret")}\` (and keep it: the node's learned addresses follow ` +
    "from it), or remove node.secret to form them from public names only"]);
  fs.rmSync(dir, { recursive: true });
});

function errorsOf2(text: string, dir: string): string[] {
  try { parseManifest(text, "node.yaml", dir); } catch (e) {
    assert.ok(e instanceof ManifestError);
    return e.errors.map((i) => `${i.line} ${i.path}: ${i.message}`);
  }
  assert.fail("the manifest was accepted");
}

test("AUTOCONF and SVC_LEARNED decode back and re-encode to the same bytes; damaged ones are refused", () => {
  const m = parse(node("client", ["    dad: 4"], '[{ learned: lan0 }, "fd00:5ab2:1::7"]'));
  const bytes = compileManifest(m).boot;
  const decoded = decodeBootManifest(bytes);
  assert.deepEqual(decoded, bootRecords(m));
  assert.deepEqual(encodeBootManifest(decoded), bytes);
  assert.deepEqual(decoded.autoconfs, [{ nic: 0, flags: 1, dad: 4, secret: new Uint8Array(16) }]);
  assert.deepEqual(decoded.svcLearned, [{ svc: 0, nic: 0 }]);
  const HEADER = [...ascii("PRSA"), ...u16(2), ...u16(2)];
  const NODE = [1, 0, ...u16(5), 1, 3, ...ascii("a.b")];             // 9 bytes from byte 8; the next record at 17
  assert.equal(bootRefusal([...HEADER, ...NODE, 18, 0, ...u16(19), ...AUTOCONF(0, 1, 1).slice(4, 23)]),
    "at byte 17: record 1 (AUTOCONF) is 19 bytes, not 20");
  const bad = AUTOCONF(0, 1, 1);
  bad[4 + 3] = 1;
  assert.equal(bootRefusal([...HEADER, ...NODE, ...bad]), "at byte 24: record 1 (AUTOCONF) has a non-zero reserved byte");
  for (const reserved of [3]) {
    const sl = [19, 0, ...u16(4), 0, 0, 0, 0];
    sl[4 + reserved] = 1;
    assert.equal(bootRefusal([...HEADER, ...NODE, ...sl]), `at byte ${21 + reserved}: record 1 (SVC_LEARNED) has a non-zero reserved byte`);
  }
});

test("a LOAD request refuses { learned: … }: learned addresses are only for services that start at boot", () => {
  const nodeManifest = parse(node("client"));
  try {
    loadRequest("domain: x.sabz.city\nmodule: x.wasm\naddresses: [{ learned: lan0 }]\nram: { min: 64KiB, max: 1MiB }\n",
      "svc.yaml", "/srv", nodeManifest);
    assert.fail("the LOAD was accepted");
  } catch (e) {
    assert.ok(e instanceof ManifestError, String(e));
    assert.deepEqual(e.errors.map((i) => `${i.line} ${i.path}: ${i.message}`), ["3 addresses[0]: { learned: lan0 } is only for " +
      "services in the node's manifest, which start at boot; a LOAD gives a service fixed addresses, e.g. from a prefix " +
      "the node's owner gave you (users[].addresses)"]);
  }
});

// The largest manifest the loader's limits allow (loader/manifest/limits.ts), as YAML and
// compiled: a router whose every list is full — NICs with their prefixes, an RA record, a
// line rate and a forward class each; static routes; disks; services with every address,
// disk grant and a net entry on every NIC; every USB device, each granted; users with every delegated prefix and extent;
// an identity key with every certificate of its own, every trusted prefix, and every
// publisher key (domains:, each service's module signed) — and every name as long as allowed. Shared by manifest.test.ts (its size is the one spec/manifest.md
// states) and limits.test.ts (the kernel boots it).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseManifest, compileManifest, limits as L } from "../../loader/manifest";
import { keyFromSeed, publicKeyText } from "../../loader/control/message";
import { publicKeyOfSeed, signCert } from "../../loader/cert/cert";
import { certLine } from "../../loader/cert/files";
import { CERT_ISSUER } from "../../wire/layout/cert";
import { parseAddr } from "../../loader/ip6";
import { signModule } from "../../loader/modsig/sign";
import { WASM_DIR } from "../../hosts/node/paths";

/** The publisher key's seed, and the services' module (echo) signed with it. */
const PUBLISHER = new Uint8Array(32).fill(0x44);
export function maxModule(): Uint8Array {
  return signModule(fs.readFileSync(path.join(WASM_DIR, "services/echo.wasm")), PUBLISHER);
}

/** Every publisher pair: one key for each service's domain, up to MAX_PUBLISHERS. */
function domains(): string[] {
  const key = publicKeyText(keyFromSeed(PUBLISHER).publicKey);
  return Array.from({ length: L.MAX_PUBLISHERS }, (_, i) =>
    `  - { domain: ${i === 0 ? svcParent : svcName(i % L.MAX_SERVICES)}, publishers: ["${i < L.MAX_SERVICES ? key :
      publicKeyText(keyFromSeed(new Uint8Array(32).fill(0x50 + i)).publicKey)}"] }`);
}

const label = (c: string, n: number) => c + "a".repeat(n - 1);
/** A 253-character domain, the longest RFC 1035 allows, starting with c. */
const longName = (c: string) => [label(c, 63), label("b", 63), label("c", 63), label("d", 61)].join(".");
/** Service i's domain: 253 characters, its first label s, i, x, then a's. */
/** The domain every service's is under: its publisher key signs the module for all SVC_MAX of them. */
const svcParent = [label("b", 63), label("c", 63), label("d", 61)].join(".");
const svcName = (i: number) => [`s${i}x`.padEnd(63, "a"), label("b", 63), label("c", 63), label("d", 61)].join(".");

function nics(): string[] {
  const perNic = L.MAX_PREFIXES / L.MAX_NICS;
  return Array.from({ length: L.MAX_NICS }, (_, i) =>
    `  - { name: n${i}, kind: virtual, prefixes: [${Array.from({ length: perNic }, (_, j) => `"fd00:${i}:${j}::/64"`).join(", ")}], ` +
    `rate: 10Gbit, forward: { min: 1Gbit, max: 10Gbit } }`);
}

function services(): string[] {
  const net = Array.from({ length: L.MAX_NET_PER_SERVICE }, (_, j) => `{ nic: n${j}, min: 8Mbit, max: 1Gbit }`);
  const grants = Array.from({ length: L.MAX_DISK_GRANTS_PER_SERVICE }, (_, j) => `{ device: d${j % L.MAX_DISKS}, length: 1, rights: [read] }`);
  return Array.from({ length: L.MAX_SERVICES }, (_, i) => [
    `  - domain: ${svcName(i)}`,
    `    module: s.wasm`,
    `    addresses: [${Array.from({ length: L.MAX_ADDRS_PER_SERVICE }, (_, j) => `"fd02::${i}:${j}"`).join(", ")}]`,
    `    ram: { min: 1, max: 4GiB }`,
    `    disk: [${grants.join(", ")}]`,
    `    net: [${net.join(", ")}]`,
    ...(i < L.MAX_USB ? [`    usb: [{ device: u${i}, rights: [read, write] }]`] : []),
  ].join("\n"));
}

function users(): string[] {
  const perUser = [L.MAX_USER_PREFIXES / L.MAX_USERS, L.MAX_USER_DISKS / L.MAX_USERS];
  return Array.from({ length: L.MAX_USERS }, (_, i) => [
    `  - name: u${"x".repeat(29)}${i.toString().padStart(2, "0")}`,
    `    key: "${publicKeyText(keyFromSeed(new Uint8Array(32).fill(i + 1)).publicKey)}"`,
    `    domains: [${longName(String.fromCharCode(0x61 + i)).replace(/^./, "u")}]`,
    `    addresses: [${Array.from({ length: perUser[0] }, (_, j) => `"fd03::${i}:${j}"`).join(", ")}]`,
    `    disks: [${Array.from({ length: perUser[1] }, (_, j) => `{ device: d${i % L.MAX_DISKS}, offset: ${1 + 2 * Math.floor(i / L.MAX_DISKS) + j * 8}, length: 1, rights: [read] }`).join(", ")}]`,
  ].join("\n"));
}

/** Every trusted prefix, under one key. */
function trust(): string[] {
  const key = publicKeyText(keyFromSeed(new Uint8Array(32).fill(0x43)).publicKey);
  return [`  - key: "${key}"`, `    prefixes: [${Array.from({ length: L.MAX_TRUSTED }, (_, i) => `"fd${(i + 16).toString(16)}::/16"`).join(", ")}]`];
}

/** A new directory with the node's seed file (node.id), MAX_NODE_CERTS certificates of its
 *  key from an upstream router, valid now (node.cert), and the services' signed module (s.wasm). */
export function identityDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-max-"));
  const seed = new Uint8Array(32).fill(0x42), root = new Uint8Array(32).fill(0x43);
  fs.writeFileSync(path.join(dir, "node.id"), `${Buffer.from(seed).toString("base64")}\n`, { mode: 0o600 });
  const now = BigInt(Math.floor(Date.now() / 1000));
  const cert = signCert({ flags: CERT_ISSUER, len: 16, notBefore: now - 60n, notAfter: now + 86400n, prefix: parseAddr("fd00::"),
    holder: publicKeyOfSeed(seed), issuer: publicKeyOfSeed(root) }, root);
  fs.writeFileSync(path.join(dir, "node.cert"), Array.from({ length: L.MAX_NODE_CERTS }, () => `${certLine(cert)}\n`).join(""));
  fs.writeFileSync(path.join(dir, "s.wasm"), maxModule());
  return dir;
}

/** Every USB device, with every matcher as long as allowed; service i holds device i. */
function usb(): string[] {
  const path = (i: number) => `${i + 1}-${Array.from({ length: L.USB_PATH_PORTS_MAX }, () => 255).join(".")}`;
  return Array.from({ length: L.MAX_USB }, (_, i) =>
    `  - { name: u${i}, device: "46f4:000${i}", serial: "${"s".repeat(L.USB_SERIAL_MAX - 1)}${i}", path: "${path(i)}" }`);
}

/** The YAML text of the largest manifest; node.id and node.cert are identityDir()'s. */
export function maxManifestText(): string {
  // The routes as a table (loader/manifest/routes.ts): the same boot records as the list of
  // mappings (tests/loader/manifest_routes.test.ts), parsed in a second instead of five.
  const routes = Array.from({ length: L.MAX_ROUTES }, (_, i) => `  fd01:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::/48 via fe80::1 nic n0`);
  const disks = Array.from({ length: L.MAX_DISKS }, (_, i) => `  - { name: d${i}, path: d${i}.img, size: 1MiB }`);
  return [`node: { name: ${longName("z")}, role: router, ram: 1GiB, identity: node.id, certs: [node.cert] }`, "nics:", ...nics(),
    "routes: |", ...routes, "disks:", ...disks, "usb:", ...usb(), "services:", ...services(), "users:", ...users(), "trust:", ...trust(), "domains:", ...domains()].join("\n");
}

/** Its boot manifest, as the loader compiles it. */
export function maxManifestBoot(): Uint8Array {
  const dir = identityDir();
  try {
    return compileManifest(parseManifest(maxManifestText(), "max.yaml", dir)).boot;
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

// The image composer (loader/image): the kernel inside an image is kernel.wasm byte for
// byte (the same SHA-256 as the file the Node host loads), every WASI function the shim
// calls is declared among the component's imports, the configuration blob carries what
// abi/image.ts says, a manifest's store becomes slots numbered after the services, and
// what cannot go into an image is refused with a reason. What the glue does with the slots
// is tests/loader/image_glue.test.ts; running an image under wasmtime is
// tests/e2e/image.test.ts and tests/parity.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "crypto";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMG_BOOT_LEN, IMG_DISKS, IMG_HEADER, IMG_MAGIC, IMG_NAME_LEN, IMG_NIC_KIND, IMG_NIC_LPORT, IMG_NIC_SIZE, IMG_NIC_VNI, IMG_NICS } from "../../abi/image";
import { NicKind } from "../../abi/kernel";
import { buildImage } from "../../cli/image";
import { newKeyFile } from "../../loader/wg/keys";
import { WASI_IMPORTS, wasiModule } from "../../abi/wasi";
import { ROOT } from "../../hosts/node/paths";
import { KERNEL_WASM, SHIM_WASM } from "../../cli/image";
import { composeImage } from "../../loader/image/compose";
import { coreModules } from "../../loader/image/component";
import { encodeConfig } from "../../loader/image/config";
import { parseModule } from "../../loader/wasm/parse";
import { wasiImportsText } from "../../loader/image/wasi_types";
import { compileManifest, decodeBootManifest, parseManifest } from "../../loader/manifest";
import { publicKeyOfSeed, signCert } from "../../loader/cert/cert";
import { certLine } from "../../loader/cert/files";
import { publicKeyText } from "../../loader/control/message";
import { parseAddr } from "../../loader/ip6";
import { CERT_ISSUER } from "../../wire/layout/cert";
import { LoaderError } from "../../loader/errors";
import { launch } from "../../hosts/node/launch";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const sha256Hex = (hash: Uint8Array) => Buffer.from(hash).toString("hex");

function yaml(nicKind = "vxlan", extra = ""): string {
  const nic = nicKind === "vxlan"
    ? `{ name: vx0, kind: vxlan, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"], vxlan: { local: "[::1]:47890", remote: "[::1]:47891", vni: 7 } }`
    : `{ name: lan0, kind: ${nicKind}, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"]${nicKind === "tap" ? ", tap: { device: tap9 }" : ""} }`;
  return `
node: { name: image.sabz.city, role: server }
nics: [${nic}]
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
${extra}`;
}

const inputs = () => ({ kernel: fs.readFileSync(KERNEL_WASM), shim: fs.readFileSync(SHIM_WASM) });

test("the kernel inside an image has the same SHA-256 as the kernel.wasm the Node host loads", async () => {
  const image = await composeImage(parseManifest(yaml(), "image.yaml", ROOT), inputs());
  const kernel = fs.readFileSync(path.join(ROOT, "build/wasm/kernel.wasm"));
  const hashes = coreModules(image.bytes).map(sha256);
  assert.ok(hashes.includes(sha256(kernel)), "one core module of the image is kernel.wasm, unchanged");
  assert.equal(image.kernelSha256, sha256(kernel));
  assert.equal(hashes.filter((h) => h === sha256(kernel)).length, 1);
});

const STORE = `store:
  - { module: build/wasm/services/echo.wasm, ram: 2MiB, slots: 2 }
  - { module: build/wasm/services/probe.wasm, slots: 1 }
`;

test("a store's slots get the ids after the services', each store module contained once and instantiated per slot", async () => {
  const image = await composeImage(parseManifest(yaml("vxlan", STORE), "image.yaml", ROOT), inputs());
  const file = (f: string) => fs.readFileSync(path.join(ROOT, "build/wasm/services", f));
  const [echo, probe] = [sha256(file("echo.wasm")), sha256(file("probe.wasm"))];
  assert.deepEqual(image.slots.map((s) => [s.id, s.boot, sha256Hex(s.hash), s.minPages, s.maxPages, s.ceilingPages]), [
    [0, true, echo, 1, 16, 16],        // the service: ram.max 1 MiB
    [1, false, echo, 1, 32, 32],       // store[0]: 2 MiB, two slots
    [2, false, echo, 1, 32, 32],
    [3, false, probe, 1, 256, 256],    // store[1]: the default 16 MiB
  ]);
  const modules = coreModules(image.bytes);
  assert.equal(modules.length, 11, "mem0, tramp, kernel, sys, tag, echo once, probe once, glue0, hub, shim, fixup");
  assert.equal(sha256(modules[2]), image.kernelSha256, "the kernel is still kernel.wasm, byte for byte");
  assert.equal(image.kernelSha256, sha256(fs.readFileSync(KERNEL_WASM)));
  const mem = parseModule(modules[0]);
  assert.deepEqual(mem.exports.map((e) => e.name), ["host", "s0", "s1", "s2", "s3"], "one memory per slot");
  assert.deepEqual(mem.memories.slice(1).map((m) => [m.min, m.max]), [[1, 16], [1, 32], [1, 32], [1, 256]]);
  const glue = parseModule(modules[7]).exports.map((e) => e.name);
  for (const name of ["svc_load", "svc_unload", "svc_ram", "svc_start", "svc_pages"]) assert.ok(glue.includes(name), `the glue exports ${name}`);

  const plain = await composeImage(parseManifest(yaml(), "image.yaml", ROOT), inputs());
  assert.deepEqual(plain.slots.map((s) => [s.id, s.boot]), [[0, true]], "without a store, only the services");
  assert.equal(coreModules(plain.bytes).length, 10);
});

test("a store module the loader refuses fails the image, named by its place in the store", async () => {
  const bad = path.join(ROOT, "build", "image-test-bad.wasm");
  fs.mkdirSync(path.dirname(bad), { recursive: true });
  fs.writeFileSync(bad, Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]));
  await assert.rejects(composeImage(parseManifest(yaml("vxlan", `store:\n  - { module: ${bad} }\n`), "image.yaml", ROOT), inputs()),
    (e: unknown) => e instanceof LoaderError && /^service store\[0\] \(image-test-bad\.wasm\): .*not a well-formed/.test(e.message));
});

test("every WASI function the shim calls is declared among the image's imports", () => {
  const text = wasiImportsText();
  for (const f of WASI_IMPORTS) {
    assert.ok(text.includes(`(import "${wasiModule(f)}"`), `${wasiModule(f)} is imported`);
    const name = f.drop ? `"${f.drop}" (type (sub resource))` : `"${f.name}" (func`;
    assert.ok(text.includes(name), `${wasiModule(f)} declares ${f.drop ?? f.name}`);
  }
});

test("the configuration blob carries the name, the boot manifest, NICs and disks at abi/image.ts's offsets", () => {
  const boot = Uint8Array.from([1, 2, 3, 4, 5]);
  const blob = encodeConfig({
    name: "n.sabz.city", boot,
    nics: [{ id: 0, vni: 42, local: { address: "fd00::1", port: 4789 }, remote: { address: "fd00::2", port: 4790 } }],
    disks: [{ id: 0, path: "/srv/kv.img" }],
  });
  const v = new DataView(blob.buffer, blob.byteOffset);
  assert.equal(v.getUint32(0, true), IMG_MAGIC);
  assert.equal(v.getUint32(IMG_BOOT_LEN, true), 5);
  assert.equal(v.getUint32(IMG_NICS, true), 1);
  assert.equal(v.getUint32(IMG_DISKS, true), 1);
  assert.equal(v.getUint32(IMG_NAME_LEN, true), 11);
  const nicAt = IMG_HEADER + 12 + 8;
  assert.deepEqual([...blob.subarray(IMG_HEADER + 12, IMG_HEADER + 17)], [...boot]);
  assert.equal(v.getUint32(nicAt + IMG_NIC_VNI, true), 42);
  assert.equal(v.getUint32(nicAt + IMG_NIC_LPORT, true), 4789);
  assert.equal(Buffer.from(blob.subarray(nicAt + IMG_NIC_SIZE + 8, nicAt + IMG_NIC_SIZE + 8 + 11)).toString(), "/srv/kv.img");
  assert.equal(v.getUint32(nicAt + IMG_NIC_KIND, true), NicKind.VXLAN, "a NIC without a kind is VXLAN");
  const wg = encodeConfig({ name: "n", boot, disks: [],
    nics: [{ id: 3, kind: NicKind.WIREGUARD, vni: 0, local: { address: "::", port: 51820 }, remote: { address: "::", port: 0 } }] });
  assert.equal(new DataView(wg.buffer).getUint32(IMG_HEADER + 4 + 8 + IMG_NIC_KIND, true), NicKind.WIREGUARD);
});

test("a wireguard NIC goes into an image; the image holds its private key, so it is written with mode 0600", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-wg-"));
  newKeyFile(path.join(dir, "edge.key"));
  fs.writeFileSync(path.join(dir, "node.yaml"), `node: { name: image.sabz.city, role: server, key: edge.key }
nics: [{ name: wg0, kind: wireguard, prefixes: ["fd00:c::/64"], wireguard: { listen: "[::1]:0" } }]
services:
  - { domain: echo.sabz.city, module: ${path.join(ROOT, "build/wasm/services/echo.wasm")}, addresses: ["fd00:c::7"], ram: { min: 64KiB, max: 1MiB } }
`);
  const out = path.join(dir, "node.wasm");
  const said = await buildImage(path.join(dir, "node.yaml"), out);
  assert.match(said, /0 VXLAN NIC\(s\), 1 WireGuard NIC\(s\)/);
  assert.match(said, /it holds the private key of wg0 \(mode 0600\)/);
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  assert.ok(!said.includes(fs.readFileSync(path.join(dir, "edge.key"), "utf8").trim()));
});

test("an image carries the node's identity, certificates and trusted keys in its boot manifest, and is written with mode 0600", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-cert-"));
  const seed = Buffer.alloc(32, 3), root = Buffer.alloc(32, 4), now = BigInt(Math.floor(Date.now() / 1000));
  fs.writeFileSync(path.join(dir, "edge.id"), `${seed.toString("base64")}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "edge.cert"), `${certLine(signCert({ flags: CERT_ISSUER, len: 64, notBefore: now - 60n, notAfter: now + 86400n,
    prefix: parseAddr("fd00:5ab2:1::"), holder: publicKeyOfSeed(seed), issuer: publicKeyOfSeed(root) }, root))}\n`);
  const text = yaml("vxlan", `trust: [{ key: "${publicKeyText(publicKeyOfSeed(root))}", prefixes: ["fd00::/16"] }]`)
    .replace("role: server }", "role: router, identity: edge.id, certs: [edge.cert] }").replace("build/wasm", path.join(ROOT, "build/wasm"));
  fs.writeFileSync(path.join(dir, "node.yaml"), text);
  const m = parseManifest(text, "node.yaml", dir);
  const boot = decodeBootManifest(compileManifest(m).boot);
  assert.deepEqual([boot.nodeKey!.seed.length, boot.nodeCerts.length, boot.trusts.length], [32, 1, 1]);
  const image = await composeImage(m, inputs());
  assert.equal(image.bootSha256, sha256(compileManifest(m).boot), "the image's boot manifest is the one with the records");
  const out = path.join(dir, "node.wasm");
  const said = await buildImage(path.join(dir, "node.yaml"), out);
  assert.match(said, new RegExp(`it holds the node's identity seed \\(node\\.identity, ${publicKeyText(publicKeyOfSeed(seed)).replace(/[+/]/g, "\\$&")}; mode 0600\\)`));
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  assert.ok(!said.includes(seed.toString("base64")));
});

test("a virtual or TAP NIC cannot go into an image, and the refusal says what to use", async () => {
  for (const kind of ["virtual", "tap"]) {
    await assert.rejects(composeImage(parseManifest(yaml(kind), "image.yaml", ROOT), inputs()), (e: unknown) => {
      assert.ok(e instanceof LoaderError);
      assert.match(e.message, new RegExp(`kind "${kind}" cannot run in a wasmtime image`));
      assert.match(e.message, /kind: vxlan/);
      return true;
    });
  }
});

test("a service the loader refuses fails the image with the loader's message, as it fails `persia run`", async () => {
  const bad = path.join(ROOT, "build", "image-test-bad.wasm");
  fs.mkdirSync(path.dirname(bad), { recursive: true });
  fs.writeFileSync(bad, Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]));
  const manifest = parseManifest(yaml("vxlan",
    `  - { domain: bad.sabz.city, module: ${bad}, addresses: ["fd00:5ab2:1::8"], ram: { min: 64KiB, max: 1MiB } }`), "image.yaml", ROOT);
  const onImage = await composeImage(manifest, inputs()).then(() => "accepted",
    (e: unknown) => (e instanceof LoaderError ? e.message : `not a LoaderError: ${e}`));
  const onNode = await launch(manifest, { log: () => {} }).then(async (l) => { await l.node.stop(); return "accepted"; }, (e: Error) => e.message);
  assert.match(onImage, /^service bad\.sabz\.city: /);
  assert.equal(onImage, onNode);
});

test("the image's wasmtime command line turns on exceptions and inherits the network", async () => {
  const image = await composeImage(parseManifest(yaml(), "image.yaml", ROOT), inputs());
  assert.deepEqual(image.wasmtimeFlags.slice(0, 5), ["run", "-W", "exceptions=y", "-S", "inherit-network=y"]);
});

test("`persia image` writes the image and prints the wasmtime command line, the store's slots and the kernel's hash", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-cli-"));
  try {
    const manifest = path.join(dir, "node.yaml");
    fs.writeFileSync(manifest, yaml("vxlan", STORE).replace(/build\/wasm/g, path.join(ROOT, "build/wasm")));
    const out = path.join(dir, "node.wasm");
    const r = spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "image", manifest, "-o", out], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.statSync(out).size > 0);
    assert.match(r.stdout, /\n  wasmtime run -W exceptions=y -S inherit-network=y \S*node\.wasm \[--for <ms>\]/, "no --dir without disks");
    assert.match(r.stdout, /\[--quiet\] \[--capture\]\n/, "the run line offers --capture");
    assert.ok(r.stdout.includes(`persia capture --from <file> --manifest ${manifest} -o out.pcapng`), r.stdout);
    assert.doesNotMatch(r.stdout, /mkdir/);
    assert.match(r.stdout, new RegExp(`kernel\\.wasm sha256 ${sha256(fs.readFileSync(KERNEL_WASM))}`));
    assert.match(r.stdout, /\n  store echo\.wasm: service id\(s\) 1, 2, RAM up to 2048 KiB, sha256 [0-9a-f]{64}\n/);
    assert.match(r.stdout, /\n  store probe\.wasm: service id\(s\) 3, RAM up to 16384 KiB/);
    const bad = spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "image", manifest.replace("node.yaml", "none.yaml"), "-o", out], { encoding: "utf8" });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^persia: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("`persia image` prints a mkdir -p of the disks' directories, each the --dir of the wasmtime line, shell-quoted", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-dirs-"));
  try {
    const manifest = path.join(dir, "node.yaml");
    const disks = `disks:
  - { name: a, path: "my disks/a.img", size: 1MiB }
  - { name: b, path: "/${path.relative("/", dir)}/b/b.img", size: 1MiB }
  - { name: c, path: "my disks/c.img", size: 1MiB }
`;
    fs.writeFileSync(manifest, yaml("vxlan", disks).replace(/build\/wasm/g, path.join(ROOT, "build/wasm")));
    const r = spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "image", manifest, "-o", path.join(dir, "n.wasm")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split("\n").map((l) => l.trim());
    const mkdir = lines.findIndex((l) => l.startsWith("mkdir -p "));
    assert.ok(mkdir >= 0 && lines[mkdir + 1].startsWith("wasmtime run "), `a mkdir line right before the wasmtime line:\n${r.stdout}`);
    const made = spawnSync("sh", ["-c", lines[mkdir]], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    const want = [path.join(dir, "my disks"), path.join(dir, "b")];
    for (const d of want) assert.ok(fs.statSync(d).isDirectory(), `${d} was made`);
    const words = spawnSync("sh", ["-c", `printf '%s\\n' ${lines[mkdir + 1].replace(/\[.*$/, "")}`], { encoding: "utf8" }).stdout.split("\n");
    const dirs = words.flatMap((w, i) => (words[i - 1] === "--dir" ? [w] : []));
    assert.deepEqual(dirs, want, "one --dir per directory, as the shell reads them");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

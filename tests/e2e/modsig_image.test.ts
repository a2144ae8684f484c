// Signed modules in a wasmtime image (spec/image.md, "Signed modules"): with domains: in
// the manifest the image carries each module file as signed and the kernel checks it at
// boot through module_read, as on the Node host. An image whose embedded file is not the
// signed one (composed from bytes that changed after the loader checked the manifest) does
// not boot and says which module and why; the signed one boots. wasmtime comes from
// tests/setup.js; under CI=true its absence fails this file.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import { parseManifest } from "../../loader/manifest";
import { composeImage } from "../../loader/image/compose";
import { keyFromSeed, publicKeyText } from "../../loader/control/message";
import { signModule } from "../../loader/modsig/sign";
import { customSection } from "../../loader/modsig/format";
import { RunningImage, wasmtimeOrSkip } from "./wasmtime";

const wt = wasmtimeOrSkip();
const SEED = new Uint8Array(32).fill(9);

function manifest(port: number, echo: string): string {
  return `
node: { name: modsig.sabz.city, role: server }
nics:
  - { name: vx0, kind: vxlan, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"], vxlan: { local: "[::1]:${port}", remote: "[::1]:${port + 1}", vni: 78 } }
services:
  - { domain: echo.sabz.city, module: ${echo}, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
domains:
  - { domain: sabz.city, publishers: ["${publicKeyText(keyFromSeed(SEED).publicKey)}"] }
`;
}

describe("signed modules in an image under wasmtime", { skip: wt.skip }, () => {
  const port = 47000 + (process.pid % 1000) * 2;

  async function run(tamper: boolean, until: (r: RunningImage) => boolean): Promise<RunningImage> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-modsig-image-"));
    try {
      const echo = path.join(dir, "echo.wasm");
      const signed = signModule(fs.readFileSync(path.join(WASM_DIR, "services/echo.wasm")), SEED);
      fs.writeFileSync(echo, signed);
      const m = parseManifest(manifest(port, echo), "modsig.yaml", ROOT);
      const changed = new Uint8Array(Buffer.concat([signed, customSection("added", Uint8Array.of(1))]));
      const image = await composeImage(m, {
        kernel: fs.readFileSync(path.join(WASM_DIR, "kernel.wasm")), shim: fs.readFileSync(path.join(WASM_DIR, "shim.wasm")),
        readModule: (f) => (tamper && f === echo ? changed : fs.readFileSync(f)),
      });
      fs.writeFileSync(path.join(dir, "node.wasm"), image.bytes);
      const r = new RunningImage(wt.file, image.wasmtimeFlags, path.join(dir, "node.wasm"), ["--for", "1"]);
      await r.until(() => until(r) || r.exit !== null, 30000, "the image to boot or stop");
      await r.stop();
      return r;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it("boots an image of modules signed for their domains", async () => {
    const r = await run(false, (x) => x.stderr.includes("is running"));
    assert.match(r.stderr, /is running/, r.stderr);
    assert.doesNotMatch(r.stderr, /NOT checked/);
  });

  it("refuses to boot an image whose module is not the signed one, naming it and why", async () => {
    const r = await run(true, () => false);
    assert.notEqual(r.exit, 0);
    assert.match(r.stderr, /boot refused: the module of echo\.sabz\.city is not signed for it.*its sections do not match/, r.stderr);
    assert.doesNotMatch(r.stderr, /is running/);
  });
});

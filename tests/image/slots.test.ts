// The wasmtime image's slot bound (abi/image.ts IMG_SLOT_MAX, spec/image.md "Slots"): a
// manifest with more service ids than an image can hold is refused by `persia image` with
// the count, the bound and what runs more, before any module is metered; an image of
// exactly IMG_SLOT_MAX services composes (in several glue groups), wasmtime compiles it and
// runs every service (where the pinned wasmtime is installed), so the bound is the real
// one and not lower than it needs to be. One more is refused by wasmtime itself
// ("instances count exceeds limit of 1000", measured: abi/image.ts).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMG_GLUE_SLOTS, IMG_SLOT_MAX } from "../../abi/image";
import { ROOT } from "../../hosts/node/paths";
import { KERNEL_WASM, SHIM_WASM, statusFromOutput } from "../../cli/image";
import { coreModules } from "../../loader/image/component";
import { composeImage, wasmtimePin } from "../../loader/image/compose";
import { parseManifest } from "../../loader/manifest";
import { LoaderError } from "../../loader/errors";

/** One echo service and a store entry of `slots` slots of the same module. */
const manifest = (slots: number) => `
node: { name: slots.sabz.city, role: server }
nics: []
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 128KiB } }
store:
  - { module: build/wasm/services/echo.wasm, ram: 128KiB, slots: ${slots} }
`;

const inputs = () => ({ kernel: fs.readFileSync(KERNEL_WASM), shim: fs.readFileSync(SHIM_WASM) });

/** The pinned wasmtime's binary, or null where it is not installed. */
function wasmtime(): string | null {
  const r = spawnSync("python3", ["-c", wasmtimePin().locate], { encoding: "utf8" });
  const bin = r.status === 0 ? r.stdout.trim() : "";
  return bin !== "" && fs.existsSync(bin) ? bin : null;
}

test(`an image of more than IMG_SLOT_MAX (${IMG_SLOT_MAX}) slots is refused, saying how many and why`, async () => {
  let read = 0;
  await assert.rejects(composeImage(parseManifest(manifest(IMG_SLOT_MAX), "slots.yaml", ROOT), {
    ...inputs(), readModule: (f) => { read++; return fs.readFileSync(f); },
  }), (e: unknown) => {
    assert.ok(e instanceof LoaderError, String(e));
    assert.match(e.message, new RegExp(`1 services and ${IMG_SLOT_MAX} store slots make ${IMG_SLOT_MAX + 1} service ids`));
    assert.match(e.message, new RegExp(`at most ${IMG_SLOT_MAX}`));
    assert.match(e.message, /--target metal/);
    return true;
  });
  assert.equal(read, 0, "refused before any module is read or metered");
});

/** IMG_SLOT_MAX boot services of one module, each at its own address. */
const bootManifest = (n: number) => `
node: { name: slots.sabz.city, role: server }
nics: []
services:
${Array.from({ length: n }, (_, i) => `  - { domain: e${i}.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::${(i + 16).toString(16)}"], ram: { min: 64KiB, max: 128KiB } }`).join("\n")}
`;

test(`an image of exactly IMG_SLOT_MAX services composes in ${Math.ceil(IMG_SLOT_MAX / IMG_GLUE_SLOTS)} glue groups, wasmtime compiles it, and every service runs`, { timeout: 300000 }, async (t) => {
  const image = await composeImage(parseManifest(bootManifest(IMG_SLOT_MAX), "slots.yaml", ROOT), inputs());
  assert.equal(image.slots.length, IMG_SLOT_MAX);
  // The memory modules and glues of the groups, the tag, the hub... and each service's module once.
  assert.equal(coreModules(image.bytes).length, 2 * Math.ceil(IMG_SLOT_MAX / IMG_GLUE_SLOTS) + 8);
  const bin = wasmtime();
  if (bin === null) {
    if (process.env.CI === "true") throw new Error("the pinned wasmtime is not installed (node tests/setup.js)");
    t.skip("the pinned wasmtime is not installed");
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-slots-"));
  try {
    const wasm = path.join(dir, "image.wasm");
    const cwasm = path.join(dir, "image.cwasm");
    fs.writeFileSync(wasm, image.bytes);
    const c = spawnSync(bin, ["compile", "-W", "exceptions=y", wasm, "-o", cwasm], { encoding: "utf8" });
    assert.equal(c.status, 0, `wasmtime compile: ${c.stderr}`);
    // Every service is started through the hub and its group's glue: the last group's too.
    const r = spawnSync(bin, [...image.wasmtimeFlags, "--allow-precompiled", cwasm, "--for", "200", "--quiet"], { encoding: "utf8", timeout: 120000 });
    assert.equal(r.status, 0, `wasmtime run: ${r.stderr}`);
    const status = statusFromOutput(r.stdout);
    assert.equal(status.services.length, IMG_SLOT_MAX);
    assert.deepEqual(status.services.filter((s) => s.state !== "RUNNING").map((s) => `${s.id} ${s.state}`), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

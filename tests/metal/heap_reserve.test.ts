// A service cannot run the metal host out of heap: its memory growth is refused (memory.grow
// answers -1) when it could leave the heap below MTL_HEAP_RESERVE (node/memory.rs Limiter),
// so what the host allocates later — a Store and an instance each time the kernel restarts
// a service — is still there. Here QEMU gets 256 MiB, less than the 384 MiB RAM max hog is
// granted (-m is forced below the image's account), hog takes all it can in one grow at
// start, and crasher, which aborts in its start function, is restarted by the kernel again
// and again meanwhile. Measured: hog gets 3194 pages with the limiter, 3202 without — the
// largest free block, not the heap's whole free count, bounds one grow here, and the
// restarts fit in the smaller blocks left — so this passes without the limiter too: it
// guards the behaviour, and could not be made to show a host panic under QEMU. No root,
// no NIC.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { loadBinaryen } from "../../loader/instrument/binaryen";
import { EXIT_STOPPED, metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";

const skip = metalOrSkip();

/** A service whose start function runs `body` (WAT) with the imported memory. */
async function service(body: string): Promise<Uint8Array> {
  const b = await loadBinaryen();
  const m = b.parseText(`(module
    (import "env" "memory" (memory 1))
    (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
    (func (export "persia_event"))
    (func (export "persia_init") (local $n i32) ${body}))`);
  try {
    if (!m.validate()) throw new Error("the test module does not validate");
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

// The largest grow that succeeds, tried from 6144 pages (384 MiB) down, a page at a time.
const HOG = `(local.set $n (i32.const 6144))
  (block $done (loop $try
    (br_if $done (i32.ge_s (memory.grow (local.get $n)) (i32.const 0)))
    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
    (br_if $try (i32.gt_s (local.get $n) (i32.const 0)))))`;
const CRASH = `(call $abort (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))`;

describe("a service growing past the machine's memory on metal", { skip, timeout: 120000 }, () => {
  let dir = "", qemu: RunningQemu | null = null;
  before(() => { dir = tempDir("heap-reserve"); });
  after(async () => {
    await qemu?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is refused short of the heap's reserve: the kernel's restarts of another service go on", async () => {
    const hog = path.join(dir, "hog.wasm"), crash = path.join(dir, "crash.wasm"), elf = path.join(dir, "node.elf");
    fs.writeFileSync(hog, await service(HOG));
    fs.writeFileSync(crash, await service(CRASH));
    const image = await metalImageOf(`
node: { name: h.sabz.city, role: server }
nics: []
services:
  - { domain: hog.sabz.city, module: ${hog}, addresses: ["fd00:e::1"], ram: { min: 64KiB, max: 384MiB } }
  - { domain: crash.sabz.city, module: ${crash}, addresses: ["fd00:e::2"], ram: { min: 64KiB, max: 1MiB }, restart: { limit: 1000 } }
`, elf);
    assert.ok(image.ram.mib > 256, `the image asks for ${image.ram.mib} MiB`);
    qemu = new RunningQemu(image, elf, { append: "for=6000 status-every=1000", seconds: 100, memoryMiB: 256 });
    const code = await qemu.exited(100000);
    const restarts = qemu.lines.filter((l) => /service crash\.sabz\.city faulted; restarting/.test(l)).length;
    const pages = /"id":0,"ram_pages":(\d+)/.exec(qemu.lines.filter((l) => /ram_pages/.test(l)).pop() ?? "")?.[1];
    console.log(`exit ${code}; hog holds ${pages} pages; crash restarted ${restarts} times; ${qemu.lines.filter((l) => /panic|alloc|heap/.test(l)).join(" | ")}`);
    assert.ok(!qemu.lines.some((l) => /panic|memory allocation/.test(l)), qemu.serial.slice(-3000));
    assert.equal(code, EXIT_STOPPED, qemu.serial.slice(-3000));
    assert.ok(restarts >= 5, `crash was restarted ${restarts} times`);
  });
});

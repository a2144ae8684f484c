// The RAM a metal node needs (loader/metal/ram.ts): `persia image` derives QEMU's -m from
// the manifest — every service's and store slot's RAM max twice (wasmtime's memories may
// double as they grow) and the largest once more (a move in progress), the kernel's memory,
// the precompiled code, the host's own share and reserve — prints it, puts it on the QEMU
// line, and refuses a manifest that needs more than the host can reach (MTL_RAM_MAX). It
// printed -m 512M whatever the manifest granted (the attacker's review: two services of
// 2 GiB each were accepted).
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { MTL_HEAP_RESERVE, MTL_RAM_MAX } from "../../abi/metal";
import { parseManifest } from "../../loader/manifest";
import { composeMetal, qemuArgs } from "../../loader/metal/image";
import { ROOT } from "../../hosts/node/paths";
import { fakePrecompile, flatBootImage } from "./fixture";

const ECHO = `${ROOT}/build/wasm/services/echo.wasm`;
const built = fs.existsSync(ECHO) ? false : "build/wasm is not built (npm run build)";
const MIB = 1 << 20;
const yaml = (max: string, store = "") => `node: { name: r.sabz.city, role: server }
nics: []
services:
  - { domain: a.sabz.city, module: ${ECHO}, addresses: ["fd00:1::7"], ram: { min: 64KiB, max: ${max} } }
  - { domain: b.sabz.city, module: ${ECHO}, addresses: ["fd00:1::8"], ram: { min: 64KiB, max: ${max} } }
${store}`;
const compose = (y: string) => composeMetal(parseManifest(y, "node.yaml", ROOT), { kernel: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), boot: flatBootImage(), precompile: fakePrecompile });

describe("the RAM of a metal image", { skip: built }, () => {
  it("is derived from the RAM maxes, and is QEMU's -m", async () => {
    const small = await compose(yaml("1MiB")), big = await compose(yaml("256MiB"));
    // Two services of 256 MiB more than of 1 MiB: each twice, and one of them once more.
    assert.equal(big.ram.services - small.ram.services, 5 * 255 * MIB);
    assert.ok(small.ram.host >= MTL_HEAP_RESERVE);
    assert.equal(big.ram.mib % 16, 0);
    assert.ok(big.ram.mib * MIB >= big.ram.services + big.ram.host + big.ram.code + big.ram.image + big.ram.kernel);
    const args = qemuArgs(big.plan, "node.elf", { memoryMiB: big.ram.mib });
    assert.equal(args[args.indexOf("-m") + 1], `${big.ram.mib}M`);
  });

  it("counts each store slot as a service at its RAM max", async () => {
    const base = await compose(yaml("1MiB")), store = await compose(yaml("1MiB", `store:\n  - { module: ${ECHO}, ram: 64MiB, slots: 3 }\n`));
    assert.equal(store.ram.services - base.ram.services, (2 * 3 * 64 + (64 - 1)) * MIB);
  });

  it("refuses a manifest that needs more than the host can reach, with a sentence", async () => {
    await assert.rejects(compose(yaml("2GiB")), (e: Error) => {
      assert.match(e.message, new RegExp(`^the node's RAM: it needs \\d+ MiB \\(services and store slots \\d+ MiB: each RAM max twice.*over the ${MTL_RAM_MAX / MIB} MiB the metal host can reach .*Lower the services' \`ram.max\``));
      return true;
    });
  });
});

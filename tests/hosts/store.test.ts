// The Node host's store for modules PUT over the network (hosts/node/store.ts; spec/
// control.md "Module transfer (PUT)"), driven as the kernel drives it through mod_stage,
// mod_write, mod_read, mod_commit and mod_abort: staged bytes are never loadable and never
// under a module's name; a commit is all or nothing (a module the loader refuses leaves
// nothing); a module held already is MS_HELD and read from its file; an abort removes the
// staging file only; a start removes what an earlier run left, and nothing else.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MS_HELD, MS_STAGED } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { loadBinaryen } from "../../loader/instrument/binaryen";
import { ModuleStore } from "../../hosts/node/store";
import { ServiceHost } from "../../hosts/node/services";
import { ROOT } from "../../hosts/node/paths";
import { customSection } from "../../loader/modsig/format";

const ECHO = new Uint8Array(fs.readFileSync(path.join(ROOT, "build/wasm/services/echo.wasm")));
const sha = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const hex = (b: Uint8Array) => Buffer.from(sha(b)).toString("hex");

async function withStore(body: (s: ModuleStore, services: ServiceHost, dir: string) => Promise<void>, before?: (dir: string) => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-store-"));
  try {
    before?.(dir);
    const services = new ServiceHost();
    const s = new ModuleStore(dir, services, await loadBinaryen(), 16, () => {});
    await body(s, services, dir);
    s.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Stage m in slot in two writes, second half first. */
function stageAll(s: ModuleStore, slot: number, m: Uint8Array): number {
  const r = s.stage(slot, sha(m), m.length);
  if (r !== MS_STAGED) return r;
  const half = m.length >> 1;
  assert.equal(s.write(slot, half, m.subarray(half)), 0);
  assert.equal(s.write(slot, 0, m.subarray(0, half)), 0);
  return r;
}

test("a staged module is not loadable until its commit, which puts it under its SHA-256; a second stage of it is MS_HELD", async () => {
  await withStore(async (s, services, dir) => {
    assert.equal(stageAll(s, 0, ECHO), MS_STAGED);
    assert.deepEqual(fs.readdirSync(dir), [".staging-0"]);
    assert.equal(services.hasPut(hex(ECHO)), false, "nothing staged is loadable");
    const back = new Uint8Array(ECHO.length);
    assert.equal(s.read(0, 0, back), ECHO.length);
    assert.deepEqual(back, ECHO, "what the kernel reads back is what was written");
    assert.equal(s.write(0, ECHO.length - 1, Uint8Array.of(1, 2)), -Errno.EINVAL, "a write past the size");
    assert.equal(s.commit(0), 0);
    assert.deepEqual(fs.readdirSync(dir), [`${hex(ECHO)}.wasm`]);
    assert.equal(services.hasPut(hex(ECHO)), true);
    assert.equal(s.stage(1, sha(ECHO), ECHO.length), MS_HELD, "stored once");
    const held = new Uint8Array(16);
    assert.equal(s.read(1, 0, held), 16);
    assert.deepEqual(held, ECHO.subarray(0, 16));
    assert.equal(s.write(1, 0, held), -Errno.EINVAL, "a held module is not written");
    s.abort(1);
    assert.deepEqual(fs.readdirSync(dir), [`${hex(ECHO)}.wasm`], "aborting a held slot keeps the module");
  });
});

test("a module the loader refuses is not stored; an aborted stage leaves nothing", async () => {
  await withStore(async (s, services, dir) => {
    const junk = new Uint8Array(500).fill(9);
    stageAll(s, 2, junk);
    assert.equal(s.commit(2), -Errno.EBADMSG);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.equal(services.hasPut(hex(junk)), false);
    stageAll(s, 3, ECHO);
    s.abort(3);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.equal(s.read(3, 0, new Uint8Array(1)), -Errno.EINVAL, "an ended slot reads nothing");
  });
});

test("a start removes the modules and staging files an earlier run left, and nothing else", async () => {
  await withStore(async (_s, services, dir) => {
    assert.deepEqual(fs.readdirSync(dir), ["notes.txt"]);
    assert.equal(services.hasPut(hex(ECHO)), false);
  }, (dir) => {
    fs.writeFileSync(path.join(dir, `${hex(ECHO)}.wasm`), ECHO);
    fs.writeFileSync(path.join(dir, ".staging-1"), "x");
    fs.writeFileSync(path.join(dir, "notes.txt"), "not the store's");
  });
});

test("a commit stores only bytes whose SHA-256 is the name they were staged under (a staged file changed behind the kernel is refused)", async () => {
  await withStore(async (s, services, dir) => {
    const m = Buffer.concat([ECHO, customSection("pad", new Uint8Array(64))]);
    assert.equal(stageAll(s, 0, m), MS_STAGED);
    // Someone with the directory's rights puts another valid module of the same size in the
    // staging file after the kernel's check.
    const f = path.join(dir, ".staging-0");
    fs.writeFileSync(f, Buffer.concat([ECHO, customSection("pad", new Uint8Array(64).fill(1))]));
    assert.equal(s.commit(0), -Errno.EBADMSG);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.equal(services.hasPut(hex(m)), false);
  });
});

// Control messages, store slots and signed modules on metal (issue #12: "store slots and
// signed LOAD/UNLOAD/GRANT work as on the other hosts; precompiled store modules are part
// of the image"). A metal node under QEMU with a store: entry, users: with alice's key and a
// node.identity, on a TAP whose other end is a Linux host in a network namespace; from
// there, as a person would, `persia ctl` (cli/ctl.ts, which opens every answer sealed to the
// user's key and refuses one not signed by the node's key, pinned here from the manifest's
// node.identity): HELLO; LOAD of the store module into its slot (it then answers on its
// address); GRANT (a RAM change restarts it into the new maximum; balloon shows the new
// maximum is enforced); UNLOAD (it stops answering); LOAD again; ENOSPC with every slot
// taken, ENOENT for a module not in the store; the manifest's own service unloaded and its
// slot loaded again; a LOAD signed by a key that is no user's is refused; a PUT is refused
// with ENOTSUP and the sentence the wasmtime image gives (tests/e2e/put_image.test.ts); a
// client pinned to another node key refuses the node's answers.
// Then signed modules: a manifest with domains: whose service and store modules are signed
// by its publisher boots on metal, its service answers, and a LOAD of the signed store
// module starts it (the kernel reads the signed file through module_read); a module signed
// by a key the node does not trust for its domain makes `persia image --target metal`
// refuse it with the file, manifest line and reason, as `persia image` does for wasmtime.
// Needs root, iproute2, ping, python3, and what qemu.ts needs.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import { addressFromMac, formatAddr, parseAddr, parseMac } from "../../loader/ip6";
import { keyFromSeed, publicKeyText } from "../../loader/control/message";
import { signModule } from "../../loader/modsig/sign";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { missing, skipOrFail } from "../e2e/linux";
import { CLI, keyNew, persia, Ran } from "../e2e/block_net";
import { waitFor } from "../wait";
import { metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { adoptTap, dropHost, inNs, makeTap, TapHost, udpOnce } from "./tap";

const skip = skipOrFail(missing(["ip", "ping", "/usr/bin/python3"])) || metalOrSkip();
const TAG = (process.pid % 900) + 100;
const ECHO_WASM = path.join(WASM_DIR, "services/echo.wasm");
const BALLOON_WASM = path.join(WASM_DIR, "tests/balloon.wasm");   // grows its memory until refused (tests/services/balloon)

/** A node's global address in prefix: what `persia ctl --node` is given. */
const nodeAddr = (prefix: string, mac: string) => formatAddr(addressFromMac(parseAddr(prefix), parseMac(mac)));

/** Boots image `elf` of manifest `yaml` on TAP dev, the Linux host at linux in namespace ns;
 *  resolves once the node's address answers pings. */
async function boot(yaml: string, dir: string, dev: string, ns: string, linux: string, node: string): Promise<{ qemu: RunningQemu; host: TapHost }> {
  const elf = path.join(dir, "node.elf");
  const image = await metalImageOf(yaml, elf);
  makeTap(dev);
  const qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, append: "status-every=1000", seconds: 170 });
  await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);    // QEMU has opened the TAP
  const host = adoptTap(dev, ns, [`${linux}/64`]);
  await waitFor(async () => /1 received/.test((await inNs(ns, `ping -6 -c 1 -W 1 ${node}`)).out), 30000, `a ping reply from the node at ${node}`, 100);
  return { qemu, host };
}

/** Waits until `addr`'s echo service answers UDP port 7 (or, with `answers` false, stops). */
function echoes(ns: string, addr: string, answers = true, ms = 15000): Promise<string> {
  return waitFor(async () => {
    const r = await udpOnce(ns, addr, 7, "ctl");
    return (answers ? r.startsWith("reply") : r === "timeout") && r;
  }, ms, `${addr} to ${answers ? "answer" : "stop answering"} UDP on port 7`, 200);
}

describe("store slots and signed control messages on a metal node, over a TAP from a netns", { skip, timeout: 240000 }, () => {
  const dev = `mtc${TAG}`, ns = `mc${TAG}`;
  const PREFIX = `fd00:c:${TAG}::`, MAC = "02:00:5a:b2:0c:01";
  const NODE = nodeAddr(PREFIX, MAC), SVC = `${PREFIX}a1`, BOOTSVC = `${PREFIX}a3`, LINUX = `${PREFIX}100`;
  let dir = "", nodeKey = "", qemu: RunningQemu | null = null, host: TapHost | null = null;
  const f = (n: string) => path.join(dir, n);
  /** `persia ctl <args> --node NODE --manifest node.yaml` from the Linux host's namespace. */
  const ctl = (op: string, target: string | null, key: string, ...more: string[]): Promise<Ran> =>
    persia(ns, ["ctl", op, ...(target === null ? [] : [target]), "--node", NODE, "--key", f(key), "--manifest", f("node.yaml"), ...more]);

  before(async () => {
    dir = tempDir("ctl");
    const alice = await keyNew(f("alice.key"));
    await keyNew(f("mallory.key"));
    nodeKey = await keyNew(f("node.id"));
    fs.writeFileSync(f("node.yaml"), `
node: { name: mc${TAG}.sabz.city, role: server, identity: node.id }
nics:
  - { name: lan0, kind: virtio, mac: "${MAC}", prefixes: ["${PREFIX}/64"] }
services:
  - { domain: b.a.sabz.city, module: ${ECHO_WASM}, addresses: ["${BOOTSVC}"], ram: { min: 64KiB, max: 1MiB } }
users:
  - { name: alice, key: "${alice}", domains: [a.sabz.city], addresses: ["${PREFIX}a0/124"], store: 4MiB }
store:
  - { module: ${ECHO_WASM}, ram: 1MiB, slots: 1 }
  - { module: ${BALLOON_WASM}, ram: 1MiB, slots: 1 }
`);
    fs.writeFileSync(f("svc.yaml"), `{ domain: echo.a.sabz.city, module: ${ECHO_WASM}, addresses: ["${SVC}"], ram: { min: 128KiB, max: 256KiB } }\n`);
    fs.writeFileSync(f("grant.yaml"), "{ domain: echo.a.sabz.city, ram: { min: 64KiB, max: 1MiB } }\n");
    // metalImageOf parses the manifest text relative to the repository: node.id by its path.
    ({ qemu, host } = await boot(fs.readFileSync(f("node.yaml"), "utf8").replace("identity: node.id", `identity: ${f("node.id")}`),
      dir, dev, ns, LINUX, NODE));
  });
  after(async () => {
    await qemu?.kill();
    dropHost(host ?? { ns, dev });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("HELLO: the sealed answer, signed by the node's key, says alice's last sequence number", async () => {
    const r = await ctl("hello", null, "alice.key");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^epoch [0-9a-f]+, last sequence number 0: hello; sign with this epoch and a sequence number above this one$/m, r.out);
    assert.ok(qemu!.lines.includes(`info kernel: node key ${nodeKey}`), "the node signs with its manifest's node.identity, and says so on serial");
  });

  it("LOAD starts the store module in its slot, and it answers on its address", async () => {
    assert.match(await udpOnce(ns, SVC, 7, "before"), /^timeout$/, "nothing answers there before the LOAD");
    const r = await ctl("load", f("svc.yaml"), "alice.key");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^ok \(service 1\): control: alice loaded echo\.a\.sabz\.city/m, r.out);
    assert.equal(await echoes(ns, SVC), `reply ${SVC} 7 ctl`);
  });

  it("GRANT changes its limits; a RAM change restarts it into the new maximum, and it answers again", async () => {
    const r = await ctl("grant", f("grant.yaml"), "alice.key");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^ok: control: alice granted new limits to echo\.a\.sabz\.city; its RAM max changed, so it restarts now$/m, r.out);
    assert.equal(await echoes(ns, SVC), `reply ${SVC} 7 ctl`);
    const g = (await qemu!.freshStatus()).grants.find((x) => x.service === 1);
    assert.equal(g?.ramMaxPages, 16, "the status line on serial shows the new RAM max, 1 MiB in 64 KiB pages");
    fs.writeFileSync(f("grant2.yaml"), "{ domain: echo.a.sabz.city, ram: { min: 64KiB, max: 2MiB } }\n");
    const big = await ctl("grant", f("grant2.yaml"), "alice.key");
    assert.equal(big.code, 1, big.out);
    assert.match(big.out, /^refused, ENOSPC/m, `over the store entry's 1 MiB of RAM\n${big.out}`);
    assert.equal(await echoes(ns, SVC), `reply ${SVC} 7 ctl`, "a refused GRANT leaves it running");
  });

  it("UNLOAD stops it: its address no longer answers", async () => {
    const r = await ctl("unload", "echo.a.sabz.city", "alice.key");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^ok: control: alice unloaded echo\.a\.sabz\.city$/m, r.out);
    assert.equal(await echoes(ns, SVC, false), "timeout");
  });

  it("LOAD again takes the freed slot, and it answers again", async () => {
    const r = await ctl("load", f("svc.yaml"), "alice.key");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^ok \(service 1\): control: alice loaded echo\.a\.sabz\.city/m, r.out);
    assert.equal(await echoes(ns, SVC), `reply ${SVC} 7 ctl`);
  });

  it("a LOAD while every slot of its module is taken is refused with ENOSPC", async () => {
    fs.writeFileSync(f("e3.yaml"), `{ domain: e3.a.sabz.city, module: ${ECHO_WASM}, addresses: ["${PREFIX}a4"], ram: { min: 128KiB, max: 256KiB } }\n`);
    const r = await ctl("load", f("e3.yaml"), "alice.key");
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^refused, ENOSPC.*no free slot for its module/m, r.out);
  });

  it("a LOAD of a module the image's store does not hold is refused with ENOENT", async () => {
    fs.writeFileSync(f("kv.yaml"), `{ domain: kv.a.sabz.city, module: ${path.join(WASM_DIR, "services/kv.wasm")}, addresses: ["${PREFIX}a6"], ram: { min: 128KiB, max: 256KiB } }\n`);
    const r = await ctl("load", f("kv.yaml"), "alice.key");
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^refused, ENOENT/m, r.out);
  });

  it("UNLOAD of the manifest's own service frees its slot, and a LOAD of the same module takes it", async () => {
    assert.equal(await echoes(ns, BOOTSVC), `reply ${BOOTSVC} 7 ctl`, "the manifest's service runs from boot");
    const u = await ctl("unload", "b.a.sabz.city", "alice.key");
    assert.equal(u.code, 0, u.out);
    assert.equal(await echoes(ns, BOOTSVC, false), "timeout");
    fs.writeFileSync(f("b.yaml"), `{ domain: b.a.sabz.city, module: ${ECHO_WASM}, addresses: ["${BOOTSVC}"], ram: { min: 128KiB, max: 512KiB } }\n`);
    const r = await ctl("load", f("b.yaml"), "alice.key");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^ok \(service 0\): control: alice loaded b\.a\.sabz\.city/m, r.out);
    assert.equal(await echoes(ns, BOOTSVC), `reply ${BOOTSVC} 7 ctl`);
  });

  it("GRANT's new RAM max is the one the restarted service grows to: balloon stops at 4 pages, then at 8", async () => {
    const BALLOON = `${PREFIX}a5`;
    const poke = () => inNs(ns, `/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"balloon", ("${BALLOON}", 9))'`);
    fs.writeFileSync(f("balloon.yaml"), `{ domain: balloon.a.sabz.city, module: ${BALLOON_WASM}, addresses: ["${BALLOON}"], ram: { min: 64KiB, max: 256KiB } }\n`);
    const r = await ctl("load", f("balloon.yaml"), "alice.key");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^ok \(service 2\): control: alice loaded balloon\.a\.sabz\.city/m, r.out);
    await poke();
    await qemu!.line(/balloon: grew 3 pages, stopped at 4 pages/, 10000);
    fs.writeFileSync(f("balloon-grant.yaml"), "{ domain: balloon.a.sabz.city, ram: { min: 64KiB, max: 512KiB } }\n");
    const g = await ctl("grant", f("balloon-grant.yaml"), "alice.key");
    assert.equal(g.code, 0, g.out);
    assert.match(g.out, /its RAM max changed, so it restarts now/, g.out);
    await waitFor(async () => { await poke(); return qemu!.lines.some((l) => /balloon: grew 7 pages, stopped at 8 pages/.test(l)); },
      10000, "the restarted balloon to grow to its new RAM max, 8 pages", 300);
  });

  it("a LOAD signed by a key that is no user's is refused, in a sealed answer", async () => {
    const r = await ctl("unload", "echo.a.sabz.city", "mallory.key");
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^refused, EACCES.*: the key is not one of the node's users \(manifest users:\)$/m, r.out);
    const l = await ctl("load", f("svc.yaml"), "mallory.key");
    assert.equal(l.code, 1, l.out);
    assert.match(l.out, /^refused, EACCES.*: the key is not one of the node's users \(manifest users:\)$/m, l.out);
    assert.doesNotMatch(l.out, /came in clear/, "the refusal was sealed and signed by the node");
    assert.equal(await echoes(ns, SVC), `reply ${SVC} 7 ctl`, "alice's service still runs");
  });

  it("a PUT is refused with ENOTSUP and the wasmtime image's sentence: add it to store: and rebuild the image", async () => {
    const r = await ctl("put", ECHO_WASM, "alice.key", "--domain", "echo.a.sabz.city");
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^refused, ENOTSUP/m, r.out);
    assert.match(r.out, /cannot take a module at run time.*add the module to the manifest's store: and rebuild the image with persia image/, r.out);
  });

  it("an answer signed by another key than the node's is refused by the client", async () => {
    // The client pinned to a key that is not the node's: every answer is refused, none trusted.
    const other = publicKeyText(keyFromSeed(new Uint8Array(32).fill(7)).publicKey);
    const r = await persia(ns, ["ctl", "hello", "--node", NODE, "--key", f("alice.key"), "--node-key", other]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /refused an answer from .*signed by another key|no genuine answer/, r.out);
  });
});

describe("signed modules on metal", { skip, timeout: 240000 }, () => {
  const dev = `mts${TAG}`, ns = `ms${TAG}`;
  const PREFIX = `fd00:e:${TAG}::`, MAC = "02:00:5a:b2:0e:01";
  const NODE = nodeAddr(PREFIX, MAC), ECHO = `${PREFIX}7`, SVC = `${PREFIX}a1`, LINUX = `${PREFIX}100`;
  const PUBLISHER = new Uint8Array(32).fill(9), STRANGER = new Uint8Array(32).fill(10);
  let dir = "", qemu: RunningQemu | null = null, host: TapHost | null = null;
  const f = (n: string) => path.join(dir, n);
  const OTHER = new Uint8Array(32).fill(11);   // a publisher the node trusts for other.city only
  const manifest = (alice: string, svcModule: string, storeModule: string) => `
node: { name: ms${TAG}.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "${MAC}", prefixes: ["${PREFIX}/64"] }
services:
  - { domain: echo.sabz.city, module: ${svcModule}, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
users:
  - { name: alice, key: "${alice}", domains: [a.sabz.city], addresses: ["${PREFIX}a0/124"] }
store:
  - { module: ${storeModule}, ram: 1MiB, slots: 1 }
  - { module: ${f("echo.other.wasm")}, ram: 1MiB, slots: 1 }
domains:
  - { domain: sabz.city, publishers: ["${publicKeyText(keyFromSeed(PUBLISHER).publicKey)}"] }
  - { domain: other.city, publishers: ["${publicKeyText(keyFromSeed(OTHER).publicKey)}"] }
`;

  before(async () => {
    dir = tempDir("modsig");
    const echo = fs.readFileSync(ECHO_WASM);
    fs.writeFileSync(f("echo.signed.wasm"), signModule(echo, PUBLISHER));
    fs.writeFileSync(f("echo.stranger.wasm"), signModule(echo, STRANGER));
    fs.writeFileSync(f("echo.other.wasm"), signModule(echo, OTHER));
    const alice = await keyNew(f("alice.key"));
    fs.writeFileSync(f("node.yaml"), manifest(alice, f("echo.signed.wasm"), f("echo.signed.wasm")));
    fs.writeFileSync(f("svc.yaml"), `{ domain: echo.a.sabz.city, module: ${f("echo.signed.wasm")}, addresses: ["${SVC}"], ram: { min: 128KiB, max: 256KiB } }\n`);
    ({ qemu, host } = await boot(fs.readFileSync(f("node.yaml"), "utf8"), dir, dev, ns, LINUX, NODE));
  });
  after(async () => {
    await qemu?.kill();
    dropHost(host ?? { ns, dev });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a manifest with domains: whose modules are signed boots, checks them, and its service answers", async () => {
    assert.equal(await echoes(ns, ECHO), `reply ${ECHO} 7 ctl`);
    assert.doesNotMatch(qemu!.serial, /NOT checked/, "the node says it checks signatures");
  });

  it("a LOAD of the signed store module starts it, the kernel reading the signed file", async () => {
    const r = await persia(ns, ["ctl", "load", f("svc.yaml"), "--node", NODE, "--key", f("alice.key"), "--manifest", f("node.yaml")]);
    assert.equal(r.code, 0, `${r.out}\nserial:\n${qemu!.serial.slice(-2000)}`);
    assert.match(r.out, /^ok \(service 1\): control: alice loaded echo\.a\.sabz\.city/m, r.out);
    assert.equal(await echoes(ns, SVC), `reply ${SVC} 7 ctl`);
  });

  it("a LOAD of a store module signed only for another domain is refused with EACCES and the reason; the slot stays free", async () => {
    fs.writeFileSync(f("other.yaml"), `{ domain: e2.a.sabz.city, module: ${f("echo.other.wasm")}, addresses: ["${PREFIX}a2"], ram: { min: 128KiB, max: 256KiB } }\n`);
    const load = () => persia(ns, ["ctl", "load", f("other.yaml"), "--node", NODE, "--key", f("alice.key"), "--manifest", f("node.yaml")]);
    const r = await load();
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^refused, EACCES.*: control: alice cannot load e2\.a\.sabz\.city: its module is not signed for it by a key of the manifest's domains: /m, r.out);
    assert.equal(await udpOnce(ns, `${PREFIX}a2`, 7, "no"), "timeout", "nothing was started");
    const again = await load();
    assert.match(again.out, /^refused, EACCES.*not signed for it/m, `the refused LOAD freed its slot: the same refusal again, not ENOSPC\n${again.out}`);
  });

  it("persia image --target metal refuses a module signed by a key not trusted for its domain: file, line and reason, as for wasmtime", () => {
    const alice = publicKeyText(keyFromSeed(new Uint8Array(32).fill(1)).publicKey);
    for (const [bad, at] of [[manifest(alice, f("echo.stranger.wasm"), f("echo.signed.wasm")), 6], [manifest(alice, f("echo.signed.wasm"), f("echo.stranger.wasm")), 10]] as const) {
      fs.writeFileSync(f("bad.yaml"), bad);
      const field = at === 6 ? "services\\[0\\]\\.module" : "store\\[0\\]\\.module";
      const metal = spawnSync(process.execPath, [CLI, "image", f("bad.yaml"), "--target", "metal", "-o", f("bad.elf")], { encoding: "utf8", cwd: ROOT });
      const wasm = spawnSync(process.execPath, [CLI, "image", f("bad.yaml"), "-o", f("bad.node.wasm")], { encoding: "utf8", cwd: ROOT });
      assert.equal(metal.status, 1, metal.stderr);
      assert.match(metal.stderr, new RegExp(`bad\\.yaml:${at}: ${field}: the module ${f("echo.stranger.wasm").replace(/\./g, "\\.")} is refused: ` +
        "no signature on it verifies with a publisher key"), metal.stderr);
      assert.equal(metal.stderr, wasm.stderr, "the same refusal as for a wasmtime image");
      assert.ok(!fs.existsSync(f("bad.elf")), "no image was written");
    }
  });
});

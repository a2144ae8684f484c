// Hostile services on the metal host (issue #12), each next to echo on one node under QEMU,
// with a Linux host on a TAP in a netns sending the triggers of tests/services/trigger.ts:
// spin (a runaway loop: Fault FUEL, the #6 fuel case), stall (a loop of syscalls through a
// function reference, issue #10: FUEL within one budget, at most FUEL_PER_CALL /
// IMPORT_CALL_COST syscalls), recurse (Fault STACK), oob (an out-of-bounds load: TRAP) —
// the Faults the Node host gives them (tests/integration/fuel.test.ts, hostile.test.ts) —
// balloon (memory.grow stops cleanly at the RAM max), forger
// (guessed capability handles refused), and a module built here that makes a syscall at
// every level of an endless recursion — its last syscall enters the kernel with the
// service's whole stack budget used, so the kernel must still have room (spec/metal.md
// "Stacks"). Each faulting service restarts by policy and answers pings again; echo
// answers pings and a UDP datagram sent right behind every trigger, and never faults.
// Needs root, iproute2, ping, python3, and what qemu.ts needs.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { Errno } from "../../abi/errno";
import { FUEL_PER_CALL } from "../../abi/limits";
import { IMPORT_CALL_COST } from "../../loader/instrument/fuel";
import { loadBinaryen } from "../../loader/instrument/binaryen";
import { MetalImage } from "../../loader/metal/image";
import { missing, skipOrFail } from "../e2e/linux";
import { waitFor } from "../wait";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { adoptTap, dropHost, inNs, makeTap, TapHost, PYTHON } from "./tap";

const skip = skipOrFail(missing(["ip", "ping", "/usr/bin/python3"])) || metalOrSkip();
const TAG = (process.pid % 900) + 100;
const PREFIX = `fd00:e:${TAG}::`;
const MAC = "02:00:5a:b2:0e:01";
const LINUX = `${PREFIX}100`;
const ADDR = { echo: `${PREFIX}7`, spin: `${PREFIX}5`, oob: `${PREFIX}6`, recurse: `${PREFIX}a`, balloon: `${PREFIX}b`, forger: `${PREFIX}f`, deep: `${PREFIX}d`,
  stall: `${PREFIX}e` };
const RAM_MAX_PAGES = 4;   // ram max 256KiB below, in 64 KiB pages

/** A service that recurses without end and calls `clock` at every level (built with binaryen). */
async function deepModule(): Promise<Uint8Array> {
  const b = await loadBinaryen();
  const m = b.parseText(`(module
    (import "env" "memory" (memory 1))
    (import "persia" "clock" (func $clock (param i32) (result i32)))
    (func $deep (param $n i32) (result i32)
      (drop (call $clock (i32.const 64)))
      (i32.store (i32.const 0) (local.get $n))
      (i32.xor (call $deep (i32.add (local.get $n) (i32.const 1))) (local.get $n)))
    (func (export "persia_event"))
    (func (export "persia_init") (drop (call $deep (i32.const 0)))))`);
  try {
    if (!m.validate()) throw new Error("the deep-recursion test module does not validate");
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

const svc = (domain: string, module: string, addr: string, extra = "") =>
  `  - { domain: ${domain}, module: ${module}, addresses: ["${addr}"], ram: { min: 64KiB, max: 256KiB }${extra} }`;

const manifest = (deep: string) => `
node: { name: h${TAG}.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "${MAC}", prefixes: ["${PREFIX}/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", ADDR.echo)}
${svc("spin.sabz.city", "build/wasm/tests/spin.wasm", ADDR.spin)}
${svc("oob.sabz.city", "build/wasm/tests/oob.wasm", ADDR.oob)}
${svc("recurse.sabz.city", "build/wasm/tests/recurse.wasm", ADDR.recurse)}
${svc("balloon.sabz.city", "build/wasm/tests/balloon.wasm", ADDR.balloon)}
${svc("forger.sabz.city", "build/wasm/tests/forger.wasm", ADDR.forger)}
${svc("deep.sabz.city", deep, ADDR.deep, ", restart: { limit: 2 }")}
${svc("stall.sabz.city", "build/wasm/tests/stall.wasm", ADDR.stall)}
`;

const pings = async (ns: string, addr: string, n = 2) =>
  Number(/(\d+) received/.exec((await inNs(ns, `ping -6 -c ${n} -i 0.2 -W 2 ${addr}`)).out)?.[1] ?? 0);

/** Sends one datagram to [argv1]:argv2 and prints "reply <data>" or "timeout" after 2 s
 *  (ping's -W: a datagram behind a runaway waits while the node burns its budget). */
const UDP_WAIT = `
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2.0)
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
try:
    print("reply", s.recvfrom(2048)[0].decode())
except socket.timeout:
    print("timeout")
`;

/** Sends the trigger word to port 9 of addr, then pings echo and sends it a UDP datagram:
 *  all leave before the node's next poll. Resolves to the echo replies (of 2) once echo's
 *  UDP answer was checked. */
async function trigger(ns: string, addr: string, word: string): Promise<number> {
  const send = `import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"${word}", ("${addr}", 9))`;
  await inNs(ns, `${PYTHON} -c '${send}'`);
  const [replies, udp] = await Promise.all([pings(ns, ADDR.echo, 2), inNs(ns, `${PYTHON} -c '${UDP_WAIT}' ${ADDR.echo} 7 behind-${word}`)]);
  assert.equal(udp.out.trim(), `reply behind-${word}`, `echo answers UDP sent right behind the trigger "${word}"`);
  return replies;
}

describe("hostile services on a metal node", { skip, timeout: 240000 }, () => {
  const dev = `mth${TAG}`, ns = `mh${TAG}`;
  let dir = "", elf = "", image: MetalImage, qemu: RunningQemu | null = null, host: TapHost;

  before(async () => {
    dir = tempDir("hostile");
    const deep = path.join(dir, "deep.wasm");
    fs.writeFileSync(deep, await deepModule());
    elf = path.join(dir, "node.elf");
    image = await metalImageOf(manifest(deep), elf);
    makeTap(dev);
    qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, append: "status-every=500", seconds: 200 });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    host = adoptTap(dev, ns, [`${LINUX}/64`]);
    await waitFor(async () => (await pings(ns, ADDR.echo, 1)) === 1, 30000, "a first ping reply from echo", 100);
  });
  after(async () => {
    await qemu?.kill();
    if (host) dropHost(host); else dropHost({ ns, dev });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The service's row of a status line printed after now. */
  const row = async (name: string) => (await qemu!.freshStatus(5000)).services.find((s) => s.name === name)!;

  // Service ids are the manifest's order: echo 0, spin 1, oob 2, recurse 3, balloon 4, forger 5, deep 6, stall 7.
  for (const [name, word, fault, line] of [
    ["spin", "spin", "FUEL", /warn host: service 1 \(spin\.sabz\.city\) ran out of fuel .* in a call: used its budget of \d+ fuel units in one call/],
    ["stall", "stall", "FUEL", /warn host: service 7 \(stall\.sabz\.city\) ran out of fuel .* in a call: used its budget of \d+ fuel units in one call/],
    ["oob", "crash", "TRAP", /warn host: service 2 \(oob\.sabz\.city\) trapped in a call: RuntimeError: memory access out of bounds/],
    ["recurse", "recurse", "STACK", /warn host: service 3 \(recurse\.sabz\.city\) call stack exhausted in a call/],
  ] as const) {
    it(`${name} faults ${fault}, restarts and answers again; echo answers meanwhile`, async () => {
      assert.equal(await pings(ns, ADDR[name], 1), 1, `${name} is up before`);
      const was = await row(`${name}.sabz.city`);
      assert.equal(await trigger(ns, ADDR[name], word), 2, "echo answers in the poll of the trigger");
      await qemu!.line(line, 10000);
      await qemu!.line(new RegExp(`warn kernel: service ${name}\\.sabz\\.city faulted; restarting`), 10000);
      await waitFor(async () => (await pings(ns, ADDR[name], 1)) === 1, 10000, `${name} to answer after its restart`, 100);
      const s = await row(`${name}.sabz.city`);
      assert.deepEqual([s.lastFault, s.faults, s.restarts, s.state], [fault, was.faults + 1, was.restarts + 1, "RUNNING"]);
      if (fault === "FUEL") assert.ok(s.fuel - was.fuel >= FUEL_PER_CALL, `the whole budget is counted (${s.fuel - was.fuel})`);
      if (name === "stall") {
        // each iteration pays IMPORT_CALL_COST for the send through the table (fuel.test.ts)
        const sends = s.sendRefused - was.sendRefused, most = FUEL_PER_CALL / IMPORT_CALL_COST;
        assert.ok(sends > most * 0.9 && sends <= most, `one budget allowed ${sends} syscalls; at most ${most}`);
      }
      const echo = await row("echo.sabz.city");
      assert.deepEqual([echo.state, echo.faults], ["RUNNING", 0], "echo never faulted");
    });
  }

  it("balloon grows only to its RAM max, cleanly, and stays up", async () => {
    assert.equal(await trigger(ns, ADDR.balloon, "balloon"), 2);
    await qemu!.line(new RegExp(`balloon: grew ${RAM_MAX_PAGES - 1} pages, stopped at ${RAM_MAX_PAGES} pages`), 10000);
    assert.equal(await pings(ns, ADDR.balloon, 2), 2);
    assert.equal((await row("balloon.sabz.city")).lastFault, "NONE");
  });

  it("forger's guessed handles are refused", async () => {
    assert.equal(await trigger(ns, ADDR.forger, "forge"), 2);
    const last = await qemu!.line(/forger: revoke=/, 10000);
    assert.match(last, new RegExp(`revoke=0 child=-${Errno.EBADF} parent=-${Errno.EBADF}`));
    const guesses = qemu!.lines.filter((l) => /forger: guess /.test(l));
    assert.ok(guesses.length > 0);
    for (const g of guesses) assert.match(g, new RegExp(`=-${Errno.EBADF}$`), g);
  });

  it("a service that recursed to the end of its stack still makes syscalls; it faults STACK, never the kernel", async () => {
    await qemu!.line(/service deep\.sabz\.city faulted and is over its restart limit/, 20000);
    const stacks = qemu!.lines.filter((l) => /warn host: service 6 \(deep\.sabz\.city\) call stack exhausted in a call/.test(l));
    assert.ok(stacks.length >= 3, stacks.join("\n"));
    assert.equal(await pings(ns, ADDR.echo, 2), 2, "the node goes on");
    assert.equal((await row("deep.sabz.city")).state, "FAILED");
  });
});

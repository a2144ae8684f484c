// Hostile services on metal (issue #12), next to echo on one metal node under QEMU, its
// virtio-net NIC on a TAP whose other end is a Linux host in a netns (root): a runaway loop
// (spin) and a loop of syscalls through a function reference (stall, the fuel case of
// issue #10) are stopped with FUEL within one budget, a recursion bomb (recurse) with
// STACK, an out-of-bounds store (oob) with TRAP — the Faults the Node host gives them
// (tests/integration/fuel.test.ts, hostile.test.ts, the parity scenario) — and each is
// restarted and answers again; a memory bomb (balloon) gets memory.grow = -1 at its RAM
// max without a fault; forged capability handles (forger) are refused without a fault.
// After each trigger echo answers every ping and a UDP datagram, sent right behind it, and
// is never faulted. Needs root, iproute2, ping, python3 and what qemu.ts needs.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { Errno } from "../../abi/errno";
import { FUEL_PER_CALL } from "../../abi/limits";
import { IMPORT_CALL_COST } from "../../loader/instrument/fuel";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { Status } from "../../loader/status/decode";
import { missing, skipOrFail } from "../e2e/linux";
import { waitFor } from "../wait";
import { metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { adoptTap, dropHost, inNs, makeTap, PYTHON, TapHost, udpOnce } from "./tap";

const skip = skipOrFail(missing(["ip", "ping", "/usr/bin/python3"])) || metalOrSkip();
const TAG = (process.pid % 900) + 100;
const PREFIX = `fd00:e:${TAG}::`;
const MAC = "02:00:5a:b2:0e:01";
const LINUX = `${PREFIX}100`;
const RAM_MAX_PAGES = 4;   // ram max 256KiB, in 64 KiB pages

const ADDR: Record<string, string> = {
  "echo.sabz.city": `${PREFIX}7`, "spin.sabz.city": `${PREFIX}9`, "stall.sabz.city": `${PREFIX}a`,
  "recurse.sabz.city": `${PREFIX}b`, "oob.sabz.city": `${PREFIX}c`, "balloon.sabz.city": `${PREFIX}d`,
  "forger.sabz.city": `${PREFIX}f`,
};
const MODULE: Record<string, string> = {
  "echo.sabz.city": "services/echo", "spin.sabz.city": "tests/spin", "stall.sabz.city": "tests/stall",
  "recurse.sabz.city": "tests/recurse", "oob.sabz.city": "tests/oob", "balloon.sabz.city": "tests/balloon",
  "forger.sabz.city": "tests/forger",
};
const ECHO = ADDR["echo.sabz.city"];

const MANIFEST = `
node: { name: mh${TAG}.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "${MAC}", prefixes: ["${PREFIX}/64"] }
services:
${Object.keys(ADDR).map((d) => `  - { domain: ${d}, module: build/wasm/${MODULE[d]}.wasm, addresses: ["${ADDR[d]}"], ` +
    `ram: { min: 64KiB, max: 256KiB }, restart: { limit: 5 } }`).join("\n")}
`;

/** A hostile service that faults: its trigger word, the Fault the Node host stops it with,
 *  and the words the metal host's line about it must have (wasmtime's). */
const FAULTS = [
  { svc: "spin.sabz.city", word: "spin", fault: "FUEL", why: /fuel/ },
  { svc: "stall.sabz.city", word: "stall", fault: "FUEL", why: /fuel/ },
  { svc: "recurse.sabz.city", word: "recurse", fault: "STACK", why: /call stack/i },
  { svc: "oob.sabz.city", word: "crash", fault: "TRAP", why: /out of bounds memory access/ },
];

/** tap.ts's udpOnce with 5 s for the answer, as long as ping's -W here: a datagram behind
 *  a runaway waits while the node burns its budget (seconds under TCG). */
const UDP_WAIT = `
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(5.0)
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
try:
    data, src = s.recvfrom(2048)
    print("reply", src[0], src[1], data.decode())
except socket.timeout:
    print("timeout")
`;

const ping = async (ns: string, addr: string, n = 3, wait = 2) =>
  Number((/(\d+) received/.exec((await inNs(ns, `ping -6 -c ${n} -i 0.2 -W ${wait} ${addr}`)).out) ?? [])[1] ?? 0);

describe("hostile services on a metal node: contained, restarted, echo answers throughout", { skip, timeout: 300000 }, () => {
  const dev = `mhp${TAG}`, ns = `mh${TAG}`;
  let dir = "", qemu: RunningQemu | null = null, host: TapHost;
  const svc = async (name: string) => (await qemu!.freshStatus()).services.find((s) => s.name === name)!;
  const until = async (pred: (s: Status) => boolean, ms: number, what: string) =>
    waitFor(async () => { const s = await qemu!.freshStatus(); return pred(s) && s; }, ms, what, 1);
  const svcIn = (s: Status, name: string) => s.services.find((x) => x.name === name)!;
  /** The lines the service logged on the serial console, without its domain. */
  const logged = (domain: string) => qemu!.lines.slice(0, -1).map((l) => new RegExp(`kernel: ${domain.replace(/\./g, "\\.")}: (.*)$`).exec(l)?.[1])
    .filter((l): l is string => l !== undefined);
  /** The trigger (UDP to port 9, no answer awaited), then at once 5 pings and a UDP
   *  datagram to echo: resolves to the echo replies and echo's UDP answer. */
  async function triggerWithEcho(name: string, word: string): Promise<{ replies: number; udp: string }> {
    const py = `import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(b"${word}", ("${ADDR[name]}", 9))`;
    assert.equal((await inNs(ns, `${PYTHON} -c '${py}'`)).code, 0);
    const [replies, udp] = await Promise.all([ping(ns, ECHO, 5, 5), inNs(ns, `${PYTHON} -c '${UDP_WAIT}' ${ECHO} 7 'after ${word}'`)]);
    return { replies, udp: udp.out.trim() };
  }

  before(async () => {
    dir = tempDir("hostile");
    const elf = path.join(dir, "node.elf");
    const image = await metalImageOf(MANIFEST, elf);
    makeTap(dev);
    qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, append: "status-every=100", seconds: 280 });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    host = adoptTap(dev, ns, [`${LINUX}/64`]);
    await waitFor(async () => (await ping(ns, ECHO, 1)) === 1, 30000, `a first ping reply from ${ECHO}`, 100);
  });
  after(async () => {
    await qemu?.kill();
    if (host) dropHost(host); else dropHost({ ns, dev });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of FAULTS) {
    it(`${c.svc} is stopped with ${c.fault} and restarted; echo answers behind its trigger`, async () => {
      assert.equal(await ping(ns, ADDR[c.svc], 1), 1, `${c.svc} answers at first`);
      const was = await svc(c.svc);
      const from = qemu!.serial.length;
      const t0 = Date.now();
      const echo = await triggerWithEcho(c.svc, c.word);
      const s = await until((x) => svcIn(x, c.svc).faults > was.faults, 20000, `${c.svc} to fault`);
      const f = svcIn(s, c.svc);
      assert.equal(f.lastFault, c.fault, `${c.svc} stopped with ${f.lastFault}`);
      assert.equal(f.faults, was.faults + 1);
      const said = qemu!.serial.slice(from).replace(/\r/g, "").split("\n").filter((l) => l.includes(`service ${f.id} `));
      assert.ok(said.some((l) => c.why.test(l)), `the serial console says why (${c.why}): ${JSON.stringify(said)}`);
      if (c.fault === "FUEL") assert.ok(f.fuel - was.fuel >= FUEL_PER_CALL, `one whole budget is counted (${f.fuel - was.fuel})`);
      if (c.svc === "stall.sabz.city") {
        const sends = f.sendRefused - was.sendRefused, most = FUEL_PER_CALL / IMPORT_CALL_COST;
        assert.ok(sends > most * 0.9 && sends <= most, `one budget allowed ${sends} syscalls through the table; at most ${most}`);
      }
      assert.equal(echo.replies, 5, "echo answered every ping sent behind the trigger");
      assert.equal(echo.udp, `reply ${ECHO} 7 after ${c.word}`, "echo answered UDP sent behind the trigger");
      const back = await until((x) => svcIn(x, c.svc).state === "RUNNING" && svcIn(x, c.svc).restarts > was.restarts, 10000,
        `${c.svc} to be restarted`);
      assert.equal(svcIn(back, c.svc).restarts, was.restarts + 1);
      assert.equal(await ping(ns, ADDR[c.svc], 2), 2, `${c.svc} answers after its restart`);
      assert.deepEqual([svcIn(back, "echo.sabz.city").state, svcIn(back, "echo.sabz.city").faults], ["RUNNING", 0]);
      console.log(`# metal: ${c.svc} stopped with ${c.fault} and back ${Date.now() - t0} ms after its trigger (QEMU TCG)`);
    });
  }

  it("balloon gets memory.grow = -1 at its RAM max, without a fault, and keeps answering", async () => {
    const was = await svc("balloon.sabz.city");
    const pages0 = was.ramPages!;
    assert.ok(pages0 >= 1 && pages0 < RAM_MAX_PAGES, `balloon starts below its RAM max (${pages0} pages)`);
    const echo = await triggerWithEcho("balloon.sabz.city", "balloon");
    await waitFor(async () => logged("balloon.sabz.city").length > 0, 10000, "balloon to log", 50);
    assert.deepEqual(logged("balloon.sabz.city"), [`balloon: grew ${RAM_MAX_PAGES - pages0} pages, stopped at ${RAM_MAX_PAGES} pages`]);
    const s = await svc("balloon.sabz.city");
    assert.deepEqual([s.state, s.faults, s.lastFault, s.ramPages, s.ramMaxPages], ["RUNNING", 0, "NONE", RAM_MAX_PAGES, RAM_MAX_PAGES],
      "no fault; its memory now at its max");
    assert.equal(await ping(ns, ADDR["balloon.sabz.city"], 2), 2, "balloon answers at its RAM max");
    assert.deepEqual([echo.replies, echo.udp], [5, `reply ${ECHO} 7 after balloon`], "echo answered behind the trigger");
  });

  it("forger's forged handles are refused without a fault; revoking its own address cap silences it", async () => {
    const echo = await triggerWithEcho("forger.sabz.city", "forge");
    const done = () => logged("forger.sabz.city").some((l) => l.startsWith("forger: revoke="));
    await waitFor(async () => done(), 10000, "forger to finish", 50);
    const lines = logged("forger.sabz.city");
    assert.equal(lines[0], "forger: own cap_find=0");
    const guesses = lines.filter((l) => l.startsWith("forger: guess "));
    assert.equal(guesses.length, 13 * 4, "13 guessed handles, 4 calls each");
    for (const g of guesses) assert.match(g, new RegExp(`=-${Errno.EBADF}$`), g);
    assert.deepEqual(lines.filter((l) => /^forger: (own|child|before) /.test(l)).slice(1), [
      `forger: own disk_read=-${Errno.EPERM}`,
      `forger: own cap_derive_read=-${Errno.EPERM}`,
      "forger: child cap_derive=0",
      "forger: child cap_info=0",
      "forger: before send=0",
    ]);
    assert.equal(lines.at(-1), `forger: revoke=0 child=-${Errno.EBADF} parent=-${Errno.EBADF} derive=-${Errno.EBADF} send=-${Errno.EADDRNOTAVAIL}`);
    const f = await svc("forger.sabz.city");
    assert.deepEqual([f.state, f.faults, f.sendRefused], ["RUNNING", 0, 1], "refusals are not faults; the refused send is counted");
    assert.equal(await ping(ns, ADDR["forger.sabz.city"], 2), 0, "without RECV the forger gets nothing");
    assert.deepEqual([echo.replies, echo.udp], [5, `reply ${ECHO} 7 after forge`], "echo answered behind the trigger");
  });

  it("after all of them echo still answers and never faulted", async () => {
    assert.equal(await ping(ns, ECHO, 3), 3);
    assert.equal(await udpOnce(ns, ECHO, 7, "the end"), `reply ${ECHO} 7 the end`);
    const e = await svc("echo.sabz.city");
    assert.deepEqual([e.state, e.faults, e.restarts], ["RUNNING", 0, 0]);
  });
});

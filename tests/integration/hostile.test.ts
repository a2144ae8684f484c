// Hostile services (issue #5), one module each, on a real node next to echo: a recursion
// bomb (tests/services/recurse), a memory bomb (balloon), a module with two memories
// (hand-built below), out-of-extent disk access and writes through a READ-only capability
// (diskprobe) and forged capability handles (forger). Each is contained — stopped with the
// right fault, refused, or told -Errno — the counters and log lines say what happened, and
// echo answers pings before, during and after. The infinite loop, the NIC flood and source
// spoofing have their own tests (fuel.test.ts, flood.test.ts, drops_services.test.ts).
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Errno } from "../../abi/errno";
import { parseAddr } from "../../loader/ip6";
import { compileManifest, parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import { PersiaNode } from "../../hosts/node/node";
import { VirtualLink } from "../../hosts/node/nic/virtual";
import { TWO_MEMORIES } from "./twomem";
import * as P from "../../cli/peer/packets";
import { Bench, svc, withBench } from "./bench";

const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const RECURSE = parseAddr("fd00:5ab2:1::a");
const BALLOON = parseAddr("fd00:5ab2:1::b");
const DISKPROBE = parseAddr("fd00:5ab2:1::d");
const FORGER = parseAddr("fd00:5ab2:1::f");
const RESTART_BACKOFF_MS = 100n;   // kernel/param.ts: first restart delay
const RAM_MAX_PAGES = 4;           // svc(): ram max 256KiB, in 64 KiB pages

const DISK_SIZE = 1 << 20;         // disks: size 1MiB
const EXT_OFF = 128 << 10;         // diskprobe's grant: offset 128KiB ...
const EXT_LEN = 64 << 10;          // ... length 64KiB
const FILL = 0xa5;                 // every byte of the disk file before the test
const MARK = "persia-diskprobe";   // what diskprobe writes into the last bytes of its extent

const PEERS = [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }];

function yaml(disk: string): string {
  return `
node: { name: hostile.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
${svc("recurse.sabz.city", "build/wasm/tests/recurse.wasm", "fd00:5ab2:1::a", ", restart: { limit: 3 }")}
${svc("balloon.sabz.city", "build/wasm/tests/balloon.wasm", "fd00:5ab2:1::b")}
${svc("diskprobe.sabz.city", "build/wasm/tests/diskprobe.wasm", "fd00:5ab2:1::d",
    ", disk: [ { device: data, offset: 128KiB, length: 64KiB, rights: [read, write] } ]")}
${svc("forger.sabz.city", "build/wasm/tests/forger.wasm", "fd00:5ab2:1::f")}
`;
}

/** A 1 MiB disk file in a fresh temporary directory, every byte FILL. */
function tempDisk(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-hostile-")), "data.img");
  fs.writeFileSync(file, new Uint8Array(DISK_SIZE).fill(FILL));
  return file;
}

async function withHostile(body: (b: Bench, disk: string) => Promise<void>): Promise<void> {
  const disk = tempDisk();
  try {
    await withBench(yaml(disk), PEERS, (b) => body(b, disk));
  } finally {
    fs.rmSync(path.dirname(disk), { recursive: true, force: true });
  }
}

/** Send the trigger word to port 9 of dst. */
function trigger(b: Bench, dst: Uint8Array, word: string): void {
  b.peer("lan0").sendIp(b.nodeMac("lan0"), P.udp(PEER, dst, 40009, 9, new TextEncoder().encode(word)));
}

/** Boot, check echo and the service answer, then send the trigger with a ping to echo
 *  queued behind it: echo must answer in the poll that runs the hostile call. */
async function start(b: Bench, dst: Uint8Array, word: string): Promise<void> {
  assert.ok(await b.introduce("lan0", ECHO));
  assert.ok(await b.ping("lan0", ECHO) && await b.ping("lan0", dst), "echo and the service answer at first");
  trigger(b, dst, word);
  assert.ok(await b.ping("lan0", ECHO, 5), "echo answers in the poll that runs the hostile call");
}

/** The lines a service logged, without its domain. */
function logged(b: Bench, domain: string): string[] {
  const prefix = `${domain}: `;
  return b.logs.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

it("a recursion bomb exhausts the call stack, is stopped with STACK and restarted", async () => {
  await withHostile(async (b) => {
    const fuel0 = b.service("recurse.sabz.city").fuel;
    const before = b.drops();
    await start(b, RECURSE, "recurse");
    const faulted = b.now;
    const r = b.service("recurse.sabz.city");
    // STACK, not FUEL: V8 runs out of stack after some 10^4..10^5 frames, and a frame costs
    // a handful of fuel units, far below the 10^8 of one call's budget.
    assert.deepEqual([r.state, r.lastFault, r.faults, r.restarts], ["RESTARTING", "STACK", 1, 0]);
    assert.match(r.faultMessage ?? "", /call stack/i, "status names the stack");
    assert.ok(r.fuel - fuel0 < 100_000_000, `well under one budget of fuel was used (${r.fuel - fuel0})`);
    assert.ok(b.logs.some((l) => l.includes("recurse.sabz.city faulted; restarting in ms: 100")));

    assert.equal(await b.ping("lan0", RECURSE, 5), false, "recurse is silent while down");
    while (b.now - faulted < RESTART_BACKOFF_MS - 20n) {
      assert.ok(await b.ping("lan0", ECHO, 5), `echo answers ${b.now - faulted} ms into the restart`);
      await b.tick(10);
    }
    await b.dropped(before, { SVC_DOWN: 1 });
    assert.ok(await b.until(() => b.service("recurse.sabz.city").state === "RUNNING", 200), "recurse came back");
    assert.ok(await b.ping("lan0", RECURSE), "recurse answers after its restart");
    assert.ok(await b.ping("lan0", ECHO), "echo answers after");
    assert.deepEqual([b.service("echo.sabz.city").faults, b.service("balloon.sabz.city").faults], [0, 0]);
  });
});

it("a memory bomb gets memory.grow = -1 at its RAM max, without a fault, and keeps answering", async () => {
  await withHostile(async (b) => {
    const pages0 = b.service("balloon.sabz.city").ramPages!;
    assert.ok(pages0 >= 1 && pages0 < RAM_MAX_PAGES, `balloon starts below its RAM max (${pages0} pages)`);
    await start(b, BALLOON, "balloon");
    assert.ok(await b.until(() => logged(b, "balloon.sabz.city").length > 0, 20), "balloon logged");
    assert.deepEqual(logged(b, "balloon.sabz.city"),
      [`balloon: grew ${RAM_MAX_PAGES - pages0} pages, stopped at ${RAM_MAX_PAGES} pages`]);
    const s = b.service("balloon.sabz.city");
    assert.deepEqual([s.state, s.faults, s.lastFault, s.ramPages, s.ramMaxPages],
      ["RUNNING", 0, "NONE", RAM_MAX_PAGES, RAM_MAX_PAGES], "no fault; memory now at its max");
    assert.ok(await b.ping("lan0", BALLOON), "balloon answers at its RAM max");
    assert.ok(await b.ping("lan0", ECHO), "echo answers after");
    trigger(b, BALLOON, "balloon");   // again: not one page more
    assert.ok(await b.until(() => logged(b, "balloon.sabz.city").length > 1, 20));
    assert.equal(logged(b, "balloon.sabz.city")[1], `balloon: grew 0 pages, stopped at ${RAM_MAX_PAGES} pages`);
    assert.ok(await b.ping("lan0", BALLOON) && await b.ping("lan0", ECHO), "both answer");
  });
});


function twoMemoryManifest(module: string) {
  return parseManifest(`
node: { name: twomem.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
${svc("twomem.sabz.city", module, "fd00:5ab2:1::2")}
`, "twomem.yaml", ROOT);
}

// What the loader says of it: its own memory rule runs before the engine's validation, so
// the message is the same on every engine.
const TWO_MEMORIES_REFUSED =
  /^service twomem\.sabz\.city: module imports env\.memory 2 times; a service has exactly one memory/;

const TWO_MEMORIES_REFUSED_AT_START = new RegExp(`^module refused: ${TWO_MEMORIES_REFUSED.source.slice(1)}`);

it("a module with two memories is refused before any of its code runs", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-twomem-"));
  try {
    const module = path.join(dir, "twomem.wasm");
    fs.writeFileSync(module, TWO_MEMORIES);
    const m = twoMemoryManifest(module);
    // launch validates every module before it starts a node: no node, no service code.
    await assert.rejects(launch(m, { autoPoll: false, log: () => {} }), (e: Error) => {
      assert.match(e.message, TWO_MEMORIES_REFUSED);
      return true;
    });

    // A host handed the module directly (no launch) keeps it as refused: the kernel sees
    // BAD_MODULE when it starts it, and echo runs.
    const { boot, plan } = compileManifest(m);
    const logs: string[] = [];
    let now = 1000n;
    const link = new VirtualLink({ aId: 0, bId: 0 });
    const node = new PersiaNode({
      kernelBytes: fs.readFileSync(path.join(WASM_DIR, "kernel.wasm")), boot, nics: [link.a],
      services: new Map(plan.services.map((s) => [s.id, new Uint8Array(fs.readFileSync(s.modulePath))])),
      clock: () => now, autoPoll: false, log: (_level, line) => { logs.push(line); },
    });
    try {
      await node.start();
      for (let i = 0; i < 5; i++) { now += 1n; node.poll(); }
      const services = node.status().services;
      const t = services.find((x) => x.name === "twomem.sabz.city")!;
      const e = services.find((x) => x.name === "echo.sabz.city")!;
      // A refused module can never start, so the kernel does not retry it: it stays FAILED.
      assert.deepEqual([t.state, t.lastFault, t.faults, t.fuel, t.ramPages], ["FAILED", "BAD_MODULE", 1, 0, 0],
        "refused at start: not a unit of fuel used, no memory");
      assert.match(t.faultMessage ?? "", TWO_MEMORIES_REFUSED_AT_START);
      assert.ok(logs.some((l) => l.includes("twomem.sabz.city) module refused by the loader at start: ")), "logged");
      assert.deepEqual([e.state, e.faults], ["RUNNING", 0], "echo runs");
    } finally {
      node.stop();
      link.b.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it("disk access outside the extent is -ERANGE, a write or flush through a READ-only capability -EPERM, and " +
  "neither touches the disk", async () => {
  await withHostile(async (b, disk) => {
    await start(b, DISKPROBE, "oob");
    assert.ok(await b.until(() => logged(b, "diskprobe.sabz.city").some((l) => l.includes("read-only")), 20));
    const lines = logged(b, "diskprobe.sabz.city");
    assert.equal(lines[0], `diskprobe: extent=${EXT_LEN}`);
    const probes = lines.slice(1, -2);
    const want = ["at end", "across end", "at 4GiB", "low ones", "all ones", "minus extent", "high bit"]
      .flatMap((w) => [`diskprobe: ${w} read=-${Errno.ERANGE}`, `diskprobe: ${w} write=-${Errno.ERANGE}`]);
    assert.deepEqual(probes, want, "every access outside the extent is -ERANGE");
    assert.equal(lines.at(-2), `diskprobe: inside write=${MARK.length} read=${MARK.length} same=1`);
    assert.equal(lines.at(-1), `diskprobe: read-only derive=0 write=-${Errno.EPERM} flush=-${Errno.EPERM} ` +
      `read=${MARK.length} same=1`);

    const bytes = fs.readFileSync(disk);
    assert.equal(bytes.length, DISK_SIZE, "the disk file kept its size");
    const at = EXT_OFF + EXT_LEN - MARK.length;
    assert.equal(bytes.subarray(at, at + MARK.length).toString("latin1"), MARK, "the write inside landed");
    const rest = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + MARK.length)]);
    assert.equal(rest.findIndex((x) => x !== FILL), -1, "every other byte of the disk is unchanged");
    assert.ok(bytes.subarray(EXT_OFF, EXT_OFF + MARK.length).every((x) => x === FILL),
      "the write through the READ-only capability left the extent's start alone");

    const s = b.service("diskprobe.sabz.city");
    assert.deepEqual([s.state, s.faults], ["RUNNING", 0]);
    assert.ok(await b.ping("lan0", DISKPROBE) && await b.ping("lan0", ECHO), "both answer after");
  });
});

it("forged capability handles are refused; revoking its own address cap silences the forger", async () => {
  await withHostile(async (b) => {
    await start(b, FORGER, "forge");
    const done = () => logged(b, "forger.sabz.city").some((l) => l.startsWith("forger: revoke="));
    assert.ok(await b.until(done, 20), "forger finished");
    const lines = logged(b, "forger.sabz.city");
    assert.equal(lines[0], "forger: own cap_find=0");
    const guesses = lines.filter((l) => l.startsWith("forger: guess "));
    assert.equal(guesses.length, 13 * 4, "13 guessed handles, 4 calls each");
    for (const g of guesses) assert.match(g, new RegExp(`=-${Errno.EBADF}$`), g);
    assert.deepEqual(lines.filter((l) => l.startsWith("forger: own ") || l.startsWith("forger: child ") ||
      l.startsWith("forger: before ")).slice(1), [
      `forger: own disk_read=-${Errno.EPERM}`,            // its ADDR handle is not a DISK capability
      `forger: own cap_derive_read=-${Errno.EPERM}`,      // rights only shrink
      "forger: child cap_derive=0",
      "forger: child cap_info=0",
      "forger: before send=0",
    ]);
    assert.equal(lines.at(-1), `forger: revoke=0 child=-${Errno.EBADF} parent=-${Errno.EBADF} ` +
      `derive=-${Errno.EBADF} send=-${Errno.EADDRNOTAVAIL}`);

    const peer = b.peer("lan0");
    const said = (word: string) => (p: P.Parsed) => P.equalBytes(p.src, FORGER) &&
      p.data !== undefined && Buffer.from(p.data).toString() === word;
    assert.ok(await b.frame(peer, said("before")), "the send before the revoke went out");
    assert.equal(await b.frame(peer, said("after"), 10), null, "the send after it did not");
    const f = b.service("forger.sabz.city");
    assert.deepEqual([f.state, f.faults], ["RUNNING", 0], "refusals are not faults");
    assert.equal(f.sendRefused, 1, "the refused send is counted");

    const before = b.drops();
    assert.equal(await b.ping("lan0", FORGER, 10), false, "without RECV the forger gets nothing");
    await b.dropped(before, { SVC_DOWN: 1 });
    assert.ok(await b.ping("lan0", ECHO), "echo answers after");
  });
});

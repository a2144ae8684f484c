// The metal node's stacks (spec/metal.md "Stacks"): a service that recurses without end
// (tests/services/recurse, triggered by UDP to port 9) faults STACK at its Wasm budget and
// restarts, while the node — on its own stack from the heap, with a guard page below it —
// goes on: echo answers throughout, recurse answers again after its restart, no host
// stack overflow is reported, and at the end the node stops as asked and prints how deep
// its stack was ever used, which must be within its size. Needs root (a TAP in a netns),
// ping, python3 and what qemu.ts needs.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { missing, skipOrFail } from "../e2e/linux";
import { waitFor } from "../wait";
import { EXIT_STOPPED, metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { adoptTap, dropHost, inNs, makeTap, TapHost, udpOnce } from "./tap";

const skip = skipOrFail(missing(["ip", "ping", "/usr/bin/python3"])) || metalOrSkip();
const TAG = (process.pid % 900) + 100;
const PREFIX = `fd00:e:${TAG}::`;
const ECHO = `${PREFIX}7`, RECURSE = `${PREFIX}a`;
const RUN_MS = 25000;

const MANIFEST = `
node: { name: ms${TAG}.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "02:00:5a:b2:0e:01", prefixes: ["${PREFIX}/64"] }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
  - { domain: recurse.sabz.city, module: build/wasm/tests/recurse.wasm, addresses: ["${RECURSE}"], ram: { min: 64KiB, max: 1MiB }, restart: { limit: 3 } }
`;

const answers = async (ns: string, addr: string) => /1 received/.test((await inNs(ns, `ping -6 -c 1 -W 1 ${addr}`)).out);

describe("a recursion bomb on metal faults STACK and the node goes on", { skip, timeout: 120000 }, () => {
  const dev = `mts${TAG}`, ns = `ms${TAG}`;
  let dir = "", qemu: RunningQemu | null = null, host: TapHost | null = null;

  before(async () => {
    dir = tempDir("stack");
    const elf = path.join(dir, "node.elf");
    const image = await metalImageOf(MANIFEST, elf);
    makeTap(dev);
    qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, append: `for=${RUN_MS} status-every=250`, seconds: 90 });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    host = adoptTap(dev, ns, [`${PREFIX}100/64`]);
    await waitFor(() => answers(ns, RECURSE), 30000, `recurse to answer pings at ${RECURSE}`, 100);
  });
  after(async () => {
    await qemu?.kill();
    dropHost(host ?? { ns, dev });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("recurse faults STACK and restarts; echo answers meanwhile; no host stack overflow", async () => {
    assert.equal(await udpOnce(ns, RECURSE, 9, "recurse"), "timeout");
    const down = await waitFor(async () => {
      const s = (await qemu!.freshStatus()).services.find((x) => x.name === "recurse.sabz.city");
      return s !== undefined && s.faults >= 1 && s;
    }, 10000, "a status line with recurse's fault", 0);
    assert.equal(down.lastFault, "STACK");
    assert.ok(await answers(ns, ECHO), "echo answers after recurse faulted");
    await waitFor(() => answers(ns, RECURSE), 10000, "recurse to answer again after its restart", 100);
    const s = (await qemu!.freshStatus()).services.find((x) => x.name === "recurse.sabz.city")!;
    assert.deepEqual([s.state, s.lastFault, s.faults], ["RUNNING", "STACK", 1]);
    assert.ok(!/overflowed/.test(qemu!.serial), qemu!.serial.slice(-2000));
  });

  it("stops after for= and says how deep its node stack was used", async () => {
    assert.equal(await qemu!.exited(RUN_MS + 30000), EXIT_STOPPED, qemu!.serial.slice(-2000));
    const line = await qemu!.line(/^persia-metal: node stack: deepest use \d+ KiB of \d+ KiB/, 1000);
    console.log(`# ${line}`);
    const [used, size] = (/(\d+) KiB of (\d+) KiB/.exec(line) ?? []).slice(1).map(Number);
    assert.ok(used > 512 && used < size, line);
  });
});

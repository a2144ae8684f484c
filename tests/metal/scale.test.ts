// A thousand services on one metal node (issue #17, spec/metal.md "Services"): 1,000 echo
// services from one module boot under QEMU (TCG), every one of them starts, and the first,
// the last and one between answer echo requests — fed by the node's bench mode
// (tests/metal/scale.ts), so no TAP and no root. Ten services first, the same way, so a
// failure at a thousand is told apart from one at any size. No wall-clock time is
// asserted: the boot times are printed (the bench, tests/bench/metal_scale.ts, reports
// them).
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { metalOrSkip } from "./qemu";
import { runScale, ScaleRun } from "./scale";

const skip = metalOrSkip();
/** Echo requests per probed service: more than the replies a previous probe may leave
 *  queued, so `sent >= COUNT` means this service answered. */
const COUNT = 200;

function check(r: ScaleRun, n: number): void {
  assert.equal(r.services, n, r.serial.slice(-2000));
  assert.equal(r.running, n, `${r.running} of ${n} services started\n${r.serial.slice(-2000)}`);
  for (const p of r.probes) {
    assert.ok(p.sent >= COUNT, `service ${p.svc} of ${n} answered ${p.sent} of ${COUNT} echo requests\n${r.serial.slice(-2000)}`);
  }
  console.log(`# ${n} services: boot ${r.bootMs} ms on the node's clock (QEMU ran ${r.wallMs} ms), heap ${(r.heapBytes / 2 ** 20).toFixed(1)} MiB, ` +
    `kernel memory ${r.kernelPages} pages, -m ${r.ramMiB} MiB`);
}

describe("many services on one metal node", { skip }, () => {
  it("boots 10 echo services; the first, the last and the middle one answer", async () => {
    check(await runScale(10, [0, 9, 5], COUNT), 10);
  });

  it("answers echo requests handed over 32 to a k_rx_batch (bench-batch=1), as the Run loop hands frames over", async () => {
    // 200 rounds up to 224 (7 batches); 256 is whole batches already and stays 256.
    for (const [count, fed] of [[COUNT, 224], [256, 256]]) {
      const r = await runScale(10, [0, 9, 5], count, 240, true);
      check(r, 10);
      for (const p of r.probes) assert.equal(p.fed, fed, `bench-count=${count}: fed ${p.fed}, not ${fed} (whole batches of 32, rounded up)`);
    }
  });

  it("boots 1,000 echo services of one module; the first, the last and service 617 answer", async () => {
    check(await runScale(1000, [0, 999, 617], COUNT), 1000);
  });
});

// Frames from a hostile neighbor (issue #10, "Proof"): mutations of well-formed frames
// (tests/fuzz/corpus.ts) and random bytes, in bursts without a poll between, on the fuzz
// node's lan0. Throughout: the kernel never traps, everything it sends is well formed, the
// node and echo answer pings; at the end every packet buffer is back in the pool.
// 200,000 frames by default; FUZZ_SCALE multiplies, FUZZ_SEED repeats a run.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { announce, SCALE } from "./rng";
import { corpus, mutate } from "./corpus";
import { drained, healthy, withFuzzNode } from "./node";

const FRAMES = 200_000 * SCALE;
const BURST = 200;                 // frames sent before the link delivers (its queue holds 256)
const CHECK_EVERY = 2_000;

it(`${FRAMES} mutated frames: no trap, nothing malformed sent, pings answered throughout, no buffer lost`, async () => {
  const r = announce("frames");
  const base = corpus();
  await withFuzzNode(async (f) => {
    const peer = f.b.peer("lan0");
    for (let sent = 0; sent < FRAMES;) {
      for (let i = 0; i < BURST; i++, sent++) peer.send(mutate(r, r.pick(base)));
      await f.b.deliver();
      await f.b.tick(r.int(3) === 0 ? 1000 : 5);
      peer.received.length = 0;
      if (sent % CHECK_EVERY === 0) await healthy(f, `${sent} frames`);
    }
    const s = f.b.node.status();
    assert.ok(s.nics[0].rxFrames >= FRAMES, `the kernel received them all (${s.nics[0].rxFrames})`);
    const reasons = Object.entries(s.drops).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(`fuzz frames: ${s.nics[0].rxFrames} received, ${f.sent} sent back, ICMPv6 errors ${s.node!.icmpErrorsSent}; dropped: ${reasons}`);
    await drained(f);
  });
});

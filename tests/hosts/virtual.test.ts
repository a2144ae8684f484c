// The in-process virtual link: frames arrive at the other end asynchronously and in order,
// as copies; each direction's queue is bounded and counts what it drops; oversize frames
// and closed ends are refused with an errno; a peer answering from onFrame cannot make
// delivery recurse.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { VirtualLink } from "../../hosts/node/nic/virtual";
import { sendFrame } from "../../hosts/node/nic/nic";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("frames arrive at the other end in order, after the sender returns", async () => {
  const link = new VirtualLink({ aId: 0, bId: 1 });
  const got: number[] = [];
  link.b.onFrame = (f) => got.push(f[0]);
  for (let i = 0; i < 100; i++) assert.equal(sendFrame(link.a, Uint8Array.of(i)), 0);
  assert.deepEqual(got, [], "nothing is delivered synchronously");
  await turn();
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(link.b.id, 1);
});

test("a sent frame is copied: changing it afterwards changes nothing", async () => {
  const link = new VirtualLink();
  let got: number[] = [];
  link.b.onFrame = (f) => { got = [...f]; };
  const frame = Uint8Array.of(1, 2, 3);
  sendFrame(link.a, frame);
  frame[0] = 9;
  await turn();
  assert.deepEqual(got, [1, 2, 3]);
});

test("sendAt sends bytes [off, off + len) of a larger memory, as the node hands frames over, and copies them", async () => {
  const link = new VirtualLink();
  const got: number[][] = [];
  link.b.onFrame = (f) => got.push([...f]);
  const memory = Uint8Array.from({ length: 64 }, (_, i) => i);
  assert.equal(link.a.sendAt(memory, 10, 5), 0);
  assert.equal(link.a.sendAt(memory, 0, 1), 0);
  assert.equal(link.a.sendAt(memory, 63, 1), 0);
  memory.fill(0xff);
  await turn();
  assert.deepEqual(got, [[10, 11, 12, 13, 14], [0], [63]]);
});

test("a full queue drops and counts the frame and returns -ENOSPC", async () => {
  const link = new VirtualLink({ queueFrames: 4 });
  const got: number[] = [];
  link.b.onFrame = (f) => got.push(f[0]);
  const results = [0, 1, 2, 3, 4, 5].map((i) => sendFrame(link.a, Uint8Array.of(i)));
  assert.deepEqual(results, [0, 0, 0, 0, -Errno.ENOSPC, -Errno.ENOSPC]);
  assert.equal(link.b.dropped, 2);
  assert.equal(link.b.queued, 4);
  await turn();
  assert.deepEqual(got, [0, 1, 2, 3]);
  assert.equal(sendFrame(link.a, Uint8Array.of(6)), 0, "room again once drained");
});

test("an oversize frame is refused with -EMSGSIZE", () => {
  const link = new VirtualLink({ maxFrame: 8 });
  assert.equal(sendFrame(link.a, new Uint8Array(9)), -Errno.EMSGSIZE);
  assert.equal(link.a.counters().dropped_too_long, 1);
});

test("replies sent from onFrame are delivered on a later turn, in order", async () => {
  const link = new VirtualLink();
  const got: number[] = [];
  link.b.onFrame = (f) => sendFrame(link.b, Uint8Array.of(f[0] + 100));
  link.a.onFrame = (f) => got.push(f[0]);
  sendFrame(link.a, Uint8Array.of(1));
  sendFrame(link.a, Uint8Array.of(2));
  await turn();
  assert.deepEqual(got, []);
  await turn();
  assert.deepEqual(got, [101, 102]);
});

test("frames with no listener are counted; a closed end refuses and receives nothing", async () => {
  const link = new VirtualLink();
  sendFrame(link.a, Uint8Array.of(1));
  await turn();
  assert.equal(link.b.counters().undelivered, 1);
  let got = 0;
  link.b.onFrame = () => got++;
  sendFrame(link.a, Uint8Array.of(2));
  link.b.close();
  await turn();
  assert.equal(got, 0);
  assert.equal(sendFrame(link.b, Uint8Array.of(3)), -Errno.EIO);
  assert.equal(sendFrame(link.a, Uint8Array.of(3)), -Errno.EIO);
});

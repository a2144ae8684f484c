// `persia ctl`'s receive path (cli/ctl.ts) against a fake node on ::1 that seals its
// answers as the kernel does (tests/sealer.ts): an answer forged on the path and arriving
// first is refused (said on the warn line) and the real one is taken; only forgeries: an
// error that says so; the first answer of an unknown node is remembered in the known-nodes
// file ($PERSIA_KNOWN_NODES) and an answer signed by another key afterwards is refused
// loudly, with what to do; a pinned --node-key wins over the file.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as C from "../../abi/control";
import { Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { control, CtlOptions } from "../../cli/ctl";
import { keyFromSeed, publicKeyText } from "../../loader/control/message";
import { sealAnswer } from "../sealer";

const USER = keyFromSeed(new Uint8Array(32).fill(3));
const NODE_SEED = new Uint8Array(32).fill(8), FORGER_SEED = new Uint8Array(32).fill(9), NEW_SEED = new Uint8Array(32).fill(10);
const NODE_KEY = keyFromSeed(NODE_SEED).publicKey;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-known-"));
const known = path.join(dir, "known_nodes");
process.env.PERSIA_KNOWN_NODES = known;

/** A node on ::1: HELLO answered (sealed, signed with seed), UNLOAD answered ENOENT after
 *  `forgeries` forged answers (signed by the forger) sent first. */
async function fakeNode(seed: Uint8Array, forgeries: number, real = true) {
  const sock = dgram.createSocket({ type: "udp6" });
  sock.on("message", (m, rinfo) => {
    const op = m[C.CTL_OP], seq = m.readBigUInt64LE(C.CTL_SEQ);
    const send = (b: Promise<Buffer>) => { void b.then((x) => sock.send(x, rinfo.port, rinfo.address)); };
    if (op === Op.HELLO) { send(sealAnswer({ op, result: 0, seq: 4n, text: "hello" }, m, seed)); return; }
    for (let i = 0; i < forgeries; i++) send(sealAnswer({ op, result: 0, seq, text: "ok, done (forged)" }, m, FORGER_SEED));
    if (real) setTimeout(() => send(sealAnswer({ op, result: -Errno.ENOENT, seq, text: "no such service" }, m, seed)), 30);
  });
  await new Promise<void>((r) => sock.bind(0, "::1", () => r()));
  return { port: sock.address().port, close: () => sock.close() };
}

const UNLOAD = new Uint8Array([1, 0x78]);

test("a forged answer that comes first is refused and said; the node's own answer is taken; the first key is remembered", async () => {
  fs.rmSync(known, { force: true });
  const n = await fakeNode(NODE_SEED, 2);
  const warned: string[] = [];
  try {
    const o: CtlOptions = { node: "::1", port: n.port, timeoutMs: 300, warn: (l) => warned.push(l) };
    const r = await control(o, USER, Op.UNLOAD, UNLOAD);
    assert.deepEqual([r.result, r.text], [-Errno.ENOENT, "no such service"]);
    assert.match(warned.join("\n"), /first answer from ::1: its key .* is now remembered/);
    assert.equal(warned.filter((l) => /REFUSED an answer from ::1: it is signed by another key/.test(l)).length, 2, warned.join("\n"));
    assert.equal(fs.readFileSync(known, "utf8"), `::1 ${publicKeyText(NODE_KEY)}\n`);
  } finally {
    n.close();
  }
});

test("only forged answers: an error that says they were refused", async () => {
  const n = await fakeNode(NODE_SEED, 1, false);
  try {
    await assert.rejects(control({ node: "::1", port: n.port, timeoutMs: 100, tries: 2, warn: () => {} }, USER, Op.UNLOAD, UNLOAD),
      /no genuine answer from ::1 .* 2 answers were refused .*forging answers/);
  } finally {
    n.close();
  }
});

test("a node whose key changed is refused loudly; a pinned --node-key decides instead of the file", async () => {
  const n = await fakeNode(NEW_SEED, 0);
  const warned: string[] = [];
  try {
    await assert.rejects(control({ node: "::1", port: n.port, timeoutMs: 100, tries: 1, warn: (l) => warned.push(l) }, USER, Op.UNLOAD, UNLOAD));
    assert.match(warned[0], /REFUSED an answer from ::1: it is signed by another key than the one .*known_nodes knows .* remove the line for ::1/);
    const pinned = await control({ node: "::1", port: n.port, timeoutMs: 300, nodeKey: keyFromSeed(NEW_SEED).publicKey, warn: () => {} },
      USER, Op.UNLOAD, UNLOAD);
    assert.equal(pinned.result, -Errno.ENOENT);
  } finally {
    n.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A node on 127.0.0.1 that answers HELLO and, for UNLOAD, sends first what `before` makes
 *  (from another address, or a refusal in clear from its own), then, if `real`, its answer. */
async function racedNode(before: (m: Buffer, to: dgram.RemoteInfo, node: dgram.Socket) => Promise<void>, real: boolean) {
  const sock = dgram.createSocket({ type: "udp4" });
  sock.on("message", (m, rinfo) => {
    const op = m[C.CTL_OP], seq = m.readBigUInt64LE(C.CTL_SEQ);
    const send = (b: Promise<Buffer>) => { void b.then((x) => sock.send(x, rinfo.port, rinfo.address)); };
    if (op === Op.HELLO) { send(sealAnswer({ op, result: 0, seq: 4n, text: "hello" }, m, NODE_SEED)); return; }
    void before(m, rinfo, sock).then(() => {
      if (real) setTimeout(() => send(sealAnswer({ op, result: -Errno.ENOENT, seq, text: "no such service" }, m, NODE_SEED)), 30);
    });
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  return { port: sock.address().port, close: () => sock.close() };
}

test("an answer from another address is no answer, whatever key signed it: with the node's key pinned, a forgery sent from elsewhere is ignored", async () => {
  const attacker = dgram.createSocket({ type: "udp4" });
  await new Promise<void>((r) => attacker.bind(0, "127.0.0.2", () => r()));
  const forge = async (m: Buffer, to: dgram.RemoteInfo) => {
    const op = m[C.CTL_OP], seq = m.readBigUInt64LE(C.CTL_SEQ);
    const f = await sealAnswer({ op, result: 0, seq, text: "loaded evil.sabz.city as service 3 (forged)" }, m, FORGER_SEED);
    await new Promise<void>((r) => attacker.send(f, to.port, to.address, () => r()));
  };
  const pinned = { nodeKey: NODE_KEY, warn: () => {} };
  let n = await racedNode(forge, true);
  try {
    const r = await control({ node: "127.0.0.1", port: n.port, timeoutMs: 300, ...pinned }, USER, Op.UNLOAD, UNLOAD);
    assert.deepEqual([r.result, r.text], [-Errno.ENOENT, "no such service"]);
  } finally {
    n.close();
  }
  n = await racedNode(forge, false);
  try {
    await assert.rejects(control({ node: "127.0.0.1", port: n.port, timeoutMs: 100, tries: 2, ...pinned }, USER, Op.UNLOAD, UNLOAD), /no answer from 127\.0\.0\.1/);
  } finally {
    n.close();
    attacker.close();
  }
});

test("a refusal in clear racing ahead of the node's sealed answer does not end the exchange; alone, it is reported as unproven", async () => {
  const clear = async (m: Buffer, to: dgram.RemoteInfo, node: dgram.Socket) => {
    const b = Buffer.alloc(C.RP_CLEAR_SIZE);
    b.writeUInt32LE(C.CTL_REPLY_MAGIC, 0);
    b[C.CTL_VERSION_OFF] = C.CTL_VERSION;
    b[C.CTL_OP] = m[C.CTL_OP];
    b.writeInt16LE(-Errno.ESTALE, C.RP_CLEAR);
    await new Promise<void>((r) => node.send(b, to.port, to.address, () => r()));
  };
  let n = await racedNode(clear, true);
  try {
    const r = await control({ node: "127.0.0.1", port: n.port, timeoutMs: 300, nodeKey: NODE_KEY, warn: () => {} }, USER, Op.UNLOAD, UNLOAD);
    assert.deepEqual([r.result, r.text], [-Errno.ENOENT, "no such service"]);
  } finally {
    n.close();
  }
  n = await racedNode(clear, false);
  try {
    const r = await control({ node: "127.0.0.1", port: n.port, timeoutMs: 100, tries: 2, nodeKey: NODE_KEY, warn: () => {} }, USER, Op.UNLOAD, UNLOAD);
    assert.equal(r.result, -Errno.ESTALE);
    assert.match(r.text, /came in clear, unsigned, and no signed answer came after it/);
  } finally {
    n.close();
  }
});

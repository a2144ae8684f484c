// What a PUT of a 1 MiB module costs (spec/control.md "Module transfer (PUT)"), in-process
// under the Node host: cli/put.ts's PutSender hands its chunks to the kernel as frames on
// a link with no loss, the kernel writes each through to the host's store directory and
// answers those that ask (one in 16 and the last of each burst: a sealed answer, which the
// sender opens and checks), and at the end reads the module back, hashes it and has the
// host fsync, validate, meter and rename it. Next to it, in the same run, the same bytes over a plain
// UDP socket on loopback in the same 1024-byte datagrams with the same window of 64 (a
// receiver that only counts and acknowledges), and a copy of the file with fsync: the
// ratios are what the protocol, the kernel's checks and the store cost over moving bytes.
// Prints figures; asserts nothing.
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CTL_PORT, Op } from "../../abi/control";
import { PUT_CHUNK, PUT_WINDOW } from "../../abi/limits";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { addressFromMac, linkLocalFromMac, parseAddr, parseMac } from "../../loader/ip6";
import { keyFromSeed, publicKeyText, hello, signed, decodeReply } from "../../loader/control/message";
import { putBody, parseTransfer } from "../../loader/control/put";
import { PersiaNode } from "../../hosts/node/node";
import { customSection } from "../../loader/modsig/format";
import { ROOT } from "../../hosts/node/paths";
import { PutSender } from "../../cli/put";
import * as P from "../../cli/peer/packets";
import { createHash } from "crypto";

const USER = keyFromSeed(new Uint8Array(32).fill(9));
const MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:01:00");
const PEER = parseAddr("fd00:1::100");
const NODE = addressFromMac(parseAddr("fd00:1::"), MAC);
const SIZE = 1 << 20;

/** echo.wasm with a custom section: a valid module of SIZE bytes. */
function bigModule(): Uint8Array {
  const echo = fs.readFileSync(path.join(ROOT, "build/wasm/services/echo.wasm"));
  // The section's header (its size's LEB128) depends on the payload: size it for about the
  // right payload, then take exactly the rest.
  const header = (n: number) => customSection("bench", new Uint8Array(n)).length - n;
  const pad = SIZE - echo.length - header(SIZE - echo.length);
  const out = Buffer.concat([echo, customSection("bench", new Uint8Array(pad).fill(0x42))]);
  if (out.length !== SIZE) throw new Error(`the bench module is ${out.length} bytes, not ${SIZE}`);
  return new Uint8Array(out);
}

async function putMs(bytes: Uint8Array, dir: string): Promise<{ ms: number; ok: string; asked: number }> {
  const yaml = `
node: { name: bench.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:1::/64"] }
services: []
users:
  - { name: bench, key: "${publicKeyText(USER.publicKey)}", domains: [sabz.city], store: 4MiB }
store:
  - { network: ${dir}, ram: 1MiB }
`;
  const { boot, plan } = compileManifest(parseManifest(yaml, "bench.yaml", ROOT));
  const replies: Uint8Array[] = [];
  const nic = {
    id: 0, backend: "bench", onFrame: null, counters: () => ({}), close: () => {},
    sendAt: (b: Uint8Array, off: number, len: number) => {
      const f = b.subarray(off, off + len);
      if (f.length > 62 && f[14 + 6] === 17) replies.push(f.slice(14 + 48));
      return 0;
    },
  };
  let t = 0n;
  const node = new PersiaNode({ kernelBytes: fs.readFileSync(path.join(ROOT, "build/wasm/kernel.wasm")), boot,
    network: plan.network, nics: [nic], clock: () => t, autoPoll: false, log: () => {} });
  await node.start();
  const introduce = P.ether(MAC, PEER_MAC, P.ETH_IPV6, P.neighborSolicit(PEER, linkLocalFromMac(MAC), PEER_MAC));
  const send = (m: Uint8Array) => { node.kernel.rx(0, P.ether(MAC, PEER_MAC, P.ETH_IPV6, P.udp(PEER, NODE, 40000, CTL_PORT, m)), t); };
  // Answers to the HELLO and the PUT, each opened for the request it answers.
  const take = async (request: Uint8Array) => (await Promise.all(replies.splice(0).map((r) => decodeReply(r, { user: USER, request, node: null }))))
    .filter((r) => r !== null);
  t += 1000n; node.kernel.rx(0, introduce, t);
  const hi = hello(USER.publicKey);
  send(hi); node.kernel.poll(t);
  const h = (await take(hi))[0]!;
  const hash = new Uint8Array(createHash("sha256").update(bytes).digest());
  const t0 = process.hrtime.bigint();
  const put = signed(Op.PUT, h.epoch, h.seq + 1n, USER, putBody(hash, bytes.length, "m.sabz.city"), h.cookie);
  send(put); node.kernel.poll(t);
  const first = (await take(put))[0]!;
  const s = new PutSender(USER, first.epoch, parseTransfer(first.text)!, bytes, first);
  while (!s.done) {
    t += 1n;
    for (const m of s.due(Number(t))) send(m);
    node.kernel.poll(t);
    for (const b of replies.splice(0)) { const r = await s.open(b); if (r !== null) s.answer(r); }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  node.stop();
  return { ms, ok: s.end?.result === 0 ? "stored" : (s.end?.text ?? s.failed ?? "?"), asked: s.progress.asked };
}

/** The same bytes over loopback UDP in PUT_CHUNK datagrams, PUT_WINDOW in flight, each
 *  acknowledged by a receiver that only counts. */
async function udpMs(bytes: Uint8Array): Promise<number> {
  const rx = dgram.createSocket("udp6"), tx = dgram.createSocket("udp6");
  await new Promise<void>((r) => rx.bind(0, "::1", () => r()));
  const port = rx.address().port;
  const n = Math.ceil(bytes.length / PUT_CHUNK);
  const got = new Uint8Array(n);
  rx.on("message", (m, from) => { const i = m.readUInt32LE(0); got[i] = 1; rx.send(m.subarray(0, 4), from.port, from.address); });
  const t0 = process.hrtime.bigint();
  await new Promise<void>((done) => {
    let next = 0, acked = 0;
    const pump = () => { while (next < n && next - acked < PUT_WINDOW) { const i = next++; const d = Buffer.alloc(4 + PUT_CHUNK); d.writeUInt32LE(i, 0); d.set(bytes.subarray(i * PUT_CHUNK, (i + 1) * PUT_CHUNK), 4); tx.send(d, port, "::1"); } };
    tx.on("message", () => { acked++; if (acked === n) done(); else pump(); });
    pump();
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rx.close(); tx.close();
  return ms;
}

function copyMs(bytes: Uint8Array, dir: string): number {
  const from = path.join(dir, "from.wasm"), to = path.join(dir, "to.wasm");
  fs.writeFileSync(from, bytes);
  const t0 = process.hrtime.bigint();
  fs.copyFileSync(from, to);
  const fd = fs.openSync(to, "r+"); fs.fsyncSync(fd); fs.closeSync(fd);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function putBench(out: (line: string) => void): Promise<void> {
  const bytes = bigModule();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-bench-put-"));
  try {
    const kib = bytes.length / 1024;
    const rate = (ms: number) => `${(kib / (ms / 1000)).toFixed(0).padStart(7)} KiB/s`;
    const put = await putMs(bytes, path.join(dir, "store"));
    const udp = await udpMs(bytes);
    const copy = copyMs(bytes, dir);
    out(`PUT of a ${kib} KiB module, in-process under Node (${Math.ceil(bytes.length / PUT_CHUNK)} chunks, window ${PUT_WINDOW}, no loss)`);
    out(`  PUT: signed request, chunks, SHA-256, store  ${put.ms.toFixed(0).padStart(6)} ms  ${rate(put.ms)}   (${put.ok}; ${put.asked} chunks asked for an answer)`);
    out(`  plain UDP on loopback, same datagrams+acks   ${udp.toFixed(0).padStart(6)} ms  ${rate(udp)}   PUT takes ${(put.ms / udp).toFixed(2)}× its time`);
    out(`  copy of the file with fsync                  ${copy.toFixed(0).padStart(6)} ms  ${rate(copy)}   PUT takes ${(put.ms / copy).toFixed(0)}× its time`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) putBench((l) => console.log(l)).catch((e) => { console.error(e); process.exit(1); });

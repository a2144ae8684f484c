// The wasmtime image refuses a PUT (spec/control.md "Module transfer (PUT)"): a composed
// image cannot instantiate code that arrives at run time, so its glue's mod_stage answers
// ENOTSUP before any byte is staged, and the kernel's answer says why and what to do
// instead (add the module to the manifest's store: and rebuild the image). This test is
// the image's VXLAN peer on ::1 (wasmtime.ts ImagePeer) and sends alice's signed PUT as
// `persia ctl` would. Needs wasmtime (tests/setup.js); no root.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import { CTL_PORT, Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { addressFromMac, parseAddr, parseMac } from "../../loader/ip6";
import { keyFromSeed, publicKeyText, hello, signed, decodeReply, Reply } from "../../loader/control/message";
import { putBody } from "../../loader/control/put";
import * as P from "../../cli/peer/packets";
import { imageOf, ImagePeer, RunningImage, wasmtimeOrSkip } from "./wasmtime";

const wt = wasmtimeOrSkip();
const VNI = 79;
const NODE_MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:00:99");
const PEER = parseAddr("fd00:5ab2:1::100");
const NODE = addressFromMac(parseAddr("fd00:5ab2:1::"), NODE_MAC);
const ALICE = keyFromSeed(new Uint8Array(32).fill(1));
const eth = (pkt: Uint8Array) => P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, pkt);

test("the wasmtime image refuses a PUT with ENOTSUP, saying to add the module to store: and rebuild the image", { skip: wt.skip, timeout: 120000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-put-image-"));
  const port = 48000 + (process.pid % 1000) * 2;
  const sock = dgram.createSocket({ type: "udp6" });
  let run: RunningImage | null = null;
  try {
    const { flags } = await imageOf(`
node: { name: put-image.sabz.city, role: server }
nics:
  - { name: vx0, kind: vxlan, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"], vxlan: { local: "[::1]:${port}", remote: "[::1]:${port + 1}", vni: ${VNI} } }
services: []
users:
  - { name: alice, key: "${publicKeyText(ALICE.publicKey)}", domains: [a.sabz.city], addresses: ["fd00:5ab2:1::a0/124"], store: 4MiB }
`, path.join(dir, "node.wasm"));
    await new Promise<void>((r) => sock.bind(port + 1, "::1", r));
    const peer = new ImagePeer(sock, port, VNI);
    run = new RunningImage(wt.file, flags, path.join(dir, "node.wasm"), []);
    await run.until(() => run!.stderr.includes("is running"), 30000, "the image to boot");
    peer.send(eth(P.neighborSolicit(PEER, NODE, PEER_MAC)));
    const ask = async (m: Uint8Array, sport: number): Promise<Reply> => {
      peer.send(eth(P.udp(PEER, NODE, sport, CTL_PORT, m)));
      const f = await peer.wait((p) => p.sport === CTL_PORT && p.dport === sport);
      assert.ok(f, `an answer from the image\n${run!.stderr}`);
      return (await decodeReply(f.data!, { user: ALICE, request: m, node: null }))!;
    };
    const h = await ask(hello(ALICE.publicKey), 41001);
    const module = fs.readFileSync(path.join(__dirname, "../../../../build/wasm/services/echo.wasm"));
    const hash = new Uint8Array(createHash("sha256").update(module).digest());
    const r = await ask(signed(Op.PUT, h.epoch, h.seq + 1n, ALICE, putBody(hash, module.length, "echo.a.sabz.city"), h.cookie), 41002);
    assert.equal(r.result, -Errno.ENOTSUP, r.text);
    assert.match(r.text, /cannot take a module at run time.*add the module to the manifest's store: and rebuild the image with persia image/);
  } finally {
    await run?.stop();
    sock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

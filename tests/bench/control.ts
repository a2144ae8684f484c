// What a control message costs (spec/control.md), in-process under the Node host: a signed
// UNLOAD of a service that does not exist (UDP and header checks, ed25519 verification in
// the kernel, the refusal and its answer), and a signed LOAD of echo from the store followed
// by its UNLOAD (verification twice, the records, admission, the host's slot, the service's
// first start). Next to them, an unsigned HELLO (everything but the verification): the
// ratio is the price of the signature. The clock moves 60 ms between messages so the
// verify rate limit (20 a second) never drops one. Prints figures; asserts nothing.
import * as fs from "fs";
import * as path from "path";
import { CTL_PORT, Op } from "../../abi/control";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { addressFromMac, linkLocalFromMac, parseAddr, parseMac } from "../../loader/ip6";
import { keyFromSeed, publicKeyText, hello, signed, decodeReply } from "../../loader/control/message";
import { loadRequest, unloadBody } from "../../loader/control/request";
import { PersiaNode } from "../../hosts/node/node";
import { ROOT } from "../../hosts/node/paths";
import * as P from "../../cli/peer/packets";
import { CountingNic } from "./counting_nic";

const USER = keyFromSeed(new Uint8Array(32).fill(9));
const MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:01:00");
const PEER = parseAddr("fd00:1::100");
const NODE = addressFromMac(parseAddr("fd00:1::"), MAC);
const ECHO = path.join(ROOT, "build/wasm/services/echo.wasm");
const YAML = `
node: { name: bench.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:1::/64"] }
services: []
users:
  - { name: bench, key: "${publicKeyText(USER.publicKey)}", domains: [sabz.city], addresses: ["fd00:1::7"] }
store:
  - { module: ${ECHO} }
`;

export async function controlBench(out: (line: string) => void): Promise<void> {
  const manifest = parseManifest(YAML, "bench.yaml", ROOT);
  const { boot } = compileManifest(manifest);
  const nic = new CountingNic(0);
  let t = 0n;
  const node = new PersiaNode({ kernelBytes: fs.readFileSync(path.join(ROOT, "build/wasm/kernel.wasm")), boot,
    store: [{ bytes: fs.readFileSync(ECHO), label: "echo", ramMaxPages: 256, slots: 1 }],
    nics: [nic], clock: () => t, autoPoll: false, log: () => {} });
  await node.start();
  // The peer introduces itself before every message (a solicitation with its MAC), so the
  // node never waits for neighbor discovery however far the clock moves.
  const introduce = P.ether(MAC, PEER_MAC, P.ETH_IPV6, P.neighborSolicit(PEER, linkLocalFromMac(MAC), PEER_MAC));
  const frame = (m: Uint8Array) => P.ether(MAC, PEER_MAC, P.ETH_IPV6, P.udp(PEER, NODE, 40000, CTL_PORT, m));
  const deliver = (f: Uint8Array) => { t += 250n; node.kernel.rx(0, introduce, t); node.kernel.rx(0, f, t); node.kernel.poll(t); };
  const send = (m: Uint8Array) => deliver(frame(m));
  const first = hello(USER.publicKey);
  send(first);
  const { epoch, cookie } = (await decodeReply(nic.last!.subarray(14 + 48), { user: USER, request: first, node: null }))!;
  const time = (n: number, f: (i: number) => void): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i);
    return Number(process.hrtime.bigint() - t0) / 1e6 / n;
  };
  const N = 100;
  let seq = 1n;
  const hellos = Array.from({ length: N }, () => frame(hello(USER.publicKey)));
  const sealedHellos = Array.from({ length: N }, () => frame(hello(USER.publicKey, cookie)));
  const helloMs = time(N, (i) => deliver(hellos[i]));
  const sealedMs = time(N, (i) => deliver(sealedHellos[i]));
  const unloads = Array.from({ length: N }, () => signed(Op.UNLOAD, epoch, seq++, USER, unloadBody("none.sabz.city"), cookie));
  const unloadMs = time(N, (i) => send(unloads[i]));
  const load = loadRequest(`{ domain: e.sabz.city, module: ${ECHO}, addresses: ["fd00:1::7"], ram: { min: 64KiB, max: 1MiB } }`,
    "bench", ROOT, manifest).body;
  const pairs = Array.from({ length: 20 }, () => [signed(Op.LOAD, epoch, seq++, USER, load, cookie), signed(Op.UNLOAD, epoch, seq++, USER, unloadBody("e.sabz.city"), cookie)]);
  const pairMs = time(pairs.length, (i) => { send(pairs[i][0]); send(pairs[i][1]); });
  const last = pairs[pairs.length - 1][1];
  const ok = await decodeReply(nic.last!.subarray(14 + 48), { user: USER, request: last, node: null });
  node.stop();
  out("Control messages, in-process under Node (per message; the clock moves 250 ms between them, more than a source's budget needs to refill one check)");
  out(`  HELLO (unsigned: UDP, header, answer in clear) ${helloMs.toFixed(3)} ms   1.00`);
  out(`  HELLO with the cookie (a sealed, signed answer) ${sealedMs.toFixed(3)} ms   ${(sealedMs / helloMs).toFixed(0)}× HELLO`);
  out(`  signed UNLOAD of no service (verify, refuse)  ${unloadMs.toFixed(3)} ms   ${(unloadMs / helloMs).toFixed(0)}× HELLO`);
  out(`  signed LOAD of echo + signed UNLOAD           ${pairMs.toFixed(3)} ms   ${(pairMs / helloMs).toFixed(0)}× HELLO   (last answer: ${ok === null ? "none" : ok.result === 0 ? "ok" : ok.text})`);
}

if (require.main === module) controlBench((l) => console.log(l)).catch((e) => { console.error(e); process.exit(1); });

// Run-time LOADs into service ids past the u8/i8 edges (SVC_MAX 1024, issue #17): store
// slots placed by the manifest (a kv entry's slots fill the ids below) so that an echo LOAD
// takes id 127, 128, 255, 256 or 1023 under the Node host; the reply names that id, status
// shows it, the service answers at its address, an UNLOAD frees the id and the next LOAD
// takes it again, and a LOAD never takes the id of a service that holds it (faulted or not).
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { parseAddr } from "../../loader/ip6";
import { publicKeyText, hello, signed, decodeReply } from "../../loader/control/message";
import { grantRequest, loadRequest, unloadBody } from "../../loader/control/request";
import { ROOT } from "../../hosts/node/paths";
import { CTL_PORT, Op } from "../../abi/control";
import * as P from "../../cli/peer/packets";
import { ALICE, MAC, NODE, PEER, granted, svcYaml, withCtl } from "./ctl";
import { Bench } from "./bench";

/** A node with one service (module, at fd00:5ab2:1::<addr>), alice as its user, and `store`. */
function nodeYaml(domain: string, module: string, addr: string, store: string[]): string {
  return `
node: { name: ids.sabz.city, role: server, ram: 64MiB }
nics:
  - { name: lan0, kind: virtual, mac: "${MAC}", prefixes: ["fd00:5ab2:1::/64"], rate: 100Mbit }
services:
  - { domain: ${domain}, module: ${module}, addresses: ["fd00:5ab2:1::${addr}"], ram: { min: 64KiB, max: 512KiB } }
users:
  - name: alice
    key: "${publicKeyText(ALICE.publicKey)}"
    domains: [a.sabz.city]
    addresses: ["fd00:5ab2:1::a0/124"]
store:
${store.map((e) => `  - ${e}\n`).join("")}`;
}

/** A node whose first echo store slot is id `first`: echo.sabz.city is id 0, then `first - 1`
 *  kv slots, then `slots` echo slots. */
const idsYaml = (first: number, slots: number) => nodeYaml("echo.sabz.city", "build/wasm/services/echo.wasm", "7", [
  `{ module: build/wasm/services/kv.wasm, ram: 1MiB, slots: ${first - 1} }`,
  `{ module: build/wasm/services/echo.wasm, ram: 1MiB, slots: ${slots} }`]);

for (const first of [127, 255, 1022]) {
  it(`LOADs take ids ${first} and ${first + 1}, answer there, and an UNLOADed id is taken again`, async () => {
    await withCtl(() => idsYaml(first, 2), async (c, b) => {
      for (let k = 0; k < 2; k++) {
        const r = await c.load(ALICE, svcYaml(`e${k}.a.sabz.city`, `fd00:5ab2:1::a${k + 1}`));
        assert.equal(r.result, 0, r.text);
        assert.equal(r.svc, first + k, "the reply names the slot's id");
        assert.ok(await b.until(() => b.service(`e${k}.a.sabz.city`).state === "RUNNING", 50), `e${k} runs`);
        assert.equal(b.service(`e${k}.a.sabz.city`).id, first + k, "status shows the id");
        assert.equal(await b.ping("lan0", parseAddr(`fd00:5ab2:1::a${k + 1}`)), true, `e${k} answers at its address`);
      }
      const full = await c.load(ALICE, svcYaml("e2.a.sabz.city", "fd00:5ab2:1::a3"));
      assert.equal(full.result, -Errno.ENOSPC, "both slots taken: " + full.text);
      assert.equal((await c.send(ALICE, Op.UNLOAD, unloadBody("e0.a.sabz.city"))).result, 0);
      const again = await c.load(ALICE, svcYaml("e2.a.sabz.city", "fd00:5ab2:1::a3"));
      assert.equal(again.result, 0, again.text);
      assert.equal(again.svc, first, "the freed id, again");
      assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::a3")), true);
      assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::a1")), false, "the unloaded service's address is gone");
      assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::a2")), true, "the other one still answers");
    });
  });
}

// A service whose owner's key it holds sends, from inside its own call, a signed UNLOAD of
// itself (the node's control plane acts on a packet from a service to a node address at
// once, inline), then faults in that same call. The kernel freed the id during the call;
// the fault the host reports for the call must not bring the id back as a service with no
// name, no module and no way to UNLOAD it (the id lost until the node restarts).
const RELAY = parseAddr("fd00:5ab2:1::a5");

/** The relay (id 0) as alice's r.a.sabz.city, and one echo store slot. */
const relayYaml = () => nodeYaml("r.a.sabz.city", "build/wasm/tests/relay.wasm", "a5",
  ["{ module: build/wasm/services/echo.wasm, ram: 1MiB, slots: 1 }"]);

/** Has the relay send `packet` (then fault, for "trap"); what the node answered it, if anything. */
function relayOf(b: Bench): (word: "send" | "trap", packet: Uint8Array) => Promise<Uint8Array | null> {
  const peer = b.peer("lan0");
  let port = 43000;
  return async (word, packet) => {
    const sport = ++port;
    const cmd = new Uint8Array(4 + packet.length);
    cmd.set(new TextEncoder().encode(word)); cmd.set(packet, 4);
    peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, RELAY, sport, 9, cmd));
    const f = await b.frame(peer, (p) => p.sport === 9 && p.dport === sport, 50);
    return f?.data ?? null;
  };
}

it("a service that UNLOADs itself from inside its call and then faults leaves its id free, not held by a nameless service", async () => {
  await withCtl(relayYaml, async (c, b) => {
    const errors: string[] = [];
    b.node.on("error", (e: Error) => errors.push(e.message));
    const relay = relayOf(b);
    assert.ok(await b.until(() => b.service("r.a.sabz.city").state === "RUNNING", 50));
    const id = b.service("r.a.sabz.city").id;
    const first = hello(ALICE.publicKey);
    const answer = await relay("send", P.udp(RELAY, NODE, 5000, CTL_PORT, first));
    assert.ok(answer, "the relay passed the node's answer on");
    const h = (await decodeReply(answer, { user: ALICE, request: first, node: null }))!;
    assert.equal(h.result, -Errno.EAGAIN, "a first HELLO: the cookie for the relay's address, in clear");
    const unload = signed(Op.UNLOAD, h.epoch, 1n, ALICE, unloadBody("r.a.sabz.city"), h.cookie);
    await relay("trap", P.udp(RELAY, NODE, 5001, CTL_PORT, unload));
    await b.tick(2000);
    assert.deepEqual(errors, [], "the node runs on");
    assert.deepEqual(b.node.status().services.map((x) => x.id), [], "no service left");
    const body = loadRequest(svcYaml("r2.a.sabz.city", "fd00:5ab2:1::a6", "", "build/wasm/tests/relay.wasm"), "l.yaml", ROOT, c.manifest).body;
    await b.tick(250);
    const h2 = await c.hello();
    const again = (await c.raw(signed(Op.LOAD, h2.epoch, 2n, ALICE, body, h2.cookie)))!;
    assert.equal(again.result, 0, again.text);
    assert.equal(again.svc, id, "the freed id is free in the kernel's mask: no nameless service holds it");
    assert.ok(await b.until(() => b.service("r2.a.sabz.city").state === "RUNNING", 50));
  });
});

// The same with a GRANT that changes its RAM max: the kernel stops the service to restart it
// with its new memory, from inside the call; the fault after it must neither stop the node
// nor count against the service (it restarts as a GRANT's restart does, not as a fault's).
it("a service that GRANTs itself a new RAM max from inside its call and then faults restarts, and the node runs on", async () => {
  await withCtl(relayYaml, async (c, b) => {
    const errors: string[] = [];
    b.node.on("error", (e: Error) => errors.push(e.message));
    const relay = relayOf(b);
    assert.ok(await b.until(() => b.service("r.a.sabz.city").state === "RUNNING", 50));
    const first = hello(ALICE.publicKey);
    const h = (await decodeReply((await relay("send", P.udp(RELAY, NODE, 5000, CTL_PORT, first)))!, { user: ALICE, request: first, node: null }))!;
    const body = grantRequest("{ domain: r.a.sabz.city, ram: { min: 64KiB, max: 256KiB } }", "g.yaml", ROOT, c.manifest).body;
    await relay("trap", P.udp(RELAY, NODE, 5001, CTL_PORT, signed(Op.GRANT, h.epoch, 1n, ALICE, body, h.cookie)));
    await b.tick(2000);
    assert.deepEqual(errors, [], "the node runs on");
    assert.ok(await b.until(() => b.service("r.a.sabz.city").state === "RUNNING", 50), "restarted");
    assert.equal(b.service("r.a.sabz.city").faults, 0, "the fault of a stopped instance is nobody's");
    assert.equal(granted(b, "r.a.sabz.city").ramMaxPages, 4, "the new RAM max");
  });
});

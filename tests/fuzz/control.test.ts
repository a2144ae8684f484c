// Control datagrams from a hostile peer (issue #10, "Proof"): valid requests of every op —
// LOADs with addresses and disk grants, GRANTs, REVOKEs, UNLOADs, unknown ops — whose
// bodies are mutated and then signed properly with a user's key and cookie, so the kernel's
// record parsing and authority checks see them (kernel/ctl/ops.ts, authority.ts); and whole
// datagrams mutated after signing, which the header, cookie and signature checks see.
// Throughout: no trap, nothing malformed sent, the node and echo answer pings, no service
// is given an address or disk byte alice was not; at the end no buffer is lost.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { CTL_PORT, Op } from "../../abi/control";
import { ROOT } from "../../hosts/node/paths";
import { parseManifest } from "../../loader/manifest";
import { hello, signed } from "../../loader/control/message";
import { askNode, svcYaml, knowUser } from "../integration/ctl";
import { loadRequest, grantRequest, unloadBody, revokeBody } from "../../loader/control/request";
import { formatPrefix, parseAddr, parsePrefix, prefixContains } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { announce, SCALE, Rng } from "./rng";
import { ALICE, NODE, PEER, FuzzNode, drained, healthy, withFuzzNode } from "./node";

const SIGNED = 400 * SCALE;
const RAW = 3_000 * SCALE;

function bodies(f: FuzzNode): Uint8Array[][] {
  const m = parseManifest(f.yaml, "fuzz.yaml", ROOT);
  return [
    [Uint8Array.of(Op.LOAD), loadRequest(svcYaml("x.a.sabz.city", "fd00:5ab2:1::a1", ", disk: [{ device: data, offset: 512KiB, length: 4KiB, rights: [read] }]"), "l", ROOT, m).body],
    [Uint8Array.of(Op.LOAD), loadRequest(svcYaml("y.a.sabz.city", "fd00:5ab2:1::a2", ", cpu: { min: 1%, max: 5% }, net: [{ nic: lan0, max: 1Mbit }]"), "l", ROOT, m).body],
    [Uint8Array.of(Op.GRANT), grantRequest(`{ domain: x.a.sabz.city, ram: { min: 64KiB, max: 512KiB }, disk: [{ device: data, offset: 600KiB, length: 8KiB, rights: [read, write] }] }`, "g", ROOT, m).body],
    [Uint8Array.of(Op.REVOKE), revokeBody("x.a.sabz.city", 0, 512n << 10n, 4096n)],
    [Uint8Array.of(Op.UNLOAD), unloadBody("x.a.sabz.city")],
    [Uint8Array.of(Op.UNLOAD), unloadBody("y.a.sabz.city")],
  ];
}

/** A copy of body with one to three bytes changed (record types, lengths and fields alike). */
function mutateBody(r: Rng, body: Uint8Array): Uint8Array {
  const b = r.int(8) === 0 ? Uint8Array.from([...body, ...r.bytes(r.int(40))]) : Uint8Array.from(body);
  for (let n = 1 + r.int(3); n > 0 && b.length > 0; n--) b[r.int(b.length)] = r.pick([0, 1, 2, 0x7f, 0x80, 0xff, r.int(256)]);
  return r.int(10) === 0 ? b.subarray(0, r.int(b.length + 1)) : b;
}

it(`${SIGNED} signed control messages with mutated bodies and ${RAW} mutated datagrams: no trap, no grant beyond alice's`, async () => {
  const r = announce("control");
  knowUser(ALICE);                                        // the fuzz node's alice: answers are sealed to her
  await withFuzzNode(async (f) => {
    const b = f.b, peer = b.peer("lan0");
    const ask = (msg: Uint8Array, sport: number) => askNode(b, "lan0", PEER, NODE, sport, msg, 20);
    const base = bodies(f);
    let seq = 1n, h = (await ask(hello(ALICE.publicKey), 50000))!;   // in clear: the epoch and the cookie
    const results = new Map<number, number>();
    for (let i = 0; i < SIGNED; i++) {
      await b.tick(250);                                   // within the source /64's 5 checks a second
      const [op, body] = r.pick(base);
      const code = r.int(20) === 0 ? r.int(256) : op[0];
      const reply = await ask(signed(code, h.epoch, seq++, ALICE, r.int(4) === 0 ? body : mutateBody(r, body), h.cookie), 50001 + (i % 1000));
      if (code === Op.RELAY || code === Op.CHUNK) {
        // A RELAY is unsigned: one whose inner request does not authenticate is dropped
        // unanswered (spec/control.md, "What a router accepts from another"). So is a CHUNK
        // that names no live transfer of its key ("Module transfer (PUT)"): an answer would
        // be sealed, which a guessed id must not make the node do.
        assert.equal(reply, null, `message ${i} as op ${code} was answered`);
      } else {
        assert.ok(reply, `signed message ${i} (op ${code}) was answered`);
        results.set(reply.result, (results.get(reply.result) ?? 0) + 1);
        h = { ...h, cookie: reply.cookie };
      }
      if (i % 100 === 99) await healthy(f, `${i + 1} signed messages`);
    }
    const whole = base.map(([op, body]) => signed(op[0], h.epoch, 1n << 50n, ALICE, body, h.cookie));
    for (let i = 0; i < RAW; i++) {
      const m = Uint8Array.from(r.pick(whole));
      for (let n = 1 + r.int(3); n > 0; n--) m[r.int(m.length)] ^= 1 << r.int(8);
      peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, NODE, 52000, CTL_PORT, r.int(10) === 0 ? m.subarray(0, r.int(m.length)) : m));
      if (i % 100 === 99) { await b.deliver(); await b.tick(20); peer.received.length = 0; }
    }
    await healthy(f, "the mutated datagrams");
    console.log(`fuzz control: results of the signed messages: ${[...results].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k === 0 ? "ok" : -k} ${n}`).join(", ")}`);
    assert.ok((results.get(0) ?? 0) > 0, "some mutated messages were acted on: the fuzzer reached the ops");
    const loaded = b.node.status().services.filter((s) => s.name.endsWith(".a.sabz.city"));
    const given = parsePrefix("fd00:5ab2:1::a0/124");
    for (const route of b.node.status().routes.filter((x) => x.kind === "SERVICE" && loaded.some((s) => s.id === x.service))) {
      assert.ok(prefixContains(given, parseAddr(route.prefix.split("/")[0])), `alice's service holds ${route.prefix}, outside ${formatPrefix(given)}`);
    }
    for (const g of b.node.status().grants.filter((x) => loaded.some((s) => s.id === x.service))) {
      for (const d of g.disks) {
        assert.ok(BigInt(d.offset) >= 512n << 10n, `alice's service holds disk bytes from ${d.offset}, outside her half`);
      }
    }
    await drained(f);
  });
});

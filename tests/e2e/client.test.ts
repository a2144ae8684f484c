// The client role with a real router (issue #20): Debian's radvd in a network namespace
// advertises prefixes, an MTU, a router lifetime, reachable time and retrans timer to a
// client node — the Node host on a TAP, and the image under wasmtime on VXLAN, one scenario
// for both. The node forms its service's address (tests/e2e/iid.ts says which) in each
// autonomous /64 and answers pings there; it follows the MTU; when radvd renumbers (SIGHUP
// with the old prefix at preferred lifetime 0 and a new prefix) the old address is
// deprecated but still answers (RFC 4862 §5.5.4), and the two-hour rule (§5.5.3 e) keeps
// its valid lifetime from dropping to the advertised 30 s; an address whose valid lifetime
// was short from the start ages out once radvd stops advertising it; radvd's last RA
// (router lifetime 0) takes it off the default router list.
// Needs root, iproute2, ping, radvd, ndisc6; the image also wasmtime (tests/setup.js).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { parseMac } from "../../loader/ip6";
import { sh, missing, skipOrFail, vxlanNamespace } from "./linux";
import { wasmtimeOrSkip } from "./wasmtime";
import { learnedAddress } from "./iid";
import { startRadvd, RadvdConfig, Radvd } from "./radvd";
import { ClientHost, bootNode, bootImage, answers, silent, pings, neighborMac, stateOf, untilState, routers } from "./client_host";
import { waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping", "radvd", "ndisc6"]));
const wt = skip ? { file: "", skip } : wasmtimeOrSkip();
const TAG = (process.pid % 900) + 100;
const wasm = path.join(ROOT, "build/wasm/services");
const SVC = "echo.sabz.city";
const MAC = "02:00:5a:b2:c1:01";

/** P1 lives long and is renumbered away; P2 is short-lived from the start (valid 12 s,
 *  preferred 8 s) and is dropped from radvd.conf at the renumbering; P3 is the new one. */
const P1 = "fd00:c1::/64", P2 = "fd00:c2::/64", P3 = "fd00:c3::/64";
const MTU = 1400;
const BEFORE: RadvdConfig = { mtu: MTU, lifetime: 60, reachable: 20000, retrans: 1500,
  prefixes: [{ prefix: P1 }, { prefix: P2, valid: 12, preferred: 8 }] };
const AFTER: RadvdConfig = { ...BEFORE, prefixes: [{ prefix: P1, valid: 30, preferred: 0 }, { prefix: P3 }] };

const svcIn = (p: string) => learnedAddress(p, SVC);
const on = (p: string, host: number) => p.replace("::/64", `::${host}/64`);

/** The link the node is on, as Linux sees it: a device in a namespace. */
interface Link { ns: string; dev: string }

async function scenario(t: test.TestContext, h: ClientHost, link: Link, dir: string): Promise<void> {
  const inNs = (cmd: string) => sh(`ip netns exec ${link.ns} ${cmd}`);
  for (const p of [P1, P2, P3]) inNs(`ip -6 addr replace ${on(p, 1)} dev ${link.dev} nodad`);
  let radvd: Radvd | null = await startRadvd(link.ns, link.dev, BEFORE, dir);
  const logs = () => `${h.logs()}\nradvd:\n${radvd?.log().slice(-1500) ?? ""}`;
  try {
    await t.test("the service answers at its RFC 7217 address in each advertised /64; so does the node at its own", async () => {
      await answers(link.ns, svcIn(P1), `${SVC} in ${P1}`, 20000, logs);
      await answers(link.ns, svcIn(P2), `${SVC} in ${P2}`, 5000, logs);
      await answers(link.ns, learnedAddress(P1, parseMac(MAC)), `the node in ${P1}`, 5000, logs);
      assert.equal(await neighborMac(link.ns, link.dev, svcIn(P1)), MAC, "Linux resolved the service's address to the node's MAC");
      const st = await untilState(h, svcIn(P1), "PREFERRED");
      assert.equal(st.dadCounter, 0, "the first identifier was free");
    });

    await t.test("the node follows the advertised MTU: 1400 bytes pass, 1401 do not", async () => {
      assert.equal(await pings(link.ns, svcIn(P1), MTU - 48), true, "an echo of 1400 bytes in all");
      assert.equal(await pings(link.ns, svcIn(P1), MTU - 48 + 1), false, "an echo of 1401 bytes: the node's link MTU is 1400");
      const s = await h.status();
      assert.equal(s.nics[0].mtu, MTU, "the NIC's MTU in the status");
      const r = routers(s);
      assert.equal(r.length, 1, JSON.stringify(r));
      assert.deepEqual([r[0].chosen, r[0].mtu, r[0].reachable, r[0].retrans], [true, MTU, 20000, 1500]);
      assert.ok(r[0].lifetimeLeft > 0 && r[0].lifetimeLeft <= 60, `router lifetime left ${r[0].lifetimeLeft}`);
    });

    await radvd.reload(AFTER);
    await t.test("renumbered: the new address answers and is preferred, the old one is deprecated and still answers", async () => {
      await answers(link.ns, svcIn(P3), `${SVC} in the new ${P3}`, 15000, logs);
      await untilState(h, svcIn(P3), "PREFERRED");
      const old = await untilState(h, svcIn(P1), "DEPRECATED", 10000);
      assert.equal(await pings(link.ns, svcIn(P1)), true, "a deprecated address is still answered (RFC 4862 §5.5.4)");
      // RFC 4862 §5.5.3 (e): an unauthenticated RA lowers a valid lifetime above two hours
      // to two hours, not to the 30 s it advertises.
      assert.ok(old.validLeft > 7000, `the old address keeps about two hours, not 30 s: ${old.validLeft} s left`);
    });

    await t.test("an address whose valid lifetime was short from the start is deprecated, then expires", async () => {
      await untilState(h, svcIn(P2), "DEPRECATED", 15000);
      await silent(link.ns, svcIn(P2), `${SVC} in the expired ${P2}`, 15000);
      await waitFor(async () => stateOf(await h.status(), svcIn(P2)) === null, 5000, `${svcIn(P2)} to leave the status`);
      assert.equal(await pings(link.ns, svcIn(P3)), true, "the new address still answers");
      assert.equal(await pings(link.ns, svcIn(P1)), true, "the deprecated one too");
    });

    await radvd.stop();   // radvd's last RA has router lifetime 0
    radvd = null;
    await t.test("radvd's last RA (router lifetime 0) takes it off the default router list", async () => {
      await waitFor(async () => routers(await h.status()).length === 0, 5000, "the router list to empty");
    });
  } finally {
    await radvd?.stop();
  }
}

function cleanupTap(ns: string, dev: string): void {
  sh(`ip netns del ${ns}`, { allowFail: true });
  sh(`ip link del ${dev}`, { allowFail: true });
}

test("Node host on a TAP: a client configured by radvd", { skip, timeout: 90000 }, async (t) => {
  const link = { ns: `cn${TAG}`, dev: `pcn${TAG}` };
  cleanupTap(link.ns, link.dev);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-client-"));
  let h: ClientHost | null = null;
  try {
    sh(`ip netns add ${link.ns}`);
    sh(`ip netns exec ${link.ns} sysctl -qw net.ipv6.conf.all.forwarding=1`);
    h = await bootNode(`
node: { name: c${TAG}.sabz.city, role: client }
nics:
  - name: lan0
    kind: tap
    tap: { device: ${link.dev} }
    mac: "${MAC}"
    autoconf: true
    dad: 1
services:
  - { domain: ${SVC}, module: ${wasm}/echo.wasm, addresses: [{ learned: lan0 }], ram: { min: 64KiB, max: 1MiB } }
`);
    sh(`ip link set ${link.dev} netns ${link.ns}`);
    sh(`ip netns exec ${link.ns} ip link set lo up`);
    sh(`ip netns exec ${link.ns} sysctl -qw net.ipv6.conf.${link.dev}.accept_dad=0`);
    sh(`ip netns exec ${link.ns} ip link set ${link.dev} up`);
    await scenario(t, h, link, dir);
  } finally {
    await h?.stop();
    cleanupTap(link.ns, link.dev);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the image under wasmtime on VXLAN: a client configured by radvd", { skip: wt.skip, timeout: 90000 }, async (t) => {
  const tag = 0xf00 + (process.pid % 0x100);   // vxlan.test.ts, top.test.ts and tests/parity use 0x100–0xeff
  const vx = vxlanNamespace(tag, 20, on(P1, 1), { quiet: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-client-"));
  let h: ClientHost | null = null;
  try {
    // Room for a 1401-byte packet in one VXLAN frame, so the MTU the node learned is the
    // only limit (the VXLAN device's own would be 1430 on an IPv6 underlay of 1500).
    sh(`ip link set pvh${tag} mtu 9000`);
    sh(`ip netns exec ${vx.ns} sh -c 'ip link set pvn${tag} mtu 9000 && ip link set vxa mtu 1500'`);
    // No autoconf key: role client turns it on, with one DAD solicitation.
    h = await bootImage(`
node: { name: ci${TAG}.sabz.city, role: client }
nics:
  - { name: lan0, kind: vxlan, mac: "${MAC}", vxlan: { local: "[${vx.hostAddr}]:4789", remote: "[${vx.peerAddr}]:4789", vni: ${vx.vni} } }
services:
  - { domain: ${SVC}, module: build/wasm/services/echo.wasm, addresses: [{ learned: lan0 }], ram: { min: 64KiB, max: 1MiB } }
`, wt.file);
    await scenario(t, h, { ns: vx.ns, dev: vx.dev }, dir);
  } finally {
    await h?.stop();
    vx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

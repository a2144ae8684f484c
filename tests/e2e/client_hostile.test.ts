// Hostile router advertisements to a client node (issue #20): radvd configures the node
// (Node host, TAP), then scapy (tests/e2e/hostile_ra.py) sends from the same link RAs with
// hop limit 64, from a global source, with a prefix option cut short, with an option of
// length 0, a /48 with the A flag, router lifetime 0 from a router that is not the node's,
// and valid lifetime 0 for the learned prefix. None changes what the node learned: the
// service still answers at its address, which keeps about two hours or more of valid
// lifetime (RFC 4862 §5.5.3 e), radvd stays its only default router, and no address is
// formed in a prefix the hostile RAs named. The invalid ones are counted as drops.
// Needs root, iproute2, ping, radvd and Debian's python3-scapy.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { sh, shAsync, missing, skipOrFail } from "./linux";
import { learnedAddress } from "./iid";
import { startRadvd, Radvd } from "./radvd";
import { ClientHost, bootNode, answers, pings, routers, addresses, untilState } from "./client_host";
import { waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping", "radvd", "/usr/bin/python3"]));
const TAG = (process.pid % 900) + 100;
const NS = `ch${TAG}`, DEV = `pch${TAG}`;
const wasm = path.join(ROOT, "build/wasm/services");
const SVC = "echo.sabz.city";
const P = "fd00:c1::/64";
const ADDR = learnedAddress(P, SVC);
/** The prefixes hostile_ra.py names besides the learned one: no address may be formed there. */
const HOSTILE = ["fd00:bad1::/64", "fd00:bad2::/64", "fd00:bad3::/64", "fd00:bad4::/64", "fd00:bad5::/64"];

function cleanup(): void {
  sh(`ip netns del ${NS}`, { allowFail: true });
  sh(`ip link del ${DEV}`, { allowFail: true });
}

test("hostile RAs change nothing a client node learned from its router", { skip, timeout: 60000 }, async (t) => {
  cleanup();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-client-hostile-"));
  let h: ClientHost | null = null;
  let radvd: Radvd | null = null;
  try {
    sh(`ip netns add ${NS}`);
    sh(`ip netns exec ${NS} sysctl -qw net.ipv6.conf.all.forwarding=1`);
    h = await bootNode(`
node: { name: ch${TAG}.sabz.city, role: client }
nics:
  - { name: lan0, kind: tap, tap: { device: ${DEV} }, mac: "02:00:5a:b2:c1:01" }
services:
  - { domain: ${SVC}, module: ${wasm}/echo.wasm, addresses: [{ learned: lan0 }], ram: { min: 64KiB, max: 1MiB } }
`);
    sh(`ip link set ${DEV} netns ${NS}`);
    sh(`ip netns exec ${NS} sh -c 'ip link set lo up && sysctl -qw net.ipv6.conf.${DEV}.accept_dad=0 && ip link set ${DEV} up'`);
    sh(`ip netns exec ${NS} ip -6 addr add fd00:c1::1/64 dev ${DEV} nodad`);
    for (const p of HOSTILE) sh(`ip netns exec ${NS} ip -6 addr add ${p.replace("::/64", "::1/64")} dev ${DEV} nodad`);
    radvd = await startRadvd(NS, DEV, { lifetime: 60, prefixes: [{ prefix: P }] }, dir);
    await answers(NS, ADDR, `${SVC} in ${P}`, 20000, h.logs);
    await waitFor(async () => routers(await h!.status()).length === 1, 5000, "radvd on the default router list");
    const before = (await h.status()).drops;

    const out = await shAsync(`ip netns exec ${NS} /usr/bin/python3 ${path.join(ROOT, "tests/e2e/hostile_ra.py")} ${DEV} fd00:c1:: send`);
    assert.equal(out.code, 0, out.out);
    // The ping crosses the TAP after the hostile RAs, which the node reads in order.
    assert.equal(await pings(NS, ADDR), true, "the service still answers at its address");

    await t.test("the invalid RAs are counted as drops", async () => {
      const s = await h!.status();
      const grew = Object.keys(s.drops).reduce((n, k) => n + (s.drops[k] - (before[k] ?? 0)), 0);
      assert.ok(grew >= 4, `hop limit 64, a global source, a cut option, an option of length 0: ${grew} drops`);
    });

    await t.test("radvd stays the only default router; lifetime 0 from another router changed nothing", async () => {
      const r = routers(await h!.status());
      assert.deepEqual(r.map((x) => [x.address, x.chosen]), [[radvd!.source, true]], JSON.stringify(r));
    });

    await t.test("no address in a prefix the hostile RAs named", async () => {
      const s = await h!.status();
      for (const p of HOSTILE) {
        assert.equal(addresses(s).some((a) => a.address.startsWith(p.replace("::/64", ":"))), false, `an address in ${p}`);
        assert.equal(await pings(NS, learnedAddress(p, SVC)), false, `${SVC} does not answer in ${p}`);
      }
    });

    await t.test("valid lifetime 0 for the learned prefix does not kill the address (the two-hour rule)", async () => {
      // Preferred lifetime 0 may deprecate it until radvd's next RA (every 3–4 s) prefers it again.
      const a = await untilState(h!, ADDR, "PREFERRED", 10000);
      assert.ok(a.validLeft > 7000, `${a.validLeft} s of valid lifetime left`);
      assert.equal(await pings(NS, ADDR), true);
    });
  } finally {
    await radvd?.stop();
    await h?.stop();
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Two PersiaOS routers in a chain (issue #15, spec/control.md "Block signals", "What a
// router accepts from another"), with real Linux hosts:
//   F ── R_S ══ bridge ══ R_D ── D
//                           └─── O
// R_S serves F's /64 and sends everything else to R_D; R_D serves D's and O's /64s and
// reaches F's through R_S. R_S's manifest trusts R_D's node key for D's /64. D gets a
// certificate of its address from R_D (`persia ctl cert`) and blocks F while F floods it:
// R_D installs the filter and passes the request on to F's /64 Subnet-Router anycast
// address; R_S, the source's router, installs it too and answers D itself, so `persia ctl
// block` prints two answers, the second from R_S's address. The flood then stops at R_S:
// R_S counts it as BLOCKED, and tshark on the bridge between the routers shows F's
// datagrams stop crossing within milliseconds of the answers (the figure is printed; the
// test allows 500 ms). D cannot block traffic to O, a third party, with its own
// certificate or with O's. Needs root, ip, ping, tshark and iperf3; skips saying why, fails
// under CI=true.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sh, missing, skipOrFail, capture, stopCapture, Capture } from "./linux";
import { Router, Host, Ran, Line, keyNew, persia, attachHost, bridgeTaps, routerAddr, ping, iperfServer, flood, floodTimes, within, lastBefore } from "./block_net";
import { formatAddr, linkLocalFromMac, parseMac } from "../../loader/ip6";
import { sleep, waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping", "tshark", "iperf3"]));
const TAG = (process.pid % 900) + 100;
/** As in block.test.ts: high, below what each Node router forwards. */
const RATE = process.env.PERSIA_FLOOD_RATE ?? "50M";
const STOP_MAX_MS = 500;
const BLOCK_S = 6;

const host = (ns: string, dev: string, prefix: string, mac: string, id: string) => ({ ns, dev, prefix, routerMac: mac, addr: `${prefix}${id}` });
const F = host(`bcf${TAG}`, `pcf${TAG}`, `fd00:cf:${TAG}::`, "02:00:5a:b4:0f:01", "f");   // on R_S
const D = host(`bcd${TAG}`, `pcd${TAG}`, `fd00:cd:${TAG}::`, "02:00:5a:b4:0d:01", "d");   // on R_D
const O = host(`bco${TAG}`, `pco${TAG}`, `fd00:c0:${TAG}::`, "02:00:5a:b4:00:01", "5");   // on R_D
const HOSTS: Host[] = [F, D, O];
/** The routers' link: a TAP of each, ports of one bridge in namespace LINK. */
const LINK = { ns: `bcl${TAG}`, br: "br0", rs: `pcs${TAG}`, rd: `pcr${TAG}`, rsMac: "02:00:5a:b4:01:01", rdMac: "02:00:5a:b4:01:02" };
const ll = (mac: string) => formatAddr(linkLocalFromMac(parseMac(mac)));
const RD_D = routerAddr(D.prefix, D.routerMac);     // where D sends its requests
const RS_F = routerAddr(F.prefix, F.routerMac);     // R_S's address in F's /64

const nic = (name: string, h: typeof F) =>
  `  - { name: ${name}, kind: tap, tap: { device: ${h.dev} }, mac: "${h.routerMac}", prefixes: ["${h.prefix}/64"] }`;

function rsYaml(key: string, rdPub: string): string {
  return `
node: { name: cs${TAG}.sabz.city, role: router, identity: ${key} }
nics:
${nic("lanf", F)}
  - { name: link, kind: tap, tap: { device: ${LINK.rs} }, mac: "${LINK.rsMac}", ra: false }
routes:
  - { to: "::/0", via: "${ll(LINK.rdMac)}", nic: link }
trust:
  - { key: "${rdPub}", prefixes: ["${D.prefix}/64"] }
services: []
`;
}

function rdYaml(key: string): string {
  return `
node: { name: cd${TAG}.sabz.city, role: router, identity: ${key} }
nics:
  - { name: link, kind: tap, tap: { device: ${LINK.rd} }, mac: "${LINK.rdMac}", ra: false }
${nic("land", D)}
${nic("lano", O)}
routes:
  - { to: "${F.prefix}/64", via: "${ll(LINK.rsMac)}", nic: link }
services: []
`;
}

function cleanup(): void {
  for (const ns of [...HOSTS.map((h) => h.ns), LINK.ns]) sh(`ip netns del ${ns}`, { allowFail: true });
  for (const d of [...HOSTS.map((h) => h.dev), LINK.rs, LINK.rd]) sh(`ip link del ${d}`, { allowFail: true });
}

async function floodArrives(cap: Capture, what: string): Promise<void> {
  const seen = cap.lines.length;
  const mine = new RegExp(`${F.addr} → ${D.addr} +UDP`);
  await waitFor(() => cap.lines.slice(seen).some((l) => mine.test(l)), 10000, `F's flood to cross ${cap.dev} ${what}`, 50);
}

test("two routers in a chain: D's block is installed at F's router, which drops the flood before it crosses to D's", { skip, timeout: 180000 }, async (t) => {
  cleanup();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-block-chain-"));
  const pcapLink = path.join(dir, "link.pcapng"), pcapD = path.join(dir, "d.pcapng");
  const dKey = path.join(dir, "d.key"), oKey = path.join(dir, "o.key"), dCert = path.join(dir, "d.cert");
  let rs: Router | null = null, rd: Router | null = null;
  const stops: (() => Promise<void>)[] = [];
  try {
    const rdPub = await keyNew(path.join(dir, "rd.key"));
    await keyNew(path.join(dir, "rs.key"));
    await keyNew(dKey);
    await keyNew(oKey);
    rd = await Router.start(dir, `cd${TAG}.sabz.city`, rdYaml(path.join(dir, "rd.key")));
    rs = await Router.start(dir, `cs${TAG}.sabz.city`, rsYaml(path.join(dir, "rs.key"), rdPub));
    for (const h of HOSTS) attachHost(h);
    bridgeTaps(LINK.ns, LINK.br, [LINK.rs, LINK.rd]);
    for (const [a, b] of [[F, D], [D, F], [F, O], [O, D]]) {
      const p = await waitFor(async () => { const x = await ping(a.ns, b.addr); return x.received === 3 && x; }, 10000,
        `${a.ns} to reach ${b.addr} through the routers`, 200);
      if (a === F && b === D) assert.match(p.out, /ttl=62/, `two routers on the way\n${p.out}`);
    }

    await t.test("D and O get certificates of their addresses from R_D", async () => {
      for (const [h, key, file] of [[D, dKey, dCert], [O, oKey, path.join(dir, "o.cert")]] as const) {
        const c = await persia(h.ns, ["ctl", "cert", "--node", routerAddr(h.prefix, h.routerMac), "--key", key, "-o", file]);
        assert.equal(c.code, 0, c.out);
        assert.match(c.out, new RegExp(`^ok: `, "m"), c.out);
        assert.match(c.out, new RegExp(`${h.addr}/128 held by `), c.out);
      }
    });

    const server = await iperfServer(D.ns);
    stops.push(server.stop);
    const capLink = await capture(LINK.ns, LINK.br, pcapLink);
    stops.push(() => stopCapture(capLink));
    const capD = await capture(D.ns, D.dev, pcapD);
    stops.push(() => stopCapture(capD));
    const fl = flood(F.ns, D.addr, RATE, 60);
    stops.push(fl.stop);
    await floodArrives(capLink, "before the block");
    await floodArrives(capD, "before the block");
    await sleep(1000);
    const beforeS = await rs.status(), beforeD = await rd.status();

    let printed: Line;
    await t.test("persia ctl block prints R_D's answer, then R_S's from R_S's own address", async () => {
      const b = await persia(D.ns, ["ctl", "block", "--from", F.addr, "--to", D.addr, "--for", String(BLOCK_S), "--node", RD_D, "--key", dKey]);
      assert.equal(b.code, 0, b.out);
      assert.equal(b.lines.length, 2, `two answers:\n${b.out}`);
      assert.match(b.lines[0].text, /^ok: .*passed on to 1 source router/, b.out);
      const m = /^([0-9a-f:]+): ok: /.exec(b.lines[1].text);
      assert.ok(m, `the second answer names its sender:\n${b.out}`);
      assert.ok(m[1] === RS_F || m[1] === F.prefix, `the second answer comes from R_S (${RS_F}, or F's /64's anycast ${F.prefix}), not ${m[1]}`);
      printed = b.lines[1];
      console.log(`# persia ctl block:\n${b.out.replace(/^/gm, "#   ")}`);
    });

    await t.test("R_S holds the filter it was passed, and drops the flood there", async () => {
      const s = await rs!.status(), d = await rd!.status();
      assert.equal(s.filters?.active, 1, "R_S: one filter");
      assert.equal(s.filters?.relaysIn, 1, "R_S: installed from one relay");
      assert.equal(d.filters?.relayed, 1, "R_D passed the request on once");
      await sleep(1000);   // a second of flood, all dropped at R_S
      const s2 = await rs!.status(), d2 = await rd!.status();
      const atS = rs!.drop(s2, "BLOCKED") - rs!.drop(beforeS, "BLOCKED");
      const atD = rd!.drop(d2, "BLOCKED") - rd!.drop(beforeD, "BLOCKED");
      console.log(`# BLOCKED at R_S ${atS}, at R_D ${atD}`);
      assert.ok(atS >= 100, `R_S drops F's flood as BLOCKED (${atS})`);
      assert.ok(atD * 10 < atS, `R_D sees little of it: ${atD} BLOCKED at R_D, ${atS} at R_S`);
      const fo = await ping(F.ns, O.addr);
      assert.equal(fo.received, 3, `F still reaches O\n${fo.out}`);
      const od = await ping(O.ns, D.addr);
      assert.equal(od.received, 3, `O still reaches D\n${od.out}`);
    });

    await t.test("D cannot block traffic to O: not with its own certificate, not with O's", async () => {
      const third = ["ctl", "block", "--from", F.addr, "--to", O.addr, "--for", "60", "--node", RD_D, "--key", dKey];
      for (const r of [await persia(D.ns, [...third, "--chain", dCert]), await persia(D.ns, third)] as Ran[]) {
        assert.equal(r.code, 1, r.out);
        assert.match(r.out, /^refused, EACCES/m, r.out);
      }
      assert.equal((await rd!.status()).filters?.active, 1, "R_D: only D's filter");
      assert.equal((await rs!.status()).filters?.active, 1, "R_S: only D's filter");
      const fo = await ping(F.ns, O.addr);
      assert.equal(fo.received, 3, `F still reaches O\n${fo.out}`);
    });

    await t.test(`after ${BLOCK_S} s both filters are gone and the flood crosses again`, async () => {
      await waitFor(async () => (await rs!.status()).filters?.active === 0 && (await rd!.status()).filters?.active === 0,
        BLOCK_S * 1000 + 5000, "both filters to expire", 100);
      assert.equal((await rs!.status()).filters?.expired, 1);
      await floodArrives(capLink, "after the filters expired");
    });

    await fl.stop();
    await stopCapture(capLink);
    await stopCapture(capD);
    stops.length = 0;
    await server.stop();

    await t.test("the captures: F's datagrams stop crossing to R_D within milliseconds of the answers", () => {
      const report: string[] = [];
      for (const [where, file] of [["the routers' link", pcapLink], ["D", pcapD]]) {
        const times = floodTimes(file, F.addr, D.addr);
        const at = printed.at, until = at + (BLOCK_S - 1) * 1000;
        assert.ok(within(times, at - 1000, at) > 0, `F's datagrams crossed ${where} before the block`);
        const last = lastBefore(times, until);
        const stopped = last === null ? -Infinity : last - at;
        report.push(`${where}: last flood datagram ${stopped.toFixed(1)} ms after the answers`);
        assert.ok(stopped <= STOP_MAX_MS, `${where}: F's last datagram ${stopped.toFixed(1)} ms after the answers`);
        assert.equal(within(times, at + STOP_MAX_MS, until), 0, `${where}: none of F's datagrams while the block held`);
      }
      console.log(`# ${report.join("; ")} (flood ${RATE === "0" ? "as fast as iperf3 sends" : `${RATE}bit/s`})`);
    });
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await rs?.stop();
    await rd?.stop();
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

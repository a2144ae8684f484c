// Two PersiaOS routers in a chain (issue #15, spec/control.md "Block signals", "What a
// router accepts from another"), with real Linux hosts:
//   F ── R_S ══ bridge ══ R_D ── D
//                           └─── O
// R_S serves F's /64 and sends everything else to R_D; R_D serves D's and O's /64s and
// reaches F's through R_S. R_S's manifest trusts R_D's identity key for D's /64. D gets a
// certificate of its address from R_D (`persia ctl cert`) and blocks F while F floods it:
// R_D installs the filter and passes the request on to F's /64 Subnet-Router anycast
// address; R_S, the source's router, installs it too and answers D itself, so `persia ctl
// block` prints two answers, the second from R_S. The flood then stops at R_S: R_S counts
// it as BLOCKED, and tshark on the bridge between the routers shows F's datagrams stop
// crossing within milliseconds of the answers (the figure is printed; the test allows
// 500 ms). D cannot block traffic to O, a third party, with its own certificate or with
// O's. The routers' link has a prefix of its own; a second test runs the same block over a
// link with none (link-local addresses only), where R_S answers from its address in F's /64. Needs root, ip, ping, tshark and iperf3;
// skips saying why, fails under CI=true.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sh, missing, skipOrFail, capture, stopCapture, Capture } from "./linux";
import { Router, Host, Ran, Line, keyNew, persia, attachHost, bridgeTaps, routerAddr, ping, iperfServer, flood, floodTimes, answerTime,
  within, lastBefore } from "./block_net";
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
/** The routers' link: a TAP of each, ports of one bridge in namespace ns. */
const LINK = { ns: `bcl${TAG}`, br: "br0", rs: `pcs${TAG}`, rd: `pcr${TAG}`, rsMac: "02:00:5a:b4:01:01", rdMac: "02:00:5a:b4:01:02",
  prefix: `fd00:ce:${TAG}::` };
const ll = (mac: string) => formatAddr(linkLocalFromMac(parseMac(mac)));
const RD_D = routerAddr(D.prefix, D.routerMac);     // where D sends its requests
/** R_S's global addresses: in F's /64 and on the routers' link when it has a prefix. */
const RS_ADDRS = [routerAddr(F.prefix, F.routerMac), routerAddr(LINK.prefix, LINK.rsMac)];

const nic = (name: string, h: typeof F) =>
  `  - { name: ${name}, kind: tap, tap: { device: ${h.dev} }, mac: "${h.routerMac}", prefixes: ["${h.prefix}/64"] }`;
const linkNic = (dev: string, mac: string, numbered: boolean) =>
  `  - { name: link, kind: tap, tap: { device: ${dev} }, mac: "${mac}", ra: false${numbered ? `, prefixes: ["${LINK.prefix}/64"]` : ""} }`;

function rsYaml(key: string, rdPub: string, numbered: boolean): string {
  return `
node: { name: cs${TAG}.sabz.city, role: router, identity: ${key} }
nics:
${nic("lanf", F)}
${linkNic(LINK.rs, LINK.rsMac, numbered)}
routes:
  - { to: "::/0", via: "${ll(LINK.rdMac)}", nic: link }
trust:
  - { key: "${rdPub}", prefixes: ["${D.prefix}/64"] }
services: []
`;
}

function rdYaml(key: string, numbered: boolean): string {
  return `
node: { name: cd${TAG}.sabz.city, role: router, identity: ${key} }
nics:
${linkNic(LINK.rd, LINK.rdMac, numbered)}
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

/** Both routers running, the hosts on their links, every host reaching the others, and D's
 *  key (dKey) and certificate from R_D (dCert). `body` runs with it; then all of it goes. */
interface Chain { dir: string; rs: Router; rd: Router; dKey: string; dCert: string }

async function withChain(numbered: boolean, body: (c: Chain) => Promise<void>): Promise<void> {
  cleanup();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-block-chain-"));
  let rs: Router | null = null, rd: Router | null = null;
  try {
    const rdPub = await keyNew(path.join(dir, "rd.key"));
    await keyNew(path.join(dir, "rs.key"));
    const dKey = path.join(dir, "d.key"), dCert = path.join(dir, "d.cert");
    await keyNew(dKey);
    rd = await Router.start(dir, `cd${TAG}.sabz.city`, rdYaml(path.join(dir, "rd.key"), numbered));
    rs = await Router.start(dir, `cs${TAG}.sabz.city`, rsYaml(path.join(dir, "rs.key"), rdPub, numbered));
    for (const h of HOSTS) attachHost(h);
    bridgeTaps(LINK.ns, LINK.br, [LINK.rs, LINK.rd]);
    for (const [a, b] of [[F, D], [D, F], [F, O], [O, D]]) {
      const p = await waitFor(async () => { const x = await ping(a.ns, b.addr); return x.received === 3 && x; }, 10000,
        `${a.ns} to reach ${b.addr} through the routers`, 200);
      if (a === F && b === D) assert.match(p.out, /ttl=62/, `two routers on the way\n${p.out}`);
    }
    const c = await persia(D.ns, ["ctl", "cert", "--node", RD_D, "--key", dKey, "-o", dCert]);
    assert.equal(c.code, 0, c.out);
    assert.match(c.out, new RegExp(`^ok: [^]*${D.addr}/128 held by `), c.out);
    await body({ dir, rs, rd, dKey, dCert });
  } finally {
    await rs?.stop();
    await rd?.stop();
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `persia ctl block --from F --to D` from D to R_D, and its two answers: R_D's, then R_S's
 *  (from one of R_S's addresses); the line of R_S's. */
async function blockAtBoth(c: Chain): Promise<Line> {
  const b = await persia(D.ns, ["ctl", "block", "--from", F.addr, "--to", D.addr, "--for", String(BLOCK_S), "--node", RD_D, "--key", c.dKey]);
  console.log(`# persia ctl block:\n${b.out.replace(/^/gm, "#   ")}`);
  assert.equal(b.code, 0, b.out);
  assert.equal(b.lines.length, 2, `two answers:\n${b.out}`);
  assert.match(b.lines[0].text, /^ok: control: blocked traffic to .*: 1 filters installed, 0 refreshed, for \d+ s; passed on to 1 source router$/, b.out);
  const m = /^([0-9a-f:]+): ok: control: at the sources' router, blocked traffic to .*1 filters installed/.exec(b.lines[1].text);
  assert.ok(m, `the second answer, R_S's, names its sender:\n${b.out}`);
  assert.ok(RS_ADDRS.includes(m[1]), `the second answer comes from one of R_S's addresses (${RS_ADDRS.join(", ")}), not ${m[1]}`);
  return b.lines[1];
}

async function floodArrives(cap: Capture, what: string): Promise<void> {
  const seen = cap.lines.length;
  const mine = new RegExp(`${F.addr} → ${D.addr} +UDP`);
  await waitFor(() => cap.lines.slice(seen).some((l) => mine.test(l)), 10000, `F's flood to cross ${cap.dev} ${what}`, 50);
}

test("two routers in a chain: D's block is installed at F's router, which drops the flood before it crosses to D's", { skip, timeout: 180000 }, async (t) => {
  await withChain(true, async ({ dir, rs, rd, dKey, dCert }) => {
    const pcapLink = path.join(dir, "link.pcapng"), pcapD = path.join(dir, "d.pcapng");
    const stops: (() => Promise<void>)[] = [];
    try {
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
      await sleep(1000);   // a second of flood before the block, measured below
      const beforeS = await rs.status(), beforeD = await rd.status();

      let printed: Line;
      await t.test("persia ctl block prints R_D's answer, then R_S's from R_S's own address", async () => {
        printed = await blockAtBoth({ dir, rs, rd, dKey, dCert });
      });

      await t.test("R_S holds the filter it was passed, and drops the flood there", async () => {
        const s = await rs.status(), d = await rd.status();
        assert.equal(s.filters?.active, 1, "R_S: one filter");
        assert.equal(s.filters?.relaysIn, 1, "R_S: taken from one relay");
        assert.equal(d.filters?.active, 1, "R_D: one filter");
        assert.equal(d.filters?.relayed, 1, "R_D passed the request on once");
        const text = await rs.statusText();
        assert.match(text, /^Block filters: 1 active, .* 1 taken from other routers;/m, text);
        await sleep(1000);   // a second of flood, all of it dropped at R_S
        const s2 = await rs.status(), d2 = await rd.status();
        const atS = rs.drop(s2, "BLOCKED") - rs.drop(beforeS, "BLOCKED");
        const atD = rd.drop(d2, "BLOCKED") - rd.drop(beforeD, "BLOCKED");
        console.log(`# BLOCKED at R_S ${atS}, at R_D ${atD}`);
        assert.ok(atS >= 100, `R_S drops F's flood as BLOCKED (${atS})`);
        assert.ok(atD * 10 < atS, `R_D sees little of it: ${atD} BLOCKED at R_D, ${atS} at R_S`);
        const fo = await ping(F.ns, O.addr);
        assert.ok(fo.received >= 1, `F still reaches O\n${fo.out}`);
        const od = await ping(O.ns, D.addr);
        assert.equal(od.received, 3, `O still reaches D\n${od.out}`);
      });

      await t.test("D cannot block traffic to O: not with its own certificate, not with O's", async () => {
        const oKey = path.join(dir, "o.key");
        await keyNew(oKey);
        const oc = await persia(O.ns, ["ctl", "cert", "--node", routerAddr(O.prefix, O.routerMac), "--key", oKey]);
        assert.equal(oc.code, 0, oc.out);
        const third = ["ctl", "block", "--from", F.addr, "--to", O.addr, "--for", "60", "--node", RD_D, "--key", dKey];
        const own = await persia(D.ns, [...third, "--chain", dCert]);
        const os_ = await persia(D.ns, third);
        for (const r of [own, os_] as Ran[]) {
          assert.equal(r.code, 1, r.out);
          assert.match(r.out, /^refused, EACCES/m, r.out);
        }
        assert.match(os_.out, /not signed by the key the destination's certificate names/, os_.out);
        assert.equal((await rd.status()).filters?.active, 1, "R_D: only D's filter");
        assert.equal((await rs.status()).filters?.active, 1, "R_S: only D's filter");
        const fo = await ping(F.ns, O.addr);
        assert.ok(fo.received >= 1, `F still reaches O\n${fo.out}`);
      });

      await t.test(`after ${BLOCK_S} s both filters are gone and the flood crosses again`, async () => {
        await waitFor(async () => (await rs.status()).filters?.active === 0 && (await rd.status()).filters?.active === 0,
          BLOCK_S * 1000 + 5000, "both filters to expire", 100);
        assert.equal((await rs.status()).filters?.expired, 1);
        await floodArrives(capLink, "after the filters expired");
      });

      await fl.stop();
      await stopCapture(capLink);
      await stopCapture(capD);
      stops.length = 0;
      await server.stop();

      await t.test("the captures: F's datagrams stop crossing to R_D within milliseconds of the answers", () => {
        const at = printed.at, until = at + (BLOCK_S - 1) * 1000;
        const sent = answerTime(pcapLink, RS_ADDRS[1], D.addr, at) ?? answerTime(pcapLink, RS_ADDRS[0], D.addr, at);
        const rows = [["the routers' link", pcapLink], ["D's link", pcapD]].map(([where, file]) => {
          const times = floodTimes(file, F.addr, D.addr), last = lastBefore(times, until);
          return { where, times, stopped: last === null ? -Infinity : last - at, onWire: last === null || sent === null ? NaN : last - sent };
        });
        console.log(`# ${rows.map((r) => `${r.where}: F's last datagram ${r.stopped.toFixed(1)} ms after the CLI printed the answers, ` +
          `${r.onWire.toFixed(1)} ms after R_S's answer crossed the routers' link`).join("; ")} ` +
          `(flood ${RATE === "0" ? "as fast as iperf3 sends" : `${RATE}bit/s`})`);
        for (const r of rows) {
          assert.ok(within(r.times, at - 1000, at) > 0, `F's datagrams crossed ${r.where} before the block`);
          assert.ok(r.stopped <= STOP_MAX_MS, `${r.where}: F's last datagram ${r.stopped.toFixed(1)} ms after the answers`);
          assert.equal(within(r.times, at + STOP_MAX_MS, until), 0, `${r.where}: none of F's datagrams while the block held`);
          assert.ok(within(r.times, at + BLOCK_S * 1000, Infinity) > 0, `F's datagrams cross ${r.where} again after the block`);
        }
      });
    } finally {
      for (const s of stops.reverse()) await s().catch(() => undefined);
    }
  });
});

// Over a link with no prefix of its own the only address R_S has toward D is link-local,
// which R_D must not forward (LINK_LOCAL_FWD): R_S answers a relay from its address in the
// prefix the relay came to (kernel/ctl/control.ts relayInput), in F's /64.
test("over a link with no prefix of its own, R_S's answer still reaches D, from R_S's address in F's /64", { skip, timeout: 120000 }, async () => {
  await withChain(false, async (c) => {
    const line = await blockAtBoth(c);
    assert.match(line.text, new RegExp(`^${RS_ADDRS[0]}: `), line.text);
    const s = await c.rs.status(), d = await c.rd.status();
    assert.equal(s.filters?.active, 1, "R_S: one filter");
    assert.equal(Number(d.drops.LINK_LOCAL_FWD ?? 0), 0, "R_D forwarded no link-local source");
  });
});

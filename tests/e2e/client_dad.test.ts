// Duplicate address detection on a client node (issue #20, RFC 4862 §5.4, RFC 7217 §6):
// on one Ethernet segment (tests/e2e/lan.ts) a Linux host "dup" already holds, without DAD
// of its own, the address echo.sabz.city would get first in the advertised /64 (DAD_Counter
// 0, tests/e2e/iid.ts) and the manifest-given address of probe.sabz.city. The node, run with
// `persia run` inside the segment's namespace so that its very first solicitation reaches
// the link, logs both as duplicates and never answers for them: the segment's own Linux
// resolves each to dup's MAC. echo gets the next identifier (DAD_Counter 1), which answers.
// radvd, on the segment's bridge, is the router. Needs root, iproute2, ping, radvd.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { sh, missing, skipOrFail } from "./linux";
import { learnedAddress } from "./iid";
import { lanNamespace } from "./lan";
import { startRadvd, Radvd } from "./radvd";
import { ClientHost, runNodeIn, answers, pings, neighborMac, duplicateLines, stateOf, untilState } from "./client_host";
import { waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping", "radvd"]));
const TAG = (process.pid % 900) + 100;
const wasm = path.join(ROOT, "build/wasm/services");
const P = "fd00:c1::/64";
const STATIC_PREFIX = "fd00:c9::/64", STATIC = "fd00:c9::99";
const NODE_MAC = "02:00:5a:b2:c1:01", DUP_MAC = "02:00:5a:b2:d0:01";
const FIRST = learnedAddress(P, "echo.sabz.city", 0);
const SECOND = learnedAddress(P, "echo.sabz.city", 1);

test("a client node finds its addresses held by a Linux host: duplicates unused, the next identifier used", { skip, timeout: 60000 }, async (t) => {
  const lan = lanNamespace(TAG);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-client-dad-"));
  let radvd: Radvd | null = null;
  let h: ClientHost | null = null;
  try {
    const dup = lan.host(`dup${TAG}`, DUP_MAC);
    for (const a of [`${FIRST}/64`, `${STATIC}/64`]) sh(`ip netns exec ${dup.ns} ip -6 addr add ${a} dev eth0 nodad`);
    for (const a of ["fd00:c1::1/64", "fd00:c9::1/64"]) sh(`ip netns exec ${lan.ns} ip -6 addr add ${a} dev br0 nodad`);
    const tap = `pd${TAG}`;
    lan.tap(tap);
    h = await runNodeIn(lan.ns, `
node: { name: cd${TAG}.sabz.city, role: client }
nics:
  - name: lan0
    kind: tap
    tap: { device: ${tap} }
    mac: "${NODE_MAC}"
    prefixes: ["${STATIC_PREFIX}"]
    autoconf: true
    dad: 1
services:
  - { domain: echo.sabz.city, module: ${wasm}/echo.wasm, addresses: [{ learned: lan0 }], ram: { min: 64KiB, max: 1MiB } }
  - { domain: probe.sabz.city, module: ${wasm}/probe.wasm, addresses: ["${STATIC}"], ram: { min: 64KiB, max: 1MiB } }
`, `cd${TAG}.sabz.city`, dir);
    radvd = await startRadvd(lan.ns, lan.br, { prefixes: [{ prefix: P }] }, dir);
    const logs = () => h!.logs();

    await t.test("echo's first address is a duplicate: logged, never answered by the node; DAD_Counter 1's answers", async () => {
      await answers(lan.ns, SECOND, "echo.sabz.city's second address (DAD_Counter 1)", 20000, logs);
      assert.equal(await neighborMac(lan.ns, lan.br, SECOND), NODE_MAC, "the node answers for its second address");
      await waitFor(() => duplicateLines(logs(), FIRST).length > 0, 5000, () => `a log line calling ${FIRST} a duplicate:\n${logs()}`);
      sh(`ip netns exec ${lan.ns} ip -6 neigh flush dev br0`);
      assert.equal(await pings(lan.ns, FIRST), true, "dup answers at the first address");
      assert.equal(await neighborMac(lan.ns, lan.br, FIRST), DUP_MAC, "Linux resolved the first address to dup, not to the node");
      const s = await h!.status();
      assert.equal(stateOf(s, FIRST)?.state ?? "DUPLICATE", "DUPLICATE", "if listed, the first address is a duplicate");
      assert.equal((await untilState(h!, SECOND, "PREFERRED")).dadCounter, 1);
    });

    await t.test("probe's manifest-given address is a duplicate: logged, in the status as DUPLICATE, never answered by the node", async () => {
      assert.ok(duplicateLines(logs(), STATIC).length > 0, `a log line calling ${STATIC} a duplicate:\n${logs()}`);
      await untilState(h!, STATIC, "DUPLICATE", 5000);
      sh(`ip netns exec ${lan.ns} ip -6 neigh flush dev br0`);
      assert.equal(await pings(lan.ns, STATIC), true, "dup answers at the address");
      assert.equal(await neighborMac(lan.ns, lan.br, STATIC), DUP_MAC, "Linux resolved it to dup, not to the node");
    });
  } finally {
    await radvd?.stop();
    await h?.stop();
    lan.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

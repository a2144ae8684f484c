// A client node behind a PersiaOS router (issue #20), both on the Node host: the router's
// LAN NIC and the client's NIC share one Ethernet segment (tests/e2e/lan.ts), the router's
// other NIC is a Linux host's link, as in router.test.ts. The client configures itself from
// the router's advertisements — its service's RFC 7217 address in the LAN's /64, the router
// as its default router — and a Linux host on the router's far side pings the service
// across the router. Needs root, iproute2, ping.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { linkLocalFromMac, parseMac, formatAddr } from "../../loader/ip6";
import { sh, shAsync, missing, skipOrFail } from "./linux";
import { learnedAddress } from "./iid";
import { lanNamespace } from "./lan";
import { ClientHost, bootNode, answers, routers, untilState } from "./client_host";
import { waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping"]));
const TAG = (process.pid % 900) + 100;
const wasm = path.join(ROOT, "build/wasm/services");
const LAN = `fd00:ca:${TAG}::`, FAR = `fd00:cb:${TAG}::`;
const R_LAN = `prl${TAG}`, R_FAR = `prf${TAG}`, R_UP = `pru${TAG}`, C_NIC = `pcl${TAG}`;
const R_LAN_MAC = "02:00:5a:b2:ca:01";
const FAR_NS = `far${TAG}`;
const SVC = "echo.sabz.city";
const ADDR = learnedAddress(`${LAN}/64`, SVC);

const ROUTER = `
node: { name: r${TAG}.sabz.city, role: router }
nics:
  - { name: lan, kind: tap, tap: { device: ${R_LAN} }, mac: "${R_LAN_MAC}", prefixes: ["${LAN}/64"], ra: { min_interval: 3, max_interval: 4 } }
  - { name: far, kind: tap, tap: { device: ${R_FAR} }, mac: "02:00:5a:b2:cb:01", prefixes: ["${FAR}/64"], ra: { min_interval: 3, max_interval: 4 } }
  - { name: up, kind: tap, tap: { device: ${R_UP} }, mac: "02:00:5a:b2:cc:01", ra: false }
routes:
  - { to: "::/0", via: "fe80::1", nic: up }
services: []
`;

const CLIENT = `
node: { name: c${TAG}.sabz.city, role: client }
nics:
  - { name: lan0, kind: tap, tap: { device: ${C_NIC} }, mac: "02:00:5a:b2:c1:01", autoconf: true }
services:
  - { domain: ${SVC}, module: ${wasm}/echo.wasm, addresses: [{ learned: lan0 }], ram: { min: 64KiB, max: 1MiB } }
`;

function cleanup(): void {
  sh(`ip netns del ${FAR_NS}`, { allowFail: true });
  for (const d of [R_LAN, R_FAR, R_UP, C_NIC]) sh(`ip link del ${d}`, { allowFail: true });
}

test("a client behind a PersiaOS router configures itself; a host across the router pings its service", { skip, timeout: 60000 }, async (t) => {
  cleanup();
  const lan = lanNamespace(TAG);
  let router: ClientHost | null = null;
  let client: ClientHost | null = null;
  try {
    sh(`ip netns add ${FAR_NS}`);
    router = await bootNode(ROUTER);
    client = await bootNode(CLIENT);
    lan.adopt(R_LAN);
    lan.adopt(C_NIC);
    sh(`ip link set ${R_FAR} netns ${FAR_NS}`);
    sh(`ip netns exec ${FAR_NS} sh -c 'ip link set lo up && ip link set ${R_FAR} up'`);
    const logs = () => `client:\n${client!.logs()}\nrouter:\n${router!.logs()}`;

    await t.test("the client's service takes its address in the router's LAN prefix and the router as default router", async () => {
      await untilState(client!, ADDR, "PREFERRED", 20000);
      const ll = formatAddr(linkLocalFromMac(parseMac(R_LAN_MAC)));
      const r = await waitFor(async () => { const x = routers(await client!.status()); return x.length > 0 ? x : null; }, 10000, "a default router");
      assert.deepEqual(r.map((x) => [x.address, x.chosen]), [[ll, true]], JSON.stringify(r));
    });

    await t.test("a Linux host on the router's far side pings the service across the router", async () => {
      // The far host configures itself from the router's RAs, as in router.test.ts.
      await waitFor(async () => /inet6 fd00:cb:/.test((await shAsync(`ip netns exec ${FAR_NS} ip -6 -o addr show dev ${R_FAR} scope global -tentative`)).out),
        20000, "the far host's SLAAC address");
      await answers(FAR_NS, ADDR, `${SVC} behind the router`, 15000, logs);
      const out = (await shAsync(`ip netns exec ${FAR_NS} ping -6 -c 3 -i 0.2 -W 2 ${ADDR}`)).out;
      assert.match(out, /3 packets transmitted, 3 received/, out);
      assert.match(out, /ttl=63/, `the reply crossed the router (hop limit 64 − 1)\n${out}`);
    });
  } finally {
    await client?.stop();
    await router?.stop();
    lan.close();
    cleanup();
  }
});

// The router appliance with real Linux hosts (issue #3): two network namespaces, each with
// one of the node's TAP devices moved into it and only brought up. The hosts configure
// themselves from the node's router advertisements, reach the services by address and
// each other across the node; forwarding decrements the hop limit, `ping -t 1` gets time
// exceeded, a too-big packet gets packet too big with the smaller MTU; tshark captures on
// both links show no malformed packet and no expert error. Then scapy sends bad neighbor
// discovery and malformed IPv6; each is counted, and the node keeps routing.
// Needs root, iproute2, ping, ndisc6/rdisc6, tshark and Debian's python3-scapy.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseManifest } from "../../loader/manifest";
import { launch, Launched } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { sh, missing, skipOrFail, capture, stopCapture, countMatching, inNs, slaacAddress } from "./linux";
import { waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping", "tshark", "rdisc6", "ndisc6", "/usr/bin/python3"]));
const TAG = (process.pid % 900) + 100;
const A = { ns: `ra${TAG}`, dev: `pta${TAG}`, prefix: `fd00:a:${TAG}::`, mac: "02:00:5a:b2:0a:01" };
const B = { ns: `rb${TAG}`, dev: `ptb${TAG}`, prefix: `fd00:b:${TAG}::`, mac: "02:00:5a:b2:0b:01" };
const UP = `ptu${TAG}`;
const ECHO = `${A.prefix}7`;
const PROBE = `${B.prefix}9`;
const wasm = path.join(ROOT, "build/wasm/services");

const MANIFEST = `
node: { name: r${TAG}.sabz.city, role: router }
nics:
  - { name: lana, kind: tap, tap: { device: ${A.dev} }, mac: "${A.mac}", mtu: 1500, prefixes: ["${A.prefix}/64"] }
  - { name: lanb, kind: tap, tap: { device: ${B.dev} }, mac: "${B.mac}", mtu: 1400, prefixes: ["${B.prefix}/64"] }
  - { name: up, kind: tap, tap: { device: ${UP} }, mac: "02:00:5a:b2:0c:01", ra: false }
routes:
  - { to: "::/0", via: "fe80::1", nic: up }
services:
  - { domain: echo.sabz.city, module: ${wasm}/echo.wasm, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
  - { domain: probe.sabz.city, module: ${wasm}/probe.wasm, addresses: ["${PROBE}"], ram: { min: 64KiB, max: 1MiB } }
`;


/** The host's SLAAC address in its prefix, once duplicate address detection is done. */
const slaac = (h: typeof A, ms = 15000) => slaacAddress(h, ms);

function cleanup(): void {
  for (const h of [A, B]) sh(`ip netns del ${h.ns}`, { allowFail: true });
  for (const d of [A.dev, B.dev, UP]) sh(`ip link del ${d}`, { allowFail: true });
}

test("Linux hosts autoconfigure from the router, reach its services and each other across it", { skip, timeout: 120000 }, async (t) => {
  cleanup();
  const pcapA = path.join(os.tmpdir(), `persia-router-a-${process.pid}.pcapng`);
  const pcapB = path.join(os.tmpdir(), `persia-router-b-${process.pid}.pcapng`);
  let r: Launched | null = null;
  const logs: string[] = [];
  try {
    for (const h of [A, B]) sh(`ip netns add ${h.ns}`);
    r = await launch(parseManifest(MANIFEST, "router.yaml", ROOT), { log: (_l, line) => logs.push(line) });
    for (const h of [A, B]) {
      sh(`ip link set ${h.dev} netns ${h.ns}`);
      sh(`ip netns exec ${h.ns} ip link set lo up`);
    }
    // The only configuration on the Linux side: bring the interface up (tshark can capture
    // only on an interface that is up).
    for (const h of [A, B]) sh(`ip netns exec ${h.ns} ip link set ${h.dev} up`);
    const capA = await capture(A.ns, A.dev, pcapA);
    const capB = await capture(B.ns, B.dev, pcapB);
    const addrA = await slaac(A);
    const addrB = await slaac(B);

    await t.test("rdisc6 shows the prefix, MTU and router lifetime", async () => {
      const out = (await inNs(A.ns, `rdisc6 -1 -r 3 -w 4000 ${A.dev}`)).out;
      assert.match(out, new RegExp(`Prefix +: ${A.prefix}/64`), out);
      assert.match(out, /MTU +: +1500 bytes/, out);
      assert.match(out, /Router lifetime +: +1800 \(0x00000708\) seconds/, out);
      const outB = (await inNs(B.ns, `rdisc6 -1 -r 3 -w 4000 ${B.dev}`)).out;
      assert.match(outB, /MTU +: +1400 bytes/, outB);
    });

    await t.test("ndisc6 resolves a service address and the router's link-local address", async () => {
      const svc = (await inNs(A.ns, `ndisc6 -1 -r 3 -w 1000 ${ECHO} ${A.dev}`)).out;
      assert.match(svc, new RegExp(`Target link-layer address: ${A.mac.toUpperCase()}`, "i"), svc);
      const ll = "fe80::5aff:feb2:a01";
      const rtr = (await inNs(A.ns, `ndisc6 -1 -r 3 -w 1000 ${ll} ${A.dev}`)).out;
      assert.match(rtr, new RegExp(`Target link-layer address: ${A.mac}`, "i"), rtr);
    });

    await t.test("both hosts ping both services", async () => {
      for (const [h, svc] of [[A, ECHO], [A, PROBE], [B, ECHO], [B, PROBE]] as const) {
        const out = (await inNs(h.ns, `ping -6 -c 3 -i 0.2 -W 2 ${svc}`)).out;
        assert.match(out, /3 packets transmitted, 3 received/, `${h.ns} → ${svc}\n${out}`);
      }
    });

    await t.test("hosts in two subnets ping each other; the hop limit drops by one", async () => {
      const out = (await inNs(A.ns, `ping -6 -c 3 -i 0.2 -W 2 ${addrB}`)).out;
      assert.match(out, /3 packets transmitted, 3 received/, out);
      assert.match(out, /ttl=63/, `B answers with hop limit 64; it arrives with 63\n${out}`);
    });

    await t.test("ping -6 -t 1 across the node gets time exceeded", async () => {
      const out = (await inNs(A.ns, `ping -6 -c 1 -t 1 -W 2 ${addrB}`)).out;
      assert.match(out, /Time exceeded: Hop limit/, out);
    });

    await t.test("a packet too big for the outgoing link gets packet too big with its MTU", async () => {
      const out = (await inNs(A.ns, `ping -6 -c 2 -i 0.5 -W 2 -M do -s 1452 ${addrB}`)).out;
      assert.match(out, /Packet too big: mtu=1400|mtu=1400/, out);
    });

    await stopCapture(capA);
    await stopCapture(capB);
    await t.test("the captures hold no malformed packet and no expert error", () => {
      for (const f of [pcapA, pcapB]) {
        assert.ok(countMatching(f, "icmpv6.type == 134") >= 1, `router advertisements in ${f}`);
        assert.equal(countMatching(f, "_ws.malformed"), 0, `malformed packets in ${f}`);
        assert.equal(countMatching(f, "_ws.expert.severity == error"), 0, `expert errors in ${f}`);
      }
      assert.ok(countMatching(pcapA, `icmpv6.type == 136 && icmpv6.nd.na.flag.r == 1 && icmpv6.nd.na.target_address == fe80::5aff:feb2:a01`) >= 1,
        "the router's advertisement of its link-local address has R set");
    });

    await t.test("scapy: bad ND and malformed IPv6 are counted and dropped; the node keeps routing", async () => {
      const before = r!.node.status().drops;
      const script = path.join(ROOT, "tests/e2e/bad_packets.py");
      const out = await inNs(A.ns, `/usr/bin/python3 ${script} ${A.dev} ${A.mac} fe80::5aff:feb2:a01 ${ECHO}`);
      assert.equal(out.code, 0, out.out);
      const want: Record<string, [number, string]> = {
        ND_INVALID: [3, "NS with hop limit 64, RA from a global source, NS for a multicast target"],
        ICMP_CHECKSUM: [1, "NS with a wrong checksum"],
        IP_SHORT: [1, "truncated IPv6 header"],
        IP_LENGTH: [1, "payload length past the end"],
        EXT_HEADER: [1, "a loop of 10 destination options headers"],
      };
      const grew = (k: string) => Number(r!.node.status().drops[k]) - Number(before[k]);
      const grown = () => Object.entries(want).map(([k, [n]]) => `${k} +${grew(k)} of ${n}`).join(", ");
      await waitFor(() => Object.entries(want).every(([k, [n]]) => grew(k) >= n), 5000,
        () => `the drops of scapy's bad packets (${grown()})`);
      // The ping goes through A's TAP after the bad packets, which the node reads in order:
      // once it is answered, every bad packet has been counted, and a counter that grew too
      // much shows it now.
      const ping = (await inNs(A.ns, `ping -6 -c 2 -i 0.2 -W 2 ${addrB}`)).out;
      assert.match(ping, /2 packets transmitted, 2 received/, ping);
      for (const [k, [n, what]] of Object.entries(want)) assert.equal(grew(k), n, `${k}: ${what}`);
    });
    void addrA;
  } finally {
    r?.node.stop();
    cleanup();
    for (const f of [pcapA, pcapB]) fs.rmSync(f, { force: true });
  }
});

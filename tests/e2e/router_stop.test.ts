// A router that stops, with a real Linux host (issue #20, RFC 4861 §6.2.5): the host has
// learned the node as its default router from its RAs (`ip -6 route show default` names
// it); when the node stops — `persia run` on SIGTERM, a wasmtime image when --for has
// passed — the host drops that route at once, a tshark capture on the host's interface
// holds the node's final RAs (router lifetime 0, the prefix's lifetimes as before), and
// the host keeps its address in the prefix. Prints the measured times.
// Node host: the node's TAP is a port of a bridge in one namespace, the Linux host's veth
// in another, so the host's interface (and the capture on it) outlives the TAP, which
// goes away with the process. Image: a VXLAN link (linux.ts vxlanNamespace).
// Needs root, iproute2, ping and tshark; the image test also wasmtime (tests/setup.js).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sh, shAsync, missing, skipOrFail, capture, stopCapture, countMatching, vxlanNamespace } from "./linux";
import { persiaRun } from "./persia_run";
import { imageOf, RunningImage, wasmtimeOrSkip } from "./wasmtime";
import { sleep, waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping", "tshark"]));
const wt = wasmtimeOrSkip();
const TAG = (process.pid % 900) + 100;
const FINAL = "icmpv6.type == 134 && icmpv6.nd.ra.router_lifetime == 0";

/** The manifest's NIC line for a router whose RAs offer a default route (via fe80::1 on
 *  the same link, which makes their router lifetime 1800 s, not 0). */
function routerYaml(name: string, nic: string, prefix: string): string {
  return `
node: { name: ${name}, role: router }
nics:
  - ${nic}
routes:
  - { to: "::/0", via: "fe80::1", nic: lan }
services: []
`.replace("- {", `- { name: lan, prefixes: ["${prefix}/64"],`);
}

/** The default route ns learned from RAs on dev, or "" when it has none. */
async function defaultRoute(ns: string, dev: string): Promise<string> {
  const out = (await shAsync(`ip netns exec ${ns} ip -6 route show default dev ${dev}`)).out;
  return /proto ra/.test(out) ? out.trim() : "";
}

/** Checks the capture and the host after a stop; returns how many final RAs it holds. */
function checkFinals(pcap: string, prefix: string, ns: string, dev: string): number {
  const finals = countMatching(pcap, FINAL);
  assert.ok(finals >= 1, `a final RA (router lifetime 0) in ${pcap}`);
  assert.equal(countMatching(pcap, `${FINAL} && icmpv6.opt.prefix == ${prefix} && icmpv6.opt.prefix.valid_lifetime == 2592000`), finals,
    "each final RA keeps the prefix and its valid lifetime (30 days by default)");
  assert.equal(countMatching(pcap, "_ws.malformed || _ws.expert.severity == error"), 0, "malformed packets or expert errors");
  const addrs = sh(`ip netns exec ${ns} ip -6 -o addr show dev ${dev} scope global`);
  assert.match(addrs, new RegExp(`inet6 ${prefix.replace(/::$/, ":")}`), "the host keeps its address in the prefix");
  return finals;
}

test("persia run: on SIGTERM a router's final RAs make a Linux host drop its default route at once", { skip, timeout: 90000 }, async () => {
  const R = `rsr${TAG}`, H = `rsh${TAG}`, TAP = `prs${TAG}`, BR = "brs", VR = `pvr${TAG}`, VH = "pvh";
  const prefix = `fd00:c:${TAG}::`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-stop-"));
  const pcap = path.join(dir, "host.pcapng");
  const cleanup = () => {
    for (const ns of [R, H]) sh(`ip netns del ${ns}`, { allowFail: true });
    sh(`ip link del ${TAP}`, { allowFail: true });
  };
  cleanup();
  fs.writeFileSync(path.join(dir, "node.yaml"), routerYaml(`stop${TAG}.sabz.city`,
    `{ kind: tap, tap: { device: ${TAP} }, mac: "02:00:5a:b2:0d:01", mtu: 1500 }`, prefix));
  let node: Awaited<ReturnType<typeof persiaRun>> | null = null;
  try {
    for (const ns of [R, H]) sh(`ip netns add ${ns} && ip netns exec ${ns} ip link set lo up`);
    const inR = `ip netns exec ${R}`, inH = `ip netns exec ${H}`;
    sh(`${inR} ip link add ${BR} type bridge forward_delay 0 mcast_snooping 0`);
    sh(`${inR} ip link add ${VR} type veth peer name ${VH} netns ${H}`);
    // The bridge and its ports are no IPv6 hosts: they would solicit RAs of their own.
    sh(`${inR} sysctl -qw net.ipv6.conf.${BR}.disable_ipv6=1 net.ipv6.conf.${VR}.disable_ipv6=1`);
    sh(`${inR} ip link set ${VR} master ${BR} && ${inR} ip link set ${VR} up && ${inR} ip link set ${BR} up`);
    node = await persiaRun([path.join(dir, "node.yaml"), "--socket-dir", dir], /(is running)/, "that the node is running");
    sh(`ip link set ${TAP} netns ${R} && ${inR} sysctl -qw net.ipv6.conf.${TAP}.disable_ipv6=1`);
    sh(`${inR} ip link set ${TAP} master ${BR} && ${inR} ip link set ${TAP} up`);
    sh(`${inH} sysctl -qw net.ipv6.conf.${VH}.accept_ra=2 && ${inH} ip link set ${VH} up`);
    const route = await waitFor(() => defaultRoute(H, VH), 20000, "the Linux host to learn the node as its default router", 100);
    const learned = performance.now();
    assert.match(route, /via fe80::5aff:feb2:d01/, route);
    await waitFor(async () => /inet6 fd00/.test((await shAsync(`${inH} ip -6 -o addr show dev ${VH} scope global`)).out), 10000,
      "the host's address in the prefix", 100);
    const cap = await capture(H, VH, pcap);
    // The RA that taught the host came less than 3 s ago perhaps: the first final RA would
    // then wait for MIN_DELAY_BETWEEN_RAS after it (RFC 4861 §6.2.6). Measure the stop of a
    // router whose last RA is older.
    await sleep(Math.max(0, learned + 3500 - performance.now()));
    const t0 = performance.now();
    let tGone = -1;
    const watch = waitFor(async () => (await defaultRoute(H, VH)) === "" && (tGone = performance.now() - t0), 10000,
      "the host to drop the default route", 10);
    const exited = node.stop().then(() => performance.now() - t0);
    const [, tExit] = await Promise.all([watch, exited]);
    await stopCapture(cap);
    const finals = checkFinals(pcap, prefix, H, VH);
    assert.equal(finals, 2, "FINAL_RTR_ADVERTISEMENTS final RAs");
    assert.ok(tGone < 1000, `the route went ${tGone.toFixed(0)} ms after SIGTERM`);
    assert.ok(tExit < 8000, `persia run exited ${tExit.toFixed(0)} ms after SIGTERM`);
    assert.match(node.stderr(), /is stopping: its last router advertisements go out/);
    console.log(`# persia run: default route gone ${tGone.toFixed(0)} ms after SIGTERM, exit after ${tExit.toFixed(0)} ms, ${finals} final RAs`);
  } finally {
    await node?.stop();
    cleanup();
  }
});

test("a wasmtime image: when --for has passed, its final RAs make a Linux host drop its default route", { skip: skip || wt.skip, timeout: 90000 }, async () => {
  const tag = 0x100 + ((process.pid + 7) % 0xe00);
  const prefix = `fd00:d:${tag.toString(16)}::`;
  const vx = vxlanNamespace(tag, 45, `fd00:e:${tag.toString(16)}::2/64`);
  sh(`ip netns exec ${vx.ns} sysctl -qw net.ipv6.conf.${vx.dev}.accept_ra=2`);   // whatever forwarding says
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-stop-image-"));
  const pcap = path.join(dir, "host.pcapng");
  const FOR_MS = 12000;
  let run: RunningImage | null = null;
  try {
    const yaml = routerYaml(`istop${tag}.sabz.city`, `{ kind: vxlan, mac: "02:00:5a:b2:0e:01", ` +
      `vxlan: { local: "[${vx.hostAddr}]:4789", remote: "[${vx.peerAddr}]:4789", vni: 45 } }`, prefix);
    const { flags } = await imageOf(yaml, path.join(dir, "node.wasm"));
    const cap = await capture(vx.ns, vx.dev, pcap);
    run = new RunningImage(wt.file, flags, path.join(dir, "node.wasm"), ["--for", String(FOR_MS)]);
    await run.until(() => run!.stderr.includes("is running"), 30000, "the image to boot");
    const t0 = performance.now();   // --for counts from about here; the first RA goes out at once
    await waitFor(() => defaultRoute(vx.ns, vx.dev), 10000, "the Linux host to learn the image as its default router", 100);
    assert.ok(performance.now() - t0 < FOR_MS - 1000, "the route was learned well before --for ends");
    const gone = await waitFor(async () => (await defaultRoute(vx.ns, vx.dev)) === "" && performance.now() - t0, FOR_MS + 10000,
      "the host to drop the default route", 10);
    await run.until(() => run!.exit !== null, 10000, "wasmtime to exit");
    const exitAt = performance.now() - t0;
    assert.equal(run.exit, 0, run.stderr);
    await stopCapture(cap);
    await waitFor(async () => /inet6 fd00:d/.test((await shAsync(`ip netns exec ${vx.ns} ip -6 -o addr show dev ${vx.dev} scope global`)).out),
      1000, "the host's address in the prefix", 100);
    const finals = checkFinals(pcap, prefix, vx.ns, vx.dev);
    assert.equal(finals, 2, "FINAL_RTR_ADVERTISEMENTS final RAs");
    assert.ok(gone - FOR_MS < 1000, `the route went ${(gone - FOR_MS).toFixed(0)} ms after --for`);
    console.log(`# image: default route gone ${(gone - FOR_MS).toFixed(0)} ms after --for ended, ` +
      `exit ${(exitAt - FOR_MS).toFixed(0)} ms after, ${finals} final RAs`);
  } finally {
    await run?.stop();
    vx.close();
  }
});

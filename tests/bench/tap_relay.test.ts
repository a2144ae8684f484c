// The router benchmark's yardstick, tests/bench/tap_relay.c (built by `npm run build` to
// build/bench/tap_relay with the machine's `cc`, which the metal build needs as well): it is
// only a yardstick if it really forwards, both ways, and says when it cannot. Checks: its
// usage and MAC errors (exit 2, a line saying what is wrong); a ping between two namespaces
// through it, which Linux answers only if each frame reaches it addressed to its own MAC (so
// the destination MAC is rewritten both ways; the source MAC is not checked); the counts it
// prints when stopped (exit 0); a TAP deleted under it ends it with exit 1 and a line naming
// the TAP. Every wait on the relay is bounded, and a relay still running when a test ends is
// killed. Needs Linux and the built relay (and for all but the first test root,
// /dev/net/tun, iproute2 and ping); skips without them, but fails under CI=true.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { spawnSync } from "child_process";
import { TAP_RELAY } from "../../cli/build";
import { sh, shAsync, missing, skipOrFail } from "../e2e/linux";
import { Relay, relayMissing, relaySide } from "./tap_relay";
import { within } from "../wait";

function why(): string | null {
  const r = relayMissing();
  if (r) return r;
  if (process.getuid?.() !== 0) return "needs root (creating a TAP device takes CAP_NET_ADMIN)";
  if (!fs.existsSync("/dev/net/tun")) return "/dev/net/tun is missing (modprobe tun)";
  return missing(["ip", "ping"]);
}
const skipRelay = skipOrFail(relayMissing());
const skip = skipOrFail(why());
const LIMIT = 30_000;   // each test, whatever the relay does

const ID = process.pid % 1000;
const TA = `rl${ID}a`, TB = `rl${ID}b`, NA = `rl${process.pid}a`, NB = `rl${process.pid}b`;
const RELAY_A = "02:00:00:00:3a:01", RELAY_B = "02:00:00:00:3b:01";
const PEER_A = "02:00:00:00:3a:02", PEER_B = "02:00:00:00:3b:02";
const GW = "fe80::1";   // each side's gateway: the relay's MAC, a permanent neighbour (it answers no ND)
const start = () => Relay.start(TA, TB, [RELAY_A, RELAY_B, PEER_A, PEER_B]);

function cleanup(): void {
  for (const ns of [NA, NB]) sh(`ip netns del ${ns}`, { allowFail: true });
  for (const d of [TA, TB]) sh(`ip link del ${d}`, { allowFail: true });
}

test("tap_relay refuses a wrong command line with a line saying why", { skip: skipRelay, timeout: LIMIT }, () => {
  const usage = spawnSync(TAP_RELAY, [TA], { encoding: "utf8", timeout: 5000 });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^usage: tap_relay <tap a> <tap b>/);
  for (const bad of ["02:00:00:00:3a", "02:00:00:00:3a:01:05", "zz:00:00:00:3a:01", "02:00:00:00:3a:100"]) {
    const r = spawnSync(TAP_RELAY, [TA, TB, bad, RELAY_B, PEER_A, PEER_B], { encoding: "utf8", timeout: 5000 });
    assert.equal(r.status, 2, `${bad}: exit ${r.status}, ${r.stderr}`);
    assert.equal(r.stderr.trim(), `tap_relay: "${bad}" is not a MAC address (six hex bytes with colons)`);
  }
});

test("tap_relay forwards both ways, each frame to its side's own MAC, and counts what it relayed", { skip, timeout: LIMIT }, async () => {
  cleanup();
  let relay: Relay | null = null;
  try {
    relay = await start();
    relaySide(NA, TA, "fd00:3a::2", PEER_A, GW, RELAY_A);
    relaySide(NB, TB, "fd00:3b::2", PEER_B, GW, RELAY_B);
    // Linux drops a unicast frame to another host's MAC, so an answer proves the rewrite of
    // the destination MAC both ways.
    const ping = await shAsync(`ip netns exec ${NA} ping -6 -c 3 -i 0.2 -W 2 fd00:3b::2`);
    assert.equal(ping.code, 0, ping.out);
    assert.match(ping.out, /3 received/);
    const { code, err } = await relay.stop();
    assert.equal(code, 0, err);
    const m = /relayed (\d+) frames a to b, (\d+) b to a; (\d+) writes failed, (\d+) frames too long/.exec(err);
    assert.ok(m, err);
    assert.ok(Number(m[1]) >= 3 && Number(m[2]) >= 3, err);   // the requests, the replies (and ND, MLD)
    assert.equal(Number(m[4]), 0);
  } finally {
    relay?.kill();
    cleanup();
  }
});

test("tap_relay ends with exit 1, naming the TAP, when one is deleted under it", { skip, timeout: LIMIT }, async () => {
  cleanup();
  let relay: Relay | null = null;
  try {
    relay = await start();
    sh(`ip link del ${TB}`);
    const d = await within(relay.done, 5000);   // on its own: a SIGTERM would end it with exit 0
    assert.notEqual(d, "timeout", "the relay went on after its TAP was deleted");
    if (d === "timeout") return;
    assert.equal(d.code, 1, d.err);
    assert.match(d.err, new RegExp(`tap_relay: the TAP failed: ${TB}`));
  } finally {
    relay?.kill();
    cleanup();
  }
});

// A node for the integration tests: booted by hosts/node/launch.ts from YAML written in
// the test (real kernel.wasm, real service modules), with a traffic peer
// (cli/peer) on the far end of each virtual NIC, and by default a clock the test
// moves (autoPoll false). Time passes in ticks: let the links deliver, advance the clock,
// poll the kernel, let the links deliver again. Every wait is a bounded loop of ticks, so
// a test takes the same steps on every machine and a missing answer fails, never hangs.
// With realTime the node runs on its own event loop and clock: a wait for an answer ends
// when it comes or after REAL_DEADLINE_MS, and a window in which nothing more may happen is
// measured on the kernel's clock and closed by a ping the kernel answers after it (settle).
// Also checks an ICMPv6 error field by field. Does not build packets (frames.ts and the
// peer's packets.ts do). Used by tests/integration/*.test.ts.
import * as assert from "node:assert/strict";
import { parseManifest, HostPlan } from "../../loader/manifest";
import { linkLocalFromMac, parseAddr, parseMac } from "../../loader/ip6";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { PersiaNode } from "../../hosts/node/node";
import { Peer } from "../../cli/peer/peer";
import * as P from "../../cli/peer/packets";
import { waitFor } from "../wait";

export type Drops = Record<string, number>;

/** A peer on the NIC named `nic`, with its MAC and address. */
export interface PeerSpec { nic: string; mac: string; addr: string }

const turn = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Event-loop turns for frames to cross a link (each direction drains on setImmediate). */
const TURNS = 3;
/** The ICMP echo identifier of every ping the bench sends. */
export const PING_ID = 0x7e57;
/** On real time, the longest a wait for the node may take: a bound on a hang, not a window
 *  (a wait ends as soon as what it waits for happens), so generous for a loaded machine. */
const REAL_DEADLINE_MS = 5000;

export class Bench {
  now = 1000n;
  readonly logs: string[] = [];
  readonly errors: Error[] = [];
  readonly peers = new Map<string, Peer>();
  node!: PersiaNode;
  plan!: HostPlan;
  private seq = 0;

  private constructor(readonly realTime: boolean) {}

  static async boot(yaml: string, peers: PeerSpec[], realTime = false): Promise<Bench> {
    const b = new Bench(realTime);
    const log = (_level: unknown, line: string) => { b.logs.push(line); };
    const launched = await launch(parseManifest(yaml, "integration.yaml", ROOT),
      realTime ? { log } : { clock: () => b.now, autoPoll: false, log });
    b.node = launched.node;
    b.plan = launched.plan;
    b.node.on("error", (e: Error) => b.errors.push(e));
    try {
      for (const s of peers) {
        const nic = b.plan.nics.find((n) => n.name === s.nic);
        if (!nic) throw new Error(`no NIC ${s.nic} in the manifest`);
        b.peers.set(s.nic, new Peer(launched.peers.get(nic.id)!, parseMac(s.mac), parseAddr(s.addr)));
      }
      await b.tick();
    } catch (e) {
      b.close();
      throw e;
    }
    return b;
  }

  peer(nic: string): Peer { return this.peers.get(nic)!; }
  nodeMac(nic: string): Uint8Array { return parseMac(this.plan.nics.find((n) => n.name === nic)!.mac); }

  /** Let frames cross the links, advance the clock by ms, poll, let frames cross again.
   *  On real time: let frames cross and wait ms. */
  async tick(ms = 1): Promise<void> {
    for (let i = 0; i < TURNS; i++) await turn();
    if (this.realTime) { await sleep(ms); return; }
    this.now += BigInt(ms);
    this.node.poll();
    for (let i = 0; i < TURNS; i++) await turn();
  }

  /** Let frames reach the kernel without a poll (nothing is transmitted, no service runs). */
  async deliver(): Promise<void> {
    for (let i = 0; i < TURNS; i++) await turn();
  }

  /** Tick until cond() holds or ms of clock time have passed; returns cond(). On real
   *  time: until cond() holds or REAL_DEADLINE_MS have passed. */
  async until(cond: () => boolean, ms: number, step = 1): Promise<boolean> {
    if (this.realTime) {
      return waitFor(cond, REAL_DEADLINE_MS, "", step).then(() => true, () => false);
    }
    for (let t = 0; !cond(); t += step) {
      if (t >= ms) return false;
      await this.tick(step);
    }
    return true;
  }

  drops(): Drops { return { ...this.node.status().drops }; }

  /** Wait until the counters have grown by `expected`, then check that exactly those grew
   *  by exactly that much (every other counter unchanged). */
  async dropped(before: Drops, expected: Drops, ms = 50): Promise<void> {
    const grown = (): Drops => {
      const now = this.node.status().drops;
      const d: Drops = {};
      for (const k of Object.keys(now)) if (now[k] !== before[k]) d[k] = now[k] - before[k];
      return d;
    };
    await this.until(() => Object.entries(expected).every(([k, n]) => (grown()[k] ?? 0) >= n), ms);
    if (this.realTime) {
      for (const p of this.peers.values()) await this.settle(p, 5);
    } else {
      await this.tick(5);
    }
    assert.deepEqual(this.errors.map((e) => e.message), [], "the node never failed");
    assert.deepEqual(grown(), expected, "drop counters that changed, by how much");
  }

  /** The first frame at the peer matching, waiting up to ms; it is removed from received. */
  async frame(peer: Peer, match: (p: P.Parsed) => boolean, ms = 50): Promise<P.Parsed | null> {
    await this.until(() => peer.received.some(match), ms);
    const i = peer.received.findIndex(match);
    return i < 0 ? null : peer.received.splice(i, 1)[0];
  }

  /** Tick for ms, then return (and forget) everything the peer received. On real time: the
   *  same window on the kernel's clock (settle). */
  async quiet(peer: Peer, ms = 20): Promise<P.Parsed[]> {
    if (this.realTime) await this.settle(peer, ms);
    else await this.until(() => false, ms);
    return peer.received.splice(0);
  }

  /** On real time: let ms pass on the kernel's clock, and see it answer a ping from peer to
   *  its link-local address sent after that. The kernel sends its own packets first and in
   *  order, and each poll drains what the previous ones queued (kernel/net/egress.ts), so
   *  by the reply it has sent what it had to, on this peer's link, and counted its drops.
   *  The ping's reply is taken from received; the kernel's clock moves on each frame. */
  private async settle(peer: Peer, ms: number): Promise<void> {
    const nic = [...this.peers].find(([, p]) => p === peer)![0];
    const self = linkLocalFromMac(this.nodeMac(nic));
    const clock = () => this.node.status().node!.nowMs;
    const end = clock() + ms;
    await waitFor(async () => (await this.ping(nic, self)) && clock() >= end, REAL_DEADLINE_MS,
      () => `${ms} ms on the kernel's clock and its answer to a ping (it is at ${clock() - end + ms} ms)`, 1);
  }

  /** Ping dst from the peer on nic; true when a correct reply comes back from dst. */
  async ping(nic: string, dst: Uint8Array, ms = 50): Promise<boolean> {
    const peer = this.peer(nic);
    const seq = ++this.seq;
    const data = Uint8Array.from([0x70, 0x69, 0x6e, 0x67, seq & 0xff]);
    peer.sendIp(this.nodeMac(nic), P.echoRequest(peer.addr, dst, PING_ID, seq, data));
    const r = await this.frame(peer, (p) => p.icmpType === P.ICMP.ECHO_REP && p.icmpWord === ((PING_ID << 16) | seq), ms);
    return !!r && r.checksumOk === true && P.equalBytes(r.src, dst) && P.equalBytes(r.dst, peer.addr) &&
      P.equalBytes(r.data, data);
  }

  /** The peer solicits target (multicast NS with its link-layer address), so the node
   *  learns the peer's MAC; true when the node advertises target with its NIC's MAC. */
  async introduce(nic: string, target: Uint8Array): Promise<boolean> {
    const peer = this.peer(nic);
    peer.send(P.ether(P.multicastMac(P.solicitedNode(target)), peer.mac, P.ETH_IPV6,
      P.neighborSolicit(peer.addr, target, peer.mac)));
    const na = await this.frame(peer, (p) => p.icmpType === P.ICMP.NA && P.equalBytes(p.data?.subarray(0, 16), target));
    return !!na && P.equalBytes(na.data?.subarray(18, 24), this.nodeMac(nic));
  }

  /** A service's state and counters from status, by domain. */
  service(domain: string) {
    const s = this.node.status().services.find((x) => x.name === domain);
    assert.ok(s, `service ${domain} in status`);
    return s;
  }

  close(): void {
    for (const p of this.peers.values()) p.close();
    this.node?.stop();
  }
}

/** Boot a bench (on the test's clock unless realTime), run body, check the node never
 *  failed; always close it. */
export async function withBench(yaml: string, peers: PeerSpec[], body: (b: Bench) => Promise<void>,
  realTime = false): Promise<void> {
  const b = await Bench.boot(yaml, peers, realTime);
  try {
    await body(b);
    assert.deepEqual(b.errors.map((e) => e.message), [], "the node never failed");
  } finally {
    b.close();
  }
}

/** What an ICMPv6 error must be: type, code, the 32-bit word (MTU or pointer), the node's
 *  address it comes from, and the invoking packet it must quote. */
export interface ErrorSpec { type: number; code: number; word: number; from: Uint8Array; about: Uint8Array }

/** The RFC 4443 quote: as much of the invoking packet as fits in 1280 bytes. */
const QUOTE_MAX = 1280 - 40 - 8;

/** Wait for the ICMPv6 error at the peer on nic and check every field of it. */
export async function icmpError(b: Bench, nic: string, e: ErrorSpec, ms = 50): Promise<void> {
  const peer = b.peer(nic);
  const r = await b.frame(peer, (p) => p.icmpType !== undefined && p.icmpType < 128, ms);
  assert.ok(r, `an ICMPv6 error type ${e.type} code ${e.code} came back`);
  const quote = e.about.subarray(0, Math.min(e.about.length, QUOTE_MAX));
  assert.deepEqual([r.icmpType, r.icmpCode, r.icmpWord], [e.type, e.code, e.word], "type, code, MTU or pointer");
  assert.equal(r.checksumOk, true, "ICMPv6 checksum");
  assert.ok(P.equalBytes(r.srcMac, b.nodeMac(nic)) && P.equalBytes(r.dstMac, peer.mac), "Ethernet addresses");
  assert.ok(P.equalBytes(r.src, e.from), "from the node's address on that link");
  assert.ok(P.equalBytes(r.dst, e.about.subarray(8, 24)), "to the invoking packet's source");
  assert.equal(r.ip!.length, 48 + quote.length, "packet length: header, ICMPv6 header, quote");
  assert.deepEqual(Array.from(r.data!), Array.from(quote), "the quote is the invoking packet");
}

/** A YAML line for a service. */
export function svc(domain: string, module: string, addr: string, extra = ""): string {
  return `  - { domain: ${domain}, module: ${module}, addresses: ["${addr}"], ram: { min: 64KiB, max: 256KiB }${extra} }`;
}

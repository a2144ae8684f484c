// A traffic peer: a pretend host on the far end of a NIC (usually a virtual link) that
// sends frames to the node and waits for the frames it expects back. It answers the
// node's neighbor solicitations for its address and its link-local address (EUI-64 of
// its MAC), as a Linux host would. Used by the
// demo (cli/demo) and the integration tests; it never touches the kernel directly.
import { NicBackend, sendFrame } from "../../hosts/node/nic/nic";
import * as P from "./packets";
import { linkLocalFromMac } from "../../loader/ip6";
import { MAC_LEN } from "../../wire/layout/ethernet";
import { NDOPT_TYPE, NDOPT_TLLA, LLA_MAC, LLA_LEN } from "../../wire/layout/nd";

interface Waiter { match: (p: P.Parsed) => boolean; resolve: (p: P.Parsed | null) => void; timer: NodeJS.Timeout }

export class Peer {
  readonly received: P.Parsed[] = [];
  private waiters: Waiter[] = [];
  readonly linkLocal: Uint8Array;

  constructor(readonly link: NicBackend, readonly mac: Uint8Array, readonly addr: Uint8Array) {
    this.linkLocal = linkLocalFromMac(mac);
    link.onFrame = (frame) => this.onFrame(Uint8Array.from(frame));
  }

  send(frame: Uint8Array): void {
    const r = sendFrame(this.link, frame);
    if (r < 0) throw new Error(`peer: the link refused a frame (${r})`);
  }

  /** Send an IPv6 packet in an Ethernet frame to the node's MAC. */
  sendIp(nodeMac: Uint8Array, packet: Uint8Array): void {
    this.send(P.ether(nodeMac, this.mac, P.ETH_IPV6, packet));
  }

  /** The first frame (already received or still to come) that matches, or null after ms. */
  expect(match: (p: P.Parsed) => boolean, ms = 1000): Promise<P.Parsed | null> {
    const i = this.received.findIndex(match);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]);
    return new Promise((resolve) => {
      const w: Waiter = { match, resolve, timer: setTimeout(() => this.settle(w, null), ms) };
      this.waiters.push(w);
    });
  }

  /** Resolve the node's MAC for an address with a neighbor solicitation. */
  async resolve(target: Uint8Array, ms = 1000): Promise<Uint8Array | null> {
    this.send(P.ether(P.multicastMac(P.solicitedNode(target)), this.mac, P.ETH_IPV6,
      P.neighborSolicit(this.addr, target, this.mac)));
    const na = await this.expect((p) => p.icmpType === P.ICMP.NA && P.equalBytes(P.ndTarget(p.data), target), ms);
    if (!na || !na.data) return null;
    const opt = na.data.subarray(P.ND_REST_OPTIONS);
    return opt.length >= LLA_LEN && opt[NDOPT_TYPE] === NDOPT_TLLA ? Uint8Array.from(opt.subarray(LLA_MAC, LLA_MAC + MAC_LEN)) : null;
  }

  private settle(w: Waiter, p: P.Parsed | null): void {
    clearTimeout(w.timer);
    this.waiters = this.waiters.filter((x) => x !== w);
    w.resolve(p);
  }

  private onFrame(frame: Uint8Array): void {
    const p = P.parse(frame);
    if (p.icmpType === P.ICMP.NS && p.data) {
      const target = P.ndTarget(p.data)!;
      if (P.equalBytes(target, this.addr) || P.equalBytes(target, this.linkLocal)) {
        this.answerSolicit(p, Uint8Array.from(target));
        return;
      }
    }
    const w = this.waiters.find((x) => x.match(p));
    if (w) this.settle(w, p);
    else this.received.push(p);
  }

  private answerSolicit(ns: P.Parsed, target: Uint8Array): void {
    this.send(P.ether(ns.srcMac, this.mac, P.ETH_IPV6, P.neighborAdvert(target, ns.src!, this.mac)));
  }

  close(): void {
    for (const w of [...this.waiters]) this.settle(w, null);
    this.link.close();
  }
}

// A node with a WireGuard NIC and the independent test peer of tests/wg/peer.ts on the far
// end, for the in-process tests of the kernel's WireGuard (kernel/wg/): the node is the
// Node host (hosts/node/launch.ts) with real kernel.wasm and echo, on the test's clock
// (tests/integration/bench.ts), and its WireGuard NIC is the host's real UDP socket on
// ::1; the peer's datagrams come from a socket of the test's own. Every byte either way is
// kept, so a test checks what the kernel sent, and what it did not.
import * as dgram from "dgram";
import * as fs from "fs";
import { once } from "events";
import * as crypto from "crypto";
import * as L from "../../wire/layout/wireguard";
import { Bench, PeerSpec } from "./bench";
import { freePorts } from "../ports";
import { Peer } from "../wg/peer";
import { messageType } from "../wg/messages";
import { publicKey, clamp } from "../wg/noise";
import { parseAddr } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";

export const b64 = (k: Uint8Array) => Buffer.from(k).toString("base64");

/** A key pair from fixed bytes: the same keys on every run. */
export function keyPair(seed: number): { priv: Uint8Array; pub: Uint8Array } {
  const priv = clamp(crypto.createHash("sha256").update(`wg test key ${seed}`).digest());
  return { priv, pub: publicKey(priv) };
}

export const NODE = keyPair(1);
export const PEER = keyPair(2);
export const STRANGER = keyPair(3);
export const TUNNEL_PEER = "fd00:c::2";        // the peer's allowed address
export const ECHO = "fd00:c::10";              // echo's address, on the WireGuard NIC's prefix

export interface WgOptions {
  /** Extra YAML for the node's peer entry (keepalive, endpoint, …). */
  peerExtra?: (port: number) => string;
  /** More peers: YAML list entries. */
  morePeers?: string;
  /** More NICs (YAML list entries) and peers on them for the Bench. */
  moreNics?: string;
  benchPeers?: PeerSpec[];
  role?: string;
  /** The address the node's WireGuard socket binds (default ::1; "::" takes IPv4 too). */
  listen?: string;
  /** A preshared key for the peer (written to a 0600 file the peer entry names). */
  psk?: Uint8Array;
}

export class WgLink {
  private constructor(readonly b: Bench, readonly sock: dgram.Socket, readonly nodePort: number,
    readonly port: number, readonly dir: string,
    readonly got: Uint8Array[]) {}           // datagrams the node sent the peer's socket

  static async boot(o: WgOptions = {}): Promise<WgLink> {
    const [nodePort, port] = await freePorts(2);
    const dir = fs.mkdtempSync("/tmp/persia-wg-");
    fs.writeFileSync(`${dir}/node.key`, b64(NODE.priv) + "\n", { mode: 0o600 });
    if (o.psk) fs.writeFileSync(`${dir}/peer.psk`, b64(o.psk) + "\n", { mode: 0o600 });
    const psk = o.psk ? `, psk: ${dir}/peer.psk` : "";
    const yaml = `
node: { name: wg.sabz.city, role: ${o.role ?? "router"}, key: ${dir}/node.key }
nics:
  - name: wg0
    kind: wireguard
    wireguard: { listen: "[${o.listen ?? "::1"}]:${nodePort}" }
    prefixes: ["fd00:c::/64"]
    peers:
      - { key: "${b64(PEER.pub)}", addresses: ["${TUNNEL_PEER}/128"]${psk}${o.peerExtra ? ", " + o.peerExtra(port) : ""} }
${o.morePeers ?? ""}
${o.moreNics ?? ""}
services:
  - domain: echo.sabz.city
    module: build/wasm/services/echo.wasm
    addresses: ["${ECHO}"]
    ram: { min: 64KiB, max: 1MiB }
`;
    const sock = dgram.createSocket("udp6");
    sock.bind(port, "::1");
    await once(sock, "listening");
    const got: Uint8Array[] = [];
    sock.on("message", (m) => got.push(new Uint8Array(m)));   // from boot on: a node may start at once
    const b = await Bench.boot(yaml, o.benchPeers ?? []);
    return new WgLink(b, sock, nodePort, port, dir, got);
  }

  close(): void {
    this.b.close();
    this.sock.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** A test peer with the peer's keys (or another's), on a clock of its own. */
  peer(keys = PEER, psk?: Uint8Array): Peer {
    // One clock for every peer of the link, 50 ms a reading (past TAI64N's 16 ms whitening):
    // a peer made later, like a real one restarted, has newer timestamps.
    return new Peer({ private: keys.priv, peerPublic: NODE.pub, psk, now: () => (this.clock += 50_000_000n),
      random: (n) => new Uint8Array(crypto.randomBytes(n)) });
  }

  /** Send one datagram to the node and let it arrive (the kernel handles it on receipt). */
  async send(m: Uint8Array): Promise<void> {
    await this.put(m);
    await this.b.tick(1);
  }

  /** Send one datagram to the node, the clock not moving. */
  put(m: Uint8Array): Promise<void> {
    return new Promise<void>((r, e) => this.sock.send(m, this.nodePort, "::1", (err) => (err ? e(err) : r())));
  }

  /** Tick until a datagram of this type came (removed from got and returned), or ms pass. */
  async next(type: number, ms = 50): Promise<Uint8Array | null> {
    let found: Uint8Array | null = null;
    await this.b.until(() => {
      const i = this.got.findIndex((m) => messageType(m) === type);
      if (i >= 0) found = this.got.splice(i, 1)[0];
      return found !== null;
    }, ms);
    return found;
  }

  /** The peer starts a handshake and completes it; the kernel's answer checked. */
  async handshake(peer: Peer): Promise<void> {
    await this.send(peer.initiation());
    const r = await this.next(L.WG_RESPONSE);
    if (r === null) throw new Error(`no handshake response; drops ${JSON.stringify(this.b.drops())}`);
    if (!peer.consumeResponse(r)) throw new Error(`the node's response does not verify: ${peer.lastDrop?.why}`);
  }

  /** An echo request through the tunnel from `src`; the echo reply's payload, or null. */
  async ping(peer: Peer, seq: number, src = TUNNEL_PEER, dst = ECHO): Promise<Uint8Array | null> {
    const data = new TextEncoder().encode(`wg ping ${seq}`);
    await this.send(peer.seal(P.echoRequest(parseAddr(src), parseAddr(dst), 0x77, seq, data)));
    for (let t = 0; t < 50; t++) {
      const m = await this.next(L.WG_TRANSPORT, 5);
      if (m === null) continue;
      const inner = peer.open(m);
      if (inner === null) throw new Error(`the node's transport message does not open: ${peer.lastDrop?.why}`);
      if (inner.length === 0) continue;                 // a keepalive
      const p = P.parse(P.ether(new Uint8Array(6), new Uint8Array(6), 0x86dd, inner));
      if (p.icmpType === 129) return inner;
    }
    return null;
  }

  private clock = BigInt(Date.now()) * 1_000_000n;

  nodePub(): Uint8Array { return NODE.pub; }

  wgPeer(i = 0) { return this.b.node.status().wgPeers[i]; }
}

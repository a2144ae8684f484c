// A WIREGUARD NIC's host side (issue #13, spec/hosts.md "wireguard"): one udp6 socket,
// dual-stack so that IPv4 peers arrive as ::ffff:a.b.c.d, bound to the manifest's `listen`.
// Each received datagram becomes one frame, the endpoint header of wire/layout/wireguard.ts
// (the source address, its port big-endian, two zero bytes) and the payload; each frame
// from the kernel is parsed back and its payload sent to the address and port in its header.
// The kernel does the protocol; this file never looks into a payload. A datagram that
// would not fit the kernel's receive buffer (Buf.RX) is counted (drop_too_long) and never
// handed on; a frame from the kernel with a bad header is counted (tx_bad_header) and
// refused with -EINVAL. Receiving fills one preallocated frame; the address text Node
// gives is parsed once per peer (a small cache). Used by node.ts through launch.ts.
import * as dgram from "dgram";
import * as net from "net";
import { Errno } from "../../../abi/errno";
import { FRAME_MAX } from "../../../abi/limits";
import { WG_EP_ADDR, WG_EP_HDR, WG_EP_PORT } from "../../../wire/layout/wireguard";
import { formatAddr, parseAddr } from "../../../loader/ip6";
import { frameAt, NicBackend } from "./nic";
import { bindUdp } from "./udp";

export interface WgEndpoint { address: string; port: number; }
export interface WireguardOptions {
  id: number;                 // the NIC id of the boot manifest
  listen: WgEndpoint;         // where the socket binds ("::": every address; port 0: any free one)
}

/** The longest datagram a frame of Buf.RX holds after its endpoint header. */
export const WG_DATAGRAM_MAX = FRAME_MAX - WG_EP_HDR;
const ADDR_BYTES = WG_EP_PORT - WG_EP_ADDR;
const CACHE_MAX = 64;          // peers' addresses kept parsed, each way

/** "::ffff:192.0.2.7", "fd00::2", "fe80::1%eth0" → 16 bytes (a zone is dropped), or null. */
export function addressBytes(text: string): Uint8Array | null {
  const bare = text.replace(/%.*$/, "");
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(bare);
  if (v4) return Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4.slice(1).map(Number));
  if (!net.isIPv6(bare)) return null;
  try { return parseAddr(bare); } catch { return null; }
}

/** 16 bytes → the text dgram sends to: an IPv4-mapped address as ::ffff:a.b.c.d. */
export function addressText(a: Uint8Array): string {
  const mapped = a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;
  return mapped ? `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}` : formatAddr(a);
}

/** A bounded map, cleared when full: a node has at most WG_PEER_MAX peers, so it rarely is. */
function cached<K, V>(m: Map<K, V>, k: K, make: (k: K) => V): V {
  let v = m.get(k);
  if (v === undefined) {
    if (m.size >= CACHE_MAX) m.clear();
    m.set(k, (v = make(k)));
  }
  return v;
}

export class WireguardNic implements NicBackend {
  readonly backend = "wireguard";
  readonly id: number;
  onFrame: ((frame: Uint8Array) => void) | null = null;
  onError: ((message: string) => void) | null = null;
  private closed = false;
  private lastErrorCode = "";
  private readonly frame = new Uint8Array(FRAME_MAX);
  private readonly inbound = new Map<string, Uint8Array | null>();
  private readonly outbound = new Map<string, string>();
  private readonly stats = {
    rx_datagrams: 0, tx_datagrams: 0, drop_too_long: 0, drop_bad_source: 0, undelivered: 0,
    tx_bad_header: 0, send_errors: 0,
  };
  private readonly sent = (err: Error | null): void => {
    if (err !== null) this.error(err as NodeJS.ErrnoException, "send");
  };

  private constructor(private readonly options: WireguardOptions, private readonly socket: dgram.Socket) {
    this.id = options.id;
    socket.on("message", (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    socket.on("error", (err) => this.error(err, "socket"));
  }

  /** Binds `listen`. Rejects with what to change when it cannot. */
  static open(options: WireguardOptions): Promise<WireguardNic> {
    const { id, listen } = options;
    const where = `WireGuard NIC ${id}`;
    if (addressBytes(listen.address) === null || !Number.isInteger(listen.port) || listen.port < 0 || listen.port > 0xffff) {
      return Promise.reject(new Error(`${where}: [${listen.address}]:${listen.port} is not an address and port to listen on`));
    }
    return bindUdp(where, listen.address, listen.port, false, (e) => bindAdvice(e, listen))
      .then((socket) => new WireguardNic(options, socket));
  }

  /** The bound endpoint (useful when port 0 asked for any port). */
  get local(): WgEndpoint {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Sends the payload of the frame to the endpoint in its header. */
  sendAt(bytes: Uint8Array, off: number, len: number): number {
    if (this.closed) return -Errno.EIO;
    const frame = frameAt(bytes, off, len);
    const port = frame.length >= WG_EP_HDR ? (frame[WG_EP_PORT] << 8) | frame[WG_EP_PORT + 1] : 0;
    if (port === 0 || frame[WG_EP_PORT + 2] !== 0 || frame[WG_EP_PORT + 3] !== 0) {
      this.stats.tx_bad_header++;
      return -Errno.EINVAL;
    }
    const addr = frame.subarray(WG_EP_ADDR, WG_EP_ADDR + ADDR_BYTES);
    const key = String.fromCharCode(...addr);
    const address = cached(this.outbound, key, () => addressText(addr));
    // dgram resolves the address on the next tick, after the frame's loan ends: one copy.
    this.socket.send(Buffer.from(frame.subarray(WG_EP_HDR)), port, address, this.sent);
    this.stats.tx_datagrams++;
    return 0;
  }

  counters(): Record<string, number> {
    return { ...this.stats };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onFrame = null;
    this.socket.close();
  }

  private receive(datagram: Buffer, from: string, port: number): void {
    if (datagram.length > WG_DATAGRAM_MAX) {
      this.stats.drop_too_long++;
      return;
    }
    const addr = cached(this.inbound, from, addressBytes);
    if (addr === null) {
      this.stats.drop_bad_source++;
      return;
    }
    if (this.onFrame === null) {
      this.stats.undelivered++;
      return;
    }
    const f = this.frame;
    f.set(addr, WG_EP_ADDR);
    f[WG_EP_PORT] = port >>> 8;
    f[WG_EP_PORT + 1] = port & 0xff;
    f[WG_EP_PORT + 2] = 0;
    f[WG_EP_PORT + 3] = 0;
    f.set(datagram, WG_EP_HDR);
    this.stats.rx_datagrams++;
    this.onFrame(f.subarray(0, WG_EP_HDR + datagram.length));
  }

  private error(e: NodeJS.ErrnoException, during: string): void {
    if (during === "send") this.stats.send_errors++;
    const code = e.code ?? e.name;
    if (code === this.lastErrorCode) return;
    this.lastErrorCode = code;
    this.onError?.(`WireGuard NIC ${this.id}: ${during} error: ${e.message}`);
  }
}

function bindAdvice(e: NodeJS.ErrnoException, at: WgEndpoint): string {
  switch (e.code) {
    case "EADDRNOTAVAIL":
      return `no interface of this machine has the address ${at.address}; add it (e.g. \`ip -6 addr add ${at.address}/64 ` +
        "dev <underlay> nodad`) or listen on another address (wireguard.listen, default [::]:51820)";
    case "EADDRINUSE":
      return `port ${at.port} is in use (another WireGuard interface or node?); choose another port in wireguard.listen`;
    case "EACCES":
      return `binding port ${at.port} needs root or CAP_NET_BIND_SERVICE; run as root or use a port above 1023`;
    default:
      return e.message;
  }
}

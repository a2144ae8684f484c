// A NIC carried as Ethernet over UDP (VXLAN, RFC 7348) on an IPv6 underlay: one udp6
// socket bound to a local [address]:port that sends every frame to one remote
// [address]:port under one VNI. Received datagrams that are too short for a VXLAN header
// and an Ethernet header (8 + 14 bytes), lack the I flag or carry another VNI are dropped
// and counted by reason, and never reach onFrame (spec/wire.md). Frames travel whole,
// without FCS. Works with a Linux `ip link add ... type vxlan` peer.
// Does not learn remote endpoints, join multicast groups, or check the sender's address
// (Linux picks the UDP source port per flow, RFC 7348 section 5).
// Used by node.ts as a NicBackend; the CLI opens it from the node's configuration.
import * as dgram from "dgram";
import * as net from "net";
import { Errno } from "../../../abi/errno";
import { ETH_HDR } from "../../../abi/kernel";
import { VXLAN_FLAGS, VXLAN_FLAG_I, VXLAN_VNI, VXLAN_HDR, VXLAN_PORT } from "../../../wire/layout/vxlan";
import { frameAt, NicBackend } from "./nic";
import { bindUdp } from "./udp";

/*
 * RFC 7348, section 5: the VXLAN header, the first 8 bytes of the UDP payload.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The I flag must be 1 for a valid VNI. R bits and Reserved fields are sent as zero and
 * ignored on receipt.
 */
const VX_FLAGS = VXLAN_FLAGS;
const VX_FLAG_I = VXLAN_FLAG_I;
const VX_VNI = VXLAN_VNI;
export const VXLAN_HEADER = VXLAN_HDR;
const VNI_MAX = 0xffffff;

export type VxlanDrop = "short" | "no_i_flag" | "other_vni";

/** Builds one datagram: the VXLAN header for `vni`, then the frame, bytes[off, off + len). */
export function encapsulate(vni: number, bytes: Uint8Array, off = 0, len = bytes.length - off): Buffer {
  const datagram = Buffer.allocUnsafe(VXLAN_HEADER + len);
  datagram.fill(0, 0, VXLAN_HEADER);
  datagram[VX_FLAGS] = VX_FLAG_I;
  datagram[VX_VNI] = vni >>> 16;
  datagram[VX_VNI + 1] = vni >>> 8;
  datagram[VX_VNI + 2] = vni;
  datagram.set(frameAt(bytes, off, len), VXLAN_HEADER);
  return datagram;
}

/** The frame inside a datagram (a view, no copy), or why the datagram is dropped: a
 *  datagram that cannot hold an Ethernet header after its VXLAN header is "short" (RFC
 *  7348 section 5 carries whole Ethernet frames), so the kernel only sees frames. */
export function decapsulate(datagram: Uint8Array, vni: number): Uint8Array | VxlanDrop {
  if (datagram.length < VXLAN_HEADER + ETH_HDR) return "short";
  if ((datagram[VX_FLAGS] & VX_FLAG_I) === 0) return "no_i_flag";
  const got = datagram[VX_VNI] << 16 | datagram[VX_VNI + 1] << 8 | datagram[VX_VNI + 2];
  if (got !== vni) return "other_vni";
  return datagram.subarray(VXLAN_HEADER);
}

export interface Endpoint {
  address: string;
  port: number;
}

/** "[fd00:99::1]:4789" → { address: "fd00:99::1", port: 4789 }; a bare address gets
 *  VXLAN_PORT. Throws with the expected form if the text is not an IPv6 endpoint. */
export function parseEndpoint(text: string): Endpoint {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text.trim()) ?? /^([0-9a-fA-F:.%\w]+)$/.exec(text.trim());
  const address = m?.[1] ?? "";
  const port = m?.[2] === undefined ? VXLAN_PORT : Number(m[2]);
  if (!net.isIPv6(address) || port > 65535) {
    throw new Error(`"${text}" is not an IPv6 endpoint; write it as [address]:port, e.g. [fd00:99::1]:${VXLAN_PORT}`);
  }
  return { address, port };
}

export interface VxlanOptions {
  /** NIC id in the boot manifest. */
  id: number;
  /** VXLAN Network Identifier, 24 bits. */
  vni: number;
  local: Endpoint;
  remote: Endpoint;
}

function bindAdvice(e: NodeJS.ErrnoException, o: VxlanOptions): string {
  const at = `[${o.local.address}]:${o.local.port}`;
  switch (e.code) {
    case "EADDRNOTAVAIL":
      return `no interface of this machine has the address ${o.local.address}. Add it first ` +
        `(e.g. \`ip -6 addr add ${o.local.address}/64 dev <underlay> nodad\`; without nodad the address ` +
        `stays unusable until duplicate address detection ends) or configure a local address this machine has.`;
    case "EADDRINUSE":
      return `${at} is already in use. A Linux VXLAN device listens on its dstport on every address, so it ` +
        `cannot share a network namespace with this node on the same port: move the device into its own ` +
        `namespace, or choose another port.`;
    case "EACCES":
      return `binding port ${o.local.port} needs root or CAP_NET_BIND_SERVICE; run as root or use a port above 1023.`;
    default:
      return e.message;
  }
}

export class VxlanNic implements NicBackend {
  readonly backend = "vxlan";
  readonly id: number;
  onFrame: ((frame: Uint8Array) => void) | null = null;
  /** Told about asynchronous socket errors, once per change of error code. */
  onError: ((message: string) => void) | null = null;
  private closed = false;
  private lastErrorCode = "";
  private readonly stats = {
    rx_frames: 0, tx_frames: 0, send_errors: 0, undelivered: 0,
    drop_short: 0, drop_no_i_flag: 0, drop_other_vni: 0,
  };
  private readonly sent = (err: Error | null): void => {
    if (err !== null) this.error(err as NodeJS.ErrnoException, "send");
  };

  private constructor(private readonly options: VxlanOptions, private readonly socket: dgram.Socket) {
    this.id = options.id;
    socket.on("message", (msg) => this.receive(msg));
    socket.on("error", (err) => this.error(err, "socket"));
  }

  /** Binds the local endpoint. Rejects with a message saying what to change if the
   *  options are invalid or the socket cannot be bound. */
  static open(options: VxlanOptions): Promise<VxlanNic> {
    const { vni, local, remote, id } = options;
    const where = `VXLAN NIC ${id}`;
    if (!Number.isInteger(vni) || vni < 0 || vni > VNI_MAX) {
      return Promise.reject(new Error(`${where}: VNI ${vni} is not a 24-bit number (0..${VNI_MAX})`));
    }
    for (const [what, ep] of [["local", local], ["remote", remote]] as const) {
      if (!net.isIPv6(ep.address) || !Number.isInteger(ep.port) || ep.port < 0 || ep.port > 65535) {
        return Promise.reject(new Error(`${where}: ${what} endpoint [${ep.address}]:${ep.port} is not an IPv6 address and port`));
      }
    }
    return bindUdp(where, local.address, local.port, true, (e) => bindAdvice(e, options))
      .then((socket) => new VxlanNic(options, socket));
  }

  /** The bound local endpoint (useful when port 0 asked for any port). */
  get local(): Endpoint {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  sendAt(bytes: Uint8Array, off: number, len: number): number {
    if (this.closed) return -Errno.EIO;
    const { port, address } = this.options.remote;
    this.socket.send(encapsulate(this.options.vni, bytes, off, len), port, address, this.sent);
    this.stats.tx_frames++;
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

  private receive(datagram: Buffer): void {
    const frame = decapsulate(datagram, this.options.vni);
    if (typeof frame === "string") {
      this.stats[`drop_${frame}`]++;
      return;
    }
    if (this.onFrame === null) {
      this.stats.undelivered++;
      return;
    }
    this.stats.rx_frames++;
    this.onFrame(frame);
  }

  private error(e: NodeJS.ErrnoException, during: string): void {
    if (during === "send") this.stats.send_errors++;
    const code = e.code ?? e.name;
    if (code === this.lastErrorCode) return;
    this.lastErrorCode = code;
    const { address, port } = this.options.remote;
    this.onError?.(`VXLAN NIC ${this.id}: ${during} error towards [${address}]:${port}: ${e.message}`);
  }
}

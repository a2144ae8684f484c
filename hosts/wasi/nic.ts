// The node's NICs (VXLAN, or WireGuard: wireguard.ts) as wasi:sockets UDP sockets: the per-NIC state (an @unmanaged
// record per NIC in static memory) and opening — create an IPv6 UDP socket, bind the local
// endpoint, open its datagram streams, subscribe to both once. Bind failures are printed
// with the WASI error code and what to change (as hosts/node/nic/vxlan.ts advises).
// The streams are opened unconnected (remote none) and every datagram names the remote:
// a Linux VXLAN peer sends from a source port it picks per flow (RFC 7348 section 5), which
// a connected socket would filter out; like the Node host, the sender is not checked.
// Does not move datagrams (vxlan.ts) or wait (loop.ts). Used by main.ts, vxlan.ts, loop.ts.
import {
  wasi_instance_network, wasi_udp_create, wasi_udp_start_bind, wasi_udp_finish_bind, wasi_udp_stream,
  wasi_udp_in_subscribe, wasi_udp_out_subscribe, k_buf_size,
} from "../../abi/gen/shim";
import { Buf } from "../../abi/kernel";
import { IMG_NIC_ID, IMG_NIC_VNI, IMG_NIC_LOCAL, IMG_NIC_LPORT, IMG_NIC_REMOTE, IMG_NIC_RPORT, IMG_NIC_KIND } from "../../abi/image";
import { NicKind } from "../../abi/kernel";
import { NIC_MAX } from "../../abi/limits";
import { VXLAN_HDR } from "../../wire/layout/vxlan";
import {
  RES_TAG, TAG_OK, RES_AT4, RES_ERR_AT1, UDP_STREAM_IN, UDP_STREAM_OUT, IP_FAMILY_IPV6, ISA_IPV6, ISA_CASE,
  ISA_PAYLOAD, ISA_SIZE, V6SA_PORT, V6SA_ADDR, SOCK_ACCESS_DENIED, SOCK_ADDRESS_IN_USE, SOCK_ADDRESS_NOT_BINDABLE,
  SOCK_INVALID_ARGUMENT,
} from "./cabi";
import { RET } from "./arena";
import { nicCount, nicRecord } from "./config";
import { socketErrorName } from "./names";
import { note } from "./out";
import { rxBatchOpen } from "./rxbatch";

export const TXQ_DEPTH: i32 = 64;   // frames queued per NIC between flushes (nic_send beyond: -ENOSPC)
export const VXLAN_HEADER: i32 = VXLAN_HDR;   // wire/layout/vxlan.ts

@unmanaged export class Nic {
  id: u32;            // the NIC id of the boot manifest
  kind: u32;          // NicKind.VXLAN, or WIREGUARD (wireguard.ts: each datagram to its own endpoint)
  badHeader: u64;     // WIREGUARD: nic_send frames whose endpoint header was unusable
  vni: u32;
  rec: usize;         // the configuration's NIC record (addresses, ports)
  incoming: i32;      // own<incoming-datagram-stream>
  outgoing: i32;      // own<outgoing-datagram-stream>
  inPoll: i32;        // own<pollable>: a datagram can be received
  outPoll: i32;       // own<pollable>: check-send would permit again
  waiting: bool;      // check-send permitted nothing: poll outPoll
  queue: usize;       // TXQ_DEPTH slots of slotSize: u32 datagram length, VXLAN header, frame
  head: i32;
  count: i32;
  lastSendError: i32; // socket error code last reported, -1 for none
  lastRecvError: i32;
  rxFrames: u64;
  txFrames: u64;
  dropShort: u64;     // shorter than the VXLAN header plus an Ethernet header (8 + 14)
  dropNoIFlag: u64;   // I flag clear
  dropOtherVni: u64;
  dropLong: u64;      // inner frame larger than the kernel's RX buffer
  queueFull: u64;     // nic_send refused: TXQ_DEPTH frames waiting
  sendErrors: u64;    // datagrams dropped because check-send or send failed
  recvErrors: u64;
}
const NICS: usize = memory.data(NIC_MAX * offsetof<Nic>(), 8);
/** Each NIC's remote endpoint as an ip-socket-address, copied into every datagram sent. */
const REMOTES: usize = memory.data(NIC_MAX * ISA_SIZE, 8);

export let frameMax: i32 = 0;       // k_buf_size(Buf.RX): the largest frame either way
export let slotSize: usize = 0;

export function nic(index: i32): Nic { return changetype<Nic>(NICS + <usize>index * offsetof<Nic>()); }
export function remote(index: i32): usize { return REMOTES + <usize>index * ISA_SIZE; }

/** The index of the NIC with manifest id `id`, or -1. */
export function nicIndex(id: i32): i32 {
  for (let i = 0; i < nicCount; i++) if (<i32>nic(i).id == id) return i;
  return -1;
}

/** "[fd00:99::1]:4789" for 16 address bytes and a port (RFC 5952: the longest run of two
 *  or more zero groups becomes ::). Allocates: for messages only. */
export function endpointText(addr: usize, port: u32): string {
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && load<u16>(addr + 2 * j) == 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j > i ? j : i + 1;
  }
  let s = "[";
  for (let i = 0; i < 8; i++) {
    if (i == best) { s += "::"; i += bestLen - 1; continue; }
    if (i > 0 && i != best + bestLen) s += ":";
    s += (<u32>load<u8>(addr + 2 * i) << 8 | load<u8>(addr + 2 * i + 1)).toString(16);
  }
  return s + "]:" + port.toString();
}

/** "VXLAN" or "WireGuard", for messages. */
export function kindName(kind: u32): string { return kind == <u32>NicKind.WIREGUARD ? "WireGuard" : "VXLAN"; }

function bindAdvice(code: u8, rec: usize): string {
  let at = endpointText(rec + IMG_NIC_LOCAL, load<u32>(rec + IMG_NIC_LPORT));
  if (code == SOCK_ACCESS_DENIED) return "wasmtime did not grant network access: run it with `wasmtime run -S inherit-network ...` " +
    "(binding a port below 1024 also needs root or CAP_NET_BIND_SERVICE).";
  if (code == SOCK_ADDRESS_IN_USE) return at + " is already in use. A Linux VXLAN device listens on its dstport on every address, so it " +
    "cannot share a network namespace with this node on the same port: move the device into its own namespace, or choose another port.";
  if (code == SOCK_ADDRESS_NOT_BINDABLE) return "no interface of this machine has that address. Add it first (e.g. `ip -6 addr add <address>/64 " +
    "dev <underlay> nodad`; without nodad it stays unusable until duplicate address detection ends) or configure a local address this machine has.";
  if (code == SOCK_INVALID_ARGUMENT) return "wasmtime refuses it as a local address (IPv4-mapped or multicast addresses cannot be bound).";
  return "see wasmtime's documentation of wasi:sockets error-code " + socketErrorName(code) + ".";
}

function refused(rec: usize, step: string, code: u8): bool {
  note(kindName(load<u32>(rec + IMG_NIC_KIND)) + " NIC " + load<u32>(rec + IMG_NIC_ID).toString() + ": cannot " + step + " " +
    endpointText(rec + IMG_NIC_LOCAL, load<u32>(rec + IMG_NIC_LPORT)) + " (" + socketErrorName(code) + "): " + bindAdvice(code, rec));
  return false;
}

/** The 8 groups of a 16-byte address as numbers (fd00 → 0xfd00), for the flat parameters. */
function group(addr: usize, i: i32): i32 {
  return <i32>load<u8>(addr + 2 * i) << 8 | <i32>load<u8>(addr + 2 * i + 1);
}

/** Opens every NIC of the configuration; false after printing what to change. */
export function openNics(): bool {
  if (nicCount == 0) return true;
  frameMax = k_buf_size(Buf.RX);
  slotSize = (<usize>(4 + VXLAN_HEADER + frameMax) + 7) & ~7;
  rxBatchOpen();
  let network = wasi_instance_network();
  for (let i = 0; i < nicCount; i++) {
    if (!open(i, nicRecord(i), network)) return false;
  }
  return true;
}

function open(i: i32, rec: usize, network: i32): bool {
  let n = nic(i);
  n.id = load<u32>(rec + IMG_NIC_ID);
  n.vni = load<u32>(rec + IMG_NIC_VNI);
  n.kind = load<u32>(rec + IMG_NIC_KIND);
  n.rec = rec;
  n.lastSendError = -1;
  n.lastRecvError = -1;
  let r = remote(i);
  store<u8>(r + ISA_CASE, ISA_IPV6);
  store<u16>(r + ISA_PAYLOAD + V6SA_PORT, <u16>load<u32>(rec + IMG_NIC_RPORT));
  for (let g = 0; g < 8; g++) store<u16>(r + ISA_PAYLOAD + V6SA_ADDR + 2 * g, <u16>group(rec + IMG_NIC_REMOTE, g));
  wasi_udp_create(IP_FAMILY_IPV6, <i32>RET);
  if (load<u8>(RET + RES_TAG) != TAG_OK) return refused(rec, "create a UDP socket for", load<u8>(RET + RES_AT4));
  let socket = load<i32>(RET + RES_AT4);
  let a = rec + IMG_NIC_LOCAL;
  wasi_udp_start_bind(socket, network, ISA_IPV6, load<u32>(rec + IMG_NIC_LPORT), 0,
    group(a, 0), group(a, 1), group(a, 2), group(a, 3), group(a, 4), group(a, 5), group(a, 6), group(a, 7), 0, <i32>RET);
  if (load<u8>(RET + RES_TAG) != TAG_OK) return refused(rec, "bind", load<u8>(RET + RES_ERR_AT1));
  wasi_udp_finish_bind(socket, <i32>RET);
  if (load<u8>(RET + RES_TAG) != TAG_OK) return refused(rec, "bind", load<u8>(RET + RES_ERR_AT1));
  wasi_udp_stream(socket, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, <i32>RET);   // none: not connected (see above)
  if (load<u8>(RET + RES_TAG) != TAG_OK) return refused(rec, "open the datagram streams of", load<u8>(RET + RES_AT4));
  n.incoming = load<i32>(RET + UDP_STREAM_IN);
  n.outgoing = load<i32>(RET + UDP_STREAM_OUT);
  n.inPoll = wasi_udp_in_subscribe(n.incoming);
  n.outPoll = wasi_udp_out_subscribe(n.outgoing);
  n.queue = heap.alloc(<usize>TXQ_DEPTH * slotSize);
  return true;
}

// A WIREGUARD NIC's datagrams in the wasmtime image (issue #13, spec/image.md): the socket
// nic.ts opened, unconnected, bound to the NIC's `listen`. A received datagram becomes the
// kernel's frame: the endpoint header of wire/layout/wireguard.ts (the datagram's remote
// address, an IPv4 one as ::ffff:a.b.c.d, its port big-endian, two zero bytes), then the
// payload. A frame from nic_send waits whole in the NIC's queue (vxlan.ts) and goes out as
// its payload to the address and port of its header. The kernel does the protocol; this
// file never looks into a payload. A datagram too long for Buf.RX is counted (dropLong)
// and never given to the kernel; a frame with a bad header is counted (badHeader) and
// refused with -EINVAL. Allocates nothing per datagram. Used by vxlan.ts.
import { Errno } from "../../abi/errno";
import { WG_EP_ADDR, WG_EP_HDR, WG_EP_PORT } from "../../wire/layout/wireguard";
import { ISA_CASE, ISA_IPV4, ISA_IPV6, ISA_PAYLOAD, ISA_SIZE, V4SA_ADDR, V4SA_PORT, V6SA_ADDR, V6SA_PORT } from "./cabi";
import { Nic, frameMax } from "./nic";
import { rxQueue } from "./rxbatch";

const HEADER: usize = memory.data(WG_EP_HDR, 8);   // the endpoint header of the frame being received
const MAPPED_PREFIX: i32 = 10;                       // ::ffff:a.b.c.d: ten zero bytes, then ff ff

/** Checks the endpoint header of a frame queued at `frame` (`len` bytes): 0, or -EINVAL
 *  (counted) when it is short, names port 0 or has non-zero reserved bytes. */
export function wgCheck(n: Nic, frame: usize, len: i32): i32 {
  if (len < WG_EP_HDR || load<u16>(frame + WG_EP_PORT) == 0 || load<u16>(frame + WG_EP_PORT + 2) != 0) {
    n.badHeader++;
    return -Errno.EINVAL;
  }
  return 0;
}

/** Writes the ip-socket-address of a queued frame's endpoint header at `isa`. */
export function wgRemote(frame: usize, isa: usize): void {
  memory.fill(isa, 0, ISA_SIZE);
  let a = frame + WG_EP_ADDR;
  let port = <u16>(<u32>load<u8>(frame + WG_EP_PORT) << 8 | load<u8>(frame + WG_EP_PORT + 1));
  if (load<u64>(a) == 0 && load<u16>(a + 8) == 0 && load<u16>(a + MAPPED_PREFIX) == 0xffff) {
    store<u8>(isa + ISA_CASE, ISA_IPV4);
    store<u16>(isa + ISA_PAYLOAD + V4SA_PORT, port);
    for (let i = 0; i < 4; i++) store<u8>(isa + ISA_PAYLOAD + V4SA_ADDR + i, load<u8>(a + MAPPED_PREFIX + 2 + i));
    return;
  }
  store<u8>(isa + ISA_CASE, ISA_IPV6);
  store<u16>(isa + ISA_PAYLOAD + V6SA_PORT, port);
  for (let g = 0; g < 8; g++) {
    store<u16>(isa + ISA_PAYLOAD + V6SA_ADDR + 2 * g, <u16>(<u32>load<u8>(a + 2 * g) << 8 | load<u8>(a + 2 * g + 1)));
  }
}

/** Gives one datagram (`len` bytes at `p`, from the ip-socket-address at `isa`), received
 *  at now (ms), to the kernel as an endpoint frame, or counts the drop. */
export function wgDeliver(n: Nic, p: usize, len: i32, isa: usize, now: i64): void {
  if (len > frameMax - WG_EP_HDR) { n.dropLong++; return; }
  memory.fill(HEADER, 0, WG_EP_HDR);
  let port: u32;
  if (load<u8>(isa + ISA_CASE) == ISA_IPV4) {
    store<u16>(HEADER + MAPPED_PREFIX, 0xffff);
    for (let i = 0; i < 4; i++) store<u8>(HEADER + MAPPED_PREFIX + 2 + i, load<u8>(isa + ISA_PAYLOAD + V4SA_ADDR + i));
    port = load<u16>(isa + ISA_PAYLOAD + V4SA_PORT);
  } else {
    for (let g = 0; g < 8; g++) {
      let v = load<u16>(isa + ISA_PAYLOAD + V6SA_ADDR + 2 * g);
      store<u8>(HEADER + 2 * g, <u8>(v >> 8));
      store<u8>(HEADER + 2 * g + 1, <u8>v);
    }
    port = load<u16>(isa + ISA_PAYLOAD + V6SA_PORT);
  }
  store<u8>(HEADER + WG_EP_PORT, <u8>(port >> 8));
  store<u8>(HEADER + WG_EP_PORT + 1, <u8>port);
  n.rxFrames++;
  rxQueue(n.id, HEADER, WG_EP_HDR, p, len, now);   // HEADER is copied now: reusing it is safe
}

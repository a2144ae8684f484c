// Ethernet II (layout/ethernet.ts) over raw memory: reading a received frame's header and
// writing one in front of an outgoing IPv6 packet. The caller has checked that the frame
// holds ETH_HDR bytes (the kernel's rx does, once, before any read). AssemblyScript; used
// by the kernel's input (net/input.ts) and link output (net/nd.ts).
import { ld16, st16 } from "./bytes";
import { macCopy } from "./addr";
import { ETH_DST, ETH_SRC, ETH_TYPE, MAC_GROUP } from "./layout/ethernet";
export * from "./layout/ethernet";

// @ts-ignore: decorator
@inline export function ethType(f: usize): u32 { return ld16(f + ETH_TYPE); }
// @ts-ignore: decorator
@inline export function ethDst(f: usize): usize { return f + ETH_DST; }
// @ts-ignore: decorator
@inline export function ethSrc(f: usize): usize { return f + ETH_SRC; }
/** Is the destination a group (multicast or broadcast) address? */
// @ts-ignore: decorator
@inline export function ethIsGroup(f: usize): bool { return (load<u8>(f + ETH_DST) & MAC_GROUP) != 0; }

/** Write the header at f: every byte of it. */
export function ethEmit(f: usize, dst: usize, src: usize, type: u32): void {
  macCopy(f + ETH_DST, dst);
  macCopy(f + ETH_SRC, src);
  st16(f + ETH_TYPE, type);
}

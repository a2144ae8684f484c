// Test-only: the VXLAN datagrams around the shortest one a host may give the kernel
// (spec/wire.md: the 8-byte VXLAN header and a 14-byte Ethernet header), each with a
// valid header for the VNI as far as it goes. Every host must count the 0-, 7-, 8-, 9-
// and 21-byte ones as its NIC's drop_short without calling the kernel, and give the
// kernel the 22-byte one, an Ethernet header with no payload, which the kernel drops
// as IP_SHORT (not FRAME_SHORT). Used by tests/hosts/vxlan.test.ts (the Node host),
// tests/hosts/wasi_shim.test.ts (the image's shim) and tests/e2e/image.test.ts.

/** The lengths sent, in bytes; all but the last are short. */
export const SHORT_LENGTHS = [0, 7, 8, 9, 21];
export const FRAME_ONLY = 22;

/** An Ethernet header to all nodes' group (33:33:00:00:00:01) from 02:00:00:00:00:99, IPv6. */
export const EMPTY_FRAME = Uint8Array.from([0x33, 0x33, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 0x99, 0x86, 0xdd]);

/** Each datagram: the first `len` bytes of the VXLAN header for `vni` and EMPTY_FRAME. */
export function shortDatagrams(vni: number): Uint8Array[] {
  const whole = Uint8Array.from([0x08, 0, 0, 0, vni >>> 16, (vni >>> 8) & 0xff, vni & 0xff, 0, ...EMPTY_FRAME]);
  return [...SHORT_LENGTHS, FRAME_ONLY].map((len) => whole.slice(0, len));
}

/** What the datagrams must have moved: on the host's NIC and in the kernel. */
export const EXPECTED = {
  host: { drop_short: SHORT_LENGTHS.length, rx_frames: 1 },
  kernel: { FRAME_SHORT: 0, IP_SHORT: 1, rxFrames: 1 },
};

// Packets for the service tests, in the forms those tests want (text addresses in,
// Buffers out), built by the traffic peer's TypeScript (cli/peer/packets.ts),
// which shares no code with the SDK's AssemblyScript, so that a bug in one is caught by
// the other. Literal bytes stay the anchor: each test file also checks at least one
// packet against bytes computed outside this project. Used by tests/sdk/*.test.ts.
import { parseAddr } from "../../loader/ip6";
import * as peer from "../../cli/peer/packets";

export const addr = (text: string): Buffer => Buffer.from(parseAddr(text));

/** checksum(src, dst, next, upper): what an upper-layer header over IPv6 carries. */
export const checksum = peer.l4Checksum;

export function udp(src: string, dst: string, sport: number, dport: number, data: Buffer | string): Buffer {
  const d = typeof data === "string" ? Buffer.from(data) : data;
  return Buffer.from(peer.udp(parseAddr(src), parseAddr(dst), sport, dport, d));
}

/** True if the upper-layer checksum of the IPv6 packet p (no extension headers) is right. */
export function checksumOk(p: Buffer): boolean {
  return checksum(p.subarray(8, 24), p.subarray(24, 40), p[6], p.subarray(40)) === 0;
}

/** The data of a UDP datagram in packet p, as text. */
export function udpText(p: Buffer): string {
  return p.subarray(48).toString("utf8");
}

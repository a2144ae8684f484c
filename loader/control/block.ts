// What `persia ctl block|unblock|certs` sends (spec/control.md, "Block signals"): the body
// of a BLOCK or UNBLOCK — the destination its signer holds, an optional protocol and port,
// how long, the signer's clock, the destination's certificate chain (leaf first) and the
// sources — and of a CERTS request. Also the chain as a file: one certificate per line in
// base64, leaf first, as `persia ctl cert` and `persia ctl certs -o` write it. Checked
// here so a person gets the reason before anything is sent; the node checks it all again.
// Called by cli/ctl.ts and the tests.
import * as fs from "fs";
import * as C from "../../abi/control";
import { CERT_BYTES, CERT_MAGIC } from "../../wire/layout/cert";
import { CERT_CHAIN_MAX, BLOCK_SECONDS_MAX, BLOCK_SOURCES_MAX } from "../../abi/limits";
import { NH_TCP, NH_UDP } from "../../wire/layout/ipv6";
import { parseAddr, parsePrefix, Prefix } from "../ip6";

export interface BlockSpec {
  dst: Uint8Array;          // the address whose certificate the signer holds
  sources: Prefix[];        // drop traffic from these
  proto: number;            // 0: any
  port: number;             // 0: any (TCP or UDP only)
  seconds: number;          // BLOCK: 1..BLOCK_SECONDS_MAX; UNBLOCK: 0
  timeMs: bigint;           // the signer's clock (Unix ms)
  chain: Uint8Array[];      // dst's certificates, leaf first
}

const PROTOCOLS: Record<string, number> = { tcp: NH_TCP, udp: NH_UDP, icmpv6: 58 };

/** "udp", "tcp", "icmpv6" or a number 1..255. */
export function parseProtocol(text: string): number {
  const t = text.toLowerCase();
  if (t in PROTOCOLS) return PROTOCOLS[t];
  if (/^[1-9][0-9]{0,2}$/.test(t) && Number(t) <= 255) return Number(t);
  throw new Error(`--proto ${text}: give udp, tcp, icmpv6 or a protocol number from 1 to 255`);
}

/** A source: a prefix ("fd00:a::/64") or one address (a /128). */
export function parseSource(text: string): Prefix {
  return text.includes("/") ? parsePrefix(text) : { addr: parseAddr(text), len: 128 };
}

/** The body of a BLOCK (seconds > 0) or UNBLOCK (seconds 0); throws with the reason. */
export function blockBody(s: BlockSpec): Uint8Array {
  if (s.chain.length < 1 || s.chain.length > CERT_CHAIN_MAX) {
    throw new Error(`a block request carries the destination's certificate chain: 1 to ${CERT_CHAIN_MAX} certificates, not ${s.chain.length}`);
  }
  if (s.sources.length < 1 || s.sources.length > BLOCK_SOURCES_MAX) {
    throw new Error(`name 1 to ${BLOCK_SOURCES_MAX} sources (--from) in one request, not ${s.sources.length}`);
  }
  if (s.port !== 0 && s.proto !== NH_TCP && s.proto !== NH_UDP) throw new Error("--port needs --proto udp or --proto tcp");
  if (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535) throw new Error(`--port ${s.port}: give 1 to 65535`);
  if (s.seconds !== 0 && !(Number.isInteger(s.seconds) && s.seconds >= 1 && s.seconds <= BLOCK_SECONDS_MAX)) {
    throw new Error(`--for ${s.seconds}: a block lasts a whole number of seconds from 1 to ${BLOCK_SECONDS_MAX} (a day)`);
  }
  const n = C.BL_CHAIN + s.chain.length * CERT_BYTES + s.sources.length * C.BL_SOURCE;
  const b = new Uint8Array(n);
  const v = new DataView(b.buffer);
  b.set(s.dst, C.BL_DST);
  b[C.BL_PROTO] = s.proto;
  b[C.BL_CERTS] = s.chain.length;
  v.setUint16(C.BL_PORT, s.port, true);
  v.setUint32(C.BL_SECONDS, s.seconds, true);
  v.setBigUint64(C.BL_TIME, s.timeMs, true);
  s.chain.forEach((c, i) => b.set(c, C.BL_CHAIN + i * CERT_BYTES));
  let off = C.BL_CHAIN + s.chain.length * CERT_BYTES;
  for (const p of s.sources) {
    b.set(p.addr, off + 0);
    b[off + C.BL_SOURCE_LEN] = p.len;
    off += C.BL_SOURCE;
  }
  if (C.CTL_HEADER + n + C.CTL_SIG > C.BLOCK_MAX) {
    throw new Error(`the request would be ${C.CTL_HEADER + n + C.CTL_SIG} bytes; a block request is at most ${C.BLOCK_MAX} ` +
      "(so a router can pass it on in one datagram): name fewer sources per request");
  }
  return b;
}

/** A CERTS request's body: the address. */
export function certsBody(addr: Uint8Array): Uint8Array { return addr.slice(); }

/** A chain as a file's text: one certificate per line, base64, leaf first. */
export function chainText(chain: Uint8Array[]): string {
  return chain.map((c) => `${Buffer.from(c).toString("base64")}\n`).join("");
}

/** Read a chain file (chainText's format); throws with the file and line at fault. */
export function readChain(file: string): Uint8Array[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read certificate file ${file}: ${(e as Error).message}`);
  }
  const lines = text.split("\n").map((l) => l.trim());
  const out: Uint8Array[] = [];
  lines.forEach((l, i) => {
    if (l === "" || l.startsWith("#")) return;
    const b = Buffer.from(l, "base64");
    if (b.length !== CERT_BYTES || b.toString("base64") !== l || b.readUInt32LE(0) !== CERT_MAGIC) {
      throw new Error(`${file}:${i + 1}: not a certificate (one per line: the base64 of its ${CERT_BYTES} bytes, as \`persia ctl cert\` writes them)`);
    }
    out.push(new Uint8Array(b));
  });
  if (out.length === 0) throw new Error(`${file} holds no certificate`);
  return out;
}

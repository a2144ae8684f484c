// Parsers for the manifest's leaf values: domain names, NIC and disk names, sizes, bit
// rates, whole numbers in a range, true/false, IPv6 addresses and prefixes, MACs and UDP endpoints. Each takes
// the raw YAML value and returns the parsed value or throws a ValueError whose message
// says what was wrong and what is allowed, without the file, line or field path (the
// caller adds those). Deliberately no cross-field rules (loader/manifest/check.ts).
// Called by loader/manifest/schema.ts.
import { NAME_MAX } from "../../abi/manifest";
import * as ip6 from "../ip6";
import {
  DOMAIN_LABEL_MAX, DOMAIN_MIN_LABELS, GBIT, KBIT, MBIT, NAME_PATTERN, PORT_MAX, RATE_MAX, TAP_DEVICE_PATTERN,
} from "./limits";
import { quote } from "../quote";

export class ValueError extends Error {}

/** How a raw YAML value reads in an error message: text quoted and cut (loader/quote.ts),
 *  and what YAML's tags make named. */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "an empty value";
  if (typeof v === "string") return quote(v);
  if (Array.isArray(v)) return "a list";
  if (v instanceof Date) return "a date (!!timestamp)";
  if (v instanceof Set) return "a set (!!set)";
  if (v instanceof Map) return "an ordered mapping (!!omap)";
  if (v instanceof Uint8Array) return "binary data (!!binary)";
  if (typeof v === "object") return "a mapping";
  return String(v);
}

export function text(v: unknown, example: string): string {
  if (v === undefined) throw new ValueError(`is required; write text such as ${example}`);
  if (typeof v !== "string") throw new ValueError(`${show(v)} is not text; write text such as ${example}`);
  return v;
}

/** A whole number in [lo, hi]. */
export function intIn(v: unknown, lo: number, hi: number, what: string): number {
  if (v === undefined) throw new ValueError(`is required; ${what} is a whole number from ${lo} to ${hi}`);
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new ValueError(`${show(v)} is not allowed; ${what} is a whole number from ${lo} to ${hi}`);
  }
  return v;
}

/** A duration in milliseconds: a whole number of ms, or "250ms", "2s"; 1 ms .. 1 hour. */
export function duration(v: unknown): number {
  const m = typeof v === "number" ? [String(v), String(v), "ms"] : typeof v === "string" ? /^\s*(\d+)\s*(ms|s)\s*$/.exec(v) : null;
  const ms = m ? Number(m[1]) * (m[2] === "s" ? 1000 : 1) : NaN;
  if (!Number.isInteger(ms) || ms < 1 || ms > 3600000) {
    throw new ValueError(`${show(v)} is not a duration; write whole milliseconds or seconds from 1ms to 3600s, e.g. 250ms or 2s`);
  }
  return ms;
}

/** A CPU share: "25%" or a number of percent, 0..100; returns permille (whole). */
export function share(v: unknown): number {
  const m = typeof v === "number" ? [String(v), String(v)] : typeof v === "string" ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v) : null;
  const pct = m ? Number(m[1]) : NaN;
  if (!Number.isFinite(pct) || pct < 0 || pct > 100 || !Number.isInteger(pct * 10)) {
    throw new ValueError(`${show(v)} is not a CPU share; write a percentage from 0% to 100% (tenths allowed), e.g. 25%`);
  }
  return Math.round(pct * 10);
}

/** true or false (YAML's `yes`/`no` are text, not booleans, and are refused). */
export function bool(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new ValueError(`${show(v)} is not true or false; ${what} is true or false`);
  return v;
}

/** The parsed value, or null when the value is missing or broken (the schema reports that). */
export function tryParse<T>(parse: (v: unknown) => T, v: unknown): T | null {
  if (v === undefined) return null;
  try {
    return parse(v);
  } catch (e) {
    if (e instanceof ValueError) return null;
    throw e;
  }
}

/** A domain name by RFC 1035: lower-case labels, at least two, no trailing dot. */
export function domainName(v: unknown): string {
  const s = text(v, "echo.sabz.city");
  const q = show(s);
  if (s.length > NAME_MAX) throw new ValueError(`${q} is ${s.length} characters long; a domain name has at most ${NAME_MAX}`);
  if (s !== s.toLowerCase()) throw new ValueError(`${q} has upper-case letters; use lower case: ${s.toLowerCase()}`);
  if (s.endsWith(".")) throw new ValueError(`${q} ends with a dot; write it without the trailing dot`);
  const labels = s.split(".");
  if (labels.length < DOMAIN_MIN_LABELS) {
    throw new ValueError(`${q} has one label; a domain name needs at least ${DOMAIN_MIN_LABELS}, e.g. echo.sabz.city`);
  }
  for (const l of labels) {
    if (l.length === 0) throw new ValueError(`${q} has an empty label (two dots in a row, or a leading dot)`);
    if (l.length > DOMAIN_LABEL_MAX) {
      throw new ValueError(`${q} has the label "${l.slice(0, 12)}..." of ${l.length} characters; a label has at most ${DOMAIN_LABEL_MAX}`);
    }
    if (!/^[a-z0-9-]+$/.test(l)) {
      throw new ValueError(`${q} has the label "${l}"; labels use only lower-case letters, digits and "-"`);
    }
    if (l.startsWith("-") || l.endsWith("-")) {
      throw new ValueError(`${q} has the label "${l}", which starts or ends with "-"; a label may not`);
    }
  }
  return s;
}

/** A NIC or disk name: [a-z][a-z0-9-]{0,14}. */
export function shortName(v: unknown, what: string, example: string): string {
  const s = text(v, example);
  if (!NAME_PATTERN.test(s)) {
    throw new ValueError(`${show(s)} is not a valid ${what} name; use 1 to 15 characters: ` +
      `a lower-case letter, then lower-case letters, digits or "-", e.g. ${example}`);
  }
  return s;
}

export function tapDevice(v: unknown): string {
  const s = text(v, "pt0");
  if (!TAP_DEVICE_PATTERN.test(s)) {
    throw new ValueError(`${show(s)} is not a Linux interface name; use 1 to 15 letters, digits, "_", "." or "-"`);
  }
  return s;
}

const UNITS: Record<string, number> = { "": 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const SIZE_HELP = "write an integer number of bytes or a number with KiB, MiB or GiB, e.g. 2MiB";

/** A size in bytes: an integer, or text such as "64KiB", "16MiB", "1GiB". */
export function size(v: unknown): number {
  if (v === undefined) throw new ValueError(`is required; ${SIZE_HELP}`);
  if (typeof v === "number") {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new ValueError(`${show(v)} is not a size; ${SIZE_HELP}`);
  }
  const m = typeof v === "string" ? /^([0-9]+) ?(KiB|MiB|GiB)?$/.exec(v) : null;
  if (!m) throw new ValueError(`${show(v)} is not a size; ${SIZE_HELP}`);
  const bytes = Number(m[1]) * UNITS[m[2] ?? ""];
  if (!Number.isSafeInteger(bytes)) throw new ValueError(`${show(v)} is too large a size; sizes stop below 8 PiB`);
  return bytes;
}

/** 16777216 → "16MiB"; sizes that are not a whole number of KiB stay in bytes. */
export function showSize(bytes: number): string {
  for (const unit of ["GiB", "MiB", "KiB"]) {
    if (bytes > 0 && bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  return `${bytes} bytes`;
}

const RATE_UNITS: Record<string, number> = { "": 1, kbit: KBIT, Kbit: KBIT, Mbit: MBIT, Gbit: GBIT };
const RATE_HELP = "write an integer number of bit/s or a number with kbit, Mbit or Gbit, e.g. 100Mbit or 2.5Gbit";

/** A rate in bit/s: an integer, or text such as "800kbit", "100Mbit", "2.5Gbit" (SI: 1 Mbit = 10^6 bit).
 *  A fraction is allowed only with a unit, and must come to a whole number of bit/s. */
export function bitRate(v: unknown): number {
  if (v === undefined) throw new ValueError(`is required; ${RATE_HELP}`);
  let bits: bigint;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) throw new ValueError(`${show(v)} is not a bit rate; ${RATE_HELP}`);
    bits = BigInt(v);
  } else {
    const m = typeof v === "string" ? /^([0-9]+)(?:\.([0-9]+))?(?: ?(kbit|Kbit|Mbit|Gbit))?$/.exec(v) : null;
    if (!m || (m[2] !== undefined && m[3] === undefined)) throw new ValueError(`${show(v)} is not a bit rate; ${RATE_HELP}`);
    const unit = BigInt(RATE_UNITS[m[3] ?? ""]);
    const frac = m[2] ?? "";
    const scaled = BigInt(m[1] + frac) * unit;
    const div = 10n ** BigInt(frac.length);
    if (scaled % div !== 0n) throw new ValueError(`${show(v)} is not a whole number of bit/s; use fewer decimals, e.g. 2.5Gbit`);
    bits = scaled / div;
  }
  if (bits > BigInt(RATE_MAX)) {
    throw new ValueError(`${show(v)} is more than ${showRate(RATE_MAX)}, the largest rate allowed (loader/manifest/limits.ts)`);
  }
  return Number(bits);
}

/** 1200000000 → "1.2 Gbit/s": the largest unit the rate reaches, exact (never rounded). */
export function showRate(bits: number): string {
  for (const [unit, scale, digits] of [["Gbit", GBIT, 9], ["Mbit", MBIT, 6], ["kbit", KBIT, 3]] as const) {
    if (bits < scale) continue;
    const frac = String(bits % scale).padStart(digits, "0").replace(/0+$/, "");
    return `${Math.floor(bits / scale)}${frac && "." + frac} ${unit}/s`;
  }
  return `${bits} bit/s`;
}

/** Wraps an ip6 parser so that its AddressError reads as a ValueError. */
function address<T>(v: unknown, example: string, parse: (s: string) => T): T {
  const s = text(v, example);
  try {
    return parse(s);
  } catch (e) {
    if (e instanceof ip6.AddressError) throw new ValueError(e.message);
    throw e;
  }
}

export const ip6Address = (v: unknown) => address(v, "fd00:5ab2:1::7", ip6.parseAddr);
export const ip6Prefix = (v: unknown) => address(v, "fd00:5ab2:1::/64", ip6.parsePrefix);

/** A MAC a NIC may use: unicast and not all zeros. */
export function mac(v: unknown): Uint8Array {
  const m = address(v, "02:00:5a:b2:00:01", ip6.parseMac);
  if ((m[0] & 0x01) !== 0) {
    throw new ValueError(`${show(v)} is a multicast MAC (lowest bit of the first byte set); ` +
      `a NIC needs a unicast MAC such as 02:00:5a:b2:00:01`);
  }
  if (m.every((b) => b === 0)) throw new ValueError(`${show(v)} is not a usable MAC; leave mac out to get one derived from the node name`);
  return m;
}

export interface Endpoint { address: Uint8Array; port: number; }

/** A UDP endpoint "[fd00:99::1]:4789". */
export function endpoint(v: unknown): Endpoint {
  const s = text(v, "[fd00:99::1]:4789");
  const m = /^\[([^\]]*)\]:([0-9]{1,5})$/.exec(s);
  const help = "write [address]:port, e.g. [fd00:99::1]:4789";
  if (!m) throw new ValueError(`${show(s)} is not an endpoint; ${help}`);
  const port = Number(m[2]);
  if (port < 1 || port > PORT_MAX) throw new ValueError(`${show(s)} has port ${port}; a port is 1 to ${PORT_MAX}`);
  const addr = address(m[1], "fd00:99::1", ip6.parseAddr);
  if (ip6.isUnspecified(addr) || ip6.isMulticast(addr)) {
    throw new ValueError(`${show(s)} is not a unicast address; ${help}`);
  }
  return { address: addr, port };
}

/** A TCP address the host listens on for its observability views (spec/observe.md):
 *  "[::1]:9464", "127.0.0.1:9464", ":9464" or "9464" (every address); port 0 picks a free
 *  one. The host's, not the kernel's: the kernel has no TCP. */
export function listenAddress(v: unknown): { host: string | undefined; port: number } {
  const s = text(v, "[::1]:9464");
  const m = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+|[A-Za-z0-9.-]+))?:)?(\d+)$/.exec(s.trim());
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= PORT_MAX)) {
    throw new ValueError(`${show(s)} is not an address to listen on; write it as [::1]:9464, 127.0.0.1:9464 or :9464`);
  }
  return { host: m[1] ?? m[2], port };
}

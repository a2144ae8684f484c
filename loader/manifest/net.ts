// Network rates (issue #5): a NIC's line rate (`rate`), the class of forwarded traffic on it
// (`forward`) and a service's egress classes (`net`), all in bit/s. Here are the parsers
// of a class's min and max, the rules that relate them, and admission control: on each NIC
// the mins — forwarding first, then the services in manifest order — must fit in its line
// rate, and no max may exceed it. A min that does not fit is refused, naming the NIC and by
// how much; it is then left out of the sum, as a node would not start that service.
// Deliberately not here: the bit-rate syntax (values.ts), references and the router-only
// rule (check.ts), the NET records (compile.ts, boot.ts), the scheduling (kernel/net/egress.ts).
// Called by schema.ts (parsers), check.ts (rules) and compile.ts (types).
import { FieldPath } from "./issues";
import * as V from "./values";

/** An egress class: the rate it is guaranteed and the most it may send, in bit/s. */
export interface NetClass {
  min: number;               // 0: no guarantee
  max: number | null;        // null: no limit but the NIC's
}

type Raw = Record<string, unknown>;
type Report = (path: FieldPath, message: string) => void;

/** A NIC's line rate: at least 1 bit/s. */
export function lineRate(v: unknown): number {
  const bits = V.bitRate(v);
  if (bits === 0) throw new V.ValueError("is 0; a line rate is at least 1 bit/s, e.g. rate: 1Gbit (leave rate out if unknown)");
  return bits;
}

/** A class's max: at least 1 bit/s (0 would stop all traffic; on the wire 0 means unlimited). */
export function netMax(v: unknown): number {
  const bits = V.bitRate(v);
  if (bits === 0) throw new V.ValueError("is 0, which would let nothing through; leave max out for no limit");
  return bits;
}

export const netMin = V.bitRate;

function mapping(v: unknown): Raw | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : null;
}

/** A class as written: whose it is (for messages), the index of its NIC (-1: none), where. */
interface Class { who: string; nic: number; c: Raw; at: FieldPath; }

/** Every class in the raw document: each NIC's forward, then each service's net entries. */
function classes(nics: Raw[], services: Raw[]): Class[] {
  const out: Class[] = [];
  nics.forEach((n, i) => {
    const c = mapping(n.forward);
    if (c) out.push({ who: "forwarding", nic: i, c, at: ["nics", i, "forward"] });
  });
  services.forEach((s, k) => (Array.isArray(s.net) ? s.net : []).forEach((e, j) => {
    const c = mapping(e);
    if (!c) return;
    const who = typeof s.domain === "string" ? s.domain : `services[${k}]`;
    const nic = typeof c.nic === "string" ? nics.findIndex((n) => n.name === c.nic) : -1;
    out.push({ who, nic, c, at: ["services", k, "net", j] });
  }));
  return out;
}

/** The classes that ask for a min above 0, with that min. */
function demands(mine: Class[]): (Class & { bits: number })[] {
  return mine.flatMap((k) => { const bits = V.tryParse(netMin, k.c.min); return bits ? [{ ...k, bits }] : []; });
}

/** Admits the mins of `mine` in order against `rate`, reporting each that does not fit what is left. */
function admit(nic: string, rate: number, mine: Class[], report: Report): void {
  const admitted: { who: string; bits: number }[] = [];
  let sum = 0;
  for (const { who, bits, at } of demands(mine)) {
    if (sum + bits <= rate) {
      admitted.push({ who, bits });
      sum += bits;
      continue;
    }
    const over = V.showRate(sum + bits - rate);
    if (admitted.length === 0) {
      report([...at, "min"], `${nic} has ${V.showRate(rate)}; this min is ${V.showRate(bits)}: ${over} too much`);
    } else {
      const parts = [...admitted.map((a) => `${a.who} ${V.showRate(a.bits)}`), `this ${V.showRate(bits)}`];
      report([...at, "min"], `${nic} has ${V.showRate(rate)}; the mins on it add up to ${V.showRate(sum + bits)} ` +
        `(${parts.join(", ")}): ${over} too much`);
    }
  }
}

/** One NIC's classes against its rate: each max at most the rate, the mins admitted in order.
 *  Without a rate nothing can be admitted, so any min > 0 asks for one. */
function nicRules(n: Raw, i: number, mine: Class[], report: Report): void {
  if (typeof n.name !== "string") return;
  const rate = n.rate === undefined ? null : V.tryParse(lineRate, n.rate);
  if (n.rate !== undefined && rate === null) return;                 // broken: the schema reports it
  if (rate === null) {
    const asks = demands(mine).map(({ who, bits }) => `${who} ${V.showRate(bits)}`);
    if (asks.length > 0) {
      report(["nics", i, "rate"], `is needed to admit the net mins on ${n.name} (${asks.join(", ")}); ` +
        `give the line rate, e.g. rate: 1Gbit`);
    }
    return;
  }
  for (const { c, at } of mine) {
    const max = V.tryParse(netMax, c.max);
    if (max !== null && max > rate) {
      report([...at, "max"], `${V.show(c.max)} is more than ${n.name}'s rate (${V.showRate(rate)}); ` +
        `make it at most that, or leave max out`);
    }
  }
  admit(n.name, rate, mine, report);
}

/** Every rule on rates, over the raw NIC and service entries. References, one entry per NIC
 *  and "only a router forwards" are check.ts's, next to its other rules of those kinds. */
export function netRules(nics: Raw[], services: Raw[], report: Report): void {
  const all = classes(nics, services);
  for (const { c, at } of all) {
    const min = V.tryParse(netMin, c.min), max = V.tryParse(netMax, c.max);
    if (min !== null && max !== null && min > max) {
      report([...at, "min"], `${V.show(c.min)} is more than max (${V.show(c.max)}); min must be at most max`);
    }
  }
  nics.forEach((n, i) => nicRules(n, i, all.filter((k) => k.nic === i), report));
}

// A NIC's router advertisement settings, the `ra:` key of the manifest: RFC 4861 §6.2.1's
// router configuration variables. Here are one parser per key (its own range), the
// defaults (some depend on max_interval) and the rules that relate the keys (min interval
// against max, router lifetime against max, preferred against valid lifetime) — the same
// checks the kernel makes on the RA record (kernel/boot.ts ra()). Deliberately not here:
// the rule that only a router advertises (check.ts reads node.role) and the bytes (boot.ts).
// Called by schema.ts (parsers), check.ts (rules), load.ts (defaults) and compile.ts (type).
import * as L from "./limits";
import * as V from "./values";

/** The settings one advertising NIC ends up with, every default filled in. */
export interface RaSettings {
  minInterval: number;        // s, MinRtrAdvInterval
  maxInterval: number;        // s, MaxRtrAdvInterval
  lifetime: number;           // s, AdvDefaultLifetime (the kernel sends 0 while there is no default route)
  hopLimit: number;           // AdvCurHopLimit, 0 = unspecified
  managed: boolean;           // AdvManagedFlag, M
  other: boolean;             // AdvOtherConfigFlag, O
  reachableTime: number;      // ms, AdvReachableTime, 0 = unspecified
  retransTimer: number;       // ms, AdvRetransTimer, 0 = unspecified
  validLifetime: number;      // s, AdvValidLifetime of each prefix, 0xffffffff = infinity
  preferredLifetime: number;  // s, AdvPreferredLifetime of each prefix
}

const whole = (key: string, unit: string, lo: number, hi: number) => (v: unknown) => V.intIn(v, lo, hi, `${key}, in ${unit},`);

/** One parser per YAML key of `ra`, each checking only its own range. */
export const RA_FIELDS = {
  min_interval: whole("min_interval", "seconds", L.RA_MIN_INTERVAL_MIN, L.RA_MIN_INTERVAL_MAX),
  max_interval: whole("max_interval", "seconds", L.RA_MAX_INTERVAL_MIN, L.RA_MAX_INTERVAL_MAX),
  lifetime: whole("lifetime", "seconds", 0, L.RA_LIFETIME_MAX),
  hop_limit: (v: unknown) => V.intIn(v, 0, L.HOP_LIMIT_MAX, "hop_limit"),
  managed: (v: unknown) => V.bool(v, "managed"),
  other: (v: unknown) => V.bool(v, "other"),
  reachable_time: whole("reachable_time", "milliseconds", 0, L.RA_REACHABLE_MAX),
  retrans_timer: whole("retrans_timer", "milliseconds", 0, L.U32_MAX),
  valid_lifetime: whole("valid_lifetime", "seconds", 0, L.U32_MAX),
  preferred_lifetime: whole("preferred_lifetime", "seconds", 0, L.U32_MAX),
};

/** The keys a manifest gave, parsed; a missing key is undefined. */
export type RaFields = { [K in keyof typeof RA_FIELDS]?: ReturnType<(typeof RA_FIELDS)[K]> };

/** RFC 4861 §6.2.1: MinRtrAdvInterval defaults to 0.33 × MaxRtrAdvInterval if Max ≥ 9 s,
 *  otherwise (erratum 3154; the RFC text says Max itself, which breaks its own 0.75 rule)
 *  0.75 × Max. Whole seconds: 0.33 × Max rounds up, so Max = 9 gives 3 s, the least allowed;
 *  0.75 × Max rounds down, so it stays within 0.75 × Max. */
export function minIntervalDefault(max: number): number {
  return max >= 9 ? Math.ceil((33 * max) / 100) : Math.floor((3 * max) / 4);
}

/** The given keys with RFC 4861 §6.2.1's defaults for the rest. The preferred lifetime's
 *  default is cut to a shorter valid lifetime, since it may not exceed it. */
export function raSettings(f: RaFields): RaSettings {
  const max = f.max_interval ?? L.RA_MAX_INTERVAL_DEFAULT;
  const valid = f.valid_lifetime ?? L.RA_VALID_DEFAULT;
  return {
    minInterval: f.min_interval ?? minIntervalDefault(max),
    maxInterval: max,
    lifetime: f.lifetime ?? L.RA_LIFETIME_FACTOR * max,
    hopLimit: f.hop_limit ?? L.RA_HOP_LIMIT_DEFAULT,
    managed: f.managed ?? false,
    other: f.other ?? false,
    reachableTime: f.reachable_time ?? 0,
    retransTimer: f.retrans_timer ?? 0,
    validLifetime: valid,
    preferredLifetime: f.preferred_lifetime ?? Math.min(L.RA_PREFERRED_DEFAULT, valid),
  };
}

/** A key's value for a rule: parsed, the default when absent, null when broken (the
 *  schema reports that, and the rule is skipped). `text` says which it was. */
function value(raw: Record<string, unknown>, key: "max_interval" | "valid_lifetime", fallback: number) {
  if (raw[key] === undefined) return { n: fallback, text: `${fallback} by default` };
  const n = V.tryParse(RA_FIELDS[key], raw[key]);
  return { n, text: `${n}` };
}

/** The rules between keys of one raw `ra` mapping; `report` gets the key at fault. */
export function raRules(raw: Record<string, unknown>, report: (key: keyof RaFields, message: string) => void): void {
  const max = value(raw, "max_interval", L.RA_MAX_INTERVAL_DEFAULT);
  const min = V.tryParse(RA_FIELDS.min_interval, raw.min_interval);
  if (max.n !== null && min !== null && min * 4 > max.n * 3) {
    report("min_interval", `${min} is more than 0.75 × max_interval (${max.text} → at most ${Math.floor((3 * max.n) / 4)})`);
  }
  const life = V.tryParse(RA_FIELDS.lifetime, raw.lifetime);
  if (max.n !== null && life !== null && life !== 0 && life < max.n) {
    report("lifetime", `${life} is less than max_interval (${max.text}); the router lifetime is 0 (not a default ` +
      `router) or from max_interval to ${L.RA_LIFETIME_MAX} seconds`);
  }
  const valid = value(raw, "valid_lifetime", L.RA_VALID_DEFAULT);
  const preferred = V.tryParse(RA_FIELDS.preferred_lifetime, raw.preferred_lifetime);
  if (valid.n !== null && preferred !== null && preferred > valid.n) {
    report("preferred_lifetime", `${preferred} is more than valid_lifetime (${valid.text}); ` +
      `an address stays valid at least as long as it is preferred`);
  }
}

// The manifest as YAML gave it, before the schema: small readers for the cross-checks
// (check.ts, autoconf.ts), which must say something useful even about a manifest the
// schema refuses — a list entry that is not a mapping reads as {}, a missing name as null.
import { FieldPath } from "./issues";
import { show } from "./values";
import { NAME_PATTERN } from "./limits";

export type Raw = Record<string, unknown>;
export type Report = (path: FieldPath, message: string) => void;

/** A YAML mapping as toJS gives it: a plain object, not a list nor what a tag made of one (a
 *  set, an ordered mapping, a date, binary data), which are all objects too. */
export function isMapping(v: unknown): v is Raw {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The list under key, each entry a mapping ({} for anything else). */
export function entries(raw: unknown, key: string): Raw[] {
  const v = raw !== null && typeof raw === "object" ? (raw as Raw)[key] : undefined;
  return Array.isArray(v) ? v.map((e) => (e !== null && typeof e === "object" ? (e as Raw) : {})) : [];
}

export function name(e: Raw, key: string): string | null {
  return typeof e[key] === "string" ? (e[key] as string) : null;
}

export interface Keyed { key: string | null; at: FieldPath; label: string; }

/** Reports every entry whose key an earlier entry already has; `say` gets the earlier label. */
export function unique(list: Keyed[], say: (first: string) => string, report: Report): void {
  const first = new Map<string, string>();
  for (const { key, at, label } of list) {
    if (key === null) continue;
    const seen = first.get(key);
    if (seen !== undefined) report(at, say(seen));
    else first.set(key, label);
  }
}

/** Reports v when it names none of names (a what: "NIC", "disk", ...). */
export function references(what: string, names: string[], v: string | null, at: FieldPath, report: Report): void {
  // A value that cannot be a name at all, the schema's shortName already refused: said once.
  if (v === null || !NAME_PATTERN.test(v) || names.includes(v)) return;
  // Only the valid names are listed: each is at most 15 characters, so the list is as short
  // as the list of NICs (disks, USB devices) is, whatever an invalid one holds.
  const valid = [...new Set(names.filter((n) => NAME_PATTERN.test(n)))];
  const known = valid.length > 0 ? `the ${what}s are ${valid.join(", ")}`
    : names.length === 0 ? `there are no ${what}s` : `no ${what} has a valid name yet`;
  report(at, `${show(v)} is not the name of a ${what}; ${known}`);
}

// The client role's manifest keys (issue #20; spec/manifest.md, "The client role"): a NIC's
// `autoconf` (take prefixes, default routers and MTU from router advertisements) and `dad`
// (RFC 4862's DupAddrDetectTransmits), a service address `{ learned: <nic> }` (one address
// in each prefix learned on that NIC), and the node's `secret` file, whose SHA-512 gives
// RFC 7217's secret_key. Here are the parser of a learned entry, the defaults that follow
// from the role, the rules that relate these keys to others, and the one file read (the
// secret). Deliberately not here: the bytes (boot.ts) and forming addresses (the kernel's).
// Called by schema.ts (parser), check.ts (rules), load.ts (defaults, secret), compile.ts.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Role } from "../../abi/kernel";
import { DAD_DEFAULT, SECRET_BYTES, SECRET_FILE_MAX } from "./limits";
import { FieldPath } from "./issues";
import * as V from "./values";
import { Raw, Report, isMapping, entries, name, unique, references } from "./raw";


/** A service address entry that names a NIC instead of an address. */
export interface Learned { learned: string; }

/** `{ learned: lan0 }`; any other mapping is refused with the one shape allowed. */
export function learnedEntry(v: Raw): Learned {
  const extra = Object.keys(v).filter((k) => k !== "learned");
  if (extra.length > 0 || v.learned === undefined) {
    throw new V.ValueError(`a mapping here is { learned: <NIC name> }, e.g. { learned: lan0 }: an address in each prefix ` +
      `learned from router advertisements on that NIC${extra.length > 0 ? `; ${extra.join(", ")} is not allowed` : ""}`);
  }
  return { learned: V.shortName(v.learned, "NIC", "lan0") };
}

export const isLearned = (a: Uint8Array | Learned): a is Learned => !(a instanceof Uint8Array);

/** Whether a NIC takes configuration from RAs: as written, else on in the client role only. */
export function autoconfOn(role: string, autoconf: boolean | undefined | null): boolean {
  return autoconf ?? role === "client";
}

/** A NIC's DupAddrDetectTransmits: as written, else RFC 4862's 1 where autoconf is on, 0 elsewhere. */
export function dadTransmits(autoconf: boolean, dad: number | undefined | null): number {
  return dad ?? (autoconf ? DAD_DEFAULT : 0);
}

/** autoconf never in a router and never with ra on the same NIC; each `learned` names a NIC
 *  whose autoconf is on, once per service. */
export function autoconfRules(raw: unknown, report: Report): void {
  const node = isMapping(raw) ? raw.node : undefined;
  const role = isMapping(node) ? name(node, "role") : null;
  const nics = entries(raw, "nics");
  nics.forEach((n, i) => {
    if (n.autoconf !== true) return;
    const at: FieldPath = ["nics", i, "autoconf"];
    if (isMapping(n.ra)) {
      report(at, "is on together with ra: a NIC either sends router advertisements (ra, a router's) or takes its " +
        "configuration from them (autoconf, a client's or a server's), not both; remove one of them");
    } else if (role === "router") {
      report(at, "node.role is router: a router does not take its configuration from other routers' advertisements; " +
        "remove autoconf and give the NIC its prefixes in the manifest, or make this node a client");
    }
  });
  entries(raw, "services").forEach((s, i) => {
    const addresses = Array.isArray(s.addresses) ? s.addresses : [];
    const learned = addresses.flatMap((a: unknown, j: number) => {
      if (!isMapping(a) || V.tryParse((v) => V.shortName(v, "NIC", "lan0"), a.learned) === null) return []; // the schema's
      const at: FieldPath = ["services", i, "addresses", j, "learned"];
      learnedRule(a.learned as string, nics, role, at, report);
      return [{ key: a.learned as string, at, label: `addresses[${j}]` }];
    });
    unique(learned, (first) => `is already learned by ${first}; one entry gives the service an address in every ` +
      "prefix learned on that NIC", report);
  });
}

function learnedRule(nicName: string, nics: Raw[], role: string | null, at: FieldPath, report: Report): void {
  const nic = nics.find((n) => n.name === nicName);
  if (!nic) {
    references("NIC", nics.map((n) => name(n, "name")).filter((s): s is string => s !== null), nicName, at, report);
    return;
  }
  const known = role !== null && role.toUpperCase() in Role;
  if (!known || (nic.autoconf !== undefined && typeof nic.autoconf !== "boolean")) return; // reported by the schema
  if (autoconfOn(role, nic.autoconf as boolean | undefined)) return;
  const why = nic.autoconf === false ? "it says autoconf: false" : `autoconf is off by default in the ${role} role`;
  report(at, `NIC ${nicName} learns no prefixes (${why}), so there is no address to form on it; ` +
    `set autoconf: true on ${nicName}, or give the service a fixed address`);
}

/** The content of a secret file: a regular file of at most SECRET_FILE_MAX bytes, checked
 *  on the open file before anything is read (a pipe, a device or a huge file would hang or
 *  fill memory), and read no further than that. */
function readSecret(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error("it is a directory"), { code: "EISDIR" });
    if (!st.isFile() || st.size > SECRET_FILE_MAX) {
      throw Object.assign(new Error(!st.isFile() ? "it is not a regular file (a pipe or a device)"
        : `it holds ${st.size} bytes, more than a secret's ${SECRET_FILE_MAX}`), { code: "ESPECIAL" });
    }
    const b = Buffer.alloc(SECRET_FILE_MAX);
    return b.subarray(0, fs.readSync(fd, b, 0, SECRET_FILE_MAX, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** The RFC 7217 secret_key: the first 16 bytes of SHA-512 of node.secret's content, or all
 *  zeros when the manifest names no secret. A missing or short file is reported at node.secret. */
export function secretKey(raw: unknown, baseDir: string, report: Report): Uint8Array {
  const node = isMapping(raw) ? raw.node : undefined;
  const file = isMapping(node) && typeof node.secret === "string" ? path.resolve(baseDir, node.secret) : null;
  if (file === null) return new Uint8Array(SECRET_BYTES);
  const make = `make one with \`head -c 32 /dev/urandom > ${file}\` (and keep it: the node's learned ` +
    "addresses follow from it), or remove node.secret to form them from public names only";
  let content: Buffer;
  try {
    content = readSecret(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "EISDIR" ? "it is a directory" : err.code === "ENOENT" ? "there is no such file"
      : err.code === "ESPECIAL" ? err.message : (err.code ?? err.message);
    report(["node", "secret"], `cannot read ${file}: ${why}; node.secret is the file with the ` +
      `node's secret for its learned addresses (RFC 7217); ` + (err.code === "EISDIR" || err.code === "ESPECIAL"
        ? `make a regular file with \`head -c 32 /dev/urandom > ${path.join(err.code === "EISDIR" ? file : baseDir, "node.secret")}\` ` +
          "and name it in node.secret"
        : make));
    return new Uint8Array(SECRET_BYTES);
  }
  if (content.length < SECRET_BYTES) {
    report(["node", "secret"], `${file} holds ${content.length} bytes; node.secret needs at least ${SECRET_BYTES} ` +
      `secret bytes; ${make}`);
    return new Uint8Array(SECRET_BYTES);
  }
  return Uint8Array.from(createHash("sha512").update(content).digest().subarray(0, SECRET_BYTES));
}

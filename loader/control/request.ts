// What `persia ctl load|grant` sends, from a small YAML file: a LOAD is one service entry
// exactly as in a manifest's `services:` (spec/manifest.md), a GRANT names a service's
// domain and the grants to replace or add (spec/control.md). Both are checked field by field
// with the manifest's own schema, every problem reported at its line, and NIC and disk
// names resolved against the node's manifest. A LOAD gives fixed addresses only: a
// `{ learned: <nic> }` entry is boot-only (abi/manifest.ts SVC_LEARNED) and refused here. The result is the message body of
// abi/control.ts: boot manifest records for one service. Admission is the node's (it knows
// what runs); this only refuses what no node could accept. Called by cli/ctl.ts.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import * as C from "../../abi/control";
import { NET_FORWARD, NET_LINK, RS_DEFAULT_FIRST_MS, RS_DEFAULT_MAX_MS } from "../../abi/manifest";
import { bootRecordList, frameRecords } from "../manifest/boot";
import { bootRecords, pages } from "../manifest/compile";
import { ManifestError, ManifestIssue, errorMap, zodIssues } from "../manifest/issues";
import { readYaml } from "../manifest/load";
import { Manifest, schemas } from "../manifest/schema";
import { isLearned } from "../manifest/autoconf";

type Parsed<K extends "service" | "runtimeGrant"> = z.output<ReturnType<typeof schemas>[K]>;

/** Parse `text` with one of the manifest's schemas; throws ManifestError with lines. */
function parseWith<K extends "service" | "runtimeGrant">(kind: K, text: string, file: string, baseDir: string,
  node: Manifest, extra: (p: Parsed<K>, report: (at: (string | number)[], msg: string) => void) => void): Parsed<K> {
  const { raw, at } = readYaml(text, file);
  const result = (schemas(baseDir)[kind] as z.ZodTypeAny).safeParse(raw, { errorMap });
  if (!result.success) throw new ManifestError(file, zodIssues(file, result.error, at));
  const issues: ManifestIssue[] = [];
  const report = (p: (string | number)[], message: string) => issues.push(at.issue(file, p, message));
  const v = result.data as Parsed<K> & { net?: { nic: string }[]; disk?: { device: string }[]; ram?: { min: number; max: number }; cpu?: { min: number; max: number } };
  const nics = node.nics.map((n) => n.name), disks = node.disks.map((d) => d.name);
  (v.net ?? []).forEach((e, i) => {
    if (!nics.includes(e.nic)) report(["net", i, "nic"], `${e.nic} is not a NIC of node ${node.node.name}; its NICs are ${nics.join(", ") || "none"}`);
  });
  (v.disk ?? []).forEach((g, i) => {
    if (!disks.includes(g.device)) report(["disk", i, "device"], `${g.device} is not a disk of node ${node.node.name}; its disks are ${disks.join(", ") || "none"}`);
  });
  if (v.ram && v.ram.min > v.ram.max) report(["ram", "min"], "is more than ram.max; min must be at most max");
  if (v.cpu && v.cpu.min > v.cpu.max) report(["cpu", "min"], "is more than cpu.max; min must be at most max");
  extra(result.data as Parsed<K>, report);
  if (issues.length > 0) throw new ManifestError(file, issues);
  return result.data as Parsed<K>;
}

export interface LoadRequest { domain: string; moduleHash: Uint8Array; body: Uint8Array; }
export interface GrantRequest { domain: string; body: Uint8Array; }

/** The records of a one-service manifest built from the node's, without the NIC's own. */
function serviceRecords(node: Manifest, s: Manifest["services"][number]) {
  const r = bootRecords({ ...node, services: [s], users: [], store: [] });
  return { ...r, nets: r.nets.filter((n) => n.svc !== NET_LINK && n.svc !== NET_FORWARD) };
}

/** A LOAD from a service entry in `file` (a manifest's `services:` item). The module file
 *  is read to hash it; the node must hold the same bytes in its store. */
export function loadRequest(text: string, file: string, baseDir: string, node: Manifest): LoadRequest {
  const parsed = parseWith("service", text, file, baseDir, node, (v, report) => {
    v.addresses.forEach((a, i) => {
      if (isLearned(a)) {
        report(["addresses", i], `{ learned: ${a.learned} } is only for services in the node's manifest, which start at boot; ` +
          "a LOAD gives a service fixed addresses, e.g. from a prefix the node's owner gave you (users[].addresses)");
      }
    });
    if (v.usb.length > 0) {
      report(["usb"], "a USB device is granted only at boot, to a service in the node's manifest (its services[].usb); " +
        "remove usb here, or ask the node's owner to grant the device in the manifest");
    }
  });
  const s = { ...parsed, addresses: parsed.addresses.filter((a): a is Uint8Array => !isLearned(a)), learned: [] };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(s.module);
  } catch (e) {
    throw new Error(`${file}: cannot read module ${s.module} (${(e as Error).message}); the node finds it by its SHA-256, so the same file is needed here`);
  }
  const moduleHash = new Uint8Array(createHash("sha256").update(bytes).digest());
  const r = serviceRecords(node, s);
  const records = frameRecords(bootRecordList({
    services: r.services, svcAddrs: r.svcAddrs, capDisks: r.capDisks, nets: r.nets, cpus: r.cpus, restarts: r.restarts,
  }));
  const body = new Uint8Array(C.LOAD_RECORDS + records.length);
  body.set(moduleHash, C.LOAD_HASH);
  body.set(records, C.LOAD_RECORDS);
  return { domain: s.domain, moduleHash, body };
}

/** A GRANT from `file`: a domain and any of ram, cpu, net, disk, restart. */
export function grantRequest(text: string, file: string, baseDir: string, node: Manifest): GrantRequest {
  const g = parseWith("runtimeGrant", text, file, baseDir, node, (v, report) => {
    if (!v.ram && !v.cpu && !v.net && !v.disk && !v.restart) report([], "grants nothing; give at least one of ram, cpu, net, disk, restart");
    const r = v.restart;
    if (r && (r.backoff ?? RS_DEFAULT_FIRST_MS) > (r.backoff_max ?? RS_DEFAULT_MAX_MS)) report(["restart", "backoff"], "is longer than backoff_max");
  });
  const r = serviceRecords(node, {
    domain: g.domain, module: "", addresses: [], learned: [], ram: g.ram ?? { min: 0, max: 0 }, restart: {
      limit: 0, backoff: g.restart ? g.restart.backoff ?? RS_DEFAULT_FIRST_MS : null, backoff_max: g.restart ? g.restart.backoff_max ?? RS_DEFAULT_MAX_MS : null,
    }, disk: g.disk ?? [], usb: [], net: g.net ?? [], cpu: g.cpu,
  });
  const records = frameRecords(bootRecordList({
    rams: g.ram ? [{ svc: 0, minPages: pages(g.ram.min), maxPages: pages(g.ram.max) }] : [],
    capDisks: r.capDisks, nets: r.nets, cpus: r.cpus, restarts: r.restarts,
  }));
  return { domain: g.domain, body: concat(nameBytes(g.domain), records) };
}

/** An UNLOAD's body. */
export function unloadBody(domain: string): Uint8Array { return nameBytes(domain); }

/** A REVOKE's body: the service, and the disk extent exactly as it was granted. */
export function revokeBody(domain: string, disk: number, offset: bigint, length: bigint): Uint8Array {
  const tail = new Uint8Array(C.RV_SIZE);
  const v = new DataView(tail.buffer);
  v.setUint8(C.RV_DISK, disk);
  v.setBigUint64(C.RV_OFFSET, offset, true);
  v.setBigUint64(C.RV_LENGTH, length, true);
  return concat(nameBytes(domain), tail);
}

function nameBytes(domain: string): Uint8Array {
  const n = new TextEncoder().encode(domain);
  return concat(Uint8Array.of(n.length), n);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Read and parse a request file; relative module paths resolve against its directory. */
export function readRequest<T>(file: string, parse: (text: string, file: string, baseDir: string) => T): T {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  return parse(text, file, path.dirname(path.resolve(file)));
}

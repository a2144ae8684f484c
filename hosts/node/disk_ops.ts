// The operator's disk operations on a running node, as the status socket receives them
// (`persia disk <node> detach|attach|fault …`, spec/hosts.md "Disks"): parses one request
// line, applies it to the node's DiskFile, and returns one sentence — what happened and
// what the kernel sees now, or why nothing happened and what to do. These are hardware
// operations of the host (a disk pulled, plugged, failing); the kernel's grants and the
// manifest never change (spec/security.md, "Disk operations").
// Does not open sockets or log by itself: node.ts logs each answer. Used by node.ts.
import * as fs from "fs";
import { DiskFile, DiskIdentity, clash, identityOf } from "./disk";

export interface DiskAnswer {
  ok: boolean;
  /** One sentence for the operator. */
  message: string;
  /** The disk's id and state after the operation (absent when the disk was not found). */
  disk?: number;
  state?: string;
}

/** The request line's shape: `disk <name or id> detach | attach [<path>] | fault error|off`. */
const REQUEST = /^disk\s+(\S+)\s+(detach|attach|fault)(?:\s+(.*\S))?\s*$/;

function refuse(message: string): DiskAnswer {
  return { ok: false, message };
}

/** Finds a disk by its manifest name or its id. */
function find(disks: readonly (DiskFile | undefined)[], names: Map<number, string>, which: string): DiskFile | string {
  for (const d of disks) {
    if (d !== undefined && (names.get(d.id) === which || String(d.id) === which)) return d;
  }
  const known = disks.filter((d): d is DiskFile => d !== undefined).map((d) => names.get(d.id) ?? String(d.id));
  return known.length === 0 ? "this node has no disks"
    : `this node has no disk "${which}"; its disks are ${known.join(", ")} (a name or an id)`;
}

/** Applies one request line to the node's disks. `own` lists the files the node runs from
 *  (its manifest, kernel and modules): never attached as a disk. Never throws. */
export function diskOperation(request: string, disks: readonly (DiskFile | undefined)[], names: Map<number, string>,
  own: readonly string[] = []): DiskAnswer {
  const m = REQUEST.exec(request);
  if (!m) return refuse(`"${request}" is not a disk operation; send "disk <disk> detach", "disk <disk> attach [<path>]" or "disk <disk> fault error|off"`);
  const [, which, op, arg] = m;
  const disk = find(disks, names, which);
  if (typeof disk === "string") return refuse(disk);
  const label = `disk ${disk.id}${names.has(disk.id) ? ` (${names.get(disk.id)})` : ""}`;
  const done = (message: string): DiskAnswer => ({ ok: true, message, disk: disk.id, state: disk.state });
  try {
    switch (op) {
      case "detach": {
        if (arg !== undefined) return refuse(`detach takes no argument; send "disk ${which} detach"`);
        disk.detach();
        return done(`${label} is detached: ${disk.path} is closed, and every read, write and flush of it now fails with ` +
          `ENODEV until it is attached again (persia disk <node> attach ${which} [<path>])`);
      }
      case "attach": {
        if (arg !== undefined && !arg.startsWith("/")) return refuse(`attach needs an absolute path; ${arg} is relative`);
        const holder = (ident: DiskIdentity): string | null => {
          // Every other disk, detached ones too (by what they were: their device may come back).
          const other = disks.find((d) => d !== undefined && d !== disk && clash(d.ident, ident));
          if (other !== undefined) return `disk ${other.id}${names.has(other.id) ? ` (${names.get(other.id)})` : ""}${other.state === "detached" ? ", detached" : ""}`;
          for (const f of own) {
            try { if (clash(identityOf(fs.statSync(f, { bigint: true })), ident)) return `the node's own file ${f}`; } catch { /* gone */ }
          }
          return null;
        };
        disk.attach(arg, holder);
        return done(`${label} is attached to ${disk.path} (${disk.size} bytes checked); reads, writes and flushes reach it again`);
      }
      default: {
        if (arg !== "error" && arg !== "off") return refuse(`fault takes "error" (every call fails with EIO) or "off"; got ${arg === undefined ? "nothing" : `"${arg}"`}`);
        disk.fault(arg === "error");
        return done(arg === "error" ? `${label} now fails every read, write and flush with EIO, as a failing disk; "fault off" ends it`
          : `${label} no longer has errors injected${disk.state === "detached" ? ", but it is detached" : ""}`);
      }
    }
  } catch (e) {
    return refuse(e instanceof Error ? e.message : String(e));
  }
}

// The Node host's store for modules PUT over the network (spec/control.md "Module transfer
// (PUT)"): the host side of mod_stage, mod_write, mod_read, mod_commit and mod_abort, in
// the directory the manifest's `store: - { network: dir }` names. A transfer's bytes go to
// a staging file (`.staging-<slot>`) that nothing loads; on mod_commit — after the kernel
// read it back and checked its SHA-256 and signature — it is fsynced, validated and
// metered by the loader, renamed to `<sha256>.wasm` and the directory fsynced, and only
// then handed to the ServiceHost, so a half-written module is never loadable. Content-
// addressed: a module held already is staged as MS_HELD and read from its file, stored once.
// The directory's modules last until the node stops: at start they are removed, as the
// kernel's quota accounting starts again at every boot (a node boots from its manifest).
// Does not check hashes, signatures or quotas (the kernel does). Used by node.ts.
import * as fs from "fs";
import { createHash } from "crypto";
import * as path from "path";
import * as C from "../../abi/control";
import { Errno } from "../../abi/errno";
import { PUT_MAX } from "../../abi/limits";
import { Binaryen } from "../../loader/instrument/binaryen";
import { ServiceHost } from "./services";

const MODULE_FILE = /^[0-9a-f]{64}\.wasm$/;
const STAGING = ".staging-";

interface Staged { fd: number; file: string; hash: string; size: number; held: boolean; }

export class ModuleStore {
  private readonly slots: (Staged | undefined)[] = [];

  /** Opens (and creates) dir and removes what an earlier run left there: its modules and
   *  staging files, nothing else. */
  constructor(readonly dir: string, private readonly services: ServiceHost, private readonly binaryen: Binaryen,
    private readonly ramMaxPages: number, private readonly log: (line: string) => void) {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) {
      if (MODULE_FILE.test(f) || f.startsWith(STAGING)) fs.rmSync(path.join(dir, f), { force: true });
    }
  }

  private fileOf(hash: string): string { return path.join(this.dir, `${hash}.wasm`); }

  /** mod_stage: MS_STAGED, MS_HELD, or -Errno. */
  stage(slot: number, hash: Uint8Array, size: number): number {
    if (slot < 0 || slot >= PUT_MAX || size <= 0) return -Errno.EINVAL;
    this.abort(slot);
    const hex = Buffer.from(hash).toString("hex");
    try {
      if (this.services.hasPut(hex)) {
        this.slots[slot] = { fd: fs.openSync(this.fileOf(hex), "r"), file: this.fileOf(hex), hash: hex, size, held: true };
        return C.MS_HELD;
      }
      const file = path.join(this.dir, `${STAGING}${slot}`);
      const fd = fs.openSync(file, "w+", 0o600);
      this.slots[slot] = { fd, file, hash: hex, size, held: false };
      return C.MS_STAGED;
    } catch (e) {
      this.log(`module store ${this.dir}: cannot stage a module: ${(e as Error).message}`);
      return (e as NodeJS.ErrnoException).code === "ENOSPC" ? -Errno.ENOSPC : -Errno.EIO;
    }
  }

  /** mod_write: bytes into the staging file at off; 0 or -Errno. */
  write(slot: number, off: number, bytes: Uint8Array): number {
    const s = this.slots[slot];
    if (!s || s.held || off < 0 || off + bytes.length > s.size) return -Errno.EINVAL;
    try {
      fs.writeSync(s.fd, bytes, 0, bytes.length, off);
      return 0;
    } catch (e) {
      this.log(`module store ${this.dir}: cannot write a chunk: ${(e as Error).message}`);
      return -Errno.EIO;
    }
  }

  /** mod_read: into `into` from off; the bytes read or -Errno. */
  read(slot: number, off: number, into: Uint8Array): number {
    const s = this.slots[slot];
    if (!s || off < 0 || off + into.length > s.size) return -Errno.EINVAL;
    try {
      return fs.readSync(s.fd, into, 0, into.length, off);
    } catch {
      return -Errno.EIO;
    }
  }

  /** mod_commit: durable, then validated and metered, then renamed into place and loadable. */
  commit(slot: number): number {
    const s = this.slots[slot];
    if (!s) return -Errno.EINVAL;
    if (s.held) { this.abort(slot); return 0; }
    try {
      fs.fsyncSync(s.fd);
      // The bytes the kernel checked: read through the same descriptor (not the path again),
      // and their SHA-256 checked here too, so what is stored under the name is what it names.
      const bytes = Buffer.alloc(s.size);
      if (fs.readSync(s.fd, bytes, 0, s.size, 0) !== s.size || createHash("sha256").update(bytes).digest("hex") !== s.hash) {
        this.log(`module store: refused module ${s.hash}: the staged bytes changed after the kernel checked them`);
        this.abort(slot);
        return -Errno.EBADMSG;
      }
      const refused = this.services.addPut(this.binaryen, bytes, s.hash, this.ramMaxPages);
      if (refused !== null) {
        this.log(`module store: refused module ${s.hash}: ${refused}`);
        this.abort(slot);
        return -Errno.EBADMSG;
      }
      fs.closeSync(s.fd);
      this.slots[slot] = undefined;
      fs.renameSync(s.file, this.fileOf(s.hash));
      const dirFd = fs.openSync(this.dir, "r");
      try { fs.fsyncSync(dirFd); } finally { fs.closeSync(dirFd); }
      this.log(`module store: stored module ${s.hash} (${s.size} bytes) in ${this.dir}`);
      return 0;
    } catch (e) {
      this.log(`module store ${this.dir}: cannot commit module ${s.hash}: ${(e as Error).message}`);
      this.services.dropPut(s.hash);
      this.abort(slot);
      return -Errno.EIO;
    }
  }

  /** mod_abort: the staging file is removed (a held module stays). */
  abort(slot: number): void {
    const s = this.slots[slot];
    if (!s) return;
    this.slots[slot] = undefined;
    try { fs.closeSync(s.fd); } catch { /* closed already */ }
    if (!s.held) fs.rmSync(s.file, { force: true });
  }

  close(): void {
    for (let k = 0; k < this.slots.length; k++) this.abort(k);
  }
}

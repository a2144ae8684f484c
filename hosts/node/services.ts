// The service side of the host ABI under Node: one WebAssembly.Instance per service, each
// with its own memory whose maximum is the service's RAM max. Implements svc_start,
// svc_stop, svc_call (under a fuel budget), svc_fuel_used, svc_read and svc_write for
// node.ts, and forwards every syscall a service makes to the kernel's k_sys.
// Exceptions a service raises become Fault numbers here and never unwind into the kernel;
// a failure of the kernel itself inside a syscall is rethrown (faults.ts KernelTrap).
// add() and addStore() have the loader validate (loader/wasm/validate.ts) and meter
// (loader/instrument/fuel.ts, through cache.ts: once per distinct module in the process) each module, so no unmetered code ever runs. Service ids
// are slots, laid out as in a wasmtime image (spec/control.md): the manifest's services,
// then each store entry's slots, then the slots of modules PUT over the network (store.ts
// hands each one over with addPut once the kernel checked it); svc_load gives a run-time
// LOAD a free slot of the module it names by SHA-256. Does not decide budgets, restarts or
// backoff (the kernel does).
import { createHash } from "crypto";
import * as C from "../../abi/control";
import { FUEL_EXPORTS, FUEL_IMPORTS, SERVICE_ENV_IMPORTS, SYSCALLS, SYSCALL_MODULE } from "../../abi/contract";
import { Errno } from "../../abi/errno";
import { SVC_MAX } from "../../abi/limits";
import { Entry, Fault } from "../../abi/kernel";
import { compileMetered, compileMeteredWith } from "../../loader/instrument/cache";
import { Binaryen } from "../../loader/instrument/binaryen";
import { validateService } from "../../loader/wasm/validate";
import { abortText, classifyFault, describeError, FuelExhausted, KernelTrap, ServiceAbort } from "./faults";
import { KernelInstance, SysFn } from "./kernel";
import { inRange, MemView } from "./memview";

const WASM_PAGE = 65536;

type Syscall5 = (a0: number, a1: number, a2: number, a3: number, a4: number) => number;

/** What a service host needs of the kernel: k_sys and its memory (tests pass a fake). */
export type KernelSide = Pick<KernelInstance, "sys" | "bytes">;

/** One service slot: the compiled, metered module (or why the loader refused it) and,
 *  while the service runs, its instance, memory, fuel global and entry points. */
class Slot {
  instance: WebAssembly.Instance | null = null;
  ramMaxPages: number;
  view: MemView | null = null;
  fuel: WebAssembly.Global | null = null;
  init: (() => void) | null = null;
  event: (() => void) | null = null;
  lastFault = "";
  fuelUsed = 0n;
  /** Bumped by drop: a start can tell that its own start function got the service stopped. */
  drops = 0;

  constructor(
    readonly name: string,
    readonly module: WebAssembly.Module | null,
    readonly refused: string | null,
    readonly memoryMinPages: number,
    ramMaxPages: number,
    readonly declaredMaxPages: number | null = null,
  ) {
    this.ramMaxPages = declaredMaxPages === null ? ramMaxPages : Math.min(ramMaxPages, declaredMaxPages);
  }

  drop(): void {
    this.drops++;
    this.instance = null;
    this.view = null;
    this.fuel = null;
    this.init = null;
    this.event = null;
  }
}

/** A slot whose service runs: start sets its view and fuel global, drop clears them. */
type Running = Slot & { view: MemView; fuel: WebAssembly.Global };

function isRunning(slot: Slot | undefined): slot is Running {
  return slot !== undefined && slot.view !== null && slot.fuel !== null;
}

/** Who the syscall imports act for: the service whose code runs now. */
interface Current { svc: number; }

/** k_sys for one syscall, on behalf of whichever service runs now (cur.svc), specialised by
 *  arity so that a call allocates nothing. One function per syscall serves every instance
 *  (issue #17, EC): closures per service made 1,000 services' calls miss the cache on their
 *  contexts. A kernel failure is wrapped in KernelTrap so svc_call can tell it apart. */
function syscallImport(sys: SysFn, cur: Current, nr: number, arity: number): Function {
  const call: Syscall5 = (a0, a1, a2, a3, a4) => {
    try {
      return sys(cur.svc, nr, a0, a1, a2, a3, a4);
    } catch (e) {
      throw e instanceof KernelTrap ? e : new KernelTrap(e);
    }
  };
  switch (arity) {
    case 0: return () => call(0, 0, 0, 0, 0);
    case 1: return (a0: number) => call(a0, 0, 0, 0, 0);
    case 2: return (a0: number, a1: number) => call(a0, a1, 0, 0, 0);
    case 3: return (a0: number, a1: number, a2: number) => call(a0, a1, a2, 0, 0);
    case 4: return (a0: number, a1: number, a2: number, a3: number) => call(a0, a1, a2, a3, 0);
    case 5: return call;
    default: throw new Error(`syscall ${nr} has ${arity} parameters; k_sys forwards at most 5`);
  }
}

/** fuel_exhausted, the same for every instance: unwinds the call (svc_call reports FUEL). */
function fuelExhausted(): never {
  throw new FuelExhausted();
}

function put(imports: WebAssembly.Imports, module: string, name: string, value: WebAssembly.ImportValue): void {
  (imports[module] ??= {})[name] = value;
}

/** A module validated, metered and compiled once, or why the loader refused it. */
interface Prepared {
  module: WebAssembly.Module | null;
  refused: string | null;
  memoryMinPages: number;
  declaredMaxPages: number | null;
}

/** What a service id may hold: the SHA-256 of its module file, the file itself as it was
 *  signed (module_read), the most RAM a service there may get, and whether a service holds
 *  it now. A slot for PUT modules (network) takes any module addPut prepared; its hash,
 *  file and prepared module are those of the one it holds. */
interface SlotPlace { hash: string; file: Uint8Array; ceilingPages: number; loaded: boolean; prepared: Prepared; network?: boolean; }

const NO_MODULE: Prepared = { module: null, refused: "no module", memoryMinPages: 0, declaredMaxPages: null };
const NO_FILE = new Uint8Array(0);

export class ServiceHost {
  private readonly slots: (Slot | undefined)[] = [];
  private readonly places: (SlotPlace | undefined)[] = [];
  private readonly prepared = new Map<string, Prepared>();
  /** Modules PUT over the network, by SHA-256 (hex), validated, metered and compiled. */
  private readonly put = new Map<string, { file: Uint8Array; prepared: Prepared }>();
  private kernel: KernelSide | null = null;
  /** The service whose code runs now (-1: none), for the shared syscall imports. Set around
   *  each instantiation and call and restored after: a syscall may start another service. */
  private readonly cur: Current = { svc: -1 };
  /** The syscall and fuel imports, [module, name, function], made once and shared by every
   *  instance (syscallImport). */
  private shared: [string, string, Function][] = [];
  /** Running service id's memory as bytes, by id, for svc_read and svc_write: a copy to one
   *  of 1,000 services does not first load its Slot and MemView (issue #17, EC). Stale after
   *  a grow detached them (`bytesOf` rebuilds them). Set by start, cleared by dropSlot. */
  private readonly hotBytes: (Uint8Array | undefined)[] = [];

  /** Connects the kernel whose k_sys the services call and whose memory svc_read and
   *  svc_write copy to and from. Call once, before the kernel boots. */
  attach(kernel: KernelSide): void {
    this.kernel = kernel;
    this.shared = SYSCALLS.map((s) => [SYSCALL_MODULE, s.name, syscallImport(kernel.sys, this.cur, s.nr, s.params.length)]);
    for (const f of FUEL_IMPORTS) this.shared.push([f.module, f.name, fuelExhausted]);
  }

  /** Validates a service module with the loader, meters it and compiles it, once. Its
   *  memory's maximum is the RAM max, or the module's own declared maximum if that is lower.
   *  A refused module is kept as refused: svc_start then reports Fault.BAD_MODULE and
   *  faultMessage says why. Resolves to false if refused. */
  async add(id: number, bytes: Uint8Array, name: string, ramMaxPages: number): Promise<boolean> {
    const p = await this.prepare(bytes, name, ramMaxPages);
    this.places[id] = { hash: sha256(bytes), file: bytes, ceilingPages: ramMaxPages, loaded: true, prepared: p };
    this.slots[id] = new Slot(name, p.module, p.refused, p.memoryMinPages, ramMaxPages, p.declaredMaxPages);
    return p.module !== null;
  }

  /** A store entry (manifest store:): its module, prepared now, may be LOADed at run time
   *  into ids firstId .. firstId + slots - 1, with at most ramMaxPages of RAM. Resolves to
   *  null, or to why the loader refused the module. */
  async addStore(firstId: number, bytes: Uint8Array, label: string, ramMaxPages: number, slots: number): Promise<string | null> {
    const p = await this.prepare(bytes, label, ramMaxPages);
    for (let k = 0; k < slots; k++) {
      this.places[firstId + k] = { hash: sha256(bytes), file: bytes, ceilingPages: ramMaxPages, loaded: false, prepared: p };
    }
    return p.refused;
  }

  /** Ids firstId .. firstId + slots - 1 may run modules PUT over the network, with at most
   *  ramMaxPages of RAM (the manifest's store entry with `network`). */
  addNetwork(firstId: number, ramMaxPages: number, slots: number): void {
    for (let k = 0; k < slots; k++) {
      this.places[firstId + k] = { hash: "", file: NO_FILE, ceilingPages: ramMaxPages, loaded: false, prepared: NO_MODULE, network: true };
    }
  }

  /** A module PUT over the network, checked whole by the kernel: the loader validates and
   *  meters it now (synchronously: mod_commit is a host import), with binaryen loaded
   *  already. null, or why the loader refuses it (then it is not kept). */
  addPut(b: Binaryen, bytes: Uint8Array, hash: string, ramMaxPages: number): string | null {
    try {
      const label = `module ${hash.slice(0, 16)}…`;
      const info = validateService(bytes, label, ramMaxPages);
      const module = compileMeteredWith(b, bytes, label);
      this.put.set(hash, { file: bytes, prepared: { module, refused: null, memoryMinPages: info.memoryMinPages, declaredMaxPages: info.memoryMaxPages ?? null } });
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Forget a PUT module (its file could not be stored). */
  dropPut(hash: string): void { this.put.delete(hash); }

  /** Is a module with this SHA-256 (hex) PUT and prepared? */
  hasPut(hash: string): boolean { return this.put.has(hash); }

  private async prepare(bytes: Uint8Array, name: string, ramMaxPages: number): Promise<Prepared> {
    const key = `${sha256(bytes)}/${ramMaxPages}`;
    const known = this.prepared.get(key);
    if (known) return known;
    let p: Prepared;
    try {
      const info = validateService(bytes, name, ramMaxPages);
      const module = await compileMetered(bytes, name);   // metered and compiled once per process (issue #17)
      p = { module, refused: null, memoryMinPages: info.memoryMinPages, declaredMaxPages: info.memoryMaxPages ?? null };
    } catch (e) {
      p = { module: null, refused: `module refused: ${e instanceof Error ? e.message : String(e)}`, memoryMinPages: 0, declaredMaxPages: null };
    }
    this.prepared.set(key, p);
    return p;
  }

  /** svc_load: the request (abi/control.ts SL_*) names a module by SHA-256; the lowest
   *  free id (in the kernel's mask, and not holding a service here) among its slots gets
   *  it. The id, or -ENOENT (no such module), -ENOSPC (no free slot, or RAM over its
   *  ceiling), -EINVAL (RAM below the module's initial memory). */
  load(req: Uint8Array): number {
    if (req.length < C.SL_NAME || req.length !== C.SL_NAME + req[C.SL_NAME_LEN]) return -Errno.EINVAL;
    const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
    const hash = Buffer.from(req.subarray(C.SL_HASH, C.SL_HASH + 32)).toString("hex");
    const ram = v.getUint32(C.SL_RAM_MAX, true);
    const free = (i: number): boolean => i < SVC_MAX && ((req[C.SL_FREE + (i >>> 3)] >>> (i & 7)) & 1) === 1;
    const name = new TextDecoder().decode(req.subarray(C.SL_NAME));
    const stored = this.places.some((p) => p?.hash === hash && !p.network);
    const put = stored ? undefined : this.put.get(hash);
    if (!stored && put === undefined) return -Errno.ENOENT;
    const id = this.places.findIndex((p, i) => p !== undefined && !p.loaded && free(i) &&
      ram <= p.ceilingPages && (stored ? p.hash === hash && !p.network : p.network === true));
    if (id < 0) return -Errno.ENOSPC;
    const place = this.places[id]!;
    const prepared = put?.prepared ?? place.prepared;
    if (ram < prepared.memoryMinPages) return -Errno.EINVAL;
    if (put !== undefined) { place.hash = hash; place.file = put.file; place.prepared = put.prepared; }
    place.loaded = true;
    this.slots[id] = new Slot(name, prepared.module, prepared.refused, prepared.memoryMinPages, ram, prepared.declaredMaxPages);
    return id;
  }

  /** module_read: copies bytes [off, off+len) of slot id's module file (as many as exist) to
   *  kernel memory at dst; the file's size, or -ENOENT for a slot without a module. */
  moduleRead(id: number, off: number, kernel: Uint8Array, dst: number, len: number): number {
    const file = this.places[id]?.file;
    if (!file || file.length === 0) return -Errno.ENOENT;
    const from = Math.min(off >>> 0, file.length), n = Math.min(len >>> 0, file.length - from);
    if (n > 0) {
      if (!inRange(dst, n, kernel.length)) throw new RangeError(`module_read(${id}, ${off >>> 0}, ${dst >>> 0}, ${len >>> 0}) lies outside kernel memory`);
      kernel.set(file.subarray(from, from + n), dst >>> 0);
    }
    return file.length;
  }

  /** svc_unload: service id is gone; its slot may be LOADed again. */
  unload(id: number): void {
    this.dropSlot(id);
    this.slots[id] = undefined;
    const place = this.places[id];
    if (place) place.loaded = false;
    if (place?.network) { place.hash = ""; place.file = NO_FILE; place.prepared = NO_MODULE; }
  }

  /** svc_ram: the RAM max for the service's next start; 0, or -ENOSPC over its ceiling,
   *  -EINVAL below the module's initial memory. */
  setRam(id: number, pages: number): number {
    const place = this.places[id], slot = this.slots[id];
    if (!place || !slot || pages > place.ceilingPages) return -Errno.ENOSPC;
    if (pages < slot.memoryMinPages) return -Errno.EINVAL;
    slot.ramMaxPages = slot.declaredMaxPages === null ? pages : Math.min(pages, slot.declaredMaxPages);
    return 0;
  }

  name(id: number): string {
    return this.slots[id]?.name ?? `service ${id}`;
  }

  running(id: number): boolean {
    return this.slots[id]?.instance != null;
  }

  /** The message of the service's last fault, or "" if it has none. */
  faultMessage(id: number): string {
    const slot = this.slots[id];
    return slot ? slot.lastFault || slot.refused || "" : "";
  }

  /** The service's memory now and its RAM max, in pages (now is 0 while it is stopped). */
  ram(id: number): { pages: number; maxPages: number } {
    const slot = this.slots[id];
    if (!slot) return { pages: 0, maxPages: 0 };
    const bytes = slot.view ? slot.view.memory.buffer.byteLength : 0;
    return { pages: bytes / WASM_PAGE, maxPages: slot.ramMaxPages };
  }

  /** svc_start: (re)instantiates the service with a fresh memory. */
  start(id: number): Fault {
    const slot = this.slots[id];
    if (slot === undefined) return this.refuse(id, `no module was given for service ${id}`);
    this.dropSlot(id);
    if (slot.module === null) return this.fail(slot, Fault.BAD_MODULE, slot.refused ?? "module refused");
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: slot.memoryMinPages, maximum: slot.ramMaxPages });
    } catch (e) {
      return this.fail(slot, Fault.INSTANTIATE, `cannot allocate ${slot.memoryMinPages} pages: ${describeError(e)}`);
    }
    const view = new MemView(memory);
    const drops = slot.drops;
    const prev = this.cur.svc;
    this.cur.svc = id;   // its start function may make syscalls
    try {
      const instance = new WebAssembly.Instance(slot.module, this.imports(memory, view));
      // Its start function got it unloaded (the id maybe LOADed again) or stopped (a GRANT's
      // restart; the same Slot): this instance is not the service's, and svc_read/svc_write
      // must not reach it. Both drop the slot, so its drop count tells (this.slots[id] !==
      // slot alone misses the restart).
      if (slot.drops !== drops) return Fault.NONE;
      const exports = instance.exports as Record<string, unknown>;
      const event = exports.persia_event;
      if (typeof event !== "function") return this.fail(slot, Fault.BAD_MODULE, "module does not export persia_event");
      const fuel = exports[FUEL_EXPORTS.fuel.name];
      if (!(fuel instanceof WebAssembly.Global)) return this.fail(slot, Fault.BAD_MODULE, `module is not metered (no ${FUEL_EXPORTS.fuel.name})`);
      const init = exports.persia_init;
      slot.instance = instance;
      slot.view = view;
      slot.fuel = fuel;
      slot.event = event as () => void;
      slot.init = typeof init === "function" ? init as () => void : null;
      this.hotBytes[id] = view.bytes;   // the slot is the id's: checked above
      return Fault.NONE;
    } catch (e) {
      if (e instanceof KernelTrap) throw e;
      if (e instanceof WebAssembly.LinkError) return this.fail(slot, Fault.INSTANTIATE, describeError(e));
      if (slot.drops !== drops) return Fault.NONE;   // stopped from inside, as in run
      const fault = this.classify(e, memory, slot);
      const why = fault === Fault.FUEL ? `used its budget of ${FUEL_EXPORTS.fuel.start} fuel units` : describeError(e);
      return this.fail(slot, fault, `in its start function: ${why}`);
    } finally {
      this.cur.svc = prev;
    }
  }

  /** svc_stop: drops the instance and its memory. */
  stop(id: number): void {
    this.dropSlot(id);
  }

  /** The instance of service id is gone: its Slot and the hot arrays forget it. */
  private dropSlot(id: number): void {
    this.slots[id]?.drop();
    this.hotBytes[id] = undefined;
  }

  /** svc_call: runs one entry point with `fuel` units of fuel (the kernel's budget). Every
   *  exception the service raises becomes a Fault; running out of fuel is Fault.FUEL. */
  call(id: number, entry: number, fuel: bigint): Fault {
    const slot = this.slots[id];
    if (entry === Entry.EVENT && isRunning(slot) && slot.event !== null) return this.run(id, slot, slot.event, fuel);
    if (slot !== undefined) slot.fuelUsed = 0n;
    if (!isRunning(slot)) return this.refuse(id, `entry ${Entry[entry] ?? entry} called while the service is not running`);
    const fn = entry === Entry.EVENT ? slot.event : entry === Entry.INIT ? slot.init : undefined;
    if (fn === null && entry === Entry.INIT) return Fault.NONE;
    if (!fn) return this.fail(slot, Fault.TRAP, `no entry point ${entry}`);
    return this.run(id, slot, fn, fuel);
  }

  /** Runs fn, an entry point of service id, with `fuel` units of fuel; the syscalls it makes
   *  act for id. */
  private run(id: number, slot: Running, fn: () => void, fuel: bigint): Fault {
    const meter = slot.fuel;
    slot.fuelUsed = 0n;
    meter.value = fuel;
    const prev = this.cur.svc;
    this.cur.svc = id;
    try {
      fn();
      return Fault.NONE;
    } catch (e) {
      if (e instanceof KernelTrap) throw e;
      // The kernel stopped, restarted or unloaded the service from inside the call (a
      // control message it sent to the node: UNLOAD of itself, a GRANT that changes its
      // RAM): this instance is gone, and what it did last no longer matters to anyone — as
      // the metal host's instance::call. Its slot has no view to classify the fault by, and
      // a fault reported for an id the kernel freed would bring the id back as a service.
      if (slot.view === null || this.slots[id] !== slot) return Fault.NONE;
      const fault = this.classify(e, slot.view.memory, slot);
      return this.fail(slot, fault, fault === Fault.FUEL ? `used its budget of ${fuel} fuel units in one call` : describeError(e));
    } finally {
      this.cur.svc = prev;
      slot.fuelUsed = fuel - (meter.value as bigint);
    }
  }

  /** svc_fuel_used: the fuel units the service's last call consumed (0 if it did not run). */
  fuelUsed(id: number): bigint {
    return this.slots[id]?.fuelUsed ?? 0n;
  }

  /** Service id's memory as it is now, or null if it has no instance: for tools and tests
   *  that look inside a running service. */
  memoryOf(id: number): Uint8Array | null {
    return this.slots[id]?.view?.bytes ?? null;
  }

  /** svc_read: service [src, +len) → kernel [dst, +len); 0 or -EFAULT. */
  read(id: number, src: number, dst: number, len: number): number {
    const from = this.bytesOf(id);
    const to = this.kernel?.bytes;
    if (from === undefined || to === undefined) return -Errno.EFAULT;
    if (!inRange(src, len, from.length) || !inRange(dst, len, to.length)) return -Errno.EFAULT;
    src >>>= 0;
    to.set(from.subarray(src, src + (len >>> 0)), dst >>> 0);
    return 0;
  }

  /** svc_write: kernel [src, +len) → service [dst, +len); 0 or -EFAULT. */
  write(id: number, dst: number, src: number, len: number): number {
    const to = this.bytesOf(id);
    const from = this.kernel?.bytes;
    if (from === undefined || to === undefined) return -Errno.EFAULT;
    if (!inRange(src, len, from.length) || !inRange(dst, len, to.length)) return -Errno.EFAULT;
    src >>>= 0;
    to.set(from.subarray(src, src + (len >>> 0)), dst >>> 0);
    return 0;
  }

  /** Running service id's memory as bytes, or undefined: the hot array's view, rebuilt
   *  when a grow detached it (a detached view is 0 bytes long, as MemView tests). */
  private bytesOf(id: number): Uint8Array | undefined {
    const bytes = this.hotBytes[id];
    if (bytes === undefined || bytes.length !== 0) return bytes;
    const view = this.slots[id]?.view;
    return view ? (this.hotBytes[id] = view.bytes) : undefined;
  }

  private imports(memory: WebAssembly.Memory, view: MemView): WebAssembly.Imports {
    if (this.kernel === null) throw new Error("ServiceHost.attach(kernel) must be called before services start");
    const imports: WebAssembly.Imports = {};
    for (const [module, name, fn] of this.shared) put(imports, module, name, fn);
    const { memory: mem, abort } = SERVICE_ENV_IMPORTS;
    put(imports, mem.module, mem.name, memory);
    put(imports, abort.module, abort.name, (msg: number, file: number, line: number, col: number) => {
      throw new ServiceAbort(abortText(view.bytes, msg, file, line, col));
    });
    return imports;
  }

  private classify(e: unknown, memory: WebAssembly.Memory, slot: Slot): Fault {
    return classifyFault(e, {
      pages: memory.buffer.byteLength / WASM_PAGE,
      initialPages: slot.memoryMinPages,
      maxPages: slot.ramMaxPages,
    });
  }

  private fail(slot: Slot, fault: Fault, message: string): Fault {
    slot.lastFault = message;
    return fault;
  }

  private refuse(id: number, message: string): Fault {
    const slot = this.slots[id] ?? new Slot(`service ${id}`, null, message, 0, 0);
    this.slots[id] = slot;
    return this.fail(slot, slot.module === null ? Fault.BAD_MODULE : Fault.TRAP, message);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

// PersiaNode: one running node under Node.js. It implements every host import by wiring
// the kernel to the service host, NIC backends, disks, the log and the random source, and
// runs the event loop: each received frame goes to the kernel at once and schedules one
// poll (coalesced on setImmediate); after each poll a timer waits for the deadline the
// kernel returned. shutdown() stops gracefully: polls become k_stop until the kernel says
// the stop is done (a router's final RAs went out), then stop() closes everything.
// Does not parse YAML, verify signatures or open NIC backends (the CLI does, through the
// loader); it checks that what it is given matches the boot manifest. A kernel failure
// (a trap, a host import it misused) stops the node and is emitted as "error".
// Used by the CLI (cli/cli.ts), the demo and host integration tests.
import { randomFillSync } from "crypto";
import { EventEmitter } from "events";
import type { Server } from "net";
import { errnoText, FAULT_TEXT } from "../../abi/describe";
import { Errno } from "../../abi/errno";
import { Fault, LogLevel, NicKind, STOP_MAX_MS } from "../../abi/kernel";
import { BootManifest, decodeBootManifest } from "../../loader/manifest";
import { DiskFile } from "./disk";
import { DiskAnswer, diskOperation } from "./disk_ops";
import { HostImports, KernelInstance } from "./kernel";
import { inRange } from "./memview";
import { GsoTarget, NicBackend } from "./nic/nic";
import { ServiceHost } from "./services";
import { ModuleStore } from "./store";
import { UsbHost, UsbMatch } from "./usb";
import { loadBinaryen } from "../../loader/instrument/binaryen";
import { decodeStatus, Status } from "../../loader/status/decode";
import { statusServer } from "./status_server";
import { CaptureTap, captureStream } from "./capture";
import type { CaptureHeader } from "../../loader/capture/record";

export type LogOrigin = "kernel" | "host";
export type LogSink = (level: LogLevel, line: string, origin: LogOrigin) => void;
type ById<T> = Map<number, T> | Record<number, T>;

export interface PersiaNodeOptions {
  /** kernel.wasm */
  kernelBytes: Uint8Array;
  /** The binary boot manifest (abi/manifest.ts), as compiled by the loader. */
  boot: Uint8Array;
  /** Module bytes per service id, for every SERVICE record of the manifest. */
  services?: ById<Uint8Array>;
  /** One backend per NIC record; each carries its NIC id. The node owns and closes them. */
  nics?: NicBackend[];
  /** Modules a run-time LOAD may start (manifest store:), in order; their slots' ids follow
   *  the services' (spec/control.md). */
  store?: { bytes: Uint8Array; label: string; ramMaxPages: number; slots: number }[];
  /** The store entry for modules PUT over the network (the manifest's `store: - { network:
   *  dir }`, always last): its directory, RAM ceiling and slots. Without it a PUT is refused. */
  network?: { dir: string; ramMaxPages: number; slots: number } | null;
  /** A file or block device path per DISK record. */
  disks?: ById<string>;
  /** The files the node runs from (manifest, kernel, modules): `persia disk attach` never
   *  takes one as a disk (launch.ts gives them). */
  ownFiles?: string[];
  /** How the host finds each USB device of the manifest (its usb: entries, usb.ts). */
  usb?: UsbMatch[];
  /** The manifest's name of each NIC id, for status output and captures (launch.ts gives
   *  them); default "nic<id>". */
  nicNames?: ById<string>;
  /** The manifest's name of each disk id, for status output and `persia disk` (launch.ts
   *  gives them); without one a disk is named by its id. */
  diskNames?: ById<string>;
  /** Kernel time in ms; default: ms since the node was constructed. */
  clock?: () => bigint;
  log?: LogSink;
  /** false: never poll on its own; the caller calls poll() (deterministic tests). */
  autoPoll?: boolean;
}

/** Kernel log lines kept for error messages (a failed boot, a kernel trap). */
const RECENT_LINES = 20;
/** setTimeout's largest delay (2^31 - 1 ms); a later deadline re-arms when it fires. */
const TIMER_MAX_MS = 0x7fffffffn;

function byId<T>(m: ById<T> | undefined): Map<number, T> {
  if (m === undefined) return new Map();
  return m instanceof Map ? m : new Map(Object.entries(m).map(([k, v]) => [Number(k), v]));
}

function defaultLog(level: LogLevel, line: string, origin: LogOrigin): void {
  process.stderr.write(`${(LogLevel[level] ?? String(level)).toLowerCase()} ${origin}: ${line}\n`);
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class PersiaNode extends EventEmitter {
  /** The boot manifest, decoded: which NICs, disks and services this node must provide. */
  readonly plan: BootManifest;
  readonly services = new ServiceHost();
  readonly kernel: KernelInstance;
  /** Packet capture (capture.ts): subscribe to what the kernel reports. */
  readonly capture: CaptureTap;
  private readonly options: PersiaNodeOptions;
  private readonly clock: () => bigint;
  private readonly sink: LogSink;
  private readonly nics: (NicBackend | undefined)[] = [];
  private readonly disks: (DiskFile | undefined)[] = [];
  private readonly recent: string[] = [];
  /** Modules PUT over the network (store.ts), when the manifest gives them a store entry. */
  private store: ModuleStore | null = null;
  private usb: UsbHost | null = null;
  private logged = 0;
  private readonly decoder = new TextDecoder("utf-8");
  private readonly rxTooLong: number[] = [];
  private readonly modules: Map<number, Uint8Array>;
  private booted = false;
  private running = false;
  private pollQueued = false;
  private flushPending = false;   // a microtask will hand the queued frames over (queuedFlush)
  private turnNow = 0n;           // the clock when this turn's first frame came (frame())
  private timer: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private lastDeadline = -1n;
  private stopping: (() => void) | null = null;
  private closed = false;                     // stop() has run
  private stopped: Promise<void> | null = null;

  /** Checks the given services, NICs and disks against the boot manifest and instantiates
   *  the kernel. Throws with a readable message on any mismatch. Nothing runs yet, and no
   *  service module is looked into before start(). */
  constructor(options: PersiaNodeOptions) {
    super();
    this.options = options;
    this.sink = options.log ?? defaultLog;
    const t0 = performance.now();
    this.clock = options.clock ?? (() => BigInt(Math.floor(performance.now() - t0)));
    this.plan = decodeBootManifest(options.boot);
    this.modules = this.checkServices(byId(options.services));
    this.addNics(options.nics ?? []);
    this.kernel = new KernelInstance(options.kernelBytes, this.hostImports());
    this.capture = new CaptureTap((mask, nic, svc) => this.kernel.capture(mask, nic, svc));
    this.services.attach(this.kernel);
  }

  /** The deadline the last poll returned (ms, or -1n for none). */
  get deadline(): bigint {
    return this.lastDeadline;
  }

  /** Has the loader validate and meter every service module (ServiceHost.add), opens the
   *  disks, boots the kernel, connects the NICs and runs the first poll. */
  async start(): Promise<void> {
    if (this.booted) throw new Error("this node has already been started; construct a new PersiaNode");
    this.booted = true;
    await this.addServices();
    this.openDisks(byId(this.options.disks));
    const bootLog = this.logged;
    let result: number;
    try {
      this.kernel.epoch(BigInt(Date.now()) - this.clock());   // the wall clock at kernel time 0
      result = this.kernel.boot(this.options.boot, this.clock());
    } catch (e) {
      this.closeDevices();
      throw new Error(`the kernel failed while booting: ${describe(e)}${this.recentText(bootLog)}`);
    }
    if (result < 0) {
      this.closeDevices();
      throw new Error(`the kernel refused to boot: ${errnoText(result)}${this.recentText(bootLog)}`);
    }
    this.running = true;
    for (const nic of this.nics) {
      if (nic === undefined) continue;
      nic.onFrame = (frame) => this.frame(nic.id, frame);
      if (nic.onSuper !== undefined) nic.onSuper = (frame, gsoSize) => this.superFrame(nic.id, frame, gsoSize);
      if (nic.gsoSink !== undefined) {
        const id = nic.id;
        nic.gsoSink = { target: () => this.gsoTarget(), taken: (len, gsoSize) => this.superTaken(id, len, gsoSize) };
      }
      nic.onError = (message) => this.log(LogLevel.WARN, message);
    }
    this.openUsb();
    this.poll();
  }

  /** Stops polling, closes NICs, disks, the status socket and its captures, and drops every
   *  service instance, at once (shutdown() first lets the kernel say goodbye). */
  stop(): void {
    if (this.closed) return;                 // once: a graceful stop's bound may fire after it ended
    this.closed = true;
    const stopped = this.stopping;
    this.stopping = null;
    stopped?.();
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const s of this.plan.services) this.services.stop(s.id);
    this.closeDevices();
    this.capture.close();
    this.server?.close();
    this.server = null;
  }

  /** Stops gracefully: from now on every poll is a k_stop (frames are still received and
   *  answered), until the kernel says the stop is done — a router's final RAs went out,
   *  spec/hosts.md "Stopping a node" — or maxMs passed; then stop(). Resolves then. */
  shutdown(maxMs = STOP_MAX_MS): Promise<void> {
    if (this.stopped !== null) return this.stopped;
    if (!this.running) return Promise.resolve();
    this.stopped = new Promise((resolve) => {
      const bound = setTimeout(() => this.stop(), maxMs);
      this.stopping = () => { clearTimeout(bound); resolve(); };
      this.poll();
    });
    return this.stopped;
  }

  /** Runs one kernel poll now (a k_stop once shutdown() began) and arms the timer for its
   *  deadline. Returns the deadline. */
  poll(): bigint {
    if (!this.running) return -1n;
    const now = this.clock();
    try {
      this.lastDeadline = this.stopping !== null ? this.kernel.stop(now) : this.kernel.poll(now);
    } catch (e) {
      this.fatal(e);
      return -1n;
    }
    if (this.stopping !== null && this.lastDeadline < 0n) {
      // Done. A VXLAN NIC's socket sends on a later tick: close it after that.
      this.running = false;
      setImmediate(() => this.stop());
      return -1n;
    }
    this.arm(this.lastDeadline, now);
    return this.lastDeadline;
  }

  /** The decoded status, with the node's name, the host's NIC names and counters and the
   *  last fault messages added. */
  status(): Status {
    const s = decodeStatus(this.kernel.status());
    for (const svc of s.services) {
      const message = this.services.faultMessage(svc.id);
      if (message !== "") svc.faultMessage = message;
      const ram = this.services.ram(svc.id);
      svc.ramPages = ram.pages;
      svc.ramMaxPages = ram.maxPages;
    }
    const names = byId(this.options.nicNames);
    const nics = this.nics.filter((n): n is NicBackend => n !== undefined).map((n) => ({
      id: n.id, ...(names.has(n.id) ? { name: names.get(n.id) } : {}), backend: n.backend,
      counters: { ...n.counters(), rx_too_long: this.rxTooLong[n.id] ?? 0 },
    }));
    const diskNames = byId(this.options.diskNames);
    const disks = this.disks.filter((d): d is DiskFile => d !== undefined).map((d) => ({
      id: d.id, ...(diskNames.has(d.id) ? { name: diskNames.get(d.id) } : {}), path: d.path, state: d.state,
      counters: { ...d.counters },
    }));
    s.host = { name: this.plan.node.name, nics, disks };
    return s;
  }

  /** The status of now: kernel time is advanced to the host clock first (a poll), as the
   *  wasmtime image polls before each status line, so an idle node's kernel time and the
   *  rates views take from it (spec/observe.md) move on while nothing happens. What the
   *  status socket and the observability views read. A poll runs the kernel's due timers. */
  statusNow(): Status {
    this.poll();   // also with autoPoll false: the clock is the owner's, so a read moves the node to its now
    return this.status();
  }

  /** Serves status (each answer is statusNow()), and captures, on a Unix domain socket at
   *  `path` until stop() (status_server.ts, capture.ts). */
  async statusServer(path: string): Promise<Server> {
    if (this.server !== null) throw new Error("this node already serves its status");
    this.server = await statusServer(path, () => this.statusNow(),
      (socket, request) => captureStream(socket, request, this.capture, () => this.captureHeader()),
      (request) => this.diskOperation(request));
    return this.server;
  }

  /** Applies an operator's disk operation (disk_ops.ts: detach, attach, fault), logs its
   *  answer on the node, and returns it. The kernel's grants do not change. */
  diskOperation(request: string): DiskAnswer {
    const a = diskOperation(request, this.disks, byId(this.options.diskNames), this.options.ownFiles ?? []);
    this.log(a.ok ? LogLevel.WARN : LogLevel.INFO, a.ok ? `operator: ${a.message}` : `operator's disk operation refused: ${a.message}`);
    return a;
  }

  /** What a capture stream starts with: the node's name, NICs and services by id. */
  captureHeader(): CaptureHeader {
    const names = byId(this.options.nicNames);
    return {
      node: this.plan.node.name,
      nics: this.plan.nics.map((n) => ({ id: n.id, name: names.get(n.id) ?? `nic${n.id}`, layer3: n.kind === NicKind.WIREGUARD })),
      services: this.status().services.map((s) => ({ id: s.id, name: s.name })),
    };
  }

  private frame(nic: number, frame: Uint8Array): void {
    this.received(nic, frame, 0);
  }

  /** A TCP super-frame a TAP hands over whole (spec/abi.md "Super-frames"): after the frames
   *  queued before it, in one k_rx_gso, at the turn's time as they are. */
  private superFrame(nic: number, frame: Uint8Array, gsoSize: number): void {
    this.received(nic, frame, gsoSize);
  }

  /** Buf.GSO for a TAP to read the next super-frame into (kernel.ts gsoTarget), or null:
   *  not running, or the kernel busy. */
  private gsoTarget(): GsoTarget | null {
    if (!this.running) return null;
    try {
      return this.kernel.gsoTarget();
    } catch (e) {
      this.fatal(e);
      return null;
    }
  }

  /** A super-frame a TAP read straight into Buf.GSO: as superFrame, without the copy. */
  private superTaken(nic: number, len: number, gsoSize: number): void {
    this.received(nic, null, gsoSize, len);
  }

  /** A frame (gsoSize 0: queued for the turn's k_rx_batch) or a super-frame (k_rx_gso now;
   *  frame null: already in Buf.GSO, len bytes), received in this turn. */
  private received(nic: number, frame: Uint8Array | null, gsoSize: number, len = 0): void {
    if (!this.running) return;
    try {
      // The clock is read once a turn, by its first frame (the batch's time: spec/hosts.md):
      // a reading per frame cost ~70 ns and a BigInt each.
      if (!this.flushPending) {
        this.turnNow = this.clock();
        this.flushPending = true;
        queueMicrotask(this.queuedFlush);
      }
      if (frame === null) this.kernel.rxGsoInPlace(nic, len, gsoSize, this.turnNow);
      else if (gsoSize !== 0) this.kernel.rxGso(nic, frame, gsoSize, this.turnNow);
      else if (!this.kernel.rxQueue(nic, frame, this.turnNow)) this.rxTooLong[nic] = (this.rxTooLong[nic] ?? 0) + 1;
    } catch (e) {
      this.fatal(e);
      return;
    }
    this.kick();
  }

  /** The frames a NIC delivered in one turn (a TAP's readable callback reads up to its
   *  RX_BATCH) go to the kernel in one k_rx_batch once the turn ends; any other kernel call
   *  before then (poll, status, capture) hands them over first (kernel.ts flushQueued). */
  private readonly queuedFlush = (): void => {
    this.flushPending = false;
    if (!this.running) return;
    try {
      this.kernel.flushQueued();
    } catch (e) {
      this.fatal(e);
    }
  };

  /** One poll soon, after whatever else is ready now (coalesced). */
  private kick(): void {
    if (this.options.autoPoll === false || this.pollQueued) return;
    this.pollQueued = true;
    setImmediate(this.queuedPoll);
  }

  /** Opens libusb for the manifest's USB devices (usb.ts); each one it attaches, and each
   *  transfer's end, is a kernel call followed by a poll, as a received frame is. */
  private openUsb(): void {
    const matches = this.options.usb ?? [];
    if (matches.length === 0) return;
    try {
      this.usb = new UsbHost(matches, {
        attach: (dev, desc) => {
          if (!this.running) return -Errno.ENODEV;
          const r = this.kernel.usbAttach(dev, desc, this.clock());
          this.kick();
          return r;
        },
        detach: (dev) => { if (this.running) { this.kernel.usbDetach(dev, this.clock()); this.kick(); } },
        done: (dev, xfer, status, moved, data) => {
          if (this.running) { this.kernel.usbDone(dev, xfer, status, moved, data, this.clock()); this.kick(); }
        },
        log: (level, line) => this.log(level, line),
        failed: (e) => this.fatal(e),
      });
    } catch (e) {
      this.log(LogLevel.ERROR, `USB: ${describe(e)}; the node runs without its USB devices`);
    }
  }

  private readonly queuedPoll = (): void => {
    this.pollQueued = false;
    this.poll();
  };

  private arm(deadline: bigint, now: bigint): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (deadline < 0n || this.options.autoPoll === false) return;
    const wait = deadline <= now ? 0n : deadline - now;
    this.timer = setTimeout(this.queuedPoll, Number(wait > TIMER_MAX_MS ? TIMER_MAX_MS : wait));
  }

  private fatal(e: unknown): void {
    this.stop();
    this.emit("error", new Error(`the kernel failed; the node has stopped: ${describe(e)}${this.recentText(0)}`, { cause: e }));
  }

  private log(level: LogLevel, line: string, origin: LogOrigin = "host"): void {
    this.sink(level, line, origin);
  }

  /** The kernel's recent log lines since the `since`-th, for an error message. */
  private recentText(since: number): string {
    const lines = this.recent.slice(this.recent.length - Math.min(this.logged - since, this.recent.length));
    return lines.length === 0 ? "" : `\nlast kernel log lines:\n  ${lines.join("\n  ")}`;
  }

  private checkServices(given: Map<number, Uint8Array>): Map<number, Uint8Array> {
    for (const s of this.plan.services) {
      if (!given.has(s.id)) throw new Error(`service ${s.id} (${s.name}) is in the boot manifest but no module was given for it`);
    }
    for (const id of given.keys()) {
      if (!this.plan.services.some((s) => s.id === id)) throw new Error(`a module was given for service ${id}, which the boot manifest does not declare`);
    }
    return given;
  }

  /** A refused module is logged and kept: the kernel sees Fault.BAD_MODULE when it starts it. */
  private async addServices(): Promise<void> {
    for (const s of this.plan.services) {
      if (!await this.services.add(s.id, this.modules.get(s.id)!, s.name, s.ramMaxPages)) {
        this.log(LogLevel.WARN, `service ${s.id} (${s.name}) ${this.services.faultMessage(s.id)}`);
      }
    }
    let id = this.plan.services.reduce((top, s) => Math.max(top, s.id + 1), 0);
    for (const e of this.options.store ?? []) {
      const refused = await this.services.addStore(id, e.bytes, e.label, e.ramMaxPages, e.slots);
      if (refused !== null) this.log(LogLevel.WARN, `${e.label}: ${refused}`);
      id += e.slots;
    }
    const net = this.options.network;
    if (net) {
      this.services.addNetwork(id, net.ramMaxPages, net.slots);
      this.store = new ModuleStore(net.dir, this.services, await loadBinaryen(), net.ramMaxPages,
        (line) => this.log(LogLevel.INFO, line));
    }
  }

  private addNics(given: NicBackend[]): void {
    for (const backend of given) {
      const planned = this.plan.nics.find((n) => n.id === backend.id);
      if (planned === undefined) throw new Error(`a ${backend.backend} backend was given for NIC ${backend.id}, which the boot manifest does not declare`);
      if (this.nics[backend.id] !== undefined) throw new Error(`two backends were given for NIC ${backend.id}`);
      const kind = (NicKind[planned.kind] ?? "").toLowerCase();
      if (kind !== backend.backend) this.log(LogLevel.WARN, `NIC ${backend.id} is a ${kind} NIC in the boot manifest but runs on a ${backend.backend} backend`);
      this.nics[backend.id] = backend;
    }
    for (const n of this.plan.nics) {
      if (this.nics[n.id] === undefined) throw new Error(`NIC ${n.id} is in the boot manifest but no backend was given for it`);
    }
  }

  private openDisks(paths: Map<number, string>): void {
    for (const id of paths.keys()) {
      if (!this.plan.disks.some((d) => d.id === id)) throw new Error(`a path was given for disk ${id}, which the boot manifest does not declare`);
    }
    try {
      for (const d of this.plan.disks) {
        const path = paths.get(d.id);
        if (path === undefined) throw new Error(`disk ${d.id} is in the boot manifest but no file or device was given for it`);
        const disk = DiskFile.open({ id: d.id, path, size: d.size });
        disk.onError = (message) => this.log(LogLevel.ERROR, message);
        this.disks[d.id] = disk;
        if (disk.created) this.log(LogLevel.INFO, `disk ${d.id}: created ${path} (${d.size} bytes)`);
      }
    } catch (e) {
      this.closeDevices();
      throw e;
    }
  }

  private closeDevices(): void {
    for (const nic of this.nics) {
      if (nic === undefined) continue;
      nic.onFrame = null;
      nic.close();
    }
    for (const disk of this.disks) disk?.close();
    this.disks.length = 0;
    this.store?.close();
    this.usb?.close();
    this.usb = null;
  }

  private kernelLog(level: number, ptr: number, len: number): void {
    const bytes = this.kernel?.bytes;
    const line = bytes === undefined ? "(a log line from before the kernel's memory was available)"
      : inRange(ptr, len, bytes.length) ? this.decoder.decode(bytes.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0)))
      : `(a log line outside kernel memory: ${ptr >>> 0}+${len >>> 0})`;
    this.logged++;
    if (this.recent.push(line) > RECENT_LINES) this.recent.shift();
    this.log(level, line, "kernel");
  }

  private serviceFault(svc: number, fault: Fault, during: string): number {
    if (fault !== Fault.NONE) {
      const name = this.services.name(svc);
      this.log(LogLevel.WARN, `service ${svc} (${name}) ${FAULT_TEXT[fault] ?? fault} ${during}: ${this.services.faultMessage(svc)}`);
    }
    return fault;
  }

  /** Kernel memory [ptr, +len) for a host import; a range outside it is the kernel's bug. */
  private kernelRange(what: string, ptr: number, len: number): Uint8Array {
    const bytes = this.kernel.bytes;
    if (!inRange(ptr, len, bytes.length)) throw new RangeError(`${what}(${ptr >>> 0}, ${len >>> 0}) lies outside kernel memory`);
    return bytes.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
  }

  private hostImports(): HostImports {
    const services = this.services;
    return {
      log: (level, ptr, len) => this.kernelLog(level, ptr, len),
      random: (ptr, len) => {
        const bytes = this.kernel.bytes;
        if (!inRange(ptr, len, bytes.length)) throw new RangeError(`random(${ptr >>> 0}, ${len >>> 0}) lies outside kernel memory`);
        randomFillSync(bytes, ptr >>> 0, len >>> 0);
      },
      nic_send: (nic, ptr, len) => {
        const backend = this.nics[nic];
        if (backend === undefined) return -Errno.ENODEV;
        const bytes = this.kernel.bytes;
        if (!inRange(ptr, len, bytes.length)) return -Errno.EFAULT;
        return backend.sendAt(bytes, ptr >>> 0, len >>> 0);
      },
      nic_send_gso: (nic, ptr, len, gsoSize) => {
        const backend = this.nics[nic];
        if (backend === undefined) return -Errno.ENODEV;
        if (backend.sendGsoAt === undefined) return -Errno.ENOTSUP;
        const bytes = this.kernel.bytes;
        if (!inRange(ptr, len, bytes.length)) return -Errno.EFAULT;
        return backend.sendGsoAt(bytes, ptr >>> 0, len >>> 0, gsoSize);
      },
      svc_start: (svc) => this.serviceFault(svc, services.start(svc), "at start"),
      svc_stop: (svc) => services.stop(svc),
      svc_load: (ptr, len) => {
        const bytes = this.kernel.bytes;
        if (!inRange(ptr, len, bytes.length)) throw new RangeError(`svc_load(${ptr >>> 0}, ${len >>> 0}) lies outside kernel memory`);
        const id = services.load(bytes.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0)));
        if (id >= 0) this.log(LogLevel.INFO, `service ${id} (${services.name(id)}) takes a slot of its module from the store`);
        return id;
      },
      svc_unload: (svc) => services.unload(svc),
      module_read: (svc, off, dst, len) => services.moduleRead(svc, off, this.kernel.bytes, dst, len),
      mod_stage: (slot, hash, size) => {
        if (!this.store) return -Errno.ENODEV;
        return this.store.stage(slot, this.kernelRange("mod_stage", hash, 32), size);
      },
      mod_write: (slot, off, ptr, len) => this.store?.write(slot, off, this.kernelRange("mod_write", ptr, len)) ?? -Errno.ENODEV,
      mod_read: (slot, off, ptr, len) => this.store?.read(slot, off, this.kernelRange("mod_read", ptr, len)) ?? -Errno.ENODEV,
      mod_commit: (slot) => this.store?.commit(slot) ?? -Errno.ENODEV,
      mod_abort: (slot) => this.store?.abort(slot),
      svc_ram: (svc, pages) => services.setRam(svc, pages),
      svc_call: (svc, entry, fuel) => this.serviceFault(svc, services.call(svc, entry, fuel), "in a call"),
      svc_fuel_used: (svc) => services.fuelUsed(svc),
      svc_read: (svc, src, dst, len) => services.read(svc, src, dst, len),
      svc_write: (svc, dst, src, len) => services.write(svc, dst, src, len),
      disk_read: (disk, off, ptr, len) => this.disks[disk]?.read(off, this.kernel.bytes, ptr, len) ?? -Errno.ENODEV,
      disk_write: (disk, off, ptr, len) => this.disks[disk]?.write(off, this.kernel.bytes, ptr, len) ?? -Errno.ENODEV,
      disk_flush: (disk) => this.disks[disk]?.flush() ?? -Errno.ENODEV,
      usb_submit: (dev, xfer, ep, kind, setup, ptr, len, timeout) =>
        this.usb?.submit(dev, xfer, ep, kind, setup, this.kernel.bytes, ptr, len, timeout) ?? -Errno.ENODEV,
      usb_cancel: (dev, xfer) => this.usb?.cancel(dev, xfer),
      capture: (point, nic, svc, reason, ptr, len) => {
        if (this.capture.active === 0) return;
        const bytes = this.kernel.bytes;
        if (!inRange(ptr, len, bytes.length)) throw new RangeError(`capture(${ptr >>> 0}, ${len >>> 0}) lies outside kernel memory`);
        this.capture.record(point, nic, svc, reason, bytes.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0)));
      },
    };
  }
}

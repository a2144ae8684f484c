// The contract as data: every function that crosses a boundary, with its signature.
// TypeScript only. From this table abi/gen.ts writes the AssemblyScript declarations the
// kernel and services compile against and the C header for the metal loader; the Node
// host builds its import objects from it, and the loader validates modules against it.
// Numbers (syscall numbers, buffers, errors) live in the sibling enum files.
import { Sys } from "./syscalls";

export type WasmType = "i32" | "i64";
export interface Fn {
  name: string;
  params: [string, WasmType][];
  result: WasmType | null;
  doc: string;
}
export interface Syscall extends Fn { nr: Sys; }

const i32 = "i32" as const;
const i64 = "i64" as const;

/** What kernel.wasm exports; every host calls these. */
export const KERNEL_EXPORTS: Fn[] = [
  { name: "k_abi", params: [], result: i32, doc: "ABI version (abi/kernel.ts ABI_VERSION)" },
  { name: "k_buf", params: [["which", i32]], result: i32, doc: "address of a kernel buffer (Buf)" },
  { name: "k_buf_size", params: [["which", i32]], result: i32, doc: "size of a kernel buffer (Buf)" },
  { name: "k_boot", params: [["len", i32], ["now", i64]], result: i32, doc: "boot from the manifest in Buf.BOOT; 0 or -Errno" },
  { name: "k_rx", params: [["nic", i32], ["len", i32], ["now", i64]], result: null, doc: "a frame of len bytes is in Buf.RX, received at now (ms): rate limits and timers it touches run on that time" },
  { name: "k_rx_batch", params: [["count", i32], ["now", i64]], result: i32, doc: "count frames received by now are in Buf.RX_BATCH as records (abi/kernel.ts REC_*); each is taken as by k_rx, with one call for all; returns how many were taken (fewer when a record runs past the buffer, counted as FRAME_SHORT)" },
  { name: "k_rx_gso", params: [["nic", i32], ["len", i32], ["gso_size", i32], ["now", i64]], result: null, doc: "a TCP super-frame of len bytes (abi/kernel.ts GSO_FRAME_MAX at most) is in Buf.GSO, whose address may change with every k_rx_gso (ask k_buf before writing the next), received at now: segments of gso_size TCP payload bytes behind one set of headers, its TCP checksum field holding the pseudo-header's partial sum (Linux's CHECKSUM_PARTIAL); forwarded whole to a TAP NIC (nic_send_gso), cut into segments otherwise (spec/abi.md \"Super-frames\")" },
  { name: "k_poll", params: [["now", i64]], result: i64, doc: "advance time, run services, drain NICs; returns the next deadline in ms or -1" },
  { name: "k_stop", params: [["now", i64]], result: i64, doc: "the node stops: a router sends its final RAs with router lifetime 0 (RFC 4861 §6.2.5), otherwise as k_poll; returns when to call k_stop again (ms), or -1 when the stop is done and the host may exit" },
  { name: "k_status", params: [], result: i32, doc: "write the status snapshot into Buf.STATUS; returns its length" },
  { name: "k_sys", params: [["svc", i32], ["nr", i32], ["a0", i32], ["a1", i32], ["a2", i32], ["a3", i32], ["a4", i32]], result: i32, doc: "a syscall from service svc (Sys numbers)" },
  { name: "k_capture", params: [["mask", i32], ["nic", i32], ["svc", i32]], result: i32, doc: "report packets at the points of mask (a bit per abi/capture.ts CapturePoint; 0: off) to the host's capture import, only those naming nic and svc (-1: any); 0 or -EINVAL" },
  { name: "k_usb_attach", params: [["dev", i32], ["len", i32], ["now", i64]], result: i32, doc: "USB device dev (a manifest id) is present: its descriptors (abi/usb.ts, device then active configuration) are in Buf.USB[0, len); 0, -ENODEV (no such device in the manifest), -EEXIST (it is present already: nothing changes; k_usb_detach first), -EBADMSG (they do not parse, or it is a hub: the device stays unusable until plugged in again)" },
  { name: "k_usb_detach", params: [["dev", i32], ["now", i64]], result: null, doc: "USB device dev was unplugged: every transfer in flight completes with -ENODEV; the host reports none of them later" },
  { name: "k_usb_done", params: [["dev", i32], ["xfer", i32], ["status", i32], ["len", i32], ["now", i64]], result: null, doc: "the transfer the kernel submitted in slot xfer finished: status 0 or -Errno (abi/usb.ts), len bytes moved; IN data is in Buf.USB[0, len)" },
  { name: "k_epoch", params: [["unix_ms", i64]], result: null, doc: "the wall clock: the Unix time in ms at kernel time 0 (WireGuard's TAI64N timestamps); called before k_boot and again whenever the host's wall clock was stepped" },
];

/** What kernel.wasm imports from its host, module "persia_host". */
export const HOST_MODULE = "persia_host";
export const HOST_IMPORTS: Fn[] = [
  { name: "log", params: [["level", i32], ["ptr", i32], ["len", i32]], result: null, doc: "one UTF-8 line from kernel memory (LogLevel)" },
  { name: "random", params: [["ptr", i32], ["len", i32]], result: null, doc: "fill kernel memory with random bytes" },
  { name: "nic_send", params: [["nic", i32], ["ptr", i32], ["len", i32]], result: i32, doc: "transmit one frame from kernel memory; 0 or -Errno" },
  { name: "nic_send_gso", params: [["nic", i32], ["ptr", i32], ["len", i32], ["gso_size", i32]], result: i32, doc: "transmit one TCP super-frame from kernel memory to a NIC of kind TAP (the kernel gives no other kind one): segments of gso_size TCP payload bytes, its TCP checksum field holding the pseudo-header's partial sum, as k_rx_gso took it; the GSO_HEADROOM bytes before ptr are the host's to overwrite during the call; 0 or -Errno (-ENOTSUP from a host or NIC that takes none: the kernel then sends it and the NIC's later ones as segments)" },
  { name: "svc_start", params: [["svc", i32]], result: i32, doc: "(re)instantiate service svc from its module; Fault" },
  { name: "svc_stop", params: [["svc", i32]], result: null, doc: "drop service svc's instance" },
  { name: "svc_load", params: [["ptr", i32], ["len", i32]], result: i32, doc: "prepare a module of the node's store for a run-time LOAD (the request at ptr: abi/control.ts SL_*); the service id it took, one of the free ones, or -ENOENT (no such module), -ENOSPC (no free slot, or RAM over its ceiling), -EINVAL (RAM below the module's initial memory)" },
  { name: "svc_unload", params: [["svc", i32]], result: null, doc: "forget service svc's module (it was stopped); its id is free again" },
  { name: "svc_ram", params: [["svc", i32], ["pages", i32]], result: i32, doc: "from its next start, service svc's memory may grow to pages; 0, or -ENOSPC beyond what the host can give it, -EINVAL below the module's initial memory" },
  { name: "svc_call", params: [["svc", i32], ["entry", i32], ["fuel", i64]], result: i32, doc: "call an entry point (Entry) of service svc with a budget of fuel units; Fault (FUEL when the budget ran out)" },
  { name: "svc_fuel_used", params: [["svc", i32]], result: i64, doc: "fuel units service svc's last svc_call consumed (whether or not it faulted)" },
  { name: "svc_read", params: [["svc", i32], ["src", i32], ["dst", i32], ["len", i32]], result: i32, doc: "copy service memory [src,+len) to kernel [dst); 0 or -EFAULT" },
  { name: "svc_write", params: [["svc", i32], ["dst", i32], ["src", i32], ["len", i32]], result: i32, doc: "copy kernel [src,+len) to service memory [dst); 0 or -EFAULT" },
  { name: "disk_read", params: [["disk", i32], ["off", i64], ["ptr", i32], ["len", i32]], result: i32, doc: "positional read into kernel memory; bytes read or -Errno" },
  { name: "disk_write", params: [["disk", i32], ["off", i64], ["ptr", i32], ["len", i32]], result: i32, doc: "positional write from kernel memory; bytes written or -Errno" },
  { name: "disk_flush", params: [["disk", i32]], result: i32, doc: "make earlier writes durable; 0 or -Errno" },
  { name: "module_read", params: [["svc", i32], ["off", i32], ["dst", i32], ["len", i32]], result: i32, doc: "copy bytes [off, off+len) of the module file service slot svc holds or may be loaded with (a manifest service's, a store slot's: the file as it was signed, before any instrumentation) to kernel memory [dst), as many as exist; returns the file's size in bytes whatever len is (len 0: the size only), or -ENOENT when the slot has no module. The kernel checks the module's signature with it (spec/security.md)" },
  { name: "mod_stage", params: [["slot", i32], ["hash", i32], ["size", i32]], result: i32, doc: "a PUT (spec/control.md \"Module transfer (PUT)\") begins in transfer slot (0..PUT_MAX-1): stage size bytes of the module whose SHA-256 is the 32 bytes at hash; MS_STAGED (0), MS_HELD (1: the store holds that module already, and mod_read reads it), or -ENOTSUP (this host takes no module at run time), -ENODEV (its manifest has no store for them), -ENOSPC (no room), -EIO" },
  { name: "mod_write", params: [["slot", i32], ["off", i32], ["ptr", i32], ["len", i32]], result: i32, doc: "write kernel [ptr,+len) into slot's staged module at offset off; 0 or -Errno" },
  { name: "mod_read", params: [["slot", i32], ["off", i32], ["ptr", i32], ["len", i32]], result: i32, doc: "read slot's module (staged or held) at offset off into kernel [ptr,+len); bytes read or -Errno" },
  { name: "mod_commit", params: [["slot", i32]], result: i32, doc: "the kernel checked slot's module whole: make it durable and loadable by its SHA-256, all or nothing; 0, or -EBADMSG (the host's loader refuses it as a service module), -EIO" },
  { name: "mod_abort", params: [["slot", i32]], result: null, doc: "forget slot: discard its staged bytes (a module the store held stays)" },
  { name: "usb_submit", params: [["dev", i32], ["xfer", i32], ["ep", i32], ["kind", i32], ["setup", i64], ["ptr", i32], ["len", i32], ["timeout", i32]], result: i32, doc: "start a transfer on USB device dev in the kernel's slot xfer (0..USB_INFLIGHT-1): endpoint address ep (0: control, with the 8-byte setup packet as setup, little-endian), kind its UsbType, len bytes (OUT: copy them from kernel [ptr,+len) before returning), timeout ms; 0 or -Errno (-ENODEV: not present). Its end is reported once, by k_usb_done, unless k_usb_detach comes first" },
  { name: "usb_cancel", params: [["dev", i32], ["xfer", i32]], result: null, doc: "cancel the transfer in slot xfer; its k_usb_done (-ECANCELED, or how it ended first) still follows" },
  { name: "capture", params: [["point", i32], ["nic", i32], ["svc", i32], ["reason", i32], ["ptr", i32], ["len", i32]], result: null, doc: "a captured packet (abi/capture.ts CapturePoint; reason a Drop or -1; nic, svc -1 when none), readable at ptr only during the call; only after k_capture turned its point on" },
];

/** The kernel's one import outside HOST_MODULE: AssemblyScript's abort(message, file,
 *  line, column), called only when a kernel invariant is broken. A host stops the node
 *  and reports the message (strings are UTF-16 in kernel memory, length at ptr - 4). */
export const KERNEL_ENV_IMPORTS = {
  abort: { module: "env", name: "abort", params: [i32, i32, i32, i32] as WasmType[] },
};

/** What a service imports from module "persia". Each is forwarded to k_sys. */
export const SYSCALL_MODULE = "persia";
export const SYSCALLS: Syscall[] = [
  { nr: Sys.SEND, name: "send", params: [["ptr", i32], ["len", i32]], result: i32, doc: "route one whole IPv6 packet; 0 or -Errno" },
  { nr: Sys.RECV, name: "recv", params: [["ptr", i32], ["cap", i32]], result: i32, doc: "copy the next queued packet; its length, or -EAGAIN" },
  { nr: Sys.ADDR, name: "addr", params: [["index", i32], ["ptr", i32]], result: i32, doc: "write the service's index-th address (16 bytes); 0 or -ENOENT" },
  { nr: Sys.RESOLVE, name: "resolve", params: [["name", i32], ["len", i32], ["out", i32]], result: i32, doc: "write a domain's first address (16 bytes); 0 or -ENOENT" },
  { nr: Sys.LOG, name: "log", params: [["ptr", i32], ["len", i32]], result: i32, doc: "one UTF-8 line to the node's log (control bytes become ?)" },
  { nr: Sys.CLOCK, name: "clock", params: [["ptr", i32]], result: i32, doc: "write the kernel time in ms (i64 LE)" },
  { nr: Sys.TIMER, name: "timer", params: [["ms", i32]], result: i32, doc: "one persia_event() after ms; 0 cancels" },
  { nr: Sys.CAP_FIND, name: "cap_find", params: [["kind", i32], ["index", i32]], result: i32, doc: "handle of the index-th capability of a kind, or -ENOENT" },
  { nr: Sys.CAP_INFO, name: "cap_info", params: [["handle", i32], ["ptr", i32]], result: i32, doc: "write the CapInfo record (abi/syscalls.ts)" },
  { nr: Sys.CAP_DERIVE, name: "cap_derive", params: [["handle", i32], ["rights", i32]], result: i32, doc: "new handle with rights ⊆ the parent's" },
  { nr: Sys.CAP_REVOKE, name: "cap_revoke", params: [["handle", i32]], result: i32, doc: "remove a capability and everything derived from it" },
  { nr: Sys.DISK_READ, name: "disk_read", params: [["handle", i32], ["off_lo", i32], ["off_hi", i32], ["ptr", i32], ["len", i32]], result: i32, doc: "read inside a DISK extent; bytes read or -Errno" },
  { nr: Sys.DISK_WRITE, name: "disk_write", params: [["handle", i32], ["off_lo", i32], ["off_hi", i32], ["ptr", i32], ["len", i32]], result: i32, doc: "write inside a DISK extent; bytes written or -Errno" },
  { nr: Sys.DISK_FLUSH, name: "disk_flush", params: [["handle", i32]], result: i32, doc: "flush a DISK extent's device" },
  { nr: Sys.USB_DESC, name: "usb_desc", params: [["handle", i32], ["ptr", i32], ["cap", i32]], result: i32, doc: "copy the USB device's descriptors (abi/usb.ts) into [ptr,+cap); their length (even if cap was less), or -Errno (-ENODEV: unplugged)" },
  { nr: Sys.USB_SUBMIT, name: "usb_submit", params: [["handle", i32], ["req", i32]], result: i32, doc: "start a transfer described by the record at req (abi/usb.ts UR_*); 0 or -Errno; it completes as a usb_event" },
  { nr: Sys.USB_CANCEL, name: "usb_cancel", params: [["handle", i32], ["cookie", i32]], result: i32, doc: "cancel this device's transfers that carry cookie; how many, or -Errno; each still completes (-ECANCELED)" },
  { nr: Sys.USB_EVENT, name: "usb_event", params: [["ptr", i32]], result: i32, doc: "write the next USB event record (abi/usb.ts UE_*) to ptr; 0 or -EAGAIN" },
  { nr: Sys.RECV_MANY, name: "recv_many", params: [["ptr", i32], ["cap", i32]], result: i32, doc: "copy as many queued packets as fit [ptr,+min(cap, SYS_BATCH_SIZE)), as records (abi/kernel.ts REC_*, nic 0), in one crossing; how many, or -EAGAIN (none queued), -EMSGSIZE (the first does not fit: it stays queued), -EFAULT (all stay queued)" },
  { nr: Sys.SEND_MANY, name: "send_many", params: [["ptr", i32], ["len", i32]], result: i32, doc: "route the packet of each record (abi/kernel.ts REC_*) in [ptr,+len), len at most SYS_BATCH_SIZE, as send would, in one crossing; -EINVAL (before any is sent) if a record runs past len, is empty or over MTU_MAX, or its nic field (reserved) is not 0; else the records taken: all, or up to and including the first packet refused (counted, as by send; the rest is not sent: call again for it), or those before the service's share of the pool ran out (-EAGAIN if it was the first)" },
  { nr: Sys.MTU, name: "mtu", params: [["dst", i32]], result: i32, doc: "path MTU towards the 16-byte address at dst, or -EHOSTUNREACH" },
];

/** What a service module exports. persia_init is optional. */
export const SERVICE_EXPORTS: Fn[] = [
  { name: "persia_init", params: [], result: null, doc: "called once after each (re)start (optional)" },
  { name: "persia_event", params: [], result: null, doc: "packets are queued or the timer fired" },
];

/** Imports a service may have besides the syscalls. Memory is imported so that the host
 *  sets its maximum to the service's RAM grant. */
export const SERVICE_ENV_IMPORTS = {
  memory: { module: "env", name: "memory" },
  abort: { module: "env", name: "abort", params: [i32, i32, i32, i32] as WasmType[] },
};

/** What the loader's fuel metering (loader/instrument/fuel.ts, spec/instrumentation.md)
 *  adds to every service module after validateService accepted it. A host builds the
 *  import from this table and sets and reads the global around every svc_call; a module
 *  that declares any of these names itself is refused, since only the loader may add them.
 *  The global starts at `start`: the budget of the module's start function, which runs at
 *  instantiation, before the host can set it. */
export const FUEL_IMPORTS: (Fn & { module: string })[] = [
  { module: SYSCALL_MODULE, name: "fuel_exhausted", params: [], result: null,
    doc: "the fuel went below zero; never returns: the host unwinds the service (Node: throws) and reports Fault.FUEL" },
];
export const FUEL_EXPORTS = {
  fuel: { name: "persia_fuel", type: i64, mutable: true, start: 100_000_000,
    doc: "the remaining fuel: the host sets the call's budget before svc_call and reads what is left after" },
};

// ——— The composed wasmtime image (issue #4, spec/image.md) ———

/** What the loader's containment pass (loader/instrument/contain.ts) adds to a metered
 *  service for the image: traps become calls to `fault`, which never returns (the image's
 *  glue throws a Wasm exception that unwinds the service's frames). */
export const CONTAIN_IMPORTS: (Fn & { module: string })[] = [
  { module: "persia_fault", name: "fault", params: [["reason", i32]], result: null,
    doc: "the service would have trapped (FaultReason, abi/image.ts); never returns" },
];
/** A global in an export table: the host sets or reads it around its calls. */
export interface GlobalEntry { kind: "global"; name: string; type: WasmType; mutable: boolean; doc: string }
export const CONTAIN_EXPORTS: (Fn | GlobalEntry)[] = [
  { name: "persia_reset", params: [], result: null,
    doc: "restore the module's initial state (globals, zeroed memory, data segments) and run its start function: a fresh instance in place" },
  { kind: "global", name: "persia_stack", type: i32, mutable: true,
    doc: "estimated stack bytes the service's frames hold; the glue sets it to 0 before every entry call, and past the budget the service faults (STACK)" },
  { kind: "global", name: "persia_ram_max", type: i32, mutable: true,
    doc: "pages the memory may grow to: a memory.grow past it returns -1 without growing; starts at the memory's declared maximum (65536 without one), persia_reset keeps it, the glue sets it before every start (svc_load, svc_ram)" },
];

/** What the generated glue (loader/image/glue.ts) exports to the WASI shim, module "persia_glue". */
export const GLUE_MODULE = "persia_glue";
/** The module name under which the image gives the shim the kernel's exports. */
export const KERNEL_MODULE_IN_IMAGE = "persia_kernel";
export const GLUE_EXPORTS: Fn[] = [
  { name: "k_write", params: [["kdst", i32], ["src", i32], ["len", i32]], result: i32, doc: "copy shim memory [src,+len) to kernel memory [kdst); 0 or -EFAULT" },
  { name: "k_read", params: [["dst", i32], ["ksrc", i32], ["len", i32]], result: i32, doc: "copy kernel memory [ksrc,+len) to shim memory [dst); 0 or -EFAULT" },
  { name: "config_size", params: [], result: i32, doc: "length of the image's configuration (abi/image.ts)" },
  { name: "config_copy", params: [["dst", i32]], result: null, doc: "copy the configuration into shim memory at dst" },
  { name: "svc_pages", params: [["svc", i32]], result: i32, doc: "pages of service svc's memory now" },
  { name: "svc_fault", params: [["svc", i32]], result: i32, doc: "FaultReason of service svc's last fault, 0 if none" },
];

/** What the WASI shim (hosts/wasi) exports to the composer besides HOST_IMPORTS'
 *  log, random, nic_send, disk_* and capture: its command entry and the canonical ABI allocator. */
export const SHIM_EXPORTS: Fn[] = [
  { name: "run", params: [], result: i32, doc: "boot the node and run its event loop; 0, or 1 after printing why it stopped (lifted as wasi:cli/run)" },
  { name: "cabi_realloc", params: [["old", i32], ["old_size", i32], ["align", i32], ["new_size", i32]], result: i32, doc: "the canonical ABI's allocator for lists WASI returns" },
  { name: "kernel_abort", params: [["msg", i32], ["file", i32], ["line", i32], ["col", i32]], result: null, doc: "the kernel's env.abort: print and stop the node" },
  { name: "fault_note", params: [["svc", i32], ["reason", i32]], result: null, doc: "the glue stopped service svc for a FaultReason: log why, as the Node host logs the trap" },
];
/** HOST_IMPORTS the shim implements; the glue implements the rest (svc_*). */
export const SHIM_HOST_IMPORTS = ["log", "random", "nic_send", "nic_send_gso", "disk_read", "disk_write", "disk_flush", "usb_submit", "usb_cancel", "capture"];

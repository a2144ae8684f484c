// Numbers of the composed wasmtime image (issue #4, spec/image.md): why an instrumented
// service stopped (FaultReason), and the layout of the image's configuration, which the
// composer (loader/image) writes into the generated glue and the WASI shim (hosts/wasi)
// reads at start. Valid AssemblyScript and TypeScript. The functions that cross between
// the image's modules are in abi/contract.ts (CONTAIN_*, GLUE_*, SHIM_*).

// persia_fault.fault(reason): what the loader's containment pass (loader/instrument/
// contain.ts) turned into a call instead of a trap. The glue maps each to a Fault
// (abi/kernel.ts) exactly as the Node host classifies the trap it replaces.
export enum FaultReason {
  UNREACHABLE = 1,   // `unreachable` (AssemblyScript's failed assertions end here)
  OOB = 2,           // a load, store or bulk memory operation outside the memory
  DIV_ZERO = 3,      // integer division or remainder by zero
  INT_OVERFLOW = 4,  // INT_MIN / -1
  CONVERSION = 5,    // float to integer truncation of NaN or out of range
  INDIRECT = 6,      // call_indirect to a null or out-of-range slot, or of another type
  STACK = 7,         // the service's stack budget is spent (deep recursion)
  ABORT = 8,         // env.abort(), AssemblyScript's abort
  FUEL = 9,          // persia.fuel_exhausted (loader/instrument/fuel.ts)
}

// The most slots (service ids: the manifest's services plus every store entry's slots) a
// wasmtime image holds: where the component model's limit on instances stops it. wasmtime
// (wasmparser's MAX_WASM_INSTANCES) refuses a component with more than 1,000 instances,
// core and component ones together. Each slot costs two core instances, the fewest it can:
// its service's instance and the one inline instance of its imports (its syscalls are bound
// to its id, so they cannot be shared; compose.ts gives all its imports one module name so
// that one instance carries them). Each group of IMG_GLUE_SLOTS slots costs two more (its
// memory module and its glue), and the image ~40 whatever its slots (kernel, shim, WASI
// imports, hub, trampolines). Measured with wasmtime 49: 474 slots (5 groups) compile and
// run, every service started; 475 are refused with "instances count exceeds limit of 1000".
// `persia image` refuses a manifest over it (loader/image/compose.ts); spec/image.md
// "Slots". The Node host and metal run SVC_MAX (abi/limits.ts).
export const IMG_SLOT_MAX = 474;

// The most slots one glue module holds: it imports the kernel's memory and one per slot,
// and wasmtime refuses a core module with more than 100 memories; 98 keeps an image of up
// to 98 slots one group, wired as before the groups (loader/image/glue.ts slotGroups).
export const IMG_GLUE_SLOTS = 98;

// The configuration blob: little-endian, every record 4-byte aligned.
//   header  0 u32 magic "PIMG"  4 u32 version  8 u32 boot length  12 u32 NIC count
//           16 u32 disk count  20 u32 name length   24 name bytes (padded to 4)
//   then the boot manifest (padded to 4), NIC records, disk records.
export const IMG_MAGIC = 0x474d4950; // "PIMG" read as u32 LE
export const IMG_VERSION = 2;        // 2: NIC records carry a kind (WireGuard NICs, issue #13)
export const IMG_BOOT_LEN = 8;
export const IMG_NICS = 12;
export const IMG_DISKS = 16;
export const IMG_NAME_LEN = 20;
export const IMG_HEADER = 24;

// NIC record (a UDP socket of wasi:sockets): id, vni, local and remote endpoints, kind. A
// VXLAN NIC binds local and sends every frame to remote under vni; a WIREGUARD NIC binds
// local (its `listen`) and sends each datagram where the kernel's endpoint header says
// (wire/layout/wireguard.ts), with vni and remote zero.
export const IMG_NIC_ID = 0;         // u32, the NIC id of the boot manifest
export const IMG_NIC_VNI = 4;        // u32
export const IMG_NIC_LOCAL = 8;      // [16] IPv6 address
export const IMG_NIC_LPORT = 24;     // u32 (a port)
export const IMG_NIC_REMOTE = 28;    // [16]
export const IMG_NIC_RPORT = 44;     // u32
export const IMG_NIC_KIND = 48;      // u32, NicKind: VXLAN or WIREGUARD
export const IMG_NIC_SIZE = 52;

// Disk record: id, then the path (relative to a directory given with --dir), padded to 4.
export const IMG_DISK_ID = 0;        // u32
export const IMG_DISK_PATH_LEN = 4;  // u32
export const IMG_DISK_PATH = 8;

// The status line the image prints: "status " + base64 of k_status()'s records + "\n",
// just after a line "status-host " + what the host knows, as JSON:
// {"nics":[{"id","backend","counters":{...}}],"services":[{"id","ram_pages"}]}
// (loader/status/decode.ts HostNicStatus; a service's memory now, in 64 KiB pages).
export const IMG_STATUS_PREFIX = "status ";
export const IMG_HOST_PREFIX = "status-host ";

// With --capture, each packet the kernel reports to the capture import (abi/capture.ts)
// is one stdout line: "capture <µs since the Unix epoch> <point> <nic> <svc> <reason>
// <base64 of the bytes>", the numbers in decimal (-1: none), the bytes in base64 as the
// status line's (loader/capture/record.ts parseImageLine reads it).
export const IMG_CAPTURE_PREFIX = "capture ";

// Numbers of the metal image (issue #12, spec/metal.md): the payload that `persia image
// --target metal` appends to the prebuilt boot image (hosts/metal), which the metal host
// reads at boot. Valid AssemblyScript and TypeScript; abi/gen.ts writes them for Rust
// (abi/gen/persia_abi.rs) so the host in hosts/metal keeps no copy.
//
// The payload starts at the first 4 KiB boundary after the boot image's last byte (the
// linker script's __payload symbol) and is loaded with it (Multiboot's a.out kludge loads
// the whole file). Little-endian throughout.
//   header   0 u32 magic "PMTL"   4 u32 version   8 u32 total bytes (header included)
//           12 u32 section count  16 [32] SHA-256 of the kernel.wasm the kernel section was
//           compiled from (the bytes every host runs)   48 [16] zero
//   then `count` section entries of MTL_SEC_SIZE bytes: kind, id, offset (from the
//   payload's first byte; a multiple of MTL_ALIGN), length.
import { ETH_HDR } from "./kernel";

export const MTL_MAGIC = 0x4c544d50;   // "PMTL" read as u32 LE
export const MTL_VERSION = 1;
export const MTL_TOTAL = 8;
export const MTL_COUNT = 12;
export const MTL_KERNEL_SHA256 = 16;
export const MTL_HEADER = 64;
export const MTL_SEC_KIND = 0;
export const MTL_SEC_ID = 4;
export const MTL_SEC_OFFSET = 8;
export const MTL_SEC_LENGTH = 12;
export const MTL_SEC_SIZE = 16;
/** Every section starts at a multiple of this (a page). Nothing runs in place: wasmtime 48
 *  refuses Module::deserialize_raw when it manages virtual memory, so the host copies each
 *  precompiled module into a heap mapping of its own (hosts/metal/src/node/engine.rs). The
 *  alignment is kept so that each section owns its pages — a host that maps code in place,
 *  or write-protects the payload page by page, needs no new format — at less than a page
 *  per section. */
export const MTL_ALIGN = 4096;

export enum MtlSection {
  BOOT = 1,          // id 0: the boot manifest (abi/manifest.ts), handed to k_boot as is
  NAME = 2,          // id 0: the node's name, UTF-8
  NIC = 3,           // id: the manifest NIC id; body MTL_NIC_*
  DISK = 4,          // id: the manifest disk id; body MTL_DISK_*
  KERNEL = 5,        // id 0: kernel.wasm precompiled by wasmtime (MTL_WASMTIME) for the metal target
  SLOT = 6,          // id: a service id (slot); body MTL_SLOT_*
  MODULE_CODE = 7,   // id: a module index; the metered module precompiled like KERNEL
  MODULE_FILE = 8,   // id: a module index; the module file as it was signed (module_read)
  SLOT_NAME = 9,     // id: a manifest service's id (slot); its domain, UTF-8, for the host's log lines
  USB = 10,          // id: the manifest USB device id; body MTL_USB_* (how the xHCI driver matches it)
}

// NIC body: which virtio-net device carries the NIC. Devices are numbered in PCI order
// (bus, device, function ascending), from 0, counting virtio-net devices only. The MAC is
// always written: a NIC matched by MAC is the one device with it; a NIC at a PCI place is
// refused at boot when that device has another MAC (the kernel would send from an address
// the port does not own).
export const MTL_NIC_PCI_INDEX = 0;   // u32; MTL_BY_MAC when the NIC is matched by its MAC
export const MTL_NIC_MAC = 4;         // [6] the NIC's MAC (the manifest's), which its device must have
export const MTL_NIC_SIZE = 12;
export const MTL_BY_MAC = 0xffffffff;

/** The largest MTU a NIC has on metal: the virtio-net driver (hosts/metal/src/dev/net.rs)
 *  negotiates neither VIRTIO_NET_F_MTU nor VIRTIO_NET_F_MRG_RXBUF, so each buffer holds one
 *  Ethernet frame of at most this payload; `persia image --target metal` refuses more. */
export const MTL_NIC_MTU_MAX = 1500;
/** The longest frame the driver sends or receives: MTL_NIC_MTU_MAX and the Ethernet header, no FCS. */
export const MTL_NIC_FRAME_MAX = MTL_NIC_MTU_MAX + ETH_HDR;

// DISK body: which virtio-blk device (PCI order among virtio-blk devices) and the size the
// manifest gave; a device smaller than that is refused at boot by name.
export const MTL_DISK_PCI_INDEX = 0;  // u32
export const MTL_DISK_SIZE = 8;       // u64, bytes
export const MTL_DISK_BODY = 16;

// USB body: how the host recognises the manifest's USB device (issue #16, spec/metal.md "USB
// (xHCI)"). Every matcher present (MtlUsbMatch bit set) must match; at least one is.
//   0 u32 MtlUsbMatch bits   4 u16 vendor   6 u16 product
//   8 [32] path, UTF-8, NUL-padded ("<bus>-<port>[.<port>…]"; bus 1 is the USB 2 root hub,
//      2 the USB 3 one, as Linux numbers a lone xHC's; up to USB_PATH_PORTS_MAX ports)
//   40 [16] the device's manifest name, NUL-padded (for the host's log lines)
//   56 u32 serial length   60 [length] serial, UTF-8 (iSerialNumber), at most MTL_USB_SERIAL_MAX
export const MTL_USB_MATCH = 0;
export const MTL_USB_VENDOR = 4;
export const MTL_USB_PRODUCT = 6;
export const MTL_USB_PATH = 8;
export const MTL_USB_PATH_MAX = 32;       // bytes of the path field
export const MTL_USB_NAME = 40;
export const MTL_USB_NAME_MAX = 16;       // bytes of the name field
export const MTL_USB_SERIAL_LEN = 56;
export const MTL_USB_SERIAL = 60;
export const MTL_USB_SERIAL_MAX = 384;    // bytes of a serial: 126 UTF-16 units are at most 378 bytes of UTF-8
export enum MtlUsbMatch {
  DEVICE = 1,        // vendor:product
  SERIAL = 2,
  PATH = 4,
}

// SLOT body: what a service id may hold (as hosts/node/services.ts SlotPlace).
export const MTL_SLOT_FLAGS = 0;          // u32, MtlSlotFlag bits
export const MTL_SLOT_MODULE = 4;         // u32, the module index of its MODULE_CODE / MODULE_FILE
export const MTL_SLOT_RAM_MAX = 8;        // u32, pages a service there may grow to (its ceiling)
export const MTL_SLOT_MEM_MIN = 12;       // u32, the module's initial memory, pages
export const MTL_SLOT_DECLARED_MAX = 16;  // u32, the module's declared maximum, or MTL_NO_MAX
export const MTL_SLOT_SHA256 = 20;        // [32] SHA-256 of the module file
export const MTL_SLOT_SIZE = 52;
export const MTL_NO_MAX = 0xffffffff;

export enum MtlSlotFlag {
  BOOT = 1,          // a manifest service (loaded at boot)
  STORE = 2,         // a store slot (manifest store:), for a run-time LOAD
}

/** Heap the metal host keeps for itself: a service's memory may not grow (memory.grow
 *  answers -1) when the growth could leave less free (hosts/metal/src/node/memory.rs), and
 *  `persia image` counts it in the RAM it gives QEMU (-m). What the host allocates after
 *  boot comes from it: a service's Store and instance at each (re)start, the kernel's calls. */
export const MTL_HEAP_RESERVE = 16 << 20;

/** The most RAM a metal node may need (`persia image` refuses a manifest that needs more):
 *  the host maps the first 4 GiB (hosts/metal/src/boot.rs), and a PC puts its devices'
 *  registers in the last of them (QEMU's i440fx moves RAM over 3 GiB above 4 GiB). */
export const MTL_RAM_MAX = 3072 * 1024 * 1024;

/** The wasmtime release whose compiler precompiles the image's modules and whose runtime
 *  (the `wasmtime` crate, no_std) runs them on metal: both must be this exact version. */
export const MTL_WASMTIME = "48.0.0";

// The serial console: the metal host prints the boot log and, like the wasmtime image, the
// status lines of abi/image.ts (IMG_STATUS_PREFIX, IMG_HOST_PREFIX), so `persia status
// --from serial.log` reads either. The kernel's SHA-256 line:
export const MTL_KERNEL_LINE = "kernel.wasm sha256 ";
// After k_boot the node polls the kernel once (which starts the boot services) and prints
// what booting cost (spec/metal.md "Boot"):
//   "persia-metal: started <running> of <services> services; boot <ms> ms, heap <bytes>
//    bytes in use, kernel memory <pages> pages"
// <ms> from the clock's start to after that poll; heap: every allocation the host holds
// then (wasmtime's, the node's and the services' memories).
export const MTL_STARTED_LINE = "persia-metal: started ";

// isa-debug-exit (QEMU `-device isa-debug-exit,iobase=0xf4,iosize=0x04`): the host writes
// a code there when it stops, and QEMU exits with (code << 1) | 1.
export const MTL_EXIT_PORT = 0xf4;
export enum MtlExit {
  STOPPED = 0,       // the node stopped as asked (`for=` passed): QEMU exits 1
  FAILED = 1,        // boot failed or the host hit an error it cannot go on from: QEMU exits 3
}

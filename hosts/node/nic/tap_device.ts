// How the TAP NIC (tap.ts) reaches Linux: the ioctl numbers and struct ifreq layout it needs,
// libc bound through koffi (and a fake one for tests), and the steps that open a TAP — attach
// (creating it if missing, with a vnet header and offloads where asked) and configure (MTU,
// up) — each refusal worded for a person with what to change. Node has no ioctl: spec/hosts.md
// says why koffi. Used by tap.ts only; nothing here reads or writes a frame.
import * as fs from "fs";
import * as os from "os";
import { RingSys } from "./uring";
import { VNET_HDR_LEN } from "./offload";

// Values checked against this machine's headers (x86-64; arm64 shares them).
const TUN_PATH = "/dev/net/tun";
const TUNSETIFF = 0x400454ca;   // <linux/if_tun.h>: _IOW('T', 202, int)
const IFF_TAP = 0x0002;         // <linux/if_tun.h>
const IFF_NO_PI = 0x1000;       // <linux/if_tun.h>: no 4-byte packet information header
const IFF_VNET_HDR = 0x4000;    // <linux/if_tun.h>: a struct virtio_net_hdr before each frame
const TUNSETOFFLOAD = 0x400454d0;    // _IOW('T', 208, unsigned int), the flags by value
const TUNSETVNETHDRSZ = 0x400454d8;  // _IOW('T', 216, int), through a pointer
export const TUN_F_CSUM = 0x01, TUN_F_TSO6 = 0x04, TUN_F_USO4 = 0x20, TUN_F_USO6 = 0x40;  // <linux/if_tun.h>
const SIOCGIFFLAGS = 0x8913;    // <linux/sockios.h>
const SIOCSIFFLAGS = 0x8914;
const SIOCSIFMTU = 0x8922;
const IFF_UP = 0x1;             // <net/if.h>
const O_RDWR = 0x2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;  // <bits/fcntl-linux.h>
const AF_INET6 = 10, AF_PACKET = 17, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
// io_uring_setup and io_uring_enter share their numbers on x86-64 and arm64 (425, 426).
const SYS_IO_URING_SETUP = 425, SYS_IO_URING_ENTER = 426;
const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_POPULATE = 0x8000;  // <sys/mman.h>
/** Writes one io_uring_enter takes (a turn's frames; more are submitted in more than one). */
export const RING_ENTRIES = 64;
const ARCHES = ["x64", "arm64"]; // where the values above hold (mips, ppc, sparc differ)

/*
 * struct ifreq, <net/if.h>: 40 bytes on LP64.
 *
 *   offset  0  char ifr_name[IFNAMSIZ]   interface name, NUL-terminated (IFNAMSIZ = 16)
 *   offset 16  union ifr_ifru            short ifr_flags | int ifr_mtu | ... (24 bytes)
 *
 * Integers are in host byte order.
 */
export const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;
const IFR_FLAGS = 16;
const IFR_MTU = 16;
const HOST_LE = os.endianness() === "LE";

/** A struct ifreq naming `device`, with ifr_flags or ifr_mtu set if given. */
export function ifreq(device: string, set: { flags?: number; mtu?: number } = {}): Buffer {
  const req = Buffer.alloc(IFREQ_SIZE);
  req.write(device, 0, IFNAMSIZ - 1, "latin1");
  const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
  if (set.flags !== undefined) v.setUint16(IFR_FLAGS, set.flags, HOST_LE);
  if (set.mtu !== undefined) v.setInt32(IFR_MTU, set.mtu, HOST_LE);
  return req;
}

function ifreqFlags(req: Buffer): number {
  return new DataView(req.buffer, req.byteOffset, req.byteLength).getUint16(IFR_FLAGS, HOST_LE);
}

export interface PollHandle { close(): void }

/** The libc calls this file makes, bound once on first use. */
export interface Libc {
  open(path: string, flags: number): number;
  ioctl(fd: number, request: number, arg: Buffer): number;
  /** ioctl with an integer argument passed by value. */
  ioctlValue(fd: number, request: number, arg: number): number;
  socket(domain: number, type: number, protocol: number): number;
  read(fd: number, buf: Uint8Array, n: number): number;
  write(fd: number, buf: Uint8Array, n: number): number;
  close(fd: number): number;
  /** errno of the last call; read it right after the call that failed. */
  errno(): number;
  /** Linux errno values by name ("EAGAIN" → 11). */
  E: Record<string, number>;
  /** "EBADFD (File descriptor in bad state)". */
  describe(errno: number): string;
  /** libuv's poll on Node's loop; calls back with a libuv status (0, or < 0 after POLLERR). */
  poll(fd: number, readable: (status: number) => void): PollHandle;
  /** io_uring for batched writes (uring.ts); absent: one write() per frame. */
  ring?: RingSys;
}

let bound: Libc | null = null;

/** Tests only: the libc the next TAP opens with (a fake that plays Linux), or null for the
 *  real one. */
export function useLibcForTests(lib: Libc | null): void {
  bound = lib;
}

export function libc(): Libc {
  if (bound !== null) return bound;
  if (process.platform !== "linux" || !ARCHES.includes(process.arch)) {
    throw new Error(`TAP NICs need Linux on ${ARCHES.join(" or ")}; this is ${process.platform} on ${process.arch}`);
  }
  type Koffi = typeof import("koffi").default;
  // Loaded here, not at import, so nodes without TAP NICs never load the native module.
  let koffi: Koffi, lib: ReturnType<Koffi["load"]>;
  try {
    koffi = require("koffi") as Koffi;
    lib = koffi.load("libc.so.6");
  } catch (e) {
    throw new Error(`TAP NICs call glibc through the koffi package, which failed to load: ${(e as Error).message}. ` +
      `Run \`npm install\` in the PersiaOS directory, on a glibc-based Linux.`);
  }
  const ioctl = lib.func("int ioctl(int fd, unsigned long request, ...)");
  const strerror = lib.func("const char *strerror(int errnum)");
  const names = new Map<number, string>();
  for (const [name, n] of Object.entries(koffi.os.errno)) if (!names.has(n)) names.set(n, name); // EAGAIN, not EWOULDBLOCK
  // koffi 3.3.4's index.d.ts leaves out the status argument that src/koffi/src/uv.cc passes first.
  const poll = koffi.node.poll as unknown as
    (fd: number, opts: { readable: boolean }, cb: (status: number) => void) => PollHandle;
  const syscallSetup = lib.func("long syscall(long nr, unsigned int entries, void *params)");
  const syscallEnter = lib.func("long syscall(long nr, int fd, unsigned int toSubmit, unsigned int minComplete, unsigned int flags, void *sig, size_t sz)");
  const mmap = lib.func("void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)");
  const munmap = lib.func("int munmap(void *addr, size_t len)");
  const close = lib.func("int close(int fd)");
  const MAP_FAILED = -1n;
  const mapping = (len: number, flags: number, fd: number, off: number) => {
    const ptr = mmap(null, len, PROT_READ | PROT_WRITE, flags, fd, off);
    if (ptr === null || koffi.address(ptr) === BigInt.asUintN(64, MAP_FAILED)) return null;
    return { view: koffi.view(ptr, len), address: koffi.address(ptr) as bigint, unmap: () => { munmap(ptr, len); } };
  };
  bound = {
    open: lib.func("int open(const char *path, int flags, ...)"),
    ioctl: (fd, request, arg) => ioctl(fd, request, "void *", arg),
    ioctlValue: (fd, request, arg) => ioctl(fd, request, "unsigned long", arg),
    socket: lib.func("int socket(int domain, int type, int protocol)"),
    read: lib.func("long read(int fd, void *buf, size_t count)"),
    write: lib.func("long write(int fd, const void *buf, size_t count)"),
    close,
    errno: () => koffi.errno(),
    E: koffi.os.errno,
    describe: (e) => `${names.get(e) ?? `errno ${e}`} (${strerror(e)})`,
    poll: (fd, readable) => poll(fd, { readable: true }, readable),
    ring: {
      setup: (entries, params) => Number(syscallSetup(SYS_IO_URING_SETUP, entries, params)),
      enter: (fd, toSubmit, minComplete, flags) => Number(syscallEnter(SYS_IO_URING_ENTER, fd, toSubmit, minComplete, flags, null, 0)),
      map: (len, fd, off) => mapping(len, MAP_SHARED | MAP_POPULATE, fd, off),
      anon: (len) => mapping(len, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      close: (fd) => close(fd),
      errno: () => koffi.errno(),
      EINTR: koffi.os.errno.EINTR,
      EAGAIN: koffi.os.errno.EAGAIN,
      describe: (e) => `${names.get(e) ?? `errno ${e}`} (${strerror(e)})${e === koffi.os.errno.EPERM ? uringDisabled() : ""}`,
    },
  };
  return bound;
}

/** Why io_uring_setup may say EPERM: the kernel.io_uring_disabled sysctl (Linux 6.6), or not. */
function uringDisabled(): string {
  try {
    const v = fs.readFileSync("/proc/sys/kernel/io_uring_disabled", "utf8").trim();
    return v === "0" ? "; kernel.io_uring_disabled is 0: a seccomp filter or an LSM refused it" : `; kernel.io_uring_disabled is ${v}`;
  } catch {
    return "; a seccomp filter or an LSM refused it";
  }
}

export interface TapOptions {
  /** NIC id in the boot manifest. */
  id: number;
  /** Linux interface name, e.g. "pt0". */
  device: string;
  /** MTU to give the interface (the NIC's MTU); left as it is if absent. */
  mtu?: number;
  /** IFF_VNET_HDR with checksum and segmentation offloads (default: on unless the
   *  environment says PERSIA_TAP_OFFLOAD=0). */
  offload?: boolean;
  /** With offloads, also merge UDP datagrams of one flow into GSO_UDP_L4 super-frames
   *  (the manifest's `tap: { udp_gro: true }`; default off — offload.ts Coalescer says why,
   *  as Linux's rx-udp-gro-forwarding is). Only if Linux took USO. */
  udpGro?: boolean;
}

export const offloadDefault = (): boolean => process.env.PERSIA_TAP_OFFLOAD !== "0";

type Step = "open" | "attach" | "mtu" | "link";

/** What to do about errno `e` at `step`, for a person. */
function advice(lib: Libc, e: number, o: TapOptions, step: Step): string {
  const dev = o.device;
  if (e === lib.E.EPERM || e === lib.E.EACCES) {
    return `creating or configuring a TAP needs CAP_NET_ADMIN: run the node as root, or create ${dev} ` +
      `beforehand for this user (\`ip tuntap add dev ${dev} mode tap user <name>\`) and bring it up.`;
  }
  if (step === "open" && e === lib.E.ENOENT) {
    return `load the tun module (\`modprobe tun\`), or pass the device into the container (--device ${TUN_PATH}).`;
  }
  if (step === "attach" && e === lib.E.EBUSY) {
    return `another process holds ${dev} (a TAP without multi_queue takes one reader): stop it, or choose another device.`;
  }
  if (step === "attach" && e === lib.E.EINVAL) {
    return `${dev} exists but is not a single-queue TAP (it may be a TUN, a multi_queue TAP or another kind of ` +
      `interface): choose another device name, or remove a leftover ${dev} with \`ip link del ${dev}\`.`;
  }
  if (step === "mtu" && e === lib.E.EINVAL) return `Linux does not take this MTU for ${dev}; see \`ip -d link show ${dev}\` (minmtu, maxmtu).`;
  return `see \`ip -d link show ${dev}\`.`;
}

function failure(lib: Libc, o: TapOptions, step: Step, what: string, e: number): Error {
  return new Error(`TAP NIC ${o.id}: ${what} (${lib.describe(e)}): ${advice(lib, e, o, step)}`);
}

/** Opens /dev/net/tun and attaches it to the TAP named o.device, creating the device if needed. */
export function attach(lib: Libc, o: TapOptions, vnet: boolean): { fd: number; created: boolean; offloads: number } {
  const created = !fs.existsSync(`/sys/class/net/${o.device}`);
  const fd = lib.open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw failure(lib, o, "open", `cannot open ${TUN_PATH}`, lib.errno());
  if (lib.ioctl(fd, TUNSETIFF, ifreq(o.device, { flags: IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0) })) < 0) {
    const e = lib.errno();
    lib.close(fd);
    throw failure(lib, o, "attach", `cannot attach to TAP device ${o.device}`, e);
  }
  if (!vnet) return { fd, created, offloads: 0 };
  const size = Buffer.alloc(4);
  size.writeInt32LE(VNET_HDR_LEN);
  if (lib.ioctl(fd, TUNSETVNETHDRSZ, size) < 0) {
    const e = lib.errno();
    lib.close(fd);
    throw failure(lib, o, "attach", `cannot set the vnet header size of ${o.device}`, e);
  }
  // USO (UDP segmentation) exists on tun since Linux 6.2, and tun takes USO4 and USO6 only
  // together (set_offload: EINVAL for one alone), as wireguard-go's tunUDPOffloads asks them;
  // without it, checksum and TSO6 only. IPv4 UDP super-frames USO4 lets in are refused on read
  // (rx_gso_bad), as the kernel would drop any IPv4 frame.
  for (const flags of [TUN_F_CSUM | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6, TUN_F_CSUM | TUN_F_TSO6, 0]) {
    if (lib.ioctlValue(fd, TUNSETOFFLOAD, flags) === 0) return { fd, created, offloads: flags };
  }
  return { fd, created, offloads: 0 };
}

/** Sets the interface's MTU (if given) and IFF_UP, through a datagram socket's ioctls. */
export function configure(lib: Libc, o: TapOptions): void {
  let sock = lib.socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) sock = lib.socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) throw failure(lib, o, "link", `cannot open a socket to configure ${o.device}`, lib.errno());
  try {
    if (o.mtu !== undefined && lib.ioctl(sock, SIOCSIFMTU, ifreq(o.device, { mtu: o.mtu })) < 0) {
      throw failure(lib, o, "mtu", `cannot set the MTU of ${o.device} to ${o.mtu}`, lib.errno());
    }
    const req = ifreq(o.device);
    if (lib.ioctl(sock, SIOCGIFFLAGS, req) < 0) throw failure(lib, o, "link", `cannot read the flags of ${o.device}`, lib.errno());
    const up = ifreq(o.device, { flags: ifreqFlags(req) | IFF_UP });
    if (lib.ioctl(sock, SIOCSIFFLAGS, up) < 0) throw failure(lib, o, "link", `cannot bring ${o.device} up`, lib.errno());
  } finally {
    lib.close(sock);
  }
}

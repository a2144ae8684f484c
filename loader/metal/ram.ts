// The RAM a metal node needs (spec/metal.md "RAM"), which `persia image` gives QEMU as -m
// and checks against what the host can reach. The host's heap holds everything past the
// image: each precompiled module copied into a mapping of its own, the kernel's memory,
// every service's memory, the node's stack and the drivers' buffers. A memory that grows
// is a Vec in wasmtime 48 (hosts/metal/src/node/memory.rs): grown to its RAM max it may
// hold twice that, and while it moves the old allocation is held too (at most one moves at
// a time: one core). The host keeps MTL_HEAP_RESERVE free and refuses a service's growth
// that could take it. Store slots count as if each held a service at its RAM max.
import { ETH_HDR } from "../../abi/kernel";
import { MTL_HEAP_RESERVE, MTL_NIC_FRAME_MAX, MTL_RAM_MAX } from "../../abi/metal";
import { LoaderError } from "../errors";
import type { HostPlan } from "../manifest";

const MIB = 1 << 20;
const PAGE = 65536;
/** The node's stack (hosts/metal/src/main.rs NODE_STACK: the kernel's and a service's wasm
 *  stack budgets and the host's frames) and wasmtime's own allocations (engines, Stores,
 *  instances), with room: measured, 55 MiB allocated at boot besides the kernel's memory
 *  and the code, for a node of two services and one NIC. */
const HOST_FIXED = 64 * MIB;
/** Per service id, beside its memory: its Store, instance, fuel global and slot record, and
 *  the Linker clone each start makes (hosts/metal/src/node/instance.rs). Measured (issue
 *  #17, tests/bench/metal_scale.ts): 6.8 KiB per started echo service past the first 10,
 *  at 100 and at 1,000 services; counted with room. */
const PER_SLOT = 16 * 1024;
/** Per NIC: 384 receive and transmit buffers of a frame each, with their rings. */
const PER_NIC = 384 * (MTL_NIC_FRAME_MAX + ETH_HDR + 64) + 64 * 1024;
/** Per disk: the 64 KiB bounce buffer and the ring. */
const PER_DISK = 128 * 1024;
/** Below the image (1 MiB: the BIOS's) and QEMU's own reservations out of -m. */
const LOW = 2 * MIB;

export interface RamAccount {
  /** The boot image and the payload, in RAM where the loader put them. */
  image: number;
  /** The precompiled code copied into the heap (the kernel's and each module's, once). */
  code: number;
  /** The kernel's memory at start, twice (its growth is a Vec's). */
  kernel: number;
  /** Every service id's RAM max, twice, and the largest once more (a move in progress). */
  services: number;
  /** HOST_FIXED, PER_SLOT per service id, the drivers' buffers and MTL_HEAP_RESERVE. */
  host: number;
  /** The sum, rounded up to 16 MiB: QEMU's -m. */
  mib: number;
}

/** The RAM account of a node: the plan, the image and payload sizes, the precompiled code's
 *  size and the kernel's initial memory in pages. Throws a LoaderError when it is over
 *  MTL_RAM_MAX, which the host cannot reach. */
export function ramAccount(plan: HostPlan, imageBytes: number, codeBytes: number, kernelPages: number): RamAccount {
  const maxes = [...plan.services.map((s) => s.ramMaxPages * PAGE), ...plan.store.flatMap((e) => Array<number>(e.slots).fill(e.ramMaxPages * PAGE))];
  const services = 2 * maxes.reduce((a, b) => a + b, 0) + maxes.reduce((a, b) => Math.max(a, b), 0);
  const host = HOST_FIXED + maxes.length * PER_SLOT + plan.nics.length * PER_NIC + plan.disks.length * PER_DISK + MTL_HEAP_RESERVE;
  const kernel = 2 * kernelPages * PAGE;
  const total = LOW + imageBytes + codeBytes + kernel + services + host;
  const mib = Math.ceil(total / (16 * MIB)) * 16;
  if (total > MTL_RAM_MAX) {
    throw new LoaderError("the node's RAM", `it needs ${mib} MiB (services and store slots ${Math.ceil(services / MIB)} MiB: each RAM max twice, as wasmtime's memories may double when they grow, and the largest once more while it moves; code ${Math.ceil(codeBytes / MIB)} MiB; kernel ${Math.ceil(kernel / MIB)} MiB; host ${Math.ceil(host / MIB)} MiB), over the ${MTL_RAM_MAX / MIB} MiB the metal host can reach (it maps the first 4 GiB, and a PC puts its devices' registers in the last of them)`,
      "Lower the services' `ram.max` and the store entries' `ram` or `slots`, or split the services over two nodes.");
  }
  return { image: imageBytes, code: codeBytes, kernel, services, host, mib };
}

// Shared by the metal unit tests: a flat boot image with a Multiboot header whose fields a
// test may spoil (the real one is build/metal/persia-metal.bin), and a stand-in for the
// precompiler that marks what it was given, so the payload's layout is tested without
// wasmtime.
import { createHash } from "crypto";
import { MTL_ALIGN } from "../../abi/metal";
import { LOAD_ADDR, MB_AOUT_KLUDGE, MB_MAGIC } from "../../loader/metal/elf";

export type MbFields = Partial<Record<"flags" | "header" | "load" | "loadEnd" | "bssEnd" | "entry" | "sum", number>>;

/** A flat boot image of `size` bytes with a Multiboot header at `at`, fields overridable. */
export function flatBootImage(size = 3 * MTL_ALIGN + 17, at = 0, f: MbFields = {}): Uint8Array {
  const b = new Uint8Array(size).fill(0x90);
  const v = new DataView(b.buffer);
  const flags = f.flags ?? (MB_AOUT_KLUDGE | 2);
  [MB_MAGIC, flags, f.sum ?? (-(MB_MAGIC + flags)) >>> 0, f.header ?? LOAD_ADDR + at, f.load ?? LOAD_ADDR, f.loadEnd ?? 0,
    f.bssEnd ?? 0, f.entry ?? LOAD_ADDR + 64].forEach((w, i) => v.setUint32(at + 4 * i, w >>> 0, true));
  return b;
}

/** "precompiled:<label>:<sha256 of the input>": what fakePrecompile returns. */
export function fakePrecompile(wasm: Uint8Array, label: string): Uint8Array {
  return new TextEncoder().encode(`precompiled:${label}:${createHash("sha256").update(wasm).digest("hex")}`);
}

// A byte view of one WebAssembly.Memory that survives memory.grow: the view is rebuilt
// only when the memory's ArrayBuffer changes (a grow detaches the old one), so hot paths
// (frames, syscall copies, disk I/O) read `.bytes` without allocating.
// Does not bounds-check; callers check ranges with inRange() before copying.
// Used by kernel.ts (the kernel's exported memory), services.ts and disk.ts.

export class MemView {
  private view: Uint8Array;

  constructor(readonly memory: WebAssembly.Memory) {
    this.view = new Uint8Array(memory.buffer);
  }

  /** The current bytes of the memory; the same object until the memory grows. A grow
   *  detaches the old buffer, which leaves its views 0 bytes long: that test is a field
   *  read, where `memory.buffer` is a call into the engine (8 % of forwarding under Node,
   *  once per frame sent; issue #17). A memory of 0 bytes just builds its empty view anew. */
  get bytes(): Uint8Array {
    if (this.view.length === 0) this.view = new Uint8Array(this.memory.buffer);
    return this.view;
  }
}

/** True when [ptr, ptr+len) lies inside a view of `size` bytes. ptr and len are read as
 *  unsigned 32-bit values, so a negative i32 from Wasm is a huge offset and fails. */
export function inRange(ptr: number, len: number, size: number): boolean {
  return (ptr >>> 0) + (len >>> 0) <= size;
}

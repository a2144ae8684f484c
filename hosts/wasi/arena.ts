// The memory the canonical ABI writes into: a bump arena for the lists WASI returns
// (received datagrams, bytes read from a disk, ready pollables, arguments, preopens), handed
// out by cabi_realloc, and the return area every WASI call with a retptr writes into.
// Does not free anything but in stack order: a caller marks the arena before the call and
// releases the mark when it is done with what the call returned. The arena's size covers
// the largest result the shim asks for (a full receive batch); running out is a broken shim
// invariant and stops the node (fail, at the release after the call).
// Used by main.ts (which exports cabi_realloc) and every file that calls WASI.
import { RECV_BATCH, UDP_DATA_MAX, IN_DGRAM_SIZE, RET_SIZE } from "./cabi";
import { fail } from "./out";

/** Bytes in the arena: a full receive batch of the largest datagrams (64 KiB each) and
 *  their records, plus 64 KiB for everything else (disk read chunks, poll results). */
export const ARENA_SIZE: i32 = RECV_BATCH * UDP_DATA_MAX + RECV_BATCH * IN_DGRAM_SIZE + 65536 + 1024;
const ARENA: usize = memory.data(ARENA_SIZE, 16);
let top: usize = 0;   // bytes of the arena handed out

/** The return area of WASI calls (their last parameter). Read it before the next call. */
export const RET: usize = memory.data(RET_SIZE, 8);

/** Where the arena is now. Take a mark before a WASI call that returns lists and release
 *  it when done with them; a nested call (a disk read while received datagrams are being
 *  delivered) allocates above its caller's lists and releases only its own. */
export function arenaMark(): usize {
  return top;
}

/** Gives back what was handed out since `mark`; stops the node if cabi_realloc had to
 *  overflow in the meantime (it cannot print itself: the canonical ABI forbids calling
 *  an import from inside realloc). */
export function arenaRelease(mark: usize): void {
  top = mark;
  if (overflow != 0) {
    fail("the arena for lists WASI returns is too small (" + ARENA_SIZE.toString() + " bytes; a list of " +
      overflow.toString() + " bytes or alignment " + overflowAlign.toString() + " was asked for); this is a bug in hosts/wasi");
  }
}

let overflow: usize = 0;        // the size of a request the arena could not serve, 0 if none
let overflowAlign: usize = 0;

/** The canonical ABI's realloc: old is 0 for every list WASI returns; a non-zero old
 *  (growing a block) is served by a fresh block and a copy. A request the arena cannot
 *  serve is served from the heap and reported at the next arenaRelease. */
export function cabiRealloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  let ptr: usize;
  let start = (top + align - 1) & ~(align - 1);
  if (align == 0 || (align & (align - 1)) != 0 || align > 16 || newSize > <usize>ARENA_SIZE || start + newSize > <usize>ARENA_SIZE) {
    overflow = max<usize>(newSize, 1);
    overflowAlign = align;
    ptr = heap.alloc(newSize);
  } else {
    top = start + newSize;
    ptr = ARENA + start;
  }
  if (old != 0 && oldSize != 0) memory.copy(ptr, old, min(oldSize, newSize));
  return ptr;
}

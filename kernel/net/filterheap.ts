// The block filters' expiries (net/filter.ts) as a binary min-heap: the filter that
// expires first is at the top, so filterExpire takes filters off while the top is due and
// filterNext reads the next deadline, neither scanning the table. Each filter's place in
// the heap is kept, so a refresh (a new expiry) or a removal moves or takes out just that
// filter in O(log n). Filters are named by their record number in filter.ts, below
// FILTER_MAX. Allocates nothing.
import { FILTER_MAX } from "../../abi/limits";

const HEAP: usize = memory.data(FILTER_MAX * 4, 8);     // filter numbers, in heap order
const AT: usize = memory.data(FILTER_MAX * 4, 8);       // each filter's index in HEAP
const EXPIRES: usize = memory.data(FILTER_MAX * 8, 8);  // each filter's expiry (kernel ms)
export let heapSize: i32 = 0;

// @ts-ignore: decorator
@inline function at(i: i32): i32 { return load<i32>(HEAP + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function posOf(f: i32): i32 { return load<i32>(AT + (<usize>f << 2)); }
// @ts-ignore: decorator
@inline export function heapExpires(f: i32): i64 { return load<i64>(EXPIRES + (<usize>f << 3)); }

function place(i: i32, f: i32): void {
  store<i32>(HEAP + (<usize>i << 2), f);
  store<i32>(AT + (<usize>f << 2), i);
}

/** Move the filter at index i towards the top while it expires before its parent. */
function up(i: i32): void {
  let f = at(i), t = heapExpires(f);
  while (i > 0) {
    let parent = (i - 1) >> 1;
    let g = at(parent);
    if (heapExpires(g) <= t) break;
    place(i, g);
    i = parent;
  }
  place(i, f);
}

/** Move the filter at index i down while a child expires before it. */
function down(i: i32): void {
  let f = at(i), t = heapExpires(f);
  while (true) {
    let c = 2 * i + 1;
    if (c >= heapSize) break;
    if (c + 1 < heapSize && heapExpires(at(c + 1)) < heapExpires(at(c))) c++;
    if (heapExpires(at(c)) >= t) break;
    place(i, at(c));
    i = c;
  }
  place(i, f);
}

/** Add filter f, which expires at t. */
export function heapPush(f: i32, t: i64): void {
  store<i64>(EXPIRES + (<usize>f << 3), t);
  place(heapSize++, f);
  up(heapSize - 1);
}

/** Filter f (in the heap) now expires at t. */
export function heapSet(f: i32, t: i64): void {
  let old = heapExpires(f);
  store<i64>(EXPIRES + (<usize>f << 3), t);
  if (t < old) up(posOf(f));
  else down(posOf(f));
}

/** Take filter f (in the heap) out: the last filter fills its place and moves to where it
 *  belongs. */
export function heapDel(f: i32): void {
  let i = posOf(f);
  let last = at(--heapSize);
  if (i == heapSize) return;
  place(i, last);
  if (i > 0 && heapExpires(last) < heapExpires(at((i - 1) >> 1))) up(i);
  else down(i);
}

/** The filter that expires first, or -1. */
export function heapTop(): i32 { return heapSize > 0 ? at(0) : -1; }

export function heapClear(): void { heapSize = 0; }

/** Does every filter expire no earlier than its parent, and know its own place? For the
 *  tests. */
export function heapValid(): bool {
  for (let i = 0; i < heapSize; i++) {
    if (posOf(at(i)) != i) return false;
    if (i > 0 && heapExpires(at(i)) < heapExpires(at((i - 1) >> 1))) return false;
  }
  return true;
}

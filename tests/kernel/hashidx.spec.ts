// kernel/hashidx.ts: a small index (64 records, 128 slots), so runs of slots wrap around
// the end: keys are found after adds and deletes in any order (backward shift keeps every
// run whole), a deleted key is gone and its record number is reused, a full index refuses
// one more, and clearing empties it. Seeded: the same keys and order on every run.
import { Index, IDX_SLOT_BYTES, idxFind, idxAdd, idxDel, idxRec, idxLive, idxClear } from "../../kernel/hashidx";

const CAP: i32 = 64;
const SECRET: usize = memory.data(16, 8);
const t = new Index(memory.data(CAP * 24, 8), memory.data(CAP * IDX_SLOT_BYTES, 8), memory.data(CAP / 8, 8),
  SECRET, 24, 2, CAP);
const K: usize = memory.data(16, 8);
const KEYS: i32 = 200;
const has = new StaticArray<i32>(KEYS);   // key number -> its record, or -1

let seed: u32 = 12345;
function rnd(n: i32): i32 { seed = seed * 1103515245 + 12345; return <i32>((seed >> 8) % <u32>n); }

/** K := key number k (two words). */
function key(k: i32): usize { store<u64>(K, <u64>k * 0x9e3779b97f4a7c15); store<u64>(K, <u64>k, 8); return K; }

function checkAll(): void {
  for (let k = 0; k < KEYS; k++) {
    let r = idxFind(t, key(k));
    if (r != has[k]) expect(r).toBe(has[k], `key ${k}`);
  }
}

describe("hashidx", () => {
  beforeAll(() => { for (let i = 0; i < 16; i++) store<u8>(SECRET + <usize>i, <u8>(i * 7)); });
  beforeEach(() => { idxClear(t); for (let k = 0; k < KEYS; k++) has[k] = -1; });

  it("finds what was added, and nothing else", () => {
    for (let k = 0; k < CAP; k++) has[k] = idxAdd(t, key(k));
    expect(t.count).toBe(CAP);
    checkAll();
  });
  it("refuses a record past its capacity", () => {
    for (let k = 0; k < CAP; k++) idxAdd(t, key(k));
    expect(idxAdd(t, key(CAP))).toBe(-1);
  });
  it("keeps every key findable through 5,000 random adds and deletes", () => {
    let n = 0;
    for (let i = 0; i < 5000; i++) {
      let k = rnd(KEYS);
      if (has[k] >= 0) {
        expect(idxLive(t, has[k])).toBe(true);
        idxDel(t, has[k]);
        expect(idxLive(t, has[k])).toBe(false);
        has[k] = -1; n--;
      } else if (n < CAP) {
        has[k] = idxAdd(t, key(k));
        expect(has[k]).toBeGreaterThanOrEqual(0);
        expect(load<u64>(idxRec(t, has[k]), 8)).toBe(<u64>k);   // the key was copied in
        n++;
      }
      if (i % 10 == 0) checkAll();
    }
    checkAll();
    expect(t.count).toBe(n);
    expect(t.high).toBeLessThanOrEqual(CAP);                   // freed numbers were reused
  });
  it("is empty after a clear", () => {
    for (let k = 0; k < 10; k++) idxAdd(t, key(k));
    idxClear(t);
    checkAll();
    expect(t.count).toBe(0);
    expect(idxAdd(t, key(3))).toBe(0);
  });
});

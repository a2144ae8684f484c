// The fuzz suite's randomness: one seeded generator per run (mulberry32), the seed printed so
// that FUZZ_SEED=<seed> repeats a run exactly, and the run's size: FUZZ_SCALE=<n> multiplies
// every count (1, the default, keeps `npm test` to a minute or so; 20 or more for a long
// run). Used by every file in tests/fuzz.

export const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
export const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));

export class Rng {
  private a: number;
  constructor(seed: number) { this.a = seed >>> 0; }

  /** A number in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.a ^ (this.a >>> 15), 1 | this.a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  bytes(n: number): Uint8Array { return Uint8Array.from({ length: n }, () => this.int(256)); }

  /** A 32-bit argument biased to the values that find bugs: 0, small, edges, negative, any. */
  arg(memSize: number): number {
    switch (this.int(8)) {
      case 0: return 0;
      case 1: return this.int(64);
      case 2: return this.pick([-1, 0x7fffffff, -0x80000000, 0xffff, 0x10000, memSize, memSize - 1, memSize - 16]);
      case 3: return memSize - this.int(2048);
      case 4: return this.int(memSize);
      case 5: return -this.int(1 << 16);
      default: return this.int(2 ** 32) | 0;
    }
  }
}

/** Say which seed and scale a test runs with, so a failure can be repeated. */
export function announce(what: string): Rng {
  console.log(`fuzz ${what}: seed ${SEED}, scale ${SCALE} (FUZZ_SEED=${SEED} FUZZ_SCALE=${SCALE} repeats it)`);
  return new Rng(SEED);
}

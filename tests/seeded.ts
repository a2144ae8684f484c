// Seeded random inputs for the differential tests (tests/kernel/crypto*.test.ts): one
// generator per file, its seed printed, and <NAME>=<seed> in the environment repeats a run.
import * as crypto from "crypto";

/** mulberry32: small, seeded, good enough to pick test inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A generator seeded from env[variable] or at random; says which seed on stdout. */
export function seeded(label: string, variable = "CRYPTO_SEED") {
  const seed = Number(process.env[variable] ?? crypto.randomInt(2 ** 31));
  console.log(`${label}: seed ${seed} (${variable}=${seed} repeats this run)`);
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  return { seed, rand, int, bytes };
}

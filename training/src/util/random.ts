// Seeded pseudo-random numbers (mulberry32) and the shuffles built on them, so every run is reproducible.

/** A deterministic generator of floats in [0, 1). */
export interface Random {
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  /** standard normal sample (Box-Muller) */
  normal(): number;
  /** the generator's internal state (a uint32); restore(state()) continues the same sequence */
  state(): number;
  restore(state: number): void;
}

/** mulberry32: small, fast, and good enough for shuffling and test data. */
export function createRandom(seed: number): Random {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number): number => Math.floor(next() * n),
    normal: (): number => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    state: (): number => state,
    restore: (saved: number): void => {
      if (!Number.isInteger(saved) || saved < 0 || saved > 0xffffffff) throw new Error(`random state must be a uint32, got ${saved}`);
      state = saved;
    },
  };
}

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace<V>(items: { length: number; [i: number]: V }, random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
}

/** A random permutation of 0..n-1. */
export function permutation(n: number, random: Random): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, random);
  return order;
}

/**
 * The one seeded pseudo-random generator of the project: xoshiro128** (32-bit
 * state words, so everything stays in fast int32 arithmetic), seeded through
 * splitmix32 so that nearby seeds give unrelated streams.
 *
 * Same seed -> same sequence on every platform. getState()/setState() capture
 * everything (including the spare normal deviate) so a run resumed from a
 * checkpoint continues the exact stream.
 */

/** The full state of an Rng, JSON-serialisable (`getState` / `setState`, saved in checkpoints). */
export interface RngState {
  /** The four xoshiro128** state words (uint32). */
  s: [number, number, number, number];
  /** Cached second Box-Muller deviate, or null. */
  spare: number | null;
}

/**
 * One xoshiro128** step on a 4-word state, advanced in place; returns the next
 * uint32. The only copy of the recurrence: `Rng` and the TypeScript twin of the
 * uniformMask kernel both call it (native/random.c mirrors it in C).
 */
export function xoshiro128ssNext(s: Uint32Array): number {
  const s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
  const m = Math.imul(s1, 5);
  const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
  const t = s1 << 9;
  let n2 = s2 ^ s0;
  let n3 = s3 ^ s1;
  const n1 = s1 ^ n2;
  const n0 = s0 ^ n3;
  n2 ^= t;
  n3 = (n3 << 11) | (n3 >>> 21);
  s[0] = n0; s[1] = n1; s[2] = n2; s[3] = n3;
  return result;
}

/** A uniform float in [0, 1) with 53 random bits from two consecutive uint32 draws. */
export function uniform53(hiWord: number, loWord: number): number {
  return ((hiWord >>> 5) * 67108864 + (loWord >>> 6)) / 9007199254740992;
}

/** Returns a generator's current state words from where they were lent (see Rng.lend). */
export type StateFetch = () => [number, number, number, number];

/**
 * The seeded generator every random draw of a run comes from (weight init, shuffling,
 * dropout): xoshiro128** seeded through splitmix32, the same stream for the same seed
 * on every platform. `new Rng()` is seed 0.
 */
export class Rng {
  private readonly s = new Uint32Array(4);
  private spare: number | null = null;
  /** Set while the state words live elsewhere (a GPU drew from this generator): fetched before any host use. */
  private away: StateFetch | null = null;

  /**
   * Lends the state words to a device that advances them from here on (drawing
   * dropout masks); `fetch` returns them when the host next draws or reads the
   * state. Lets a GPU draw every mask of a run without a transfer per mask.
   */
  lend(fetch: StateFetch): void {
    this.away = fetch;
  }

  /** The fetch the state is lent to, or null when it is here. */
  lentTo(): StateFetch | null {
    return this.away;
  }

  /** Brings lent state words back before a host use. */
  private home(): void {
    if (this.away === null) return;
    const f = this.away;
    this.away = null;
    this.s.set(f());
  }

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Re-seed (any finite number; non-integers are truncated, negatives wrap to uint32). */
  seed(seed: number): void {
    // splitmix32 over the seed; also mix the high bits of seeds >= 2^32.
    let x = (Math.trunc(seed) >>> 0) ^ (Math.floor(Math.trunc(seed) / 4294967296) >>> 0);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.s[i] = next();
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // all-zero state is a fixed point
    this.spare = null;
    this.away = null;
  }

  /** Next uniform uint32 in [0, 2^32). */
  nextU32(): number {
    this.home();
    return xoshiro128ssNext(this.s);
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    this.home();
    const hi = xoshiro128ssNext(this.s);
    return uniform53(hi, xoshiro128ssNext(this.s));
  }

  /** Uniform integer in [0, n), unbiased (rejection), for 1 <= n <= 2^32. */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= 4294967296) || !Number.isInteger(n)) {
      throw new RangeError(`Rng.nextInt: n must be an integer in [1, 2^32], got ${n}`);
    }
    if (n === 4294967296) return this.nextU32();
    // Reject the top partial block so every residue is equally likely.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal deviate (Box-Muller; the second deviate is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.nextFloat(); // log(0) guard
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** A copy of the full generator state (JSON-serialisable, for checkpoints). */
  getState(): RngState {
    this.home();
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  /** Restore a state from getState(). */
  setState(st: RngState): void {
    if (!st || !Array.isArray(st.s) || st.s.length !== 4 || st.s.some((v) => !Number.isInteger(v))) {
      throw new Error('Rng.setState: expected {s: [4 uint32], spare: number|null} as returned by getState()');
    }
    for (let i = 0; i < 4; i++) this.s[i] = st.s[i] >>> 0;
    this.spare = st.spare ?? null;
    this.away = null;
  }
}

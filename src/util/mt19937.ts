/**
 * MT19937, the generator behind PyTorch's CPU default generator, and
 * torch.randperm on top of it, so that the official code's TU split
 * (`torch.manual_seed(seed)` then `random_split`) can be drawn exactly in Node.
 *
 * torch.manual_seed(s) seeds a standard MT19937 with the low 32 bits of s; its
 * CPU randperm (n < 2^32 / 20) is an in-place Fisher-Yates that, for i = 0..n-2,
 * swaps r[i] with r[i + (next() % (n - i))]. Checked against Debian's PyTorch 1.13
 * in test/torch_split.test.ts (permutations stored in test/data/torch_randperm.json).
 */
const N = 624, M = 397;

/**
 * MT19937 seeded as `torch.manual_seed(seed)` seeds PyTorch's CPU generator, so
 * torchRandperm draws the official TU split exactly. The constructor throws on a
 * seed that is not a non-negative safe integer; only its low 32 bits are used.
 */
export class Mt19937 {
  private readonly s = new Uint32Array(N);
  private i = N;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Mt19937: seed must be a non-negative integer, got ${seed}`);
    const s = this.s;
    s[0] = seed >>> 0;
    for (let k = 1; k < N; k++) {
      const p = s[k - 1] ^ (s[k - 1] >>> 30);
      s[k] = (Math.imul(1812433253, p) + k) >>> 0;
    }
  }

  /** The next 32-bit output (as an unsigned number). */
  next(): number {
    const s = this.s;
    if (this.i >= N) {
      for (let k = 0; k < N; k++) {
        const y = (s[k] & 0x80000000) | (s[(k + 1) % N] & 0x7fffffff);
        s[k] = s[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.i = 0;
    }
    let y = s[this.i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** torch.randperm(n) right after torch.manual_seed(seed) (CPU, default generator). */
export function torchRandperm(n: number, seed: number): Int32Array {
  if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** 32 / 20) throw new Error(`torchRandperm: n must be an integer in [0, 2^32/20), got ${n}`);
  const g = new Mt19937(seed);
  const r = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n - 1; i++) {
    const z = i + (g.next() % (n - i));
    const t = r[i]; r[i] = r[z]; r[z] = t;
  }
  return r;
}

// uniformMask (dropout masks drawn natively from the project's xoshiro128** state):
// both backends give exactly the values of a JS loop over Rng.nextFloat() and leave
// the generator in the same state; ops.dropout / dropPath / attention dropout draw
// the same masks whether or not the generator exposes its state.
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { loadNativeAddon, loadNativeKernels } from '../src/tensor/kernels_native.js';
import type { Kernels } from '../src/tensor/kernels.js';
import { Rng } from '../src/util/rng.js';
import * as ops from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';

const backends: Kernels[] = [tsKernels];
const native = loadNativeKernels();
if (native) backends.push(native);

function jsMask(rng: Rng, n: number, thr: number, keep: number, below: boolean): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) { const u = rng.nextFloat(); out[i] = (below ? u < thr : u >= thr) ? keep : 0; }
  return out;
}

for (const K of backends) {
  describe(`uniformMask (${K.name})`, () => {
    for (const [seed, n, thr, below] of [[0, 0, 0.5, false], [1, 1, 0.5, false], [42, 10007, 0.1, false], [3, 4096, 0.9, true], [5, 333, 0, false], [6, 333, 1, true]] as const) {
      it(`seed ${seed}, n ${n}, threshold ${thr}, below ${below}: same values and final state as Rng.nextFloat`, () => {
        const a = new Rng(seed), b = new Rng(seed);
        const st = Uint32Array.from(a.getState().s);
        const keep = 1 / (1 - Math.min(thr, 0.5));
        const got = new Float32Array(n);
        K.uniformMask(st, got, thr, keep, below);
        const want = jsMask(b, n, thr, keep, below);
        assert.deepEqual(got, want);
        assert.deepEqual(Array.from(st), b.getState().s);
      });
    }
    // The native kernel compares the 53-bit integer behind u with ceil(t * 2^53): thresholds
    // off the 2^-53 grid, outside [0, 1], NaN, and one equal to a drawn u (the edge itself).
    const edge = new Rng(7).nextFloat();
    for (const thr of [1 / 3, 0.1 + 2 ** -60, -0.5, 1.5, -Infinity, Infinity, NaN, 2 ** -53, 1 - 2 ** -53, edge]) {
      for (const below of [false, true]) {
        it(`threshold ${thr}, below ${below}: the keep test matches Rng.nextFloat at and around the edge`, () => {
          const a = new Rng(7), b = new Rng(7);
          const st = Uint32Array.from(a.getState().s);
          const got = new Float32Array(2000);
          K.uniformMask(st, got, thr, 2, below);
          assert.deepEqual(got, jsMask(b, 2000, thr, 2, below));
          assert.deepEqual(Array.from(st), b.getState().s);
        });
      }
    }
    it('rejects a bad state', () => {
      assert.throws(() => K.uniformMask(new Uint32Array(3), new Float32Array(2), 0.5, 2, false), /uniformMask: state has 3 elements, expected 4/);
      assert.throws(() => K.uniformMask([1, 2, 3, 4] as unknown as Uint32Array, new Float32Array(2), 0.5, 2, false), /uniformMask: state must be a Uint32Array/);
    });
  });
}

// The native kernel draws masks of >= 512 elements in 16 (AVX-512) or 8 (AVX2) lanes, each jumped
// ahead to its chunk (native/random_lanes.c): the same bits and final state as the serial TypeScript
// twin, at sizes around the threshold, the lane split, the 16- and 8-step blocks, and ZINC's. The
// addon's setRngLanes caps the width, so an AVX-512 CPU runs all three paths (16, 8, serial).
if (native) {
  const hooks = loadNativeAddon() as unknown as { rngJump(state: Uint32Array, draws: number): number; setRngLanes(cap: number): number };
  const hw = cpuHas(['avx2', 'pclmulqdq']) ? (cpuHas(['avx512f']) ? 16 : 8) : 0;
  for (const cap of [16, 8, 0]) {
    const width = Math.min(cap, hw);
    describe(`uniformMask and rngJump, lanes capped at ${cap}: ${width ? `${width} lanes` : 'serial'} on this CPU`, () => {
      before(() => assert.equal(hooks.setRngLanes(cap), width, 'the lane width in use'));
      after(() => hooks.setRngLanes(16));
      const sizes = [0, 1, 2, 7, 8, 9, 15, 16, 17, 255, 511, 512, 513, 519, 520, 527, 528, 529, 16 * 64 - 1, 16 * 64, 16 * 64 + 1,
        16 * 1000 + 7, 16 * 1001 + 15, 38784, 47000, 47007, 88672, 1_000_000];
      for (const n of sizes) {
        it(`n ${n}: random states, thresholds 0.1 / 0.2 / 0.9, both sides: same mask bits and state as the twin`, () => {
          const r = new Rng(n + 1);
          for (const thr of [0.1, 0.2, 0.9]) {
            for (const below of [false, true]) {
              const st = Uint32Array.from([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]), stT = Uint32Array.from(st);
              const got = new Float32Array(n), want = new Float32Array(n);
              native.uniformMask(st, got, thr, 1 / (1 - thr), below);
              tsKernels.uniformMask(stT, want, thr, 1 / (1 - thr), below);
              assert.ok(sameBits(got, want), `n ${n} threshold ${thr} below ${below}: mask bits`);
              assert.deepEqual(Array.from(st), Array.from(stT), `n ${n} threshold ${thr} below ${below}: final state`);
            }
          }
        });
      }
      it('edge thresholds (0, 1, +-Infinity, NaN, 2^-53, a drawn value) and degenerate states (all zero, one bit set)', () => {
        const edge = new Rng(7).nextFloat();
        for (const thr of [0, 1, -Infinity, Infinity, NaN, 2 ** -53, 1 - 2 ** -53, edge]) {
          for (const s of [[0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35], [0, 0, 0, 0], [0, 0, 0, 1], [2 ** 31, 0, 0, 0]]) {
            for (const below of [false, true]) {
              const st = Uint32Array.from(s), stT = Uint32Array.from(s);
              const got = new Float32Array(5003), want = new Float32Array(5003);
              native.uniformMask(st, got, thr, 2, below);
              tsKernels.uniformMask(stT, want, thr, 2, below);
              assert.ok(sameBits(got, want), `threshold ${thr} state ${s} below ${below}: mask bits`);
              assert.deepEqual(Array.from(st), Array.from(stT), `threshold ${thr} state ${s} below ${below}: final state`);
            }
          }
        }
      });
      // The lanes' starting states come from a polynomial jump (x^d mod the characteristic
      // polynomial of xoshiro128**'s transition); rngJump runs that same jump on one state.
      const distances = [0, 1, 2, 3, 31, 32, 33, 127, 128, 129, 255, 256, 257, 1000, 65536, 2 ** 20 + 3, 1_999_999];
      for (let i = 0; i < 8; i++) distances.push(Math.floor(new Rng(100 + i).nextFloat() * 3e6));
      it(`rngJump by ${distances.join(', ')} from random states: the state of that many nextU32 calls`, () => {
        const r = new Rng(77);
        for (const d of distances) {
          const st = Uint32Array.from([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]);
          const g = new Rng(0);
          g.setState({ s: [st[0], st[1], st[2], st[3]], spare: null });
          for (let k = 0; k < d; k++) g.nextU32();
          assert.equal(hooks.rngJump(st, d), width, 'the lanes\' jump ran (0: stepped)');
          assert.deepEqual(Array.from(st), g.getState().s, `distance ${d}`);
        }
      });
    });
  }
  describe('lane hooks: bad input', () => {
    it('rngJump and setRngLanes reject a bad state, distance or cap with a one-line error', () => {
      assert.throws(() => hooks.rngJump(new Uint32Array(3), 1), /rngJump: state has 3 elements, expected 4/);
      assert.throws(() => hooks.rngJump(new Uint32Array(4), -1), /rngJump: draws must be an integer >= 0, got -1/);
      assert.throws(() => hooks.rngJump(new Uint32Array(4), 1.5), /rngJump: draws must be an integer >= 0, got 1.5/);
      assert.throws(() => hooks.setRngLanes(4), /setRngLanes: cap must be 16, 8 or 0, got 4/);
    });
  });
}

/** Bit-for-bit equality of two float arrays (their bytes). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Whether this CPU has all of `flags` (Linux x86-64 /proc/cpuinfo; elsewhere: no). */
function cpuHas(flags: string[]): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
  const have = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  return flags.every((f) => have.has(f));
}

describe('ops masks through uniformMask', () => {
  it('dropout and dropPath: same masks with Rng (kernel path) as with a plain nextFloat source', () => {
    const x = new Tensor(new Float32Array(5000).fill(1), [1000, 5]);
    const r1 = new Rng(11), r2 = new Rng(11);
    const plain = { nextFloat: () => r2.nextFloat() };
    assert.deepEqual(ops.dropout(x, 0.3, true, r1).data, ops.dropout(x, 0.3, true, plain).data);
    assert.deepEqual(ops.dropPath(x, 0.2, r1).data, ops.dropPath(x, 0.2, plain).data);
    assert.equal(r1.nextU32(), r2.nextU32());
  });
});

// A device keeps a generator's state words between masks (ops' maskOn): the host
// takes them back, through the fetch it lent them with, only when it draws or reads.
describe('Rng.lend: state words kept elsewhere', () => {
  it('the host fetches lent words once, before its next draw or getState; setState and seed take them back unread', () => {
    const a = new Rng(5), b = new Rng(5);
    for (let i = 0; i < 7; i++) b.nextU32(); // where the borrower left the stream
    let fetches = 0;
    const fetch = (): [number, number, number, number] => { fetches++; return b.getState().s; };
    a.lend(fetch);
    assert.equal(a.lentTo(), fetch);
    assert.equal(fetches, 0, 'lending reads nothing');
    assert.deepEqual(a.getState(), b.getState());
    assert.equal(fetches, 1);
    assert.equal(a.lentTo(), null, 'the words are home');
    assert.equal(a.nextFloat(), b.nextFloat());
    assert.equal(fetches, 1, 'fetched once');
    a.lend(fetch);
    a.setState(new Rng(9).getState());
    a.lend(fetch);
    a.seed(9);
    assert.equal(fetches, 1, 'setState and seed replace lent words without fetching them');
    assert.equal(a.nextU32(), new Rng(9).nextU32());
  });
});

// The CUDA backend (native/cuda + the generated glue) against the CPU kernels.
//
// Needs an NVIDIA GPU, its driver and the CUDA addon (scripts/build-cuda-addon.js).
// Where any is missing every GPU test reports itself skipped by name with the
// reason (the addon's own sentence, e.g. "no CUDA device: cudaGetDeviceCount
// returned ..."); the one test that runs everywhere checks that this reason is one
// clear line and never a crash.
//
// Each kernel runs on the device through cudaKernelsOnHost (upload, kernel,
// download) and on the native CPU backend with identical inputs: random values and
// the edge cases of test/helpers/kernel_cases.ts (empty batches, 1-node graphs,
// graphs of 500+ nodes, every head count of the presets). Tolerances are explained there.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CudaArray, cudaKernelsOnHost, cudaUnavailable, loadCuda } from '../src/tensor/kernels_cuda.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { tsKernels } from '../src/tensor/kernels_ts.js';
import { KERNEL_CASES, type KernelFns, sameBits } from './helpers/kernel_cases.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { batchFromFixture, fixtureModelConfig, taskLoss, verifyReference } from '../src/models/verify.js';
import { Rng as ModelRng } from '../src/util/rng.js';
import { Gradformer } from '../src/models/gradformer.js';
import { setDevice } from '../src/tensor/device.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { preprocessDataset } from '../src/data/preprocess.js';
import { train } from '../src/train/trainer.js';
import { Rng } from './helpers/rng.js';

const why = cudaUnavailable();
const home = mkdtempSync(join(tmpdir(), 'gf-cuda-'));
after(() => rmSync(home, { recursive: true, force: true }));
const ref: KernelFns = loadNativeKernels() ?? tsKernels;

/** A GPU test: skipped by name, with the reason, where no CUDA device is usable. */
function gpuIt(name: string, fn: () => void): void {
  it(name, (t) => {
    if (why !== null) { t.skip(why); return; }
    fn();
  });
}

describe('CUDA runtime', () => {
  gpuIt('buffers round-trip every element kind; memory is counted and handed back', () => {
    const c = loadCuda();
    const before = c.bytesInUse();
    const arrays = [Float32Array.of(1.5, -2, Number.NaN), Float64Array.of(1e-300, 2), Int32Array.of(-7, 2 ** 31 - 1),
      Uint8Array.of(0, 255), Uint16Array.of(0, 65535), Uint32Array.of(0, 2 ** 32 - 1), new Float32Array(0)];
    for (const a of arrays) {
      const d = CudaArray.from(a);
      assert.ok(c.bytesInUse() > before, `${a.constructor.name}: allocation counted`);
      sameBits(`${a.constructor.name} round trip`, d.toHost(), a);
      d.free();
    }
    assert.equal(c.bytesInUse(), before);
  });

  gpuIt('bad device arguments are rejected before any launch, naming the kernel and the shapes', () => {
    const K = loadCuda().kernels;
    const f = (n: number) => new CudaArray('f32', n);
    assert.throws(() => K.matmul(f(10), f(20), f(15), 3, 4, 5, false, false, false), /^Error: matmul: a has 10 elements, expected m\*k = 12 \(m=3, k=4, n=5\)/);
    assert.throws(() => K.gatherRows(f(6), CudaArray.from(Int32Array.of(0, 2)), f(6), 2, 3), /gatherRows: idx\[1\] = 2 is out of range \[0, xRows\)/);
    assert.throws(() => K.unary('relu', new Float32Array(2) as unknown as CudaArray, f(2), 0), /unary: x must be a cuda Float32Array, got Float32Array/);
    assert.throws(() => K.gatherRows(f(6), new CudaArray('f32', 2) as CudaArray, f(6), 2, 3), /gatherRows: idx must be a cuda Int32Array, got a cuda Float32Array/);
  });
});

describe('CUDA kernels against the CPU kernels', () => {
  for (const c of KERNEL_CASES) gpuIt(c.name, () => c.run(cudaKernelsOnHost(loadCuda()), ref));
});

describe('CUDA determinism', () => {
  gpuIt('the same inputs give the same bits twice (attention backward, scatter sums)', () => {
    const dev = cudaKernelsOnHost(loadCuda());
    const rng = new Rng(99);
    const ptr = Int32Array.of(0, 30, 541, 545), N = 545, H = 4, dk = 16, nm = H * (30 * 30 + 511 * 511 + 4 * 4);
    const q = rng.f32(N * H * dk), k = rng.f32(N * H * dk), v = rng.f32(N * H * dk), mask = rng.f32(nm, 0.05, 1), gOut = rng.f32(N * H * dk);
    const probs = new Float32Array(nm), out = new Float32Array(N * H * dk);
    dev.attentionForward(q, k, v, mask, ptr, H, dk, 0.25, null, out, probs);
    const grads = () => {
      const g = [new Float32Array(N * H * dk), new Float32Array(N * H * dk), new Float32Array(N * H * dk), new Float32Array(nm)] as const;
      dev.attentionBackward(q, k, v, mask, ptr, H, dk, 0.25, null, probs, gOut, ...g);
      return g;
    };
    const a = grads(), b = grads();
    a.forEach((x, i) => sameBits(`attention grad ${i}`, x, b[i]));
    const idx = rng.i32(20000, 100), src = rng.f32(20000 * 64);
    const s1 = new Float32Array(100 * 64), s2 = new Float32Array(100 * 64);
    dev.scatterAddRows(src, idx, s1, 100, 64);
    dev.scatterAddRows(src, idx, s2, 100, 64);
    sameBits('scatterAddRows', s1, s2);
  });
});

describe('the model on cuda against cpu', () => {
  const FIX = join(import.meta.dirname, '..', '..', 'shared', 'fixtures');
  const NAMES = ['tu_gin', 'zinc_gine', 'gatedgcn'];
  for (const name of NAMES) {
    gpuIt(`verify-reference --device cuda: fixture ${name} within the fixtures' tolerances`, () => {
      setDevice('cuda');
      try {
        const r = verifyReference(join(FIX, `${name}.safetensors`));
        for (const g of r.groups) assert.ok(g.ok, `${name}: ${g.group} max abs ${g.maxAbs}, worst ${g.worst}`);
      } finally { setDevice('cpu'); }
    });
  }

  // Summation order differs on the GPU: gradients of the whole model agree to
  // float32 accumulation over a batch (1e-4 of the largest gradient of a tensor).
  gpuIt('gradients through the tape: every parameter of the three fixture models, cuda against cpu', () => {
    for (const name of NAMES) {
      const meta = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8'));
      const batch = batchFromFixture(readSafetensors(join(FIX, `${name}.safetensors`)).tensors, name);
      const grads = (dev: 'cpu' | 'cuda') => {
        const m = new Gradformer(fixtureModelConfig(meta.config), new ModelRng(3)).to(dev);
        m.train();
        const loss = taskLoss(meta.config.task, m.forward(batch).out, batch);
        const v = loss.item();
        loss.backward();
        return { v, g: m.namedParameters().map(([k, p]) => [k, p.gradStorage ? p.device.toHost(p.gradStorage) : null] as const) };
      };
      const c = grads('cpu'), d = grads('cuda');
      assert.ok(Math.abs(d.v - c.v) <= 1e-5 * Math.abs(c.v), `${name} loss ${d.v} vs ${c.v}`);
      c.g.forEach(([k, gc], i) => {
        const gd = d.g[i][1];
        assert.equal(gd === null, gc === null, `${name} ${k}: gradient present on one device only`);
        if (!gc || !gd) return;
        let mx = 0;
        for (const x of gc) mx = Math.max(mx, Math.abs(x));
        for (let j = 0; j < gc.length; j++) assert.ok(Math.abs(gd[j] - gc[j]) <= 1e-4 * mx + 1e-7, `${name} ${k}[${j}]: ${gd[j]} vs ${gc[j]}`);
      });
    }
  });

  // Two epochs of Adam on MUTAG with dropout: the curves agree to 1e-4 relative
  // (float32 reductions in another order, compounded over ~20 steps).
  gpuIt('a short training run: the cuda loss curve follows cpu', async () => {
    const ds = await loadDatasetByName('MUTAG');
    const run = buildRunConfig(ds, 'MUTAG', { model: { num_layers: 2, channels: 32, nhead: 4, dropout: 0.1 }, train: { epochs: 3, batch_size: 32 } }, 5);
    const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
    const curve = (dev: 'cpu' | 'cuda') => {
      setDevice(dev);
      try { return train({ run, data: { ds, pre }, outDir: join(home, `run-${dev}`) }).epochs.map((e) => e.train_loss); } finally { setDevice('cpu'); }
    };
    const c = curve('cpu'), d = curve('cuda');
    c.forEach((l, i) => assert.ok(Math.abs(d[i] - l) <= 1e-4 * Math.abs(l), `epoch ${i + 1}: cuda ${d[i]} vs cpu ${l}`));
  });
});

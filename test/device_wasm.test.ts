// The wasm device (src/tensor/device_wasm.ts): tensors whose storage lives in the
// heap of the WebAssembly kernels (WasmArray, src/tensor/wasm_heap.ts), which the
// kernels then read and write in place instead of copying every array in and out.
//
// Checked here: the arrays survive the heap growing (the old ArrayBuffer is
// detached then) and are handed back and reused; every kernel of the table takes
// them by address and gives what it gives on host arrays (the device cases of
// kernel_cases.ts, with the copying binding as the reference); freed and foreign
// arrays are refused by name; tensors on the device keep their values off the host;
// the PyTorch fixtures verify on it; and training steps give the same losses, bit
// for bit, as the cpu device running the same wasm kernels on host arrays.
//
// The module must be built (CI does): a missing one FAILS this file, saying how.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentDevice, getDevice, setDevice } from '../src/tensor/device.js';
import { kernels, useKernels } from '../src/tensor/backend.js';
import { loadWasmKernels, wasmPath } from '../src/tensor/kernels_wasm_node.js';
import { wasmImports, wasmKernels } from '../src/tensor/kernels_wasm.js';
import { isArray, kernelDecl, KERNEL_NAMES } from '../src/tensor/kernel_table.js';
import { type HostArray, WasmArray } from '../src/tensor/wasm_heap.js';
import { Tensor } from '../src/tensor/tensor.js';
import * as ops from '../src/tensor/ops.js';
import { verifyReference } from '../src/models/verify.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { buildModel } from '../src/train/trainer.js';
import { computePre } from '../src/data/preprocess.js';
import { collate } from '../src/graph/batch.js';
import { computeLoss } from '../src/train/losses.js';
import { Optimizer } from '../src/train/optim.js';
import { KERNEL_CASES, type KernelFns } from './helpers/kernel_cases.js';

const W = loadWasmKernels();
const heap = W.heap;
const before = kernels();
useKernels(W);
after(() => { useKernels(before); setDevice('cpu'); });

/** W on heap arrays: every host array argument is copied into the heap first, and what the kernel wrote copied back. */
function onHeap(): KernelFns {
  const K: Record<string, unknown> = {};
  for (const name of KERNEL_NAMES) {
    const decl = kernelDecl(name);
    const call = W[name] as unknown as (...a: unknown[]) => unknown;
    K[name] = (...args: unknown[]) => {
      const dev = args.map((v) => (ArrayBuffer.isView(v) ? WasmArray.from(heap, v as HostArray) : v));
      const r = call(...dev);
      decl.args.forEach((a, i) => {
        if (isArray(a) && a.io !== 'in' && dev[i] instanceof WasmArray) (args[i] as HostArray).set((dev[i] as WasmArray).view() as never);
      });
      for (const v of dev) if (v instanceof WasmArray) v.free();
      return r;
    };
  }
  return K as unknown as KernelFns;
}

describe('arrays in the wasm heap', () => {
  it('keep their values when the heap grows, and their blocks are reused once freed', () => {
    const a = WasmArray.from(heap, Float32Array.of(1, 2, 3));
    const v0 = a.view();
    const pages = heap.u8().byteLength;
    const big = new WasmArray(heap, 'f32', pages / 4 + 1000); // more than the whole heap: it must grow
    assert.ok(heap.u8().byteLength > pages, 'the heap grew');
    assert.equal(v0.byteLength, 0, 'the old view was detached by the growth');
    assert.deepEqual([...a.view()], [1, 2, 3], 'a new view over the grown heap has the values');
    assert.equal(big.view()[big.length - 1], 0, 'zeroed');
    const p = big.ptr;
    big.free();
    assert.equal(big.ptr, 0);
    const again = new WasmArray(heap, 'f32', pages / 4 + 1000, false);
    assert.equal(again.ptr, p, "malloc's free list gives the block back");
    again.free();
    assert.throws(() => big.view(), /^Error: wasm: use of a freed Float32Array$/);
    a.free();
  });

  it('are taken by address by the kernels: the same results as host arrays, in place', () => {
    const x = Float32Array.of(1, -2, 3, -4), y = new Float32Array(4);
    W.unary('relu', x, y, 0);
    const d = WasmArray.from(heap, x);
    W.unary('relu', d as never, d as never, 0); // in place, in the heap
    assert.deepEqual([...d.view()], [...y]);
    const out = new Float32Array(4);
    W.binary('add', d as never, x, out, 1, 4, 'full'); // a heap array beside a host one
    assert.deepEqual([...out], [2, -2, 6, -4]);
    d.free();
  });

  it('freed arrays, arrays of another module and the wrong kind are refused by name', () => {
    const d = WasmArray.from(heap, Float32Array.of(1, 2));
    d.free();
    assert.throws(() => W.unary('relu', d as never, new Float32Array(2), 0), /unary: x must be a Float32Array, got a freed wasm Float32Array/);
    const mod = new WebAssembly.Module(readWasm());
    const other = wasmKernels(new WebAssembly.Instance(mod, wasmImports(mod)));
    const o = WasmArray.from(other.heap, Float32Array.of(1, 2));
    assert.throws(() => W.unary('relu', o as never, new Float32Array(2), 0), /got a other module's wasm Float32Array/);
    const i = WasmArray.from(heap, Int32Array.of(1, 2));
    assert.throws(() => W.unary('relu', i as never, new Float32Array(2), 0), /x must be a Float32Array, got a wasm Int32Array/);
    o.free(); i.free();
  });
});

describe('every kernel on heap arrays gives what it gives on host arrays (kernel_cases.ts)', () => {
  const K = onHeap();
  const ref = W as unknown as KernelFns;
  for (const c of KERNEL_CASES) it(c.name, () => c.run(K, ref));
});

describe('tensors on the wasm device', () => {
  it('live in the heap: data is off limits, values come back through toHost and item', () => {
    const t = Tensor.from([1, 2, 3, 4], [2, 2]).to('wasm');
    assert.equal(t.device.name, 'wasm');
    assert.ok(t.storage instanceof WasmArray);
    assert.throws(() => t.data[0], /its data lives on the wasm device; read it with toHost\(\) or item\(\)/);
    assert.deepEqual([...t.toHost()], [1, 2, 3, 4]);
    assert.equal(ops.sum(t).item(), 10);
    assert.deepEqual([...t.to('cpu').data], [1, 2, 3, 4]);
    assert.throws(() => ops.add(t, Tensor.from([1, 1], [2])), /add: inputs on different devices \(wasm and cpu\)/);
  });

  it('index data is copied into the heap once per host array', () => {
    const a = Int32Array.of(0, 2, 4);
    const d = getDevice('wasm');
    assert.equal(d.index(a), d.index(a));
    assert.deepEqual([...d.read(d.index(a))], [0, 2, 4]);
  });
});

describe('the model on the wasm device', () => {
  const FIX = join(import.meta.dirname, '..', '..', 'shared', 'fixtures');
  for (const name of ['tu_gin', 'zinc_gine', 'gatedgcn']) {
    it(`fixture ${name} verifies (outputs, loss, gradients, statistics)`, () => {
      const prev = currentDevice();
      setDevice('wasm');
      try {
        const r = verifyReference(join(FIX, `${name}.safetensors`));
        for (const g of r.groups) assert.ok(g.ok, `${name}: ${g.group} max abs ${g.maxAbs}, worst ${g.worst}`);
      } finally { setDevice(prev); }
    });
  }

  it('training steps (dropout on) give the losses and weights of the cpu device on the same kernels, bit for bit', async () => {
    const ds = await loadDatasetByName('MUTAG');
    const run = buildRunConfig(ds, 'MUTAG', { model: { num_layers: 3, channels: 32, nhead: 4, dropout: 0.2 } }, 3);
    const idx = Array.from({ length: 32 }, (_, i) => i);
    const graphs = idx.map((i) => ds.graphs[i]);
    const batch = collate(graphs, await computePre(graphs, run.train.pe, false, 'MUTAG', 1), idx);
    const steps = (dev: 'cpu' | 'wasm') => {
      setDevice(dev);
      const model = buildModel(run);
      model.train();
      const o = new Optimizer(run.train.optimizer, model.namedParameters(), { lr: run.train.lr, weightDecay: run.train.weight_decay });
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) {
        o.zeroGrad();
        const l = computeLoss(run.train.loss, model.forward(batch).out, batch, false);
        losses.push(l.item());
        l.backward();
        o.step();
      }
      const [name, p] = model.namedParameters()[0];
      assert.equal(p.storage instanceof WasmArray, dev === 'wasm', `${name} lives on ${dev}`);
      return { losses, name, w: p.toHost() };
    };
    const c = steps('cpu'), w = steps('wasm');
    setDevice('cpu');
    assert.deepEqual(w.losses, c.losses);
    assert.ok(c.losses[3] !== c.losses[0], 'the steps trained');
    assert.deepEqual([...w.w], [...c.w], `parameter ${c.name} after 4 steps`);
  });
});

/** The bytes the loader used (for a second instance, with a heap of its own). */
function readWasm(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(wasmPath()!));
}

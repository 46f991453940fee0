// The device layer (src/tensor/device.ts) on the CPU.
//
// cpu tensors keep host Float32Arrays; a device keeps buffers the host cannot
// index. Without a GPU, the device code paths (buffers that are not Float32Arrays,
// index data uploaded once, host values read only through toHost/item, per-head
// gradients added on the device, optimiser state and BatchNorm statistics on the
// device, checkpoints through the host) run on a SIMULATED cuda device: its
// buffers wrap host arrays but are opaque to the code under test, its kernels are
// the CPU kernels behind a wrapper that rejects host arrays and freed buffers
// (what the real CUDA glue rejects), and freeing is immediate, as on CUDA. The
// model then must give the CPU's numbers: the three PyTorch fixtures verify on
// it, and a short training run follows the CPU's loss curve.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentDevice, installCudaDevice, setDevice } from '../src/tensor/device.js';
import { counters, simDevice } from './helpers/sim_device.js';
import { Tensor } from '../src/tensor/tensor.js';
import * as ops from '../src/tensor/ops.js';
import { verifyReference } from '../src/models/verify.js';
import { loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { preprocessDataset } from '../src/data/preprocess.js';
import { train } from '../src/train/trainer.js';
import { Optimizer } from '../src/train/optim.js';

installCudaDevice(simDevice());
after(() => installCudaDevice(null));

describe('tensors on a device', () => {
  it('live there: data is off limits, values come back through toHost and item', () => {
    const t = Tensor.from([1, 2, 3, 4], [2, 2]).to('cuda');
    assert.equal(t.device.name, 'cuda');
    assert.throws(() => t.data[0], /its data lives on the cuda device; read it with toHost\(\) or item\(\)/);
    assert.deepEqual([...t.toHost()], [1, 2, 3, 4]);
    assert.equal(ops.sum(t).item(), 10);
    const c = t.to('cpu');
    assert.equal(c.device.name, 'cpu');
    assert.deepEqual([...c.data], [1, 2, 3, 4]);
    assert.equal(c.to('cpu'), c, 'to() the same device is the tensor itself');
  });

  it('ops run on the device of their inputs; mixing devices is one clear error', () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]), b = Tensor.from([1, 1, 1], [3]);
    const y = ops.add(a.to('cuda'), b.to('cuda'));
    assert.equal(y.device.name, 'cuda');
    assert.deepEqual([...y.toHost()], [2, 3, 4, 5, 6, 7]);
    assert.throws(() => ops.add(a.to('cuda'), b), /^Error: add: inputs on different devices \(cuda and cpu\); move one with \.to\('cuda'\)/);
    assert.throws(() => ops.matmul(a, b.reshape([3, 1]).to('cuda')), /matmul: inputs on different devices \(cpu and cuda\)/);
  });

  it('gradients flow on the device and equal the cpu ones (losses, decay mask, segments)', () => {
    const run = (dev: 'cpu' | 'cuda') => {
      const x = Tensor.from(Array.from({ length: 12 }, (_, i) => Math.sin(i)), [6, 2]).to(dev);
      x.requiresGrad = true;
      const hop = Tensor.from([0.5, 1.5], [2, 1, 1]).to(dev);
      hop.requiresGrad = true;
      const spd = Uint16Array.of(0, 1, 1, 0, 0, 2, 1, 2, 0, 0), spdPtr = Int32Array.of(0, 4, 9, 10);
      const mask = ops.decayMask(spd, spdPtr, 3, hop, 0.6, 0.1);
      const pooled = ops.segmentReduce(x, Int32Array.of(0, 2, 5, 6), 'max');
      const loss = ops.add(ops.l1Loss(ops.sum(pooled, 1), Float32Array.of(0.1, 0.2, 0.3)), ops.sum(mask));
      const v = loss.item();
      loss.backward();
      return { v, gx: x.toHost().length ? Float32Array.from(x.device.toHost(x.gradStorage!)) : null, gh: hop.device.toHost(hop.gradStorage!) };
    };
    const c = run('cpu'), d = run('cuda');
    assert.equal(d.v, c.v);
    assert.deepEqual(d.gx, c.gx);
    for (let h = 0; h < 2; h++) assert.ok(Math.abs(d.gh[h] - c.gh[h]) <= 1e-6 * Math.abs(c.gh[h]), `hop grad ${h}: ${d.gh[h]} vs ${c.gh[h]}`);
  });

  it('optimiser state lives on the device and round-trips through the host for checkpoints', () => {
    const p = Tensor.from([1, -2, 3], [3]).to('cuda');
    p.requiresGrad = true;
    const opt = new Optimizer('adamw', [['w', p]], { lr: 0.1, weightDecay: 0.01 });
    p.grad = p.device.fromHost(Float32Array.of(0.5, -0.5, 1));
    opt.step();
    const st = opt.getState();
    assert.ok(st.buffers.get('w')!.get('exp_avg') instanceof Float32Array, 'checkpoint state is on the host');
    const q = Tensor.from([1, -2, 3], [3]);
    q.requiresGrad = true;
    const o2 = new Optimizer('adamw', [['w', q]], { lr: 0.1, weightDecay: 0.01 });
    q.grad = Float32Array.of(0.5, -0.5, 1);
    o2.step();
    assert.deepEqual([...p.toHost()], [...q.data], 'one AdamW step: the same values as on cpu');
    opt.setState(st);
    assert.deepEqual(opt.getState().buffers, st.buffers);
  });
});

describe('the model on a device', () => {
  const FIX = join(import.meta.dirname, '..', '..', 'shared', 'fixtures');
  for (const name of ['tu_gin', 'zinc_gine', 'gatedgcn']) {
    it(`fixture ${name} verifies with --device cuda semantics (outputs, loss, gradients, statistics)`, () => {
      const prev = currentDevice();
      setDevice('cuda');
      try {
        const r = verifyReference(join(FIX, `${name}.safetensors`));
        for (const g of r.groups) assert.ok(g.ok, `${name}: ${g.group} max abs ${g.maxAbs}, worst ${g.worst}`);
      } finally { setDevice(prev); }
    });
  }

  it('a short training run (dropout on) follows the cpu loss curve and checkpoints through the host', async () => {
    const ds = await loadDatasetByName('MUTAG');
    const run = buildRunConfig(ds, 'MUTAG', { model: { num_layers: 2, channels: 32, nhead: 4, dropout: 0.1 }, train: { epochs: 2, batch_size: 32 } }, 5);
    const pre = await preprocessDataset(ds, { pe: run.train.pe, noCache: true, progress: false });
    const tmp = mkdtempSync(join(tmpdir(), 'gf-device-'));
    try {
      const curve = (dev: 'cpu' | 'cuda') => {
        setDevice(dev);
        const r = train({ run, data: { ds, pre }, outDir: join(tmp, dev) });
        return { losses: r.epochs.map((e) => e.train_loss), val: r.epochs.map((e) => e.val), weights: readFileSync(join(tmp, dev, 'last', 'model.safetensors')) };
      };
      const c = curve('cpu');
      counters.uploads = 0;
      const d = curve('cuda');
      assert.ok(counters.uploads > 0, 'the run used the device');
      c.losses.forEach((l, i) => assert.ok(Math.abs(d.losses[i] - l) <= 1e-5 * Math.abs(l), `epoch ${i + 1} loss ${d.losses[i]} vs cpu ${l}`));
      c.val.forEach((v, i) => assert.ok(Math.abs(d.val[i] - v) <= 1e-5 * Math.abs(v) + 1e-6, `epoch ${i + 1} val ${d.val[i]} vs cpu ${v}`));
      assert.equal(d.weights.length, c.weights.length, 'the checkpoint was written from the device through the host');
    } finally {
      setDevice('cpu');
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

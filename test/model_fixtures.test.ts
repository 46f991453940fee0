// The model against the three fixtures exported from the official PyTorch model,
// on both backends: outputs, loss, gradients, BatchNorm statistics, eval outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '../src/tensor/backend.js';
import { verifyReference, batchFromFixture, fixtureModelConfig } from '../src/models/verify.js';
import { Gradformer } from '../src/models/gradformer.js';
import { saveWeights, loadWeights } from '../src/models/weights.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { noGrad } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

const FIX = join(import.meta.dirname, '..', '..', 'shared', 'fixtures');
const NAMES = ['tu_gin', 'zinc_gine', 'gatedgcn'];

for (const backend of ['ts', 'native'] as const) {
  for (const name of NAMES) {
    test(`fixture ${name} verifies on the ${backend} backend`, () => {
      const k = setBackend(backend);
      assert.equal(k.name, backend, `backend ${backend} not available`);
      const r = verifyReference(join(FIX, `${name}.safetensors`));
      for (const g of r.groups) {
        assert.ok(g.ok, `${name}/${backend}: ${g.group} max abs ${g.maxAbs}, worst ${g.worst}`);
      }
      assert.equal(r.groups.length, 5);
    });
  }
}

test('state-dict keys and order equal the official model', () => {
  setBackend('ts');
  for (const name of NAMES) {
    const meta = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8'));
    const model = new Gradformer(fixtureModelConfig(meta.config), new Rng(1));
    assert.deepEqual([...model.stateDict().keys()], meta.state_dict_keys, name);
    assert.deepEqual(model.namedParameters().map((e) => e[0]), meta.trainable_keys, name);
  }
});

test('a model saved and loaded again gives identical outputs', () => {
  setBackend('ts');
  const meta = JSON.parse(readFileSync(join(FIX, 'zinc_gine.json'), 'utf8'));
  const { tensors } = readSafetensors(join(FIX, 'zinc_gine.safetensors'));
  const batch = batchFromFixture(tensors, 'zinc_gine');
  const a = new Gradformer(fixtureModelConfig(meta.config), new Rng(7));
  a.train();
  a.forward(batch); // move the running statistics away from their initial values
  a.eval();
  const outA = noGrad(() => a.forward(batch).out.data.slice());
  const dir = mkdtempSync(join(tmpdir(), 'gf-'));
  try {
    saveWeights(a, join(dir, 'w.safetensors'));
    const b = new Gradformer(fixtureModelConfig(meta.config), new Rng(99));
    b.eval();
    const before = noGrad(() => b.forward(batch).out.data.slice());
    assert.notDeepEqual(before, outA, 'differently seeded models should differ');
    loadWeights(b, join(dir, 'w.safetensors'));
    assert.deepEqual(noGrad(() => b.forward(batch).out.data.slice()), outA);
    // num_batches_tracked is stored as int64, as PyTorch does
    const st = readSafetensors(join(dir, 'w.safetensors')).tensors.get('convs.0.norm1.module.num_batches_tracked')!;
    assert.equal(st.dtype, 'I64');
    assert.equal(Number((st.data as BigInt64Array)[0]), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading weights with unknown, missing or mis-shaped keys lists them', () => {
  setBackend('ts');
  const meta = JSON.parse(readFileSync(join(FIX, 'tu_gin.json'), 'utf8'));
  const m = new Gradformer(fixtureModelConfig(meta.config), new Rng(1));
  const sd = new Map([...m.stateDict()].map(([k, t]) => [k, { data: t.data, shape: t.shape }]));
  sd.delete('lin.bias');
  sd.set('bogus.weight', { data: new Float32Array(2), shape: [2] });
  sd.set('hop', { data: new Float32Array(3), shape: [3, 1, 1] });
  assert.throws(() => m.loadStateDict(sd), (e: Error) =>
    /missing keys \(1\): lin\.bias/.test(e.message) && /unknown keys \(1\): bogus\.weight/.test(e.message) &&
    /hop: got \[3, 1, 1\], expected \[4, 1, 1\]/.test(e.message));
});

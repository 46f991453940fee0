/**
 * Our model against the PyTorch reference at depth: loads the weights that
 * bench/peer/depth_check.py wrote, runs the same training step (NCI1's first graphs,
 * train mode, attention dropout off) and prints how far our output, loss and every
 * parameter gradient are from the reference's (max |ours - ref| over max |ref| per
 * tensor). The fixtures check 1-4 layers; this checks that 24 layers compute the same.
 *   /usr/bin/python3 bench/peer/depth_check.py --data ../shared/datasets/NCI1 --layers 24 --out /tmp/depth24.safetensors
 *   node --import tsx bench/peer/depth_check.ts /tmp/depth24.safetensors [--data-root ../shared/datasets]
 */
import { collate } from '../../src/graph/batch.js';
import { preprocessDataset } from '../../src/data/preprocess.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { toNumbers, type StoredTensor } from '../../src/io/safetensors_format.js';
import { Gradformer } from '../../src/models/gradformer.js';
import { loadStateTensors } from '../../src/models/state.js';
import { loadDatasetByName } from '../../src/train/data.js';
import { computeLoss } from '../../src/train/losses.js';
import { buildRunConfig } from '../../src/train/runconfig.js';
import { Rng } from '../../src/util/rng.js';

const file = process.argv[2];
const root = process.argv.includes('--data-root') ? process.argv[process.argv.indexOf('--data-root') + 1] : '../shared/datasets';
if (!file) throw new Error('usage: depth_check.ts FILE.safetensors [--data-root DIR]');
const { tensors, metadata } = readSafetensors(file);
const layers = Number(metadata.layers), count = Number(metadata.graphs);
const ds = await loadDatasetByName('NCI1', root);
const part = { ...ds, graphs: ds.graphs.slice(0, count) };
const pre = await preprocessDataset(part, { pe: { kind: 'rwse', dim: 20 }, noCache: true, progress: false });
const batch = collate(part.graphs, pre, Int32Array.from({ length: count }, (_, i) => i));
const run = buildRunConfig(ds, 'NCI1', { model: { num_layers: layers, attn_dropout: 0 } }, 0);
const model = new Gradformer(run.model, new Rng(1));
const weights = new Map<string, StoredTensor>();
for (const [k, v] of tensors) if (k.startsWith('param.')) weights.set(k.slice(6), v);
loadStateTensors(model, weights, file);
model.train();
const { out } = model.forward(batch);
const loss = computeLoss('cross_entropy', out, batch, false);
loss.backward();

const rel = (ours: ArrayLike<number>, ref: ArrayLike<number>) => {
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) { d = Math.max(d, Math.abs(ours[i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); }
  return { d, m, r: m > 0 ? d / m : d };
};
const get = (k: string) => toNumbers(tensors.get(k)!);
/** Per tensor: ours against the float32 reference, and each against the float64 one (exact arithmetic, to 1e-7). */
const rows: { name: string; vs32: number; ours64: number; ref64: number; scale: number }[] = [];
const add = (name: string, ours: ArrayLike<number>, k32: string, k64: string) => {
  const a = rel(ours, get(k32)), b = rel(ours, get(k64)), c = rel(get(k32), get(k64));
  rows.push({ name, vs32: a.r, ours64: b.r, ref64: c.r, scale: c.m });
};
add('out', out.toHost(), 'out', 'out64');
let missing = 0;
for (const [name, p] of model.namedParameters()) {
  if (!tensors.has(`grad.${name}`)) { if (p.grad && p.grad.some((v) => v !== 0)) missing++; continue; }
  add(`grad ${name}`, p.grad ?? new Float32Array(p.size), `grad.${name}`, `grad64.${name}`);
}
// A bias right before a BatchNorm has a gradient of exactly zero in exact arithmetic (the
// normalisation removes any constant shift): both sides hold rounding noise there, so such
// tensors (float64 max below 1e-4 x the largest gradient) are left out of the relative figures.
const gmax = Math.max(...rows.map((r) => r.scale));
const real = rows.filter((r) => r.scale >= 1e-4 * gmax);
const q = (key: 'vs32' | 'ours64' | 'ref64', f: number) => real.map((r) => r[key]).sort((a, b) => a - b)[Math.min(real.length - 1, Math.floor(f * real.length))];
console.log(`${layers} layers, ${count} NCI1 graphs, train mode: loss ours ${loss.item().toFixed(6)}, PyTorch float32 ${get('loss')[0].toFixed(6)}; ` +
  `${rows.length - 1} gradients, ${missing} nonzero ones PyTorch lacks; ${rows.length - real.length} zero in exact arithmetic (biases before a BatchNorm) left out`);
console.log('max |x - y| / max |y| per tensor over the output and the gradients:  median / 90th percentile / max');
for (const [key, what] of [['vs32', 'ours    vs PyTorch float32'], ['ours64', 'ours    vs PyTorch float64'], ['ref64', 'PyTorch float32 vs PyTorch float64']] as const) {
  console.log(`  ${what.padEnd(36)} ${q(key, 0.5).toExponential(2)} / ${q(key, 0.9).toExponential(2)} / ${q(key, 1).toExponential(2)}`);
}
const worst = [...real].sort((a, b) => b.ours64 - a.ours64).slice(0, 3);
console.log(`largest (ours vs float64): ${worst.map((r) => `${r.name} ${r.ours64.toExponential(2)} (PyTorch float32: ${r.ref64.toExponential(2)})`).join('; ')}`);

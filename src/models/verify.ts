/**
 * Checks this implementation against a reference fixture exported from the
 * official PyTorch model (format: shared/fixtures/README.md): inputs, weights
 * (`param.*`), outputs, loss, gradients (`grad.*`) and BatchNorm statistics after
 * one train-mode forward (`after.*`). The configuration comes from the `.json`
 * file of the same name beside the `.safetensors` file.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { GraphBatch } from '../graph/types.js';
import { readSafetensors, toNumbers, type StoredTensor } from '../io/safetensors.js';
import * as ops from '../tensor/ops.js';
import { noGrad, Tensor } from '../tensor/tensor.js';
import { currentDevice } from '../tensor/device.js';
import type { GradformerConfig } from './config.js';
import { Gradformer } from './gradformer.js';

/**
 * Errors of one group of tensors. An element passes when
 * |ours - ref| <= ABS_FLOOR + tolerance * |ref|. `maxRel` is the largest
 * |ours - ref| / |ref| where the relative term governs (tolerance * |ref| >= ABS_FLOOR);
 * smaller entries are round-off noise (e.g. the gradient of a bias followed by a
 * BatchNorm, analytically 0) and are judged by the absolute floor, so `maxAbs` covers them.
 */
export interface GroupError {
  group: string;
  tensors: number;
  maxAbs: number;
  maxRel: number;
  /** The tensor with the largest error relative to its allowance. */
  worst: string;
  tolerance: number;
  ok: boolean;
}

/** Relative tolerances of `gradformer verify-reference`. */
export const TOLERANCES = { output: 1e-4, loss: 1e-4, grad: 1e-3, stats: 1e-4 };
/** The absolute floor: the fixture README's float64-vs-float32 allowance (1e-5). */
export const ABS_FLOOR = 1e-5;

const need = (t: Map<string, StoredTensor>, k: string, file: string): StoredTensor => {
  const v = t.get(k);
  if (!v) throw new Error(`verify-reference: ${file} has no tensor '${k}'`);
  return v;
};

/** The fixture's padded inputs repacked into a GraphBatch (no padding). */
export function batchFromFixture(t: Map<string, StoredTensor>, file: string): GraphBatch {
  const x = need(t, 'input.x', file), ei = need(t, 'input.edge_index', file), ea = need(t, 'input.edge_attr', file);
  const bt = need(t, 'input.batch', file), pe = need(t, 'input.pe', file), sph = need(t, 'input.sph', file), y = need(t, 'input.y', file);
  const N = bt.shape[0], E = ei.shape[1], B = sph.shape[0], Nmax = sph.shape[1];
  const batch = Int32Array.from(toNumbers(bt));
  const graphPtr = new Int32Array(B + 1);
  for (let i = 0; i < N; i++) graphPtr[batch[i] + 1]++;
  for (let b = 0; b < B; b++) graphPtr[b + 1] += graphPtr[b];
  const spdPtr = new Int32Array(B + 1);
  for (let b = 0; b < B; b++) spdPtr[b + 1] = spdPtr[b] + (graphPtr[b + 1] - graphPtr[b]) ** 2;
  const spd = new Uint16Array(spdPtr[B]);
  const sv = toNumbers(sph);
  for (let b = 0; b < B; b++) {
    const n = graphPtr[b + 1] - graphPtr[b];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) spd[spdPtr[b] + i * n + j] = sv[(b * Nmax + i) * Nmax + j];
  }
  const edgeIndex = Int32Array.from(toNumbers(ei));
  const edgePtr = new Int32Array(B + 1);
  for (let e = 0; e < E; e++) edgePtr[batch[edgeIndex[e]] + 1]++;
  for (let b = 0; b < B; b++) edgePtr[b + 1] += edgePtr[b];
  const isInt = (s: StoredTensor) => s.dtype === 'I64' || s.dtype === 'I32';
  const cols = (s: StoredTensor) => (s.shape.length > 1 ? s.shape[1] : 1);
  return {
    numGraphs: B, numNodes: N, numEdges: E, graphPtr, batch, edgePtr, edgeIndex,
    nodeFeat: isInt(x) ? null : Float32Array.from(toNumbers(x)), nodeFeatDim: isInt(x) ? 0 : cols(x),
    nodeCat: isInt(x) ? Int32Array.from(toNumbers(x)) : null, nodeCatDim: isInt(x) ? cols(x) : 0,
    edgeFeat: isInt(ea) ? null : Float32Array.from(toNumbers(ea)), edgeFeatDim: isInt(ea) ? 0 : cols(ea),
    edgeCat: isInt(ea) ? Int32Array.from(toNumbers(ea)) : null, edgeCatDim: isInt(ea) ? cols(ea) : 0,
    spd, spdPtr, pe: Float32Array.from(toNumbers(pe)), peDim: cols(pe),
    y: Float32Array.from(toNumbers(y)), numTargets: y.shape.length > 1 ? y.shape[1] : 1,
    nodeY: null, index: Int32Array.from({ length: B }, (_, i) => i),
  };
}

/** The training loss of the official code for a task on a batch (graph tasks). */
export function taskLoss(task: GradformerConfig['task'], out: Tensor, batch: GraphBatch): Tensor {
  switch (task) {
    case 'multi_class': return ops.crossEntropy(out, Int32Array.from(batch.y));
    case 'regression': return ops.l1Loss(out, batch.y);
    case 'binary_class': {
      const mask = Uint8Array.from(batch.y, (v) => (Number.isNaN(v) ? 0 : 1));
      const target = Float32Array.from(batch.y, (v) => (Number.isNaN(v) ? 0 : v));
      return ops.bceWithLogits(out, target, mask);
    }
    case 'node_multi_class': return ops.crossEntropy(out, batch.nodeY!);
  }
}

function compare(group: string, pairs: [string, ArrayLike<number>, ArrayLike<number>][], tolerance: number): GroupError {
  let maxAbs = 0, maxRel = 0, worst = '', worstRatio = -1;
  for (const [name, ours, ref] of pairs) {
    if (ours.length !== ref.length) throw new Error(`verify-reference: ${name} has ${ours.length} values, reference ${ref.length}`);
    for (let i = 0; i < ref.length; i++) {
      const r = Math.abs(ref[i]);
      let d = Math.abs(ours[i] - ref[i]);
      if (Number.isNaN(d)) d = Infinity;
      maxAbs = Math.max(maxAbs, d);
      if (tolerance * r >= ABS_FLOOR) maxRel = Math.max(maxRel, d / r);
      const ratio = d / (ABS_FLOOR + tolerance * r);
      if (ratio > worstRatio) { worstRatio = ratio; worst = name; }
    }
  }
  return { group, tensors: pairs.length, maxAbs, maxRel, worst, tolerance, ok: worstRatio <= 1 };
}

/** Runs the fixture: eval forward, then train forward + loss + backward; compares every group. */
export function verifyReference(file: string): { config: GradformerConfig; groups: GroupError[]; ok: boolean } {
  const jsonPath = file.replace(/\.safetensors$/, '') + '.json';
  if (!existsSync(jsonPath)) throw new Error(`verify-reference: configuration ${jsonPath} not found (it must sit beside ${file})`);
  let meta: { config?: GradformerConfig & Record<string, unknown> };
  try {
    meta = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new Error(`verify-reference: ${jsonPath} is not JSON (${(e as Error).message})`);
  }
  const cfg = meta.config;
  if (typeof cfg !== 'object' || cfg === null) {
    throw new Error(`verify-reference: ${jsonPath} has no "config" object, so ${file} is not a model fixture ` +
      '(the model fixtures of ../shared/fixtures: tu_gin, zinc_gine, gatedgcn)');
  }
  const { tensors } = readSafetensors(file);
  const config = fixtureModelConfig(cfg);
  // Weights come from the fixture; the generator only fills what is then overwritten.
  const zeroRng = { nextFloat: () => 0.5 };
  const model = new Gradformer(config, zeroRng);
  const params = new Map<string, { data: ArrayLike<number>; shape: readonly number[] }>();
  for (const [k, v] of tensors) if (k.startsWith('param.')) params.set(k.slice(6), { data: toNumbers(v), shape: v.shape });
  model.loadStateDict(params);
  model.to(currentDevice()); // --device / GRADFORMER_DEVICE: the same check on cuda
  const batch = batchFromFixture(tensors, file);
  const ref = (k: string) => toNumbers(need(tensors, k, file));

  model.eval();
  const evalOut = noGrad(() => model.forward(batch).out);
  model.train();
  const { out } = model.forward(batch);
  const loss = taskLoss(model.config.task, out, batch);
  // Read on the host before backward() hands the tape's buffers back.
  const outV = out.toHost().slice(), lossV = loss.toHost().slice();
  loss.backward();

  const groups: GroupError[] = [
    compare('train output', [['output.train', outV, ref('output.train')]], TOLERANCES.output),
    compare('loss', [['output.loss', lossV, ref('output.loss')]], TOLERANCES.loss),
  ];
  const gradPairs: [string, ArrayLike<number>, ArrayLike<number>][] = [];
  const statPairs: [string, ArrayLike<number>, ArrayLike<number>][] = [];
  const sd = model.stateDict();
  for (const k of tensors.keys()) {
    if (k.startsWith('grad.')) {
      const p = sd.get(k.slice(5));
      if (!p) throw new Error(`verify-reference: ${k} names no parameter of the model`);
      gradPairs.push([k, p.gradStorage ? p.device.toHost(p.gradStorage) : new Float32Array(p.size), ref(k)]);
    } else if (k.startsWith('after.')) {
      const b = sd.get(k.slice(6));
      if (!b) throw new Error(`verify-reference: ${k} names no buffer of the model`);
      statPairs.push([k, b.toHost(), ref(k)]);
    }
  }
  groups.push(compare('gradients', gradPairs, TOLERANCES.grad));
  groups.push(compare('running statistics', statPairs, TOLERANCES.stats));
  groups.push(compare('eval output', [['output.eval', evalOut.toHost(), ref('output.eval')]], TOLERANCES.output));
  return { config: model.config, groups, ok: groups.every((g) => g.ok) };
}

/**
 * The model configuration in a fixture's `config` object: its Gradformer arguments,
 * without the facts the fixture adds about them (gin_eps, attention_d_k, pe, target, ...).
 */
export function fixtureModelConfig(cfg: Partial<GradformerConfig> & Record<string, unknown>): Partial<GradformerConfig> {
  return {
    mpnn: cfg.mpnn, channels: cfg.channels, nhead: cfg.nhead, num_layers: cfg.num_layers, gamma: cfg.gamma,
    n_hop: cfg.n_hop, slope: cfg.slope, pe_norm: cfg.pe_norm, pe_origin_dim: cfg.pe_origin_dim, pe_dim: cfg.pe_dim,
    node_method: cfg.node_method, edge_method: cfg.edge_method, projection: cfg.projection, pool: cfg.pool,
    dropout: cfg.dropout, attn_dropout: cfg.attn_dropout, drop_prob: cfg.drop_prob, node_dim: cfg.node_dim,
    edge_dim: cfg.edge_dim, num_tasks: cfg.num_tasks, task: cfg.task,
    gatedgcn: cfg.gatedgcn ?? null, learn_gamma: Boolean(cfg.learn_gamma),
  };
}

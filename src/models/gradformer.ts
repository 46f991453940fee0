/**
 * The full Gradformer model: encoders -> decay mask -> GPS layers -> pooling -> head.
 *
 * Parameter names and order equal the official PyTorch `state_dict`, including
 * the encoders a configuration does not use (the official model builds them all).
 */
import type { GraphBatch } from '../graph/types.js';
import { BatchNorm1d, Embedding, Linear, MLP } from '../nn/layers.js';
import { Module, ModuleList } from '../nn/module.js';
import * as ops from '../tensor/ops.js';
import type { UniformSource } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import type { HostArray } from '../tensor/kernels_cuda.js';
import { decayMask, maskLayout } from './attention.js';
import { resolveConfig, type GradformerConfig } from './config.js';
import { GPSLayer } from './gps.js';
import { GatedGCNLayer, GINConv, type EdgeLists, type LocalMpnn } from './mpnn.js';

/** Category counts of OGB's 9 atom and 3 bond features (ogb.utils.features, ogb 1.3.x). */
export const ATOM_FEATURE_DIMS = [119, 5, 12, 12, 10, 6, 6, 2, 2];
export const BOND_FEATURE_DIMS = [5, 6, 2];

/** Column-major copies of categorical feature matrices, by the matrix they copy. */
const columnMajor = new WeakMap<Int32Array, Int32Array>();

/**
 * ids [rows, cols] as [cols, rows] (column c at c * rows; ids itself for one column),
 * made once per array: the per-column lookups of an encoder then read subarrays of
 * one array, which a device stages with the batch. A fresh column per forward was a
 * copy to the device each time, freed only by the garbage collector (docs/WEB.md).
 */
function columnsOf(ids: Int32Array, rows: number): Int32Array {
  const cols = rows === 0 ? 0 : ids.length / rows;
  if (cols <= 1) return ids;
  let t = columnMajor.get(ids);
  if (t === undefined) {
    t = new Int32Array(ids.length);
    for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) t[c * rows + r] = ids[r * cols + c];
    columnMajor.set(ids, t);
  }
  return t;
}

/** Column 0 of ids [rows, cols] (ids itself for one column), an array that is the same for the same ids. */
function firstColumn(ids: Int32Array, rows: number): Int32Array {
  const t = columnsOf(ids, rows);
  return t.length === rows ? t : t.subarray(0, rows);
}

/** OGB AtomEncoder/BondEncoder: the sum of one embedding per categorical column. */
export class CategoricalSumEncoder extends Module {
  readonly tables: ModuleList<Embedding>;
  constructor(listName: string, dims: number[], dim: number, rng: UniformSource) {
    super();
    this.tables = this.child(listName, new ModuleList<Embedding>());
    for (const d of dims) this.tables.push(new Embedding(d, dim, rng).xavierUniform(rng));
  }
  /** ids [rows, cols] categorical (cols <= number of tables) -> [rows, dim]. */
  forward(ids: Int32Array, rows: number): Tensor {
    const cols = rows === 0 ? 0 : ids.length / rows;
    if (!Number.isInteger(cols) || cols > this.tables.items.length) {
      throw new Error(`CategoricalSumEncoder: ${ids.length} ids for ${rows} rows do not make at most ${this.tables.items.length} columns`);
    }
    let out: Tensor | null = null;
    const byColumn = columnsOf(ids, rows);
    for (let c = 0; c < cols; c++) {
      const e = this.tables.items[c].forward(byColumn.subarray(c * rows, (c + 1) * rows));
      out = out === null ? e : ops.add(out, e);
    }
    return out ?? Tensor.zeros([rows, this.tables.items[0].dim], false, this.tables.items[0].weight.device.name);
  }
}

/** What one forward pass returns. */
export interface ForwardResult {
  /** [B, num_tasks] for graph tasks, [N, num_tasks] for node tasks. */
  out: Tensor;
  /** The decay mask in mask layout (per graph [H, n, n]), for inspection. */
  mask: Tensor;
  /** Per layer attention probabilities (mask layout) when requested. */
  probs: Float32Array[];
}

/**
 * The Gradformer model: input encoders, the decay mask, `num_layers` GPS layers
 * (local MPNN and decay-masked attention side by side, then an FFN), pooling and a
 * linear or MLP head. Parameter names and order are the official PyTorch state_dict's,
 * so every encoder exists whatever the configuration and only the one it names runs.
 * The constructor throws on an invalid configuration (`resolveConfig`); `forward`
 * throws when a batch lacks the features the configuration reads.
 */
export class Gradformer extends Module {
  /** The complete configuration (the given one with the official defaults filled in). */
  readonly config: GradformerConfig;
  /** `hop` [nhead, 1, 1]: each head's learnable hop shift, initialised to `n_hop`. */
  readonly hop: Tensor;
  /** `gamma_logit` [nhead, 1, 1]: logit of each head's gamma with `learn_gamma`, else null (gamma fixed). */
  readonly gammaLogit: Tensor | null;
  /** `node_add`: node features [N, node_dim] -> [N, C], summed with `pe_add` (node_method 'add'). */
  readonly nodeAdd: Linear;
  /** `pe_add`: PE [N, pe_origin_dim] -> [N, C] (node_method 'add'). */
  readonly peAdd: Linear;
  /** `pe_lin`: PE [N, pe_origin_dim] -> [N, pe_dim], concatenated after the node encoding ('linear', 'embedding', 'ogb'). */
  readonly peLin: Linear;
  /** `node_lin`: node features [N, node_dim] -> [N, C - pe_dim] (node_method 'linear'). */
  readonly nodeLin: Linear;
  /** `no_pe`: node features [N, node_dim] -> [N, C], no PE (node_method 'no_pe'). */
  readonly noPe: Linear;
  /** `node_emb`: the first categorical node column -> [N, C - pe_dim] (node_method 'embedding'). */
  readonly nodeEmb: Embedding;
  /** `atom_enc`: OGB AtomEncoder, the categorical node columns -> [N, C - pe_dim] (node_method 'ogb'). */
  readonly atomEnc: CategoricalSumEncoder;
  /** `bond_enc`: OGB BondEncoder, the categorical edge columns -> [E, C] (edge_method 'ogb'). */
  readonly bondEnc: CategoricalSumEncoder;
  /** `edge_emb`: the first categorical edge column -> [E, C] (edge_method 'embedding'). */
  readonly edgeEmb: Embedding;
  /** `pe_norm`: BatchNorm over the raw PE [N, pe_origin_dim] (with `pe_norm`). */
  readonly peNorm: BatchNorm1d;
  /** `convs`: the `num_layers` GPS layers. */
  readonly convs: ModuleList<GPSLayer>;
  /** `mlp`: the head C -> C/2 -> C/4 -> num_tasks (projection 'mlp'). */
  readonly mlp: MLP;
  /** `lin`: the head C -> num_tasks (projection 'lin'). */
  readonly lin: Linear;

  /**
   * Builds the model with freshly initialised weights.
   * @param config the configuration (completed with the official defaults)
   * @param rng initialises the weights
   * @param dropRng draws dropout / drop-path masks during training (defaults to `rng`)
   */
  constructor(config: Partial<GradformerConfig>, rng: UniformSource, dropRng: UniformSource = rng) {
    super();
    const c = (this.config = resolveConfig(config));
    const C = c.channels;
    this.hop = this.param('hop', new Tensor(new Float32Array(c.nhead).fill(c.n_hop), [c.nhead, 1, 1]));
    this.gammaLogit = c.learn_gamma
      ? this.param('gamma_logit', new Tensor(new Float32Array(c.nhead).fill(Math.log(c.gamma / (1 - c.gamma))), [c.nhead, 1, 1]))
      : null;
    this.nodeAdd = this.child('node_add', new Linear(c.node_dim, C, rng));
    this.peAdd = this.child('pe_add', new Linear(c.pe_origin_dim, C, rng));
    this.peLin = this.child('pe_lin', new Linear(c.pe_origin_dim, c.pe_dim, rng));
    this.nodeLin = this.child('node_lin', new Linear(c.node_dim, C - c.pe_dim, rng));
    this.noPe = this.child('no_pe', new Linear(c.node_dim, C, rng));
    this.nodeEmb = this.child('node_emb', new Embedding(c.node_dim, C - c.pe_dim, rng));
    // Official: AtomEncoder(C - pe_dim - 1), which cannot feed C-wide layers. We keep
    // that shape for state-dict parity unless the encoder is actually used ('ogb'),
    // where it must produce C - pe_dim features (documented deviation).
    const atomDim = c.node_method === 'ogb' ? C - c.pe_dim : C - c.pe_dim - 1;
    this.atomEnc = this.child('atom_enc', new CategoricalSumEncoder('atom_embedding_list', ATOM_FEATURE_DIMS, atomDim, rng));
    this.bondEnc = this.child('bond_enc', new CategoricalSumEncoder('bond_embedding_list', BOND_FEATURE_DIMS, C, rng));
    this.edgeEmb = this.child('edge_emb', new Embedding(c.edge_dim, C, rng));
    this.peNorm = this.child('pe_norm', new BatchNorm1d(c.pe_origin_dim));
    this.convs = this.child('convs', new ModuleList<GPSLayer>());
    for (let l = 0; l < c.num_layers; l++) {
      let conv: LocalMpnn;
      if (c.mpnn === 'GIN' || c.mpnn === 'GINE') conv = new GINConv(C, rng, c.mpnn === 'GINE');
      else conv = new GatedGCNLayer(C, rng, c.gatedgcn!, dropRng);
      this.convs.push(new GPSLayer(C, c.nhead, conv, c, rng, dropRng));
    }
    this.mlp = this.child('mlp', new MLP([C, C >> 1, C >> 2, c.num_tasks], [0, 2, 4], rng));
    this.lin = this.child('lin', new Linear(C, c.num_tasks, rng));
  }

  /** Node encodings h0 [N, C], the (normalised) PE [N, pe] and the edge embedding [E, C] or null. */
  private encode(batch: GraphBatch): { x: Tensor; pe: Tensor; edgeAttr: Tensor | null } {
    const c = this.config;
    const N = batch.numNodes;
    if (batch.peDim !== c.pe_origin_dim) {
      throw new Error(`Gradformer: batch has positional encodings of width ${batch.peDim}, the model expects pe_origin_dim = ${c.pe_origin_dim}`);
    }
    // Batch inputs are on the model's device (staged by forward; the host arrays themselves on cpu).
    const D = this.hop.device;
    let pe = new Tensor(D.index(batch.pe), [N, batch.peDim]);
    if (c.pe_norm) pe = this.peNorm.forward(pe);
    const floatX = () => {
      if (!batch.nodeFeat || batch.nodeFeatDim !== c.node_dim) {
        throw new Error(`Gradformer: node_method ${c.node_method} needs float node features of width node_dim = ${c.node_dim}` +
          ` (batch has ${batch.nodeFeat ? batch.nodeFeatDim : 'none'})`);
      }
      return new Tensor(D.index(batch.nodeFeat), [N, c.node_dim]);
    };
    const catX = (name: string) => {
      if (!batch.nodeCat) throw new Error(`Gradformer: node_method ${name} needs categorical node features (batch has none)`);
      return batch.nodeCat;
    };
    let x: Tensor;
    switch (c.node_method) {
      case 'add': x = ops.add(this.nodeAdd.forward(floatX()), this.peAdd.forward(pe)); break;
      case 'linear': x = ops.concatCols([this.nodeLin.forward(floatX()), this.peLin.forward(pe)]); break;
      case 'embedding': {
        const ids = catX('embedding');
        x = ops.concatCols([this.nodeEmb.forward(firstColumn(ids, N)), this.peLin.forward(pe)]);
        break;
      }
      case 'ogb': x = ops.concatCols([this.atomEnc.forward(catX('ogb'), N), this.peLin.forward(pe)]); break;
      case 'no_pe': x = this.noPe.forward(floatX()); break;
    }
    let edgeAttr: Tensor | null = null;
    if (c.edge_method !== 'None') {
      const E = batch.numEdges;
      if (!batch.edgeCat) throw new Error(`Gradformer: edge_method ${c.edge_method} needs categorical edge features (batch has none)`);
      if (c.edge_method === 'embedding') {
        edgeAttr = this.edgeEmb.forward(firstColumn(batch.edgeCat, E));
      } else {
        edgeAttr = this.bondEnc.forward(batch.edgeCat, E);
      }
    }
    return { x, pe, edgeAttr };
  }

  private ones = new Float32Array(0);
  private readonly onesOf = new WeakMap<GraphBatch, Float32Array>();
  /**
   * GraphGPS (decay false): the all-ones mask of a batch [nhead * spd, 1], a view of
   * one buffer that only grows; the same array for the same batch, so a device stages
   * it with the batch's arrays (one upload, freed with them) instead of a copy per forward.
   */
  private onesFor(batch: GraphBatch): Float32Array {
    let m = this.onesOf.get(batch);
    if (m === undefined) {
      const size = this.config.nhead * batch.spd.length;
      if (this.ones.length < size) this.ones = new Float32Array(size).fill(1);
      m = this.ones.subarray(0, size);
      this.onesOf.set(batch, m);
    }
    return m;
  }

  /**
   * Puts a batch's arrays (and `extra` ones, e.g. the loss targets) on the model's
   * device in one transfer. A no-op on cpu and for a batch already there; forward
   * calls it, and a trainer calls it first with its targets, so a step uploads once.
   */
  stage(batch: GraphBatch, extra: readonly HostArray[] = []): void {
    const c = this.config;
    // What the encoders and GraphGPS's mask read besides the batch's own arrays (the same arrays every forward).
    const nodeCols = batch.nodeCat !== null && (c.node_method === 'ogb' || c.node_method === 'embedding') ? columnsOf(batch.nodeCat, batch.numNodes) : null;
    const edgeCols = batch.edgeCat !== null && c.edge_method !== 'None' ? columnsOf(batch.edgeCat, batch.numEdges) : null;
    const arrays: (HostArray | null)[] = [batch.pe, batch.nodeFeat, batch.nodeCat, batch.edgeCat, batch.edgeIndex,
      batch.graphPtr, batch.spd, batch.spdPtr, nodeCols, edgeCols, c.decay === false ? this.onesFor(batch) : null, ...extra];
    this.hop.device.stage(arrays.filter((a): a is HostArray => a !== null));
  }

  /**
   * Runs the model on a packed batch. In train mode BatchNorm uses batch statistics
   * and updates its running statistics; wrap in `noGrad` for evaluation.
   */
  forward(batch: GraphBatch, opts: { keepProbs?: boolean } = {}): ForwardResult {
    const c = this.config;
    this.stage(batch);
    const { x: x0, pe, edgeAttr } = this.encode(batch);
    const ones = c.decay === false ? this.onesFor(batch) : null;
    const mask = ones !== null ? new Tensor(this.hop.device.index(ones), [ones.length, 1])
      : decayMask(maskLayout(batch.spd, batch.spdPtr, c.nhead), this.hop, c.gamma, c.slope, this.gammaLogit);
    const E = batch.numEdges;
    const edges: EdgeLists = { src: batch.edgeIndex.subarray(0, E), dst: batch.edgeIndex.subarray(E, 2 * E) };
    let x = x0;
    const probs: Float32Array[] = [];
    for (const layer of this.convs.items) {
      x = layer.forward({ x, edges, edgeAttr, pe }, mask, batch.graphPtr, opts.keepProbs);
      if (opts.keepProbs) probs.push(layer.attn.lastProbs!);
    }
    if (c.pool !== 'none') x = ops.segmentReduce(x, batch.graphPtr, c.pool === 'add' ? 'sum' : c.pool);
    const out = c.projection === 'mlp' ? this.mlp.forward(x) : this.lin.forward(x);
    return { out, mask, probs };
  }
}

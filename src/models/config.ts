/**
 * The model configuration, mirroring the official Gradformer arguments
 * (`config.py` / `main.py`), with the official snake_case names so that a
 * fixture's or an official run's configuration maps over directly.
 */
import { checkKeys } from '../util/options.js';

export type MpnnKind = 'GIN' | 'GINE' | 'GCN'; // 'GCN' = GatedGCN, as the official flag
export type NodeMethod = 'add' | 'linear' | 'embedding' | 'ogb' | 'no_pe';
export type EdgeMethod = 'None' | 'embedding' | 'ogb';
export type Pool = 'add' | 'mean' | 'max' | 'none';
export type Projection = 'lin' | 'mlp';
export type ModelTask = 'multi_class' | 'binary_class' | 'regression' | 'node_multi_class';

/**
 * Every model argument, under the official Gradformer flag names (snake_case).
 * Pass a Partial: `resolveConfig` (which the model's constructor calls) fills in
 * DEFAULT_CONFIG and throws, saying what is accepted, on an unknown key, a value
 * out of range or an impossible combination.
 */
export interface GradformerConfig {
  /** Local message passing: GIN, GINE (edge features) or GatedGCN ('GCN'). */
  mpnn: MpnnKind;
  /** Hidden width C (divisible by nhead). */
  channels: number;
  /** Attention heads H; d_k = channels / nhead. */
  nhead: number;
  /** Number of GPS layers. */
  num_layers: number;
  /** Decay base gamma in (0, 1]; 1 makes every mask entry 1 (plain attention, the hop still learns from weight decay). */
  gamma: number;
  /** Initial value of every head's learnable hop shift. */
  n_hop: number;
  /** Negative slope of the leaky ReLU in the decay exponent. */
  slope: number;
  /** BatchNorm on the raw positional encoding before the encoders. */
  pe_norm: boolean;
  /** Width of the raw positional encoding (RWSE walk length or LapPE k). */
  pe_origin_dim: number;
  /** Width the PE is projected to by `pe_lin` for node methods that concatenate it. */
  pe_dim: number;
  /**
   * How node features and PE become the C-wide input: 'add' (two linears, summed); 'linear',
   * 'embedding' or 'ogb' (a node encoding [N, C - pe_dim] next to pe_lin(PE)); 'no_pe' (node features only).
   */
  node_method: NodeMethod;
  /** Edge features for GINE / GatedGCN: 'None', 'embedding' (first categorical column) or 'ogb' (BondEncoder). */
  edge_method: EdgeMethod;
  /** The head: 'lin' (one linear) or 'mlp' (C -> C/2 -> C/4 -> num_tasks). */
  projection: Projection;
  /** Readout of a graph's nodes: sum ('add'), mean or max; 'none' keeps nodes (node tasks). */
  pool: Pool;
  /** Dropout after the MPNN/attention branches and in the FFN. */
  dropout: number;
  /** Dropout on the attention probabilities. */
  attn_dropout: number;
  /** Drop-path probability on the attention branch. */
  drop_prob: number;
  /** Float node feature width (one-hot size) or categorical vocabulary (`embedding`). */
  node_dim: number;
  /** Edge vocabulary for `edge_method: 'embedding'`. */
  edge_dim: number;
  /** Output width: classes, or tasks for regression / multi-label. */
  num_tasks: number;
  /** The dataset's task (set from it); pool 'none' goes with 'node_multi_class' and only with it. */
  task: ModelTask;
  /** GatedGCN options (official: residual on, dropout 0; equivstable_pe on for molhiv). */
  gatedgcn?: { residual: boolean; equivstable_pe: boolean; dropout: number } | null;
  /**
   * The paper's variant: gamma learnable per head (`gamma_logit` [H,1,1],
   * gamma = sigmoid(logit) in (0,1)), initialised to `gamma`. Off in the official code.
   */
  learn_gamma?: boolean;
  /**
   * The decay mask at all (default true). false = GraphGPS: the same layer with plain
   * multi-head attention (every mask entry 1, exactly as gamma = 1 computes it); `hop`
   * stays in the state dict, untouched (no gradient, so no weight decay either).
   * Not an official argument; absent means true (configs of decay runs do not carry it).
   */
  decay?: boolean;
}

/** Official defaults (config.py) for anything a preset does not set. */
export const DEFAULT_CONFIG: GradformerConfig = {
  mpnn: 'GIN', channels: 64, nhead: 4, num_layers: 10, gamma: 0.5, n_hop: 5, slope: 0.0,
  pe_norm: false, pe_origin_dim: 20, pe_dim: 20, node_method: 'linear', edge_method: 'None',
  projection: 'mlp', pool: 'add', dropout: 0.0, attn_dropout: 0.5, drop_prob: 0.0,
  node_dim: 1, edge_dim: 1, num_tasks: 1, task: 'multi_class', gatedgcn: null, learn_gamma: false,
};

/** Every key a configuration may hold (`decay` is ours, optional, and has no entry in the defaults). */
const CONFIG_KEYS: readonly string[] = [...Object.keys(DEFAULT_CONFIG), 'decay'];

/** Checks a configuration and explains what is accepted; returns it completed with defaults. */
export function resolveConfig(partial: Partial<GradformerConfig>): GradformerConfig {
  checkKeys('config', partial, CONFIG_KEYS);
  const bad = (msg: string) => { throw new Error(`config: ${msg}`); };
  const c: GradformerConfig = { ...DEFAULT_CONFIG, ...partial };
  const oneOf = <T extends string>(key: keyof GradformerConfig, allowed: readonly T[]) => {
    if (!allowed.includes(c[key] as T)) bad(`${key} = ${JSON.stringify(c[key])}; accepted: ${allowed.join(', ')}`);
  };
  oneOf('mpnn', ['GIN', 'GINE', 'GCN']);
  oneOf('node_method', ['add', 'linear', 'embedding', 'ogb', 'no_pe']);
  oneOf('edge_method', ['None', 'embedding', 'ogb']);
  oneOf('pool', ['add', 'mean', 'max', 'none']);
  oneOf('projection', ['lin', 'mlp']);
  oneOf('task', ['multi_class', 'binary_class', 'regression', 'node_multi_class']);
  for (const k of ['channels', 'nhead', 'num_layers', 'pe_origin_dim', 'node_dim', 'edge_dim', 'num_tasks'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) bad(`${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.channels % c.nhead !== 0) bad(`channels (${c.channels}) must be divisible by nhead (${c.nhead})`);
  if (!(c.gamma > 0 && c.gamma <= 1)) bad(`gamma must be in (0, 1], got ${c.gamma}`);
  if (c.learn_gamma && !(c.gamma < 1)) bad(`learn_gamma starts from logit(gamma) and needs gamma < 1, got ${c.gamma}`);
  if (c.decay === false && c.learn_gamma) bad('decay false (GraphGPS) has no mask for a learnable gamma to shape: drop learn_gamma');
  for (const k of ['dropout', 'attn_dropout', 'drop_prob'] as const) {
    if (!(c[k] >= 0 && c[k] < 1)) bad(`${k} must be in [0, 1), got ${c[k]}`);
  }
  if ((c.node_method === 'linear' || c.node_method === 'embedding' || c.node_method === 'ogb') && !(c.pe_dim >= 1 && c.pe_dim < c.channels)) {
    bad(`pe_dim (${c.pe_dim}) must be in [1, channels) for node_method ${c.node_method}`);
  }
  if (c.mpnn === 'GINE' && c.edge_method === 'None') {
    bad('GINE needs edge features: set edge_method to embedding or ogb (or use mpnn GIN)');
  }
  if (c.mpnn === 'GCN' && c.edge_method === 'None') {
    bad('GatedGCN (mpnn GCN) needs edge features: set edge_method to embedding or ogb');
  }
  if ((c.pool === 'none') !== (c.task === 'node_multi_class')) {
    bad(`pool 'none' goes with task node_multi_class and only with it (got pool ${c.pool}, task ${c.task})`);
  }
  if (c.mpnn === 'GCN' && !c.gatedgcn) c.gatedgcn = { residual: true, equivstable_pe: false, dropout: 0 };
  return c;
}

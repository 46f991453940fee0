/**
 * A run's full configuration: the preset (model + training protocol) completed
 * with what the dataset determines and with the user's overrides, checked for
 * impossible combinations. Saved as the run folder's config.json and inside
 * every checkpoint.
 */
import type { GraphDataset } from '../data/dataset.js';
import { resolveConfig, type GradformerConfig } from '../models/config.js';
import { GENERIC_TU, PRESETS, resolvePreset, TRAINING_KEYS, type TrainingProtocol } from '../models/presets.js';
import { checkKeys } from '../util/options.js';
import { OWNLESS_SPLITS, type SplitKind } from '../data/splits.js';
import { UsageError } from './usage_error.js';

/**
 * A run's complete configuration, built by buildRunConfig from a preset, the
 * dataset and the overrides; saved as the run folder's config.json and in every
 * checkpoint, so a run can be resumed or reproduced from it.
 */
export interface RunConfig {
  /** The dataset name. */
  dataset: string;
  /** The preset it started from. */
  preset: string;
  /** The complete model configuration, widths from the dataset included. */
  model: GradformerConfig;
  /** The complete training protocol. */
  train: TrainingProtocol;
  /** Seed of the run: weights, shuffling, dropout and (without split_seed) the split. */
  seed: number;
  /** Fold for the kfold10 split (0..9). */
  fold: number;
  /** The data root the run read from (null = the default search). */
  data_root: string | null;
}

/** A user's changes on top of a preset (what the CLI's options set); unknown keys are an error. */
export interface Overrides {
  /** Model arguments to replace. */
  model?: Partial<GradformerConfig>;
  /** Training-protocol keys to replace. */
  train?: Partial<TrainingProtocol>;
}

/**
 * The preset of a name (case-insensitive), as a UsageError listing the accepted ones.
 * The generic preset (GENERIC_TU) is completed with `dataset` (and `regression`).
 */
export function presetOrFail(name: string, dataset = GENERIC_TU, regression = false) {
  try {
    return resolvePreset(name, dataset, regression);
  } catch {
    throw new UsageError(`unknown preset '${name}'; accepted: ${Object.keys(PRESETS).join(', ')}, ${GENERIC_TU} (generic, any TU dataset)`);
  }
}

/** Completes preset + overrides with the dataset's widths and checks the combination. */
export function buildRunConfig(ds: GraphDataset, presetName: string, over: Overrides, seed: number, fold = 0,
  dataRoot: string | null = null): RunConfig {
  const preset = presetOrFail(presetName, ds.name, ds.task === 'regression');
  try {
    checkKeys('overrides', over, ['model', 'train']);
    checkKeys('train', over.train, TRAINING_KEYS);
    checkKeys('train.pe', over.train?.pe, ['kind', 'dim']);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const train: TrainingProtocol = { ...preset.train, ...over.train, pe: { ...preset.train.pe, ...over.train?.pe } };
  const m: Partial<GradformerConfig> = { ...preset.model, ...over.model };
  const hasEdgeCat = ds.edgeCatDims.length > 0;
  // A local MPNN that reads edges gets the dataset's edge labels through an embedding.
  if ((m.mpnn === 'GINE' || m.mpnn === 'GCN') && (m.edge_method ?? 'None') === 'None') {
    if (!hasEdgeCat) {
      const name = m.mpnn === 'GCN' ? 'GatedGCN (--mpnn GCN)' : 'GINE';
      throw new UsageError(`${name} needs edge features, and dataset ${ds.name} has none; accepted --mpnn for ${ds.name}: GIN`);
    }
    m.edge_method = 'embedding';
  }
  if (m.edge_method !== 'None' && m.edge_method !== undefined && !hasEdgeCat) {
    throw new UsageError(`edge_method ${m.edge_method} needs edge features, and dataset ${ds.name} has none; accepted: None`);
  }
  const nm = m.node_method ?? 'linear';
  if (nm === 'embedding' || nm === 'ogb') {
    if (ds.nodeCatDims.length === 0) throw new UsageError(`node_method ${nm} needs categorical node features, and dataset ${ds.name} has none; accepted: add, linear, no_pe`);
    m.node_dim = nm === 'embedding' ? ds.nodeCatDims[0] : ds.nodeCatDims.length;
  } else {
    if (ds.nodeFeatDim === 0) throw new UsageError(`node_method ${nm} needs float node features, and dataset ${ds.name} has none; accepted: embedding, ogb`);
    m.node_dim = ds.nodeFeatDim;
  }
  m.edge_dim = m.edge_method === 'embedding' ? ds.edgeCatDims[0] : m.edge_method === 'ogb' ? ds.edgeCatDims.length : 1;
  if (ds.task === 'multi_class' && ds.numClasses < 2) {
    // Cross-entropy over one class is 0 whatever the model does, and accuracy 1: a run would "succeed" having learnt nothing.
    throw new UsageError(`dataset ${ds.name} has graphs of ${ds.numClasses === 1 ? 'one class only' : 'no class'}: nothing to learn; graph classification needs 2 or more classes in its labels`);
  }
  m.task = ds.task;
  m.num_tasks = ds.task === 'multi_class' || ds.task === 'node_multi_class' ? ds.numClasses : ds.numTasks;
  if (ds.task === 'node_multi_class') m.pool = 'none';
  else if (m.pool === 'none') throw new UsageError(`pool none is for node tasks; ${ds.name} is a graph task; accepted: add, mean, max`);
  m.pe_origin_dim = train.pe.dim;
  const lossOk: Record<string, string[]> = {
    multi_class: ['cross_entropy', 'weighted_cross_entropy'], node_multi_class: ['cross_entropy', 'weighted_cross_entropy'],
    binary_class: ['bce'], regression: ['l1'],
  };
  if (!lossOk[ds.task].includes(train.loss)) {
    throw new UsageError(`loss ${train.loss} does not fit the ${ds.task} task of ${ds.name}; accepted: ${lossOk[ds.task].join(', ')}`);
  }
  const metricOk: Record<string, string[]> = {
    multi_class: ['accuracy', 'weighted_accuracy'], node_multi_class: ['accuracy', 'weighted_accuracy'],
    binary_class: ['rocauc'], regression: ['mae'],
  };
  if (!metricOk[ds.task].includes(train.metric)) {
    throw new UsageError(`metric ${train.metric} does not fit the ${ds.task} task of ${ds.name}; accepted: ${metricOk[ds.task].join(', ')}`);
  }
  if (train.loss === 'l1' && m.num_tasks > 1) {
    throw new UsageError(`dataset ${ds.name} has ${m.num_tasks} regression targets per graph, and the L1 loss (as the official code) takes one; keep one target column`);
  }
  train.selection = train.metric === 'mae' ? 'min_val' : 'max_val';
  if (train.split === 'official' && !ds.officialSplit) {
    throw new UsageError(`dataset ${ds.name} has no official split; accepted --split: ${OWNLESS_SPLITS}`);
  }
  if (train.split !== 'official' && ds.officialSplit) {
    throw new UsageError(`dataset ${ds.name} ships its own split; accepted --split: official`);
  }
  if (train.split_seed !== undefined) {
    if (!(Number.isSafeInteger(train.split_seed) && train.split_seed >= 0)) throw new UsageError(`split_seed must be a non-negative integer, got ${train.split_seed}`);
    if (train.split === 'official') throw new UsageError(`--split-seed has no effect on ${ds.name}'s own split; drop it (it applies to ${OWNLESS_SPLITS})`);
  }
  for (const [k, v] of [['epochs', train.epochs], ['batch_size', train.batch_size]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new UsageError(`${k} must be a positive integer, got ${v}`);
  }
  if (train.train_fraction !== undefined && !(train.train_fraction > 0 && train.train_fraction <= 1)) {
    throw new UsageError(`train_fraction must be in (0, 1], got ${train.train_fraction}`);
  }
  if (!(train.lr > 0)) throw new UsageError(`lr must be > 0, got ${train.lr}`);
  const C = m.channels ?? 64, peDim = m.pe_dim ?? 20;
  if (C <= peDim) {
    // The official model builds node_lin / node_emb with channels - pe_dim outputs whatever the node method.
    throw new UsageError(`channels (${C}) must be larger than pe_dim (${peDim}): the model builds node_lin with channels - pe_dim outputs; accepted --channels: > ${peDim}`);
  }
  let model: GradformerConfig;
  try {
    model = resolveConfig(m);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { dataset: ds.name, preset: preset.name, model, train, seed, fold, data_root: dataRoot };
}

/** The split kind of a run. */
export function splitOf(run: RunConfig): SplitKind {
  return run.train.split;
}

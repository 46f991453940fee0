/**
 * Train/val/test splits.
 *
 * - randomSplit: the official Gradformer TU protocol (torch random_split with
 *   train = floor(0.8 n), val = floor(0.1 n), test = the rest) with our seeded
 *   permutation: perm = Rng(seed).permutation(n); train = perm[0, nTrain),
 *   val = the next nVal, test = the rest. Same sizes as the official code; the
 *   permutation itself differs from torch's generator.
 * - torchRandomSplit: the same protocol with torch's own permutation
 *   (torch.manual_seed(seed); random_split): the very graphs the official code
 *   puts in each part for that seed (its scripts use 12344).
 * - stratifiedKFold: the usual 10-fold protocol; fold f tests on fold f and
 *   validates on fold (f + 1) mod k (so val comes out of the training part,
 *   stratified, about 1/k of the data), trains on the other k - 2 folds.
 * - officialSplit: the split shipped with ZINC / OGB / SBM sets.
 */
import { torchRandperm } from '../util/mt19937.js';
import { Rng } from '../util/rng.js';
import type { GraphDataset, Split } from './dataset.js';

/** Seeded random split with the given fractions (default 80/10/10, floor for train and val). */
export function randomSplit(n: number, seed: number, fractions: [number, number] = [0.8, 0.1]): Split {
  const [ft, fv] = fractions;
  if (!(ft > 0 && fv >= 0 && ft + fv <= 1)) throw new Error(`randomSplit: bad fractions ${ft}/${fv}`);
  return cut(new Rng(seed).permutation(n), Math.floor(n * ft), Math.floor(n * fv));
}

/**
 * The official TU split exactly: torch.random_split(data, [int(0.8 n), int(0.1 n), rest])
 * right after torch.manual_seed(seed) (load_data.py l.77-80; nothing draws from
 * torch's generator before it). Indices are sorted within each part, as randomSplit's.
 */
export function torchRandomSplit(n: number, seed: number): Split {
  return cut(torchRandperm(n, seed), Math.floor(n * 0.8), Math.floor(n * 0.1));
}

/**
 * A seeded subsample of a training part (the scarce-data protocol): `fraction` of
 * `train`, stratified by `labels` (per class, round(fraction * count) graphs, at
 * least one, drawn by a seeded shuffle of that class), or a plain seeded sample of
 * round(fraction * n) (at least one) when `labels` is null (regression). Validation
 * and test parts are not touched. Returned sorted; fraction 1 returns `train`.
 */
export function subsampleTrain(train: Int32Array, labels: ArrayLike<number> | null, fraction: number, seed: number): Int32Array {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`split: train fraction must be in (0, 1], got ${fraction}`);
  if (fraction === 1 || train.length === 0) return train;
  const rng = new Rng(seed);
  const groups = new Map<number, number[]>();
  for (const i of train) {
    const c = labels === null ? 0 : labels[i];
    if (!groups.has(c)) groups.set(c, []);
    groups.get(c)!.push(i);
  }
  const kept: number[] = [];
  for (const c of [...groups.keys()].sort((a, b) => a - b)) {
    const idx = groups.get(c)!;
    const order = rng.permutation(idx.length);
    const take = Math.max(1, Math.round(fraction * idx.length));
    for (let j = 0; j < take; j++) kept.push(idx[order[j]]);
  }
  return Int32Array.from(kept).sort();
}

/** train = perm[0, nTrain), val = the next nVal, test = the rest; each part sorted. */
function cut(perm: Int32Array, nTrain: number, nVal: number): Split {
  return {
    train: perm.slice(0, nTrain).sort(),
    val: perm.slice(nTrain, nTrain + nVal).sort(),
    test: perm.slice(nTrain + nVal).sort(),
  };
}

/**
 * Stratified k folds: inside every class the graphs are shuffled (seeded) and
 * dealt round-robin to the folds, continuing the deal across classes so fold
 * sizes differ by at most one. Returns k splits (fold f = test).
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed: number): Split[] {
  const n = labels.length;
  if (!Number.isInteger(k) || k < 3) throw new Error(`stratifiedKFold: need k >= 3 (test, val and train folds), got ${k}`);
  if (n < k) throw new Error(`stratifiedKFold: ${n} graphs cannot fill ${k} folds`);
  const rng = new Rng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const fold = new Int32Array(n);
  let deal = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = rng.shuffle(byClass.get(c)!);
    for (const i of members) fold[i] = deal++ % k;
  }
  const splits: Split[] = [];
  for (let f = 0; f < k; f++) {
    const v = (f + 1) % k;
    const tr: number[] = [], va: number[] = [], te: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? te : fold[i] === v ? va : tr).push(i);
    splits.push({ train: Int32Array.from(tr), val: Int32Array.from(va), test: Int32Array.from(te) });
  }
  return splits;
}

/** The split protocols (the names of --split, the presets and config.json). */
export type SplitKind = 'random_80_10_10' | 'torch_random_80_10_10' | 'official' | 'kfold10';
/** Every SplitKind: the choices of `--split`, in the order error messages list them. */
export const SPLITS: readonly SplitKind[] = ['random_80_10_10', 'torch_random_80_10_10', 'official', 'kfold10'];
/** The splits of a dataset without its own (TU), as error messages list them. */
export const OWNLESS_SPLITS = 'random_80_10_10, torch_random_80_10_10, kfold10';

/**
 * The split a run uses (every error message starts with "split:" and lists what is accepted):
 * - 'official': the dataset's own split (must exist);
 * - 'random_80_10_10': randomSplit(n, seed);
 * - 'torch_random_80_10_10': torchRandomSplit(n, seed), torch's own permutation;
 * - 'kfold10': fold `fold` (0..9) of stratifiedKFold(y[0], 10, seed): test = fold `fold`,
 *   val = fold (fold + 1) mod 10, train = the other 8; graph classification only;
 * - 'auto': official when the dataset has one, else random_80_10_10.
 */
export function datasetSplit(ds: GraphDataset, kind: SplitKind | 'auto', seed: number, fold = 0): Split {
  if (kind === 'auto') kind = ds.officialSplit ? 'official' : 'random_80_10_10';
  return nonEmpty(ds, kind, pickSplit(ds, kind, seed, fold));
}

function pickSplit(ds: GraphDataset, kind: SplitKind, seed: number, fold: number): Split {
  if (kind === 'official') {
    if (!ds.officialSplit) throw new Error(`split: dataset ${ds.name} has no official split; accepted splits for it: ${OWNLESS_SPLITS}`);
    return ds.officialSplit;
  }
  if (kind === 'random_80_10_10') return randomSplit(ds.graphs.length, seed);
  if (kind === 'torch_random_80_10_10') return torchRandomSplit(ds.graphs.length, seed);
  if (kind !== 'kfold10') throw new Error(`split: unknown split '${kind}'; accepted: ${SPLITS.join(', ')}`);
  if (!(Number.isInteger(fold) && fold >= 0 && fold < 10)) throw new Error(`split: fold must be 0..9 for kfold10, got ${fold}`);
  if (ds.task !== 'multi_class') throw new Error(`split: kfold10 is stratified by class and needs a graph classification dataset (${ds.name} is ${ds.task}); accepted splits for it: ${ds.officialSplit ? 'official' : 'random_80_10_10'}`);
  return stratifiedKFold(ds.graphs.map((g) => g.y[0]), 10, seed)[fold];
}

/**
 * Every part must hold a graph: an empty training part trains nothing and an empty
 * validation or test part has no metric (the run would report NaN, or pick its best
 * epoch from nothing). The 80/10/10 splits need 10 graphs (8/1/1), kfold10 needs 10.
 */
function nonEmpty(ds: GraphDataset, kind: SplitKind, s: Split): Split {
  const empty = (['train', 'val', 'test'] as const).filter((p) => s[p].length === 0);
  if (empty.length === 0) return s;
  const sizes = `train ${s.train.length} / val ${s.val.length} / test ${s.test.length}`;
  const need = kind === 'official' ? 'the dataset\'s own split must give every part a graph' : 'it needs at least 10 graphs';
  throw new Error(`split: ${kind} of ${ds.name}'s ${ds.graphs.length} graph(s) leaves the ${empty.join(' and ')} part empty (${sizes}); ${need}`);
}

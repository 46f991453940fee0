/**
 * Collects `gradformer experiment` folders into one Markdown table for
 * docs/RESULTS.md: per experiment the dataset, protocol, runs, epochs, mean +- std
 * of the test metric at the best validation epoch, the training + evaluation time
 * (summed over the logged epochs), and the published figure next to it.
 *
 *   node --import tsx scripts/collect-results.ts [--optimistic] EXP_DIR [EXP_DIR ...]
 *
 * A run still going (or stopped) without its final log line gets a row of its
 * own, never pooled with finished runs: its epochs read "N of M (unfinished)"
 * and its figures are those at the best validation epoch so far.
 *
 * A grid experiment's points (folders such as gamma=0.5,n_hop=2) differ in their
 * settings, so each gets its own row.
 *
 * --optimistic prints, instead, a diagnostic table: the test metric each run
 * would report if its epoch were chosen on the test split (the best test value
 * over epochs), next to the real one (chosen on validation). It is not a result;
 * it shows how much of a gap is model selection on a small validation split.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolvePreset } from '../src/models/presets.js';
import { pointOfFolder } from '../src/train/grid.js';
import { bestEpoch, metricHigherIsBetter, readRunLog, runSeconds, type ParsedLog } from '../src/train/runlog.js';
import { meanStd } from '../src/util/stats.js';

/** Published numbers: Gradformer paper (TU accuracy %), GraphGPS (ZINC MAE, molhiv ROC-AUC). */
const PUBLISHED: Record<string, string> = {
  NCI1: '86.01 (Gradformer)',
  PROTEINS: '77.50 (Gradformer)',
  MUTAG: '88.00 (Gradformer)',
  ZINC: '0.070 +- 0.004 (GraphGPS)',
  'ogbg-molhiv': '0.7880 +- 0.0101 (GraphGPS)',
};

/** One run: its figures, its config and its log (read once). */
interface Row { run: string; seed: string; fold: string; best: number; val: number; test: number; seconds: number; cfg: Config; log: ParsedLog; done?: number }
type Config = { dataset: string; preset: string; seed: number; fold: number; model: Record<string, unknown>; train: Record<string, unknown> & { split: string; split_seed?: number; epochs: number } };
const readConfig = (runDir: string): Config => JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));

/** The best test value over the epochs of a run (max, or min for mae). */
function bestTestOverEpochs({ epochs }: ParsedLog): number {
  const tests = epochs.map((o) => o.test as number);
  return metricHigherIsBetter(epochs[0]?.metric ?? '') ? Math.max(...tests) : Math.min(...tests);
}

/**
 * The runs of an experiment folder, from their own logs (not results.csv, which
 * an experiment extended with --resume --runs N rewrites only at its end):
 * finished ones from their final line, unfinished ones (`done` set) at their best
 * validation epoch so far.
 */
function folderRuns(dir: string): Row[] {
  const out: Row[] = [];
  for (const d of readdirSync(dir).sort()) {
    // A grid experiment (--grid) keeps each point's runs in a folder named by the point.
    if (pointOfFolder(d) !== null && statSync(join(dir, d)).isDirectory()) {
      out.push(...folderRuns(join(dir, d)).map((r) => ({ ...r, run: `${d}/${r.run}` })));
      continue;
    }
    if (!d.startsWith('run-')) continue;
    if (!existsSync(join(dir, d, 'log.jsonl'))) continue;
    const log = readRunLog(join(dir, d));
    const cfg = readConfig(join(dir, d));
    const best = bestEpoch(log, metricHigherIsBetter(log.epochs[0]?.metric ?? ''));
    if (best === null) continue; // not one epoch evaluated yet
    const at = log.epochs.find((e) => e.epoch === best)!;
    const fin = log.final;
    out.push({
      run: d.slice(4), seed: String(cfg.seed), fold: String(cfg.fold), best, cfg, log,
      val: fin ? fin.val! : at.val!, test: fin ? fin.test! : at.test!, seconds: runSeconds(log.epochs),
      done: fin ? undefined : log.epochs.length,
    });
  }
  return out;
}

/**
 * The settings where a run differs from its preset (e.g. "gamma 0.7", "num_layers 12",
 * "decay false", "train_fraction 0.05"), so that experiments of one dataset with other
 * hyper-parameters are not pooled. Settings a preset leaves out count too (decay,
 * train_fraction); the dataset's widths, epochs and split (own columns) and runs (a
 * count) do not.
 */
function changes(cfg: { preset: string; dataset: string; model: Record<string, unknown>; train: Record<string, unknown> }): string {
  const preset = resolvePreset(cfg.preset, cfg.dataset, cfg.model.task === 'regression') as unknown as { model: Record<string, unknown>; train: Record<string, unknown> };
  const diff = (a: Record<string, unknown>, b: Record<string, unknown>, skip: string[]) => [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => !skip.includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k} ${JSON.stringify(a[k])}`);
  const d = [...diff(cfg.model, preset.model, ['node_dim', 'edge_dim', 'num_tasks', 'task']),
    ...diff(cfg.train, preset.train, ['epochs', 'split', 'split_seed', 'runs'])];
  return d.length ? d.join(', ') : 'preset';
}

const optimistic = process.argv.includes('--optimistic');
const dirs = process.argv.slice(2).filter((a) => a !== '--optimistic');
if (dirs.length === 0) {
  console.error('usage: collect-results.ts [--optimistic] EXP_DIR [EXP_DIR ...]');
  process.exit(2);
}
// Experiments of the same dataset, protocol, settings and budget (e.g. seeds 0-1
// and 2-4 run as two folders) are pooled into one row; unfinished runs are not.
interface Group { dirs: string[]; dataset: string; settings: string; protocol: string; epochs: string; metric: string; rows: Row[] }
const groups = new Map<string, Group>();
for (const dir of dirs) {
  const rows = folderRuns(dir);
  if (rows.length === 0) {
    console.error(`${dir}: no run with an evaluated epoch; skipped`);
    continue;
  }
  const metric = rows[0].log.epochs[0]?.metric ?? '?';
  for (const r of rows) {
    const { cfg } = r;
    const splitSeed = cfg.train.split_seed;
    const protocol = cfg.train.split === 'kfold10' ? '10-fold' : cfg.train.split === 'official' ? 'official split'
      : `${cfg.train.split} ${splitSeed === undefined ? 'per seed' : `(split seed ${splitSeed})`}`;
    const settings = changes(cfg);
    const epochs = r.done === undefined ? String(cfg.train.epochs) : `${r.done} of ${cfg.train.epochs} (unfinished)`;
    const key = `${cfg.dataset}|${settings}|${protocol}|${epochs}|${r.done === undefined ? '' : `${dir}/${r.run}`}`;
    const g = groups.get(key) ?? { dirs: [], dataset: cfg.dataset, settings, protocol, epochs, metric, rows: [] };
    if (!g.dirs.includes(basename(dir))) g.dirs.push(basename(dir));
    g.rows.push(r);
    groups.set(key, g);
  }
}
const scale = (g: Group) => ({ pct: g.metric === 'accuracy' ? 100 : 1, digits: g.metric === 'accuracy' ? 2 : 4 });
if (optimistic) {
  console.log('| experiment folders | dataset | settings (vs preset) | protocol | runs | metric | test at best val epoch (the result) | test at best test epoch (optimistic, not a result) | published |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const g of groups.values()) {
    const { pct, digits } = scale(g);
    const fmt = (xs: number[]) => { const m = meanStd(xs.map((x) => x * pct)); return `${m.mean.toFixed(digits)} +- ${m.std.toFixed(digits)}`; };
    console.log(`| ${g.dirs.join(', ')} | ${g.dataset} | ${g.settings} | ${g.protocol} | ${g.rows.length} | ${g.metric}${pct === 100 ? ' %' : ''} | ` +
      `${fmt(g.rows.map((r) => r.test))} | ${fmt(g.rows.map((r) => bestTestOverEpochs(r.log)))} | ${PUBLISHED[g.dataset] ?? ''} |`);
  }
  process.exit(0);
}
console.log('| experiment folders | dataset | settings (vs preset) | protocol | runs (seeds/folds) | epochs | metric | test (mean +- std) | val (mean +- std) | train+eval time | published |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const g of groups.values()) {
  const { pct, digits } = scale(g);
  // meanStd counts finite values only: a run with a non-finite metric is named, not hidden.
  const fmt = (m: { mean: number; std: number; n: number }) => `${m.mean.toFixed(digits)} +- ${m.std.toFixed(digits)}${m.n < g.rows.length ? ` (${m.n} of ${g.rows.length} finite)` : ''}`;
  const t = meanStd(g.rows.map((r) => r.test * pct));
  const v = meanStd(g.rows.map((r) => r.val * pct));
  const ids = g.protocol === '10-fold' ? `folds ${g.rows.map((r) => r.fold).join(',')}` : `seeds ${g.rows.map((r) => r.seed).join(',')}`;
  const seconds = g.rows.reduce((s, r) => s + r.seconds, 0);
  console.log(`| ${g.dirs.join(', ')} | ${g.dataset} | ${g.settings} | ${g.protocol} | ${g.rows.length} (${ids}) | ${g.epochs} | ${g.metric}${pct === 100 ? ' %' : ''} | ${fmt(t)} | ${fmt(v)} | ${(seconds / 60).toFixed(1)} min | ${PUBLISHED[g.dataset] ?? ''} |`);
}

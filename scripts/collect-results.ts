/**
 * Collects `gradformer experiment` folders into one Markdown table for
 * docs/RESULTS.md: per experiment the dataset, protocol, runs, epochs, mean +- std
 * of the test metric at the best validation epoch, the total wall time, and the
 * published figure next to it.
 *
 *   node --import tsx scripts/collect-results.ts [--optimistic] EXP_DIR [EXP_DIR ...]
 *
 * --optimistic prints, instead, a diagnostic table: the test metric each run
 * would report if its epoch were chosen on the test split (the best test value
 * over epochs), next to the real one (chosen on validation). It is not a result;
 * it shows how much of a gap is model selection on a small validation split.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { getPreset } from '../src/models/presets.js';
import { metricHigherIsBetter } from '../src/report/data.js';
import { readRunLog } from '../src/report/experiment.js';
import { meanStd, runSeconds } from '../src/train/experiment.js';

/** Published numbers: Gradformer paper (TU accuracy %), GraphGPS (ZINC MAE, molhiv ROC-AUC). */
const PUBLISHED: Record<string, string> = {
  NCI1: '86.01 (Gradformer)',
  PROTEINS: '77.50 (Gradformer)',
  MUTAG: '88.00 (Gradformer)',
  ZINC: '0.070 +- 0.004 (GraphGPS)',
  'ogbg-molhiv': '0.7880 +- 0.0101 (GraphGPS)',
};

interface Row { run: string; seed: string; fold: string; best: number; val: number; test: number; seconds: number; bestTest?: number }

/** The best test value over the epochs of run folder `dir` (max, or min for mae). */
function bestTestOverEpochs(dir: string): number {
  const { epochs } = readRunLog(dir);
  const tests = epochs.map((o) => o.test as number);
  return metricHigherIsBetter(epochs[0]?.metric ?? '') ? Math.max(...tests) : Math.min(...tests);
}

function readCsv(file: string): Row[] {
  const [, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  return lines.map((l) => {
    const [run, seed, fold, best, val, test, seconds] = l.split(',');
    return { run, seed, fold, best: Number(best), val: Number(val), test: Number(test), seconds: Number(seconds) };
  });
}

/** Runs of an unfinished experiment folder whose log.jsonl has its final line. */
function finishedRuns(dir: string): Row[] {
  const out: Row[] = [];
  for (const d of readdirSync(dir).filter((x) => x.startsWith('run-')).sort()) {
    if (!existsSync(join(dir, d, 'log.jsonl'))) continue;
    const { epochs, final: fin } = readRunLog(join(dir, d));
    if (!fin) continue;
    const cfg = JSON.parse(readFileSync(join(dir, d, 'config.json'), 'utf8'));
    out.push({ run: d.slice(4), seed: String(cfg.seed), fold: String(cfg.fold), best: fin.best_epoch, val: fin.val!, test: fin.test!, seconds: runSeconds(epochs) });
  }
  return out;
}

/**
 * The settings where a run differs from its preset (e.g. "gamma 0.7"), so that
 * experiments of one dataset with other hyper-parameters are not pooled. Epochs
 * and split have their own columns; runs is only a count.
 */
function changes(cfg: { preset: string; model: Record<string, unknown>; train: Record<string, unknown> }): string {
  const preset = getPreset(cfg.preset) as unknown as { model: Record<string, unknown>; train: Record<string, unknown> };
  const diff = (a: Record<string, unknown>, b: Record<string, unknown>, skip: string[]) => Object.keys(b)
    .filter((k) => !skip.includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k} ${JSON.stringify(a[k])}`);
  const d = [...diff(cfg.model, preset.model, []), ...diff(cfg.train, preset.train, ['epochs', 'split', 'runs'])];
  return d.length ? d.join(', ') : 'preset';
}

const optimistic = process.argv.includes('--optimistic');
const dirs = process.argv.slice(2).filter((a) => a !== '--optimistic');
if (dirs.length === 0) {
  console.error('usage: collect-results.ts EXP_DIR [EXP_DIR ...]');
  process.exit(2);
}
// Experiments of the same dataset, protocol and budget (e.g. seeds 0-1 and 2-4 run
// as two folders) are pooled into one row.
interface Group { dirs: string[]; dataset: string; settings: string; protocol: string; epochs: number; metric: string; rows: Row[] }
const groups = new Map<string, Group>();
for (const dir of dirs) {
  const csv = join(dir, 'results.csv');
  // An experiment stopped early (time budget) has no results.csv: use its finished runs.
  const rows = existsSync(csv) ? readCsv(csv).filter((r) => /^\d+$/.test(r.run)) : finishedRuns(dir);
  if (optimistic) for (const r of rows) r.bestTest = bestTestOverEpochs(join(dir, `run-${r.run}`));
  if (rows.length === 0) {
    console.error(`${dir}: no finished run; skipped`);
    continue;
  }
  const runDir = readdirSync(dir).find((d) => d.startsWith('run-'))!;
  const cfg = JSON.parse(readFileSync(join(dir, runDir, 'config.json'), 'utf8'));
  const metric = readRunLog(join(dir, runDir)).epochs[0]?.metric ?? '?';
  const protocol = cfg.train.split === 'kfold10' ? '10-fold' : cfg.train.split === 'official' ? 'official split' : `${cfg.train.split} per seed`;
  const settings = changes(cfg);
  const key = `${cfg.dataset}|${settings}|${protocol}|${cfg.train.epochs}`;
  const g = groups.get(key) ?? { dirs: [], dataset: cfg.dataset, settings, protocol, epochs: cfg.train.epochs, metric, rows: [] };
  g.dirs.push(basename(dir));
  g.rows.push(...rows);
  groups.set(key, g);
}
const scale = (g: Group) => ({ pct: g.metric === 'accuracy' ? 100 : 1, digits: g.metric === 'accuracy' ? 2 : 4 });
if (optimistic) {
  console.log('| experiment folders | dataset | settings (vs preset) | protocol | runs | metric | test at best val epoch (the result) | test at best test epoch (optimistic, not a result) | published |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const g of groups.values()) {
    const { pct, digits } = scale(g);
    const fmt = (xs: number[]) => { const m = meanStd(xs.map((x) => x * pct)); return `${m.mean.toFixed(digits)} +- ${m.std.toFixed(digits)}`; };
    console.log(`| ${g.dirs.join(', ')} | ${g.dataset} | ${g.settings} | ${g.protocol} | ${g.rows.length} | ${g.metric}${pct === 100 ? ' %' : ''} | ` +
      `${fmt(g.rows.map((r) => r.test))} | ${fmt(g.rows.map((r) => r.bestTest!))} | ${PUBLISHED[g.dataset] ?? ''} |`);
  }
  process.exit(0);
}
console.log('| experiment folders | dataset | settings (vs preset) | protocol | runs (seeds/folds) | epochs | metric | test (mean +- std) | val (mean +- std) | train+eval time | published |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const g of groups.values()) {
  const { pct, digits } = scale(g);
  const fmt = (m: { mean: number; std: number }) => `${m.mean.toFixed(digits)} +- ${m.std.toFixed(digits)}`;
  const t = meanStd(g.rows.map((r) => r.test * pct));
  const v = meanStd(g.rows.map((r) => r.val * pct));
  const ids = g.protocol === '10-fold' ? `folds ${g.rows.map((r) => r.fold).join(',')}` : `seeds ${g.rows.map((r) => r.seed).join(',')}`;
  const seconds = g.rows.reduce((s, r) => s + r.seconds, 0);
  console.log(`| ${g.dirs.join(', ')} | ${g.dataset} | ${g.settings} | ${g.protocol} | ${g.rows.length} (${ids}) | ${g.epochs} | ${g.metric}${pct === 100 ? ' %' : ''} | ${fmt(t)} | ${fmt(v)} | ${(seconds / 60).toFixed(1)} min | ${PUBLISHED[g.dataset] ?? ''} |`);
}

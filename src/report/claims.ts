/**
 * The paper's depth and scarce-data claims (issue #18) as plot data: from the
 * runs of several experiment folders, test metric at the best validation epoch
 * (as results.md) against the number of layers and against the training
 * fraction, one series per model (Gradformer, or GraphGPS = decay off), each
 * point the mean, population std (np.std, as results.md) and count of its runs,
 * with the paper's published points beside them, and Gradformer - GraphGPS seed by
 * seed at each x (a seed fixes the split and the draws, so the pair differs only in
 * the decay mask). Pure: no I/O.
 */
import { meanStd } from '../util/stats.js';
import type { RunSummary } from './experiment.js';

export type ModelName = 'Gradformer' | 'GraphGPS';

/** One x position of a series: the runs' test values (scaled), their mean, std and count. */
export interface ClaimPoint { x: number; mean: number; std: number; n: number; values: number[] }
export interface ClaimSeries { label: string; model: ModelName; points: ClaimPoint[] }
/**
 * Gradformer - GraphGPS at one x, over the seeds both models ran there: mean and
 * population std of the differences, and how many are above, at and below zero.
 */
export interface PairedDiff { label: string; x: number; n: number; mean: number; std: number; wins: number; ties: number; losses: number }
/** A published figure: the paper's value at x for a model. */
export interface PaperPoint { model: ModelName; x: number; y: number }

export interface ClaimPlot {
  kind: 'depth' | 'fraction';
  /** The datasets of its runs, comma-separated. */
  dataset: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: ClaimSeries[];
  /** Gradformer - GraphGPS paired by seed, per x (and per variant label); empty where no seed has both. */
  paired: PairedDiff[];
  paper: PaperPoint[];
  /** What was held fixed and what was left out, in words. */
  note: string;
}

/**
 * Published NCI1 accuracies (%) of the Gradformer paper (IJCAI 2024): deep models
 * (12 and 24 layers) and scarce training data (5 % and 10 % of the training set).
 */
export const PAPER_NCI1 = {
  depth: [{ model: 'Gradformer', x: 12, y: 84.31 }, { model: 'Gradformer', x: 24, y: 84.25 }] as PaperPoint[],
  fraction: [{ model: 'Gradformer', x: 0.05, y: 71.20 }, { model: 'Gradformer', x: 0.10, y: 76.38 }, { model: 'GraphGPS', x: 0.05, y: 69.54 }] as PaperPoint[],
};

/** The model of a run: GraphGPS when its config turns the decay off (`--no-decay`), else Gradformer. */
export function modelOf(r: RunSummary): ModelName {
  return r.decay === false ? 'GraphGPS' : 'Gradformer';
}

const key = (xs: (string | number)[]) => xs.join('\u0000');

/**
 * What tells the runs of a plot apart besides its x and the model: the settings
 * that take more than one value among them, as "gamma 0.7, epochs 200" per run
 * (empty when they all agree), so runs of other settings never pool into one point.
 */
function variantOf(runs: RunSummary[]): (r: RunSummary) => string {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.settings)))].sort()
    .filter((k) => new Set(runs.map((r) => r.settings[k])).size > 1);
  const shown = (v: string | undefined) => (v === undefined ? 'unset' : v.startsWith('"') ? JSON.parse(v) as string : v);
  return (r) => keys.map((k) => `${k.replace(/^(model|train)\./, '')} ${shown(r.settings[k])}`).join(', ');
}

/** Series of `runs` against `xOf`, one per model (and per `extra` label when it varies), points sorted by x. */
function seriesOf(runs: RunSummary[], xOf: (r: RunSummary) => number, extra: (r: RunSummary) => string, scale: number): ClaimSeries[] {
  const groups = new Map<string, { label: string; model: ModelName; byX: Map<number, number[]> }>();
  const extras = new Set(runs.map(extra));
  for (const r of runs) {
    const model = modelOf(r), ex = extras.size > 1 ? extra(r) : '';
    const k = key([model, ex]);
    if (!groups.has(k)) groups.set(k, { label: ex ? `${model} (${ex})` : model, model, byX: new Map() });
    const byX = groups.get(k)!.byX, x = xOf(r);
    if (!byX.has(x)) byX.set(x, []);
    byX.get(x)!.push((r.test as number) * scale);
  }
  // Gradformer before GraphGPS, then by label: stable colours across reports.
  const order = (m: ModelName) => (m === 'Gradformer' ? 0 : 1);
  return [...groups.values()].sort((a, b) => order(a.model) - order(b.model) || a.label.localeCompare(b.label, 'en')).map((g) => ({
    label: g.label, model: g.model,
    points: [...g.byX.entries()].sort((a, b) => a[0] - b[0]).map(([x, values]) => ({ x, values, ...meanStd(values) })),
  }));
}

/**
 * Gradformer - GraphGPS paired by seed at each x (one row per variant label when the
 * runs have several). A seed that one model ran twice at the same x (two folders) is
 * ambiguous and left out of that x's pairs.
 */
function pairedOf(runs: RunSummary[], xOf: (r: RunSummary) => number, extra: (r: RunSummary) => string, scale: number): PairedDiff[] {
  const extras = new Set(runs.map(extra));
  const cells = new Map<string, { label: string; x: number; gf: Map<number, number[]>; gps: Map<number, number[]> }>();
  for (const r of runs) {
    if (r.seed === null) continue;
    const label = extras.size > 1 ? extra(r) : '', x = xOf(r), k = key([label, x]);
    if (!cells.has(k)) cells.set(k, { label, x, gf: new Map(), gps: new Map() });
    const side = modelOf(r) === 'Gradformer' ? cells.get(k)!.gf : cells.get(k)!.gps;
    side.set(r.seed, [...(side.get(r.seed) ?? []), (r.test as number) * scale]);
  }
  const out: PairedDiff[] = [];
  for (const c of cells.values()) {
    const d: number[] = [];
    for (const [seed, a] of c.gf) {
      const b = c.gps.get(seed);
      if (a.length === 1 && b?.length === 1) d.push(a[0] - b[0]);
    }
    if (d.length === 0) continue;
    const tie = (v: number) => Math.abs(v) < 1e-9;
    out.push({ label: c.label, x: c.x, ...meanStd(d), wins: d.filter((v) => v > 0 && !tie(v)).length,
      ties: d.filter(tie).length, losses: d.filter((v) => v < 0 && !tie(v)).length });
  }
  return out.sort((a, b) => a.label.localeCompare(b.label, 'en') || a.x - b.x);
}

/**
 * The claim plots the runs call for: test metric vs depth when the full-data
 * runs have two or more depths, vs training fraction when the runs have two or
 * more fractions (the fraction plot keeps the depths of the reduced-data runs,
 * so its 100 % points are the runs of the same model size). Only finished runs
 * count; the others are named in the note. Accuracy is in %, as the paper.
 */
export function claimPlots(all: RunSummary[]): ClaimPlot[] {
  const runs = all.filter((r) => r.finished && r.test !== null && Number.isFinite(r.test));
  const left = all.length - runs.length;
  const leftNote = left ? ` ${left} unfinished run(s) left out: ${all.filter((r) => !runs.includes(r)).map((r) => r.name).join(', ')}.` : '';
  const metrics = [...new Set(runs.map((r) => r.metric))];
  const datasets = [...new Set(runs.map((r) => r.dataset))];
  const dataset = datasets.join(', ');
  const plots: ClaimPlot[] = [];
  for (const metric of metrics) {
    const mRuns = runs.filter((r) => r.metric === metric);
    const pct = metric === 'accuracy' ? 100 : 1;
    const yLabel = `test ${metric}${pct === 100 ? ' (%)' : ''}`;
    const paperOk = metric === 'accuracy' && datasets.length === 1 && datasets[0] === 'NCI1';
    const full = mRuns.filter((r) => r.trainFraction === 1 && r.layers !== null);
    const depths = new Set(full.map((r) => r.layers));
    if (depths.size >= 2) {
      const variant = variantOf(full);
      plots.push({
        kind: 'depth', dataset, title: `${dataset}: test ${metric} at the best validation epoch vs number of layers`,
        xLabel: 'layers', yLabel, series: seriesOf(full, (r) => r.layers!, variant, pct),
        paired: pairedOf(full, (r) => r.layers!, variant, pct),
        paper: paperOk ? PAPER_NCI1.depth : [],
        note: `Runs on the whole training split (${full.length} runs).${leftNote}`,
      });
    }
    const fractions = new Set(mRuns.map((r) => r.trainFraction));
    if (fractions.size >= 2) {
      // The model size of the reduced-data runs (two fractions mean some are < 1): their 100 % cells are runs of that size.
      const sizes = new Set(mRuns.filter((r) => r.trainFraction < 1).map((r) => r.layers));
      const pick = mRuns.filter((r) => sizes.has(r.layers));
      const variant = variantOf(pick);
      const sizeLabel = (r: RunSummary) => [variant(r), sizes.size > 1 ? `${r.layers} layers` : ''].filter(Boolean).join(', ');
      plots.push({
        kind: 'fraction', dataset, title: `${dataset}: test ${metric} at the best validation epoch vs fraction of the training split`,
        xLabel: 'training fraction', yLabel, series: seriesOf(pick, (r) => r.trainFraction, sizeLabel, pct),
        paired: pairedOf(pick, (r) => r.trainFraction, sizeLabel, pct),
        paper: paperOk ? PAPER_NCI1.fraction : [],
        note: `Runs with ${[...sizes].map((s) => `${s ?? '?'} layers`).join(' / ')} (${pick.length} runs); validation and test splits unchanged.${leftNote}`,
      });
    }
  }
  return plots;
}

/**
 * The claim plots as plain lines (what `gradformer report` prints): per plot and x,
 * each model's mean +- std (runs) and the paired difference, e.g.
 * "NCI1 depth 12: Gradformer 84.43 +- 0.41 (5), GraphGPS 83.16 +- 1.42 (5); Gradformer - GraphGPS +1.27 +- 1.40 over 5 seeds (3 wins, 1 tie, 1 loss)".
 */
export function claimLines(plots: ClaimPlot[]): string[] {
  const f = (v: number) => v.toFixed(2);
  const xText = (P: ClaimPlot, x: number) => (P.kind === 'fraction' ? `${+(x * 100).toPrecision(3)} %` : `${x}`);
  const lines: string[] = [];
  for (const P of plots) {
    const xs = [...new Set(P.series.flatMap((S) => S.points.map((p) => p.x)))].sort((a, b) => a - b);
    for (const x of xs) {
      const parts = P.series.flatMap((S) => S.points.filter((p) => p.x === x).map((p) => `${S.label} ${f(p.mean)} +- ${f(p.std)} (${p.n})`));
      const pairs = P.paired.filter((d) => d.x === x).map((d) => {
        const wtl = [`${d.wins} win${d.wins === 1 ? '' : 's'}`, d.ties ? `${d.ties} tie${d.ties === 1 ? '' : 's'}` : '', `${d.losses} loss${d.losses === 1 ? '' : 'es'}`];
        return `Gradformer - GraphGPS${d.label ? ` (${d.label})` : ''} ${d.mean >= 0 ? '+' : ''}${f(d.mean)} +- ${f(d.std)} over ${d.n} seed${d.n === 1 ? '' : 's'} (${wtl.filter(Boolean).join(', ')})`;
      });
      lines.push(`${P.dataset} ${P.kind} ${xText(P, x)}: ${parts.join(', ')}${pairs.length ? `; ${pairs.join('; ')}` : ''}`);
    }
  }
  return lines;
}

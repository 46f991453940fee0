/**
 * `gradformer report RUN_DIR`: gathers what a run (or an experiment of many
 * runs, or several experiments: the paper's depth and scarce-data plots) recorded, computes attention and masks of chosen validation graphs from
 * the best checkpoint, and writes one self-contained HTML file.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { computeAttention, type AttentionData } from './attention.js';
import { bestEpoch, metricHigherIsBetter, readRunLog, type LogEpoch, type LogFinal } from '../train/runlog.js';
import { hopSeries } from './data.js';
import { decayPanel } from './views.js';
import { currentEnvironment, recordedEnvironment, type Env } from './environment.js';
import {
  findRunDirs, groupStats, isRunDir, readJsonIfExists, readResultsTables, summariseRun,
  type GroupStat, type RunSummary, type TableFile,
} from './experiment.js';
import { claimLines, claimPlots, type ClaimPlot } from './claims.js';
import { renderHtml } from './html.js';

/** Options of `gradformer report`. */
export interface ReportOptions {
  /** Validation-split positions of the graphs to draw (default [0, 1, 2]). */
  graphs?: number[];
  /** Layer whose attention is shown, 0-based (default 0). */
  layer?: number;
  /** Output file (default RUN_DIR/report.html; with several folders ./report.html). */
  out?: string;
  /** Data root overriding the one recorded in the run configuration. */
  dataRoot?: string;
  /** For experiment folders: which run (sub-folder name) gets the detailed panels (default the first). */
  run?: string;
}

/** The detailed panels of one run. */
export interface RunReport {
  name: string;
  config: unknown;
  metric: string;
  higherIsBetter: boolean;
  epochs: LogEpoch[];
  final: LogFinal | null;
  bestEpoch: number | null;
  hop: { epochs: number[]; perHead: (number | null)[][] };
  /** Decay curves at the best epoch: curves[h][d], d = 0..dMax. */
  decay: { epoch: number; hop: number[]; gamma: number[]; slope: number; dMax: number; curves: number[][] } | null;
  attention: AttentionData | null;
  /** Why attention is missing, when it is. */
  attentionNote: string | null;
}

/** Everything the page draws (embedded as JSON). */
export interface ReportData {
  title: string;
  generated: string;
  source: string;
  kind: 'run' | 'experiment';
  run: RunReport | null;
  experiment: {
    runs: Omit<RunSummary, 'dir'>[]; stats: GroupStat[]; tables: TableFile[]; detailed: string | null;
    /** The paper's depth / scarce-data plots, when the runs vary in depth or training fraction. */
    claims: ClaimPlot[];
  } | null;
  env: { recorded: Env | null; report: Env };
}

/** Gathers the report data of a single run folder. */
export async function buildRunReport(runDir: string, name: string, opts: ReportOptions): Promise<RunReport> {
  const log = readRunLog(runDir);
  const config = readJsonIfExists(join(runDir, 'config.json'));
  const metric = log.final?.metric ?? log.epochs[0]?.metric ?? config?.train?.metric ?? 'metric';
  const hib = metricHigherIsBetter(metric);
  const best = bestEpoch(log, hib);
  const hop = hopSeries(log.epochs);
  const bestDir = join(runDir, 'best');
  let attention: AttentionData | null = null;
  let attentionNote: string | null = null;
  if (existsSync(join(bestDir, 'state.json'))) {
    attention = await computeAttention(bestDir, { graphs: opts.graphs ?? [0, 1, 2], layer: opts.layer ?? 0, dataRoot: opts.dataRoot });
  } else {
    attentionNote = `no best checkpoint (${bestDir}/state.json) in the run folder, so no attention or masks`;
  }
  // Decay at the best epoch: hop from the log line of that epoch (the checkpoint's when the log has none).
  let decay: RunReport['decay'] = null;
  const bestLine = log.epochs.find((e) => e.epoch === best);
  const hops = bestLine?.hop ?? attention?.hop ?? null;
  const model = config?.model ?? null;
  if (hops && best !== null) {
    const gamma = attention?.gamma ?? hops.map(() => Number(model?.gamma ?? 0.5));
    const slope = attention?.slope ?? Number(model?.slope ?? 0);
    decay = { epoch: best, ...decayPanel(hops, gamma, slope, (attention?.graphs ?? []).map((g) => g.spd)) };
  }
  return { name, config, metric, higherIsBetter: hib, epochs: log.epochs, final: log.final, bestEpoch: best, hop, decay, attention, attentionNote };
}

/** The deepest folder holding every one of `dirs` (absolute paths). */
function commonParent(dirs: string[]): string {
  let p = dirname(dirs[0]);
  while (!dirs.every((d) => d.startsWith(p.endsWith(sep) ? p : p + sep))) p = dirname(p);
  return p;
}

/**
 * Gathers the report data of a run folder, an experiment folder, or several
 * experiment folders (runs named by their path below the folders' common parent).
 */
export async function buildReportData(dirOrDirs: string | string[], opts: ReportOptions = {}): Promise<ReportData> {
  const dirs = typeof dirOrDirs === 'string' ? [dirOrDirs] : dirOrDirs;
  if (dirs.length === 0) throw new Error('report: no folder given; pass a run folder or one or more experiment folders');
  for (const d of dirs) {
    if (!existsSync(d)) throw new Error(`report: ${d} does not exist; pass a run folder (runs/<name>) or an experiment folder`);
  }
  const report: Env = currentEnvironment();
  const generated = new Date().toISOString();
  if (dirs.length === 1 && isRunDir(resolve(dirs[0]))) {
    const root = resolve(dirs[0]);
    const run = await buildRunReport(root, root.split('/').pop() ?? root, opts);
    const cfg = run.config as { dataset?: string; preset?: string; seed?: number } | null;
    return {
      title: `Gradformer run: ${cfg?.dataset ?? 'unknown dataset'} (preset ${cfg?.preset ?? '?'}, seed ${cfg?.seed ?? '?'})`,
      generated, source: root, kind: 'run', run, experiment: null, env: { recorded: recordedEnvironment(root), report },
    };
  }
  const abs = [...new Set(dirs.map((d) => resolve(d)))];
  const root = abs.length === 1 ? abs[0] : commonParent(abs);
  const runDirs: string[] = [];
  for (const d of abs) {
    const found = isRunDir(d) ? [d] : findRunDirs(d);
    if (found.length === 0) {
      throw new Error(`report: ${d} holds no log.jsonl, neither directly nor in sub-folders; pass a run folder written by gradformer train or an experiment folder`);
    }
    runDirs.push(...found);
  }
  const summaries = runDirs.map((d) => summariseRun(d, root));
  const pick = opts.run === undefined ? summaries[0] : summaries.find((s) => s.name === opts.run);
  if (!pick) throw new Error(`report: --run ${opts.run} is not a run of ${dirs.join(', ')}; runs: ${summaries.map((s) => s.name).join(', ')}`);
  const run = await buildRunReport(pick.dir, pick.name, opts);
  const datasets = [...new Set(summaries.map((s) => s.dataset))].join(', ');
  // Each folder's own results table, named by its folder when there are several.
  const tables = abs.flatMap((d) => readResultsTables(d).map((t) => (abs.length > 1 ? { ...t, file: join(relative(root, d), t.file) } : t)));
  return {
    title: `Gradformer experiment${abs.length > 1 ? 's' : ''}: ${datasets} (${summaries.length} runs${abs.length > 1 ? ` in ${abs.length} folders` : ''})`,
    generated, source: abs.join(', '), kind: 'experiment', run,
    experiment: {
      runs: summaries.map(({ dir: _d, ...s }) => s), stats: groupStats(summaries), tables, detailed: pick.name, claims: claimPlots(summaries),
    },
    env: { recorded: recordedEnvironment(abs[0]) ?? recordedEnvironment(pick.dir), report },
  };
}

/**
 * Writes the report of a run or experiment folder; returns the HTML file's path and the
 * claim plots as plain lines (claimLines: means per model and the paired differences;
 * none unless the folders vary in depth or training fraction).
 * The page is self-contained (libraries and data inlined) and opens from file://.
 */
export async function reportCommand(dirOrDirs: string | string[], opts: ReportOptions = {}): Promise<{ path: string; claims: string[] }> {
  const dirs = typeof dirOrDirs === 'string' ? [dirOrDirs] : dirOrDirs;
  const data = await buildReportData(dirs, opts);
  // Several folders: the page belongs to none of them, so it goes to the working folder unless --out says.
  const out = resolve(opts.out ?? (dirs.length === 1 ? join(dirs[0], 'report.html') : 'report.html'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic(out, renderHtml(data));
  return { path: out, claims: claimLines(data.experiment?.claims ?? []) };
}

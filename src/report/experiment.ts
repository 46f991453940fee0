/**
 * Reading run folders and `gradformer experiment` folders (many runs, one per
 * seed or fold, plus a results table) for the report.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { bestEpoch, metricHigherIsBetter, readRunLog } from '../train/runlog.js';
import { meanStd } from '../util/stats.js';

/** What the report needs of one run folder. */
export interface RunSummary {
  /** Folder relative to the experiment folder (or its name for a single run). */
  name: string;
  dir: string;
  dataset: string;
  seed: number | null;
  fold: number | null;
  metric: string;
  bestEpoch: number | null;
  /** Validation and test metric at the best epoch. */
  val: number | null;
  test: number | null;
  epochs: number;
  finished: boolean;
  /** Experiment folder of the run relative to the report's root ('' when the run sits directly in it). */
  folder: string;
  /** Settings the paper's claims vary (config.json): model.num_layers, model.decay (absent = on), train.train_fraction (absent = 1). */
  layers: number | null;
  decay: boolean;
  trainFraction: number;
  /**
   * The rest of config.json flattened to dotted keys ("model.gamma": "0.6"), without
   * what differs between the runs of one experiment (seed, fold, data root, env) and
   * the three settings above: runs of one plot point must agree on all of it.
   */
  settings: Record<string, string>;
}

const NOT_SETTINGS = new Set(['seed', 'fold', 'data_root', 'env', 'model.num_layers', 'model.decay', 'train.train_fraction']);

/** A config object flattened to dotted keys with JSON values, minus NOT_SETTINGS. */
export function flatSettings(cfg: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) {
    if (prefix && !NOT_SETTINGS.has(prefix)) out[prefix] = JSON.stringify(cfg);
    return out;
  }
  for (const [k, v] of Object.entries(cfg)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (!NOT_SETTINGS.has(key)) flatSettings(v, key, out);
  }
  return out;
}

/** A run folder is one that holds log.jsonl. */
export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, 'log.jsonl'));
}

/**
 * Run folders below `dir` (up to three levels deep), in natural order (run-2 before run-10).
 * Entries that cannot be read (a broken link, no permission) are passed over, as `find` would.
 */
export function findRunDirs(dir: string, depth = 3): string[] {
  const out: string[] = [];
  const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };
  const list = (d: string) => { try { return readdirSync(d); } catch { return []; } };
  const walk = (d: string, left: number) => {
    for (const name of list(d).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
      const p = join(d, name);
      if (name === 'best' || name === 'last' || !isDir(p)) continue;
      if (isRunDir(p)) out.push(p);
      else if (left > 1) walk(p, left - 1);
    }
  };
  walk(dir, depth);
  return out;
}

/** Reads a JSON file, or null when absent. */
export function readJsonIfExists(p: string): any | null {
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`report: ${p} is not valid JSON (${(e as Error).message})`);
  }
}

/** The summary of one run folder (config.json + log.jsonl). */
export function summariseRun(dir: string, root: string): RunSummary {
  const log = readRunLog(dir);
  const cfg = readJsonIfExists(join(dir, 'config.json'));
  const metric = log.final?.metric ?? log.epochs[0]?.metric ?? cfg?.train?.metric ?? 'metric';
  const be = bestEpoch(log, metricHigherIsBetter(metric));
  const at = log.epochs.find((e) => e.epoch === be) ?? null;
  return {
    name: relative(root, dir) || basename(dir), dir,
    dataset: cfg?.dataset ?? 'unknown', seed: cfg?.seed ?? null, fold: cfg?.fold ?? null, metric,
    bestEpoch: be,
    val: log.final?.val ?? at?.val ?? null,
    test: log.final?.test ?? at?.test ?? null,
    epochs: log.epochs.length, finished: log.final !== null,
    folder: dirname(relative(root, dir)) === '.' ? '' : dirname(relative(root, dir)),
    layers: typeof cfg?.model?.num_layers === 'number' ? cfg.model.num_layers : null,
    decay: cfg?.model?.decay !== false,
    trainFraction: typeof cfg?.train?.train_fraction === 'number' ? cfg.train.train_fraction : 1,
    settings: flatSettings(cfg ?? {}),
  };
}

/** Mean +- std of val and test per experiment folder, dataset and metric over runs. */
export interface GroupStat { folder: string; dataset: string; metric: string; runs: number; val: { mean: number; std: number }; test: { mean: number; std: number } }

export function groupStats(runs: RunSummary[]): GroupStat[] {
  const groups = new Map<string, RunSummary[]>();
  for (const r of runs) {
    const k = `${r.folder}\u0000${r.dataset}\u0000${r.metric}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].map((rs) => {
    const v = meanStd(rs.map((r) => r.val)), t = meanStd(rs.map((r) => r.test));
    return { folder: rs[0].folder, dataset: rs[0].dataset, metric: rs[0].metric, runs: rs.length, val: { mean: v.mean, std: v.std }, test: { mean: t.mean, std: t.std } };
  });
}

/** A table file as header + rows of cells. */
export interface TableFile { file: string; header: string[]; rows: string[][] }

/** Splits one CSV line (RFC 4180 quotes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') q = false; else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** The experiment's own results table (results*.csv written by `gradformer experiment`), when present. */
export function readResultsTables(dir: string): TableFile[] {
  return readdirSync(dir).filter((f) => /^results.*\.csv$/i.test(f)).sort().map((f) => {
    const lines = readFileSync(join(dir, f), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
    const [head, ...rest] = lines.map(splitCsvLine);
    return { file: f, header: head ?? [], rows: rest };
  });
}

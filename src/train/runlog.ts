/**
 * Reading a run folder's log.jsonl, the record `gradformer train` writes one
 * line per epoch plus a closing `{"final": true, ...}` line. The trainer writes
 * it; the report, `experiment --resume` and scripts/collect-results.ts read it
 * through these functions only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../data/errors.js';

/** One epoch line of log.jsonl (issue 5 format; `hop` may be absent in old logs). */
export interface LogEpoch {
  epoch: number;
  train_loss: number | null;
  val: number | null;
  test: number | null;
  metric: string;
  lr: number | null;
  epoch_seconds: number | null;
  eval_seconds?: number | null;
  graphs_per_second?: number | null;
  peak_rss_mb?: number | null;
  /** Learned hop shift per head at the end of the epoch [H]. */
  hop?: number[];
}

/** The closing line of log.jsonl. */
export interface LogFinal { final: true; best_epoch: number; val: number | null; test: number | null; metric: string }

/**
 * A run's log.jsonl as parseLog reads it: the epoch lines in epoch order and the
 * closing line (null while the run is unfinished).
 */
export interface ParsedLog {
  epochs: LogEpoch[];
  final: LogFinal | null;
  /** 1 when the last line was a torn write (dropped), else 0. */
  torn: number;
}

/**
 * Parses log.jsonl text: one JSON object per line, blank lines ignored.
 * Throws a DataError naming the file and line on malformed input (a result read
 * from a corrupt log is worse than none), with one exception: a last line without
 * its newline that is not JSON is a write torn by a kill (the trainer appends
 * `line + '\n'` in one call, before that epoch's checkpoint), so it is dropped and
 * counted in `torn`; a resume starts from the checkpoint before it anyway.
 */
export function parseLog(text: string, file = 'log.jsonl'): ParsedLog {
  const epochs: LogEpoch[] = [];
  let final: LogFinal | null = null;
  let torn = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let o: any;
    try {
      o = JSON.parse(line);
    } catch (e) {
      if (i === lines.length - 1) { torn = 1; continue; } // no newline after it: the last append did not finish
      throw new DataError(file, i + 1, `not JSON (${(e as Error).message}); the run folder's log is damaged`);
    }
    if (o && o.final === true) { final = o as LogFinal; continue; }
    if (!o || typeof o.epoch !== 'number') {
      throw new DataError(file, i + 1, 'no numeric "epoch" (expected one object per epoch, as gradformer train writes)');
    }
    epochs.push(o as LogEpoch);
  }
  epochs.sort((a, b) => a.epoch - b.epoch);
  return { epochs, final, torn };
}

/** Reads and parses run folder `dir`'s log.jsonl. */
export function readRunLog(dir: string): ParsedLog {
  const p = join(dir, 'log.jsonl');
  if (!existsSync(p)) throw new Error(`${dir} has no log.jsonl; pass a run folder written by gradformer train or experiment`);
  return parseLog(readFileSync(p, 'utf8'), p);
}

/** Whether a metric name is maximised (everything but MAE). */
export function metricHigherIsBetter(metric: string): boolean {
  return metric !== 'mae';
}

/**
 * The best epoch: the final line's when present, else model selection over the
 * log so far (strict improvement, earliest best wins, as the trainer).
 * @param higherIsBetter direction of the validation metric
 */
export function bestEpoch(log: ParsedLog, higherIsBetter: boolean): number | null {
  if (log.final) return log.final.best_epoch;
  let best: LogEpoch | null = null;
  for (const e of log.epochs) {
    if (e.val === null || !Number.isFinite(e.val)) continue;
    if (best === null || (higherIsBetter ? e.val > best.val! : e.val < best.val!)) best = e;
  }
  return best ? best.epoch : null;
}

/** Training + evaluation seconds of a run's epoch records (log.jsonl lines or TrainResult.epochs). */
export function runSeconds(epochs: { epoch_seconds?: number | null; eval_seconds?: number | null }[]): number {
  return epochs.reduce((s, e) => s + (e.epoch_seconds ?? 0) + (e.eval_seconds ?? 0), 0);
}

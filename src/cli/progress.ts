/**
 * Progress output of `gradformer train`: a bar per epoch on a terminal
 * (cli-progress), one plain line per epoch otherwise. Everything goes to stderr
 * so stdout carries only results.
 */
import cliProgress from 'cli-progress';
import { describeDecision } from '../tensor/thread_tuner.js';
import type { TrainEvent } from '../train/trainer.js';

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

/** A duration as "45 s", "12 min", "3 h 05 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const min = Math.round(seconds / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

/**
 * An event handler that renders training progress; `prefix` labels runs of an
 * experiment. Each epoch line ends with the time left, from the mean training +
 * evaluation time of the epochs this process has run (a ZINC run is ~2000 epochs).
 */
export function progressReporter(opts: { tty?: boolean; quiet?: boolean; prefix?: string; write?: (s: string) => void } = {}): (e: TrainEvent) => void {
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  const write = opts.write ?? ((s: string) => { process.stderr.write(s); });
  const pre = opts.prefix ? `${opts.prefix} ` : '';
  let bar: cliProgress.SingleBar | null = null;
  let epochs = 0, seen = 0, spent = 0, tuned: string[] = [];
  return (e) => {
    if (opts.quiet) return;
    if (e.type === 'epoch_start') epochs = e.epochs;
    if (e.type === 'epoch_start' && tty) {
      bar = new cliProgress.SingleBar({
        format: `${pre}epoch ${e.epoch}/${e.epochs} [{bar}] {value}/{total} batches | loss {loss} | {duration_formatted}`,
        stream: process.stderr, clearOnComplete: true, hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      bar.start(e.batches, 0, { loss: '-' });
    } else if (e.type === 'threads') {
      // said after the epoch's line, not over its bar
      tuned.push(`${pre}threads: ${describeDecision(e.decision)}\n`);
    } else if (e.type === 'batch' && bar) {
      bar.update(e.step, { loss: e.loss.toFixed(4) });
    } else if (e.type === 'epoch_end') {
      if (bar) { bar.stop(); bar = null; }
      const r = e.record;
      seen++;
      spent += r.epoch_seconds + r.eval_seconds;
      const left = epochs - r.epoch;
      write(`${pre}epoch ${r.epoch}: loss ${fmt(r.train_loss)} | val ${r.metric} ${fmt(r.val)} | test ${fmt(r.test)}` +
        ` | lr ${r.lr.toExponential(2)} | ${r.epoch_seconds.toFixed(1)} s${left > 0 ? ` | ${formatDuration((spent / seen) * left)} left` : ''}${e.improved ? ' *' : ''}\n`);
      for (const l of tuned) write(l);
      tuned = [];
    }
  };
}

/**
 * Progress output of `gradformer train`: a bar per epoch on a terminal
 * (cli-progress), one plain line per epoch otherwise. Everything goes to stderr
 * so stdout carries only results.
 */
import cliProgress from 'cli-progress';
import type { TrainEvent } from '../train/trainer.js';

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

/** An event handler that renders training progress; `prefix` labels runs of an experiment. */
export function progressReporter(opts: { tty?: boolean; quiet?: boolean; prefix?: string } = {}): (e: TrainEvent) => void {
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  const pre = opts.prefix ? `${opts.prefix} ` : '';
  let bar: cliProgress.SingleBar | null = null;
  return (e) => {
    if (opts.quiet) return;
    if (e.type === 'epoch_start' && tty) {
      bar = new cliProgress.SingleBar({
        format: `${pre}epoch ${e.epoch}/${e.epochs} [{bar}] {value}/{total} batches | loss {loss} | {duration_formatted}`,
        stream: process.stderr, clearOnComplete: true, hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      bar.start(e.batches, 0, { loss: '-' });
    } else if (e.type === 'batch' && bar) {
      bar.update(e.step, { loss: e.loss.toFixed(4) });
    } else if (e.type === 'epoch_end') {
      if (bar) { bar.stop(); bar = null; }
      const r = e.record;
      process.stderr.write(`${pre}epoch ${r.epoch}: loss ${fmt(r.train_loss)} | val ${r.metric} ${fmt(r.val)} | test ${fmt(r.test)}` +
        ` | lr ${r.lr.toExponential(2)} | ${r.epoch_seconds.toFixed(1)} s${e.improved ? ' *' : ''}\n`);
    }
  };
}

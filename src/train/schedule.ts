/**
 * Learning-rate schedules.
 *
 * `warmup_cosine` is the official `get_scheduler` (optimizer/ultra_optimizer.py):
 *   f(s) = max(1e-6, s / warmup)                              for s < warmup
 *   f(s) = max(0, 0.5 * (1 + cos(pi * (s - warmup) / (total - warmup))))   otherwise
 * wrapped in a LambdaLR, so lr = base * f(s) where s counts scheduler steps taken
 * (s = 0 before the first step: the very first updates run at base * 1e-6).
 *
 * Official quirk (mode 'epoch', the default of the paper presets): the schedule is
 * sized in optimiser steps (warm-up = `--warmup_epoch` steps, horizon = epochs *
 * batches per epoch) but `scheduler.step()` runs once per epoch, so epoch e (1-based)
 * trains at base * f(e - 1): a warm-up over `warmup` epochs, then a cosine that has
 * barely started when training ends.
 * Corrected (mode 'step'): stepped after every batch, warm-up `warmup` epochs =
 * warmup * batchesPerEpoch steps, the cosine reaching 0 at the last step.
 */
import { checkKeys } from '../util/options.js';

export type ScheduleKind = 'none' | 'warmup_cosine';
export type ScheduleStep = 'epoch' | 'step';

/** The official lambda: f(step) for a warm-up of `warmup` steps and a horizon of `total` steps. */
export function warmupCosineFactor(step: number, warmup: number, total: number): number {
  if (step < warmup) return Math.max(1e-6, step / Math.max(1, warmup));
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
}

/**
 * What LrSchedule needs: the schedule kind, its stepping (the official per-epoch
 * quirk or per batch), the warm-up and the horizon (`epochs * batchesPerEpoch`).
 */
export interface ScheduleOptions {
  /** 'none' (the base rate throughout) or 'warmup_cosine' (warmupCosineFactor). */
  kind: ScheduleKind;
  /** 'epoch' = official quirk, 'step' = per batch (corrected). */
  stepEvery: ScheduleStep;
  /** Warm-up length as the official --warmup_epoch. */
  warmup: number;
  /** Epochs of the run; with batchesPerEpoch, the horizon in optimiser steps. */
  epochs: number;
  /** Optimiser steps per epoch. */
  batchesPerEpoch: number;
}

/** A LambdaLR over the official factor; `steps` is all the state it has (saved in checkpoints). */
export class LrSchedule {
  /** Scheduler steps taken so far. */
  steps = 0;
  /**
   * A schedule at step 0.
   * @param base the base learning rate (the optimiser's `lr` option)
   * @param opts the schedule's kind, stepping, warm-up and horizon
   */
  constructor(readonly base: number, readonly opts: ScheduleOptions) {
    checkKeys('LrSchedule', opts, ['kind', 'stepEvery', 'warmup', 'epochs', 'batchesPerEpoch']);
  }

  /** Warm-up and horizon in scheduler steps. */
  get sizes(): { warmup: number; total: number } {
    const { warmup, epochs, batchesPerEpoch, stepEvery } = this.opts;
    // The official horizon is in optimiser steps whatever the stepping; only the
    // corrected per-step mode also measures the warm-up in batches.
    return { warmup: stepEvery === 'step' ? warmup * batchesPerEpoch : warmup, total: epochs * batchesPerEpoch };
  }

  /** The learning rate for the next optimiser step. */
  lr(): number {
    if (this.opts.kind === 'none') return this.base;
    const { warmup, total } = this.sizes;
    return this.base * warmupCosineFactor(this.steps, warmup, total);
  }

  /** Call after every optimiser step; advances in 'step' mode. */
  afterBatch(): void { if (this.opts.stepEvery === 'step') this.steps++; }
  /** Call at the end of every epoch; advances in 'epoch' mode (the official quirk). */
  afterEpoch(): void { if (this.opts.stepEvery === 'epoch') this.steps++; }
}

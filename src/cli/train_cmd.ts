/** `gradformer train` and the run options it shares with `gradformer experiment`. */
import { Command, Option } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GradformerConfig } from '../models/config.js';
import type { TrainingProtocol } from '../models/presets.js';
import { GENERIC_TU, PRESETS } from '../models/presets.js';
import { preprocessDataset } from '../data/preprocess.js';
import { presetDatasets } from '../data/registry.js';
import { SPLITS } from '../data/splits.js';
import { datasetInfo, loadDatasetByName, UsageError } from '../train/data.js';
import { OPTIMIZERS } from '../train/optim.js';
import { buildRunConfig, type Overrides } from '../train/runconfig.js';
import { readCheckpointState, recoverCheckpoint } from '../train/checkpoint.js';
import { train } from '../train/trainer.js';
import { floatArg, intArg } from './args.js';
import { progressReporter } from './progress.js';

export const DEFAULT_DATASET = 'MUTAG';

/** Options that change the model or the protocol (shared by train and experiment). */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--data-root <dir>', 'folder holding one sub-folder per dataset in its raw format (default: $GRADFORMER_DATA, <package>/data, ../shared/datasets)')
    .addOption(new Option('--epochs <n>', 'epochs (default: the preset\'s: 100 for the TU datasets and molhiv, 2000 for ZINC)').argParser(intArg(1)))
    .addOption(new Option('--batch-size <n>', 'batch size (default: the preset\'s)').argParser(intArg(1)))
    .addOption(new Option('--lr <x>', 'learning rate (default: the preset\'s)').argParser(floatArg(0, Infinity, true)))
    .addOption(new Option('--weight-decay <x>', 'weight decay (default: the preset\'s)').argParser(floatArg(0)))
    .addOption(new Option('--optimizer <name>', 'optimiser (default: the preset\'s: adam for TU datasets, adamw otherwise)').choices(OPTIMIZERS))
    .addOption(new Option('--scheduler <name>', 'learning-rate schedule (default: the preset\'s)').choices(['none', 'warmup_cosine']))
    .addOption(new Option('--warmup <n>', 'warm-up length in epochs (official --warmup_epoch)').argParser(intArg(0)))
    .option('--fix-scheduler', 'step the warm-up/cosine schedule after every batch (corrected); default: once per epoch as the official code')
    .addOption(new Option('--grad-clip <x>', 'clip gradients to this global L2 norm (official --grad_clip; no effect unless --fix-grad-clip)').argParser(floatArg(0, Infinity, true)))
    .option('--fix-grad-clip', 'apply --grad-clip after backward() (corrected); default: as the official code, before backward(), i.e. no effect')
    .addOption(new Option('--split <kind>', 'split protocol (default: the preset\'s; TU: random_80_10_10 per seed; torch_random_80_10_10: the graphs torch.random_split picks for the seed, as the official code)').choices(SPLITS))
    .addOption(new Option('--split-seed <n>', 'seed of the split when it should not follow --seed (e.g. 12344, the official scripts\' seed, with torch_random_80_10_10)').argParser(intArg(0)))
    .addOption(new Option('--mpnn <kind>', 'local message passing (GCN = GatedGCN); GINE and GCN need edge features').choices(['GIN', 'GINE', 'GCN']))
    .addOption(new Option('--layers <n>', 'number of Gradformer layers').argParser(intArg(1)))
    .addOption(new Option('--channels <n>', 'hidden width').argParser(intArg(1)))
    .addOption(new Option('--heads <n>', 'attention heads').argParser(intArg(1)))
    .addOption(new Option('--gamma <x>', 'decay base in (0, 1] (1: every mask entry 1)').argParser(floatArg(0, 1, true, false)))
    .addOption(new Option('--n-hop <n>', 'initial hop shift of every head').argParser(floatArg(0)))
    .addOption(new Option('--slope <x>', 'leaky-ReLU slope of the decay exponent').argParser(floatArg(0)))
    .addOption(new Option('--dropout <x>', 'dropout').argParser(floatArg(0, 1)))
    .addOption(new Option('--attn-dropout <x>', 'attention dropout').argParser(floatArg(0, 1)))
    .option('--learn-gamma', 'the paper\'s variant: gamma learnable per head (official code: fixed)')
    .option('--no-decay', 'GraphGPS baseline: the same model without the decay mask (plain attention; equals --gamma 1 except that hop stays put)')
    .addOption(new Option('--train-fraction <f>', 'scarce data: train on this fraction of the training split, stratified by class, seeded by --seed (validation and test unchanged)').argParser(floatArg(0, 1, true, false)));
}

export interface RunOpts {
  dataRoot?: string; epochs?: number; batchSize?: number; lr?: number; weightDecay?: number;
  optimizer?: TrainingProtocol['optimizer'] | 'sgd'; scheduler?: TrainingProtocol['scheduler']; warmup?: number;
  fixScheduler?: boolean; gradClip?: number; fixGradClip?: boolean; split?: TrainingProtocol['split']; splitSeed?: number;
  mpnn?: GradformerConfig['mpnn']; layers?: number; channels?: number; heads?: number; gamma?: number; nHop?: number;
  slope?: number; dropout?: number; attnDropout?: number; learnGamma?: boolean; decay?: boolean; trainFraction?: number;
}

/** Overrides of the preset from the command line (only what was given). */
export function overridesOf(o: RunOpts): Overrides {
  const model: Partial<GradformerConfig> = {};
  const tr: Partial<TrainingProtocol> = {};
  const set = <T extends object, K extends keyof T>(obj: T, k: K, v: T[K] | undefined) => { if (v !== undefined) obj[k] = v; };
  set(model, 'mpnn', o.mpnn); set(model, 'num_layers', o.layers); set(model, 'channels', o.channels); set(model, 'nhead', o.heads);
  set(model, 'gamma', o.gamma); set(model, 'n_hop', o.nHop); set(model, 'slope', o.slope); set(model, 'dropout', o.dropout);
  set(model, 'attn_dropout', o.attnDropout);
  if (o.learnGamma) model.learn_gamma = true;
  if (o.decay === false) model.decay = false;
  set(tr, 'train_fraction', o.trainFraction);
  set(tr, 'epochs', o.epochs); set(tr, 'batch_size', o.batchSize); set(tr, 'lr', o.lr); set(tr, 'weight_decay', o.weightDecay);
  set(tr, 'optimizer', o.optimizer as TrainingProtocol['optimizer']); set(tr, 'scheduler', o.scheduler); set(tr, 'warmup', o.warmup);
  set(tr, 'split', o.split); set(tr, 'split_seed', o.splitSeed);
  if (o.fixScheduler) tr.scheduler_step = 'step';
  if (o.gradClip !== undefined) tr.clip_grad_norm = o.gradClip;
  if (o.fixGradClip) {
    if (o.gradClip === undefined) throw new UsageError('--fix-grad-clip needs --grad-clip <norm>: add --grad-clip N (the global L2 norm to clip to) or drop --fix-grad-clip');
    tr.clip_effective = true;
  }
  return { model, train: tr };
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train a Gradformer (no arguments: the bundled MUTAG with its full preset, 100 epochs, ~20 s on 2 idle cores)')
    .option('--dataset <name>', `dataset: ${presetDatasets().map((d) => d.name).join(', ')} (with a preset), or any TU dataset <dir>/<name>/ under --data-root <dir> (generic preset ${GENERIC_TU})`)
    .option('--preset <name>', `preset: ${Object.keys(PRESETS).join(', ')}, ${GENERIC_TU} (generic TU), or a dataset name (its own preset, else ${GENERIC_TU}); default: the dataset's`)
    .addOption(new Option('--seed <n>', 'the one seed of the run (split unless --split-seed, init, shuffling, dropout)').argParser(intArg(0)).default(0))
    .addOption(new Option('--fold <k>', 'fold of the kfold10 split (with --split kfold10)').argParser(intArg(0)))
    .option('--out <dir>', 'run folder, new or empty (default: runs/<dataset>-<timestamp>)')
    .option('--resume <dir>', 'continue the run in this folder from its last/ checkpoint (bit-for-bit); --epochs may extend it')
    .option('--quiet', 'no per-epoch output');
  addRunOptions(cmd);
  cmd.addHelpText('after', `
Official quirks reproduced by default (paper presets) and the flag for the corrected behaviour:
  warm-up/cosine stepped once per epoch though sized in batches ... --fix-scheduler
  gradient clipping called before backward() (no effect) ......... --grad-clip N --fix-grad-clip
  TU datasets: one random 80/10/10 split per seed ................ --split kfold10 --fold K
  (the official scripts' exact split: --split torch_random_80_10_10 --split-seed 12344)

Examples:
  gradformer train                                   # MUTAG preset (100 epochs, ~20 s), prints the test accuracy
  gradformer train --dataset MUTAG --epochs 20       # a shorter run
  gradformer train --dataset NCI1 --seed 3 --out runs/nci1-s3
  gradformer train --resume runs/nci1-s3 --epochs 150
  gradformer train --data-root ~/tu --dataset ENZYMES  # any TU dataset ~/tu/ENZYMES/: generic preset TU`);
  cmd.action(async (o: RunOpts & { dataset?: string; preset?: string; seed: number; fold?: number; out?: string; resume?: string; quiet?: boolean }) => {
    if (o.resume) {
      // The stored run decides everything; a changed option would be silently ignored, so refuse it.
      const given = Object.keys(o).filter((k) => cmd.getOptionValueSource(k) === 'cli' && !RESUME_OPTIONS.has(k));
      if (given.length > 0) {
        throw new UsageError(`--resume continues the run with its stored settings; it takes only --epochs (to extend it), --data-root and --quiet; drop ${given.map((k) => flagName(cmd, k)).join(', ')}`);
      }
      recoverCheckpoint(join(o.resume, 'last'));
      if (!existsSync(join(o.resume, 'last', 'state.json'))) {
        throw new UsageError(`nothing to resume in ${o.resume}: no last/state.json there (--resume takes the folder of a run started by gradformer train)`);
      }
      const st = readCheckpointState(join(o.resume, 'last'));
      const ds = await loadDatasetByName(st.run.dataset, o.dataRoot ?? st.run.data_root ?? undefined);
      const run = { ...st.run, train: { ...st.run.train, epochs: o.epochs ?? st.run.train.epochs } };
      const res = train({ run, data: { ds, pre: await preprocessDataset(ds, { pe: run.train.pe }) }, outDir: o.resume, resume: true, onEvent: progressReporter({ quiet: o.quiet }) });
      report(res, run.dataset, o.resume);
      return;
    }
    const { dataset: name, preset } = runTarget(o.preset, o.dataset ?? (o.preset ? undefined : DEFAULT_DATASET), o.dataRoot);
    const over = overridesOf(o);
    const outDir = o.out ?? join('runs', `${name}-${stamp()}`);
    checkNewRunFolder(outDir);
    const ds = await loadDatasetByName(name, o.dataRoot);
    const run = buildRunConfig(ds, preset, over, o.seed, o.fold ?? 0, o.dataRoot ? resolve(o.dataRoot) : null);
    if (o.fold !== undefined && run.train.split !== 'kfold10') {
      throw new UsageError(`--fold picks a fold of the kfold10 split, and this run's split is ${run.train.split}; add --split kfold10 or drop --fold`);
    }
    const t0 = performance.now();
    const pre = await preprocessDataset(ds, { pe: run.train.pe });
    if (!o.quiet) {
      const epochs = run.train.epochs === 1 ? '1 epoch' : `${run.train.epochs} epochs`;
      process.stderr.write(`gradformer: ${name} (${ds.graphs.length} graphs${o.dataRoot ? ` from ${resolve(o.dataRoot)}` : ''}), preset ${run.preset}, ${epochs}, ` +
        `seed ${run.seed}, split ${run.train.split}; preprocessing ${((performance.now() - t0) / 1000).toFixed(1)} s; run folder ${outDir}\n`);
    }
    const res = train({ run, data: { ds, pre }, outDir, onEvent: progressReporter({ quiet: o.quiet }) });
    report(res, name, outDir);
  });
  return cmd;
}

/**
 * The dataset and preset of `--preset P` / `--dataset D` (train and experiment):
 * P a preset names it (GENERIC_TU needs D); P that is no preset is a dataset name,
 * as D; a dataset trains with its own preset when it has one, else GENERIC_TU.
 * Unknown names fail as datasetInfo does, listing what the data roots hold.
 */
export function runTarget(preset: string | undefined, dataset: string | undefined, dataRoot?: string): { dataset: string; preset: string } {
  const known = preset === undefined ? undefined
    : [...Object.keys(PRESETS), GENERIC_TU].find((k) => k.toLowerCase() === preset.trim().toLowerCase());
  if (known === GENERIC_TU) {
    if (dataset === undefined) throw new UsageError(`--preset ${GENERIC_TU} is the generic preset of any TU dataset; name the dataset with --dataset NAME`);
    return { dataset: datasetInfo(dataset, dataRoot).name, preset: GENERIC_TU };
  }
  if (known !== undefined) return { dataset: datasetInfo(dataset ?? PRESETS[known].dataset, dataRoot).name, preset: known };
  if (preset !== undefined && dataset !== undefined && preset.toLowerCase() !== dataset.toLowerCase()) {
    throw new UsageError(`--preset ${preset} is no preset (accepted: ${Object.keys(PRESETS).join(', ')}, ${GENERIC_TU}); ` +
      'a dataset name given as --preset must match --dataset; drop one of them');
  }
  const info = datasetInfo((dataset ?? preset)!, dataRoot);
  return { dataset: info.name, preset: info.preset ? info.name : GENERIC_TU };
}

/** Options `train --resume` accepts besides --resume itself (the rest are stored in the run). */
const RESUME_OPTIONS = new Set(['resume', 'epochs', 'dataRoot', 'quiet']);

/** commander's key back to the flag the user typed: dataRoot -> --data-root, decay -> --no-decay. */
function flagName(cmd: Command, key: string): string {
  return cmd.options.find((opt) => opt.attributeName() === key)?.long ?? `--${key}`;
}

/** A run folder must be new or empty: a finished run is never overwritten by mistake. */
export function checkNewRunFolder(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} is a file; give a folder for the run`);
  if (readdirSync(dir).length > 0) {
    throw new UsageError(`--out ${dir} already holds files${existsSync(join(dir, 'last', 'state.json')) ? ' (a run)' : ''}; ` +
      `continue that run with --resume ${dir}, or choose another --out (or delete the folder)`);
  }
}

function report(res: { bestEpoch: number; val: number; test: number; metric: string; epochs: { epoch_seconds: number; eval_seconds: number }[] }, name: string, outDir: string): void {
  const secs = res.epochs.reduce((s, r) => s + r.epoch_seconds + r.eval_seconds, 0);
  process.stdout.write(`${name}: best epoch ${res.bestEpoch}, val ${res.metric} ${res.val.toFixed(4)}, test ${res.metric} ${res.test.toFixed(4)}` +
    ` (${secs.toFixed(1)} s training+eval; run folder ${outDir})\n`);
}

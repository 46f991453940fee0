/** `gradformer experiment`: the paper protocol over N seeds or k folds. */
import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { GENERIC_TU, PRESETS } from '../models/presets.js';
import { preprocessDataset } from '../data/preprocess.js';
import { loadDatasetByName, UsageError } from '../train/data.js';
import { runExperiment } from '../train/experiment.js';
import { buildRunConfig, presetOrFail } from '../train/runconfig.js';
import { intArg } from './args.js';
import { progressReporter } from './progress.js';
import { addRunOptions, overridesOf, runTarget, type RunOpts } from './train_cmd.js';

export function experimentCommand(): Command {
  const cmd = new Command('experiment')
    .description('run the paper protocol: N runs of a preset (N seeds, or k folds), then a results table (mean +- std) as Markdown and CSV')
    .option('--preset <name>', `preset (its dataset is used): ${Object.keys(PRESETS).join(', ')}, ${GENERIC_TU} (generic TU, with --dataset), or the name of any TU dataset under --data-root (its own preset, else ${GENERIC_TU})`)
    .option('--dataset <name>', 'dataset (default: the preset\'s); any TU dataset <dir>/<name>/ under --data-root <dir> trains with the generic preset')
    .addOption(new Option('--runs <n>', 'number of runs (default: the preset\'s, 10)').argParser(intArg(1)))
    .addOption(new Option('--protocol <p>', 'seeds: one seed per run (official protocol); kfold: stratified 10-fold, run k = fold k').choices(['seeds', 'kfold']).default('seeds'))
    .addOption(new Option('--seed <n>', 'first seed (run i uses seed + i)').argParser(intArg(0)).default(0))
    .option('--out <dir>', 'experiment folder (default: runs/experiment-<preset>-<protocol>)')
    .option('--resume', 'continue the experiment in --out: finished runs with the same settings are reused, interrupted ones continue from their last/ checkpoint, missing ones run (without it an --out that already holds runs is an error)')
    .option('--quiet', 'no per-epoch output');
  addRunOptions(cmd);
  cmd.addHelpText('after', '\nExamples:\n  gradformer experiment --preset MUTAG --runs 10\n  gradformer experiment --data-root ~/tu --dataset ENZYMES --runs 10   # any TU dataset: generic preset\n  gradformer experiment --preset NCI1 --runs 10 --protocol kfold --out runs/nci1-kfold\n  gradformer experiment --preset NCI1 --runs 10 --protocol kfold --out runs/nci1-kfold --resume   # after an interruption');
  cmd.action(async (o: RunOpts & { preset?: string; dataset?: string; runs?: number; protocol: 'seeds' | 'kfold'; seed: number; out?: string; resume?: boolean; quiet?: boolean }) => {
    if (o.preset === undefined && o.dataset === undefined) {
      throw new UsageError(`experiment needs --preset NAME (${Object.keys(PRESETS).join(', ')}) or --dataset NAME (any TU dataset under --data-root)`);
    }
    const target = runTarget(o.preset, o.dataset, o.dataRoot);
    const preset = presetOrFail(target.preset, target.dataset);
    const runs = o.runs ?? preset.train.runs;
    if (o.protocol === 'kfold' && runs > 10) throw new UsageError(`--protocol kfold has 10 folds; accepted --runs: 1..10 (got ${runs})`);
    if (o.protocol === 'kfold' && o.split) throw new UsageError('--protocol kfold sets the split itself; drop --split');
    if (o.protocol === 'kfold' && preset.train.split === 'official') {
      throw new UsageError(`--protocol kfold re-splits a dataset into 10 folds; ${preset.dataset} comes with its official train/val/test split, which its preset keeps: use --protocol seeds`);
    }
    const ds = await loadDatasetByName(target.dataset, o.dataRoot);
    const over = overridesOf(o);
    // Check the combination before any work (throws with what is accepted).
    const probe = buildRunConfig(ds, preset.name, { ...over, train: { ...over.train, ...(o.protocol === 'kfold' ? { split: 'kfold10' as const } : {}) } }, o.seed);
    const outDir = o.out ?? join('runs', `experiment-${preset.name === GENERIC_TU ? target.dataset : preset.name}-${o.protocol}`);
    const pre = await preprocessDataset(ds, { pe: probe.train.pe });
    const reporters = new Map<number, ReturnType<typeof progressReporter>>();
    const res = runExperiment({
      preset: preset.name, runs, protocol: o.protocol, seed: o.seed, data: { ds, pre }, overrides: over, outDir,
      dataRoot: o.dataRoot ? resolve(o.dataRoot) : null, resume: o.resume,
      onRunStart: (i, how) => {
        if (how.kind === 'reused') process.stderr.write(`[run ${i + 1}/${runs}] finished earlier: reused\n`);
        if (how.kind === 'resumed') process.stderr.write(`[run ${i + 1}/${runs}] continues after epoch ${how.epoch}\n`);
      },
      onEvent: (i, e) => {
        if (!reporters.has(i)) reporters.set(i, progressReporter({ quiet: o.quiet, prefix: `[run ${i + 1}/${runs}]` }));
        reporters.get(i)!(e);
        if (e.type === 'final' && !o.quiet) process.stderr.write(`[run ${i + 1}/${runs}] best epoch ${e.record.best_epoch}: val ${e.record.val.toFixed(4)}, test ${e.record.test.toFixed(4)}\n`);
      },
    });
    process.stdout.write(`${preset.name === GENERIC_TU ? `${target.dataset} (preset ${GENERIC_TU})` : preset.name} (${o.protocol}, ${runs} runs): val ${res.metric} ${res.val.mean.toFixed(4)} +- ${res.val.std.toFixed(4)}, ` +
      `test ${res.metric} ${res.test.mean.toFixed(4)} +- ${res.test.std.toFixed(4)}\nresults: ${join(outDir, 'results.md')}, ${join(outDir, 'results.csv')}\n`);
  });
  return cmd;
}

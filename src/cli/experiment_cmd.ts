/** `gradformer experiment`: the paper protocol over N seeds or k folds. */
import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { GENERIC_TU, PRESETS } from '../models/presets.js';
import { preprocessDataset } from '../data/preprocess.js';
import { loadDatasetByName, UsageError } from '../train/data.js';
import { runExperiment, type ExperimentResult } from '../train/experiment.js';
import { GRID_KEYS, parseGrid, pointFolder } from '../train/grid.js';
import { buildRunConfig, presetOrFail } from '../train/runconfig.js';
import { collectExperiment, enqueueExperiment, readQueueState } from '../queue/coordinator.js';
import { parseQueueUrl } from '../queue/url.js';
import { collect, intArg } from './args.js';
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
    .option('--grid <key=values>', `sweep a run option over comma-separated values (repeatable; the runs repeat at every point of the product); keys: ${Object.keys(GRID_KEYS).join(', ')}`, collect, [])
    .option('--resume', 'continue the experiment in --out: finished runs with the same settings are reused, interrupted ones continue from their last/ checkpoint, missing ones run (without it an --out that already holds runs is an error)')
    .option('--quiet', 'no per-epoch output')
    .option('--queue <url>', 'run on workers through Redis (redis://[:PASSWORD@]HOST[:PORT][/DB], rediss:// for TLS): enqueue one job per run, show their progress, write the same folder and tables (docs/DISTRIBUTED.md)')
    .option('--detach', 'with --queue: only enqueue; gather later with --collect')
    .option('--collect <dir>', 'with --queue: wait for and gather the experiment enqueued into <dir> (after --detach or a stopped coordinator)')
    .addOption(new Option('--checkpoint-every <n>', 'with --queue: a worker stores the run\'s checkpoint in Redis every n epochs (a dead worker loses at most these)').argParser(intArg(1)).default(5));
  addRunOptions(cmd);
  cmd.addHelpText('after', '\nExamples:\n  gradformer experiment --preset MUTAG --runs 10\n  gradformer experiment --data-root ~/tu --dataset ENZYMES --runs 10   # any TU dataset: generic preset\n  gradformer experiment --preset NCI1 --runs 10 --protocol kfold --out runs/nci1-kfold\n  gradformer experiment --preset NCI1 --runs 10 --protocol kfold --out runs/nci1-kfold --resume   # after an interruption\n  gradformer experiment --preset MUTAG --runs 10 --grid gamma=0.5,0.6,0.7 --grid n_hop=2,3   # 6 points x 10 seeds, one table');
  cmd.action(async (o: ExperimentOpts) => {
    const target = o.queue ? parseQueueUrl(o.queue) : null;
    const queueLog = (line: string) => { if (!o.quiet) process.stderr.write(`${line}\n`); };
    if (o.collect !== undefined) {
      if (!target) throw new UsageError('--collect gathers an experiment from its queue; add --queue redis://HOST[:PORT]');
      const given = Object.keys(o).filter((k) => cmd.getOptionValueSource(k) === 'cli' && !['collect', 'queue', 'quiet'].includes(k));
      if (given.length > 0) throw new UsageError(`--collect takes the experiment's settings from ${o.collect}/queue.json; drop --${given.map((k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join(', --')}`);
      const res = await collectExperiment(o.collect, { target, checkpointEvery: o.checkpointEvery, log: queueLog });
      process.stdout.write(summary(res.config.preset, readQueueState(o.collect).protocol, res.points?.[0].runs.length ?? res.runs.length, res, o.collect));
      return;
    }
    if (o.detach && !target) throw new UsageError('--detach only enqueues on a queue; add --queue redis://HOST[:PORT]');
    if (o.preset === undefined && o.dataset === undefined) {
      throw new UsageError(`experiment needs --preset NAME (${Object.keys(PRESETS).join(', ')}) or --dataset NAME (any TU dataset under --data-root)`);
    }
    const runTgt = runTarget(o.preset, o.dataset, o.dataRoot);
    const preset = presetOrFail(runTgt.preset, runTgt.dataset);
    // The name the summary and the default folder show: the dataset's for the generic TU preset.
    const shown = preset.name === GENERIC_TU ? `${runTgt.dataset} (preset ${GENERIC_TU})` : preset.name;
    const runs = o.runs ?? preset.train.runs;
    if (o.protocol === 'kfold' && runs > 10) throw new UsageError(`--protocol kfold has 10 folds; accepted --runs: 1..10 (got ${runs})`);
    if (o.protocol === 'kfold' && o.split) throw new UsageError('--protocol kfold sets the split itself; drop --split');
    if (o.protocol === 'kfold' && preset.train.split === 'official') {
      throw new UsageError(`--protocol kfold re-splits a dataset into 10 folds; ${preset.dataset} comes with its official train/val/test split, which its preset keeps: use --protocol seeds`);
    }
    const ds = await loadDatasetByName(runTgt.dataset, o.dataRoot);
    const over = overridesOf(o);
    const given = Object.values(GRID_KEYS).map((g) => g.flag).filter((f) => cmd.getOptionValueSource(f.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())) === 'cli');
    const grid = parseGrid(o.grid, given);
    // Check the combination before any work (throws with what is accepted).
    const probe = buildRunConfig(ds, preset.name, { ...over, train: { ...over.train, ...(o.protocol === 'kfold' ? { split: 'kfold10' as const } : {}) } }, o.seed);
    const outDir = o.out ?? join('runs', `experiment-${preset.name === GENERIC_TU ? runTgt.dataset : preset.name}-${o.protocol}`);
    if (target) {
      // Workers preprocess their own copies; the coordinator only plans.
      const opts = { preset: preset.name, runs, protocol: o.protocol, seed: o.seed, data: { ds, pre: [] }, overrides: over, outDir, grid, dataRoot: null, resume: o.resume };
      const state = await enqueueExperiment(opts, { target, checkpointEvery: o.checkpointEvery });
      process.stderr.write(`gradformer: enqueued ${state.runs.length} runs on ${target.display} as experiment ${state.experiment} (${outDir}/queue.json)\n`);
      if (o.detach) {
        process.stdout.write(`gather the results with: gradformer experiment --queue ${target.display} --collect ${outDir}\n`);
        return;
      }
      const res = await collectExperiment(outDir, { target, checkpointEvery: o.checkpointEvery, log: queueLog });
      process.stdout.write(summary(shown, o.protocol, runs, res, outDir));
      return;
    }
    const pre = await preprocessDataset(ds, { pe: probe.train.pe });
    const reporters = new Map<number, ReturnType<typeof progressReporter>>();
    const total = runs * grid.reduce((n, a) => n * a.values.length, 1);
    const res = runExperiment({
      preset: preset.name, runs, protocol: o.protocol, seed: o.seed, data: { ds, pre }, overrides: over, outDir, grid,
      dataRoot: o.dataRoot ? resolve(o.dataRoot) : null, resume: o.resume,
      onRunStart: (i, how) => {
        if (how.kind === 'reused') process.stderr.write(`[run ${i + 1}/${total}] finished earlier: reused\n`);
        if (how.kind === 'resumed') process.stderr.write(`[run ${i + 1}/${total}] continues after epoch ${how.epoch}\n`);
      },
      onEvent: (i, e) => {
        if (!reporters.has(i)) reporters.set(i, progressReporter({ quiet: o.quiet, prefix: `[run ${i + 1}/${total}]` }));
        reporters.get(i)!(e);
        if (e.type === 'final' && !o.quiet) process.stderr.write(`[run ${i + 1}/${total}] best epoch ${e.record.best_epoch}: val ${e.record.val.toFixed(4)}, test ${e.record.test.toFixed(4)}\n`);
      },
    });
    process.stdout.write(summary(shown, o.protocol, runs, res, outDir));
  });
  return cmd;
}

export type ExperimentOpts = RunOpts & {
  preset?: string; dataset?: string; queue?: string; detach?: boolean; collect?: string; checkpointEvery: number; runs?: number; protocol: 'seeds' | 'kfold'; seed: number; out?: string; resume?: boolean; quiet?: boolean; grid: string[] };

/** The lines printed at the end: mean +- std per grid point (one line without a grid) and where the tables are. */
export function summary(preset: string, protocol: string, runs: number, res: ExperimentResult, outDir: string): string {
  const line = (what: string, r: Pick<ExperimentResult, 'val' | 'test'>) => `${what}: val ${res.metric} ${r.val.mean.toFixed(4)} +- ${r.val.std.toFixed(4)}, ` +
    `test ${res.metric} ${r.test.mean.toFixed(4)} +- ${r.test.std.toFixed(4)}\n`;
  const head = `${preset} (${protocol}, ${runs} runs)`;
  const body = res.points ? res.points.map((p) => line(`${head} ${pointFolder(p.point)}`, p)).join('') : line(head, res);
  return `${body}results: ${join(outDir, 'results.md')}, ${join(outDir, 'results.csv')}\n`;
}

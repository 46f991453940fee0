/** `gradformer reproduce RUN_DIR`: re-run a recorded run and compare its log bit for bit. */
import { Command, Option } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { COMPARED_FIELDS, reproduceRun } from '../train/reproduce.js';
import { intArg } from './args.js';
import { progressReporter } from './progress.js';
import { checkNewRunFolder } from './train_cmd.js';

/** Exit status when the logs differ (1 stays an error: bad input, missing data). */
export const DIFFERS_EXIT_CODE = 2;

export function reproduceCommand(): Command {
  return new Command('reproduce')
    .description('re-run a recorded run from its config.json and compare its log.jsonl epoch by epoch, bit for bit (train_loss, val, test, lr, hop); exit 2 on a difference')
    .argument('<run-dir>', 'a run folder written by gradformer train or experiment (config.json, log.jsonl, env.json)')
    .addOption(new Option('--epochs <n>', 'compare only the first N epochs (default: every recorded epoch)').argParser(intArg(1)))
    .option('--out <dir>', 'folder for the re-run, kept (new or empty; default: a temporary folder, deleted afterwards)')
    .option('--data-root <dir>', 'folder holding the dataset (default: the data root the run recorded, else the default search)')
    .option('--quiet', 'no progress lines')
    .addHelpText('after', `
Prints "identical" when every compared field of every compared epoch is the same
bit for bit, else the first epoch and field that differ with both values; then the
environment differences (build, backend, threads, preprocessing versions) between
the run's env.json and this process. Exit status: 0 identical, 2 different, 1 error.

Examples:
  gradformer reproduce results/mutag-torchsplit/run-0 --epochs 2
  gradformer reproduce results/nci1-torchsplit/run-4 --epochs 3 --data-root ../shared/datasets`)
    .action(async (runDir: string, o: { epochs?: number; out?: string; dataRoot?: string; quiet?: boolean }) => {
      if (o.out) checkNewRunFolder(o.out);
      const outDir = o.out ?? mkdtempSync(join(tmpdir(), 'gradformer-reproduce-'));
      try {
        const progress = progressReporter({ quiet: o.quiet });
        const r = await reproduceRun(runDir, {
          outDir, epochs: o.epochs, dataRoot: o.dataRoot ? resolve(o.dataRoot) : undefined,
          // The time left counts the epochs this re-run stops after, not the whole run's.
          onEvent: (e) => progress(e.type === 'epoch_start' && o.epochs ? { ...e, epochs: Math.min(e.epochs, o.epochs) } : e),
        });
        const span = r.epochs === 1 ? 'epoch 1' : `epochs 1-${r.epochs}`;
        const lines = [`reproduce ${runDir} (${r.run.dataset}, seed ${r.run.seed}, ${span} of ${r.recordedEpochs} recorded):`];
        if (r.difference) {
          const d = r.difference;
          lines.push(`differs at epoch ${d.epoch}, ${d.field}: recorded ${String(d.recorded)}, reproduced ${String(d.reproduced)}`);
          process.exitCode = DIFFERS_EXIT_CODE;
        } else {
          lines.push(`identical (${COMPARED_FIELDS.join(', ')}; ${span})`);
        }
        if (r.environment.length === 0) lines.push('environment: no differences from the recorded env.json');
        else {
          lines.push('environment differences (recorded -> now):');
          for (const e of r.environment) lines.push(`  ${e.key}: ${e.recorded} -> ${e.now}`);
        }
        if (o.out) lines.push(`re-run kept in ${o.out}`);
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        if (!o.out) rmSync(outDir, { recursive: true, force: true });
      }
    });
}

/** The `gradformer report` sub-command (commander). */
import type { Command } from 'commander';
import { UsageError } from '../train/data.js';
import { parseIndexList } from './data.js';
import { reportCommand } from './index.js';

/** Adds `report DIR [DIR ...] [--graphs 0,1,2] [--layer L] [--out FILE] [--data-root DIR] [--run NAME]` to the program. */
export function registerReport(program: Command): Command {
  return program
    .command('report')
    .description('write one self-contained HTML page (opens offline from file://) about a run folder or an experiment folder: ' +
      'training curves, learned hop per head, decay curves, attention and decay masks on validation graphs, results, configuration')
    .argument('<run_dir...>', 'run folder (from gradformer train), or one or more experiment folders (from gradformer experiment); ' +
      'folders that differ in --layers, --no-decay or --train-fraction get the paper\'s depth and scarce-data plots')
    .option('--graphs <list>', 'validation-split positions of the graphs to draw, comma-separated', '0,1,2')
    .option('--layer <n>', 'layer whose attention is shown (0-based)', '0')
    .option('--out <file>', 'output HTML file (default RUN_DIR/report.html; with several folders ./report.html)')
    .option('--data-root <dir>', 'folder holding the dataset (default: the one recorded in the run)')
    .option('--run <name>', 'experiment folders: the run (sub-folder; FOLDER/run-K with several folders) whose detailed panels are shown (default the first)')
    .action(async (runDirs: string[], o: { graphs: string; layer: string; out?: string; dataRoot?: string; run?: string }) => {
      let path: string, claims: string[];
      try {
        if (!/^\d+$/.test(o.layer)) throw new Error(`report: --layer '${o.layer}' is not a non-negative integer`);
        ({ path, claims } = await reportCommand(runDirs, {
          graphs: parseIndexList(o.graphs), layer: Number(o.layer), out: o.out, dataRoot: o.dataRoot, run: o.run,
        }));
      } catch (e) {
        // Our own messages explain the fix; show them without a stack, as the other commands' usage errors.
        const err = e as Error;
        throw /^report: /.test(err.message) ? new UsageError(err.message.slice('report: '.length)) : err;
      }
      for (const line of claims) process.stdout.write(line + '\n');
      process.stdout.write(`report written to ${path}\n`);
    });
}

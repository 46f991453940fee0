#!/usr/bin/env node
/**
 * The `gradformer` command: train, eval, predict, datasets, experiment,
 * verify-reference. Global options --threads and --backend apply to every command.
 */
import { Command, Option } from 'commander';
import { setBackend, setThreads } from '../tensor/backend.js';
import { UsageError } from '../train/data.js';
import { DivergedError } from '../train/trainer.js';
import { intArg } from './args.js';
import { datasetsCommand } from './datasets_cmd.js';
import { evalCommand, predictCommand } from './eval_cmd.js';
import { experimentCommand } from './experiment_cmd.js';
import { trainCommand } from './train_cmd.js';
import { verifyCommand } from './verify_cmd.js';
import { registerReport } from '../report/cli.js';

export function buildProgram(): Command {
  const program = new Command('gradformer')
    .description('Gradformer (graph transformer with exponential decay, IJCAI 2024): train, evaluate, predict, reproduce')
    .addOption(new Option('--threads <n>', 'compute threads (default: $GRADFORMER_THREADS or all cores)').argParser(intArg(1)))
    .addOption(new Option('--backend <name>', 'kernel backend (native falls back to ts when not built)').choices(['native', 'ts']))
    .showHelpAfterError('(add --help for the accepted options and values)')
    .hook('preAction', (cmd) => {
      const g = cmd.opts() as { threads?: number; backend?: 'native' | 'ts' };
      if (g.backend) setBackend(g.backend);
      if (g.threads) setThreads(g.threads);
    });
  program.enablePositionalOptions(false);
  for (const c of [trainCommand(), evalCommand(), predictCommand(), datasetsCommand(), experimentCommand(), verifyCommand()]) {
    c.showHelpAfterError('(add --help for the accepted options and values)');
    program.addCommand(c);
  }
  registerReport(program).showHelpAfterError('(add --help for the accepted options and values)');
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    const err = e as Error;
    if (err instanceof UsageError || err instanceof DivergedError || err.name === 'DataError' || /^(config|presets|optimizer|loss|metric|split):/.test(err.message)) {
      process.stderr.write(`gradformer: error: ${err.message}\n`);
    } else {
      process.stderr.write(`gradformer: ${err.stack ?? err.message}\n`);
    }
    process.exitCode = err instanceof DivergedError ? 3 : 1;
  }
}

await main();

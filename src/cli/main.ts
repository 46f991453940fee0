#!/usr/bin/env node
/**
 * The `gradformer` command: train, eval, predict, models, datasets, experiment,
 * verify-reference, reproduce, cache, worker, web, report. Global options --threads, --backend and --device apply to every command.
 */
import { Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { kernels, setBackend, setThreads, threadSetting, type BackendName, type ThreadSetting } from '../tensor/backend.js';
import { currentDevice, setDevice, type DeviceName } from '../tensor/device.js';
import { UsageError } from '../train/data.js';
import { DivergedError } from '../train/trainer.js';
import { intArg, threadsArg } from './args.js';
import { datasetsCommand } from './datasets_cmd.js';
import { evalCommand, predictCommand } from './eval_cmd.js';
import { modelsCommand } from './models_cmd.js';
import { experimentCommand } from './experiment_cmd.js';
import { trainCommand } from './train_cmd.js';
import { verifyCommand } from './verify_cmd.js';
import { reproduceCommand } from './reproduce_cmd.js';
import { cacheCommand } from './cache_cmd.js';
import { workerCommand } from './worker_cmd.js';
import { webCommand } from './web_cmd.js';
import { registerReport } from '../report/cli.js';
import { packageRoot } from '../data/registry.js';
import { packageVersion } from '../util/environment.js';
import { sourceRevision } from '../util/revision.js';

export function buildProgram(): Command {
  const program = new Command('gradformer')
    .description('Gradformer (graph transformer with exponential decay, IJCAI 2024): train, evaluate, predict, reproduce')
    .addOption(new Option('--threads <n|auto>', 'compute threads of the native kernels: a count, or auto: training, eval and predict time their steps on 1 to all cores and keep the fastest (default: $GRADFORMER_THREADS or auto; docs/PERFORMANCE.md)').argParser(threadsArg))
    .addOption(new Option('--backend <name>', 'kernel backend (native falls back to ts when not built; wasm: npm run build:wasm)').choices(['native', 'wasm', 'ts']))
    .addOption(new Option('--device <name>', 'where tensors live and ops run (default: $GRADFORMER_DEVICE or cpu; cuda needs an NVIDIA GPU and the CUDA addon; wasm: the WebAssembly kernels on tensors in their heap, as the web page trains, npm run build:wasm)').choices(['cpu', 'cuda', 'wasm']))
    // Computed when asked (the commit comes from git or dist/build-info.json), not on every command.
    .addOption(new Option('-V, --version', 'print the version and the commit it was built from, then exit'))
    .on('option:version', () => {
      const rev = sourceRevision(packageRoot());
      console.log(`gradformer ${packageVersion()}${rev.commit ? ` (${rev.commit.slice(0, 12)}${rev.dirty ? ', with uncommitted changes' : ''})` : ''}`);
      process.exit(0);
    })
    .showHelpAfterError('(add --help for the accepted options and values)')
    .hook('preAction', (cmd) => {
      const g = cmd.opts() as { threads?: ThreadSetting; backend?: BackendName; device?: DeviceName };
      // Select the backend now, so a bad GRADFORMER_BACKEND / GRADFORMER_THREADS fails before any work.
      if (g.backend) setBackend(g.backend); else kernels();
      if (g.threads) setThreads(g.threads);
      const t = threadSetting();
      if (t !== 'auto') warnOversubscribed(t, availableParallelism());
      // Likewise the device: a missing GPU is one error line before any data is read.
      setDevice(g.device ?? currentDevice());
    });
  program.enablePositionalOptions(false);
  const commands = [trainCommand(), evalCommand(), predictCommand(), modelsCommand(), datasetsCommand(), experimentCommand(), verifyCommand(), reproduceCommand(), cacheCommand(), workerCommand(), webCommand()];
  for (const c of commands) program.addCommand(c);
  commands.push(registerReport(program));
  // commander's own errors ("error: unknown option ...") get the prefix of ours.
  for (const c of [program, ...commands]) {
    c.showHelpAfterError('(add --help for the accepted options and values)')
      .configureOutput({ outputError: (str, write) => write(`gradformer: ${str}`) })
      .configureHelp({ showGlobalOptions: true }); // --threads / --backend / --device work after any command too
  }
  return program;
}

/**
 * More kernel threads than cores make every parallel region wait for a descheduled
 * thread (MUTAG on 2 cores: 0.4 s an epoch at 1 thread, 3.5 s at 64); the numbers do
 * not change, so this is a warning line, not an error.
 */
function warnOversubscribed(threads: number, cores: number): void {
  if (threads > cores) {
    process.stderr.write(`gradformer: warning: ${threads} threads on a machine with ${cores} core${cores > 1 ? 's' : ''}: `
      + `each parallel kernel waits for threads that have no core, which is slower than ${cores}; use --threads ${cores} or fewer\n`);
  }
}

/** Errors whose message already says what to fix: a user's input, a data file, a system call on a named path. */
function isExpected(err: Error): boolean {
  return err instanceof UsageError || err instanceof DivergedError || err.name === 'DataError' ||
    typeof (err as NodeJS.ErrnoException).code === 'string' || /^(config|presets|optimizer|loss|metric|split|backend|device|verify-reference|no CUDA device|web):/.test(err.message);
}

/**
 * Every error is one line `gradformer: error: <message>`; the stack trace only
 * with GRADFORMER_DEBUG=1. An error of an unexpected kind (likely a bug) gets a
 * second line saying how to see where it happened.
 */
function reportError(err: Error): void {
  process.stderr.write(`gradformer: error: ${err.message}\n`);
  if (process.env.GRADFORMER_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
  else if (!isExpected(err)) process.stderr.write('gradformer: (unexpected; GRADFORMER_DEBUG=1 prints the stack trace, please include it in a bug report)\n');
}

async function main(): Promise<void> {
  // A reader that stops early (`gradformer predict ... | head`) closes the pipe; the next
  // write fails with EPIPE, which would otherwise end the command with a stack trace.
  // Stop quietly instead, as Unix tools do: nobody reads what is left.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reportError(err);
    process.exitCode = err instanceof DivergedError ? 3 : 1;
  }
}

await main();

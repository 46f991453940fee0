/** `gradformer worker`: trains the runs of queued experiments (docs/DISTRIBUTED.md). */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { parseQueueUrl } from '../queue/url.js';
import { startWorker } from '../queue/worker.js';
import { intArg } from './args.js';

export function workerCommand(): Command {
  const cmd = new Command('worker')
    .description('take runs from a Redis queue (experiment --queue) and train them, until stopped (Ctrl-C); any number of machines may run one')
    .requiredOption('--queue <url>', 'redis://[:PASSWORD@]HOST[:PORT][/DB], or rediss://... for TLS')
    .option('--data-root <dir>', 'this machine\'s datasets (as for train); a job whose dataset differs from the coordinator\'s copy is refused')
    .addOption(new Option('--concurrency <k>', 'runs trained at once (each on --threads threads)').argParser(intArg(1)).default(1))
    .addOption(new Option('--lock-seconds <s>', 'a worker silent this long is taken for dead and its run moves to another worker').argParser(intArg(1)).default(30))
    .option('--quiet', 'no per-job lines');
  cmd.addHelpText('after', '\nExamples:\n  gradformer worker --queue redis://queue.example.org:6379\n  gradformer --threads 4 worker --queue rediss://:$REDIS_PASSWORD@queue.example.org:6380 --concurrency 2');
  cmd.action(async (o: { queue: string; dataRoot?: string; concurrency: number; lockSeconds: number; quiet?: boolean }) => {
    const target = parseQueueUrl(o.queue);
    const log = (line: string) => { if (!o.quiet) process.stderr.write(`gradformer worker: ${line}\n`); };
    const w = await startWorker({ target, dataRoot: o.dataRoot ? resolve(o.dataRoot) : null, concurrency: o.concurrency, lockMs: o.lockSeconds * 1000, log });
    log(`waiting for runs on ${target.display} (concurrency ${o.concurrency})`);
    await new Promise<void>((done) => {
      const stop = () => { log('stopping; a run in progress continues on another worker from its last stored checkpoint'); w.close().then(done, done); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
  return cmd;
}

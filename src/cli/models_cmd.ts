/** `gradformer models`: the trained models shipped in the package, where they come from and what they score. */
import { Command } from 'commander';
import { shippedModels } from '../train/shipped.js';

export function modelsCommand(): Command {
  return new Command('models')
    .description('list the trained models shipped in the package (for `predict --model NAME` and `eval --model NAME`): the run each comes from, its epoch and its validation and test metric')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  gradformer models\n  gradformer predict --model ZINC --smiles CCO c1ccccc1')
    .action((o: { json?: boolean }) => {
      const all = shippedModels();
      if (o.json) { process.stdout.write(JSON.stringify(all, null, 1) + '\n'); return; }
      if (!all.length) { process.stdout.write('no shipped models in this package\n'); return; }
      for (const m of all) {
        const state = m.finished ? `epoch ${m.epoch} (best validation) of a finished ${m.epochs}-epoch run`
          : `epoch ${m.epoch} (best validation so far) of a ${m.epochs}-epoch run still training: an interim model`;
        process.stdout.write(`${m.name}: ${m.dataset}, ${state}; val ${m.metric} ${m.val.toFixed(4)}, test ${m.metric} ${m.test.toFixed(4)}\n` +
          `  from ${m.source} (commit ${m.commit}, shipped ${m.shipped})\n  ${m.dir}\n`);
      }
    });
}

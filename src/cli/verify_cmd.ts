/** `gradformer verify-reference FILE.safetensors`: parity with a PyTorch reference fixture. */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ABS_FLOOR, verifyReference } from '../models/verify.js';
import { UsageError } from '../train/data.js';

export function verifyCommand(): Command {
  return new Command('verify-reference')
    .description('run a reference fixture (format: shared/fixtures/README.md; config from the .json beside it) and compare every tensor group; exits 1 above tolerance')
    .argument('<file>', 'fixture .safetensors file')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  gradformer verify-reference ../shared/fixtures/tu_gin.safetensors')
    .action((file: string, o: { json?: boolean }) => {
      if (!existsSync(file)) throw new UsageError(`fixture ${file} not found`);
      const r = verifyReference(file);
      if (o.json) {
        process.stdout.write(JSON.stringify({ file, ok: r.ok, groups: r.groups }) + '\n');
      } else {
        process.stdout.write(`${file}: ${r.config.mpnn}, ${r.config.num_layers} layers, ${r.config.channels} channels, task ${r.config.task}\n`);
        const w = Math.max(...r.groups.map((g) => g.group.length));
        for (const g of r.groups) {
          process.stdout.write(`  ${g.group.padEnd(w)}  ${String(g.tensors).padStart(3)} tensors  max abs ${g.maxAbs.toExponential(2)}  max rel ${g.maxRel.toExponential(2)}` +
            `  (tol ${g.tolerance.toExponential(0)} rel + ${ABS_FLOOR.toExponential(0)} abs)  ${g.ok ? 'ok' : `FAIL (worst: ${g.worst})`}\n`);
        }
        process.stdout.write(r.ok ? 'all groups within tolerance\n' : 'some groups exceed the tolerance\n');
      }
      if (!r.ok) process.exitCode = 1;
    });
}

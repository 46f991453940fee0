// Where no CUDA device is usable (here, CI): the missing GPU, driver or addon is one
// clear sentence, on the library and on the command line, never a crash. The GPU
// tests themselves are in test/cuda.test.ts; this file is left out of the pass on
// the CUDA emulator (scripts/run-tests.js), where a device is present.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRunner } from './cli_helpers.js';
import { cudaUnavailable, loadCuda } from '../src/tensor/kernels_cuda.js';

const why = cudaUnavailable();
const home = mkdtempSync(join(tmpdir(), 'gf-cuda-missing-'));
after(() => rmSync(home, { recursive: true, force: true }));

describe('CUDA runtime without a device', () => {
  it('a missing GPU, driver or addon is one clear sentence, not a crash', (t) => {
    if (why === null) { t.skip('a CUDA device is present: nothing is missing'); return; }
    assert.match(why, /^no CUDA device: /);
    assert.ok(!why.includes('\n'), why);
    assert.throws(() => loadCuda(), (e: Error) => e.message === why);
  });

  it('`gradformer --device cuda` and GRADFORMER_DEVICE=cuda without a GPU stop with that one error line, before any work', async (t) => {
    if (why === null) { t.skip('a CUDA device is present: the command would run'); return; }
    for (const [args, env] of [[['--device', 'cuda', 'train', '--dataset', 'MUTAG', '--epochs', '1'], {}],
      [['eval', '--checkpoint', 'nowhere'], { GRADFORMER_DEVICE: 'cuda' }]] as const) {
      const r = await cliRunner(home, env)(...args);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `gradformer: error: ${why}\n`);
    }
    const bad = await cliRunner(home, { GRADFORMER_DEVICE: 'gpu' })('eval', '--checkpoint', 'nowhere');
    assert.equal(bad.stderr, "gradformer: error: device: GRADFORMER_DEVICE: unknown device 'gpu', expected cpu, cuda or wasm (or unset it for cpu)\n");
  });

});

// `gradformer --device wasm`: the CLI on the wasm device (tensors in the heap of the
// WebAssembly kernels), as the web page's worker trains. One epoch of MUTAG gives, bit
// for bit, the numbers of the worker's own training code (src/web/page/train/run.ts)
// run here in Node on the wasm kernels and device, and those of `--backend wasm` (the
// cpu device on the same kernels: the reference test/web_page_train.test.ts holds the
// page's worker to in Chromium), although the host-side work (preprocessing) runs on
// the native backend here. A missing module is one error line.
//
// The module must be built (CI does): a missing one FAILS this file, saying how.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRunner } from './cli_helpers.js';
import { setDevice } from '../src/tensor/device.js';
import { kernels, useKernels } from '../src/tensor/backend.js';
import { loadWasmKernels } from '../src/tensor/kernels_wasm_node.js';
import { loadDatasetByName } from '../src/train/data.js';
import { runConfigFor, trainRun } from '../src/web/page/train/run.js';

const base = mkdtempSync(join(tmpdir(), 'gf-cli-wasm-'));
after(() => rmSync(base, { recursive: true, force: true }));

type Row = { epoch: number; loss: number; val: number; test: number; hop: number[] };

/** `gradformer [global] train --dataset MUTAG --epochs 1 --seed 1` into a new folder; its epoch rows. */
async function cliTrain(name: string, global: string[], env: Record<string, string> = {}): Promise<Row[]> {
  const dir = join(base, name);
  const r = await cliRunner(join(base, 'home'), env)(...global, 'train', '--dataset', 'MUTAG', '--epochs', '1', '--seed', '1', '--out', dir, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((l) => !l.final).map((l) => ({ epoch: l.epoch, loss: l.train_loss, val: l.val, test: l.test, hop: l.hop }));
}

test('train --device wasm: 1 epoch of MUTAG gives the page worker\'s numbers (its code, in Node) and --backend wasm\'s, bit for bit', async () => {
  const onDevice = await cliTrain('device-wasm', ['--device', 'wasm']);
  const onCpu = await cliTrain('backend-wasm', [], { GRADFORMER_BACKEND: 'wasm' });

  // The worker's run (src/web/page/train/worker.ts): wasm kernels, the wasm device, trainRun.
  const ds = await loadDatasetByName('MUTAG');
  const run = runConfigFor(ds, { epochs: 1, seed: 1, layers: JSON.parse(readFileSync(join(base, 'device-wasm', 'config.json'), 'utf8')).model.num_layers });
  const before = kernels();
  useKernels(loadWasmKernels());
  setDevice('wasm');
  const worker: Row[] = [];
  try {
    await trainRun(ds, run, {
      prepared: () => {},
      epoch: (r) => worker.push({ epoch: r.epoch, loss: r.train_loss, val: r.val, test: r.test, hop: r.hop }),
      best: () => {},
    });
  } finally { setDevice('cpu'); useKernels(before); }

  assert.equal(onDevice.length, 1);
  assert.ok(Number.isFinite(onDevice[0].loss) && onDevice[0].hop.length > 0);
  assert.deepEqual(onDevice, worker, '--device wasm against the worker\'s training code on the wasm device');
  assert.deepEqual(onDevice, onCpu, '--device wasm against --backend wasm (cpu device)');
});

test('--device wasm / --backend wasm (or GRADFORMER_DEVICE / GRADFORMER_BACKEND=wasm) without the built module is one error line naming the build command', async () => {
  const run = cliRunner(join(base, 'home'), { GRADFORMER_WASM_PATH: join(base, 'missing.wasm') });
  // The wasm device, and the wasm kernels on the cpu device: the error names which setting asked for it.
  const cases = [
    ['device', ['--device', 'wasm'], {}], ['device', [], { GRADFORMER_DEVICE: 'wasm' }],
    ['backend', ['--backend', 'wasm'], {}], ['backend', [], { GRADFORMER_BACKEND: 'wasm' }],
  ] as const;
  for (const [setting, args, env] of cases) {
    const r = await cliRunner(join(base, 'home'), { GRADFORMER_WASM_PATH: join(base, 'missing.wasm'), ...env })(...args, 'datasets');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `gradformer: error: ${setting}: wasm: ${join(base, 'missing.wasm')} does not exist; build it with \`npm run build:wasm\` ` +
      '(needs `apt-get install -y clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32`)\n');
  }
  const bad = await run('--device', 'gpu', 'datasets');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^gradformer: error: option '--device <name>' argument 'gpu' is invalid\. Allowed choices are cpu, cuda, wasm\.\n/);
});

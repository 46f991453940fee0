#!/usr/bin/env node
// Runs every test file under test/ with Node's built-in runner (TypeScript via tsx).
// Usage: npm test [-- substring]   (only files whose path contains the substring;
// a full run, without one, starts with a type check of test/, bench/, scripts/ and
// examples/ and ends with the ASan/UBSan kernel pass of scripts/test-asan.sh and the CUDA
// tests on the CPU emulation of CUDA)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
const filter = process.argv[2];
const files = walk('test').filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error(`no test files match ${filter ?? '(all)'}`);
  process.exit(1);
}
// Full runs first type-check everything tsx would run unchecked: the tests,
// benchmarks, scripts and examples (the build checks src/ only).
if (!filter) {
  const tc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.check.json'], { stdio: 'inherit' });
  if (tc.status !== 0) {
    console.error('type errors above (npm run typecheck); the tests were not run');
    process.exit(tc.status ?? 1);
  }
}
const r = spawnSync(process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// Full runs also run the kernel tests on an ASan/UBSan build of the native addon
// (CI runs exactly `npm test`); GRADFORMER_SKIP_ASAN=1 skips that pass.
if (!filter && process.env.GRADFORMER_SKIP_ASAN !== '1') {
  const a = spawnSync('bash', ['scripts/test-asan.sh'], { stdio: 'inherit' });
  if (a.status !== 0) process.exit(a.status ?? 1);
}
// And the whole CUDA path (generated glue, device tensors, CUDA kernels) once more on the
// CPU emulation of CUDA (native/cuda/test/emu; needs only a C++ compiler), so that
// test/cuda.test.ts and test/cuda_syncs.test.ts run their GPU tests here and in CI, where no GPU
// is (~2.5 min).
// GRADFORMER_SKIP_CUDA_EMU=1 skips that pass.
if (!filter && process.env.GRADFORMER_SKIP_CUDA_EMU !== '1') {
  const b = spawnSync('node', ['scripts/build-cuda-addon.js', '--emu'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
  const e = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/cuda.test.ts', 'test/cuda_syncs.test.ts'],
    { stdio: 'inherit', env: { ...process.env, GRADFORMER_CUDA_PATH: 'build/cuda-emu/gradformer_cuda_emu.node' } });
  process.exit(e.status ?? 1);
}
process.exit(0);

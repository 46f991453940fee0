// The native backend sets libgomp's busy-wait (GOMP_SPINCOUNT) before the addon loads,
// unless the user chose a wait policy: a fresh process per case, since libgomp reads
// its environment once, when the addon is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { OMP_SPIN_COUNT } from '../src/tensor/kernels_native.js';

function envAfterLoad(env: Record<string, string | undefined>): { spin: string; policy: string } {
  const code = "const { loadNativeAddon } = await import('./src/tensor/kernels_native.ts');" +
    "if (!loadNativeAddon()) throw new Error('native addon not built');" +
    "console.log(JSON.stringify({ spin: process.env.GOMP_SPINCOUNT ?? '-', policy: process.env.OMP_WAIT_POLICY ?? '-' }));";
  const clean = { ...process.env };
  delete clean.GOMP_SPINCOUNT;
  delete clean.OMP_WAIT_POLICY;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code],
    { cwd: new URL('..', import.meta.url), encoding: 'utf8', env: { ...clean, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as { spin: string; policy: string };
}

test('loading the addon sets a bounded OpenMP spin unless the user chose a wait policy', () => {
  assert.deepEqual(envAfterLoad({}), { spin: String(OMP_SPIN_COUNT), policy: '-' });
  assert.deepEqual(envAfterLoad({ OMP_WAIT_POLICY: 'passive' }), { spin: '-', policy: 'passive' });
  assert.deepEqual(envAfterLoad({ GOMP_SPINCOUNT: '1000' }), { spin: '1000', policy: '-' });
});

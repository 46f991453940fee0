// The README's library example (examples/quickstart.ts) runs as written and learns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('examples/quickstart.ts runs and prints a test accuracy above the majority rate', () => {
  const root = join(import.meta.dirname, '..');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = /test accuracy (\d\.\d+) on (\d+) graphs/.exec(r.stdout);
  assert.ok(m, r.stdout);
  // MUTAG's majority class is 2/3 of the graphs; ten epochs of a small model beat it.
  assert.ok(Number(m[1]) > 0.67, `test accuracy ${m[1]}`);
});

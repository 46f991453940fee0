// docs/API.md is generated from the doc comments of the package's two entry points
// (scripts/gen-api.ts); these keep it current and keep every export documented.
// One compile of the sources serves both tests (~5 s).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { API_MD, collectApi, renderApi } from '../scripts/gen-api.js';

const api = collectApi();

test('docs/API.md is what scripts/gen-api.ts renders from the source', () => {
  assert.ok(api.length > 0, 'gen-api found no exports: the entry points moved?');
  assert.ok(readFileSync(API_MD, 'utf8') === renderApi(api), 'docs/API.md is stale: npm run gen:api');
});

test('every export of gradformer and gradformer/web has a doc comment', () => {
  const missing = [...new Set(api.filter((a) => a.doc.trim() === '').map((a) => `${a.name} (${a.kind}, ${a.module})`))];
  assert.deepEqual(missing, [], `exports without a doc comment (write one directly above the declaration): ${missing.join(', ')}`);
});

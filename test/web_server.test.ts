/**
 * The static server of `gradformer web` (src/cli/web_server.ts) on a scratch
 * folder: content types (application/wasm above all), index.html for folders,
 * 404, path traversal refused in every spelling, GET/HEAD only; and the
 * command's one-line errors (page not built, port taken).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startWebServer, type WebServer } from '../src/cli/web_server.js';
import { cliRunner } from './cli_helpers.js';

const base = mkdtempSync(join(tmpdir(), 'gf-web-server-'));
const root = join(base, 'page');
let w: WebServer;

/** A raw request: the path is sent exactly as given (no client-side normalisation of `..`). */
function get(path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(w.url);
  return new Promise((done, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => done({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

before(async () => {
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(root, 'main.js'), 'export {};');
  writeFileSync(join(root, 'k.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  writeFileSync(join(root, 'style.css'), 'body{}');
  writeFileSync(join(root, 'sub', 'index.html'), 'sub');
  writeFileSync(join(base, 'secret.txt'), 'SECRET-CONTENT');
  w = await startWebServer(root, 0, '127.0.0.1');
});
after(async () => { await w?.close(); });

test('content types of the files the page ships', async () => {
  assert.match(w.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const cases: [string, string][] = [['/', 'text/html; charset=utf-8'], ['/main.js', 'text/javascript; charset=utf-8'],
    ['/k.wasm', 'application/wasm'], ['/style.css', 'text/css; charset=utf-8'], ['/sub/', 'text/html; charset=utf-8']];
  for (const [path, type] of cases) {
    const r = await get(path);
    assert.equal(r.status, 200, path);
    assert.equal(r.type, type, path);
  }
  assert.equal((await get('/sub/')).body, 'sub');
  assert.equal((await get('/main.js?v=1')).status, 200);
});

test('missing files are 404, other methods 405', async () => {
  assert.equal((await get('/nope.js')).status, 404);
  assert.equal((await get('/sub/nope/')).status, 404);
  assert.equal((await get('/', 'POST')).status, 405);
  const head = await get('/main.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('no path leaves the page folder', async () => {
  for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/sub/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%2e%2e/secret.txt']) {
    const r = await get(path);
    assert.ok(r.status === 403 || r.status === 404, `${path}: ${r.status}`);
    assert.ok(!r.body.includes('SECRET-CONTENT'), path);
  }
  assert.equal((await get('/..%2fsecret.txt')).status, 403);
  assert.equal((await get('/%00')).status, 400);
});

test('gradformer web: one-line errors for a --root without a page and a taken port', async () => {
  const cli = cliRunner(join(base, 'home'));
  const unbuilt = await cli('web', '--root', join(base, 'sub-missing'), '--port', '0');
  assert.equal(unbuilt.code, 1);
  assert.match(unbuilt.stderr, /^gradformer: error: web: --root .*sub-missing holds no index\.html; pass the folder of a built page \(npm run build:web writes dist\/web\/page\)/);
  assert.equal(unbuilt.stderr.trim().split('\n').length, 1);
  const port = new URL(w.url).port;
  const taken = await cli('web', '--root', root, '--port', port);
  assert.equal(taken.code, 1);
  assert.equal(taken.stderr.trim(), `gradformer: error: web: port ${port} on 127.0.0.1 is taken; pick another with --port N`);
});

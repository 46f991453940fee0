/**
 * A real Redis for the queue tests: Debian's redis-server on a free loopback
 * port with its own temporary folder and append-only file, and `gradformer
 * worker` processes started from source. A test file registers what it starts
 * in queueScratch(), which stops and removes all of it after the file's tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { after } from 'node:test';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisServer { port: number; dir: string; url: string; proc: ChildProcess; password: string | null }

/** A self-signed certificate for 127.0.0.1 (Debian's openssl), for a TLS Redis. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
    s.on('error', rej);
  });
}

/** Starts redis-server (in `dir`, on `port`: the same ones restart it with its append-only file) and waits until it answers. */
export async function startRedis(opts: { password?: string; dir?: string; port?: number; tls?: { cert: string; key: string } } = {}): Promise<RedisServer> {
  const port = opts.port ?? await freePort();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gf-redis-'));
  const t = opts.tls;
  const args = ['--save', '', '--appendonly', 'yes', '--dir', dir, '--bind', '127.0.0.1', ...(opts.password ? ['--requirepass', opts.password] : []),
    ...(t ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', t.cert, '--tls-key-file', t.key, '--tls-ca-cert-file', t.cert, '--tls-auth-clients', 'no'] : ['--port', String(port)])];
  const proc = spawn('redis-server', args, { stdio: 'ignore' });
  const password = opts.password ?? null;
  const url = `${t ? 'rediss' : 'redis'}://${password ? `:${password}@` : ''}127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const r = new Redis({ port, host: '127.0.0.1', password: password ?? undefined, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null,
      ...(t ? { tls: { ca: readFileSync(t.cert) } } : {}) });
    r.on('error', () => {});
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') { r.disconnect(); return { port, dir, url, proc, password }; }
    } catch { /* not up yet */ }
    r.disconnect();
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

/** Stops redis-server gracefully (SIGTERM flushes the append-only file) and waits for it to exit. */
export function stopRedis(s: RedisServer): Promise<void> {
  if (s.proc.exitCode !== null) return Promise.resolve();
  return new Promise((res) => { s.proc.once('exit', () => res()); s.proc.kill('SIGTERM'); });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WorkerProc { proc: ChildProcess; output: () => string }

/** Starts `gradformer worker` (from source) on one thread; its stderr is kept for the test to read. */
export function startWorkerProc(url: string, home: string, extra: string[] = [], env: Record<string, string> = {}): WorkerProc {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'main.ts'), 'worker', '--queue', url, '--lock-seconds', '2', ...extra],
    { env: { ...process.env, GRADFORMER_THREADS: '1', GRADFORMER_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b) => { out += b; });
  proc.stderr!.on('data', (b) => { out += b; });
  return { proc, output: () => out };
}

/** Waits until `cond` holds (polled), or fails after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Stops worker processes (SIGKILL: nothing of theirs must outlive a test). */
export function killAll(ws: WorkerProc[]): Promise<void> {
  return Promise.all(ws.map((w) => (w.proc.exitCode !== null || w.proc.signalCode !== null ? Promise.resolve()
    : new Promise<void>((res) => { w.proc.once('exit', () => res()); w.proc.kill('SIGKILL'); })))).then(() => {});
}

/**
 * The servers and workers a test file starts, stopped (workers killed, Redis shut
 * down, its folder removed) together with `root` after the file's tests.
 */
export function queueScratch(root: string): { servers: RedisServer[]; workers: WorkerProc[] } {
  const servers: RedisServer[] = [];
  const workers: WorkerProc[] = [];
  after(async () => {
    await killAll(workers);
    await Promise.all(servers.map(stopRedis));
    for (const s of servers) rmSync(s.dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });
  return { servers, workers };
}

/** Every file under a folder, recursively. */
export const filesUnder = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));

/** results.csv without its seconds column (wall time differs between machines; every metric must not). */
export const metricsCsv = (dir: string) => readFileSync(join(dir, 'results.csv'), 'utf8').split('\n').map((l) => l.split(',').slice(0, -1).join(',')).join('\n');

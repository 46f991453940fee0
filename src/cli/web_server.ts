/**
 * The static server behind `gradformer web`: serves one folder (the built page,
 * dist/web/page) with node:http. GET and HEAD only; a path that leaves the
 * folder (`..`, encoded or not) is refused with 403, a missing file is 404, a
 * folder serves its index.html. Content types are set for every file the page
 * ships (WebAssembly must be application/wasm for streaming compilation).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** Content type by file extension (lower case); anything else is application/octet-stream. */
const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.zip': 'application/zip',
  '.safetensors': 'application/octet-stream',
};

/** The file under `root` that a request path names, or why there is none. */
function resolveRequest(root: string, urlPath: string): { file: string } | { status: 400 | 403 | 404 } {
  let path: string;
  try {
    path = decodeURIComponent(new URL(urlPath, 'http://localhost').pathname);
  } catch {
    return { status: 400 };
  }
  if (path.includes('\0')) return { status: 400 };
  // Checked on the decoded, raw segments: URL parsing alone resolves a literal `..`
  // but not `%2e%2e` or a backslash.
  if (path.split(/[\\/]/).includes('..')) return { status: 403 };
  const base = resolve(root);
  let file = resolve(base, `.${path}`);
  if (file !== base && !file.startsWith(base + sep)) return { status: 403 };
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  if (!existsSync(file) || !statSync(file).isFile()) return { status: 404 };
  return { file };
}

function handle(root: string, req: IncomingMessage, res: ServerResponse): void {
  const text = (status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    text(405, `${req.method} is not allowed; this server only serves files (GET, HEAD)`);
    return;
  }
  const r = resolveRequest(root, req.url ?? '/');
  if ('status' in r) {
    text(r.status, r.status === 404 ? `not found: ${req.url}` : r.status === 403 ? `refused: ${req.url} is outside the page folder` : `bad request path: ${req.url}`);
    return;
  }
  res.writeHead(200, {
    'content-type': MIME_TYPES[extname(r.file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': statSync(r.file).size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') { res.end(); return; }
  createReadStream(r.file).on('error', () => res.destroy()).pipe(res);
}

/** A listening server and the URL it prints. */
export interface WebServer { server: Server; url: string; close(): Promise<void> }

/** Serves the folder `root` on host:port (port 0: any free port). Rejects with one line when the port cannot be bound. */
export async function startWebServer(root: string, port: number, host: string): Promise<WebServer> {
  const server = createServer((req, res) => handle(root, req, res));
  await new Promise<void>((done, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      fail(new Error(e.code === 'EADDRINUSE' ? `web: port ${port} on ${host} is taken; pick another with --port N`
        : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? `web: cannot listen on ${where} (${e.code}); pass a local address with --host`
          : e.code === 'EACCES' ? `web: not allowed to listen on ${where}; pick a port above 1023 with --port N` : `web: cannot listen on ${where}: ${e.message}`));
    });
    server.listen(port, host, () => done());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shown}:${bound}/`,
    close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}

/** `gradformer web`: serves the page (train in a Web Worker, predict) on a local port (docs/WEB.md). */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../data/registry.js';
import { intArg } from './args.js';
import { startWebServer } from './web_server.js';

/** Where `npm run build:web` puts the page. */
function defaultPageDir(): string {
  return join(packageRoot(), 'dist', 'web', 'page');
}

export function webCommand(): Command {
  const cmd = new Command('web')
    .description('serve the gradformer page (train MUTAG or an uploaded TU zip in the browser, download the weights) until stopped (Ctrl-C)')
    .addOption(new Option('--port <n>', 'port to listen on (0: any free port)').argParser(intArg(0)).default(8080))
    .option('--host <address>', 'address to listen on (0.0.0.0 serves the whole network)', '127.0.0.1')
    .option('--root <dir>', 'serve this built page folder instead of the package\'s dist/web/page');
  cmd.addHelpText('after', '\nBuild the page first: npm run build:wasm && npm run build:web\n\nExamples:\n  gradformer web\n  gradformer web --port 9000 --host 0.0.0.0');
  cmd.action(async (o: { port: number; host: string; root?: string }) => {
    if (o.port > 65535) throw new Error(`web: --port ${o.port} is not a port; pass 0..65535`);
    const root = o.root ? resolve(o.root) : defaultPageDir();
    if (o.root && !existsSync(join(root, 'index.html'))) {
      throw new Error(`web: --root ${o.root} holds no index.html; pass the folder of a built page (npm run build:web writes dist/web/page)`);
    }
    if (!existsSync(join(root, 'index.html'))) {
      throw new Error(`web: the page is not built (${join(root, 'index.html')} is missing); run \`npm run build:wasm && npm run build:web\` in the gradformer package`);
    }
    const w = await startWebServer(root, o.port, o.host);
    process.stdout.write(`gradformer web: serving ${root}\n${w.url}\n`);
    await new Promise<void>((done) => {
      const stop = () => { w.close().then(done, done); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
  return cmd;
}

/**
 * docs/claims-nci1.png: the claims section of `gradformer report` over the NCI1
 * claim cells (results/nci1-{frac05,frac10,depth4,depth12,depth24}-{gf,gps}: accuracy
 * against the training fraction and against depth, both models, the paper's points
 * hollow), screenshotted by Debian's headless /usr/bin/chromium. --random: the same
 * cells on random splits (results/nci1-rand-*, lane r of scripts/experiment-claims.sh)
 * into docs/claims-nci1-random.png.
 *
 *   node --import tsx scripts/claims-figure.ts [--random] [OUT.png]
 *
 * Unfinished cells are drawn from their finished runs (the report says how many).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const random = args[0] === '--random';
if (random) args.shift();
const prefix = random ? 'nci1-rand' : 'nci1';
const out = resolve(args[0] ?? join(root, 'docs', `claims-${random ? 'nci1-random' : 'nci1'}.png`));
const cells = ['frac05', 'frac10', 'depth4', 'depth12', 'depth24'].flatMap((c) => [`${prefix}-${c}-gf`, `${prefix}-${c}-gps`])
  .map((c) => join(root, 'results', c)).filter((d) => existsSync(d));
if (cells.length === 0) throw new Error(`claims-figure: no results/${prefix}-* claim cells here`);
const tmp = mkdtempSync(join(tmpdir(), 'gf-claims-'));
try {
  const html = join(tmp, 'claims.html');
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'report', ...cells, '--out', html], { stdio: 'inherit' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 820, height: 900 } });
    await page.goto(pathToFileURL(html).href);
    const section = page.locator('section', { hasText: 'The paper\'s claims' });
    await section.waitFor();
    await section.screenshot({ path: out });
  } finally {
    await browser.close();
  }
  console.log(`claims-figure: ${out}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

/**
 * docs/claims-nci1.png: the claims section of `gradformer report` over the NCI1
 * claim cells (results/nci1-{frac05,frac10,depth4,depth12,depth24}-{gf,gps}: accuracy
 * against the training fraction and against depth, both models, the paper's points
 * hollow), screenshotted by Debian's headless /usr/bin/chromium.
 *
 *   node --import tsx scripts/claims-figure.ts [OUT.png]   (default docs/claims-nci1.png)
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
const out = resolve(process.argv[2] ?? join(root, 'docs', 'claims-nci1.png'));
const cells = ['frac05', 'frac10', 'depth4', 'depth12', 'depth24'].flatMap((c) => [`nci1-${c}-gf`, `nci1-${c}-gps`])
  .map((c) => join(root, 'results', c)).filter((d) => existsSync(d));
if (cells.length === 0) throw new Error('claims-figure: no results/nci1-* claim cells here');
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

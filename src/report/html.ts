/**
 * Assembles the single HTML file: the chart and layout libraries read from
 * their npm dist bundles and inlined (so the page makes no network request and
 * opens from file://), the report data as embedded JSON, and the page script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReportData } from './index.js';
import { PAGE_CSS, PAGE_JS } from './page.js';

/** Library files inlined into every report: [package, file inside it]. Order matters (d3-force needs the others). */
export const INLINED_LIBS: [string, string][] = [
  ['uplot', 'dist/uPlot.iife.min.js'],
  ['d3-dispatch', 'dist/d3-dispatch.min.js'],
  ['d3-quadtree', 'dist/d3-quadtree.min.js'],
  ['d3-timer', 'dist/d3-timer.min.js'],
  ['d3-force', 'dist/d3-force.min.js'],
];

/**
 * A file of an installed npm package, found by walking up from this module to a
 * node_modules folder that holds it (the d3 packages' `exports` hide their dist paths).
 */
export function packageFile(pkg: string, file: string): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = join(d, 'node_modules', pkg, file);
    if (existsSync(p)) return p;
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  throw new Error(`report: cannot find ${pkg}/${file} in any node_modules above ${fileURLToPath(import.meta.url)}; run \`npm install\` in the gradformer package`);
}

/** Text safe inside a <script> element (no closing tag, no HTML comment openers). */
export function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside <script type="application/json">. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))
    .replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The complete HTML document of a report. */
export function renderHtml(data: ReportData): string {
  const libs = INLINED_LIBS.map(([p, f]) => `<script>/* ${p}/${f} */\n${scriptSafe(readFileSync(packageFile(p, f), 'utf8'))}\n</script>`);
  const uplotCss = readFileSync(packageFile('uplot', 'dist/uPlot.min.css'), 'utf8');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${uplotCss}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<main id="app"><h1>${escapeHtml(data.title)}</h1><p id="loading">Rendering...</p></main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
${libs.join('\n')}
<script>
${scriptSafe(PAGE_JS)}
</script>
</body>
</html>
`;
}

/**
 * The decay curve of every head, M_h(d) = gamma_h ** leaky_relu(d - hop_h, slope),
 * as a small SVG line chart (d = 0..dMax on x, M on y, one line and legend entry per head).
 */
import type { DecayPanel } from '../../../report/views.js';

const NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const DASHES = ['', '8 4', '3 3', '10 3 3 3', '6 6'];

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The chart as an <svg> element (data-chart="decay"). */
export function decayChart(d: DecayPanel): SVGSVGElement {
  const W = 560, H = 240, L = 44, R = 210, T = 12, B = 34;
  const yMax = Math.max(1, ...d.curves.flat().filter(Number.isFinite));
  const x = (v: number) => L + (v / Math.max(1, d.dMax)) * (W - L - R);
  const y = (v: number) => T + (1 - v / yMax) * (H - T - B);
  const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'decay', 'data-chart': 'decay' }) as SVGSVGElement;
  root.append(svg('line', { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: '#888' }), svg('line', { x1: L, y1: T, x2: L, y2: y(0), stroke: '#888' }));
  const step = Math.max(1, Math.ceil(d.dMax / 10));
  for (let t = 0; t <= d.dMax; t += step) root.append(svg('text', { x: x(t), y: y(0) + 14, 'text-anchor': 'middle', 'font-size': 10 }, String(t)));
  for (const v of [0, yMax / 2, yMax]) root.append(svg('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end', 'font-size': 10 }, String(+v.toPrecision(3))));
  root.append(svg('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', 'font-size': 11 }, 'distance d (hops)'));
  root.append(svg('text', { x: 10, y: T + (H - T - B) / 2, 'font-size': 11, transform: `rotate(-90 10 ${T + (H - T - B) / 2})`, 'text-anchor': 'middle' }, 'mask M'));
  d.curves.forEach((c, h) => {
    const color = PALETTE[h % PALETTE.length];
    root.append(svg('polyline', { points: c.map((v, k) => `${x(k)},${y(v)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2,
      'stroke-dasharray': DASHES[h % DASHES.length], 'data-head': h }));
    root.append(svg('text', { x: W - R + 8, y: T + 12 + 14 * h, fill: color, 'font-size': 11 }, `head ${h}: hop ${d.hop[h].toFixed(2)}, γ ${d.gamma[h].toFixed(3)}`));
  });
  return root;
}

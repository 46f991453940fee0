/**
 * Live line charts for the page, drawn by uPlot with the report's look
 * (src/report/page.ts: its palette, dashed lines for heads, integer epoch
 * ticks, points on short runs). Each chart's element carries data-chart="<name>"
 * (the browser test finds it) and grows one x value at a time.
 */
import uPlot from 'uplot';
import { el } from './tabs.js';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const DASHES = [[], [10, 5], [3, 4], [12, 4, 3, 4], [6, 6]];
const INT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000];

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(4);
}
const axisValues = (_u: uPlot, splits: number[]) => splits.map((v) => (v === null ? '' : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : String(+v.toPrecision(4))));

export interface LiveChart {
  /** Adds the values of every series at x. */
  push(x: number, ys: number[]): void;
}

/** A chart with the given series (labels), empty until the first `push`; `dashed` for many overlapping lines (heads). */
export function liveChart(parent: HTMLElement, name: string, title: string, xLabel: string, yLabel: string,
  labels: string[], opts: { dashed?: boolean } = {}): LiveChart {
  const card = el('div', 'chart');
  card.dataset.chart = name;
  card.append(el('h3', undefined, title));
  parent.append(card);
  const xs: number[] = [];
  const cols: number[][] = labels.map(() => []);
  const plot = new uPlot({
    width: 310, height: 210,
    series: [{ label: xLabel }, ...labels.map((label, i): uPlot.Series => ({
      label, stroke: PALETTE[i % PALETTE.length], width: 2, value: (_u, v) => fmt(v),
      dash: opts.dashed ? DASHES[i % DASHES.length] : undefined,
      points: { show: true, size: 6, fill: PALETTE[i % PALETTE.length] },
    }))],
    scales: { x: { time: false } },
    axes: [{ label: xLabel, incrs: INT_INCRS, values: axisValues }, { label: yLabel, size: 60, values: axisValues }],
    legend: { live: true },
  }, [xs, ...cols], card);
  return {
    push(x, ys) {
      xs.push(x);
      ys.forEach((y, i) => cols[i].push(y));
      plot.setData([xs, ...cols]);
    },
  };
}

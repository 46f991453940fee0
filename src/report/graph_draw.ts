/**
 * The drawing of a graph with its decay masks and attention per head (d3-force
 * layout in SVG, viridis heat maps on canvases, click a node to colour the graph
 * by the attention it gives), shared by the report and the web page's Predict tab.
 * It is plain ES2017 source text, not a module, because the report inlines it
 * into a page that runs from file:// with d3-force as a global; the web page
 * instantiates the same text with `graphDrawing(d3)` below. Kept free of
 * backticks and template placeholders (it is a template literal).
 */
import type { GraphInspection } from './views.js';

/** The styles of graphView's card (graph, heads, heat maps, buttons, info line). */
export const GRAPH_DRAWING_CSS = String.raw`
.gview { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.gview > .hm { flex: 1 1 560px; min-width: 0; }
.heads { display: flex; flex-wrap: wrap; gap: 10px; }
.head { text-align: center; font-size: 12px; }
.head canvas { image-rendering: pixelated; border: 1px solid #ccd; display: block; margin: 2px auto; }
.head.sel { outline: 2px solid #e4572e; outline-offset: 2px; }
.hbtn { margin: 0 4px 4px 0; padding: 2px 8px; border: 1px solid #aab; background: #fff; border-radius: 4px; cursor: pointer; }
.hbtn.on { background: #1d232a; color: #fff; }
svg.graph circle { cursor: pointer; stroke: #333; stroke-width: 1; }
svg.graph circle.sel { stroke: #e4572e; stroke-width: 3; }
svg.graph line { stroke: #8a94a0; stroke-width: 1.4; }
svg.graph text { font-size: 9px; pointer-events: none; text-anchor: middle; dominant-baseline: central; paint-order: stroke; stroke: #fff; stroke-width: 2px; }
.info { font-size: 12px; min-height: 3em; max-width: 420px; }
.legend { font-size: 12px; color: #5b6570; }
`;

/** Defines `function graphDrawing(d3)` returning { PALETTE, el, svgEl, fmt, viridis, rgb, heatmap, graphView }. */
export const GRAPH_DRAWING_JS = String.raw`
function graphDrawing(d3) {
  'use strict';
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function fmt(x, d) {
    if (x === null || x === undefined || !isFinite(x)) return 'n/a';
    var a = Math.abs(x);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
    return x.toFixed(d === undefined ? 4 : d);
  }
  // Viridis, 9 anchors, linear interpolation.
  var VIR = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
  function viridis(t) {
    t = Math.max(0, Math.min(1, isFinite(t) ? t : 0));
    var x = t * (VIR.length - 1), i = Math.min(VIR.length - 2, Math.floor(x)), f = x - i;
    return [0, 1, 2].map(function (k) { return Math.round(VIR[i][k] + f * (VIR[i + 1][k] - VIR[i][k])); });
  }
  function rgb(c) { return 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')'; }

  /** Heat map of a row-major n x n matrix on a canvas; returns {canvas, redraw(row)}. */
  function heatmap(values, n) {
    var cell = Math.max(3, Math.floor(150 / n)), size = cell * n;
    var c = el('canvas', { width: size, height: size });
    var max = 0;
    for (var k = 0; k < values.length; k++) if (isFinite(values[k])) max = Math.max(max, values[k]);
    function redraw(row) {
      var g = c.getContext('2d');
      for (var i = 0; i < n; i++) for (var j = 0; j < n; j++) {
        g.fillStyle = rgb(viridis(max > 0 ? values[i * n + j] / max : 0));
        g.fillRect(j * cell, i * cell, cell, cell);
      }
      if (row !== null && row !== undefined) {
        g.strokeStyle = '#e4572e'; g.lineWidth = 2;
        g.strokeRect(1, row * cell + 1, size - 2, cell - 2);
      }
    }
    redraw(null);
    return { canvas: c, redraw: redraw, max: max };
  }

  /**
   * A graph drawn with d3-force beside its per-head decay masks and attention heat maps;
   * clicking a node colours every node by the attention it receives from it in the
   * selected head. G: {n, edges, nodeLabel, spd, mask[h], attn[h]}; A: {heads, hop[h]};
   * o: {key (ids and chart names), title, legend, mark(node, name) or null,
   * nodeTitle(i) for a node's tooltip and nodeText(i) for its label, or null}.
   */
  function graphView(parent, G, A, o) {
    var gi = o.key, mark = o.mark || function () {};
    var card = el('div', { class: 'card' });
    parent.appendChild(card);
    card.appendChild(el('h3', { text: o.title }));
    var wrap = el('div', { class: 'gview' });
    card.appendChild(wrap);
    // Force layout, computed synchronously (deterministic: d3-force seeds its own jiggle).
    var W = 340, Hh = 300;
    var nodes = []; for (var i = 0; i < G.n; i++) nodes.push({ id: i });
    var links = G.edges.map(function (e) { return { source: e[0], target: e[1] }; });
    var sim = d3.forceSimulation(nodes).force('link', d3.forceLink(links).distance(28).strength(1))
      .force('charge', d3.forceManyBody().strength(-70)).force('center', d3.forceCenter(0, 0)).stop();
    for (var t = 0; t < 300; t++) sim.tick();
    var xs = nodes.map(function (p) { return p.x; }), ys = nodes.map(function (p) { return p.y; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var pad = 14, sc = Math.min((W - 2 * pad) / Math.max(1, x1 - x0), (Hh - 2 * pad) / Math.max(1, y1 - y0));
    var px = function (p) { return pad + (p.x - x0) * sc; }, py = function (p) { return pad + (p.y - y0) * sc; };
    var svg = svgEl('svg', { class: 'graph', width: W, height: Hh, viewBox: '0 0 ' + W + ' ' + Hh });
    links.forEach(function (l) { svg.appendChild(svgEl('line', { x1: px(l.source), y1: py(l.source), x2: px(l.target), y2: py(l.target) })); });
    var baseFill = function (i) { return G.nodeLabel ? PALETTE[G.nodeLabel[i] % PALETTE.length] : '#9ecae1'; };
    var circles = nodes.map(function (p, i) {
      var c = svgEl('circle', { cx: px(p), cy: py(p), r: 7, fill: baseFill(i), 'data-node': i });
      var tt = svgEl('title', {}); tt.textContent = o.nodeTitle ? o.nodeTitle(i) : 'node ' + i + (G.nodeLabel ? ', label ' + G.nodeLabel[i] : '');
      c.appendChild(tt);
      svg.appendChild(c);
      var tx = svgEl('text', { x: px(p), y: py(p) }); tx.textContent = o.nodeText ? o.nodeText(i) : String(i); svg.appendChild(tx);
      return c;
    });
    var left = el('div', {}, [svg]);
    mark(svg, 'graph-' + gi);
    var info = el('div', { class: 'info', id: 'info-' + gi, text: 'Node colour: node label' + (G.nodeLabel ? ' (category id)' : '') +
      '. Click a node to colour every node by the attention it receives from that node in the selected head.' });
    left.appendChild(info);
    wrap.appendChild(left);
    // Head selector and heat maps.
    var right = el('div', { class: 'hm' });
    wrap.appendChild(right);
    var btns = el('div');
    right.appendChild(el('div', { class: 'legend', text: o.legend +
      ' Heat maps: row = query node i, column = key node j; colour scaled to each map\'s maximum (viridis: dark = 0).' }));
    right.appendChild(btns);
    var heads = el('div', { class: 'heads' });
    right.appendChild(heads);
    var maps = [], boxes = [], sel = { head: 0, node: null };
    for (var h = 0; h < A.heads; h++) {
      var hm = heatmap(G.mask[h], G.n), ha = heatmap(G.attn[h], G.n);
      mark(hm.canvas, 'mask-' + gi + '-' + h); mark(ha.canvas, 'attn-' + gi + '-' + h);
      var box = el('div', { class: 'head' + (h === 0 ? ' sel' : '') }, [
        el('div', { text: 'head ' + h + ' (hop ' + fmt(A.hop[h], 2) + ')' }),
        el('div', { text: 'decay mask, max ' + fmt(hm.max, 3) }), hm.canvas,
        el('div', { text: 'attention, max ' + fmt(ha.max, 3) }), ha.canvas,
      ]);
      heads.appendChild(box);
      maps.push([hm, ha]); boxes.push(box);
      (function (hh) {
        var b = el('button', { class: 'hbtn' + (hh === 0 ? ' on' : ''), text: 'head ' + hh });
        b.addEventListener('click', function () { sel.head = hh; update(); });
        btns.appendChild(b);
      })(h);
    }
    function update() {
      Array.prototype.forEach.call(btns.children, function (b, k) { b.className = 'hbtn' + (k === sel.head ? ' on' : ''); });
      boxes.forEach(function (b, k) { b.className = 'head' + (k === sel.head ? ' sel' : ''); });
      maps.forEach(function (m) { m[0].redraw(sel.node); m[1].redraw(sel.node); });
      if (sel.node === null) {
        circles.forEach(function (c, k) { c.setAttribute('fill', baseFill(k)); c.setAttribute('class', ''); });
        return;
      }
      var i = sel.node, row = G.attn[sel.head].slice(i * G.n, (i + 1) * G.n);
      var mx = Math.max.apply(null, row), mn = Math.min.apply(null, row);
      // Min-max scaling: a nearly uniform row (an untrained head) still shows its structure; the range is printed.
      circles.forEach(function (c, k) {
        c.setAttribute('fill', rgb(viridis(mx > mn ? (row[k] - mn) / (mx - mn) : 1)));
        c.setAttribute('class', k === i ? 'sel' : '');
      });
      var order = row.map(function (v, k) { return [v, k]; }).sort(function (a, b) { return b[0] - a[0]; }).slice(0, 5);
      info.textContent = 'Node ' + i + ', head ' + sel.head + ' attends most to: ' + order.map(function (o) {
        var d = G.spd[i * G.n + o[1]];
        return 'node ' + o[1] + ' (' + fmt(o[0], 3) + ', distance ' + (d >= 510 ? 'unreachable' : d) + ', mask ' + fmt(G.mask[sel.head][i * G.n + o[1]], 3) + ')';
      }).join('; ') + '. Node colour: attention weight from node ' + i + ', viridis from ' + fmt(mn, 3) + ' (dark) to ' + fmt(mx, 3) +
        ' (yellow); uniform would be ' + fmt(1 / G.n, 3) + '. Click it again to reset.';
    }
    circles.forEach(function (c, k) {
      c.addEventListener('click', function () { sel.node = sel.node === k ? null : k; update(); });
    });
    return card;
  }
  return { PALETTE: PALETTE, el: el, svgEl: svgEl, fmt: fmt, viridis: viridis, rgb: rgb, heatmap: heatmap, graphView: graphView };
}
`;

/** One graph as graphView draws it: matrices of one layer. */
export interface DrawnGraph extends Pick<GraphInspection, 'n' | 'edges' | 'nodeLabel'> {
  spd: ArrayLike<number>;
  /** Decay mask per head [H][n * n]. */
  mask: ArrayLike<number>[];
  /** Attention of the shown layer per head [H][n * n]. */
  attn: ArrayLike<number>[];
}

export interface GraphViewOptions {
  /** Distinguishes the ids (info-KEY) and chart names (graph-KEY, mask-KEY-h, attn-KEY-h) of several views on one page. */
  key: string | number;
  title: string;
  /** Says what the heat maps show (layer, checkpoint); the colour legend follows it. */
  legend: string;
  /** Called with each drawn chart element and its name. */
  mark?: ((node: Element, name: string) => void) | null;
  /** A node's tooltip (default: node i and its label). */
  nodeTitle?: ((i: number) => string) | null;
  /** The text on a node (default: its index). */
  nodeText?: ((i: number) => string) | null;
}

/** What graphDrawing returns. */
export interface GraphDrawing {
  fmt(x: number | null | undefined, digits?: number): string;
  viridis(t: number): [number, number, number];
  rgb(c: readonly number[]): string;
  /** Draws into `parent` and returns the card. */
  graphView(parent: HTMLElement, g: DrawnGraph, a: { heads: number; hop: readonly number[] }, o: GraphViewOptions): HTMLElement;
}

/** The d3-force functions the layout uses. */
export interface D3Force {
  forceSimulation: unknown; forceLink: unknown; forceManyBody: unknown; forceCenter: unknown;
}

/** The drawing functions on the given d3-force (in a browser: the page passes the bundled `d3-force`). */
export function graphDrawing(d3: D3Force): GraphDrawing {
  // The same source text the report inlines, so both draw with the same code.
  return new Function('d3', `${GRAPH_DRAWING_JS}\nreturn graphDrawing(d3);`)(d3) as GraphDrawing;
}

/**
 * The report page's stylesheet and browser script (plain ES2017, no modules:
 * it runs from file:// after the inlined uPlot and d3-force bundles). The graph
 * views are drawn by graph_draw.ts's code, shared with the web page.
 * The script reads the JSON in #report-data and draws every panel; it marks
 * each drawn chart with data-chart="<name>" and sets body[data-ready] when done
 * (the browser test waits for it). Kept free of backticks and template
 * placeholders because it is embedded as a template literal.
 */
import { GRAPH_DRAWING_CSS, GRAPH_DRAWING_JS } from './graph_draw.js';

export const PAGE_CSS = GRAPH_DRAWING_CSS + String.raw`
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
main { max-width: 1280px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d5d9de; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
.sub { color: #5b6570; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 10px 12px; }
.chart { min-height: 40px; }
table { border-collapse: collapse; background: #fff; }
table.claim-paired { margin-top: 10px; }
td, th { border: 1px solid #dde1e6; padding: 3px 8px; text-align: left; font-variant-numeric: tabular-nums; }
th { background: #eef1f4; }
pre { background: #fff; border: 1px solid #dde1e6; padding: 8px; overflow: auto; max-height: 420px; font-size: 12px; }
.note { color: #8a5a00; }
`;

export const PAGE_JS = GRAPH_DRAWING_JS + String.raw`
(function () {
  'use strict';
  var R = JSON.parse(document.getElementById('report-data').textContent);
  var GD = graphDrawing(d3);
  var PALETTE = GD.PALETTE, el = GD.el, svgEl = GD.svgEl, fmt = GD.fmt;
  var app = document.getElementById('app');
  var drawn = [];

  function section(title, sub) {
    var s = el('section', {}, [el('h2', { text: title })]);
    if (sub) s.appendChild(el('p', { class: 'sub', text: sub }));
    app.appendChild(s);
    return s;
  }
  function mark(node, name) { node.setAttribute('data-chart', name); drawn.push(name); }
  function table(header, rows) {
    var t = el('table');
    t.appendChild(el('tr', {}, header.map(function (h) { return el('th', { text: String(h) }); })));
    rows.forEach(function (r) { t.appendChild(el('tr', {}, r.map(function (c) { return el('td', { text: String(c) }); }))); });
    return t;
  }

  // Integer steps for epoch / distance / run axes (uPlot would otherwise tick at 1.25, 1.5, ...).
  var DASHES = [[], [10, 5], [3, 4], [12, 4, 3, 4], [6, 6]];
  var INT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000];
  function axisValues(u, splits) {
    return splits.map(function (v) { return v === null ? '' : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : String(+v.toPrecision(4)); });
  }

  /** A line chart with uPlot: xs, list of {label, values, color, points}. */
  function lineChart(parent, name, title, xLabel, yLabel, xs, series, opts) {
    opts = opts || {};
    var card = el('div', { class: 'card chart' });
    parent.appendChild(card);
    var width = Math.max(320, Math.min(600, card.clientWidth - 24 || 580));
    var s = [{ label: xLabel }].concat(series.map(function (q, i) {
      var c = q.color || PALETTE[i % PALETTE.length];
      var o = { label: q.label, stroke: c, width: 2, spanGaps: true, value: function (u, v) { return fmt(v); } };
      // Heads often overlap (same hop): dashes keep every line visible.
      if (opts.dashed) o.dash = DASHES[i % DASHES.length];
      if (q.pointsOnly) { o.paths = function () { return null; }; o.points = { show: true, size: 9, fill: c, stroke: c }; }
      // Short runs (even a single epoch) must still show their values: draw the points.
      else if (xs.length <= 30) o.points = { show: true, size: 7, fill: c, stroke: c };
      return o;
    }));
    var data = [xs].concat(series.map(function (q) { return q.values; }));
    new uPlot({
      title: title, width: width, height: opts.height || 230, series: s,
      scales: { x: { time: false }, y: opts.yRange ? { range: opts.yRange } : {} },
      axes: [
        { label: xLabel, incrs: opts.realX ? undefined : INT_INCRS, values: axisValues },
        { label: yLabel, size: 64, values: axisValues },
      ],
      legend: { live: true },
    }, data, card);
    mark(card, name);
    return card;
  }

  function header() {
    var r = R.run;
    var bits = ['source ' + R.source, 'generated ' + R.generated];
    if (r && r.bestEpoch !== null) {
      var f = r.final;
      var be = r.epochs.filter(function (e) { return e.epoch === r.bestEpoch; })[0] || {};
      bits.unshift('best epoch ' + r.bestEpoch + ' of ' + r.epochs.length + ': val ' + r.metric + ' ' + fmt(f ? f.val : be.val) +
        ', test ' + r.metric + ' ' + fmt(f ? f.test : be.test) + (f ? '' : ' (run not finished)'));
    }
    app.appendChild(el('p', { class: 'sub', text: bits.join(' | ') }));
  }

  function experiment() {
    var X = R.experiment;
    if (!X) return;
    var s = section('Experiment results', X.runs.length + ' runs. Mean +- std (population std, as np.std) of the validation and test metric at each run\'s best validation epoch.');
    // Several experiment folders: one row per folder (never one mean over different settings).
    var byFolder = X.stats.some(function (g) { return g.folder !== ''; });
    s.appendChild(table((byFolder ? ['folder'] : []).concat(['dataset', 'metric', 'runs', 'val mean +- std', 'test mean +- std']), X.stats.map(function (g) {
      return (byFolder ? [g.folder] : []).concat([g.dataset, g.metric, g.runs, fmt(g.val.mean) + ' +- ' + fmt(g.val.std), fmt(g.test.mean) + ' +- ' + fmt(g.test.std)]);
    })));
    X.tables.forEach(function (t) {
      s.appendChild(el('h3', { text: 'Results table written by the experiment (' + t.file + ')' }));
      s.appendChild(table(t.header, t.rows.map(function (r) {
        return r.map(function (c) { var v = Number(c); return c !== '' && isFinite(v) && !Number.isInteger(v) ? String(+v.toPrecision(5)) : c; });
      })));
    });
    var grid = el('div', { class: 'grid' });
    s.appendChild(el('h3', { text: 'Spread over seeds' }));
    s.appendChild(grid);
    X.stats.forEach(function (g, gi) {
      var runs = X.runs.filter(function (r) { return r.folder === g.folder && r.dataset === g.dataset && r.metric === g.metric; });
      var xs = runs.map(function (_, i) { return i + 1; });
      lineChart(grid, 'spread-' + gi, (g.folder ? g.folder + ', ' : '') + g.dataset + ': ' + g.metric + ' per run (x: run number in folder order)', 'run', g.metric, xs, [
        { label: 'test', values: runs.map(function (r) { return r.test; }), pointsOnly: true },
        { label: 'val', values: runs.map(function (r) { return r.val; }), pointsOnly: true },
      ]);
    });
    s.appendChild(el('h3', { text: 'Runs' }));
    s.appendChild(table(['run', 'dataset', 'seed', 'fold', 'best epoch', 'epochs', 'val', 'test'], X.runs.map(function (r) {
      return [r.name, r.dataset, r.seed === null ? '' : r.seed, r.fold === null ? '' : r.fold, r.bestEpoch, r.epochs + (r.finished ? '' : ' (unfinished)'), fmt(r.val), fmt(r.test)];
    })));
    if (X.detailed) s.appendChild(el('p', { class: 'sub', text: 'The panels below show run ' + X.detailed + ' (choose another with --run NAME).' }));
  }

  /**
   * One claim plot (depth or training fraction on x): per series the mean of its runs
   * with +- std error bars, the paper's points as hollow markers in the series' colour.
   */
  function claimChart(parent, P, pi) {
    var card = el('div', { class: 'card chart' });
    parent.appendChild(card);
    var xs = [];
    P.series.forEach(function (S) { S.points.forEach(function (p) { if (xs.indexOf(p.x) < 0) xs.push(p.x); }); });
    P.paper.forEach(function (p) { if (xs.indexOf(p.x) < 0) xs.push(p.x); });
    xs.sort(function (a, b) { return a - b; });
    var colour = {}, models = [];
    P.series.forEach(function (S, i) { colour[S.label] = PALETTE[i % PALETTE.length]; if (!(S.model in colour)) colour[S.model] = colour[S.label]; });
    var at = function (pts, x, k) { var q = pts.filter(function (p) { return p.x === x; })[0]; return q ? q[k] : null; };
    var series = [{ label: P.xLabel }], data = [xs], errs = [null], lo = Infinity, hi = -Infinity;
    P.series.forEach(function (S) {
      var c = colour[S.label];
      series.push({ label: S.label + ' (mean +- std)', stroke: c, width: 2, spanGaps: true, points: { show: true, size: 8, fill: c, stroke: c },
        value: function (u, v) { return fmt(v, 2); } });
      data.push(xs.map(function (x) { return at(S.points, x, 'mean'); }));
      errs.push(xs.map(function (x) { return at(S.points, x, 'std'); }));
      S.points.forEach(function (p) { lo = Math.min(lo, p.mean - p.std); hi = Math.max(hi, p.mean + p.std); });
    });
    P.paper.forEach(function (p) { if (models.indexOf(p.model) < 0) models.push(p.model); lo = Math.min(lo, p.y); hi = Math.max(hi, p.y); });
    models.forEach(function (m) {
      var c = colour[m] || '#444';
      series.push({ label: 'paper: ' + m, stroke: c, width: 2, paths: function () { return null; }, points: { show: true, size: 12, width: 2, fill: '#fff', stroke: c },
        value: function (u, v) { return fmt(v, 2); } });
      data.push(xs.map(function (x) { var q = P.paper.filter(function (p) { return p.model === m && p.x === x; })[0]; return q ? q.y : null; }));
      errs.push(null);
    });
    var pad = Math.max(0.5, (hi - lo) * 0.1);
    var frac = P.kind === 'fraction';
    // Error bars: mean +- std of each point, drawn after the series.
    var bars = function (u) {
      var g = u.ctx, px = uPlot.pxRatio || 1;
      g.save();
      g.lineWidth = 1.5 * px;
      errs.forEach(function (e, si) {
        if (!e || !u.series[si].show) return;
        g.strokeStyle = u.series[si].stroke();
        e.forEach(function (sd, j) {
          var m = data[si][j];
          if (m === null || sd === null) return;
          var x = u.valToPos(xs[j], 'x', true), y0 = u.valToPos(m - sd, 'y', true), y1 = u.valToPos(m + sd, 'y', true);
          g.beginPath(); g.moveTo(x, y0); g.lineTo(x, y1);
          g.moveTo(x - 5 * px, y0); g.lineTo(x + 5 * px, y0); g.moveTo(x - 5 * px, y1); g.lineTo(x + 5 * px, y1);
          g.stroke();
        });
      });
      g.restore();
    };
    // The instance stays on its card so the browser test can read the tick labels uPlot drew.
    card.__plot = new uPlot({
      title: P.title, width: Math.max(320, Math.min(600, card.clientWidth - 24 || 580)), height: 300, series: series,
      scales: { x: frac ? { time: false, distr: 3, log: 10 } : { time: false }, y: { range: [lo - pad, hi + pad] } },
      axes: [
        // Every measured x gets its tick: uPlot's default filter would blank the ones off its
        // own increment (5 % on a 10 % step), and a blank tick must not read as 0.
        { label: P.xLabel, splits: function () { return xs; }, filter: function (u, v) { return v; },
          values: function (u, v) { return v.map(function (x) { return x === null ? '' : frac ? (+(x * 100).toPrecision(3)) + ' %' : String(x); }); } },
        { label: P.yLabel, size: 64, values: axisValues },
      ],
      hooks: { draw: [bars] },
      legend: { live: true },
    }, data, card);
    mark(card, 'claim-' + pi);
    var rows = [];
    P.series.forEach(function (S) {
      S.points.forEach(function (p) {
        var paper = P.paper.filter(function (q) { return q.model === S.model && q.x === p.x; })[0];
        rows.push([S.label, frac ? (+(p.x * 100).toPrecision(3)) + ' %' : p.x, p.n, fmt(p.mean, 2), fmt(p.std, 2), paper ? fmt(paper.y, 2) : '']);
      });
    });
    var t = table(['series', P.xLabel, 'runs', 'mean', 'std', 'paper'], rows);
    t.setAttribute('class', 'claim-points');
    card.appendChild(t);
    if (P.paired.length > 0) {
      var pt = table(['Gradformer - GraphGPS, paired by seed', P.xLabel, 'seeds', 'mean', 'std', 'wins / ties / losses'], P.paired.map(function (d) {
        return [d.label || 'all', frac ? (+(d.x * 100).toPrecision(3)) + ' %' : d.x, d.n, (d.mean >= 0 ? '+' : '') + fmt(d.mean, 2), fmt(d.std, 2), d.wins + ' / ' + d.ties + ' / ' + d.losses];
      }));
      pt.setAttribute('class', 'claim-paired');
      card.appendChild(pt);
    }
    card.appendChild(el('p', { class: 'legend', text: P.note }));
  }

  function claims() {
    var X = R.experiment;
    if (!X || !X.claims || X.claims.length === 0) return;
    var s = section('The paper\'s claims: depth and scarce data',
      'Test metric at each run\'s best validation epoch (as results.md). Filled points: mean over the runs of a model at that x; error bars: +- population std (np.std); ' +
      'GraphGPS = the same model with the decay off (--no-decay). Hollow markers: the figures published in the Gradformer paper.');
    var grid = el('div', { class: 'grid' });
    s.appendChild(grid);
    X.claims.forEach(function (P, pi) { claimChart(grid, P, pi); });
  }

  function curves() {
    var r = R.run;
    if (!r || r.epochs.length === 0) return;
    var ep = r.epochs.map(function (e) { return e.epoch; });
    var col = function (k) { return r.epochs.map(function (e) { var v = e[k]; return v === undefined ? null : v; }); };
    var s = section('Training curves', 'Per epoch, from log.jsonl. Best validation epoch: ' + r.bestEpoch + '.');
    var grid = el('div', { class: 'grid' });
    s.appendChild(grid);
    lineChart(grid, 'train-loss', 'Training loss', 'epoch', 'loss', ep, [{ label: 'train loss', values: col('train_loss') }]);
    lineChart(grid, 'metric', 'Validation and test ' + r.metric + (r.higherIsBetter ? ' (higher is better)' : ' (lower is better)'), 'epoch', r.metric, ep,
      [{ label: 'val', values: col('val') }, { label: 'test', values: col('test') }]);
    lineChart(grid, 'lr', 'Learning rate', 'epoch', 'lr', ep, [{ label: 'lr', values: col('lr') }]);
    lineChart(grid, 'epoch-time', 'Time per epoch', 'epoch', 'seconds', ep,
      [{ label: 'training s', values: col('epoch_seconds') }, { label: 'evaluation s', values: col('eval_seconds') }]);
  }

  function hopAndDecay() {
    var r = R.run;
    if (!r) return;
    var s = section('Learned hop per head and the resulting decay',
      'Each head h multiplies its attention scores by M_h(i,j) = gamma ** leaky_relu(d(i,j) - hop_h, slope), d = shortest-path distance. ' +
      'A larger hop_h lets the head reach further before the decay starts.');
    var grid = el('div', { class: 'grid' });
    s.appendChild(grid);
    if (r.hop.perHead.length > 0) {
      lineChart(grid, 'hop', 'hop_h per head over the epochs', 'epoch', 'hop', r.hop.epochs,
        r.hop.perHead.map(function (v, h) { return { label: 'head ' + h, values: v }; }), { dashed: true });
    } else {
      s.appendChild(el('p', { class: 'note', text: 'log.jsonl records no hop values (a log from before hop was logged).' }));
    }
    if (r.decay) {
      var D = r.decay, ds = [];
      for (var d = 0; d <= D.dMax; d++) ds.push(d);
      lineChart(grid, 'decay', 'Decay M vs distance at the best epoch (' + D.epoch + '), slope ' + D.slope, 'distance d', 'M',
        ds, D.curves.map(function (c, h) { return { label: 'head ' + h + ' (hop ' + fmt(D.hop[h], 2) + ', gamma ' + fmt(D.gamma[h], 3) + ')', values: c }; }), { dashed: true });
    }
  }

  function graphView(parent, G, gi, A) {
    var cls = G.y.length === 1 ? G.y[0] : JSON.stringify(G.y);
    GD.graphView(parent, G, A, {
      key: gi, mark: mark,
      title: 'Validation graph ' + G.valPos + ' (dataset index ' + G.index + '): ' + G.n + ' nodes, ' + G.edges.length +
        ' edges, target ' + cls + ', model output [' + G.out.map(function (v) { return fmt(v, 3); }).join(', ') + ']',
      legend: 'Layer ' + A.layer + ' of ' + A.numLayers + ' (0-based), best checkpoint (epoch ' + A.epoch + ').',
    });
  }

  function attention() {
    var r = R.run;
    if (!r) return;
    var A = r.attention;
    var s = section('Attention on validation graphs', A ? ('Computed from the best checkpoint (' + A.checkpoint + ', epoch ' + A.epoch +
      ') when this report was made; graphs chosen with --graphs, layer with --layer.') : null);
    if (!A) { s.appendChild(el('p', { class: 'note', text: r.attentionNote || 'no attention data' })); return; }
    A.graphs.forEach(function (G, gi) { graphView(s, G, gi, A); });
  }

  function record() {
    var s = section('Configuration and environment');
    if (R.run && R.run.config) s.appendChild(el('pre', { text: JSON.stringify(R.run.config, null, 2) }));
    else s.appendChild(el('p', { class: 'note', text: 'the run folder holds no config.json' }));
    var keys = {}, rec = R.env.recorded || {}, rep = R.env.report;
    Object.keys(rec).concat(Object.keys(rep)).forEach(function (k) { keys[k] = true; });
    s.appendChild(table(['key', 'recorded by the run', 'this report was made with'], Object.keys(keys).map(function (k) {
      return [k, k in rec ? rec[k] : (R.env.recorded ? '' : '(not recorded)'), k in rep ? rep[k] : ''];
    })));
  }

  try {
    var loading = document.getElementById('loading');
    if (loading) loading.remove();
    header();
    claims();
    experiment();
    curves();
    hopAndDecay();
    attention();
    record();
    window.__reportCharts = drawn;
    document.body.setAttribute('data-ready', '1');
  } catch (e) {
    console.error('report page: ' + (e && e.stack ? e.stack : e));
    document.body.setAttribute('data-ready', 'error');
    throw e;
  }
})();
`;

/**
 * The kernel interface: every numeric loop of gradformer, on raw typed arrays.
 *
 * Two implementations exist and must agree: `kernels_ts.ts` (plain TypeScript,
 * the reference and the fallback) and `kernels_native.ts` (C behind Node-API,
 * `native/`). The autograd layer (`ops.ts`) only ever calls this interface.
 *
 * Conventions
 * - Row-major. Float tensors are Float32Array, index arrays Int32Array.
 * - Output arrays are passed in and fully written (or accumulated into, where a
 *   function says "+="). Inputs and outputs never alias unless a function says so.
 * - Sizes are passed explicitly; every implementation validates that array
 *   lengths match the sizes and that every index is in range BEFORE touching
 *   memory, and throws `Error("<kernel>: <what> (<shapes>)")` otherwise.
 * - "Accumulate" gradients: backward kernels ADD into their gradient outputs
 *   (pass `null` for a gradient that is not needed).
 */
export type F32 = Float32Array;
export type I32 = Int32Array;

/** Element-wise binary ops. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
/**
 * How `b` is laid out relative to `a` ([rows, cols]):
 * - 'full':   b is [rows, cols]
 * - 'row':    b is [cols], the same row added to every row of a (bias)
 * - 'col':    b is [rows], one value per row broadcast along the columns
 * - 'scalar': b is [1]
 */
export type Broadcast = 'full' | 'row' | 'col' | 'scalar';

/** Element-wise unary ops. `p` is the op's scalar parameter where it has one. */
export type UnaryOp =
  | 'relu'        // max(x, 0); d/dx = x > 0 ? 1 : 0 (relu'(0) = 0, as PyTorch)
  | 'leaky_relu'  // x > 0 ? x : p*x; d/dx = x > 0 ? 1 : p (leaky'(0) = p, as PyTorch)
  | 'sigmoid'     // 1/(1+exp(-x)); d/dx = y(1-y)
  | 'exp'         // exp(x); d/dx = y
  | 'log'         // log(x); d/dx = 1/x
  | 'pow_base'    // p ** x (scalar base p > 0); d/dx = y*ln(p)
  | 'scale'       // p * x; d/dx = p
  | 'add_scalar'; // x + p; d/dx = 1

export type SegmentOp = 'sum' | 'mean' | 'max';

/**
 * Every numeric loop of gradformer on raw typed arrays, row-major, outputs passed in
 * (backward kernels add into their gradient outputs). One implementation per backend
 * (TypeScript reference, native C, WebAssembly), which must agree; each checks sizes
 * and indices before touching memory and throws `<kernel>: <what> (<shapes>)`.
 */
export interface Kernels {
  /** Which backend this is. */
  readonly name: 'native' | 'ts' | 'wasm';
  /** Worker threads used by the parallel kernels (>= 1). */
  setThreads(n: number): void;
  /** Worker threads in use (>= 1). */
  getThreads(): number;
  /**
   * x[:] = 0 with the backend's threads, each zeroing the rows the row-split kernels give
   * it (native only; the host pool uses x.fill(0) where it is absent). Not a table kernel:
   * device buffers are zeroed by their device.
   */
  zeroFill?(x: Float32Array): void;

  // ---------------------------------------------------------------- dense
  /**
   * C[m,n] = op(A) op(B)  (or C += ... when `accumulate`).
   * op(A) is [m,k]: A stored [m,k], or [k,m] when transA.
   * op(B) is [k,n]: B stored [k,n], or [n,k] when transB.
   * Any of m, k, n may be 0 (k = 0 gives zeros / leaves C unchanged when accumulating).
   * `bias` [n] (optional) is added to every row of the result, after the product:
   * the same float32 sum as a separate `binary('add', ..., 'row')`, without the
   * second pass over C (linear layers).
   * `residual` [m, n] (optional, not aliasing C) is added next, element by element: the
   * float32 sum of a separate `binary('add', ..., 'full')` (a residual connection).
   * `relu` (optional, default false) stores relu(result) instead, last: the values of
   * a separate `unary('relu', ...)` over C, without its pass (Linear + ReLU).
   */
  matmul(a: F32, b: F32, c: F32, m: number, k: number, n: number,
    transA: boolean, transB: boolean, accumulate: boolean, bias?: F32 | null, relu?: boolean, residual?: F32 | null): void;

  // ---------------------------------------------------------- element-wise
  /** out = a (op) b with `b` broadcast as `bc`; a and out are [rows, cols]. out may alias a. */
  binary(op: BinaryOp, a: F32, b: F32, out: F32, rows: number, cols: number, bc: Broadcast): void;
  /**
   * Backward of `binary` given upstream g [rows, cols]:
   * ga += dL/da (shape of a), gb += dL/db reduced to b's broadcast shape.
   * add: ga=g, gb=g; sub: ga=g, gb=-g; mul: ga=g*b, gb=g*a; div: ga=g/b, gb=-g*a/b^2.
   */
  binaryBackward(op: BinaryOp, a: F32, b: F32, g: F32, ga: F32 | null, gb: F32 | null,
    rows: number, cols: number, bc: Broadcast): void;
  /** out[i] = f(x[i]; p). out may alias x. */
  unary(op: UnaryOp, x: F32, out: F32, p: number): void;
  /**
   * gx[i] += g[i] * f'(x[i]) using x and/or the forward output y (both given).
   * For 'pow_base' also returns sum_i g[i] * x[i] * y[i] / p = dL/dp (0 for other ops).
   */
  unaryBackward(op: UnaryOp, x: F32, y: F32, g: F32, gx: F32 | null, p: number): number;
  /**
   * A ReLU's backward and the bias gradient below it in one pass over [rows, cols]:
   * gz[i] = 0 + (y[i] > 0 ? g[i] : 0) (written: the bits of unaryBackward('relu', y, y, g,
   * gz) into zeros), then gb[c] += the column sums of gz (optional: the bits of
   * binaryBackward('add', ..., gz, null, gb, rows, cols, 'row'), in double, rows in order).
   */
  reluBackwardBias(y: F32, g: F32, gz: F32, rows: number, cols: number, gb: F32 | null): void;

  // ------------------------------------------------------------ reductions
  /** axis 0: out[cols] = sum over rows; axis 1: out[rows] = sum over cols. */
  sumAxis(x: F32, out: F32, rows: number, cols: number, axis: 0 | 1): void;
  /** sum of squares of all elements, accumulated in double (for grad-norm clipping). */
  sumSquares(x: F32): number;

  // ---------------------------------------------------------- row softmax
  /** Row-wise softmax (or log-softmax) of x [rows, cols], numerically stable. */
  softmax(x: F32, out: F32, rows: number, cols: number, log: boolean): void;
  /** gx += backward of softmax/log_softmax from its output y and upstream g. */
  softmaxBackward(y: F32, g: F32, gx: F32, rows: number, cols: number, log: boolean): void;

  // ---------------------------------------------------------------- losses
  /**
   * Cross-entropy of logits [rows, cols] against integer targets [rows], PyTorch
   * semantics: with class weights w [cols], loss = sum_i w[t_i] * nll_i / sum_i w[t_i];
   * without, the plain mean. Returns the loss and writes dL/dlogits into grad
   * (overwritten, already divided by the normaliser; multiply by upstream later).
   */
  crossEntropy(logits: F32, target: I32, weight: F32 | null, grad: F32, rows: number, cols: number): number;
  /**
   * BCE-with-logits, mean over elements whose mask is 1 (mask null = all), PyTorch's
   * numerically stable form. target is float {0,1}. grad overwritten with dL/dlogits.
   * With an all-zero mask the loss is 0 and the gradient 0.
   */
  bceWithLogits(logits: F32, target: F32, mask: Uint8Array | null, grad: F32): number;
  /** L1: mean |x - y|; grad overwritten with sign(x - y)/n (sign(0) = 0, as PyTorch). */
  l1(x: F32, y: F32, grad: F32): number;

  // ------------------------------------------------------- gather/scatter
  /** out[r, :] = x[idx[r], :] for r < idx.length; x is [xRows, cols]. */
  gatherRows(x: F32, idx: I32, out: F32, xRows: number, cols: number): void;
  /** out[idx[r], :] += src[r, :]; out is [outRows, cols]. Deterministic order. */
  scatterAddRows(src: F32, idx: I32, out: F32, outRows: number, cols: number): void;

  /** out[:, off:off+srcCols] = src; out is [rows, outCols] (concat along columns). */
  copyCols(src: F32, out: F32, rows: number, srcCols: number, outCols: number, off: number): void;
  /** out += src[:, off:off+outCols]; src is [rows, srcCols] (backward of copyCols). */
  addSliceCols(src: F32, out: F32, rows: number, srcCols: number, outCols: number, off: number): void;

  // -------------------------------------------------------------- segments
  /**
   * Segment reduction over sorted segments: ptr [S+1], rows ptr[s]..ptr[s+1]-1 of
   * x [ptr[S], cols] reduce into out[s, :]. Empty segments give 0 (sum, mean, max).
   * For 'max', argmax [S*cols] receives the winning row (-1 for an empty segment).
   */
  segmentReduce(op: SegmentOp, x: F32, ptr: I32, out: F32, cols: number, argmax: I32 | null): void;
  /** gx += backward of segmentReduce from upstream g [S, cols]. */
  segmentReduceBackward(op: SegmentOp, g: F32, ptr: I32, gx: F32, cols: number, argmax: I32 | null): void;

  // ------------------------------------------------------------ batch norm
  /**
   * BatchNorm1d over x [rows, cols] (normalise each column), PyTorch semantics.
   * training: batch mean and biased variance normalise; runningMean/Var (if given)
   *   updated with momentum: r = (1-m) r + m * stat, using the UNBIASED variance
   *   (rows/(rows-1) * biased; for rows == 1 the unbiased variance is NaN as in PyTorch,
   *   and normalisation still uses the biased one).
   * eval: normalise with runningMean/runningVar.
   * saveMean/saveInvStd [cols] receive the mean and 1/sqrt(var+eps) used.
   * weight/bias may be null (affine off).
   * `addend` [rows, cols] (optional, not aliasing out) is added to each normalised value
   * once it is rounded to float32: the float32 sum of a separate `binary('add', ..., 'full')`
   * after the normalisation (two branches summed, h = local + global).
   */
  batchNorm(x: F32, out: F32, rows: number, cols: number,
    weight: F32 | null, bias: F32 | null,
    runningMean: F32 | null, runningVar: F32 | null,
    training: boolean, momentum: number, eps: number,
    saveMean: F32, saveInvStd: F32, addend?: F32 | null): void;
  /**
   * Backward of batchNorm given x, upstream g and the saved mean/invstd:
   * gx += dL/dx (training: through the batch statistics; eval: g*w*invstd),
   * gw += sum g * xhat, gb += sum g.
   */
  batchNormBackward(x: F32, g: F32, rows: number, cols: number,
    weight: F32 | null, saveMean: F32, saveInvStd: F32, training: boolean,
    gx: F32 | null, gw: F32 | null, gb: F32 | null): void;

  // ------------------------------------------------------ ragged attention
  /**
   * Fused ragged masked multi-head attention for graphs packed back to back.
   * q, k, v, out: [N, H, dk] where N = graphPtr[B]; graph b owns rows
   * graphPtr[b]..graphPtr[b+1]-1. mask: per graph a block [H, n_b, n_b]
   * (row i = query, column j = key), blocks in graph order, total H*sum(n_b^2).
   *   s_hij = (q_hi . k_hj) * scale * M_hij
   *   P_hij = softmax_j(s_hij)                     (within the graph)
   *   out_hi = sum_j P_hij * drop_hij * v_hj
   * drop (same layout as mask, or null): multiplicative attention-dropout factors
   * (0 or 1/(1-p)). probs receives P (before dropout), same layout as mask.
   */
  attentionForward(q: F32, k: F32, v: F32, mask: F32, graphPtr: I32,
    H: number, dk: number, scale: number, drop: F32 | null,
    out: F32, probs: F32): void;
  /**
   * Backward of attentionForward from upstream gOut [N, H, dk] and the saved probs:
   * gq, gk, gv ([N, H, dk]) and gMask (mask layout) are accumulated (+=); any may be null.
   */
  attentionBackward(q: F32, k: F32, v: F32, mask: F32, graphPtr: I32,
    H: number, dk: number, scale: number, drop: F32 | null, probs: F32, gOut: F32,
    gq: F32 | null, gk: F32 | null, gv: F32 | null, gMask: F32 | null): void;

  // ------------------------------------------------------------ optimisers
  /**
   * One Adam/AdamW step on a parameter p with gradient g and moments m, v (in place),
   * PyTorch semantics (torch.optim.Adam/AdamW, amsgrad off). step is the 1-based step.
   *   decoupled=false (Adam):  g' = g + wd*p
   *   decoupled=true  (AdamW): p *= 1 - lr*wd, g' = g
   *   m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2
   *   p -= lr/(1-b1^step) * m / (sqrt(v)/sqrt(1-b2^step) + eps)
   */
  adamStep(p: F32, g: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, step: number, decoupled: boolean): void;
  /**
   * SGD step, PyTorch semantics: g' = g + wd*p; with momentum mu (buf given):
   * buf = firstStep ? g' : mu*buf + (1-dampening)*g'; g' = nesterov ? g' + mu*buf : buf;
   * p -= lr*g'.
   */
  sgdStep(p: F32, g: F32, buf: F32 | null, lr: number, momentum: number, dampening: number,
    weightDecay: number, nesterov: boolean, firstStep: boolean): void;

  // ---------------------------------------------------------------- random
  /**
   * Dropout-style mask from the project's generator (xoshiro128**, src/util/rng.ts):
   * for each i, u = the next Rng.nextFloat() drawn from `state` [4] (uint32 words,
   * advanced in place), out[i] = (below ? u < threshold : u >= threshold) ? keep : 0.
   * Same values, and same final state, as the JS loop over Rng.nextFloat().
   */
  uniformMask(state: Uint32Array, out: F32, threshold: number, keep: number, below: boolean): void;

  // ------------------------------------------------------------ decay mask
  /**
   * Layout of the fused decay mask: graph b's packed distance block [n_b, n_b]
   * is spd[spdPtr[b] .. spdPtr[b+1]) (spdPtr [B+1], spdPtr[B] = spd.length); the
   * output has per graph a block [H, n_b, n_b] (blocks in graph order, total
   * H * spd.length): out[.., h, i, j] = table[h * D + spd(i, j)], table [H, D].
   * Every distance must be < D.
   */
  decayMask(spd: Uint16Array, spdPtr: I32, H: number, table: F32, D: number, out: F32): void;
  /**
   * Backward of decayMask: sums[h * D + d] += sum of g over the entries of head h
   * whose distance is d (g in the output layout of decayMask; sums [H, D] float64,
   * each bucket accumulated in entry order).
   */
  decayMaskBackward(spd: Uint16Array, spdPtr: I32, H: number, g: F32, D: number, sums: Float64Array): void;
  /**
   * The decay table [H, D] the mask is laid out from, computed where hop lives (on a
   * GPU no value goes to the host): with pre = float32(d - hop[h]) and
   * e = pre > 0 ? pre : float32(slope * pre), table[h * D + d] = float32(gamma ** e),
   * or float32(exp(float32(e * logGamma[h]))) when logGamma [H] is given (learnable
   * gamma; `gamma` is then unused). Each step rounded to float32 as the unfused chain.
   */
  decayTable(hop: F32, logGamma: F32 | null, H: number, D: number, gamma: number, slope: number, table: F32): void;
  /**
   * Backward of decayTable from the bucket sums S of decayMaskBackward: per head, in
   * double over d = 0..D-1 (buckets with S = 0 skipped), dz = S * table,
   * gh -= dz * lg * (pre > 0 ? 1 : slope), gl += dz * e, with lg = logGamma[h] or
   * ln(gamma); then gHop[h] += float32(gh) and gLog[h] += float32(gl) (each when given).
   */
  decayTableBackward(sums: Float64Array, hop: F32, logGamma: F32 | null, H: number, D: number, gamma: number, slope: number,
    gHop: F32 | null, gLog: F32 | null): void;
  /** acc[0] += the sum of x^2 in double, as sumSquares adds it (gradient clipping, the total kept where the gradients live). */
  sumSquaresAdd(x: F32, acc: Float64Array): void;
  /**
   * Gradient clipping by a total norm kept on the device: with total = sqrt(acc[0])
   * and coef = maxNorm / (total + 1e-6), x[i] = float32(coef * x[i]) when coef < 1
   * (as unary 'scale'); norm[0] = float32(total) when norm is given.
   */
  clipScale(acc: Float64Array, maxNorm: number, x: F32, norm: F32 | null): void;

  // ------------------------------------------------------- GINE message
  /**
   * GINE's message and aggregation, fused: for the edges k = 0..E-1 in order,
   * out[dst[k], :] += relu(x[src[k], :] + e[k, :]) with x + e rounded to float32
   * (relu keeps NaN). x [xRows, cols], e [E, cols], src/dst [E] (src < xRows,
   * dst < outRows), out [outRows, cols] (accumulated into).
   */
  gineMessage(x: F32, e: F32, src: I32, dst: I32, out: F32, xRows: number, outRows: number, cols: number): void;
  /**
   * Backward of gineMessage with upstream g [outRows, cols]: with
   * d = (x[src[k]] + e[k] > 0) ? g[dst[k]] : 0, ge[k] += d and gx[src[k]] += d
   * (edges in order; gx [xRows, cols] and ge [E, cols] may be null).
   */
  gineMessageBackward(x: F32, e: F32, src: I32, dst: I32, g: F32, gx: F32 | null, ge: F32 | null,
    xRows: number, outRows: number, cols: number): void;

  // --------------------------------------------------- GatedGCN message
  /**
   * GatedGCN's message, gating and normalised aggregation, fused. Dx, Ex, Bx
   * [xRows, cols], Ce [E, cols], gate [E] (one factor per edge) or null,
   * src/dst [E] (src < xRows, dst < min(xRows, outRows)). Writes, each step
   * rounded to float32 where the unfused chain stored it:
   *   g[k]  = (Dx[dst[k]] + Ex[src[k]]) + Ce[k]                      [E, cols]
   *   s0[k] = sigmoid(g[k]) (the `unary` sigmoid)                     [E, cols]
   *   s[k]  = s0[k] * gate[k] (s0 without a gate)
   *   num[i] = sum over edges k with dst[k] = i, in edge order, of s[k] * Bx[src[k]]   [outRows, cols]
   *   dp[i]  = (sum, same order, of s[k]) + eps (as `unary` add_scalar)                [outRows, cols]
   *   q[i]   = num[i] / dp[i]                                                          [outRows, cols]
   * num, dp and s0 are what the backward needs.
   */
  gatedGcnMessage(Dx: F32, Ex: F32, Ce: F32, Bx: F32, gate: F32 | null, src: I32, dst: I32,
    g: F32, s0: F32, num: F32, dp: F32, q: F32, xRows: number, outRows: number, cols: number, eps: number): void;
  /**
   * Backward of gatedGcnMessage from upstream gq [outRows, cols] and the saved
   * s0, num, dp: the gradients of the unfused chain bit for bit (same roundings,
   * edges in order). Adds into gDx, gEx, gBx [xRows, cols], gCe [E, cols] and ggate
   * [E] (each may be null; ggate only with a gate; they must be distinct arrays).
   * work [2 * outRows * cols] is scratch (overwritten).
   */
  gatedGcnMessageBackward(Bx: F32, gate: F32 | null, s0: F32, num: F32, dp: F32, src: I32, dst: I32, gq: F32,
    work: F32, gDx: F32 | null, gEx: F32 | null, gCe: F32 | null, gBx: F32 | null, ggate: F32 | null,
    xRows: number, outRows: number, cols: number): void;
}

/** The members of Kernels that are not kernels of the table (kernel_table.ts): the backend's name, its threads, the pool's zero-fill. */
export type NonTableMembers = 'name' | 'setThreads' | 'getThreads' | 'zeroFill';
/** The kernels of the table alone. */
export type TableKernels = Omit<Kernels, NonTableMembers>;

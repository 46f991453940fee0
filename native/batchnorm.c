/*
 * BatchNorm1d over x [rows, cols], PyTorch semantics (see kernels.ts).
 * Column statistics are summed in double down the rows, two-pass (mean, then
 * biased variance), by column blocks of 8 owned by one thread each; the
 * normalisation splits rows. No result depends on the thread count.
 */
#include "gf.h"
#include <math.h>
#include <stdlib.h>

#define CB 8
#define CHUNK 256

/*
 * Column statistics for columns [c0, c1), two-pass in double. Rows are walked in
 * order a row segment at a time (contiguous, vectorised), so every column's sums
 * keep the row order of the TS twin.
 */
GF_NO_CONTRACT static GF_CLONES void bn_stats(const float *x, int64_t rows, int64_t cols, int64_t c0, int64_t c1,
                               float *runningMean, float *runningVar, double momentum, double eps,
                               float *saveMean, float *saveInvStd) {
  double mean[CHUNK], vr[CHUNK];
  for (int64_t cb = c0; cb < c1; cb += CHUNK) {
    int64_t w = c1 - cb < CHUNK ? c1 - cb : CHUNK;
    for (int64_t j = 0; j < w; j++) { mean[j] = 0; vr[j] = 0; }
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = x + r * cols + cb;
      for (int64_t j = 0; j < w; j++) mean[j] += xr[j];
    }
    for (int64_t j = 0; j < w; j++) mean[j] /= (double)rows;
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = x + r * cols + cb;
      for (int64_t j = 0; j < w; j++) { double d = xr[j] - mean[j]; vr[j] += d * d; }
    }
    for (int64_t j = 0; j < w; j++) {
      int64_t c = cb + j;
      double biased = vr[j] / (double)rows;
      saveMean[c] = (float)mean[j];
      saveInvStd[c] = (float)(1.0 / sqrt(biased + eps));
      if (runningMean && runningVar) {
        double unbiased = rows > 1 ? vr[j] / (double)(rows - 1) : NAN;  /* rows == 1: NaN, as PyTorch */
        runningMean[c] = (float)((1.0 - momentum) * runningMean[c] + momentum * mean[j]);
        runningVar[c] = (float)((1.0 - momentum) * runningVar[c] + momentum * unbiased);
      }
    }
  }
}

/* sum_r g and sum_r g * xhat for columns [c0, c1), rows in order (see bn_stats). */
GF_NO_CONTRACT static GF_CLONES void bn_grad_sums(const float *x, const float *g, int64_t rows, int64_t cols, int64_t c0, int64_t c1,
                                   const float *saveMean, const float *saveInvStd, double *sg, double *sgx) {
  double a[CHUNK], b[CHUNK];
  for (int64_t cb = c0; cb < c1; cb += CHUNK) {
    int64_t w = c1 - cb < CHUNK ? c1 - cb : CHUNK;
    const float *mu = saveMean + cb, *is = saveInvStd + cb;
    for (int64_t j = 0; j < w; j++) { a[j] = 0; b[j] = 0; }
    for (int64_t r = 0; r < rows; r++) {
      const float *gr = g + r * cols + cb, *xr = x + r * cols + cb;
      for (int64_t j = 0; j < w; j++) {
        double gi = gr[j];
        a[j] += gi;
        b[j] += gi * ((double)xr[j] - mu[j]) * is[j];
      }
    }
    for (int64_t j = 0; j < w; j++) { sg[cb + j] = a[j]; sgx[cb + j] = b[j]; }
  }
}

/* out = xhat * w + b (+ addend, a float add after the rounding) for rows [r0, r1) (per-ISA clone: the loops
   vectorise). The addend is read in the same pass as the store: a separate add would read out and the addend
   back and write out again, a [rows, cols] pass that is usually out of L1/L2. */
static GF_CLONES void bn_apply(const float *x, float *out, int64_t r0, int64_t r1, int64_t cols, const float *weight,
                               const float *bias, const float *saveMean, const float *saveInvStd,
                               const float *addend) {
  double wc[CHUNK], bc[CHUNK], mc[CHUNK], ic[CHUNK];
  for (int64_t cb = 0; cb < cols; cb += CHUNK) {
    int64_t w = cols - cb < CHUNK ? cols - cb : CHUNK;
    for (int64_t j = 0; j < w; j++) {
      wc[j] = weight ? weight[cb + j] : 1.0f; bc[j] = bias ? bias[cb + j] : 0.0f;
      mc[j] = saveMean[cb + j]; ic[j] = saveInvStd[cb + j];
    }
    for (int64_t r = r0; r < r1; r++) {
      const float *xr = x + r * cols + cb;
      float *o = out + r * cols + cb;
      if (addend) {
        const float *ar = addend + r * cols + cb;
        for (int64_t j = 0; j < w; j++) {
          float v = (float)(((double)xr[j] - mc[j]) * ic[j] * wc[j] + bc[j]);
          o[j] = v + ar[j];
        }
      } else {
        for (int64_t j = 0; j < w; j++) o[j] = (float)(((double)xr[j] - mc[j]) * ic[j] * wc[j] + bc[j]);
      }
    }
  }
}

/* gx += dL/dx for rows [r0, r1) from the column sums sg, sgx (per-ISA clone). */
static GF_CLONES void bn_grad_x(const float *x, const float *g, float *gx, int64_t rows, int64_t r0, int64_t r1,
                                int64_t cols, const float *weight, const float *saveMean, const float *saveInvStd,
                                const double *sg, const double *sgx, int training) {
  /* Per-column constants hoisted (same double arithmetic per element as the TS twin). */
  double wc[CHUNK], mc[CHUNK], ic[CHUNK], ac[CHUNK], bc[CHUNK];
  for (int64_t cb = 0; cb < cols; cb += CHUNK) {
    int64_t w = cols - cb < CHUNK ? cols - cb : CHUNK;
    for (int64_t j = 0; j < w; j++) {
      int64_t c = cb + j;
      wc[j] = weight ? weight[c] : 1.0; mc[j] = saveMean[c]; ic[j] = saveInvStd[c];
      ac[j] = sg[c] / (double)rows; bc[j] = sgx[c] / (double)rows;
    }
    for (int64_t r = r0; r < r1; r++) {
      const float *gr = g + r * cols + cb, *xr = x + r * cols + cb;
      float *o = gx + r * cols + cb;
      if (training) {
        /* dx = w*invstd * (g - sum(g)/N - xhat*sum(g*xhat)/N) */
        for (int64_t j = 0; j < w; j++) {
          double xh = ((double)xr[j] - mc[j]) * ic[j];
          o[j] = (float)((double)o[j] + wc[j] * ic[j] * ((double)gr[j] - ac[j] - xh * bc[j]));
        }
      } else {
        for (int64_t j = 0; j < w; j++) o[j] = (float)((double)o[j] + (double)gr[j] * wc[j] * ic[j]);
      }
    }
  }
}

void gf_batch_norm(const float *x, float *out, int64_t rows, int64_t cols, const float *weight, const float *bias,
                   float *runningMean, float *runningVar, int training, double momentum, double eps,
                   float *saveMean, float *saveInvStd, const float *addend) {
  int T = gf_threads_for((double)rows * (double)cols * 2.0);
  if (training) {
    int Tc = gf_col_threads(T, cols);
#pragma omp parallel num_threads(Tc) if (Tc > 1)
    {
      int64_t c0, c1;
      gf_col_range(cols, omp_get_thread_num(), omp_get_num_threads(), &c0, &c1);
      bn_stats(x, rows, cols, c0, c1, runningMean, runningVar, momentum, eps,
               saveMean, saveInvStd);
    }
  } else {
    for (int64_t c = 0; c < cols; c++) {
      saveMean[c] = runningMean[c];
      saveInvStd[c] = (float)(1.0 / sqrt((double)runningVar[c] + eps));
    }
  }
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    bn_apply(x, out, rows * tid / nt, rows * (tid + 1) / nt, cols, weight, bias, saveMean, saveInvStd, addend);
  }
}

int gf_batch_norm_backward(const float *x, const float *g, int64_t rows, int64_t cols, const float *weight,
                            const float *saveMean, const float *saveInvStd, int training,
                            float *gx, float *gw, float *gb) {
  int T = gf_threads_for((double)rows * (double)cols * 3.0);
  /* sumG = sum_r g, sumGX = sum_r g * xhat per column, in double (stack for cols <= 512). */
  double sumG[CB * 64], sumGX[CB * 64];
  double *sg = sumG, *sgx = sumGX;
  double *heap = NULL;
  if (cols > CB * 64) {
    heap = (double *)malloc((size_t)cols * 2 * sizeof(double));
    if (!heap) { sg = NULL; }
    else { sg = heap; sgx = heap + cols; }
  }
  if (!sg) return -1;
  {
    int Tc = gf_col_threads(T, cols);
#pragma omp parallel num_threads(Tc) if (Tc > 1)
    {
      int64_t c0, c1;
      gf_col_range(cols, omp_get_thread_num(), omp_get_num_threads(), &c0, &c1);
      bn_grad_sums(x, g, rows, cols, c0, c1, saveMean, saveInvStd, sg, sgx);
    }
  }
  if (gw) for (int64_t c = 0; c < cols; c++) gw[c] = (float)((double)gw[c] + sgx[c]);
  if (gb) for (int64_t c = 0; c < cols; c++) gb[c] = (float)((double)gb[c] + sg[c]);
  if (gx) {
#pragma omp parallel num_threads(T) if (T > 1)
    {
      int tid = omp_get_thread_num(), nt = omp_get_num_threads();
      bn_grad_x(x, g, gx, rows, rows * tid / nt, rows * (tid + 1) / nt, cols, weight, saveMean, saveInvStd,
                sg, sgx, training);
    }
  }
  free(heap);
  return 0;
}

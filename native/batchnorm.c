/*
 * BatchNorm1d over x [rows, cols], PyTorch semantics (see kernels.ts).
 * Column statistics are summed in double down the rows, two-pass (mean, then
 * biased variance), by column blocks of 8 owned by one thread each; the
 * normalisation splits rows. No result depends on the thread count.
 */
#include "gf.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#define CB 8

void gf_batch_norm(const float *x, float *out, int64_t rows, int64_t cols, const float *weight, const float *bias,
                   float *runningMean, float *runningVar, int training, double momentum, double eps,
                   float *saveMean, float *saveInvStd) {
  int T = gf_threads_for((double)rows * (double)cols * 2.0);
  if (training) {
    int64_t nblk = (cols + CB - 1) / CB;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int64_t blk = 0; blk < nblk; blk++) {
      int64_t c0 = blk * CB, w = cols - c0 < CB ? cols - c0 : CB;
      double mean[CB] = {0}, vr[CB] = {0};
      for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < w; j++) mean[j] += x[r * cols + c0 + j];
      for (int64_t j = 0; j < w; j++) mean[j] /= (double)rows;
      for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < w; j++) { double d = x[r * cols + c0 + j] - mean[j]; vr[j] += d * d; }
      for (int64_t j = 0; j < w; j++) {
        int64_t c = c0 + j;
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
  } else {
    for (int64_t c = 0; c < cols; c++) {
      saveMean[c] = runningMean[c];
      saveInvStd[c] = (float)(1.0 / sqrt((double)runningVar[c] + eps));
    }
  }
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *o = out + r * cols;
    for (int64_t c = 0; c < cols; c++) {
      double xh = ((double)xr[c] - saveMean[c]) * saveInvStd[c];
      o[c] = (float)(xh * (weight ? weight[c] : 1.0f) + (bias ? bias[c] : 0.0f));
    }
  }
}

int gf_batch_norm_backward(const float *x, const float *g, int64_t rows, int64_t cols, const float *weight,
                            const float *saveMean, const float *saveInvStd, int training,
                            float *gx, float *gw, float *gb) {
  int T = gf_threads_for((double)rows * (double)cols * 3.0);
  int64_t nblk = (cols + CB - 1) / CB;
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
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t blk = 0; blk < nblk; blk++) {
    int64_t c0 = blk * CB, w = cols - c0 < CB ? cols - c0 : CB;
    double a[CB] = {0}, b[CB] = {0};
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < w; j++) {
        int64_t c = c0 + j;
        double gi = g[r * cols + c];
        a[j] += gi;
        b[j] += gi * ((double)x[r * cols + c] - saveMean[c]) * saveInvStd[c];
      }
    for (int64_t j = 0; j < w; j++) { sg[c0 + j] = a[j]; sgx[c0 + j] = b[j]; }
  }
  if (gw) for (int64_t c = 0; c < cols; c++) gw[c] = (float)((double)gw[c] + sgx[c]);
  if (gb) for (int64_t c = 0; c < cols; c++) gb[c] = (float)((double)gb[c] + sg[c]);
  if (gx) {
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      for (int64_t c = 0; c < cols; c++) {
        double w = weight ? weight[c] : 1.0, is = saveInvStd[c];
        double gi = g[r * cols + c], d;
        if (training) {
          /* dx = w*invstd * (g - sum(g)/N - xhat*sum(g*xhat)/N) */
          double xh = ((double)x[r * cols + c] - saveMean[c]) * is;
          d = w * is * (gi - sg[c] / (double)rows - xh * sgx[c] / (double)rows);
        } else {
          d = gi * w * is;
        }
        gx[r * cols + c] = (float)((double)gx[r * cols + c] + d);
      }
    }
  }
  free(heap);
  return 0;
}

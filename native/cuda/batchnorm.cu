/*
 * BatchNorm1d over x [rows, cols], PyTorch semantics (native/batchnorm.c). Column statistics
 * are two-pass (mean, then biased variance) fixed-order column sums in double; the
 * normalisation and the input gradient are element-wise.
 */
#include <math.h>
#include "gfc_impl.cuh"

struct MeanTerm {
  const float *x;
  int64_t cols;
  __device__ double2 operator()(int64_t r, int64_t c) const { return make_double2(x[r * cols + c], 0.0); }
};
struct StoreMean {  /* saveMean[c] = sum / rows (the float is read back by the variance pass) */
  float *saveMean;
  double *mean;
  int64_t rows;
  __device__ void operator()(int64_t c, double2 s) const {
    mean[c] = s.x / (double)rows;
    saveMean[c] = (float)mean[c];
  }
};
struct VarTerm {
  const float *x;
  const double *mean;
  int64_t cols;
  __device__ double2 operator()(int64_t r, int64_t c) const {
    double d = x[r * cols + c] - mean[c];
    return make_double2(d * d, 0.0);
  }
};
struct StoreVar {
  float *saveInvStd, *runningMean, *runningVar;
  const double *mean;
  int64_t rows;
  double momentum, eps;
  __device__ void operator()(int64_t c, double2 s) const {
    double biased = s.x / (double)rows;
    saveInvStd[c] = (float)(1.0 / sqrt(biased + eps));
    if (runningMean && runningVar) {
      double unbiased = rows > 1 ? s.x / (double)(rows - 1) : NAN;  /* rows == 1: NaN, as PyTorch */
      runningMean[c] = (float)((1.0 - momentum) * runningMean[c] + momentum * mean[c]);
      runningVar[c] = (float)((1.0 - momentum) * runningVar[c] + momentum * unbiased);
    }
  }
};

__global__ void bn_eval_stats(const float *runningMean, const float *runningVar, int64_t cols, double eps,
                              float *saveMean, float *saveInvStd) {
  GFC_GRID_STRIDE(c, cols) {
    saveMean[c] = runningMean[c];
    saveInvStd[c] = (float)(1.0 / sqrt((double)runningVar[c] + eps));
  }
}

/* addend or NULL: one float add after the rounding (__fadd_rn: never contracted), as a separate full add. */
__global__ void bn_apply(const float *x, float *out, int64_t rows, int64_t cols, const float *weight,
                         const float *bias, const float *saveMean, const float *saveInvStd, const float *addend) {
  GFC_GRID_STRIDE(i, rows * cols) {
    int64_t c = i % cols;
    double w = weight ? weight[c] : 1.0f, b = bias ? bias[c] : 0.0f;
    float v = (float)(((double)x[i] - (double)saveMean[c]) * (double)saveInvStd[c] * w + b);
    out[i] = addend ? __fadd_rn(v, addend[i]) : v;
  }
}

int gfc_batch_norm(const float *x, float *out, int64_t rows, int64_t cols, const float *weight, const float *bias,
                   float *runningMean, float *runningVar, int training, double momentum, double eps,
                   float *saveMean, float *saveInvStd, const float *addend) {
  GFC_REQUIRE_INIT();
  if (cols == 0) return 0;
  cudaStream_t s = gfc_stream();
  int rc = 0;
  if (training) {
    double *mean = (double *)gfc_scratch((size_t)cols * sizeof(double), "batchNorm");
    if (!mean) return GFC_ENOMEM;
    rc = gfc_col_sums(MeanTerm{x, cols}, StoreMean{saveMean, mean, rows}, rows, cols, "batchNorm");
    if (!rc)
      rc = gfc_col_sums(VarTerm{x, mean, cols}, StoreVar{saveInvStd, runningMean, runningVar, mean, rows, momentum, eps},
                        rows, cols, "batchNorm");
    gfc_free(mean);
    if (rc) return rc;
  } else {
    bn_eval_stats<<<gfc_blocks(cols, 256), 256, 0, s>>>(runningMean, runningVar, cols, eps, saveMean, saveInvStd);
  }
  if (rows > 0) bn_apply<<<gfc_blocks(rows * cols, 256), 256, 0, s>>>(x, out, rows, cols, weight, bias, saveMean,
                                                                     saveInvStd, addend);
  return gfc_check_launch("batchNorm");
}

struct GradTerms {  /* (g, g * xhat) summed down each column */
  const float *x, *g, *saveMean, *saveInvStd;
  int64_t cols;
  __device__ double2 operator()(int64_t r, int64_t c) const {
    double gi = g[r * cols + c];
    return make_double2(gi, gi * ((double)x[r * cols + c] - saveMean[c]) * saveInvStd[c]);
  }
};
struct StoreGradSums {
  double *sg, *sgx;
  float *gw, *gb;
  __device__ void operator()(int64_t c, double2 s) const {
    sg[c] = s.x;
    sgx[c] = s.y;
    if (gw) gw[c] = (float)((double)gw[c] + s.y);
    if (gb) gb[c] = (float)((double)gb[c] + s.x);
  }
};

__global__ void bn_grad_x(const float *x, const float *g, float *gx, int64_t rows, int64_t cols, const float *weight,
                          const float *saveMean, const float *saveInvStd, const double *sg, const double *sgx,
                          int training) {
  GFC_GRID_STRIDE(i, rows * cols) {
    int64_t c = i % cols;
    double w = weight ? weight[c] : 1.0, ic = saveInvStd[c];
    if (training) {  /* dx = w*invstd * (g - sum(g)/N - xhat*sum(g*xhat)/N) */
      double xh = ((double)x[i] - saveMean[c]) * ic;
      gx[i] = (float)((double)gx[i] + w * ic * ((double)g[i] - sg[c] / (double)rows - xh * (sgx[c] / (double)rows)));
    } else {
      gx[i] = (float)((double)gx[i] + (double)g[i] * w * ic);
    }
  }
}

int gfc_batch_norm_backward(const float *x, const float *g, int64_t rows, int64_t cols, const float *weight,
                            const float *saveMean, const float *saveInvStd, int training, float *gx, float *gw,
                            float *gb) {
  GFC_REQUIRE_INIT();
  if (cols == 0) return 0;
  double *sums = (double *)gfc_scratch((size_t)cols * 2 * sizeof(double), "batchNormBackward");
  if (!sums) return GFC_ENOMEM;
  int rc = gfc_col_sums(GradTerms{x, g, saveMean, saveInvStd, cols}, StoreGradSums{sums, sums + cols, gw, gb}, rows,
                        cols, "batchNormBackward");
  if (!rc && gx && rows > 0) {
    bn_grad_x<<<gfc_blocks(rows * cols, 256), 256, 0, gfc_stream()>>>(x, g, gx, rows, cols, weight, saveMean,
                                                                       saveInvStd, sums, sums + cols, training);
    rc = gfc_check_launch("batchNormBackward");
  }
  gfc_free(sums);
  return rc;
}

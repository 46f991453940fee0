/*
 * Sums in double (native/reduce.c): rows by one warp each, columns and totals by the
 * fixed-order reductions of gfc_impl.cuh, so results are the same on every run.
 */
#include "gfc_impl.cuh"

__global__ void sum_rows_kernel(const float *x, float *out, int64_t rows, int64_t cols) {
  int lane = threadIdx.x & 31;
  for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows;
       r += ((int64_t)gridDim.x * blockDim.x) >> 5) {
    double s = 0;
    for (int64_t c = lane; c < cols; c += 32) s += x[r * cols + c];
    s = gfc_warp_sum(s);
    if (lane == 0) out[r] = (float)s;
  }
}

struct ColTerm {
  const float *x;
  int64_t cols;
  __device__ double2 operator()(int64_t r, int64_t c) const { return make_double2(x[r * cols + c], 0.0); }
};
struct StoreF32 {
  float *out;
  __device__ void operator()(int64_t c, double2 s) const { out[c] = (float)s.x; }
};

int gfc_sum_axis(const float *x, float *out, int64_t rows, int64_t cols, int axis) {
  GFC_REQUIRE_INIT();
  if (axis == 1) {
    if (rows == 0) return 0;
    sum_rows_kernel<<<gfc_blocks(rows * 32, 256), 256, 0, gfc_stream()>>>(x, out, rows, cols);
    return gfc_check_launch("sumAxis");
  }
  return gfc_col_sums(ColTerm{x, cols}, StoreF32{out}, rows, cols, "sumAxis");
}

struct SquareTerm {
  const float *x;
  __device__ double operator()(int64_t i) const { return (double)x[i] * x[i]; }
};

int gfc_sum_squares(const float *x, int64_t n, double *result) {
  GFC_REQUIRE_INIT();
  double *tot = (double *)gfc_scratch(sizeof(double), "sumSquares");
  if (!tot) return GFC_ENOMEM;
  double s = 0;
  int rc = gfc_sum(SquareTerm{x}, n, tot, 0, "sumSquares");
  if (!rc) rc = gfc_result(tot, &s, "sumSquares");
  gfc_free(tot);
  if (!rc && result) *result = s;
  return rc;
}

/* Clip-grad-norm with its total on the device (native/reduce.c): the squares added into acc with the
   fixed-order sum of gfc_sum_squares, then every gradient scaled by a factor computed from acc on the
   device (no read-back). */
int gfc_sum_squares_add(const float *x, int64_t n, double *acc) {
  GFC_REQUIRE_INIT();
  return gfc_sum(SquareTerm{x}, n, acc, 1, "sumSquaresAdd");
}

__global__ void clip_scale_kernel(const double *acc, double maxNorm, float *x, int64_t n, float *norm) {
  double total = sqrt(acc[0]), coef = maxNorm / (total + 1e-6);
  if (norm && blockIdx.x == 0 && threadIdx.x == 0) norm[0] = (float)total;
  if (coef >= 1) return;
  GFC_GRID_STRIDE(i, n) x[i] = (float)(coef * x[i]);
}

int gfc_clip_scale(const double *acc, double maxNorm, float *x, int64_t n, float *norm) {
  GFC_REQUIRE_INIT();
  clip_scale_kernel<<<gfc_blocks(n > 0 ? n : 1, 256), 256, 0, gfc_stream()>>>(acc, maxNorm, x, n, norm);
  return gfc_check_launch("clipScale");
}

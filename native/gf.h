/*
 * gradformer native kernels: shared declarations.
 *
 * The kernel functions below do no validation: native/addon.c checks every
 * array length, size and index before calling them (see src/tensor/kernels.ts
 * for the semantics of each; these mirror src/tensor/kernels_ts.ts exactly).
 * Sizes are int64_t; arrays are row-major float32 / int32.
 */
#ifndef GF_H
#define GF_H
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && !defined(GF_NO_CLONES)
/* Runtime dispatch: one compiled copy per ISA, chosen at load time. */
#define GF_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GF_CLONES
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* 1 where the CPU runs AVX-512F (the kernels' 16-wide paths: the attention's rows, the
   small GEMM tiles), else 0; asked once per file that uses it. Included before any
   target pragma, so it is compiled for the baseline ISA and runs on every CPU. */
static inline int gf_cpu_avx512f(void) {
  static int ok = -1;  /* computed once (callers racing on it store the same value) */
  int v = __atomic_load_n(&ok, __ATOMIC_RELAXED);
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx512f") ? 1 : 0;
    __atomic_store_n(&ok, v, __ATOMIC_RELAXED);
  }
  return v;
}
#endif

/* OpenMP where the compiler has it (the native addon, -fopenmp); without it (the
   WebAssembly build, native/wasm/) the pragmas are ignored and every parallel
   region runs as one thread, so the thread queries below answer for that one. */
#ifdef _OPENMP
#include <omp.h>
#else
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_threads(void) { return 1; }
#endif

/*
 * Thread tid's share [*c0, *c1) of `cols` columns, out of nt threads: whole blocks of 8
 * columns (the last block may be short), some threads getting none; gf_col_threads caps a
 * thread count at the number of blocks. Kernels that split columns between threads use both,
 * so every thread gets whole vectors; what makes a column's bits independent of the thread
 * count is GF_NO_CONTRACT on the sums (below): blocks of 8 alone still left BatchNorm's
 * gradient sums differing at 3 threads.
 */
static inline void gf_col_range(int64_t cols, int tid, int nt, int64_t *c0, int64_t *c1) {
  int64_t nb = (cols + 7) / 8, a = nb * tid / nt * 8, b = nb * (tid + 1) / nt * 8;
  *c0 = a < cols ? a : cols;
  *c1 = b < cols ? b : cols;
}
static inline int gf_col_threads(int T, int64_t cols) {
  int64_t nb = cols > 0 ? (cols + 7) / 8 : 1;
  return T > nb ? (int)nb : T;
}

/* For column sums split between threads (BatchNorm's statistics and gradient sums, the bias
   sums of a product): every product is rounded before it is added. With contraction, GCC
   fused some loop paths (vector body, remainder) and not others, so a column's last bit
   followed from how many columns its thread had (BatchNorm at 3 threads differed from 1). */
#if defined(__GNUC__) && !defined(__clang__)
#define GF_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define GF_NO_CONTRACT
#endif

/* Threads the parallel kernels use (set from JS, default: GRADFORMER_THREADS or 1). */
int gf_threads(void);
void gf_set_threads(int n);
/* Threads to use for `work` units of ~1 flop: 1 below a size where forking costs more than it saves. */
int gf_threads_for(double work);

/* matmul.c: returns 0, or -1 when a scratch buffer cannot be allocated. bias [n] or NULL;
   residual [m, n] or NULL, added after the bias; relu: store relu of the result, last. */
int gf_matmul(const float *a, const float *b, float *c, int64_t m, int64_t k, int64_t n,
               int transA, int transB, int accumulate, const float *bias, int relu, const float *residual);

/* Single-threaded C[m,n] (+)= A B for callers that parallelise outside: A(i,p) = a[i*rsa + p*csa];
   B rows (ldb apart) must be readable up to n rounded up to 16 floats; C rows ldc apart, n written. */
void gf_gemm_serial(int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa, int64_t csa,
                    const float *b, int64_t ldb, float *c, int64_t ldc, int accumulate);

/* elementwise.c: op 0..3 = add sub mul div; bc 0..3 = full row col scalar */
void gf_binary(int op, const float *a, const float *b, float *out, int64_t rows, int64_t cols, int bc);
void gf_binary_backward(int op, const float *a, const float *b, const float *g, float *ga, float *gb,
                        int64_t rows, int64_t cols, int bc);
/* op 0..7 = relu leaky_relu sigmoid exp log pow_base scale add_scalar */
void gf_unary(int op, const float *x, float *out, int64_t n, double p);
double gf_unary_backward(int op, const float *x, const float *y, const float *g, float *gx, int64_t n, double p);
/* gz = 0 + (y > 0 ? g : 0) (written), then gb[c] += column sums of gz in double, rows in order (gb nullable):
   relu's backward into zeros and the bias gradient (binary_backward add, row) in one pass. */
void gf_relu_backward_bias(const float *y, const float *g, float *gz, int64_t rows, int64_t cols, float *gb);

/* reduce.c */
void gf_sum_axis(const float *x, float *out, int64_t rows, int64_t cols, int axis);
double gf_sum_squares(const float *x, int64_t n);

/* softmax_loss.c */
void gf_softmax(const float *x, float *out, int64_t rows, int64_t cols, int log);
void gf_softmax_backward(const float *y, const float *g, float *gx, int64_t rows, int64_t cols, int log);
double gf_cross_entropy(const float *logits, const int32_t *target, const float *weight, float *grad,
                        int64_t rows, int64_t cols);
double gf_bce_with_logits(const float *logits, const float *target, const uint8_t *mask, float *grad, int64_t n);
double gf_l1(const float *x, const float *y, float *grad, int64_t n);

/* gather.c. gf_index_bound: 1 + the largest of n indices (0 when none): the rows a scatter touches,
   which threads own in ranges (scatterAddRows, the GINE message). */
int64_t gf_index_bound(const int32_t *idx, int64_t n);
void gf_gather_rows(const float *x, const int32_t *idx, float *out, int64_t nidx, int64_t cols);
void gf_scatter_add_rows(const float *src, const int32_t *idx, float *out, int64_t nidx, int64_t cols);
void gf_copy_cols(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols, int64_t off);
void gf_add_slice_cols(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols, int64_t off);

/* gine.c: out[dst[k]] += relu(x[src[k]] + e[k]) and its backward (gx, ge nullable) */
void gf_gine_message(const float *x, const float *e, const int32_t *src, const int32_t *dst, float *out,
                     int64_t E, int64_t cols);
void gf_gine_message_backward(const float *x, const float *e, const int32_t *src, const int32_t *dst, const float *g,
                              float *gx, float *ge, int64_t E, int64_t cols);

/* gatedgcn.c: GatedGCN's message, fused (see src/tensor/kernels.ts gatedGcnMessage). Dx, Ex, Bx [xRows, cols],
   Ce [E, cols], gate [E] or NULL; writes g, s0 [E, cols] and num, dp, q [outRows, cols]. The backward reads
   the saved s0, num, dp, overwrites work [2, outRows, cols] and adds into the non-NULL gradients. */
void gf_gated_gcn_message(const float *Dx, const float *Ex, const float *Ce, const float *Bx, const float *gate,
                          const int32_t *src, const int32_t *dst, float *g, float *s0, float *num, float *dp,
                          float *q, int64_t E, int64_t outRows, int64_t cols, double eps);
void gf_gated_gcn_message_backward(const float *Bx, const float *gate, const float *s0, const float *num,
                                   const float *dp, const int32_t *src, const int32_t *dst, const float *gq,
                                   float *work, float *gDx, float *gEx, float *gCe, float *gBx, float *ggate,
                                   int64_t E, int64_t outRows, int64_t cols);

/* segment.c: op 0..2 = sum mean max; argmax rows validated by the caller. Returns 0, or -1 on out of memory. */
int gf_segment_reduce(int op, const float *x, const int32_t *ptr, int64_t S, float *out, int64_t cols, int32_t *argmax);
void gf_segment_reduce_backward(int op, const float *g, const int32_t *ptr, int64_t S, float *gx, int64_t cols,
                                const int32_t *argmax);

/* batchnorm.c: the backward returns -1 when its scratch cannot be allocated. addend [rows, cols] or NULL:
   added (one float add) to each value after it is rounded to float, as a separate full add would. */
void gf_batch_norm(const float *x, float *out, int64_t rows, int64_t cols, const float *weight, const float *bias,
                   float *runningMean, float *runningVar, int training, double momentum, double eps,
                   float *saveMean, float *saveInvStd, const float *addend);
int gf_batch_norm_backward(const float *x, const float *g, int64_t rows, int64_t cols, const float *weight,
                            const float *saveMean, const float *saveInvStd, int training,
                            float *gx, float *gw, float *gb);

/* attention.c: graphPtr [B+1] validated (ptr[0] = 0, non-decreasing). Returns 0, or -1 on out of memory. */
int gf_attention_forward(const float *q, const float *k, const float *v, const float *mask,
                         const int32_t *graphPtr, int64_t B, int64_t H, int64_t dk, double scale,
                         const float *drop, float *out, float *probs);
int gf_attention_backward(const float *q, const float *k, const float *v, const float *mask,
                          const int32_t *graphPtr, int64_t B, int64_t H, int64_t dk, double scale,
                          const float *drop, const float *probs, const float *gOut,
                          float *gq, float *gk, float *gv, float *gMask);

/* optim.c */
void gf_adam_step(float *p, const float *g, float *m, float *v, int64_t n, double lr, double beta1, double beta2,
                  double eps, double weightDecay, double step, int decoupled);
void gf_sgd_step(float *p, const float *g, float *buf, int64_t n, double lr, double momentum, double dampening,
                 double weightDecay, int nesterov, int firstStep);
/* random.c: out[i] = (u_i >= threshold, or u_i < threshold when below) ? keep : 0, u_i from the
   xoshiro128** state [4] (advanced in place) exactly as Rng.nextFloat(). */
void gf_uniform_mask(uint32_t *state, float *out, int64_t n, double threshold, float keep, int below);

/* decay.c: spdPtr [B+1] validated (ptr[0] = 0, non-decreasing, ptr[B] = spd length), every spd[i] < D.
   out [H*sum n_b^2] (per graph [H, n_b, n_b]) = table[h*D + spd]; the backward adds g into sums[h*D + spd] (double). */
void gf_decay_mask(const uint16_t *spd, const int32_t *spdPtr, int64_t B, int64_t H, const float *table, int64_t D,
                   float *out);
void gf_decay_mask_backward(const uint16_t *spd, const int32_t *spdPtr, int64_t B, int64_t H, const float *g,
                            int64_t D, double *sums);
/* decay.c: the table [H, D] itself from hop [H] (and logGamma [H] or NULL), and the gradients of hop and
   logGamma (added into gHop / gLog when not NULL) from the bucket sums (src/tensor/kernels.ts decayTable). */
void gf_decay_table(const float *hop, const float *logGamma, int64_t H, int64_t D, double gamma, double slope,
                    float *table);
void gf_decay_table_backward(const double *sums, const float *hop, const float *logGamma, int64_t H, int64_t D,
                             double gamma, double slope, float *gHop, float *gLog);
/* reduce.c: gradient clipping with the total norm where the gradients are: acc[0] += gf_sum_squares(x, n);
   then x *= maxNorm / (sqrt(acc[0]) + 1e-6) when that is < 1 (as unary scale), norm[0] = sqrt(acc[0]) if given. */
void gf_sum_squares_add(const float *x, int64_t n, double *acc);
void gf_clip_scale(const double *acc, double maxNorm, float *x, int64_t n, float *norm);

#endif

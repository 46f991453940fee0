/*
 * gradformer CUDA kernels: the C contract between the CUDA library (the .cu files of native/cuda,
 * built by scripts/build-cuda.js into build/cuda/libgfc.a) and the Node addon that binds it.
 *
 * Conventions
 *  - Every gfc_NAME below mirrors gf_NAME of native/gf.h: same parameters in the same order and
 *    the same semantics (src/tensor/kernels.ts documents them; the C files of native/ and
 *    src/tensor/kernels_ts.ts are the references), except that every pointer is a DEVICE pointer
 *    (from gfc_alloc). Where gf_NAME returns a double, gfc_NAME takes one extra last parameter
 *    `double *result`: a HOST pointer written once the kernel has finished (this synchronises).
 *  - No validation happens here (as in gf.h): the caller checks lengths, sizes and indices first.
 *  - Return value: 0 = ok; nonzero = error (GFC_E*), and gfc_last_error() says what in one sentence.
 *  - One stream. Kernels are asynchronous with respect to the host; only gfc_download, gfc_sync and
 *    the `double *result` variants wait for the device.
 *  - Deterministic: the same inputs give the same bits on every run (no atomics in sums; fixed-order
 *    reductions). Summation order may differ from the CPU kernels (within float tolerance).
 *  - Not thread-safe: call from one host thread (the Node main thread).
 */
#ifndef GFC_H
#define GFC_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (gfc_last_error() has the sentence). */
#define GFC_OK 0
#define GFC_ENODEV 1   /* no CUDA device / driver, or gfc_init not called */
#define GFC_ENOMEM 2   /* device allocation failed */
#define GFC_ELAUNCH 3  /* a launch or a copy failed (the CUDA error string is in gfc_last_error) */
#define GFC_EARG 4     /* an argument the kernel cannot handle (e.g. a size beyond its limits) */

/* ------------------------------------------------------------------ runtime and memory */
/* Selects `device` and creates the stream. 0 = ok; otherwise fills err (one sentence, NUL-terminated,
   at most errlen bytes) and returns nonzero. Never aborts. Calling it again with the same device is a no-op. */
int gfc_init(int device, char *err, size_t errlen);
/* A caching allocator: freed blocks are kept by size class and reused, so the hot path never calls
   cudaFree (nor, once warm, cudaMalloc). Returns NULL on out of memory (after releasing the cache once
   and retrying). gfc_alloc(0) returns a valid unique pointer of the smallest class. */
void *gfc_alloc(size_t bytes);
void gfc_free(void *p);  /* NULL is ignored */
/* Host <-> device and device <-> device copies on the stream; gfc_download waits for the data. */
int gfc_upload(void *dst, const void *src, size_t bytes);
int gfc_download(void *dst, const void *src, size_t bytes);
int gfc_copy(void *dst, const void *src, size_t bytes);
int gfc_zero(void *p, size_t bytes);
int gfc_sync(void);
/* Bytes handed out by gfc_alloc and not yet freed (rounded to size classes), and its peak. */
size_t gfc_bytes_in_use(void);
size_t gfc_peak_bytes(void);
void gfc_reset_peak(void);
/* Host <-> device traffic since the last gfc_reset_transfers(), counted by the runtime (not the kernels):
   uploads = host-to-device copies; reads = device-to-host copies, each of which waits for the device
   (gfc_download and every `double *result` kernel); syncs = gfc_sync calls. Read by the tests that bound
   the host synchronisations of a training step (test/cuda_syncs.test.ts) and printed by bench:gpu. */
typedef struct {
  uint64_t uploads, upload_bytes, reads, read_bytes, syncs;
} GfcTransfers;
void gfc_transfers(GfcTransfers *out);
void gfc_reset_transfers(void);
/* The last error's sentence ("" when none). */
const char *gfc_last_error(void);
/* TF32 tensor-core GEMMs: off by default (fp32 accuracy, as the fixtures demand). This version has no
   TF32 path: gfc_set_tf32(0) returns 0, gfc_set_tf32(1) returns GFC_EARG (GEMMs stay fp32). */
int gfc_set_tf32(int on);

/* ------------------------------------------------------------------ kernels (see native/gf.h) */
/* matmul.cu */
int gfc_matmul(const float *a, const float *b, float *c, int64_t m, int64_t k, int64_t n,
               int transA, int transB, int accumulate, const float *bias, int relu, const float *residual);

/* elementwise.cu */
int gfc_binary(int op, const float *a, const float *b, float *out, int64_t rows, int64_t cols, int bc);
int gfc_binary_backward(int op, const float *a, const float *b, const float *g, float *ga, float *gb,
                        int64_t rows, int64_t cols, int bc);
int gfc_unary(int op, const float *x, float *out, int64_t n, double p);
int gfc_unary_backward(int op, const float *x, const float *y, const float *g, float *gx, int64_t n, double p,
                       double *result);

/* reduce.cu */
int gfc_sum_axis(const float *x, float *out, int64_t rows, int64_t cols, int axis);
int gfc_sum_squares(const float *x, int64_t n, double *result);

/* softmax_loss.cu */
int gfc_softmax(const float *x, float *out, int64_t rows, int64_t cols, int log);
int gfc_softmax_backward(const float *y, const float *g, float *gx, int64_t rows, int64_t cols, int log);
int gfc_cross_entropy(const float *logits, const int32_t *target, const float *weight, float *grad,
                      int64_t rows, int64_t cols, double *result);
int gfc_bce_with_logits(const float *logits, const float *target, const uint8_t *mask, float *grad, int64_t n,
                        double *result);
int gfc_l1(const float *x, const float *y, float *grad, int64_t n, double *result);

/* gather.cu (scatter_add_rows is deterministic: each destination row sums its sources in index order) */
int gfc_gather_rows(const float *x, const int32_t *idx, float *out, int64_t nidx, int64_t cols);
int gfc_scatter_add_rows(const float *src, const int32_t *idx, float *out, int64_t nidx, int64_t cols);
int gfc_copy_cols(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols, int64_t off);
int gfc_add_slice_cols(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols, int64_t off);

/* gine.cu */
int gfc_gine_message(const float *x, const float *e, const int32_t *src, const int32_t *dst, float *out,
                     int64_t E, int64_t cols);
int gfc_gine_message_backward(const float *x, const float *e, const int32_t *src, const int32_t *dst,
                              const float *g, float *gx, float *ge, int64_t E, int64_t cols);

/* gatedgcn.cu */
int gfc_gated_gcn_message(const float *Dx, const float *Ex, const float *Ce, const float *Bx, const float *gate,
                          const int32_t *src, const int32_t *dst, float *g, float *s0, float *num, float *dp,
                          float *q, int64_t E, int64_t outRows, int64_t cols, double eps);
int gfc_gated_gcn_message_backward(const float *Bx, const float *gate, const float *s0, const float *num,
                                   const float *dp, const int32_t *src, const int32_t *dst, const float *gq,
                                   float *work, float *gDx, float *gEx, float *gCe, float *gBx, float *ggate,
                                   int64_t E, int64_t outRows, int64_t cols);

/* segment.cu */
int gfc_segment_reduce(int op, const float *x, const int32_t *ptr, int64_t S, float *out, int64_t cols,
                       int32_t *argmax);
int gfc_segment_reduce_backward(int op, const float *g, const int32_t *ptr, int64_t S, float *gx, int64_t cols,
                                const int32_t *argmax);

/* batchnorm.cu */
int gfc_batch_norm(const float *x, float *out, int64_t rows, int64_t cols, const float *weight, const float *bias,
                   float *runningMean, float *runningVar, int training, double momentum, double eps,
                   float *saveMean, float *saveInvStd);
int gfc_batch_norm_backward(const float *x, const float *g, int64_t rows, int64_t cols, const float *weight,
                            const float *saveMean, const float *saveInvStd, int training,
                            float *gx, float *gw, float *gb);

/* attention.cu: one launch per call covering every (graph, head), on the packed layout, no padding.
   Limits: dk <= GFC_ATT_MAX_DK (else GFC_EARG). The backward needs, when gq, gk or gMask is wanted,
   graphs of at most GFC_ATT_MAX_NODES nodes (the caller checks graphPtr): a larger graph's gradients
   come out NaN rather than wrong. */
#define GFC_ATT_MAX_DK 128
#define GFC_ATT_MAX_NODES 8192
int gfc_attention_forward(const float *q, const float *k, const float *v, const float *mask,
                          const int32_t *graphPtr, int64_t B, int64_t H, int64_t dk, double scale,
                          const float *drop, float *out, float *probs);
int gfc_attention_backward(const float *q, const float *k, const float *v, const float *mask,
                           const int32_t *graphPtr, int64_t B, int64_t H, int64_t dk, double scale,
                           const float *drop, const float *probs, const float *gOut,
                           float *gq, float *gk, float *gv, float *gMask);

/* optim.cu */
int gfc_adam_step(float *p, const float *g, float *m, float *v, int64_t n, double lr, double beta1, double beta2,
                  double eps, double weightDecay, double step, int decoupled);
int gfc_sgd_step(float *p, const float *g, float *buf, int64_t n, double lr, double momentum, double dampening,
                 double weightDecay, int nesterov, int firstStep);

/* random.cu: state is a DEVICE pointer to the xoshiro128** state [4], advanced in place by 2n draws;
   the mask and the final state are bit-identical to gf_uniform_mask's. */
int gfc_uniform_mask(uint32_t *state, float *out, int64_t n, double threshold, float keep, int below);

/* decay.cu: the backward handles D <= GFC_DECAY_MAX_D distance buckets (else GFC_EARG). */
#define GFC_DECAY_MAX_D 5632
int gfc_decay_mask(const uint16_t *spd, const int32_t *spdPtr, int64_t B, int64_t H, const float *table, int64_t D,
                   float *out);
int gfc_decay_mask_backward(const uint16_t *spd, const int32_t *spdPtr, int64_t B, int64_t H, const float *g,
                            int64_t D, double *sums);
/* decay.cu: the decay table [H, D] on the device, and the hop / log gamma gradients from the bucket sums. */
int gfc_decay_table(const float *hop, const float *logGamma, int64_t H, int64_t D, double gamma, double slope,
                    float *table);
int gfc_decay_table_backward(const double *sums, const float *hop, const float *logGamma, int64_t H, int64_t D,
                             double gamma, double slope, float *gHop, float *gLog);
/* reduce.cu: clip-grad-norm without reading the norm back (acc is a device double). */
int gfc_sum_squares_add(const float *x, int64_t n, double *acc);
int gfc_clip_scale(const double *acc, double maxNorm, float *x, int64_t n, float *norm);

#ifdef __cplusplus
}
#endif
#endif

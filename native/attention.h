/*
 * The attention kernels' per-call state and thread scratch (attention.c), and the
 * 16-rows-at-a-time softmax kernels for CPUs with AVX-512 (attention_avx512.c).
 * Internal to those two files.
 */
#ifndef GF_ATTENTION_H
#define GF_ATTENTION_H
#include <stdint.h>

typedef struct {
  const float *q, *k, *v, *mask, *drop, *probs, *gOut;
  float *out, *probsOut, *gq, *gk, *gv, *gMask;
  const int32_t *ptr;
  const int64_t *moff;  /* start of graph b's mask block */
  int64_t H, dk;
  float scale;
  int rows16;           /* use the att16_ kernels (att16_available()) */
} Att;

/* Thread-local scratch, sized for the largest graph (npad = n rounded up to 16, DKP = dk rounded up);
   loc: 4 rows of npad floats, for rows near the end of a mask block (att16_ kernels). */
typedef struct { float *Kt, *Vt, *Kp, *Qp, *Gp, *Vp, *S, *R, *W, *loc; } Scratch;

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GF_ATT16 1
#pragma GCC visibility push(hidden)  /* internal to the addon: no exports, no PLT calls */
/* 1 when the CPU has AVX-512F, i.e. when the GF_CLONES kernels run their avx512f clones:
   the att16_ kernels reproduce the bits of those clones of the row-at-a-time code. */
int att16_available(void);
/* Head rows [s0, s0+n) of src [N, H, dk], dk a multiple of 16, transposed into t[d*npad + j]
   (zero beyond n). */
void att16_transpose_head(const float *src, int64_t s0, int64_t n, int64_t HD, int64_t off, int64_t dk,
                          float *t, int64_t npad);
/* The softmax of one (graph, head) and its backward (see attention_avx512.c). */
void att16_softmax(const Att *A, int64_t n, int64_t npad, int64_t base, float *S, float *loc);
void att16_softmax_backward(const Att *A, int64_t n, int64_t npad, int64_t base, const Scratch *w, int wantQKM);
#pragma GCC visibility pop
#endif
#endif

/*
 * Dropout masks 16 elements at a time, with the bits and final state of random.c's serial loop.
 *
 * The serial loop is one dependency chain through xoshiro128**'s 128-bit state (~8 cycles per
 * element). The state update is linear over GF(2): state after d draws = M^d s for a fixed
 * 128 x 128 bit matrix M. So a mask of n elements is split into 16 contiguous chunks of
 * C = n / 16 elements; lane k starts at draw 2kC and draws its chunk in order, the 16 lanes side
 * by side in AVX-512 registers. Lane 15 ends exactly where the serial loop would be after 16C
 * elements; the caller draws the last n % 16 serially from there.
 *
 * Jumping ahead: P(x), the characteristic polynomial of M (degree 128, found once by
 * Berlekamp-Massey on 512 bits of one state bit; any error shows in test/kernels_random.test.ts,
 * which compares jumps with stepping), has P(M) = 0 (Cayley-Hamilton), so with
 * x^d mod P = sum c_i x^i, M^d s = sum c_i M^i s: the XOR of the states after the steps i whose
 * c_i is set, over the first 128 steps from s (as xoshiro's own jump() does). x^d mod P is
 * square-and-multiply with carry-less multiplies (PCLMULQDQ) and a Barrett reduction; the 16
 * lanes' polynomials are x^(2kC) = x^(2(k-1)C) * x^(2C), and one walk of 128 steps from s
 * builds all 16 starting states at once: < 1 us a call, so small masks stay serial (random.c).
 */
#include "random_lanes.h"
#ifdef GF_RNG16
#include <immintrin.h>

/* Compiled for the baseline ISA: it runs on every CPU, to decide. */
int rng16_available(void) {
  static int ok = -1; /* computed once (callers racing on it store the same value) */
  int v = __atomic_load_n(&ok, __ATOMIC_RELAXED);
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
    __atomic_store_n(&ok, v, __ATOMIC_RELAXED);
  }
  return v;
}

#pragma GCC target("avx512f,avx2,pclmul,sse4.1")
#define AINLINE inline __attribute__((always_inline))
/* Each lane's output this many elements (4 blocks) ahead is prefetched for writing: training's masks
   go to buffers long out of cache, and without it the 16 store streams waited on memory (ZINC-size
   mask into cold buffers: 78 -> 31 us; 32 to 256 ahead did the same; docs/PERFORMANCE.md round 16x). */
#define PF 64

/* A polynomial of degree < 128 over GF(2): bit e of (lo, hi) is the coefficient of x^e. */
typedef struct { uint64_t lo, hi; } Poly;
/* P(x) = x^128 + PL(x); MU(x) = x^128 + ML(x) = floor(x^256 / P(x)), for Barrett reduction. */
static const Poly PL = {0x1b489db6de18fc01ull, 0x00fc65a2006254b1ull};
static const Poly ML = {0xff70c17d85cb2557ull, 0x00fc30c1e77fb1ccull};

static AINLINE Poly clmul(uint64_t a, uint64_t b) {
  __m128i r = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a), _mm_cvtsi64_si128((long long)b), 0x00);
  return (Poly){(uint64_t)_mm_cvtsi128_si64(r), (uint64_t)_mm_extract_epi64(r, 1)};
}

/* a * b, 256 bits, r[0] lowest. */
static AINLINE void mul256(Poly a, Poly b, uint64_t r[4]) {
  Poly ll = clmul(a.lo, b.lo), lh = clmul(a.lo, b.hi), hl = clmul(a.hi, b.lo), hh = clmul(a.hi, b.hi);
  r[0] = ll.lo;
  r[1] = ll.hi ^ lh.lo ^ hl.lo;
  r[2] = hh.lo ^ lh.hi ^ hl.hi;
  r[3] = hh.hi;
}

/* a * b mod P. Barrett (exact over GF(2) for a product of degree < 256): with T = H x^128 + L,
   the quotient is floor(H * MU / x^128) = H + high128(H * ML), and the remainder the low 128 bits
   of L + quotient * PL. */
static Poly mulmod(Poly a, Poly b) {
  uint64_t t[4], hm[4], qp[4];
  mul256(a, b, t);
  Poly h = {t[2], t[3]};
  mul256(h, ML, hm);
  Poly q = {h.lo ^ hm[2], h.hi ^ hm[3]};
  mul256(q, PL, qp);
  return (Poly){t[0] ^ qp[0], t[1] ^ qp[1]};
}

/* a * x mod P */
static AINLINE Poly mulx(Poly a) {
  uint64_t carry = 0 - (a.hi >> 63);
  return (Poly){(a.lo << 1) ^ (carry & PL.lo), ((a.hi << 1) | (a.lo >> 63)) ^ (carry & PL.hi)};
}

/* x^d mod P, by the bits of d from the top. */
static Poly xpow(uint64_t d) {
  Poly r = {1, 0};
  for (int b = d ? 63 - __builtin_clzll(d) : -1; b >= 0; b--) {
    r = mulmod(r, r);
    if ((d >> b) & 1) r = mulx(r);
  }
  return r;
}

static AINLINE uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

/* One draw's state update (random.c's next_u32 without the output). */
static AINLINE void advance(uint32_t *s) {
  uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
}

/* Lane k's state <- q[k](M) s, for 16 lanes: one walk of 128 steps from s; at step i the lanes
   whose q has coefficient i set XOR in the state. S[w] holds word w of the 16 lanes' states. */
static void walk(const uint32_t *s0, const Poly *q, __m512i S[4]) {
  uint32_t qw[4][16], s[4] = {s0[0], s0[1], s0[2], s0[3]};
  for (int k = 0; k < 16; k++) {
    qw[0][k] = (uint32_t)q[k].lo;
    qw[1][k] = (uint32_t)(q[k].lo >> 32);
    qw[2][k] = (uint32_t)q[k].hi;
    qw[3][k] = (uint32_t)(q[k].hi >> 32);
  }
  __m512i A[4], Q[4];
  for (int w = 0; w < 4; w++) {
    A[w] = _mm512_setzero_si512();
    Q[w] = _mm512_loadu_si512(qw[w]);
  }
  for (int i = 0; i < 128; i++) {
    __mmask16 m = _mm512_test_epi32_mask(Q[i >> 5], _mm512_set1_epi32((int)(1u << (i & 31))));
    for (int w = 0; w < 4; w++) A[w] = _mm512_mask_xor_epi32(A[w], m, A[w], _mm512_set1_epi32((int)s[w]));
    advance(s);
  }
  for (int w = 0; w < 4; w++) S[w] = A[w];
}

void rng16_jump(uint32_t *s, uint64_t draws) {
  Poly q[16] = {xpow(draws)}; /* lane 0 only; the others' zero polynomials give zero states */
  __m512i S[4];
  walk(s, q, S);
  for (int w = 0; w < 4; w++) s[w] = (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(S[w]));
}

/* 16 draws side by side: next_u32 of random.c on each lane (x * 5 and x * 9 as shifts and adds). */
static AINLINE __m512i draw16(__m512i S[4]) {
  __m512i s1 = S[1];
  __m512i r = _mm512_rol_epi32(_mm512_add_epi32(s1, _mm512_slli_epi32(s1, 2)), 7);
  r = _mm512_add_epi32(r, _mm512_slli_epi32(r, 3));
  __m512i t = _mm512_slli_epi32(s1, 9);
  S[2] = _mm512_xor_si512(S[2], S[0]);
  S[3] = _mm512_xor_si512(S[3], S[1]);
  S[1] = _mm512_xor_si512(S[1], S[2]);
  S[0] = _mm512_xor_si512(S[0], S[3]);
  S[2] = _mm512_xor_si512(S[2], t);
  S[3] = _mm512_rol_epi32(S[3], 11);
  return r;
}

/* rows[j] bit k = lane k's outcome at step j0 + j (j < r); stores those r elements of each lane's
   chunk. The 16 x 16 bit transpose: bytes regrouped (low bytes of the 8 rows of each 128-bit half,
   then their high bytes), then movemask takes bit k of every byte at once, for k = 7 .. 0. */
static AINLINE void store_block(const uint16_t rows[16], int r, float *out, int64_t C, int64_t j0, __m512 kv) {
  const __m256i regroup = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15,
                                           0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  __m256i v = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)rows), regroup);
  const __mmask16 rowmask = (__mmask16)(r == 16 ? 0xFFFF : (1u << r) - 1);
  for (int k = 7; k >= 0; k--) {
    /* bits 0-7: lane k rows 0-7; 8-15: lane k+8 rows 0-7; 16-23: lane k rows 8-15; 24-31: lane k+8 rows 8-15 */
    uint32_t mm = (uint32_t)_mm256_movemask_epi8(v);
    __mmask16 lo = (__mmask16)((mm & 0xFFu) | ((mm >> 8) & 0xFF00u));
    __mmask16 hi = (__mmask16)(((mm >> 8) & 0xFFu) | ((mm >> 16) & 0xFF00u));
    _mm512_mask_storeu_ps(out + k * C + j0, rowmask, _mm512_maskz_mov_ps(lo, kv));
    _mm512_mask_storeu_ps(out + (k + 8) * C + j0, rowmask, _mm512_maskz_mov_ps(hi, kv));
    v = _mm256_add_epi8(v, v); /* bit k-1 of every byte to its top */
  }
}

int64_t rng16_mask(uint32_t *s, float *out, int64_t n, uint64_t cut, float keep, int below) {
  const int64_t C = n / 16;
  if (C == 0) return 0;
  Poly q[16];
  q[0] = (Poly){1, 0};
  q[1] = xpow(2 * (uint64_t)C);
  for (int k = 2; k < 16; k++) q[k] = mulmod(q[k - 1], q[1]);
  __m512i S[4];
  walk(s, q, S);
  /* x < cut for x = hi * 2^26 + lo (lo < 2^26) and cut <= 2^53: compare (hi, lo) with cut's
     (cut >> 26, low 26 bits) in order; `below` keeps x < cut, else x >= cut (random.c). */
  const __m512i ch = _mm512_set1_epi32((int)(cut >> 26)), cl = _mm512_set1_epi32((int)(cut & 0x3FFFFFFu));
  const __mmask16 flip = below ? 0 : 0xFFFF;
  const __m512 kv = _mm512_set1_ps(keep);
  uint16_t rows[16];
  for (int64_t j0 = 0; j0 < C; j0 += 16) {
    int r = C - j0 < 16 ? (int)(C - j0) : 16;
    for (int j = 0; j < r; j++) {
      __m512i hi = _mm512_srli_epi32(draw16(S), 5), lo = _mm512_srli_epi32(draw16(S), 6);
      __mmask16 lt = _mm512_cmplt_epu32_mask(hi, ch) |
                     _mm512_mask_cmplt_epu32_mask(_mm512_cmpeq_epi32_mask(hi, ch), lo, cl);
      rows[j] = (uint16_t)(lt ^ flip);
    }
    for (int j = r; j < 16; j++) rows[j] = 0;
    if (j0 + PF < C)
      for (int k = 0; k < 16; k++) _mm_prefetch((const char *)(out + k * C + j0 + PF), _MM_HINT_ET0);
    store_block(rows, r, out, C, j0, kv);
  }
  uint32_t last[16];
  for (int w = 0; w < 4; w++) {
    _mm512_storeu_si512(last, S[w]);
    s[w] = last[15];
  }
  return 16 * C;
}
#endif

/*
 * Dropout masks 16 (AVX-512) or 8 (AVX2) elements at a time, with the bits and final state of
 * random.c's serial loop.
 *
 * The serial loop is one dependency chain through xoshiro128**'s 128-bit state (~7 cycles per
 * element). A mask of n elements is split into L contiguous chunks of C = n / L elements; lane k
 * starts at draw 2kC (random_jump.c: x^(2kC) mod P) and draws its chunk in order, the L lanes side
 * by side in vector registers. Lane L-1 ends exactly where the serial loop would be after LC
 * elements; the caller draws the last n % L serially from there. The lanes' starting states come
 * from one walk of 128 steps from s: at step i, each lane whose polynomial has coefficient i set
 * XORs in the state. Jump and walk cost < 1 us a call, so small masks stay serial (random.c).
 * Each step's keep bits (L lanes) collect into an L x L bit block that is transposed, then stored
 * as one L-float store per lane.
 */
#include "random_lanes.h"
#ifdef GF_RNG_LANES
#include <immintrin.h>

#define AINLINE inline __attribute__((always_inline))
/* Each lane's output this many elements ahead is prefetched for writing: training's masks go to
   buffers long out of cache, and without it the store streams waited on memory (ZINC-size mask
   into cold buffers, 16 lanes: 78 -> 31 us; 32 to 256 ahead did the same; PERFORMANCE round 16x). */
#define PF 64

/* Compiled for the baseline ISA: it runs on every CPU, to decide. */
static int detect(void) {
  static int w = -1; /* computed once (callers racing on it store the same value) */
  int v = __atomic_load_n(&w, __ATOMIC_RELAXED);
  if (v < 0) {
    __builtin_cpu_init();
    int base = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
    v = !base ? 0 : __builtin_cpu_supports("avx512f") ? 16 : 8;
    __atomic_store_n(&w, v, __ATOMIC_RELAXED);
  }
  return v;
}

static int g_cap = 16; /* tests lower it to reach the narrower paths on this CPU */

void rng_lanes_cap(int cap) { __atomic_store_n(&g_cap, cap, __ATOMIC_RELAXED); }

int rng_lanes(void) {
  int hw = detect(), cap = __atomic_load_n(&g_cap, __ATOMIC_RELAXED);
  if (hw <= cap) return hw;
  return cap >= 8 ? 8 : 0; /* AVX-512 CPUs have AVX2 */
}


/* The lanes' polynomials as 4 words per lane, word-major (qw[w][k]: word w of lane k's). */
static void poly_words(const RngPoly *q, int lanes, uint32_t qw[4][16]) {
  for (int k = 0; k < lanes; k++) {
    qw[0][k] = (uint32_t)q[k].lo;
    qw[1][k] = (uint32_t)(q[k].lo >> 32);
    qw[2][k] = (uint32_t)q[k].hi;
    qw[3][k] = (uint32_t)(q[k].hi >> 32);
  }
}

/* ---------------------------------------------------------------- 16 lanes (AVX-512F) */
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,pclmul,sse4.1")

/* Lane k's state <- q[k](M) s, for 16 lanes: one walk of 128 steps from s; at step i the lanes
   whose q has coefficient i set XOR in the state. S[w] holds word w of the 16 lanes' states. */
static void walk16(const uint32_t *s0, const RngPoly *q, __m512i S[4]) {
  uint32_t qw[4][16], s[4] = {s0[0], s0[1], s0[2], s0[3]};
  poly_words(q, 16, qw);
  __m512i A[4], Q[4];
  for (int w = 0; w < 4; w++) {
    A[w] = _mm512_setzero_si512();
    Q[w] = _mm512_loadu_si512(qw[w]);
  }
  for (int i = 0; i < 128; i++) {
    __mmask16 m = _mm512_test_epi32_mask(Q[i >> 5], _mm512_set1_epi32((int)(1u << (i & 31))));
    for (int w = 0; w < 4; w++) A[w] = _mm512_mask_xor_epi32(A[w], m, A[w], _mm512_set1_epi32((int)s[w]));
    gf_rng_advance(s);
  }
  for (int w = 0; w < 4; w++) S[w] = A[w];
}

/* 16 draws side by side: gf_rng_next (xoshiro.h) on each lane (x * 5 and x * 9 as shifts and adds). */
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

static int64_t mask16(uint32_t *s, float *out, int64_t n, uint64_t cut, float keep, int below) {
  const int64_t C = n / 16;
  if (C == 0) return 0;
  RngPoly q[16];
  rng_lane_polys(2 * (uint64_t)C, q, 16);
  __m512i S[4];
  walk16(s, q, S);
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
#pragma GCC pop_options

/* ---------------------------------------------------------------- 8 lanes (AVX2) */
#pragma GCC push_options
#pragma GCC target("avx2,pclmul,sse4.1")

/* walk16 on 8 lanes. */
static void walk8(const uint32_t *s0, const RngPoly *q, __m256i S[4]) {
  uint32_t qw[4][16], s[4] = {s0[0], s0[1], s0[2], s0[3]};
  poly_words(q, 8, qw);
  __m256i A[4], Q[4];
  for (int w = 0; w < 4; w++) {
    A[w] = _mm256_setzero_si256();
    Q[w] = _mm256_loadu_si256((const __m256i *)qw[w]);
  }
  for (int i = 0; i < 128; i++) {
    __m256i bit = _mm256_set1_epi32((int)(1u << (i & 31)));
    __m256i m = _mm256_cmpeq_epi32(_mm256_and_si256(Q[i >> 5], bit), bit);
    for (int w = 0; w < 4; w++) A[w] = _mm256_xor_si256(A[w], _mm256_and_si256(m, _mm256_set1_epi32((int)s[w])));
    gf_rng_advance(s);
  }
  for (int w = 0; w < 4; w++) S[w] = A[w];
}

static AINLINE __m256i rotl8(__m256i x, int k) { return _mm256_or_si256(_mm256_slli_epi32(x, k), _mm256_srli_epi32(x, 32 - k)); }

/* draw16 on 8 lanes (no vector rotate in AVX2: two shifts and an or). */
static AINLINE __m256i draw8(__m256i S[4]) {
  __m256i s1 = S[1];
  __m256i r = rotl8(_mm256_add_epi32(s1, _mm256_slli_epi32(s1, 2)), 7);
  r = _mm256_add_epi32(r, _mm256_slli_epi32(r, 3));
  __m256i t = _mm256_slli_epi32(s1, 9);
  S[2] = _mm256_xor_si256(S[2], S[0]);
  S[3] = _mm256_xor_si256(S[3], S[1]);
  S[1] = _mm256_xor_si256(S[1], S[2]);
  S[0] = _mm256_xor_si256(S[0], S[3]);
  S[2] = _mm256_xor_si256(S[2], t);
  S[3] = rotl8(S[3], 11);
  return r;
}

/* 8 x 8 bit transpose: bit k of byte j <-> bit j of byte k (Hacker's Delight, transpose8). */
static AINLINE uint64_t transpose8(uint64_t x) {
  uint64_t t;
  t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
  x ^= t ^ (t << 7);
  t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
  x ^= t ^ (t << 14);
  t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
  x ^= t ^ (t << 28);
  return x;
}

/* mask16 on 8 lanes: the keep test with signed compares (every operand is below 2^28). */
static int64_t mask8(uint32_t *s, float *out, int64_t n, uint64_t cut, float keep, int below) {
  const int64_t C = n / 8;
  if (C == 0) return 0;
  RngPoly q[8];
  rng_lane_polys(2 * (uint64_t)C, q, 8);
  __m256i S[4];
  walk8(s, q, S);
  const __m256i ch = _mm256_set1_epi32((int)(cut >> 26)), cl = _mm256_set1_epi32((int)(cut & 0x3FFFFFFu));
  const unsigned flip = below ? 0 : 0xFF;
  const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128), iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i kv = _mm256_castps_si256(_mm256_set1_ps(keep));
  for (int64_t j0 = 0; j0 < C; j0 += 8) {
    int r = C - j0 < 8 ? (int)(C - j0) : 8;
    uint64_t rows = 0; /* byte j: step j0 + j, bit k: lane k */
    for (int j = 0; j < r; j++) {
      __m256i hi = _mm256_srli_epi32(draw8(S), 5), lo = _mm256_srli_epi32(draw8(S), 6);
      __m256i lt = _mm256_or_si256(_mm256_cmpgt_epi32(ch, hi),
                                   _mm256_and_si256(_mm256_cmpeq_epi32(hi, ch), _mm256_cmpgt_epi32(cl, lo)));
      rows |= (uint64_t)((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(lt)) ^ flip) << (8 * j);
    }
    uint64_t cols = transpose8(rows); /* byte k: lane k, bit j: step j0 + j */
    if (j0 + PF < C)
      for (int k = 0; k < 8; k++) _mm_prefetch((const char *)(out + k * C + j0 + PF), _MM_HINT_ET0);
    const __m256i first = _mm256_cmpgt_epi32(_mm256_set1_epi32(r), iota);
    for (int k = 0; k < 8; k++) {
      __m256i b = _mm256_set1_epi32((int)((cols >> (8 * k)) & 0xFF));
      __m256 v = _mm256_castsi256_ps(_mm256_and_si256(_mm256_cmpeq_epi32(_mm256_and_si256(b, bits), bits), kv));
      if (r == 8) _mm256_storeu_ps(out + k * C + j0, v);
      else _mm256_maskstore_ps(out + k * C + j0, first, v);
    }
  }
  uint32_t last[8];
  for (int w = 0; w < 4; w++) {
    _mm256_storeu_si256((__m256i *)last, S[w]);
    s[w] = last[7];
  }
  return 8 * C;
}

/* The jump of one state: lane 0 of the walk (the other lanes' zero polynomials give zero states). */
static void jump8(uint32_t *s, RngPoly q0) {
  RngPoly q[8] = {q0};
  __m256i S[4];
  walk8(s, q, S);
  for (int w = 0; w < 4; w++) s[w] = (uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(S[w]));
}
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,pclmul,sse4.1")
static void jump16(uint32_t *s, RngPoly q0) {
  RngPoly q[16] = {q0};
  __m512i S[4];
  walk16(s, q, S);
  for (int w = 0; w < 4; w++) s[w] = (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(S[w]));
}
#pragma GCC pop_options

void rng_lanes_jump(uint32_t *s, uint64_t draws) {
  if (rng_lanes() == 16) jump16(s, rng_xpow(draws));
  else jump8(s, rng_xpow(draws));
}

int64_t rng_lanes_mask(uint32_t *s, float *out, int64_t n, uint64_t cut, float keep, int below) {
  int L = rng_lanes();
  return L == 16 ? mask16(s, out, n, cut, keep, below) : L == 8 ? mask8(s, out, n, cut, keep, below) : 0;
}
#endif

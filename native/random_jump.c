/*
 * Jump-ahead for xoshiro128** (src/util/rng.ts, native/random.c) by polynomial arithmetic.
 *
 * The state update is linear over GF(2): state after d draws = M^d s for a fixed 128 x 128 bit
 * matrix M. P(x), the characteristic polynomial of M (degree 128, found once by Berlekamp-Massey
 * on 512 bits of one state bit; any error shows in test/kernels_random.test.ts, which compares
 * jumps with stepping), has P(M) = 0 (Cayley-Hamilton), so with x^d mod P = sum c_i x^i,
 * M^d s = sum c_i M^i s: the XOR of the states after the steps i whose c_i is set, over the first
 * 128 steps from s (as xoshiro's own jump() does; random_lanes.c walks those steps). x^d mod P is
 * square-and-multiply with carry-less multiplies (PCLMULQDQ) and a Barrett reduction.
 */
#include "random_lanes.h"
#ifdef GF_RNG_LANES
#include <immintrin.h>

#pragma GCC target("pclmul,sse4.1") /* only: the AVX2 lanes call this too */
#define AINLINE inline __attribute__((always_inline))

/* P(x) = x^128 + PL(x); MU(x) = x^128 + ML(x) = floor(x^256 / P(x)), for Barrett reduction. */
static const RngPoly PL = {0x1b489db6de18fc01ull, 0x00fc65a2006254b1ull};
static const RngPoly ML = {0xff70c17d85cb2557ull, 0x00fc30c1e77fb1ccull};

static AINLINE RngPoly clmul(uint64_t a, uint64_t b) {
  __m128i r = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a), _mm_cvtsi64_si128((long long)b), 0x00);
  return (RngPoly){(uint64_t)_mm_cvtsi128_si64(r), (uint64_t)_mm_extract_epi64(r, 1)};
}

/* a * b, 256 bits, r[0] lowest. */
static AINLINE void mul256(RngPoly a, RngPoly b, uint64_t r[4]) {
  RngPoly ll = clmul(a.lo, b.lo), lh = clmul(a.lo, b.hi), hl = clmul(a.hi, b.lo), hh = clmul(a.hi, b.hi);
  r[0] = ll.lo;
  r[1] = ll.hi ^ lh.lo ^ hl.lo;
  r[2] = hh.lo ^ lh.hi ^ hl.hi;
  r[3] = hh.hi;
}

/* a * b mod P. Barrett (exact over GF(2) for a product of degree < 256): with T = H x^128 + L,
   the quotient is floor(H * MU / x^128) = H + high128(H * ML), and the remainder the low 128 bits
   of L + quotient * PL. */
static RngPoly mulmod(RngPoly a, RngPoly b) {
  uint64_t t[4], hm[4], qp[4];
  mul256(a, b, t);
  RngPoly h = {t[2], t[3]};
  mul256(h, ML, hm);
  RngPoly q = {h.lo ^ hm[2], h.hi ^ hm[3]};
  mul256(q, PL, qp);
  return (RngPoly){t[0] ^ qp[0], t[1] ^ qp[1]};
}

/* a * x mod P */
static AINLINE RngPoly mulx(RngPoly a) {
  uint64_t carry = 0 - (a.hi >> 63);
  return (RngPoly){(a.lo << 1) ^ (carry & PL.lo), ((a.hi << 1) | (a.lo >> 63)) ^ (carry & PL.hi)};
}

/* x^d mod P, by the bits of d from the top. */
RngPoly rng_xpow(uint64_t d) {
  RngPoly r = {1, 0};
  for (int b = d ? 63 - __builtin_clzll(d) : -1; b >= 0; b--) {
    r = mulmod(r, r);
    if ((d >> b) & 1) r = mulx(r);
  }
  return r;
}

void rng_lane_polys(uint64_t draws, RngPoly *q, int lanes) {
  q[0] = (RngPoly){1, 0};
  q[1] = rng_xpow(draws);
  for (int k = 2; k < lanes; k++) q[k] = mulmod(q[k - 1], q[1]);
}
#endif

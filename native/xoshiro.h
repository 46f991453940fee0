/*
 * xoshiro128** (Blackman and Vigna), the one random stream behind every dropout mask: one draw's
 * output and its state update, written once for every backend. random.c (scalar) and, through
 * random_lanes.h, random_lanes.c (the lanes' starting-state walk) include it as C; cuda/random.cu
 * includes it as CUDA, where the functions are __host__ __device__ (the host builds the jump
 * tables with the update the threads draw with), so every backend's masks are the same bits.
 */
#ifndef GF_XOSHIRO_H
#define GF_XOSHIRO_H
#include <stdint.h>

#ifdef __CUDACC__
#define GF_XO_FN __host__ __device__ static inline
#else
#define GF_XO_FN static inline __attribute__((always_inline))
#endif

GF_XO_FN uint32_t gf_rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

/* One draw's state update (gf_rng_next without its output). */
GF_XO_FN void gf_rng_advance(uint32_t *s) {
  uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = gf_rotl32(s[3], 11);
}

/* One 32-bit draw: the output of the current state, then the state advanced. */
GF_XO_FN uint32_t gf_rng_next(uint32_t *s) {
  uint32_t result = gf_rotl32(s[1] * 5u, 7) * 9u;
  gf_rng_advance(s);
  return result;
}
#endif

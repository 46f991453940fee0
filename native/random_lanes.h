/*
 * Dropout masks drawn 16 (AVX-512) or 8 (AVX2) elements at a time (random_lanes.c): the
 * xoshiro128** stream of random.c split into contiguous chunks, one per lane, each lane jumped
 * ahead to its chunk's first draw (random_jump.c). Only in GCC builds for x86-64 (the addon).
 */
#ifndef GF_RANDOM_LANES_H
#define GF_RANDOM_LANES_H
#include <stdint.h>
#include "xoshiro.h"

/* random.c, for the addon's test hooks (rngJump, setRngLanes): state advanced by `draws` 32-bit
   draws, by rng_lanes_jump where rng_lanes() > 0 (returns the lane width used), else by stepping
   (returns 0); and the cap on the lane width (16, 8 or 0), returning the width now in use. */
int gf_rng_jump(uint32_t *state, uint64_t draws);
int gf_rng_set_lanes(int cap);

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GF_RNG_LANES 1
#pragma GCC visibility push(hidden) /* internal to the addon */
/* A polynomial over GF(2) of degree < 128: bit e of (lo, hi) is the coefficient of x^e. */
typedef struct { uint64_t lo, hi; } RngPoly;
/* random_jump.c (needs PCLMULQDQ): x^d mod P, P the characteristic polynomial of the state update;
   and q[k] = x^(k * draws) mod P for k < lanes (lanes >= 2), lane k's jump. */
RngPoly rng_xpow(uint64_t d);
void rng_lane_polys(uint64_t draws, RngPoly *q, int lanes);
/* random_lanes.c: the lane width this CPU runs, at most the cap (16: AVX-512F, 8: AVX2, both with
   PCLMULQDQ; 0: neither, or capped to 0). */
int rng_lanes(void);
void rng_lanes_cap(int cap);
/* Where rng_lanes() > 0: s <- the state after `draws` draws (32-bit outputs), in < 1 us. */
void rng_lanes_jump(uint32_t *s, uint64_t draws);
/* Where rng_lanes() = L > 0: the first L * (n / L) elements of random.c's
   mask_loop(s, out, n, cut, keep, below), and s advanced past them (2 draws each); the caller
   draws the rest (< L) in order. Returns how many elements it drew. */
int64_t rng_lanes_mask(uint32_t *s, float *out, int64_t n, uint64_t cut, float keep, int below);
#pragma GCC visibility pop
#endif
#endif

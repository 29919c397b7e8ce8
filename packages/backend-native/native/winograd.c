/*
 * 3x3 and 5x5 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3), F(2x2, 3x3), F(4x4, 5x5) and
 * F(2x2, 5x5) (Lavin and Gray, 2015): each m x m block of outputs ("tile") is computed from its a x a input patch
 * (a = m + r - 1 for an r x r filter) with a^2 multiplications a channel pair instead of m^2 r^2 (36 instead of 144,
 * 16 instead of 36, 64 instead of 400, 36 instead of 100), the a^2 products of all tiles and channels being a^2
 * independent matrix products (the GEMM of gemm.c):
 *
 *   forward:          Y_t = A^T [ U (.) V_t ] A,  U = G g G^T (filter),  V_t = B^T d_t B (input patch)
 *   input gradient:   the forward of dy with the filter turned 180 degrees and its channels swapped
 *   filter gradient:  dg = G^T [ sum_t (A dY_t A^T) (.) V_t ] G   (the forward's adjoint in g)
 *
 * Elementwise (.) over the a^2 positions xi becomes, summed over channels, M[xi] = V[xi] x U[xi]: a [tiles x C] by
 * [C x O] product for each xi. Tiles are taken a chunk at a time, in phases split over the threads (see chunk_job);
 * the filter gradient sums each dU[xi] over the chunks in order, so its bits do not depend on the thread count.
 *
 * The matrices are the usual Toom-Cook ones (scripts/native/winograd_matrices.py makes and checks them): points 0, 1,
 * -1 and infinity for F(2, 3); 0, 1, -1, 2, -2 and infinity for F(4, 3) and F(2, 5), whose transforms multiply by up
 * to 8 and divide by 6 and 24 and so round more; those and 1/2, -1/2 for F(4, 5), whose multiply by up to 21 and
 * divide by up to 360 (against float64 on V2's conv2, bench/winograd-accuracy.mjs: 5.0e-6 of the largest output
 * forward and 4.3e-6 filter gradient, F(2, 5) 2.9e-6 and 7.7e-6). The tests hold F(2, 3) to the CPU backend's 1e-5 of the largest value, the others to
 * 3e-5. Each 2-D transform is its 1-D one down the columns, then along the rows, written out without its zero terms.
 * Whether a shape takes this path is `winograd_applies`, measured in bench/winograd.mjs; ALEXNET_NATIVE_WINOGRAD=off
 * (or winograd_set_mode) turns it off.
 */
#include <stdlib.h>
#include <string.h>

#include "native.h"

/* A correlation with an r x r filter, stride 1, in m x m output tiles: `in` is read at rows m * ty - pad_top + 0..a-1
 * for output tile row ty. */
typedef struct {
  int m, r; /* 4 and 3, 2 and 3, 4 and 5, or 2 and 5 */
  int batch, in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int pad_top, pad_left; /* may be negative (the input gradient of a convolution padded by more than r - 1) */
} wino_geom;

static long tiles_h(const wino_geom *g) { return (g->out_h + g->m - 1) / g->m; }
static long tiles_w(const wino_geom *g) { return (g->out_w + g->m - 1) / g->m; }
static long tiles_total(const wino_geom *g) { return (long)g->batch * tiles_h(g) * tiles_w(g); }
static int positions(const wino_geom *g) { return (g->m + g->r - 1) * (g->m + g->r - 1); }

/* Eight floats, loaded and stored unaligned: the transforms' lanes (SSE pairs on the baseline build). */
typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32), aligned(4)));

/* ---- 1-D transforms: x read at (x)[0], (x)[s], ..., y written at (y)[0], (y)[t], ... (any lane type) ---- */

/* F(2, 3): B^T (4 -> 4), G (3 -> 4), A^T (4 -> 2), A (2 -> 4), G^T (4 -> 3). */
#define BT_4(x, s, y, t)                                                                                           \
  do {                                                                                                             \
    (y)[0] = (x)[0] - (x)[2 * (s)];                                                                                      \
    (y)[t] = (x)[s] + (x)[2 * (s)];                                                                                      \
    (y)[2 * (t)] = (x)[2 * (s)] - (x)[s];                                                                                \
    (y)[3 * (t)] = (x)[s] - (x)[3 * (s)];                                                                                \
  } while (0)
#define G_4(x, s, y, t)                                                                                            \
  do {                                                                                                             \
    (y)[0] = (x)[0];                                                                                                   \
    (y)[t] = 0.5f * ((x)[0] + (x)[s] + (x)[2 * (s)]);                                                                      \
    (y)[2 * (t)] = 0.5f * ((x)[0] - (x)[s] + (x)[2 * (s)]);                                                                \
    (y)[3 * (t)] = (x)[2 * (s)];                                                                                       \
  } while (0)
#define AT_4(x, s, y, t)                                                                                           \
  do {                                                                                                             \
    (y)[0] = (x)[0] + (x)[s] + (x)[2 * (s)];                                                                               \
    (y)[t] = (x)[s] - (x)[2 * (s)] - (x)[3 * (s)];                                                                         \
  } while (0)
#define A_4(x, s, y, t)                                                                                            \
  do {                                                                                                             \
    (y)[0] = (x)[0];                                                                                                   \
    (y)[t] = (x)[0] + (x)[s];                                                                                            \
    (y)[2 * (t)] = (x)[0] - (x)[s];                                                                                      \
    (y)[3 * (t)] = -(x)[s];                                                                                            \
  } while (0)
#define GT_4(x, s, y, t)                                                                                           \
  do {                                                                                                             \
    (y)[0] = (x)[0] + 0.5f * ((x)[s] + (x)[2 * (s)]);                                                                      \
    (y)[t] = 0.5f * ((x)[s] - (x)[2 * (s)]);                                                                             \
    (y)[2 * (t)] = 0.5f * ((x)[s] + (x)[2 * (s)]) + (x)[3 * (s)];                                                          \
  } while (0)

/* F(2, 5): B^T (6 -> 6), G (5 -> 6), A^T (6 -> 2), A (2 -> 6), G^T (6 -> 5). */
#define BT_6(x, s, y, t)                                                                                           \
  do {                                                                                                             \
    (y)[0] = 4.f * (x)[0] - 5.f * (x)[2 * (s)] + (x)[4 * (s)];                                                             \
    (y)[t] = (x)[3 * (s)] + (x)[4 * (s)] - 4.f * ((x)[s] + (x)[2 * (s)]);                                                    \
    (y)[2 * (t)] = (x)[4 * (s)] - (x)[3 * (s)] + 4.f * ((x)[s] - (x)[2 * (s)]);                                              \
    (y)[3 * (t)] = (x)[4 * (s)] - (x)[2 * (s)] + 2.f * ((x)[3 * (s)] - (x)[s]);                                              \
    (y)[4 * (t)] = (x)[4 * (s)] - (x)[2 * (s)] - 2.f * ((x)[3 * (s)] - (x)[s]);                                              \
    (y)[5 * (t)] = 4.f * (x)[s] - 5.f * (x)[3 * (s)] + (x)[5 * (s)];                                                       \
  } while (0)
#define G_6(x, s, y, t)                                                                                            \
  do {                                                                                                             \
    (y)[0] = 0.25f * (x)[0];                                                                                           \
    (y)[t] = (-1.f / 6) * ((x)[0] + (x)[s] + (x)[2 * (s)] + (x)[3 * (s)] + (x)[4 * (s)]);                                      \
    (y)[2 * (t)] = (-1.f / 6) * ((x)[0] - (x)[s] + (x)[2 * (s)] - (x)[3 * (s)] + (x)[4 * (s)]);                                \
    (y)[3 * (t)] = (1.f / 24) * (x)[0] + (1.f / 12) * (x)[s] + (1.f / 6) * (x)[2 * (s)] + (1.f / 3) * (x)[3 * (s)] +         \
                 (2.f / 3) * (x)[4 * (s)];                                                                           \
    (y)[4 * (t)] = (1.f / 24) * (x)[0] - (1.f / 12) * (x)[s] + (1.f / 6) * (x)[2 * (s)] - (1.f / 3) * (x)[3 * (s)] +         \
                 (2.f / 3) * (x)[4 * (s)];                                                                           \
    (y)[5 * (t)] = (x)[4 * (s)];                                                                                       \
  } while (0)
#define AT_6(x, s, y, t)                                                                                           \
  do {                                                                                                             \
    (y)[0] = (x)[0] + (x)[s] + (x)[2 * (s)] + (x)[3 * (s)] + (x)[4 * (s)];                                                     \
    (y)[t] = (x)[s] - (x)[2 * (s)] + 2.f * ((x)[3 * (s)] - (x)[4 * (s)]) + (x)[5 * (s)];                                       \
  } while (0)
#define A_6(x, s, y, t)                                                                                            \
  do {                                                                                                             \
    (y)[0] = (x)[0];                                                                                                   \
    (y)[t] = (x)[0] + (x)[s];                                                                                            \
    (y)[2 * (t)] = (x)[0] - (x)[s];                                                                                      \
    (y)[3 * (t)] = (x)[0] + 2.f * (x)[s];                                                                                \
    (y)[4 * (t)] = (x)[0] - 2.f * (x)[s];                                                                                \
    (y)[5 * (t)] = (x)[s];                                                                                             \
  } while (0)
#define GT_6(x, s, y, t)                                                                                           \
  do {                                                                                                             \
    (y)[0] = 0.25f * (x)[0] - (1.f / 6) * ((x)[s] + (x)[2 * (s)]) + (1.f / 24) * ((x)[3 * (s)] + (x)[4 * (s)]);                \
    (y)[t] = (1.f / 6) * ((x)[2 * (s)] - (x)[s]) + (1.f / 12) * ((x)[3 * (s)] - (x)[4 * (s)]);                               \
    (y)[2 * (t)] = (1.f / 6) * ((x)[3 * (s)] + (x)[4 * (s)] - (x)[s] - (x)[2 * (s)]);                                        \
    (y)[3 * (t)] = (1.f / 6) * ((x)[2 * (s)] - (x)[s]) + (1.f / 3) * ((x)[3 * (s)] - (x)[4 * (s)]);                          \
    (y)[4 * (t)] = (2.f / 3) * ((x)[3 * (s)] + (x)[4 * (s)]) - (1.f / 6) * ((x)[s] + (x)[2 * (s)]) + (x)[5 * (s)];             \
  } while (0)

/* F(4, 3): B^T is F(2, 5)'s (the same points); G (3 -> 6), A^T (6 -> 4), A (4 -> 6), G^T (6 -> 3). */
#define G_6_3(x, s, y, t)                                                                                          \
  do {                                                                                                             \
    (y)[0] = 0.25f * (x)[0];                                                                                       \
    (y)[t] = (-1.f / 6) * ((x)[0] + (x)[s] + (x)[2 * (s)]);                                                        \
    (y)[2 * (t)] = (-1.f / 6) * ((x)[0] - (x)[s] + (x)[2 * (s)]);                                                  \
    (y)[3 * (t)] = (1.f / 24) * (x)[0] + (1.f / 12) * (x)[s] + (1.f / 6) * (x)[2 * (s)];                           \
    (y)[4 * (t)] = (1.f / 24) * (x)[0] - (1.f / 12) * (x)[s] + (1.f / 6) * (x)[2 * (s)];                           \
    (y)[5 * (t)] = (x)[2 * (s)];                                                                                   \
  } while (0)
#define AT_6_4(x, s, y, t)                                                                                         \
  do {                                                                                                             \
    (y)[0] = (x)[0] + (x)[s] + (x)[2 * (s)] + (x)[3 * (s)] + (x)[4 * (s)];                                         \
    (y)[t] = (x)[s] - (x)[2 * (s)] + 2.f * ((x)[3 * (s)] - (x)[4 * (s)]);                                          \
    (y)[2 * (t)] = (x)[s] + (x)[2 * (s)] + 4.f * ((x)[3 * (s)] + (x)[4 * (s)]);                                    \
    (y)[3 * (t)] = (x)[s] - (x)[2 * (s)] + 8.f * ((x)[3 * (s)] - (x)[4 * (s)]) + (x)[5 * (s)];                     \
  } while (0)
#define A_6_4(x, s, y, t)                                                                                          \
  do {                                                                                                             \
    (y)[0] = (x)[0];                                                                                               \
    (y)[t] = (x)[0] + (x)[s] + (x)[2 * (s)] + (x)[3 * (s)];                                                        \
    (y)[2 * (t)] = (x)[0] - (x)[s] + (x)[2 * (s)] - (x)[3 * (s)];                                                  \
    (y)[3 * (t)] = (x)[0] + 2.f * (x)[s] + 4.f * (x)[2 * (s)] + 8.f * (x)[3 * (s)];                                \
    (y)[4 * (t)] = (x)[0] - 2.f * (x)[s] + 4.f * (x)[2 * (s)] - 8.f * (x)[3 * (s)];                                \
    (y)[5 * (t)] = (x)[3 * (s)];                                                                                   \
  } while (0)
#define GT_6_3(x, s, y, t)                                                                                         \
  do {                                                                                                             \
    (y)[0] = 0.25f * (x)[0] - (1.f / 6) * ((x)[s] + (x)[2 * (s)]) + (1.f / 24) * ((x)[3 * (s)] + (x)[4 * (s)]);    \
    (y)[t] = (1.f / 6) * ((x)[2 * (s)] - (x)[s]) + (1.f / 12) * ((x)[3 * (s)] - (x)[4 * (s)]);                     \
    (y)[2 * (t)] = (1.f / 6) * ((x)[3 * (s)] + (x)[4 * (s)] - (x)[s] - (x)[2 * (s)]) + (x)[5 * (s)];               \
  } while (0)

/* F(4, 5): points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity (F(6, 3)'s in Lavin and Gray). B^T (8 -> 8), G (5 -> 8),
 * A^T (8 -> 4), A (4 -> 8), G^T (8 -> 5), from scripts/native/winograd_matrices.py (exact fractions; B^T's rows scaled
 * to integers, G's rows by the inverse). In B^T, A^T and A, which run for every tile, the rows for +p and -p share
 * their even and odd parts; G and G^T run once a filter and are written out as generated. */
/* Rows 1-6 of an 8-point transform from the even and odd parts of its three point pairs (+-1, +-2, +-1/2). */
#define PAIRS_1_TO_6(y, t, e1, o1, e2, o2, e3, o3)                                                                  \
  do {                                                                                                              \
    (y)[t] = (e1) + (o1);                                                                                           \
    (y)[2 * (t)] = (e1) - (o1);                                                                                     \
    (y)[3 * (t)] = (e2) + (o2);                                                                                     \
    (y)[4 * (t)] = (e2) - (o2);                                                                                     \
    (y)[5 * (t)] = (e3) + (o3);                                                                                     \
    (y)[6 * (t)] = (e3) - (o3);                                                                                     \
  } while (0)
#define BT_8(x, s, y, t)                                                                                            \
  do {                                                                                                              \
    __typeof__((x)[0] * 1.f) e1_ = 4.f * ((x)[2 * (s)] + (x)[6 * (s)]) - 17.f * (x)[4 * (s)];                       \
    __typeof__((x)[0] * 1.f) o1_ = 4.f * ((x)[s] + (x)[5 * (s)]) - 17.f * (x)[3 * (s)];                             \
    __typeof__((x)[0] * 1.f) e2_ = (x)[2 * (s)] - 5.f * (x)[4 * (s)] + 4.f * (x)[6 * (s)];                          \
    __typeof__((x)[0] * 1.f) o2_ = 2.f * (x)[s] - 10.f * (x)[3 * (s)] + 8.f * (x)[5 * (s)];                         \
    __typeof__((x)[0] * 1.f) e3_ = 8.f * (x)[2 * (s)] - 10.f * (x)[4 * (s)] + 2.f * (x)[6 * (s)];                   \
    __typeof__((x)[0] * 1.f) o3_ = 4.f * (x)[s] - 5.f * (x)[3 * (s)] + (x)[5 * (s)];                                \
    (y)[0] = 4.f * ((x)[6 * (s)] - (x)[0]) + 21.f * ((x)[2 * (s)] - (x)[4 * (s)]);                                  \
    PAIRS_1_TO_6(y, t, e1_, o1_, e2_, o2_, e3_, o3_);                                                               \
    (y)[7 * (t)] = 4.f * ((x)[7 * (s)] - (x)[s]) + 21.f * ((x)[3 * (s)] - (x)[5 * (s)]);                            \
  } while (0)
#define G_8(x, s, y, t)                                                                                             \
  do {                                                                                                              \
    (y)[0] = -(1.f / 4) * (x)[0];                                                                                   \
    (y)[t] = -(1.f / 18) * (x)[0] - (1.f / 18) * (x)[s] - (1.f / 18) * (x)[2 * (s)] - (1.f / 18) * (x)[3 * (s)] - (1.f / 18) * (x)[4 * (s)]; \
    (y)[2 * (t)] = -(1.f / 18) * (x)[0] + (1.f / 18) * (x)[s] - (1.f / 18) * (x)[2 * (s)] + (1.f / 18) * (x)[3 * (s)] - (1.f / 18) * (x)[4 * (s)]; \
    (y)[3 * (t)] = (1.f / 360) * (x)[0] + (1.f / 180) * (x)[s] + (1.f / 90) * (x)[2 * (s)] + (1.f / 45) * (x)[3 * (s)] + (2.f / 45) * (x)[4 * (s)]; \
    (y)[4 * (t)] = (1.f / 360) * (x)[0] - (1.f / 180) * (x)[s] + (1.f / 90) * (x)[2 * (s)] - (1.f / 45) * (x)[3 * (s)] + (2.f / 45) * (x)[4 * (s)]; \
    (y)[5 * (t)] = (16.f / 45) * (x)[0] + (8.f / 45) * (x)[s] + (4.f / 45) * (x)[2 * (s)] + (2.f / 45) * (x)[3 * (s)] + (1.f / 45) * (x)[4 * (s)]; \
    (y)[6 * (t)] = (16.f / 45) * (x)[0] - (8.f / 45) * (x)[s] + (4.f / 45) * (x)[2 * (s)] - (2.f / 45) * (x)[3 * (s)] + (1.f / 45) * (x)[4 * (s)]; \
    (y)[7 * (t)] = (1.f / 4) * (x)[4 * (s)];                                                                        \
  } while (0)
#define AT_8(x, s, y, t)                                                                                            \
  do {                                                                                                              \
    __typeof__((x)[0] * 1.f) p1_ = (x)[s] + (x)[2 * (s)], m1_ = (x)[s] - (x)[2 * (s)];                              \
    __typeof__((x)[0] * 1.f) p2_ = (x)[3 * (s)] + (x)[4 * (s)], m2_ = (x)[3 * (s)] - (x)[4 * (s)];                  \
    __typeof__((x)[0] * 1.f) p3_ = (x)[5 * (s)] + (x)[6 * (s)], m3_ = (x)[5 * (s)] - (x)[6 * (s)];                  \
    (y)[0] = (x)[0] + p1_ + p2_ + p3_;                                                                              \
    (y)[t] = m1_ + 2.f * m2_ + 0.5f * m3_;                                                                          \
    (y)[2 * (t)] = p1_ + 4.f * p2_ + 0.25f * p3_;                                                                   \
    (y)[3 * (t)] = m1_ + 8.f * m2_ + 0.125f * m3_ + (x)[7 * (s)];                                                   \
  } while (0)
#define A_8(x, s, y, t)                                                                                             \
  do {                                                                                                              \
    __typeof__((x)[0] * 1.f) e1_ = (x)[0] + (x)[2 * (s)], o1_ = (x)[s] + (x)[3 * (s)];                              \
    __typeof__((x)[0] * 1.f) e2_ = (x)[0] + 4.f * (x)[2 * (s)], o2_ = 2.f * (x)[s] + 8.f * (x)[3 * (s)];            \
    __typeof__((x)[0] * 1.f) e3_ = (x)[0] + 0.25f * (x)[2 * (s)], o3_ = 0.5f * (x)[s] + 0.125f * (x)[3 * (s)];      \
    (y)[0] = (x)[0];                                                                                                \
    PAIRS_1_TO_6(y, t, e1_, o1_, e2_, o2_, e3_, o3_);                                                               \
    (y)[7 * (t)] = (x)[3 * (s)];                                                                                    \
  } while (0)
#define GT_8(x, s, y, t)                                                                                            \
  do {                                                                                                              \
    (y)[0] = -(1.f / 4) * (x)[0] - (1.f / 18) * (x)[s] - (1.f / 18) * (x)[2 * (s)] + (1.f / 360) * (x)[3 * (s)] + (1.f / 360) * (x)[4 * (s)] + (16.f / 45) * (x)[5 * (s)] + (16.f / 45) * (x)[6 * (s)]; \
    (y)[t] = -(1.f / 18) * (x)[s] + (1.f / 18) * (x)[2 * (s)] + (1.f / 180) * (x)[3 * (s)] - (1.f / 180) * (x)[4 * (s)] + (8.f / 45) * (x)[5 * (s)] - (8.f / 45) * (x)[6 * (s)]; \
    (y)[2 * (t)] = -(1.f / 18) * (x)[s] - (1.f / 18) * (x)[2 * (s)] + (1.f / 90) * (x)[3 * (s)] + (1.f / 90) * (x)[4 * (s)] + (4.f / 45) * (x)[5 * (s)] + (4.f / 45) * (x)[6 * (s)]; \
    (y)[3 * (t)] = -(1.f / 18) * (x)[s] + (1.f / 18) * (x)[2 * (s)] + (1.f / 45) * (x)[3 * (s)] - (1.f / 45) * (x)[4 * (s)] + (2.f / 45) * (x)[5 * (s)] - (2.f / 45) * (x)[6 * (s)]; \
    (y)[4 * (t)] = -(1.f / 18) * (x)[s] - (1.f / 18) * (x)[2 * (s)] + (2.f / 45) * (x)[3 * (s)] + (2.f / 45) * (x)[4 * (s)] + (1.f / 45) * (x)[5 * (s)] + (1.f / 45) * (x)[6 * (s)] + (1.f / 4) * (x)[7 * (s)]; \
  } while (0)

/* ---- 2-D transforms: a 1-D one down the columns of an (n_in rows) x (cols) block, then along the rows ---- */

/* out (rows_out x cols_out) = T1 in T2^T, where `down` (n_in -> rows_out) runs down columns and `along`
 * (cols -> cols_out) along the rows of the intermediate (rows_out x cols). */
#define TRANSFORM_2D(T, down, along, in, cols, rows_out, cols_out, out)                                            \
  do {                                                                                                             \
    T mid_[64];                                                                                                    \
    for (int j_ = 0; j_ < (cols); j_++) down((in) + j_, (cols), (mid_ + j_), (cols));                              \
    for (int i_ = 0; i_ < (rows_out); i_++) along((mid_ + i_ * (cols)), 1, ((out) + i_ * (cols_out)), 1);          \
  } while (0)

/* The kinds, as (m, r): F(2x2, 3x3), F(4x4, 3x3), F(2x2, 5x5), F(4x4, 5x5). */
#define IS_23(m, r) ((m) == 2 && (r) == 3)
#define IS_43(m, r) ((m) == 4 && (r) == 3)
#define IS_45(m, r) ((m) == 4 && (r) == 5)

/* V = B^T d B: a x a -> a x a. */
#define INPUT_TRANSFORM(T, m, r, d, v)                                                                             \
  do {                                                                                                             \
    if (IS_23(m, r))                                                                                               \
      TRANSFORM_2D(T, BT_4, BT_4, d, 4, 4, 4, v);                                                                  \
    else if (IS_45(m, r))                                                                                          \
      TRANSFORM_2D(T, BT_8, BT_8, d, 8, 8, 8, v);                                                                  \
    else                                                                                                           \
      TRANSFORM_2D(T, BT_6, BT_6, d, 6, 6, 6, v);                                                                  \
  } while (0)
/* Y = A^T M A: a x a -> m x m. */
#define OUTPUT_TRANSFORM(T, m, r, s, y)                                                                            \
  do {                                                                                                             \
    if (IS_23(m, r))                                                                                               \
      TRANSFORM_2D(T, AT_4, AT_4, s, 4, 2, 2, y);                                                                  \
    else if (IS_43(m, r))                                                                                          \
      TRANSFORM_2D(T, AT_6_4, AT_6_4, s, 6, 4, 4, y);                                                              \
    else if (IS_45(m, r))                                                                                          \
      TRANSFORM_2D(T, AT_8, AT_8, s, 8, 4, 4, y);                                                                  \
    else                                                                                                           \
      TRANSFORM_2D(T, AT_6, AT_6, s, 6, 2, 2, y);                                                                  \
  } while (0)
/* W = A y A^T: m x m -> a x a (the output transform's adjoint). */
#define GRADIENT_TRANSFORM(T, m, r, y, w)                                                                          \
  do {                                                                                                             \
    if (IS_23(m, r))                                                                                               \
      TRANSFORM_2D(T, A_4, A_4, y, 2, 4, 4, w);                                                                    \
    else if (IS_43(m, r))                                                                                          \
      TRANSFORM_2D(T, A_6_4, A_6_4, y, 4, 6, 6, w);                                                                \
    else if (IS_45(m, r))                                                                                          \
      TRANSFORM_2D(T, A_8, A_8, y, 4, 8, 8, w);                                                                    \
    else                                                                                                           \
      TRANSFORM_2D(T, A_6, A_6, y, 2, 6, 6, w);                                                                    \
  } while (0)
/* U = G g G^T: r x r -> a x a. */
#define FILTER_TRANSFORM(T, m, r, g, u)                                                                            \
  do {                                                                                                             \
    if (IS_23(m, r))                                                                                               \
      TRANSFORM_2D(T, G_4, G_4, g, 3, 4, 4, u);                                                                    \
    else if (IS_43(m, r))                                                                                          \
      TRANSFORM_2D(T, G_6_3, G_6_3, g, 3, 6, 6, u);                                                                \
    else if (IS_45(m, r))                                                                                          \
      TRANSFORM_2D(T, G_8, G_8, g, 5, 8, 8, u);                                                                    \
    else                                                                                                           \
      TRANSFORM_2D(T, G_6, G_6, g, 5, 6, 6, u);                                                                    \
  } while (0)
/* dg = G^T du G: a x a -> r x r (the filter transform's adjoint). */
#define FILTER_ADJOINT(T, m, r, du, g)                                                                             \
  do {                                                                                                             \
    if (IS_23(m, r))                                                                                               \
      TRANSFORM_2D(T, GT_4, GT_4, du, 4, 3, 3, g);                                                                 \
    else if (IS_43(m, r))                                                                                          \
      TRANSFORM_2D(T, GT_6_3, GT_6_3, du, 6, 3, 3, g);                                                             \
    else if (IS_45(m, r))                                                                                          \
      TRANSFORM_2D(T, GT_8, GT_8, du, 8, 5, 5, g);                                                                 \
    else                                                                                                           \
      TRANSFORM_2D(T, GT_6, GT_6, du, 6, 5, 5, g);                                                                 \
  } while (0)

/* Each tile function below is written once for a kind (m, r) and inlined into one copy per kind, so that the
 * transforms' loops are fully unrolled for it. */
#define PER_KIND static inline __attribute__((always_inline))

/* ---- tiles ---- */

static void tile_position(const wino_geom *g, long t, int *n, int *ty, int *tx) {
  long per_image = tiles_h(g) * tiles_w(g);
  *n = (int)(t / per_image);
  long r = t % per_image;
  *ty = (int)(r / tiles_w(g));
  *tx = (int)(r % tiles_w(g));
}

/* v[i][xi][c] = V of tile t0 + i (i < count). */
PER_KIND void input_tiles_k(const int m, const int r, const wino_geom *g, const float *in, long t0, int count, float *v,
                            const float *zeros) {
  const int C = g->in_c, a = m + r - 1, P = a * a;
  for (int i = 0; i < count; i++) {
    int n, ty, tx;
    tile_position(g, t0 + i, &n, &ty, &tx);
    const float *p[64];
    for (int dy = 0; dy < a; dy++) {
      int iy = m * ty - g->pad_top + dy;
      for (int dx = 0; dx < a; dx++) {
        int ix = m * tx - g->pad_left + dx;
        int inside = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w;
        p[a * dy + dx] = inside ? in + (((long)n * g->in_h + iy) * g->in_w + ix) * C : zeros;
      }
    }
    float *out = v + (long)i * P * C;
    int c = 0;
    for (; c + 8 <= C; c += 8) {
      v8 d[64], t[64];
      for (int k = 0; k < P; k++) d[k] = *(const v8 *)(p[k] + c);
      INPUT_TRANSFORM(v8, m, r, d, t);
      for (int k = 0; k < P; k++) *(v8 *)(out + k * C + c) = t[k];
    }
    for (; c < C; c++) {
      float d[64], t[64];
      for (int k = 0; k < P; k++) d[k] = p[k][c];
      INPUT_TRANSFORM(float, m, r, d, t);
      for (int k = 0; k < P; k++) out[k * C + c] = t[k];
    }
  }
}

/* Writes the m x m outputs of tiles t0 .. t0 + count from prod[i][xi][o], with bias and ReLU. */
PER_KIND void output_tiles_k(const int m, const int r, const wino_geom *g, const float *prod, long t0, int count,
                             const float *bias, int relu, float *out) {
  const int O = g->out_c, P = (m + r - 1) * (m + r - 1);
  for (int i = 0; i < count; i++) {
    int n, ty, tx;
    tile_position(g, t0 + i, &n, &ty, &tx);
    float *dst[16];
    int rows = g->out_h - m * ty < m ? g->out_h - m * ty : m, cols = g->out_w - m * tx < m ? g->out_w - m * tx : m;
    for (int a = 0; a < m; a++)
      for (int b = 0; b < m; b++)
        dst[m * a + b] = a < rows && b < cols ? out + (((long)n * g->out_h + m * ty + a) * g->out_w + m * tx + b) * O
                                              : NULL;
    const float *src = prod + (long)i * P * O;
    int o = 0;
    for (; o + 8 <= O; o += 8) {
      v8 s[64], y[16];
      for (int k = 0; k < P; k++) s[k] = *(const v8 *)(src + k * O + o);
      OUTPUT_TRANSFORM(v8, m, r, s, y);
      v8 b8 = bias ? *(const v8 *)(bias + o) : (v8){0};
      for (int k = 0; k < m * m; k++) {
        if (!dst[k]) continue;
        v8 value = y[k] + b8;
        /* Negative lanes to 0, NaN kept (as the direct path's `x < 0 ? 0 : x`). */
        if (relu) value = (v8)((v8i)value & ~(value < (v8){0}));
        *(v8 *)(dst[k] + o) = value;
      }
    }
    for (; o < O; o++) {
      float s[64], y[16];
      for (int k = 0; k < P; k++) s[k] = src[k * O + o];
      OUTPUT_TRANSFORM(float, m, r, s, y);
      for (int k = 0; k < m * m; k++) {
        if (!dst[k]) continue;
        float value = y[k] + (bias ? bias[o] : 0.f);
        dst[k][o] = relu && value < 0.f ? 0.f : value;
      }
    }
  }
}

/* w[i][xi][o] = A dY A^T of tiles t0 .. t0 + count of dy (the forward's output grid), zero past its edges. */
PER_KIND void gradient_tiles_k(const int m, const int r, const wino_geom *g, const float *dy, long t0, int count,
                               float *w, const float *zeros) {
  const int O = g->out_c, P = (m + r - 1) * (m + r - 1);
  for (int i = 0; i < count; i++) {
    int n, ty, tx;
    tile_position(g, t0 + i, &n, &ty, &tx);
    const float *p[16];
    for (int a = 0; a < m; a++)
      for (int b = 0; b < m; b++) {
        int oy = m * ty + a, ox = m * tx + b;
        p[m * a + b] = oy < g->out_h && ox < g->out_w ? dy + (((long)n * g->out_h + oy) * g->out_w + ox) * O : zeros;
      }
    float *dst = w + (long)i * P * O;
    int o = 0;
    for (; o + 8 <= O; o += 8) {
      v8 y[16], t[64];
      for (int k = 0; k < m * m; k++) y[k] = *(const v8 *)(p[k] + o);
      GRADIENT_TRANSFORM(v8, m, r, y, t);
      for (int k = 0; k < P; k++) *(v8 *)(dst + k * O + o) = t[k];
    }
    for (; o < O; o++) {
      float y[16], t[64];
      for (int k = 0; k < m * m; k++) y[k] = p[k][o];
      GRADIENT_TRANSFORM(float, m, r, y, t);
      for (int k = 0; k < P; k++) dst[k * O + o] = t[k];
    }
  }
}

/* One call per kind, so that each inlined copy has constant m and r. */
#define BY_KIND(g, call)                                                                                           \
  do {                                                                                                             \
    if (IS_23((g)->m, (g)->r))                                                                                     \
      call(2, 3);                                                                                                  \
    else if (IS_43((g)->m, (g)->r))                                                                                \
      call(4, 3);                                                                                                  \
    else if (IS_45((g)->m, (g)->r))                                                                                \
      call(4, 5);                                                                                                  \
    else                                                                                                           \
      call(2, 5);                                                                                                  \
  } while (0)

static void input_tiles(const wino_geom *g, const float *in, long t0, int count, float *v, const float *zeros) {
#define INPUT_CALL(m, r) input_tiles_k(m, r, g, in, t0, count, v, zeros)
  BY_KIND(g, INPUT_CALL);
#undef INPUT_CALL
}

static void output_tiles(const wino_geom *g, const float *prod, long t0, int count, const float *bias, int relu,
                         float *out) {
#define OUTPUT_CALL(m, r) output_tiles_k(m, r, g, prod, t0, count, bias, relu, out)
  BY_KIND(g, OUTPUT_CALL);
#undef OUTPUT_CALL
}

static void gradient_tiles(const wino_geom *g, const float *dy, long t0, int count, float *w, const float *zeros) {
#define GRADIENT_CALL(m, r) gradient_tiles_k(m, r, g, dy, t0, count, w, zeros)
  BY_KIND(g, GRADIENT_CALL);
#undef GRADIENT_CALL
}

/* Scratch kept between calls (fresh pages cost more than the transforms); the addon is only called from one thread. */
static float *scratch_v, *scratch_m;
static long scratch_v_floats, scratch_m_floats;

static float *scratch(float **buffer, long *floats, long wanted) {
  if (*floats < wanted) {
    free(*buffer);
    *buffer = aligned_alloc(64, sizeof(float) * ((wanted + 15) / 16 * 16));
    *floats = wanted;
  }
  return *buffer;
}

/* Tiles a chunk: at most 2^17 x 16 floats of V (or M) over all positions, 8 MiB a buffer shared by the threads, but
 * never under 48 tiles (so wider layers than AlexNet's take more). On
 * V2's conv2-5 (all three passes, 2 threads, best of 7 against 2^18) 2^17 took 5% less time at batch 32 and 4% at 128
 * (conv2 11-15% less, conv3-5 within 7% either way); 2^16 took 3% more. A chunk holds tiles in inverse proportion to
 * the kind's positions: F(4x4, 5x5)'s 64 hold 16/64 of F(2x2, 3x3)'s 16, 36 hold 16/36. */
static int chunk_tiles(const wino_geom *g, int channels) {
  long most = (1L << 17) * 16 / positions(g) / (channels < 1 ? 1 : channels), total = tiles_total(g);
  if (most < 48) most = 48;
  if (total < 1) return (int)most;
  /* Chunks of equal size: 512 tiles in two of 256, not 303 and 209. */
  long chunks = (total + most - 1) / most;
  return (int)((total + chunks - 1) / chunks);
}

/* A thread gets at least a few dozen tiles, so tiny images do not pay for waking threads. */
static int threads_for(const wino_geom *g) {
  long tiles = tiles_total(g);
  int threads = threads_count();
  if (threads > tiles / 32) threads = tiles / 32 < 1 ? 1 : (int)(tiles / 32);
  return threads > 256 ? 256 : threads;
}

/* Thread t's share [*begin, *end) of n items. */
static void share_of(long n, int t, int threads, long *begin, long *end) {
  *begin = n * t / threads;
  *end = n * (t + 1) / threads;
}

/* Runs fn on `threads` threads, or on this one. */
static void run_on(thread_fn fn, void *ctx, int threads) {
  if (threads <= 1)
    fn(ctx, 0, 1);
  else
    threads_run(fn, ctx, threads);
}

/*
 * A chunk is done in phases, each split over all the threads: the tiles' transforms (split by tile), then the
 * positions' products (split by position and, where positions are fewer than several a thread, by column blocks of
 * the output channels), then the output transforms. So one V and one M serve every thread, and in the filter gradient
 * each block of dU[xi] (a position, a column block) is summed by one thread over the chunks in order: no per-thread
 * partial sums, and the same bits whatever the thread count.
 */
typedef struct {
  const wino_geom *g;
  long t0;
  int count;       /* tiles in this chunk */
  int C, O;        /* the products' depth and width: [count x C] x [C x O] (forward) */
  int col_blocks;  /* O split into this many column blocks a position */
  const float *in, *dy, *u, *bias, *zeros;
  float *v, *m, *out;
  int relu, accumulate; /* accumulate: dU is added to (every chunk after the first) */
} chunk_job;

/* Column blocks a position: enough items (positions x blocks) for 4 a thread, blocks at least 32 channels wide. */
static int column_blocks(int positions, int width, int threads) {
  int blocks = (4 * threads + positions - 1) / positions;
  int most = (width + 31) / 32;
  return blocks < 1 ? 1 : blocks > most ? most : blocks;
}

/* Product item i's position and column range [*o0, *o1) of `width`. */
static int item_columns(const chunk_job *job, long i, int width, int *o0, int *o1) {
  const int block = (int)(i % job->col_blocks);
  const int step = (width / job->col_blocks + 31) / 32 * 32;
  *o0 = block * step;
  *o1 = block == job->col_blocks - 1 || *o0 + step > width ? width : *o0 + step;
  return (int)(i / job->col_blocks);
}

/* Runs fn on thread t's share of the chunk's product items: (position, column block) pairs. */
static void for_items(const chunk_job *job, int t, int threads,
                      void (*fn)(const chunk_job *job, int xi, int o0, int o1)) {
  long b, e;
  share_of((long)positions(job->g) * job->col_blocks, t, threads, &b, &e);
  for (long i = b; i < e; i++) {
    int o0, o1;
    const int xi = item_columns(job, i, job->O, &o0, &o1);
    if (o0 < o1) fn(job, xi, o0, o1);
  }
}

/* ---- forward (also the input gradient) ---- */

static void forward_inputs(void *ctx, int t, int threads) {
  const chunk_job *job = ctx;
  long b, e;
  share_of(job->count, t, threads, &b, &e);
  if (b < e) input_tiles(job->g, job->in, job->t0 + b, (int)(e - b), job->v + b * positions(job->g) * job->C, job->zeros);
}

/* M[xi] (count x O) = V[xi] (count x C) U[xi] (C x O), columns o0..o1 */
static void forward_product(const chunk_job *job, int xi, int o0, int o1) {
  const int C = job->C, O = job->O, P = positions(job->g);
  gemm_args p = {job->v + (long)xi * C, (long)P * C, 1, job->u + (long)xi * C * O + o0, O, 1,
                 job->m + (long)xi * O + o0, (long)P * O, job->count, o1 - o0, C, 0};
  gemm_single(&p);
}

static void forward_products(void *ctx, int t, int threads) { for_items(ctx, t, threads, forward_product); }

static void forward_outputs(void *ctx, int t, int threads) {
  const chunk_job *job = ctx;
  long b, e;
  share_of(job->count, t, threads, &b, &e);
  if (b < e)
    output_tiles(job->g, job->m + b * positions(job->g) * job->O, job->t0 + b, (int)(e - b), job->bias, job->relu,
                 job->out);
}

/*
 * Runs `phases` in order over each chunk of job->g's tiles, every phase on all the threads. Fills in the job's sizes
 * and scratch; the caller sets its tensors.
 */
static void run_chunks(chunk_job *job, const thread_fn *phases, int phase_count) {
  const wino_geom *g = job->g;
  const int C = g->in_c, O = g->out_c, P = positions(g);
  const long total = tiles_total(g);
  const int threads = threads_for(g);
  const int chunk = chunk_tiles(g, C > O ? C : O);
  job->C = C;
  job->O = O;
  job->col_blocks = column_blocks(P, O, threads);
  float *zeros = calloc(C > O ? C : O, sizeof(float));
  job->zeros = zeros;
  job->v = scratch(&scratch_v, &scratch_v_floats, (long)P * chunk * C);
  job->m = scratch(&scratch_m, &scratch_m_floats, (long)P * chunk * O);
  for (long t0 = 0; t0 < total; t0 += chunk) {
    job->t0 = t0;
    job->count = total - t0 < chunk ? (int)(total - t0) : chunk;
    job->accumulate = t0 > 0;
    for (int i = 0; i < phase_count; i++) run_on(phases[i], job, threads);
  }
  free(zeros);
}

static void run_forward(const wino_geom *g, const float *in, const float *u, const float *bias, int relu, float *out) {
  static const thread_fn phases[] = {forward_inputs, forward_products, forward_outputs};
  chunk_job job = {.g = g, .in = in, .u = u, .bias = bias, .out = out, .relu = relu};
  run_chunks(&job, phases, 3);
}

/* ---- filters ---- */

/* The filters' transforms, kept between calls like the chunks' scratch (the addon is only called from one thread). */
static float *filter_u, *filter_flipped;
static long filter_u_floats, filter_flipped_floats;

typedef struct {
  int m, r;
  const float *w; /* HWIO: [r * r][C][O] */
  int C, O;
  float *u; /* [positions][C][O] */
} filter_job;

/* Rows [begin, end) of C: U = G g G^T for every (c, o), 8 outputs at a time. */
PER_KIND void filter_rows_k(const int m, const int r, const filter_job *job, long begin, long end) {
  const int C = job->C, O = job->O, P = (m + r - 1) * (m + r - 1);
  const long plane = (long)C * O;
  for (long c = begin; c < end; c++) {
    const float *row = job->w + c * O;
    float *dst = job->u + c * O;
    int o = 0;
    for (; o + 8 <= O; o += 8) {
      v8 g[25], u[64];
      for (int k = 0; k < r * r; k++) g[k] = *(const v8 *)(row + k * plane + o);
      FILTER_TRANSFORM(v8, m, r, g, u);
      for (int xi = 0; xi < P; xi++) *(v8 *)(dst + xi * plane + o) = u[xi];
    }
    for (; o < O; o++) {
      float g[25], u[64];
      for (int k = 0; k < r * r; k++) g[k] = row[k * plane + o];
      FILTER_TRANSFORM(float, m, r, g, u);
      for (int xi = 0; xi < P; xi++) dst[xi * plane + o] = u[xi];
    }
  }
}

static void filter_rows(void *ctx, long begin, long end) {
  const filter_job *job = ctx;
#define FILTER_CALL(m, r) filter_rows_k(m, r, job, begin, end)
  BY_KIND(job, FILTER_CALL);
#undef FILTER_CALL
}

/* u[xi][c][o] from an HWIO r x r filter [r][r][C][O], for g's kind. */
static float *transform_filter(const wino_geom *g, const float *w, int C, int O) {
  float *u = scratch(&filter_u, &filter_u_floats, (long)positions(g) * C * O);
  filter_job job = {g->m, g->r, w, C, O, u};
  parallel_range(C, 8, filter_rows, &job);
  return u;
}

typedef struct {
  int taps; /* r * r */
  const float *w;
  int C, O;
  float *out;
} flip_job;

/* Taps [begin, end): out(kh, kw, o, c) = w(r - 1 - kh, r - 1 - kw, c, o), in 32 x 32 blocks (a transpose). */
static void flip_taps(void *ctx, long begin, long end) {
  const flip_job *job = ctx;
  const int C = job->C, O = job->O;
  const long plane = (long)C * O;
  for (long k = begin; k < end; k++) {
    const float *src = job->w + (job->taps - 1 - k) * plane;
    float *dst = job->out + k * plane;
    for (int c0 = 0; c0 < C; c0 += 32)
      for (int o0 = 0; o0 < O; o0 += 32)
        for (int c = c0; c < C && c < c0 + 32; c++)
          for (int o = o0; o < O && o < o0 + 32; o++) dst[(long)o * C + c] = src[(long)c * O + o];
  }
}

static int tile_forced = 0; /* 0: the rule's choice; 2 or 4: forced (winograd_set_tile) */

void winograd_set_tile(int m) { tile_forced = m == 2 || m == 4 ? m : 0; }

/* The output tile, for 3x3 and 5x5 filters alike, on an out_h x out_w output: 4 x 4 unless an output side is under
 * 4. F(4x4, 3x3) needs 1.36x fewer multiplications than F(2x2, 3x3) on 13 x 13 outputs, F(4x4, 5x5) 2.25x fewer than
 * F(2x2, 5x5) on 27 x 27 (bench/winograd.mjs compares them). */
static int output_tile(int out_h, int out_w) {
  if (tile_forced) return tile_forced;
  return out_h >= 4 && out_w >= 4 ? 4 : 2;
}

static wino_geom forward_geom(const conv_shape *s) {
  wino_geom g = {output_tile(s->out_h, s->out_w),
                 s->k_h,
                 s->batch,
                 s->in_h,
                 s->in_w,
                 s->in_c,
                 s->out_h,
                 s->out_w,
                 s->out_c,
                 s->pad_top,
                 s->pad_left};
  return g;
}

void winograd_forward(const conv_shape *s, const float *x, const float *w, const float *bias, int relu, float *y) {
  wino_geom g = forward_geom(s);
  float *u = transform_filter(&g, w, s->in_c, s->out_c);
  run_forward(&g, x, u, bias, relu, y);
}

void winograd_backprop_input(const conv_shape *s, const float *dy, const float *w, float *dx) {
  const int r = s->k_h, taps = r * r;
  /* The forward of dy with g'(kh, kw, o, c) = g(r - 1 - kh, r - 1 - kw, c, o). */
  float *flipped = scratch(&filter_flipped, &filter_flipped_floats, (long)taps * s->in_c * s->out_c);
  flip_job flip = {taps, w, s->in_c, s->out_c, flipped};
  parallel_range(taps, 1, flip_taps, &flip);
  wino_geom g = {output_tile(s->in_h, s->in_w),
                 r,
                 s->batch,
                 s->out_h,
                 s->out_w,
                 s->out_c,
                 s->in_h,
                 s->in_w,
                 s->in_c,
                 r - 1 - s->pad_top,
                 r - 1 - s->pad_left};
  float *u = transform_filter(&g, flipped, s->out_c, s->in_c);
  run_forward(&g, dy, u, NULL, 0, dx);
}

/* ---- filter gradient ---- */

static void gradient_inputs(void *ctx, int t, int threads) {
  const chunk_job *job = ctx;
  const int P = positions(job->g);
  long b, e;
  share_of(job->count, t, threads, &b, &e);
  if (b >= e) return;
  input_tiles(job->g, job->in, job->t0 + b, (int)(e - b), job->v + b * P * job->C, job->zeros);
  gradient_tiles(job->g, job->dy, job->t0 + b, (int)(e - b), job->m + b * P * job->O, job->zeros);
}

/* dU[xi] (C x O) (+)= V[xi]^T (C x count) W[xi] (count x O), columns o0..o1 */
static void gradient_product(const chunk_job *job, int xi, int o0, int o1) {
  const int C = job->C, O = job->O, P = positions(job->g);
  gemm_args p = {job->v + (long)xi * C, 1, (long)P * C, job->m + (long)xi * O + o0, (long)P * O, 1,
                 job->out + (long)xi * C * O + o0, O, C, o1 - o0, job->count, job->accumulate};
  gemm_single(&p);
}

static void gradient_products(void *ctx, int t, int threads) { for_items(ctx, t, threads, gradient_product); }

/* dw(kh, kw, c, o) = G^T dU(., ., c, o) G for rows [begin, end) of C. */
typedef struct {
  int m, r, C, O;
  const float *du;
  float *dw;
} adjoint_job;

PER_KIND void adjoint_rows_k(const int m, const int r, const adjoint_job *job, long begin, long end) {
  const int C = job->C, O = job->O, P = (m + r - 1) * (m + r - 1);
  const long plane = (long)C * O;
  for (long c = begin; c < end; c++) {
    const float *src = job->du + c * O;
    float *dst = job->dw + c * O;
    int o = 0;
    for (; o + 8 <= O; o += 8) {
      v8 d[64], g[25];
      for (int xi = 0; xi < P; xi++) d[xi] = *(const v8 *)(src + xi * plane + o);
      FILTER_ADJOINT(v8, m, r, d, g);
      for (int k = 0; k < r * r; k++) *(v8 *)(dst + k * plane + o) = g[k];
    }
    for (; o < O; o++) {
      float d[64], g[25];
      for (int xi = 0; xi < P; xi++) d[xi] = src[xi * plane + o];
      FILTER_ADJOINT(float, m, r, d, g);
      for (int k = 0; k < r * r; k++) dst[k * plane + o] = g[k];
    }
  }
}

static void adjoint_rows(void *ctx, long begin, long end) {
  const adjoint_job *job = ctx;
#define ADJOINT_CALL(m, r) adjoint_rows_k(m, r, job, begin, end)
  BY_KIND(job, ADJOINT_CALL);
#undef ADJOINT_CALL
}

void winograd_backprop_filter(const conv_shape *s, const float *x, const float *dy, float *dw) {
  static const thread_fn phases[] = {gradient_inputs, gradient_products};
  wino_geom g = forward_geom(s);
  const int C = s->in_c, O = s->out_c;
  /* dU lives in the filter transform's scratch (unused until the next forward); the first chunk writes it. */
  float *du = scratch(&filter_u, &filter_u_floats, (long)positions(&g) * C * O);
  chunk_job job = {.g = &g, .in = x, .dy = dy, .out = du};
  run_chunks(&job, phases, 2);
  adjoint_job adjoint = {g.m, g.r, C, O, du, dw};
  parallel_range(C, 8, adjoint_rows, &adjoint);
}

/* ---- the choice ---- */

static int mode = -1; /* WINOGRAD_OFF, WINOGRAD_AUTO, WINOGRAD_ALWAYS; -1 until read from the environment */

int winograd_mode(void) {
  if (mode < 0) {
    const char *env = getenv("ALEXNET_NATIVE_WINOGRAD");
    mode = env && (strcmp(env, "off") == 0 || strcmp(env, "0") == 0) ? WINOGRAD_OFF
           : env && strcmp(env, "always") == 0                      ? WINOGRAD_ALWAYS
                                                                    : WINOGRAD_AUTO;
  }
  return mode;
}

void winograd_set_mode(int m) { mode = m; }

int winograd_applies(const conv_shape *s) {
  int m = winograd_mode();
  if (m == WINOGRAD_OFF) return 0;
  if (s->k_h != s->k_w || (s->k_h != 3 && s->k_h != 5)) return 0;
  if (s->stride_h != 1 || s->stride_w != 1 || s->dil_h != 1 || s->dil_w != 1) return 0;
  if (s->batch < 1 || s->out_h < 1 || s->out_w < 1 || s->in_c < 1 || s->out_c < 1) return 0;
  if (m == WINOGRAD_ALWAYS) return 1;
  /* The measured rule (bench/winograd.mjs, batch 32): the transforms move 2.25x (F(4x4, 3x3)), 4x (F(2x2, 3x3)),
   * 4x (F(4x4, 5x5)) or 9x (F(2x2, 5x5)) the input and output, and the products are only C deep, which pays once
   * both channel counts give them enough work. F(4x4, 5x5) gains 2.5-3.2x on V2's conv2, 2.6-2.9x on V1's, 1.4-1.8x at
   * 32 -> 96 and 1.9-2.5x at 32 -> 64 (27 px); F(4x4, 3x3) gains 9-24% at 64 -> 64 (27 px) and 1.6-2.1x on V2's
   * conv3-5; F(2x2, 5x5), for outputs under 4 on a side, gains 7% at 64 -> 64 and loses 20-30% at 32 -> 96;
   * F(2x2, 3x3), for outputs under 4 on a side, gains 4-35% at 192 -> 128 and loses up to 15% at 128 -> 128. */
  if (s->k_h == 5 && output_tile(s->out_h, s->out_w) == 4)
    return s->in_c >= WINOGRAD_MIN_CHANNELS_F4_5X5 && s->out_c >= WINOGRAD_MIN_CHANNELS_F4_5X5;
  if (s->in_c < WINOGRAD_MIN_CHANNELS || s->out_c < WINOGRAD_MIN_CHANNELS) return 0;
  if (s->k_h == 3 && output_tile(s->out_h, s->out_w) == 2) return (long)s->in_c * s->out_c >= WINOGRAD_MIN_PAIRS_F2_3X3;
  return 1;
}

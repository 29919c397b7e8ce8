/*
 * The N-API surface: thin wrappers that check their arguments and hand raw Float32Array memory to the kernels.
 * Everything runs synchronously on the calling thread plus the kernel thread pool; outputs are arrays the caller
 * allocated. Node-API is ABI-stable, so one build serves every Node version >= 18.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stdio.h>
#include <string.h>

#include "native.h"

#define CHECK(call)                                                                                                   \
  do {                                                                                                                \
    if ((call) != napi_ok) return fail(env, "internal N-API call failed: " #call);                                    \
  } while (0)

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* Fetches up to `max` arguments. */
static int args_of(napi_env env, napi_callback_info info, napi_value *argv, size_t max) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  for (size_t i = argc; i < max; i++) napi_get_undefined(env, &argv[i]);
  return (int)argc;
}

/* A Float32Array's memory, or NULL (and a pending TypeError naming the argument) for anything else. `optional`
 * accepts null / undefined as NULL without an error. */
static float *floats(napi_env env, napi_value v, const char *name, size_t *length, int optional) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (optional && (type == napi_null || type == napi_undefined)) {
    if (length) *length = 0;
    return NULL;
  }
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  napi_typedarray_type kind;
  size_t count = 0;
  void *data = NULL;
  if (!is_typed || napi_get_typedarray_info(env, v, &kind, &count, &data, NULL, NULL) != napi_ok ||
      kind != napi_float32_array) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a Float32Array", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  if (length) *length = count;
  /* An empty array may have no backing store; any non-null pointer will do since nothing is read. */
  return data ? (float *)data : (float *)"";
}

static double number(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

/* The convolution / pooling geometry as an Int32Array of 15 numbers, in conv_shape's field order. */
static int shape_of(napi_env env, napi_value v, conv_shape *s) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  napi_typedarray_type kind;
  size_t count = 0;
  void *data = NULL;
  if (!is_typed || napi_get_typedarray_info(env, v, &kind, &count, &data, NULL, NULL) != napi_ok ||
      kind != napi_int32_array || count != 15) {
    napi_throw_type_error(env, NULL, "shape must be an Int32Array of 15 numbers");
    return 0;
  }
  memcpy(s, data, sizeof *s);
  return 1;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* In WINOGRAD_OFF, WINOGRAD_AUTO, WINOGRAD_ALWAYS order. */
static const char *const WINOGRAD_MODES[] = {"off", "auto", "always"};

/* obj[name] = a number or a string: one N-API status for the pair of calls. */
static napi_status put_number(napi_env env, napi_value obj, const char *name, double number) {
  napi_value value;
  napi_status status = napi_create_double(env, number, &value);
  return status != napi_ok ? status : napi_set_named_property(env, obj, name, value);
}

static napi_status put_string(napi_env env, napi_value obj, const char *name, const char *text) {
  napi_value value;
  napi_status status = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  return status != napi_ok ? status : napi_set_named_property(env, obj, name, value);
}

static napi_value info(napi_env env, napi_callback_info cb) {
  (void)cb;
  static const char *const SOURCES[] = {"caches", "environment", "set"};
  const gemm_blocks b = gemm_current_blocks();
  const cache_sizes c = gemm_cache_sizes();
  napi_value out, blocks, caches;
  CHECK(napi_create_object(env, &out));
  CHECK(put_string(env, out, "isa", gemm_isa()));
  CHECK(put_number(env, out, "threads", threads_count()));
  CHECK(put_string(env, out, "winograd", WINOGRAD_MODES[winograd_mode()]));
  CHECK(napi_create_object(env, &blocks));
  CHECK(put_number(env, blocks, "kc", b.kc));
  CHECK(put_number(env, blocks, "mc", b.mc));
  CHECK(put_number(env, blocks, "nc", b.nc));
  CHECK(put_string(env, blocks, "source", SOURCES[gemm_blocks_source()]));
  CHECK(napi_set_named_property(env, out, "gemmBlocks", blocks));
  CHECK(napi_create_object(env, &caches));
  CHECK(put_number(env, caches, "l1d", (double)c.l1d));
  CHECK(put_number(env, caches, "l2", (double)c.l2));
  CHECK(put_number(env, caches, "l3", (double)c.l3));
  CHECK(napi_set_named_property(env, out, "caches", caches));
  return out;
}

static napi_value set_threads(napi_env env, napi_callback_info cb) {
  napi_value argv[1];
  args_of(env, cb, argv, 1);
  threads_set((int)number(env, argv[0]));
  return undefined(env);
}

/* The call's one argument as a string of under `size` bytes (longer ones are cut, so they match no name). */
static void name_arg(napi_env env, napi_callback_info cb, char *name, size_t size) {
  napi_value argv[1];
  args_of(env, cb, argv, 1);
  size_t len = 0;
  name[0] = 0;
  napi_get_value_string_utf8(env, argv[0], name, size, &len);
}

static napi_value boolean(napi_env env, int value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

static napi_value set_isa(napi_env env, napi_callback_info cb) {
  char name[32];
  name_arg(env, cb, name, sizeof name);
  return boolean(env, gemm_set_isa(name));
}

/* setWinograd('off' | 'auto' | 'always'): false for any other name. */
static napi_value set_winograd(napi_env env, napi_callback_info cb) {
  char name[16];
  name_arg(env, cb, name, sizeof name);
  for (int m = 0; m < 3; m++)
    if (strcmp(name, WINOGRAD_MODES[m]) == 0) {
      winograd_set_mode(m);
      return boolean(env, 1);
    }
  return boolean(env, 0);
}

/* setWinogradTile(m): the output tile, 2 or 4 (F(2x2, r x r) or F(4x4, r x r), r = 3 or 5); 0 the rule's choice. */
static napi_value set_winograd_tile(napi_env env, napi_callback_info cb) {
  napi_value argv[1];
  args_of(env, cb, argv, 1);
  winograd_set_tile((int)number(env, argv[0]));
  return undefined(env);
}

/* fmaPeak(seconds): GFLOP/s of the current thread count running independent FMA chains (peak.c), about 1.5 x seconds
 * of work; seconds from 0.001 to 10. */
static napi_value fma_peak(napi_env env, napi_callback_info cb) {
  napi_value argv[1], result;
  args_of(env, cb, argv, 1);
  double seconds = number(env, argv[0]);
  if (!(seconds >= 0.001 && seconds <= 10)) return fail(env, "fmaPeak: seconds must be from 0.001 to 10");
  CHECK(napi_create_double(env, fma_peak_gflops(threads_count(), seconds), &result));
  return result;
}

/* setGemmBlocks(kc, mc, nc): the matrix products' cache blocking; (0, 0, 0) returns to the derived one. false if
 * refused (out of range or not whole numbers). */
static napi_value set_gemm_blocks(napi_env env, napi_callback_info cb) {
  napi_value argv[3];
  args_of(env, cb, argv, 3);
  double kc = number(env, argv[0]), mc = number(env, argv[1]), nc = number(env, argv[2]);
  /* Bounded before the casts (a huge or NaN double does not convert to int); gemm_set_blocks checks the ranges. */
  double values[3] = {kc, mc, nc};
  for (int i = 0; i < 3; i++)
    if (!(values[i] >= 0 && values[i] <= 1 << 20) || values[i] != (int)values[i]) return boolean(env, 0);
  return boolean(env, gemm_set_blocks((int)kc, (int)mc, (int)nc));
}

/* gemm(a, b, c, m, n, k, transposeA, transposeB, accumulate): C = op(A) op(B), all row-major. */
static napi_value gemm(napi_env env, napi_callback_info cb) {
  napi_value argv[9];
  args_of(env, cb, argv, 9);
  size_t la, lb, lc;
  float *a = floats(env, argv[0], "a", &la, 0), *b = floats(env, argv[1], "b", &lb, 0),
        *c = floats(env, argv[2], "c", &lc, 0);
  if (!a || !b || !c) return NULL;
  int m = (int)number(env, argv[3]), n = (int)number(env, argv[4]), k = (int)number(env, argv[5]);
  bool ta = false, tb = false, acc = false;
  napi_get_value_bool(env, argv[6], &ta);
  napi_get_value_bool(env, argv[7], &tb);
  napi_get_value_bool(env, argv[8], &acc);
  if (la < (size_t)m * k || lb < (size_t)k * n || lc < (size_t)m * n) return fail(env, "gemm: arrays too small");
  gemm_args g = {a, ta ? 1 : k, ta ? m : 1, b, tb ? 1 : n, tb ? k : 1, c, n, m, n, k, acc};
  gemm_parallel(&g, threads_count());
  return undefined(env);
}

static napi_value conv_forward(napi_env env, napi_callback_info cb) {
  napi_value argv[6];
  args_of(env, cb, argv, 6);
  conv_shape s;
  if (!shape_of(env, argv[0], &s)) return NULL;
  float *x = floats(env, argv[1], "x", NULL, 0), *w = floats(env, argv[2], "filter", NULL, 0);
  float *bias = floats(env, argv[3], "bias", NULL, 1), *y = floats(env, argv[5], "y", NULL, 0);
  bool relu = false;
  napi_get_value_bool(env, argv[4], &relu);
  if (!x || !w || !y) return NULL;
  conv2d_forward(&s, x, w, bias, relu, y);
  return undefined(env);
}

static napi_value conv_backprop_input(napi_env env, napi_callback_info cb) {
  napi_value argv[4];
  args_of(env, cb, argv, 4);
  conv_shape s;
  if (!shape_of(env, argv[0], &s)) return NULL;
  float *dy = floats(env, argv[1], "dy", NULL, 0), *w = floats(env, argv[2], "filter", NULL, 0),
        *dx = floats(env, argv[3], "dx", NULL, 0);
  if (!dy || !w || !dx) return NULL;
  conv2d_backprop_input(&s, dy, w, dx);
  return undefined(env);
}

static napi_value conv_backprop_filter(napi_env env, napi_callback_info cb) {
  napi_value argv[4];
  args_of(env, cb, argv, 4);
  conv_shape s;
  if (!shape_of(env, argv[0], &s)) return NULL;
  float *x = floats(env, argv[1], "x", NULL, 0), *dy = floats(env, argv[2], "dy", NULL, 0),
        *dw = floats(env, argv[3], "dw", NULL, 0);
  if (!x || !dy || !dw) return NULL;
  conv2d_backprop_filter(&s, x, dy, dw);
  return undefined(env);
}

static napi_value pool_forward(napi_env env, napi_callback_info cb) {
  napi_value argv[3];
  args_of(env, cb, argv, 3);
  conv_shape s;
  if (!shape_of(env, argv[0], &s)) return NULL;
  float *x = floats(env, argv[1], "x", NULL, 0), *y = floats(env, argv[2], "y", NULL, 0);
  if (!x || !y) return NULL;
  max_pool(&s, x, y);
  return undefined(env);
}

/* maxPoolGrad(shape, x, y, dy, dx): y is the forward's output (TF.js passes it to the gradient). */
static napi_value pool_backward(napi_env env, napi_callback_info cb) {
  napi_value argv[5];
  args_of(env, cb, argv, 5);
  conv_shape s;
  if (!shape_of(env, argv[0], &s)) return NULL;
  float *x = floats(env, argv[1], "x", NULL, 0), *y = floats(env, argv[2], "y", NULL, 0),
        *dy = floats(env, argv[3], "dy", NULL, 0), *dx = floats(env, argv[4], "dx", NULL, 0);
  if (!x || !y || !dy || !dx) return NULL;
  max_pool_grad(&s, x, y, dy, dx);
  return undefined(env);
}

/* lrn(channels, radius, bias, alpha, beta, x, y) */
static napi_value lrn(napi_env env, napi_callback_info cb) {
  napi_value argv[7];
  args_of(env, cb, argv, 7);
  size_t n;
  float *x = floats(env, argv[5], "x", &n, 0), *y = floats(env, argv[6], "y", NULL, 0);
  if (!x || !y) return NULL;
  int channels = (int)number(env, argv[0]);
  if (channels <= 0) return fail(env, "lrn: channels must be positive");
  lrn_forward((long)(n / channels), channels, (int)number(env, argv[1]), (float)number(env, argv[2]),
              (float)number(env, argv[3]), (float)number(env, argv[4]), x, y);
  return undefined(env);
}

/* lrnGrad(channels, radius, bias, alpha, beta, x, y, dy, dx) */
static napi_value lrn_grad(napi_env env, napi_callback_info cb) {
  napi_value argv[9];
  args_of(env, cb, argv, 9);
  size_t n;
  float *x = floats(env, argv[5], "x", &n, 0), *y = floats(env, argv[6], "y", NULL, 0),
        *dy = floats(env, argv[7], "dy", NULL, 0), *dx = floats(env, argv[8], "dx", NULL, 0);
  if (!x || !y || !dy || !dx) return NULL;
  int channels = (int)number(env, argv[0]);
  if (channels <= 0) return fail(env, "lrnGrad: channels must be positive");
  lrn_backward((long)(n / channels), channels, (int)number(env, argv[1]), (float)number(env, argv[2]),
               (float)number(env, argv[3]), (float)number(env, argv[4]), x, y, dy, dx);
  return undefined(env);
}

/* columnSum(x, out): sums the rows of x (viewed as [x.length / out.length, out.length]) into out. */
static napi_value column_sum_fn(napi_env env, napi_callback_info cb) {
  napi_value argv[2];
  args_of(env, cb, argv, 2);
  size_t n, cols;
  float *x = floats(env, argv[0], "x", &n, 0), *out = floats(env, argv[1], "out", &cols, 0);
  if (!x || !out) return NULL;
  if (cols == 0 || n % cols != 0) return fail(env, "columnSum: x.length must be a multiple of out.length");
  column_sum((long)(n / cols), (int)cols, x, out);
  return undefined(env);
}

/* transpose(x, shape: Int32Array, perm: Int32Array, out) */
static napi_value transpose_fn(napi_env env, napi_callback_info cb) {
  napi_value argv[4];
  args_of(env, cb, argv, 4);
  size_t n, m;
  float *x = floats(env, argv[0], "x", &n, 0), *out = floats(env, argv[3], "out", &m, 0);
  if (!x || !out) return NULL;
  int32_t *shape32 = NULL, *perm = NULL;
  size_t rank = 0, rank2 = 0;
  napi_typedarray_type kind;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &kind, &rank, &data, NULL, NULL) != napi_ok || kind != napi_int32_array)
    return fail(env, "transpose: shape must be an Int32Array");
  shape32 = data;
  if (napi_get_typedarray_info(env, argv[2], &kind, &rank2, &data, NULL, NULL) != napi_ok || kind != napi_int32_array ||
      rank2 != rank)
    return fail(env, "transpose: perm must be an Int32Array of the shape's length");
  perm = data;
  long shape[6], size = 1;
  if (rank < 1 || rank > 6) return fail(env, "transpose: rank must be 1 to 6");
  for (size_t a = 0; a < rank; a++) {
    shape[a] = shape32[a];
    size *= shape[a];
    if (perm[a] < 0 || perm[a] >= (int)rank) return fail(env, "transpose: perm out of range");
  }
  if ((size_t)size != n || m != n) return fail(env, "transpose: x and out must hold the shape's size");
  transpose((int)rank, shape, perm, x, out);
  return undefined(env);
}

/* binary(op, a, b, out[, innerA, innerB]): out[i] = a[(i / innerA) % a.length] op b[(i / innerB) % b.length]; op 0
 * add, 1 subtract, 2 multiply (out a Float32Array), 3 greater-or-equal (out a Uint8Array of 0 and 1). */
static napi_value binary_fn(napi_env env, napi_callback_info cb) {
  napi_value argv[6];
  args_of(env, cb, argv, 6);
  double code = number(env, argv[0]);
  int op = code >= BINARY_ADD && code <= BINARY_GREATER_EQUAL && code == (int)code ? (int)code : -1;
  if (op < 0)
    return fail(env, "binary: op must be 0 (add), 1 (subtract), 2 (multiply) or 3 (greater-or-equal)");
  size_t na, nb, n;
  float *a = floats(env, argv[1], "a", &na, 0), *b = floats(env, argv[2], "b", &nb, 0);
  if (!a || !b) return NULL;
  void *out = NULL;
  if (op == BINARY_GREATER_EQUAL) {
    bool is_typed = false;
    napi_typedarray_type kind;
    napi_is_typedarray(env, argv[3], &is_typed);
    if (!is_typed || napi_get_typedarray_info(env, argv[3], &kind, &n, &out, NULL, NULL) != napi_ok ||
        kind != napi_uint8_array)
      return fail(env, "binary: out must be a Uint8Array for greater-or-equal");
  } else if (!(out = floats(env, argv[3], "out", &n, 0))) {
    return NULL;
  }
  napi_valuetype type;
  double inner_a = 1, inner_b = 1;
  if (napi_typeof(env, argv[4], &type) == napi_ok && type != napi_undefined) inner_a = number(env, argv[4]);
  if (napi_typeof(env, argv[5], &type) == napi_ok && type != napi_undefined) inner_b = number(env, argv[5]);
  /* Bounded by out's length before any conversion or product, so neither can overflow. */
  if (!(inner_a >= 1 && inner_b >= 1 && inner_a <= (double)n + 1 && inner_b <= (double)n + 1) ||
      inner_a != (double)(size_t)inner_a || inner_b != (double)(size_t)inner_b)
    return fail(env, "binary: innerA and innerB must be whole numbers from 1 to out's length");
  size_t ia = (size_t)inner_a, ib = (size_t)inner_b;
  if (na == 0 || nb == 0 || n % na != 0 || (n / na) % ia != 0 || n % nb != 0 || (n / nb) % ib != 0)
    return fail(env, "binary: each operand's length times its inner repeat must divide out's length");
  if (n > 0) binary_op_repeat(op, (long)n, a, (long)na, (long)ia, b, (long)nb, (long)ib, out);
  return undefined(env);
}

/* step(x, alpha, out) */
static napi_value step_fn(napi_env env, napi_callback_info cb) {
  napi_value argv[3];
  args_of(env, cb, argv, 3);
  size_t n, m;
  float *x = floats(env, argv[0], "x", &n, 0), *out = floats(env, argv[2], "out", &m, 0);
  if (!x || !out) return NULL;
  if (m != n) return fail(env, "step: x and out differ in length");
  step_forward((long)n, x, (float)number(env, argv[1]), out);
  return undefined(env);
}

static napi_value relu(napi_env env, napi_callback_info cb) {
  napi_value argv[2];
  args_of(env, cb, argv, 2);
  size_t n;
  float *x = floats(env, argv[0], "x", &n, 0), *y = floats(env, argv[1], "y", NULL, 0);
  if (!x || !y) return NULL;
  relu_forward((long)n, x, y);
  return undefined(env);
}

static napi_value relu_grad(napi_env env, napi_callback_info cb) {
  napi_value argv[3];
  args_of(env, cb, argv, 3);
  size_t n;
  float *x = floats(env, argv[0], "x", &n, 0), *dy = floats(env, argv[1], "dy", NULL, 0),
        *dx = floats(env, argv[2], "dx", NULL, 0);
  if (!x || !dy || !dx) return NULL;
  relu_backward((long)n, x, dy, dx);
  return undefined(env);
}

/* sgd(param, grad, buffer | null, lr, momentum, dampening, weightDecay, nesterov, first): updates in place. */
static napi_value sgd(napi_env env, napi_callback_info cb) {
  napi_value argv[9];
  args_of(env, cb, argv, 9);
  size_t np, ng, nb;
  float *p = floats(env, argv[0], "param", &np, 0), *g = floats(env, argv[1], "grad", &ng, 0);
  float *buf = floats(env, argv[2], "buffer", &nb, 1);
  if (!p || !g) return NULL;
  float momentum = (float)number(env, argv[4]);
  if (ng != np || (momentum != 0.f && nb != np)) return fail(env, "sgd: param, grad and buffer differ in size");
  bool nesterov = false, first = false;
  napi_get_value_bool(env, argv[7], &nesterov);
  napi_get_value_bool(env, argv[8], &first);
  sgd_update((long)np, p, g, buf, (float)number(env, argv[3]), momentum, (float)number(env, argv[5]),
             (float)number(env, argv[6]), nesterov, first);
  return undefined(env);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"info", NULL, info, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"setIsa", NULL, set_isa, NULL, NULL, NULL, napi_default, NULL},
      {"setWinograd", NULL, set_winograd, NULL, NULL, NULL, napi_default, NULL},
      {"setWinogradTile", NULL, set_winograd_tile, NULL, NULL, NULL, napi_default, NULL},
      {"fmaPeak", NULL, fma_peak, NULL, NULL, NULL, napi_default, NULL},
      {"setGemmBlocks", NULL, set_gemm_blocks, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"conv2d", NULL, conv_forward, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropInput", NULL, conv_backprop_input, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropFilter", NULL, conv_backprop_filter, NULL, NULL, NULL, napi_default, NULL},
      {"maxPool", NULL, pool_forward, NULL, NULL, NULL, napi_default, NULL},
      {"maxPoolGrad", NULL, pool_backward, NULL, NULL, NULL, napi_default, NULL},
      {"lrn", NULL, lrn, NULL, NULL, NULL, napi_default, NULL},
      {"lrnGrad", NULL, lrn_grad, NULL, NULL, NULL, napi_default, NULL},
      {"columnSum", NULL, column_sum_fn, NULL, NULL, NULL, napi_default, NULL},
      {"transpose", NULL, transpose_fn, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, binary_fn, NULL, NULL, NULL, napi_default, NULL},
      {"step", NULL, step_fn, NULL, NULL, NULL, napi_default, NULL},
      {"relu", NULL, relu, NULL, NULL, NULL, napi_default, NULL},
      {"reluGrad", NULL, relu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"sgd", NULL, sgd, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

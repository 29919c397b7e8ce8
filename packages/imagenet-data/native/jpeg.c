// JPEG to 8-bit RGB with the system's libjpeg (libjpeg-turbo on Debian and Ubuntu), for the loader's worker threads.
// The decoder's defaults are PIL's (accurate integer IDCT, fancy upsampling), so the pixels are PIL's: torchvision's
// ImageFolder decodes with PIL. libvips (sharp) gives the same pixels but costs about twice the time a JPEG.
//
// decodeInto(jpeg, out): decodes `jpeg` (a Uint8Array) into `out` (a Uint8Array of at least width*height*3 bytes)
// and returns [width, height]. Throws for anything it will not decode exactly as PIL would: CMYK/YCCK, a
// corrupt or truncated stream (libjpeg's warnings count as errors here; their error's code is
// ALEXNET_JPEG_DAMAGED), or `out` too small. The caller then hands the file to libvips, which decides with its own
// messages.
#include <node_api.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>

struct decode_error {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int warning;
};

static void fail(j_common_ptr cinfo) {
  struct decode_error *error = (struct decode_error *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, error->message);
  longjmp(error->jump, 1);
}

// libjpeg reports corrupt data as a warning (level -1) and carries on with grey blocks: stop instead.
static void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  ((struct decode_error *)cinfo->err)->warning = 1;
  fail(cinfo);
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

// Damaged data: the stream is a JPEG that libjpeg would get through with a warning (grey where data is missing).
static napi_value throw_damaged(napi_env env, const char *message) {
  napi_throw_error(env, "ALEXNET_JPEG_DAMAGED", message);
  return NULL;
}

static int bytes_of(napi_env env, napi_value value, unsigned char **data, size_t *length) {
  napi_typedarray_type type;
  size_t count;
  void *base;
  napi_value buffer;
  size_t offset;
  bool is_typedarray = false;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray) return 0;
  if (napi_get_typedarray_info(env, value, &type, &count, &base, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (unsigned char *)base;
  *length = count;
  return 1;
}

static napi_value decode_into(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    return throw_error(env, "decodeInto(jpeg, out) takes two Uint8Arrays");
  }
  unsigned char *jpeg, *out;
  size_t jpeg_length, out_length;
  if (!bytes_of(env, argv[0], &jpeg, &jpeg_length)) return throw_error(env, "jpeg must be a Uint8Array");
  if (!bytes_of(env, argv[1], &out, &out_length)) return throw_error(env, "out must be a Uint8Array");

  struct jpeg_decompress_struct cinfo;
  struct decode_error error;
  cinfo.err = jpeg_std_error(&error.pub);
  error.pub.error_exit = fail;
  error.pub.emit_message = on_message;
  error.message[0] = 0;
  error.warning = 0;
  // Declared volatile: read after longjmp.
  volatile int created = 0;
  if (setjmp(error.jump)) {
    if (created) jpeg_destroy_decompress(&cinfo);
    return error.warning ? throw_damaged(env, error.message) : throw_error(env, error.message);
  }
  jpeg_create_decompress(&cinfo);
  created = 1;
  jpeg_mem_src(&cinfo, jpeg, (unsigned long)jpeg_length);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&cinfo);
    return throw_error(env, "CMYK JPEG: left to libvips (colour management)");
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const size_t width = cinfo.output_width, height = cinfo.output_height;
  if (cinfo.output_components != 3) {
    jpeg_destroy_decompress(&cinfo);
    return throw_error(env, "did not decode to 3 channels");
  }
  if (width * height * 3 > out_length) {
    jpeg_destroy_decompress(&cinfo);
    return throw_error(env, "out is too small for the image");
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[4];
    for (int i = 0; i < 4; i++) rows[i] = out + (size_t)(cinfo.output_scanline + i) * width * 3;
    JDIMENSION left = cinfo.output_height - cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, rows, left < 4 ? left : 4);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);

  napi_value result, w, h;
  napi_create_array_with_length(env, 2, &result);
  napi_create_uint32(env, (uint32_t)width, &w);
  napi_create_uint32(env, (uint32_t)height, &h);
  napi_set_element(env, result, 0, w);
  napi_set_element(env, result, 1, h);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "decodeInto", NAPI_AUTO_LENGTH, decode_into, NULL, &fn);
  napi_set_named_property(env, exports, "decodeInto", fn);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }

{
  "targets": [
    {
      "target_name": "alexnet_jpeg",
      "sources": ["jpeg.c"],
      "cflags": ["-O2", "-std=gnu11"],
      "libraries": ["-ljpeg"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

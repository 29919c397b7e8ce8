{
  "targets": [
    {
      "target_name": "alexnet_native",
      "sources": [
        "addon.c",
        "gemm.c",
        "threads.c",
        "conv.c",
        "winograd.c",
        "pool.c",
        "lrn.c",
        "elementwise.c",
        "layout.c",
        "peak.c"
      ],
      "cflags": ["-O3", "-std=gnu11", "-fno-math-errno"],
      "cflags!": ["-O2"],
      "libraries": ["-lpthread", "-lm"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

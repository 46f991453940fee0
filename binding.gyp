{
  "targets": [
    {
      "target_name": "gradformer",
      "sources": [
        "native/addon.c", "native/gen/napi_kernels.c", "native/matmul.c", "native/elementwise.c", "native/reduce.c",
        "native/softmax_loss.c", "native/gather.c", "native/segment.c", "native/batchnorm.c",
        "native/attention.c", "native/attention_avx512.c", "native/optim.c", "native/random.c", "native/random_jump.c", "native/random_lanes.c", "native/decay.c",
        "native/gine.c", "native/gatedgcn.c"
      ],
      "cflags": ["-O3", "-std=c11", "-fopenmp", "-ffp-contract=fast", "-fno-trapping-math", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-O2", "-O0"],
      "cflags_c": ["-std=c11"],
      "ldflags": ["-fopenmp"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "OTHER_CFLAGS": ["-O3", "-std=c11", "-Xpreprocessor", "-fopenmp"],
            "OTHER_LDFLAGS": ["-lomp"]
          }
        }]
      ]
    }
  ]
}

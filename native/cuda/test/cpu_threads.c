/* The thread knobs of native/gf.h, which native/addon.c defines for the Node addon: the GPU test
   program links the C kernels without the addon, single-threaded (the reference needs no speed). */
#include "gf.h"

int gf_threads(void) { return 1; }
void gf_set_threads(int n) { (void)n; }
int gf_threads_for(double work) {
  (void)work;
  return 1;
}

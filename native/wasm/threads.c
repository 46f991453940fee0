/*
 * The thread hooks of gf.h for the WebAssembly build, which has no OpenMP and
 * runs every kernel on the calling thread (addon.c defines them for Node-API).
 */
#include "../gf.h"

int gf_threads(void) { return 1; }
void gf_set_threads(int n) { (void)n; }
int gf_threads_for(double work) {
  (void)work;
  return 1;
}

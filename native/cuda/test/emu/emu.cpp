/* The fiber scheduler and the host-memory runtime of the CUDA emulation (see cuda_runtime.h). */
#include <stdio.h>
#include <ucontext.h>
#include <vector>
#include "cuda_runtime.h"

#if defined(__x86_64__)
/* A fiber switch that saves only the callee-saved registers: glibc's swapcontext also makes a
   sigprocmask system call per switch, which was most of the emulation's time (barriers switch
   every thread twice). emu_switch(save, to): saves the current stack pointer in *save, resumes
   the fiber whose stack pointer is `to`. */
extern "C" void emu_switch(void **save, void *to);
asm(R"(
  .text
  .globl emu_switch
  .type emu_switch, @function
emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size emu_switch, .-emu_switch
)");
#define EMU_FAST_SWITCH 1
#endif

emu_uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

int cudaGetDeviceCount(int *n) { *n = 1; return cudaSuccess; }
int cudaGetDeviceProperties(cudaDeviceProp *p, int) {
  strcpy(p->name, "CPU emulation");
  p->major = 9;
  p->minor = 0;
  return cudaSuccess;
}
int cudaSetDevice(int) { return cudaSuccess; }
int cudaStreamCreateWithFlags(cudaStream_t *s, unsigned) { *s = nullptr; return cudaSuccess; }
int cudaMalloc(void **p, size_t bytes) {
  *p = malloc(bytes ? bytes : 1);
  if (!*p) return cudaErrorMemoryAllocation;
  memset(*p, 0xFF, bytes);  /* NaN floats: reads of never-written memory show up */
  return cudaSuccess;
}
int cudaFree(void *p) { free(p); return cudaSuccess; }
int cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind, cudaStream_t) {
  memmove(dst, src, bytes);
  return cudaSuccess;
}
int cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind k) { return cudaMemcpyAsync(dst, src, bytes, k, nullptr); }
int cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t) { memset(p, v, bytes); return cudaSuccess; }
int cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
int cudaGetLastError(void) { return cudaSuccess; }
const char *cudaGetErrorString(int) { return "error in the CUDA emulation"; }

namespace emu {
enum Wait { RUNNING, AT_WARP, AT_BLOCK, DONE };
struct Fiber {
  ucontext_t ctx;
  void *sp;  /* saved stack pointer (fast switch) */
  Wait wait;
  emu_uint3 tid;
};
static const size_t STACK = 256 * 1024;
static std::vector<Fiber> g_fibers;
static std::vector<char *> g_stacks;
static std::vector<uint64_t> g_slots;  /* 32 per warp */
static std::vector<unsigned char> g_smem;
#ifdef EMU_FAST_SWITCH
static void *g_sched_sp;
#else
static ucontext_t g_sched;
#endif
static int g_cur = -1;
static const std::function<void()> *g_body;

void *dyn_smem(void) { return g_smem.data(); }
int lane(void) { return g_cur & 31; }
uint64_t *warp_slots(void) { return &g_slots[(size_t)(g_cur >> 5) * 32]; }

/* from the current fiber back to the scheduler */
static void to_scheduler(void) {
#ifdef EMU_FAST_SWITCH
  emu_switch(&g_fibers[g_cur].sp, g_sched_sp);
#else
  swapcontext(&g_fibers[g_cur].ctx, &g_sched);
#endif
}
static void park(Wait w) {
  g_fibers[g_cur].wait = w;
  to_scheduler();
}
void block_sync(void) { park(AT_BLOCK); }
void warp_sync(void) { park(AT_WARP); }

static void entry(void) {
  (*g_body)();
  g_fibers[g_cur].wait = DONE;
  to_scheduler();  /* never resumed */
  abort();
}

static void run_block(int nthreads) {
  for (int t = 0; t < nthreads; t++) {
    Fiber &f = g_fibers[t];
    f.wait = RUNNING;
    f.tid = emu_uint3{t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y)};
#ifdef EMU_FAST_SWITCH
    /* entry's frame as if called (rsp = 8 mod 16 at its first instruction), below it the six
       registers emu_switch pops, then entry's address for its `ret` */
    uintptr_t top = ((uintptr_t)g_stacks[t] + STACK) & ~(uintptr_t)15;
    void **sp = (void **)(top - 8);
    *--sp = (void *)entry;
    for (int r = 0; r < 6; r++) *--sp = nullptr;
    f.sp = sp;
#else
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = g_stacks[t];
    f.ctx.uc_stack.ss_size = STACK;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, entry, 0);
#endif
  }
  int nwarps = (nthreads + 31) / 32;
  for (;;) {
    for (int t = 0; t < nthreads; t++) {  /* run every runnable thread up to its next barrier */
      if (g_fibers[t].wait != RUNNING) continue;
      g_cur = t;
      threadIdx = g_fibers[t].tid;
#ifdef EMU_FAST_SWITCH
      emu_switch(&g_sched_sp, g_fibers[t].sp);
#else
      swapcontext(&g_sched, &g_fibers[t].ctx);
#endif
    }
    bool progress = false, live = false;
    for (int w = 0; w < nwarps; w++) {  /* a warp barrier opens when every live lane is at it */
      int lo = 32 * w, hi = lo + 32 < nthreads ? lo + 32 : nthreads, waiting = 0, alive = 0;
      for (int t = lo; t < hi; t++) {
        if (g_fibers[t].wait == DONE) continue;
        alive++;
        waiting += g_fibers[t].wait == AT_WARP;
      }
      if (alive && waiting == alive) {
        for (int t = lo; t < hi; t++) if (g_fibers[t].wait == AT_WARP) g_fibers[t].wait = RUNNING;
        progress = true;
      }
    }
    int alive = 0, atBlock = 0;
    for (int t = 0; t < nthreads; t++) {
      if (g_fibers[t].wait == DONE) continue;
      live = true;
      alive++;
      atBlock += g_fibers[t].wait == AT_BLOCK;
    }
    if (alive && atBlock == alive) {
      for (int t = 0; t < nthreads; t++) if (g_fibers[t].wait == AT_BLOCK) g_fibers[t].wait = RUNNING;
      progress = true;
    }
    if (!live) return;
    if (!progress) {
      fprintf(stderr, "CUDA emulation: deadlock in block (%u,%u,%u): threads wait at different barriers "
              "(a barrier inside divergent code)\n", blockIdx.x, blockIdx.y, blockIdx.z);
      abort();
    }
  }
}

void launch(dim3 grid, dim3 block, size_t smem, std::function<void()> body) {
  int nthreads = (int)(block.x * block.y * block.z);
  /* the launch limits of the real device, which the emulation would otherwise not notice */
  if (nthreads <= 0 || nthreads > 1024) { fprintf(stderr, "CUDA emulation: %d threads per block\n", nthreads); abort(); }
  if (grid.x == 0 || grid.x > 2147483647u || grid.y == 0 || grid.y > 65535 || grid.z == 0 || grid.z > 65535) {
    fprintf(stderr, "CUDA emulation: grid (%u, %u, %u) is outside the device's limits\n", grid.x, grid.y, grid.z);
    abort();
  }
  if (smem > 48 * 1024) {
    fprintf(stderr, "CUDA emulation: %zu bytes of dynamic shared memory need an opt-in the kernels do not make\n", smem);
    abort();
  }
  while ((int)g_stacks.size() < nthreads) g_stacks.push_back((char *)malloc(STACK));
  if ((int)g_fibers.size() < nthreads) g_fibers.resize(nthreads);
  g_slots.assign((size_t)(nthreads + 31) / 32 * 32, 0);
  g_smem.assign(smem, 0xFF);
  gridDim = grid;
  blockDim = block;
  g_body = &body;
  for (unsigned z = 0; z < grid.z; z++)
    for (unsigned y = 0; y < grid.y; y++)
      for (unsigned x = 0; x < grid.x; x++) {
        blockIdx = emu_uint3{x, y, z};
        run_block(nthreads);
      }
  g_cur = -1;
}
}  // namespace emu

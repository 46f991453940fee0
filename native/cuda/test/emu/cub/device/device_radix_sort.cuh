/* Emulation of the one CUB call native/cuda uses: a stable sort of (key, value) pairs. */
#ifndef GFC_EMU_CUB_SORT
#define GFC_EMU_CUB_SORT
#include <algorithm>
#include <numeric>
#include <vector>
#include "cuda_runtime.h"
namespace cub {
struct DeviceRadixSort {
  template <class K, class V>
  static cudaError_t SortPairs(void *temp, size_t &bytes, const K *kin, K *kout, const V *vin, V *vout, int n,
                               int = 0, int = 32, cudaStream_t = nullptr) {
    if (!temp) { bytes = 16; return cudaSuccess; }
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return kin[a] < kin[b]; });
    std::vector<K> k(n);
    std::vector<V> v(n);
    for (int i = 0; i < n; i++) { k[i] = kin[order[i]]; v[i] = vin[order[i]]; }
    std::copy(k.begin(), k.end(), kout);
    std::copy(v.begin(), v.end(), vout);
    return cudaSuccess;
  }
};
}  // namespace cub
#endif

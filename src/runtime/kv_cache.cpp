#include "runtime/kv_cache.h"

#include <cstdint>
#include <cstring>

#include "common/error.h"
#include "common/half.h"

namespace llamafast {

KVCache::KVCache(int n_layers, int capacity, int n_kv_heads, int head_dim, DType dtype)
    : capacity_(capacity), n_kv_heads_(n_kv_heads), head_dim_(head_dim), dtype_(dtype),
      element_(dtype_size(dtype)), size_(size_t(n_layers) * n_kv_heads * capacity * head_dim) {
  if (dtype != DType::f32 && dtype != DType::f16 && dtype != DType::bf16)
    fail_internal("KV cache elements must be f32, f16 or bf16, not {}", dtype_name(dtype));
  // Left uninitialized: attention reads only positions already written, and
  // untouched pages of a large allocation cost neither time (no zeroing pass
  // before the first token) nor resident memory.
  keys_.reset(new std::byte[size_ * element_]);
  values_.reset(new std::byte[size_ * element_]);
}

namespace {

// Scalar rounding: 2 * n_kv_heads * head_dim values per layer and token, next
// to the k and v matmuls' dim times as many multiply-adds.
template <uint16_t (*Round)(float)>
void store_rounded(const float* src, std::byte* dst, int n) {
  for (int i = 0; i < n; ++i) {
    const uint16_t h = Round(src[i]);
    std::memcpy(dst + 2 * size_t(i), &h, 2);
  }
}

void store_row(DType dtype, const float* src, std::byte* dst, int n) {
  switch (dtype) {
    case DType::f16: return store_rounded<f32_to_f16>(src, dst, n);
    case DType::bf16: return store_rounded<f32_to_bf16>(src, dst, n);
    default: std::memcpy(dst, src, sizeof(float) * size_t(n));
  }
}

}  // namespace

void KVCache::store(int layer, int pos, const float* key, const float* value) {
  for (int h = 0; h < n_kv_heads_; ++h) {
    const size_t at = element_ * row(layer, h, pos), from = size_t(h) * head_dim_;
    store_row(dtype_, key + from, keys_.get() + at, head_dim_);
    store_row(dtype_, value + from, values_.get() + at, head_dim_);
  }
}

}  // namespace llamafast

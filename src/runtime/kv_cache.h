// Keys and values of every position a sequence has processed, per layer, so
// decode attends over the past without recomputing it. Preallocated once.
//
// Laid out (layer, KV head, position, head_dim): the rows one attention task
// reads (one KV head's, at consecutive positions) are contiguous, so they
// stream from memory as the weights do. Position-major rows (layer,
// position, KV head, head_dim) made a task read head_dim elements out of
// every n_kv_heads * head_dim, a stride the hardware prefetchers follow
// poorly, and not at all beyond a 4 KiB page (Llama-2-7B: 16 KiB rows).
//
// Elements are f32, or f16 / bf16 (rounded to nearest even when stored): half
// the memory, and half the bytes attention reads per decoded token, which at
// long contexts rival the weights' (Llama-2-7B at 4096 positions: 4 GiB of
// fp32 keys and values against 3.5 GiB of int4 matrices).
#pragma once

#include <cstddef>
#include <memory>

#include "common/dtype.h"
#include "kernels/kernels.h"

namespace llamafast {

class KVCache {
 public:
  // dtype: f32, f16 or bf16 (anything else throws).
  KVCache(int n_layers, int capacity, int n_kv_heads, int head_dim, DType dtype);

  int capacity() const { return capacity_; }
  DType dtype() const { return dtype_; }
  size_t bytes() const { return 2 * size_ * element_; }

  // Storage row of position `pos`. All addressing goes through here, so a ring
  // buffer (slot = pos % capacity) or several sequences only change this map
  // (plus attention, which reads consecutive positions as consecutive rows and
  // would then read a wrapped range in two parts).
  size_t slot(int pos) const { return size_t(pos); }

  // Stores position `pos`'s key and value in `layer`: n_kv_heads * head_dim
  // floats each, head after head (as the k and v projections write them).
  void store(int layer, int pos, const float* key, const float* value);

  // Positions [first, first + count) of one KV head in `layer`, as the
  // attention kernels read them.
  kernels::CacheRows keys(int layer, int kv_head, int first, int count) const {
    return {dtype_, keys_.get() + element_ * row(layer, kv_head, first), size_t(head_dim_), count};
  }
  kernels::CacheRows values(int layer, int kv_head, int first, int count) const {
    return {dtype_, values_.get() + element_ * row(layer, kv_head, first), size_t(head_dim_), count};
  }

 private:
  // First element of a (layer, KV head, position) row.
  size_t row(int layer, int kv_head, int pos) const {
    return ((size_t(layer) * n_kv_heads_ + kv_head) * capacity_ + slot(pos)) * head_dim_;
  }

  int capacity_, n_kv_heads_, head_dim_;
  DType dtype_;
  size_t element_;                    // bytes per element
  size_t size_;                       // elements in each of keys_ and values_
  std::unique_ptr<std::byte[]> keys_;    // (layer, n_kv_heads, capacity, head_dim)
  std::unique_ptr<std::byte[]> values_;  // (layer, n_kv_heads, capacity, head_dim)
};

}  // namespace llamafast

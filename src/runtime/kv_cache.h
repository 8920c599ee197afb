// Keys and values of every position a sequence has processed, per layer, so
// decode attends over the past without recomputing it. Preallocated once.
#pragma once

#include <cstddef>
#include <memory>

namespace llamafast {

class KVCache {
 public:
  KVCache(int n_layers, int capacity, int kv_dim)
      : n_layers_(n_layers), capacity_(capacity), kv_dim_(kv_dim),
        size_(size_t(n_layers) * capacity * kv_dim),
        // Left uninitialized: attention reads only positions already written,
        // and untouched pages of a large allocation cost neither time (no
        // zeroing pass before the first token) nor resident memory.
        keys_(new float[size_]),
        values_(new float[size_]) {}

  int capacity() const { return capacity_; }
  int kv_dim() const { return kv_dim_; }

  // Storage row of position `pos`. All addressing goes through here, so a ring
  // buffer (slot = pos % capacity) or several sequences only change this map
  // (plus attention, which reads consecutive positions as consecutive rows and
  // would then read a wrapped range in two parts).
  size_t slot(int pos) const { return size_t(pos); }

  float* key(int layer, int pos) { return keys_.get() + (size_t(layer) * capacity_ + slot(pos)) * kv_dim_; }
  float* value(int layer, int pos) { return values_.get() + (size_t(layer) * capacity_ + slot(pos)) * kv_dim_; }
  size_t bytes() const { return 2 * size_ * sizeof(float); }

 private:
  int n_layers_, capacity_, kv_dim_;
  size_t size_;                     // floats in each of keys_ and values_
  std::unique_ptr<float[]> keys_;    // (layer, capacity, kv_dim)
  std::unique_ptr<float[]> values_;  // (layer, capacity, kv_dim)
};

}  // namespace llamafast

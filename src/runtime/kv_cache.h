// Keys and values of every position a sequence has processed, per layer, so
// decode attends over the past without recomputing it. Preallocated once.
#pragma once

#include <cstddef>
#include <vector>

namespace llamafast {

class KVCache {
 public:
  KVCache(int n_layers, int capacity, int kv_dim)
      : n_layers_(n_layers), capacity_(capacity), kv_dim_(kv_dim),
        keys_(size_t(n_layers) * capacity * kv_dim), values_(keys_.size()) {}

  int capacity() const { return capacity_; }
  int kv_dim() const { return kv_dim_; }

  // Storage row of position `pos`. All addressing goes through here, so a ring
  // buffer (slot = pos % capacity) or several sequences only change this map
  // (plus attention, which reads consecutive positions as consecutive rows and
  // would then read a wrapped range in two parts).
  size_t slot(int pos) const { return size_t(pos); }

  float* key(int layer, int pos) { return keys_.data() + (size_t(layer) * capacity_ + slot(pos)) * kv_dim_; }
  float* value(int layer, int pos) { return values_.data() + (size_t(layer) * capacity_ + slot(pos)) * kv_dim_; }
  size_t bytes() const { return (keys_.size() + values_.size()) * sizeof(float); }

 private:
  int n_layers_, capacity_, kv_dim_;
  std::vector<float> keys_;    // (layer, capacity, kv_dim)
  std::vector<float> values_;  // (layer, capacity, kv_dim)
};

}  // namespace llamafast

// Room for the form a matmul kernel turns activations into before its tiles
// read them (the AVX512-VNNI kernels round them to int16 or int8, in the order
// in which the tiles use them), kept so that the calls a thread makes on the
// same input prepare it once. A thread computes its rows of q, k and v (or of
// gate and up) in several claims (runtime/work_split.h), each a call on the
// same normalized tokens: preparing them every time cost about 2.4% of int4
// decode and 14% of the 8da4w prefill kernel on a Xeon (docs/benchmarks.md).
//
// One per thread, owned by the caller: kernels keep no other state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace llamafast::kernels {

class PreparedInput {
 public:
  // Forgets what was prepared. Call whenever the values behind an input given
  // since the last clear() may have changed: kernels recognize an input by its
  // address and shape alone.
  void clear() { x_ = nullptr; }

  // For kernels: whether the storage holds the prepared form `form` (a tag of
  // the kernel's choosing) of x, n tokens of `cols` columns.
  bool holds(const void* form, const float* x, int n, int cols) const {
    return x_ != nullptr && x_ == x && form_ == form && n_ == n && cols_ == cols;
  }
  // 64-byte aligned storage of at least `bytes`, grown (its contents lost)
  // when it is smaller: once per shape, not per call.
  void* data(size_t bytes) {
    if (bytes > capacity_) {
      clear();
      buffer_.reset(new std::byte[bytes + 64]);
      const auto address = reinterpret_cast<std::uintptr_t>(buffer_.get());
      data_ = buffer_.get() + (64 - address % 64) % 64;
      capacity_ = bytes;
    }
    return data_;
  }
  void remember(const void* form, const float* x, int n, int cols) {
    form_ = form;
    x_ = x;
    n_ = n;
    cols_ = cols;
  }

 private:
  std::unique_ptr<std::byte[]> buffer_;
  std::byte* data_ = nullptr;
  size_t capacity_ = 0;
  const void* form_ = nullptr;
  const float* x_ = nullptr;
  int n_ = 0, cols_ = 0;
};

}  // namespace llamafast::kernels

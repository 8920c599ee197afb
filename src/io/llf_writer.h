// Writes a .llf file front to back in one pass: header placeholder, metadata,
// then data in increasing offsets, then the real header. The file is built
// under a temporary name beside the target and renamed only by commit(), so a
// failed or interrupted export never leaves a partial file at the target.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "io/llf_format.h"

namespace llamafast::llf {

class Writer {
 public:
  explicit Writer(std::string path);  // throws Error when the directory is not writable
  ~Writer();                          // removes the temporary file unless committed
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Writes the metadata; the data region (data_size bytes) starts at the next
  // aligned offset after it.
  void begin(std::string_view metadata, uint64_t data_size);
  // Appends `bytes` at `offset` within the data region; offsets must not go
  // backwards, and any gap is zero-filled.
  void write(uint64_t offset, std::span<const std::byte> bytes);
  // Zero-fills to data_size, writes the header with both checksums, flushes to
  // disk and renames the file into place.
  void commit();

 private:
  void put(const void* p, size_t n);
  void pad_to(uint64_t offset);

  std::string path_, temp_path_;
  std::FILE* file_ = nullptr;
  XXH3_state_t* hash_ = nullptr;
  Header header_{};
  std::string metadata_;
  uint64_t position_ = 0;  // within the data region
  bool committed_ = false;
};

}  // namespace llamafast::llf

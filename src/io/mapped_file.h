// Read-only memory-mapped files and a bounds-checked reader over their bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/error.h"

namespace llamafast {

// A whole file mapped read-only (MAP_PRIVATE). Weights are used in place from
// the mapping, so loading costs no copy and no read proportional to model size.
class MappedFile {
 public:
  static MappedFile open(const std::string& path);
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Drops the resident pages of [p, p + n) from this process (they stay in the
  // page cache and are read back if touched again), so streaming through a
  // model larger than RAM does not grow the resident set. Does nothing when
  // the range is not inside this mapping.
  void release(const void* p, size_t n) const;

 private:
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// Sequential little-endian reader that fails with "<file>: truncated reading <what>"
// instead of reading past the end.
class ByteReader {
 public:
  ByteReader(std::span<const std::byte> bytes, std::string_view file) : bytes_(bytes), file_(file) {}

  template <class T>
  T read(std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, need(sizeof(T), what), sizeof(T));
    return v;
  }
  std::string_view take(size_t n, std::string_view what) {
    return {reinterpret_cast<const char*>(need(n, what)), n};
  }
  const std::byte* skip(size_t n, std::string_view what) { return need(n, what); }

  size_t offset() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  const std::byte* need(size_t n, std::string_view what) {
    if (n > bytes_.size() - pos_)
      fail("{}: truncated: needs {} bytes for {} at offset {}, only {} left", file_, n, what, pos_,
           bytes_.size() - pos_);
    const std::byte* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }

  std::span<const std::byte> bytes_;
  std::string_view file_;
  size_t pos_ = 0;
};

}  // namespace llamafast

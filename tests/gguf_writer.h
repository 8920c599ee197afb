// A minimal GGUF writer for tests: builds valid files field by field, and
// exposes byte offsets so tests can corrupt exactly one field.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>


namespace llamafast::test {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t version = 3) : version_(version) {}

  void u32(const std::string& key, uint32_t v) { kv(key, 4, &v, 4); }
  void f32(const std::string& key, float v) { kv(key, 6, &v, 4); }
  void boolean(const std::string& key, bool v) {
    const uint8_t b = v;
    kv(key, 7, &b, 1);
  }
  void str(const std::string& key, const std::string& v) {
    key_(key, 8);
    string_(meta_, v);
    ++n_kv_;
  }
  void strings(const std::string& key, const std::vector<std::string>& v) {
    array_head(key, 8, v.size());
    for (const auto& s : v) string_(meta_, s);
  }
  void floats(const std::string& key, const std::vector<float>& v) {
    array_head(key, 6, v.size());
    append(meta_, v.data(), v.size() * 4);
  }
  void ints(const std::string& key, const std::vector<int32_t>& v) {
    array_head(key, 5, v.size());
    append(meta_, v.data(), v.size() * 4);
  }

  // dims as GGUF stores them (fastest-varying first); `offset` overrides the
  // data offset the writer would choose (for corrupt files).
  void tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type, std::vector<uint8_t> data,
              std::optional<uint64_t> offset = std::nullopt) {
    tensors_.push_back({name, std::move(dims), type, std::move(data), offset});
  }
  void f32_tensor(const std::string& name, std::vector<uint64_t> dims, const std::vector<float>& values) {
    std::vector<uint8_t> data(values.size() * 4);
    std::memcpy(data.data(), values.data(), data.size());
    tensor(name, std::move(dims), 0, std::move(data));
  }

  // Where the last tensor info's fields are in bytes(), for corrupting them.
  size_t last_type_offset = 0, last_offset_offset = 0;

  std::vector<uint8_t> bytes() {
    std::vector<uint8_t> out;
    append(out, "GGUF", 4);
    append(out, &version_, 4);
    const uint64_t n_tensors = tensors_.size();
    append(out, &n_tensors, 8);
    append(out, &n_kv_, 8);
    append(out, meta_.data(), meta_.size());
    uint64_t next = 0;
    std::vector<uint64_t> offsets;
    for (const Pending& t : tensors_) {
      string_(out, t.name);
      const uint32_t n_dims = uint32_t(t.dims.size());
      append(out, &n_dims, 4);
      append(out, t.dims.data(), t.dims.size() * 8);
      last_type_offset = out.size();
      append(out, &t.type, 4);
      const uint64_t offset = t.offset.value_or(next);
      last_offset_offset = out.size();
      append(out, &offset, 8);
      offsets.push_back(offset);
      next = (offset + t.data.size() + 31) / 32 * 32;
    }
    out.resize((out.size() + 31) / 32 * 32, 0);
    const size_t data_start = out.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const auto& d = tensors_[i].data;
      if (data_start + offsets[i] + d.size() > out.size()) out.resize(data_start + offsets[i] + d.size(), 0);
      if (!d.empty()) std::memcpy(out.data() + data_start + offsets[i], d.data(), d.size());
    }
    return out;
  }

 private:
  struct Pending {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type;
    std::vector<uint8_t> data;
    std::optional<uint64_t> offset;
  };

  static void append(std::vector<uint8_t>& out, const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  static void string_(std::vector<uint8_t>& out, const std::string& s) {
    const uint64_t n = s.size();
    append(out, &n, 8);
    append(out, s.data(), s.size());
  }
  void key_(const std::string& key, uint32_t type) {
    string_(meta_, key);
    append(meta_, &type, 4);
  }
  void kv(const std::string& key, uint32_t type, const void* v, size_t n) {
    key_(key, type);
    append(meta_, v, n);
    ++n_kv_;
  }
  void array_head(const std::string& key, uint32_t item_type, uint64_t n) {
    key_(key, 9);
    append(meta_, &item_type, 4);
    append(meta_, &n, 8);
    ++n_kv_;
  }

  uint32_t version_;
  uint64_t n_kv_ = 0;
  std::vector<uint8_t> meta_;
  std::vector<Pending> tensors_;
};

}  // namespace llamafast::test
